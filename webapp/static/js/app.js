/* App shell behaviour: service worker registration and the "update ready" prompt. */
(function () {
  "use strict";

  var registration = null;

  function showUpdate(worker) {
    var banner = document.getElementById("update-banner");
    var button = document.getElementById("update-reload");
    if (!banner || !button) return;
    banner.hidden = false;
    button.disabled = false;
    button.onclick = function () {
      button.disabled = true;
      worker.postMessage({ type: "SKIP_WAITING" });
    };
  }

  /* Boosted navigation replaces <body>, banner included: show it again while a worker waits. */
  function recheck() {
    if (registration && registration.waiting && navigator.serviceWorker.controller) {
      showUpdate(registration.waiting);
    }
  }

  function register() {
    if (!("serviceWorker" in navigator)) return;
    var url = document.body.getAttribute("data-sw");
    if (!url) return;
    /* The first worker claims the page too (clients.claim): that is no update, so no reload,
       or the page would reload under the user's fingers on the first visit. */
    var hadController = !!navigator.serviceWorker.controller;
    var refreshing = false;
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      if (!hadController) {
        hadController = true;
        return;
      }
      if (refreshing) return;
      refreshing = true;
      window.location.reload();
    });
    navigator.serviceWorker.register(url, { scope: "/" }).then(function (reg) {
      registration = reg;
      recheck();
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
    document.addEventListener("htmx:afterSettle", recheck);
  }

  /* Boosted navigation swaps <body> only: keep <html lang> in step with the page that came
     back (after "English" / "简体中文" the whole document changes language). */
  document.addEventListener("htmx:afterSwap", function (evt) {
    var xhr = evt.detail && evt.detail.xhr;
    var text = xhr && xhr.responseText;
    if (typeof text !== "string") return;
    var match = /<html[^>]*\slang="([^"]+)"/i.exec(text.slice(0, 500));
    if (match) document.documentElement.lang = match[1];
  });

  /* A refused form (422) comes back with its errors: bring the first wrong field into view
     and put the cursor there, so the salesperson need not hunt for it on a long form. */
  document.addEventListener("htmx:afterSettle", function (evt) {
    var xhr = evt.detail && evt.detail.xhr;
    if (!xhr || xhr.status !== 422) return;
    var field = document.querySelector("main [aria-invalid='true']");
    if (!field) return;
    field.scrollIntoView({ block: "center" });
    field.focus({ preventScroll: true });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", register);
  } else {
    register();
  }
})();
