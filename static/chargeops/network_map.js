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
  var bounds = [];
  points.forEach(function (p) {
    var popup =
      '<div class="map-popup"><a href="' + text(p.url) + '"><strong>' + text(p.name) + "</strong></a>" +
      '<div class="muted">' + text(p.address) + "</div>" +
      '<div class="map-popup-counts">' +
      '<span class="badge badge-online">' + p.online + ' online</span> ' +
      '<span class="badge badge-offline">' + p.offline + ' offline</span> ' +
      '<span class="badge badge-fault">' + p.fault + ' fault</span> ' +
      '<span class="badge badge-unregistered">' + p.unregistered + ' unregistered</span>' +
      "</div><div>Live power: <strong>" + p.live_kw.toFixed(1) + " kW</strong></div></div>";
    L.marker([p.lat, p.lng], { title: p.name }).addTo(map).bindPopup(popup);
    bounds.push([p.lat, p.lng]);
  });
  if (bounds.length) map.fitBounds(bounds, { padding: [30, 30], maxZoom: 13 });
})();
