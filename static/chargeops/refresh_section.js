// Reload a section of the page from a fresh copy of the same page:
// - data-refresh-while-waiting="ms" (a pile's recent commands) until the fresh copy no longer
//   waits for an answer;
// - data-refresh-every="ms" (live power) for as long as the page is open, skipping while the
//   tab is hidden. Charts in the fresh copy are drawn again (charts.js).
(function () {
  function fresh(section) {
    return fetch(window.location.href, { headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return null;
        var copy = new DOMParser().parseFromString(html, "text/html").getElementById(section.id);
        if (!copy) return null;
        section.replaceWith(copy);
        if (window.chargeopsCharts) window.chargeopsCharts(copy, { animation: false });
        return copy;
      })
      .catch(function () { return section; });
  }

  function whileWaiting(section) {
    var delay = parseInt(section.dataset.refreshWhileWaiting, 10) || 3000;
    setTimeout(function () {
      fresh(section).then(function (copy) {
        if (copy && copy.dataset.refreshWhileWaiting) whileWaiting(copy);
      });
    }, delay);
  }

  function every(section) {
    var delay = parseInt(section.dataset.refreshEvery, 10) || 5000;
    setTimeout(function () {
      if (document.hidden) return every(section);
      fresh(section).then(function (copy) { every(copy || section); });
    }, delay);
  }

  document.querySelectorAll("[data-refresh-while-waiting]").forEach(whileWaiting);
  document.querySelectorAll("[data-refresh-every]").forEach(every);
})();
