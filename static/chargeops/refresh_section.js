// Reload a section of the page (e.g. a pile's recent commands) while it waits for an answer:
// sections marked data-refresh-while-waiting="ms" are replaced by their fresh copy until the
// fresh copy no longer waits.
(function () {
  function refresh(section) {
    var delay = parseInt(section.dataset.refreshWhileWaiting, 10) || 3000;
    setTimeout(function () {
      fetch(window.location.pathname, { headers: { "X-Requested-With": "fetch" } })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(section.id);
          if (!fresh) return;
          section.replaceWith(fresh);
          if (fresh.dataset.refreshWhileWaiting) refresh(fresh);
        });
    }, delay);
  }
  document.querySelectorAll("[data-refresh-while-waiting]").forEach(refresh);
})();
