// The large-text switch (大字模式) in the top bar posts a form, and the page comes back at the new size. On a page
// where the user has typed into a form, that reload would lose what was typed: there the switch changes the size
// in place and tells the server in the background (the same post; its cookie makes the next pages the same size).
(function () {
  "use strict";
  var switcher = document.querySelector("form.text-size");
  if (!switcher || !window.fetch || !window.FormData) return;
  var typed = false;
  document.addEventListener("input", function (e) {
    var f = e.target && e.target.form;
    if (f && f !== switcher && !f.classList.contains("inline")) { typed = true; }
  });
  switcher.addEventListener("submit", function (e) {
    if (!typed) return; // nothing to lose: the ordinary post, and the page comes back at the new size
    e.preventDefault();
    var button = switcher.querySelector("button[name=size]");
    var size = button.value, data = new FormData(switcher);
    data.set("size", size);
    fetch(switcher.action, { method: "POST", body: data, credentials: "same-origin", redirect: "manual" }).catch(function () {
      /* no signal: this page changes all the same; the next ones keep the old size */
    });
    var large = size === "large";
    document.documentElement.classList.toggle("large-text", large);
    try { localStorage.setItem("claims.largeText", large ? "1" : "0"); } catch (err) { /* the offline page keeps its size */ }
    button.value = large ? "normal" : "large";
    button.textContent = switcher.getAttribute(large ? "data-normal-label" : "data-large-label");
  });
})();
