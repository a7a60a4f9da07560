// Progressive enhancement of the survey form: position of the phone and photo metadata.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var form = document.getElementById("survey-form");
  if (!form) { return; }
  function locate(done) {
    if (!navigator.geolocation) { done(null); return; }
    navigator.geolocation.getCurrentPosition(function (p) { done(p); }, function () { done(null); },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }
  var button = document.getElementById("gps-button");
  var status = document.getElementById("gps-status");
  button.addEventListener("click", function () {
    status.textContent = "…";
    locate(function (p) {
      if (!p) { status.textContent = "✗"; return; }
      form.elements["gps_lat"].value = p.coords.latitude.toFixed(6);
      form.elements["gps_lon"].value = p.coords.longitude.toFixed(6);
      form.elements["gps_accuracy"].value = Math.round(p.coords.accuracy);
      status.textContent = "✓ " + p.coords.latitude.toFixed(5) + ", " + p.coords.longitude.toFixed(5);
    });
  });
  var meta = form.elements["photo_meta"], records = [], preview = document.getElementById("photo-preview");
  form.querySelector("input[type=file]").addEventListener("change", function (e) {
    var files = Array.prototype.slice.call(e.target.files || []);
    files.forEach(function (f) {
      var li = document.createElement("li"), img = document.createElement("img");
      img.src = URL.createObjectURL(f); img.alt = f.name; img.width = 160; li.appendChild(img); preview.appendChild(li);
    });
    locate(function (p) {
      files.forEach(function (f) {
        records.push({ name: f.name, size: f.size, ft: f.lastModified || null, lat: p ? p.coords.latitude : null, lon: p ? p.coords.longitude : null, acc: p ? p.coords.accuracy : null });
      });
      meta.value = JSON.stringify(records);
    });
  });
  var sending = false;
  form.addEventListener("submit", function (e) { if (sending) { e.preventDefault(); } sending = true; });
})();
