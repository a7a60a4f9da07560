// Installs the service worker (the app shell kept on the phone, claims/main/offline.py) once the page has loaded,
// so that its downloads never slow the page the user opened.
(function () {
  "use strict";
  // The offline page is kept on the phone as one copy: it follows the text size the user chose from this flag.
  try { localStorage.setItem("claims.largeText", document.documentElement.classList.contains("large-text") ? "1" : "0"); } catch (e) { /* standard size */ }
  // Nobody logged in on this page: the offline page must not list the drafts of whoever was before.
  try { if (!document.querySelector("meta[name=claims-account]")) { localStorage.removeItem("claims.owner"); } } catch (e) { /* nothing kept */ }
  if (!("serviceWorker" in navigator)) return;
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js").catch(function () { /* no offline shell: the pages still work */ });
  });
})();
