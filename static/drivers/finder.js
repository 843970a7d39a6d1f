// The driver portal's station pages: "Use my location" (the page reloads with lat and lng), the
// map of the stations, and "Navigate", which hands the station's coordinates to the phone's map
// application. The words come from the page (data-label-*).
(function () {
  "use strict";

  // Android's map applications answer geo: links; an iPhone's Apple Maps answers
  // maps.apple.com. Anything else keeps the link's own OpenStreetMap directions. Chosen on the
  // click, so the links of a list that reloaded itself work too.
  function mapsUrl(link) {
    var ua = navigator.userAgent || "";
    var lat = link.dataset.lat;
    var lng = link.dataset.lng;
    if (/android/i.test(ua)) {
      var name = (link.dataset.name || "").replace(/[()]/g, " ");
      return "geo:" + lat + "," + lng + "?q=" + lat + "," + lng + "(" + encodeURIComponent(name) + ")";
    }
    // iPadOS says it is a Mac; a Mac has no touch screen.
    if (/iphone|ipad|ipod/i.test(ua) || (/macintosh/i.test(ua) && navigator.maxTouchPoints > 1)) {
      return "https://maps.apple.com/?daddr=" + lat + "," + lng;
    }
    return null;
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-navigate]") : null;
    if (!link) return;
    var url = mapsUrl(link);
    if (url) {
      link.href = url;
      link.removeAttribute("target");
    }
  });

  // The button stays hidden where the browser cannot tell the position (no geolocation, or a
  // page not served over HTTPS); typing a place still works there.
  var locate = document.getElementById("finder-locate");
  var status = document.getElementById("finder-status");
  if (locate && status && navigator.geolocation && window.isSecureContext) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      locate.disabled = true;
      status.textContent = locate.dataset.labelLocating;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          var url = new URL(window.location.href);
          url.searchParams.delete("q");
          url.searchParams.set("lat", position.coords.latitude.toFixed(5));
          url.searchParams.set("lng", position.coords.longitude.toFixed(5));
          window.location.assign(url.toString());
        },
        function () {
          locate.disabled = false;
          status.textContent = locate.dataset.labelDenied;
        },
        { enableHighAccuracy: false, timeout: 15000, maximumAge: 60000 }
      );
    });
  }

  var el = document.getElementById("finder-map");
  var data = document.getElementById("finder-points");
  if (!el || !data || typeof L === "undefined") return;
  var info = JSON.parse(data.textContent);
  var map = L.map(el, { scrollWheelZoom: false }).setView([30, 0], 2);
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19,
    attribution: "&copy; OpenStreetMap contributors",
  }).addTo(map);

  function line(tag, text, className) {
    var node = document.createElement(tag);
    node.textContent = text;
    if (className) node.className = className;
    return node;
  }
  // Popups are built as elements: Leaflet would read a string as HTML, and names are typed text.
  function popup(point) {
    var box = document.createElement("div");
    box.className = "map-popup";
    var link = document.createElement("a");
    link.href = point.url;
    link.appendChild(line("strong", point.name));
    box.appendChild(link);
    box.appendChild(line("div", point.address, "muted"));
    var words = el.dataset.labelAvailable.replace(/%\((\w+)\)s/g, function (_, key) { return point[key]; });
    box.appendChild(line("div", words));
    return box;
  }

  // With an origin, the map shows it and the nearest stations (the list is sorted by distance);
  // without one, every station.
  var bounds = [];
  info.points.forEach(function (point, index) {
    L.marker([point.lat, point.lng], { title: point.name }).addTo(map).bindPopup(popup(point));
    if (info.focus === null || index < info.focus) bounds.push([point.lat, point.lng]);
  });
  if (info.origin) {
    L.circleMarker(info.origin, { radius: 8, color: "#fff", weight: 3, fillColor: "#1d4ed8", fillOpacity: 1 })
      .addTo(map)
      .bindPopup(line("strong", el.dataset.labelOrigin));
    bounds.push(info.origin);
  }
  if (bounds.length) map.fitBounds(bounds, { padding: [28, 28], maxZoom: 15 });
})();
