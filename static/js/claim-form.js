// Progressive enhancement of the filing form: the form works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var form = document.getElementById("claim-form");
  if (!form) { return; }

  // County -> township -> village: when a parent changes, its child's list becomes that parent's children, from
  // the place tree (/places.js, kept by the service worker, so this works without a signal). The page itself lists
  // the chosen county's townships and the chosen township's villages, fresh from the server, and keeps them until
  // the user changes a place. Without the tree, the options the page has are filtered by their parent, and the hint
  // that saving the draft shows the next list stays in view. The tree loads without holding the page up (on a first
  // visit over a weak signal it takes seconds): when it arrives, the lists changed meanwhile are rebuilt, and a place
  // that a draft restored before it (drafts-ui.js: the select's data-wanted) is chosen then.
  var tree = null;
  var placesHint = document.getElementById("places-hint");
  var whenTreeArrives = [];
  function arrived() {
    if (tree || !self.claimsPlaces) { return !!tree; }
    tree = self.claimsPlaces;
    if (placesHint) { placesHint.hidden = true; }
    whenTreeArrives.forEach(function (update) { update(); });
    return true;
  }
  function listChildren(parentName, childName, branch) {
    var parent = form.querySelector("[data-place='" + parentName + "']");
    var child = form.querySelector("[data-place='" + childName + "']");
    if (!parent || !child) { return; }
    var changed = false;
    function rebuild() {
      var wanted = child.getAttribute("data-wanted") || child.value;
      var places = (tree && tree[branch][parent.value]) || [];
      while (child.options.length > 1) { child.remove(1); }
      places.forEach(function (place) {
        var opt = new Option(place[1], String(place[0]));
        opt.setAttribute("data-parent", parent.value);
        child.add(opt);
      });
      var found = places.some(function (place) { return String(place[0]) === wanted; });
      child.value = found ? wanted : "0";
      if (found) { child.removeAttribute("data-wanted"); }
      child.dispatchEvent(new Event("filtered"));
    }
    function filter() {
      var chosen = parent.value;
      Array.prototype.forEach.call(child.options, function (opt) {
        if (opt.value === "0") { return; }
        var show = opt.getAttribute("data-parent") === chosen;
        opt.hidden = !show; opt.disabled = !show;
        if (!show && opt.selected) { child.value = "0"; }
      });
      child.dispatchEvent(new Event("filtered"));
    }
    function apply() { changed = true; (arrived() ? rebuild : filter)(); }
    parent.addEventListener("change", apply);
    parent.addEventListener("filtered", apply);
    whenTreeArrives.push(function () { if (changed || child.hasAttribute("data-wanted")) { rebuild(); } });
  }
  listChildren("county_id", "township_id", "townships");
  listChildren("township_id", "village_id", "villages");
  // The tree may have come before this script ran, come later with its event, or (an older copy of the script, kept
  // by a service worker, without the event) have come by the time the page has loaded.
  if (!arrived()) {
    if (placesHint) { placesHint.hidden = false; }
    self.addEventListener("claims-places", arrived);
    self.addEventListener("load", arrived);
  }

  // Position of the phone, with the user's permission.
  function locate(done) {
    if (!navigator.geolocation) { done(null); return; }
    navigator.geolocation.getCurrentPosition(function (p) { done(p); }, function () { done(null); },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }
  var gpsButton = document.getElementById("gps-button");
  var gpsStatus = document.getElementById("gps-status");
  if (gpsButton) {
    gpsButton.addEventListener("click", function () {
      gpsStatus.textContent = "…";
      locate(function (p) {
        if (!p) { gpsStatus.textContent = gpsButton.getAttribute("data-failed") || "✗"; return; }
        form.elements["gps_lat"].value = p.coords.latitude.toFixed(6);
        form.elements["gps_lon"].value = p.coords.longitude.toFixed(6);
        form.elements["gps_accuracy"].value = Math.round(p.coords.accuracy);
        gpsStatus.textContent = "✓ " + p.coords.latitude.toFixed(5) + ", " + p.coords.longitude.toFixed(5);
      });
    });
  }

  // Photos: preview, and record where and when each was taken (mobile browsers strip EXIF GPS). The time
  // is the file's own (the camera's), never the moment it is chosen: the server must not take upload
  // time for capture time.
  var meta = form.elements["photo_meta"];
  var records = [];
  try { records = JSON.parse(meta.value || "[]"); } catch (e) { records = []; }
  var preview = document.getElementById("photo-preview");
  Array.prototype.forEach.call(form.querySelectorAll("input[type=file][name=photos]"), function (input) {
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      files.forEach(function (f) {
        var li = document.createElement("li");
        var img = document.createElement("img");
        img.src = URL.createObjectURL(f); img.alt = f.name; img.width = 160;
        li.appendChild(img); preview.appendChild(li);
      });
      locate(function (p) {
        files.forEach(function (f) {
          records.push({ name: f.name, size: f.size, ft: f.lastModified || null,
            lat: p ? p.coords.latitude : null, lon: p ? p.coords.longitude : null, acc: p ? p.coords.accuracy : null });
        });
        meta.value = JSON.stringify(records);
      });
    });
  });

  // Loss lines: show injury fields for injuries only; add a line by copying the last one.
  function syncLine(line) {
    var cat = line.querySelector("select[name$='-category']");
    var injury = line.querySelector(".injury-only");
    if (cat && injury) { injury.style.display = (cat.value === "injury" || cat.value === "death") ? "" : "none"; }
  }
  var lossBox = document.getElementById("losses");
  Array.prototype.forEach.call(lossBox.querySelectorAll(".loss-line"), syncLine);
  lossBox.addEventListener("change", function (e) {
    var line = e.target.closest(".loss-line"); if (line) { syncLine(line); }
  });
  var addLoss = document.getElementById("add-loss");
  addLoss.addEventListener("click", function () {
    var lines = lossBox.querySelectorAll(".loss-line");
    if (lines.length >= 20) { return; }
    var last = lines[lines.length - 1];
    var copy = last.cloneNode(true);
    var n = lines.length;
    Array.prototype.forEach.call(copy.querySelectorAll("[name]"), function (el) {
      el.name = el.name.replace(/losses-\d+-/, "losses-" + n + "-");
      el.id = el.name;
      if (el.tagName === "SELECT") { el.selectedIndex = 0; } else { el.value = ""; }
    });
    Array.prototype.forEach.call(copy.querySelectorAll("label[for]"), function (el) {
      el.htmlFor = el.htmlFor.replace(/losses-\d+-/, "losses-" + n + "-");
    });
    Array.prototype.forEach.call(copy.querySelectorAll(".error"), function (el) { el.remove(); });
    copy.querySelector(".line-title").textContent = copy.querySelector(".line-title").textContent.replace(/\d+/, String(n + 1));
    lossBox.insertBefore(copy, addLoss);
    syncLine(copy);
  });

  // Species "unknown": show the description field.
  var unknown = form.elements["species_unknown"];
  var desc = form.querySelector(".species-desc");
  function syncSpecies() { if (desc) { desc.style.display = unknown.checked ? "" : "none"; } }
  if (unknown) { unknown.addEventListener("change", syncSpecies); syncSpecies(); }

  // One submission per form, however often the button is pressed.
  var sending = false;
  form.addEventListener("submit", function (e) {
    if (sending) { e.preventDefault(); return; }
    sending = true;
    window.setTimeout(function () { sending = false; }, 15000);
  });
})();
