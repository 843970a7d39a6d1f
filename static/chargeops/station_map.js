// A station's map: shows its marker, or (on the station form) picks the coordinates.
(function () {
  "use strict";
  var el = document.getElementById("station-map");
  if (!el || typeof L === "undefined") return;
  var latInput = document.querySelector("[data-map=lat]");
  var lngInput = document.querySelector("[data-map=lng]");
  var picker = el.dataset.picker === "1";

  function readPoint() {
    var lat = parseFloat(picker ? latInput.value : el.dataset.lat);
    var lng = parseFloat(picker ? lngInput.value : el.dataset.lng);
    if (isNaN(lat) || isNaN(lng) || lat < -90 || lat > 90 || lng < -180 || lng > 180) return null;
    return L.latLng(lat, lng);
  }

  var start = readPoint();
  var map = L.map(el).setView(start || [30, 0], start ? 14 : 2);
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19,
    attribution: "&copy; OpenStreetMap contributors",
  }).addTo(map);

  var marker = null;
  function place(point) {
    if (!marker) {
      marker = L.marker(point, { draggable: picker }).addTo(map);
      if (picker) marker.on("dragend", function () { write(marker.getLatLng()); });
      if (el.dataset.name) {
        // As text: Leaflet would parse a string popup as HTML.
        var label = document.createElement("strong");
        label.textContent = el.dataset.name;
        marker.bindPopup(label);
      }
    } else {
      marker.setLatLng(point);
    }
  }
  function write(point) {
    latInput.value = point.lat.toFixed(6);
    lngInput.value = L.Util.wrapNum(point.lng, [-180, 180], true).toFixed(6);
  }
  if (start) place(start);
  if (!picker) return;

  map.on("click", function (event) {
    place(event.latlng);
    write(event.latlng);
  });
  [latInput, lngInput].forEach(function (input) {
    input.addEventListener("change", function () {
      var point = readPoint();
      if (point) { place(point); map.setView(point, Math.max(map.getZoom(), 15), { animate: false }); }
    });
  });
})();
