/* The service worker of the installable app (claims/main/offline.py): the app shell from the phone, pages from the
   network, the offline page when there is none; the forms that work without a signal kept per account; the phone's
   drafts sent by Background Sync where the browser has it. Served at /sw.js; rendered by the app with the shell's
   revisions. */
importScripts(...{{ workbox|tojson }}, {{ drafts_script|tojson }});

self.skipWaiting();
workbox.core.clientsClaim();

// The shell, each file with its revision: stylesheet, scripts and icons come from the phone, fetched again only
// when they change. Old revisions are removed when a new service worker takes over.
workbox.precaching.precacheAndRoute({{ precache|tojson }});
workbox.precaching.cleanupOutdatedCaches();

// Pages come from the network. Only the filing and survey forms (the app marks them with the account's opaque draft
// owner) are also kept, in that account's own cache, so that they open again without a signal, with the draft that
// the page's script restores; the page's logout button deletes that cache with the drafts. Other pages are never
// kept: they hold personal data, and phones are shared.
const OFFLINE = {{ offline_url|tojson }};
const OWNER_HEADER = {{ owner_header|tojson }};
const ACCOUNT_HEADER = {{ account_header|tojson }};
const FORMS = "claims-forms-";
const META = "claims-meta";

async function lastOwner() {
  const kept = await (await caches.open(META)).match("/__owner");
  return kept ? kept.text() : null;
}

// Whose pages the phone shows now: every page names its account (or "-" when nobody is logged in). Another account's
// kept forms are deleted when someone else logs in; when nobody is, no form is served offline.
async function follow(account) {
  const meta = await caches.open(META);
  if (account === "-") {
    await meta.delete("/__owner");
    return;
  }
  if (!/^[0-9a-f]{8,64}$/.test(account)) return;
  if ((await lastOwner()) !== account) {
    for (const name of await caches.keys()) if (name.startsWith(FORMS) && name !== FORMS + account) await caches.delete(name);
    await meta.put("/__owner", new Response(account));
  }
}

async function page({ request }) {
  try {
    const response = await fetch(request);
    const account = response.headers.get(ACCOUNT_HEADER);
    if (account) await follow(account);
    const owner = response.headers.get(OWNER_HEADER);
    if (owner && owner === account && response.ok) {
      await (await caches.open(FORMS + owner)).put(request.url.split("?")[0], response.clone());
    }
    return response;
  } catch (error) {
    const owner = await lastOwner();
    if (owner && (await caches.has(FORMS + owner))) {
      const kept = await (await caches.open(FORMS + owner)).match(request.url.split("?")[0]);
      if (kept) return kept;
    }
    const offline = await workbox.precaching.matchPrecache(OFFLINE);
    return offline || Response.error();
  }
}
workbox.routing.registerRoute(({ request }) => request.mode === "navigate", page);

// A form posted when the signal fails on the way: the page kept a copy first (drafts-ui.js), so instead of the
// browser's error the phone shows the offline page, which lists that copy as waiting to be sent.
workbox.routing.registerRoute(
  ({ request }) => request.mode === "navigate",
  async ({ request }) => {
    try {
      return await fetch(request);
    } catch (error) {
      return (await workbox.precaching.matchPrecache(OFFLINE)) || Response.error();
    }
  },
  "POST",
);

self.addEventListener("sync", (event) => {
  // A sync that leaves drafts unsent fails, so that the browser tries again later.
  if (event.tag === "claims-drafts") {
    event.waitUntil(
      self.ClaimsDrafts.sendAll({}).then((result) => {
        if (result.offline || result.left > 0 || result.busy) throw new Error("drafts left to send");
      }),
    );
  }
});
