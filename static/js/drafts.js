// Drafts kept on the phone (IndexedDB) and sent when the signal returns: the filing and survey forms work without a
// signal. Loaded by the pages (drafts-ui.js draws them) and by the service worker (its Background Sync sends them),
// so it uses nothing but IndexedDB, fetch/XMLHttpRequest and FormData. The server's side: claims/core/sync.py.
//
// A draft: {id (the form's submission key, so a repeated send records one claim or survey), owner (the account, as
// an opaque name: a shared phone keeps each account's drafts apart), kind ("claim" or "survey"), url (the form's
// address), once (a form of one claim: its kept page goes when the draft arrives), title, fields ([[name, value], ...] as the form had them), photos ([{blob, name, type, lastModified,
// lat, lon, acc, resized}]), state, message, errors, server, result, savedAt, attempts, nextTry}.
// States: "editing" (kept when the signal went or the page was left; never sent by itself), "waiting" (the user
// sent it: it goes as soon as it can), "login" (the session expired: it goes after the next login), "invalid",
// "conflict", "refused" (the server answered; the user decides), "done" (arrived; a receipt without photos).
(function (root) {
  "use strict";
  var DB = "claims-drafts", STORE = "drafts", SENDABLE = { waiting: true, login: true };
  var RECEIPT_DAYS = 3, LOCK = "claims-drafts-send";
  var FORMS = "claims-forms-"; // the account's kept form pages (templates/main/service-worker.js)
  var opened = null;

  function db() {
    if (opened) { return opened; }
    opened = new Promise(function (resolve, reject) {
      var request = root.indexedDB.open(DB, 1);
      request.onupgradeneeded = function () {
        var store = request.result.createObjectStore(STORE, { keyPath: "id" });
        store.createIndex("owner", "owner");
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { opened = null; reject(request.error); };
    });
    return opened;
  }

  function run(mode, work) {
    return db().then(function (handle) {
      return new Promise(function (resolve, reject) {
        var tx = handle.transaction(STORE, mode), store = tx.objectStore(STORE), out;
        var request = work(store);
        if (request) { request.onsuccess = function () { out = request.result; }; }
        tx.oncomplete = function () { resolve(out); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function put(draft) { draft.savedAt = draft.savedAt || Date.now(); return run("readwrite", function (s) { return s.put(draft); }); }
  function get(id) { return run("readonly", function (s) { return s.get(id); }); }
  function remove(id) { return run("readwrite", function (s) { return s["delete"](id); }); }
  function all(owner) { return run("readonly", function (s) { return s.index("owner").getAll(owner || ""); }).then(function (rows) { return rows || []; }); }
  // An account's drafts, newest first; receipts older than a few days are dropped on the way.
  function list(owner) {
    var old = Date.now() - RECEIPT_DAYS * 86400000;
    return all(owner).then(function (rows) {
      var stale = rows.filter(function (d) { return d.state === "done" && d.savedAt < old; });
      return Promise.all(stale.map(function (d) { return remove(d.id); })).then(function () {
        return rows.filter(function (d) { return stale.indexOf(d) < 0; }).sort(function (a, b) { return b.savedAt - a.savedAt; });
      });
    });
  }
  function clear(owner) {
    return all(owner).then(function (rows) { return Promise.all(rows.map(function (d) { return remove(d.id); })); });
  }
  function unsent(owner) {
    return list(owner).then(function (rows) { return rows.filter(function (d) { return d.state !== "done"; }); });
  }

  // Who is logged in, and a fresh CSRF token (a page kept offline holds an old one).
  function session() {
    return fetch("/sync/session", { credentials: "same-origin", headers: { "X-Claims-Sync": "1" }, cache: "no-store" })
      .then(function (r) { return r.json().then(function (body) { return { status: r.status, body: body }; }); })
      .then(function (a) { return a.status === 200 ? a.body : { result: a.body.result || "error" }; },
        function () { return { result: "network" }; });
  }

  function body(draft, token) {
    var data = new FormData(), photos = draft.photos || [];
    draft.fields.forEach(function (pair) { if (pair[0] !== "csrf_token" && pair[0] !== "photo_meta") { data.append(pair[0], pair[1]); } });
    data.append("csrf_token", token);
    data.append("photo_meta", JSON.stringify(photos.filter(function (p) { return (p.field || "photos") === "photos"; }).map(function (p) {
      return { name: p.name, size: p.blob.size, ft: p.lastModified || null, lat: p.lat, lon: p.lon, acc: p.acc, resized: !!p.resized };
    })));
    // Last, so that progress can be told apart; each under its own input (the site photos, or an invoice's photo).
    photos.forEach(function (p) { data.append(p.field || "photos", p.blob, p.name); });
    return data;
  }

  // One draft to the server. onProgress(index of the photo, fraction sent), where the page can show it.
  var STALLED_MS = 90000; // an upload with no progress for this long is given up, and tried again later
  function send(draft, token, onProgress) {
    var data = body(draft, token);
    function parse(status, text, retryAfter) {
      var out;
      try { out = JSON.parse(text); } catch (e) { out = { result: status >= 500 || status === 429 ? "busy" : "error" }; }
      out.status = status;
      if (status === 429 || status === 503) { out.result = "busy"; out.retryAfter = (parseInt(retryAfter, 10) || 60) * 1000; }
      return out;
    }
    if (typeof XMLHttpRequest === "undefined") { // the service worker: no upload progress there
      return fetch(draft.url, { method: "POST", body: data, credentials: "same-origin", headers: { "X-Claims-Sync": "1", "X-CSRFToken": token } })
        .then(function (r) { return r.text().then(function (t) { return parse(r.status, t, r.headers.get("Retry-After")); }); }, function () { return { result: "network" }; });
    }
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest(), starts = [], offset = 0, moved = Date.now();
      (draft.photos || []).forEach(function (p) { starts.push(offset); offset += p.blob.size; });
      var watch = setInterval(function () { if (Date.now() - moved > STALLED_MS) { xhr.abort(); } }, 5000);
      function done(answer) { clearInterval(watch); resolve(answer); }
      xhr.open("POST", draft.url);
      xhr.setRequestHeader("X-Claims-Sync", "1");
      xhr.setRequestHeader("X-CSRFToken", token);
      xhr.upload.onprogress = function (e) {
        moved = Date.now();
        if (!onProgress || !e.lengthComputable) { return; }
        var before = Math.max(0, e.total - offset - 200 * starts.length), sent = e.loaded - before; // each part's head: about 200 bytes
        (draft.photos || []).forEach(function (p, i) { onProgress(i, Math.max(0, Math.min(1, (sent - starts[i]) / (p.blob.size || 1)))); });
      };
      xhr.onprogress = function () { moved = Date.now(); };
      xhr.onload = function () { done(parse(xhr.status, xhr.responseText, xhr.getResponseHeader("Retry-After"))); };
      xhr.onerror = xhr.onabort = xhr.ontimeout = function () { done({ result: "network" }); };
      xhr.send(data);
    });
  }

  // An arrived draft leaves a receipt on the phone: what it was and where it went, without its photos. The form page
  // of one claim it was typed on (a correction, a survey: `once`) is no longer kept either; a filing kept as a draft
  // (`invalid`) is corrected on that page, and the page that files new claims serves the next one.
  function receipt(draft, answer, invalid) {
    var kept = { id: draft.id, owner: draft.owner, kind: draft.kind, title: draft.title, state: "done", result: answer.url,
      message: answer.message || "", invalid: invalid, savedAt: Date.now(), fields: [], photos: [] };
    return put(kept).then(function () { return draft.once && !invalid ? forgetPage(draft) : null; }).then(function () { return kept; });
  }
  function forgetPage(draft) {
    if (!root.caches || !draft.url) { return Promise.resolve(); }
    var url = new URL(draft.url, root.location.href).href;
    return root.caches.open(FORMS + draft.owner).then(function (cache) { return cache["delete"](url, { ignoreSearch: true }); })["catch"](function () { return null; });
  }

  // What the answer does to the draft; returns the draft as saved (or the receipt).
  function settle(draft, answer) {
    draft.attempts = (draft.attempts || 0) + 1;
    draft.message = answer.message || "";
    if (answer.result === "done") { return receipt(draft, answer, false); }
    if (answer.result === "network" || answer.result === "busy") {
      draft.state = "waiting";
      draft.nextTry = Date.now() + Math.max(answer.retryAfter || 0, Math.min(300000, 5000 * Math.pow(2, Math.min(draft.attempts, 6))));
    } else if (answer.result === "login") {
      draft.state = "login";
    } else if (answer.result === "invalid" && answer.url && draft.kind === "claim") {
      // The server keeps what passed as a draft claim, photos included: correcting it goes on there.
      return receipt(draft, answer, true);
    } else if (answer.result === "invalid" || answer.result === "conflict" || answer.result === "refused") {
      draft.state = answer.result;
      draft.errors = answer.errors || {};
      draft.server = answer.server || null;
      draft.result = answer.url || null;
    } else {
      draft.state = "refused";
    }
    return put(draft).then(function () { return draft; });
  }

  // Send every draft of the logged-in account that is due (or all of them, `force`); one sender at a time across the
  // pages and the service worker. Resolves to {sent, left, login} for the page to say.
  function sendAll(options) {
    options = options || {};
    function due(d) { return SENDABLE[d.state] && (options.force || !d.nextTry || d.nextTry <= Date.now()); }
    function work() {
      // Nothing due: no request at all (each would count as activity and keep an idle session alive).
      var waiting = options.owner ? list(options.owner).then(function (rows) { return rows.filter(due).length; }) : Promise.resolve(1);
      return waiting.then(function (n) { return n ? sendDue() : { sent: 0, left: 0 }; });
    }
    function sendDue() {
      return session().then(function (who) {
        if (who.result !== "session") {
          if (who.result === "login" && options.owner) {
            return list(options.owner).then(function (rows) {
              return Promise.all(rows.filter(function (d) { return d.state === "waiting"; })
                .map(function (d) { d.state = "login"; return put(d); })).then(function () { return { sent: 0, left: rows.length, login: true }; });
            });
          }
          return { sent: 0, left: -1, offline: who.result === "network" };
        }
        var token = who.token, sent = 0, busy = false;
        return list(who.owner).then(function (rows) {
          return rows.filter(due).reduce(function (chain, draft) {
            return chain.then(function () {
              if (busy) { return null; } // the server asked to wait: the rest wait too
              return send(draft, token, options.onProgress).then(function (answer) {
                if (answer.result === "csrf") { // the session moved on between: once more with a fresh token
                  return session().then(function (again) { token = again.token || token; return send(draft, token, options.onProgress); });
                }
                return answer;
              }).then(function (answer) {
                if (answer.result === "done") { sent += 1; }
                if (answer.result === "busy") { busy = true; }
                return settle(draft, answer);
              });
            });
          }, Promise.resolve()).then(function () {
            return unsent(who.owner).then(function (left) { return { sent: sent, left: left.filter(function (d) { return SENDABLE[d.state]; }).length }; });
          });
        });
      });
    }
    if (root.navigator && root.navigator.locks) {
      return root.navigator.locks.request(LOCK, { ifAvailable: true }, function (lock) {
        return lock ? work() : { sent: 0, left: -1, busy: true };
      });
    }
    return work();
  }

  // `work` as the one sender (the page's "send now" waits for a send under way elsewhere to finish).
  function withLock(work) {
    if (root.navigator && root.navigator.locks) { return root.navigator.locks.request(LOCK, function () { return work(); }); }
    return work();
  }

  root.ClaimsDrafts = { put: put, get: get, remove: remove, list: list, clear: clear, withLock: withLock, unsent: unsent, send: send, settle: settle,
    session: session, sendAll: sendAll, SENDABLE: SENDABLE };
})(typeof self !== "undefined" ? self : window);
