// The network map: a marker per station, its popup with pile counts and live power.
(function () {
  "use strict";
  var el = document.getElementById("network-map");
  var data = document.getElementById("map-points");
  if (!el || !data || typeof L === "undefined") return;
  var points = JSON.parse(data.textContent);
  var map = L.map(el).setView([30, 0], 2);
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19,
    attribution: "&copy; OpenStreetMap contributors",
  }).addTo(map);

  function text(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span.innerHTML;
  }
  // The words come translated from the page (data-label-* of the map); the numbers (and their
  // markup) go in after the words are escaped.
  function label(name, values) {
    return text(el.dataset["label" + name]).replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }
  var bounds = [];
  points.forEach(function (p) {
    var popup =
      '<div class="map-popup"><a href="' + text(p.url) + '"><strong>' + text(p.name) + "</strong></a>" +
      '<div class="muted">' + text(p.address) + "</div>" +
      '<div class="map-popup-counts">' +
      '<span class="badge badge-online">' + label("Online", { count: p.online }) + "</span> " +
      '<span class="badge badge-offline">' + label("Offline", { count: p.offline }) + "</span> " +
      '<span class="badge badge-fault">' + label("Fault", { count: p.fault }) + "</span> " +
      '<span class="badge badge-unregistered">' + label("Unregistered", { count: p.unregistered }) + "</span>" +
      "</div><div>" + label("Power", { power: "<strong>" + p.live_kw.toFixed(1) + "</strong>" }) + "</div></div>";
    L.marker([p.lat, p.lng], { title: p.name }).addTo(map).bindPopup(popup);
    bounds.push([p.lat, p.lng]);
  });
  if (bounds.length) map.fitBounds(bounds, { padding: [30, 30], maxZoom: 13 });
})();
