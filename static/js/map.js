// The incident map (/reports/map): Leaflet with clustered points and a heat layer, from the page's JSON block
// (#map-data) and the points' JSON endpoint. No inline script or style: the CSP allows neither.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var filters = document.getElementById("map-filters");
  if (filters && window.matchMedia("(min-width: 720px)").matches) { filters.open = true; }  // a phone keeps them folded
  var block = document.getElementById("map-data");
  var element = document.getElementById("incident-map");
  if (!block || !element || typeof L === "undefined") { return; }
  var data = JSON.parse(block.textContent);
  if (!data.points) { return; }
  var labels = data.labels, status = document.getElementById("map-status");

  function say(text) { if (status) { status.textContent = text; } }
  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (all, name) { return values[name] !== undefined ? String(values[name]) : all; });
  }
  function escapeHtml(text) {  // Leaflet's attribution control takes HTML; a setting's text is shown as text
    var div = document.createElement("div"); div.textContent = text; return div.innerHTML;
  }
  function speciesName(code) { return (code && data.species[code]) || labels.unknown; }

  // Leaflet's own controls speak English: their titles and labels come from the page's catalog instead.
  var map = L.map(element, { zoomControl: false, maxZoom: 18, minZoom: 3 });  // clustering needs a maxZoom even without tiles
  L.control.zoom({ zoomInTitle: labels.zoomIn, zoomOutTitle: labels.zoomOut }).addTo(map);
  map.on("popupopen", function (e) {
    var close = e.popup.getElement().querySelector(".leaflet-popup-close-button");
    if (close) { close.setAttribute("aria-label", labels.close); close.title = labels.close; }
  });
  fitTo(L.latLngBounds([]));  // the area's centres until the points come: Leaflet draws nothing before a view is set
  map.attributionControl.setPrefix("Leaflet");  // the default prefix links to leafletjs.com: no outside address
  data.tiles.forEach(function (layer) {
    L.tileLayer(layer.url, { subdomains: layer.subdomains || "abc", maxZoom: layer.maxZoom, attribution: escapeHtml(layer.attribution) }).addTo(map);
  });

  // The counties' and townships' centres with their names: the map's only background without tiles.
  var places = L.layerGroup(data.places.map(function (p) {
    return L.circleMarker([p[0], p[1]], { radius: p[3] === "county" ? 6 : 4, className: "map-place map-place-" + p[3], interactive: false })
      .bindTooltip(document.createTextNode(p[2]), { permanent: true, direction: "right", className: "map-place-label" });
  })).addTo(map);

  function popupContent(info) {
    var box = document.createElement("div"), title = document.createElement("strong"), line = document.createElement("div");
    box.className = "map-popup";
    title.textContent = info.number ? labels.number + " " + info.number : info.species;
    box.appendChild(title);
    line.textContent = info.number ? info.species + " · " + labels.date + " " + info.date : "";
    box.appendChild(line);
    if (info.url) {
      var link = document.createElement("a");
      link.href = info.url; link.className = "map-claim-link"; link.textContent = labels.open;
      box.appendChild(link);
    }
    return box;
  }

  function openPopup(marker, point) {
    if (point[2] === null) {  // a claim the reader may not open: its animal only
      marker.bindPopup(popupContent({ species: speciesName(point[3]) })).openPopup();
      return;
    }
    marker.bindPopup(labels.loading).openPopup();
    fetch(data.claim + point[2], { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (info) { marker.setPopupContent(popupContent(info)); })
      .catch(function () { marker.setPopupContent(labels.failed); });
  }

  function cluster(points, kind) {
    var icon = L.divIcon({ className: "map-point map-point-" + kind, iconSize: [18, 18] });
    var group = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 50 });
    group.addLayers(points.map(function (p) {
      var marker = L.marker([p[0], p[1]], { icon: icon, keyboard: true, title: speciesName(p[3]), alt: speciesName(p[3]) });
      marker.on("click", function () { openPopup(marker, p); });
      return marker;
    }));
    return group;
  }

  say(labels.loading);
  fetch(data.points, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
    .then(function (answer) {
      var bounds = L.latLngBounds([]);
      answer.incidents.concat(answer.surveys).forEach(function (p) { bounds.extend([p[0], p[1]]); });
      if (bounds.isValid()) { fitTo(bounds); }
      var incidents = cluster(answer.incidents, "incident").addTo(map);
      var surveys = cluster(answer.surveys, "survey").addTo(map);
      var heat = L.heatLayer(answer.incidents.map(function (p) { return [p[0], p[1], 1]; }), { radius: 20, blur: 15, maxZoom: 14 });
      var overlays = {};
      overlays[labels.incidents] = incidents;
      overlays[labels.surveys] = surveys;
      overlays[labels.heat] = heat;
      overlays[labels.places] = places;
      var control = L.control.layers(null, overlays, { collapsed: true }).addTo(map);
      var toggle = control.getContainer().querySelector(".leaflet-control-layers-toggle");
      toggle.title = labels.layers; toggle.setAttribute("aria-label", labels.layers);
      var text = fill(labels.loaded, { incidents: answer.incidents.length, surveys: answer.surveys.length });
      say(answer.capped ? text + " " + labels.capped : text);
    })
    .catch(function (error) { say(labels.failed); window.console.error(error); });

  function fitTo(bounds) {
    var zoom = 13;  // points: close enough to see the fields around them
    if (!bounds.isValid()) {
      data.places.forEach(function (p) { bounds.extend([p[0], p[1]]); });
      zoom = 9;  // only the area's centres: a county's whole extent
    }
    if (bounds.isValid()) {
      map.fitBounds(bounds.pad(0.1), { maxZoom: zoom, animate: false });  // no zoom animation under thousands of markers
    } else {
      map.setView([27.6, 111.7], 7);  // Hunan, when nothing in the area has a position
    }
  }
})();
