/* The service worker of the installable app (claims/main/offline.py): the app shell from the phone, pages from the
   network, the offline page when there is none. Served at /sw.js; rendered by the app with the shell's revisions. */
importScripts(...{{ workbox|tojson }});

self.skipWaiting();
workbox.core.clientsClaim();

// The shell, each file with its revision: stylesheet, scripts and icons come from the phone, fetched again only
// when they change. Old revisions are removed when a new service worker takes over.
workbox.precaching.precacheAndRoute({{ precache|tojson }});
workbox.precaching.cleanupOutdatedCaches();

// Pages always from the network and never kept: they hold personal data and CSRF tokens, and phones are shared.
const OFFLINE = {{ offline_url|tojson }};
workbox.routing.registerRoute(({ request }) => request.mode === "navigate", new workbox.strategies.NetworkOnly());
workbox.routing.setCatchHandler(async ({ request }) => {
  if (request.mode === "navigate") {
    const page = await workbox.precaching.matchPrecache(OFFLINE);
    if (page) return page;
  }
  return Response.error();
});
