// Installs the service worker (the app shell kept on the phone, claims/main/offline.py) once the page has loaded,
// so that its downloads never slow the page the user opened.
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js").catch(function () { /* no offline shell: the pages still work */ });
  });
})();
