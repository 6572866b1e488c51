/* App shell behaviour: service worker registration and the "update ready" prompt. */
(function () {
  "use strict";

  function showUpdate(worker) {
    var banner = document.getElementById("update-banner");
    var button = document.getElementById("update-reload");
    if (!banner || !button) return;
    banner.hidden = false;
    button.onclick = function () {
      button.disabled = true;
      worker.postMessage({ type: "SKIP_WAITING" });
    };
  }

  function register() {
    if (!("serviceWorker" in navigator)) return;
    var url = document.body.getAttribute("data-sw");
    if (!url) return;
    var refreshing = false;
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      if (refreshing) return;
      refreshing = true;
      window.location.reload();
    });
    navigator.serviceWorker.register(url, { scope: "/" }).then(function (reg) {
      if (reg.waiting && navigator.serviceWorker.controller) showUpdate(reg.waiting);
      reg.addEventListener("updatefound", function () {
        var installing = reg.installing;
        if (!installing) return;
        installing.addEventListener("statechange", function () {
          if (installing.state === "installed" && navigator.serviceWorker.controller) {
            showUpdate(installing);
          }
        });
      });
    }).catch(function () { /* the app works without a worker */ });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", register);
  } else {
    register();
  }
})();
