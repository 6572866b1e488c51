/* App shell behaviour: service worker registration, the "update ready" prompt, the offline
   test-drive packets (keeping them for the car; the logout warning and clean-up), and the
   print button of the printed forms ([data-print]). */
(function () {
  "use strict";

  /* Here, not in a page's own script: a page reached by boosted navigation runs no script of
     its own (htmx's allowScriptTags is off), and the button must work however it was opened. */
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) window.print();
  });

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
    var scope = document.body.getAttribute("data-sw-scope") || "/";
    navigator.serviceWorker.register(url, { scope: scope }).then(function (reg) {
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

  /* ---- The pages that work offline through the outbox (static/js/outbox.js): the test-drive
     packet and the delivery forms 附表十四/十五 ---- */
  var PACKET_PATH = /^\/(testdrive\/bookings\/\d+\/packet|delivery\/\d+\/checklists)$/;
  var OUTBOX_DB = "showroom-outbox";

  /* The packet page loads its own scripts: a boosted swap (body only) would not run them. */
  document.addEventListener("htmx:confirm", function (evt) {
    var path = evt.detail && evt.detail.path;
    if (!path || !evt.detail.elt || !evt.detail.elt.closest("[hx-boost]")) return;
    var url = new URL(path, window.location.href);
    if (url.origin === window.location.origin && PACKET_PATH.test(url.pathname)) {
      evt.preventDefault();
      window.location.assign(url.href);
    }
  });

  /* Keep the packets listed on this page (my day, the schedule) for the car: the worker
     fetches each page and its route map while the network is there. */
  function keepPackets() {
    if (!("serviceWorker" in navigator) || !navigator.onLine) return;
    var urls = [];
    var links = document.querySelectorAll("a[href*='/packet'], a[href*='/checklists']");
    for (var i = 0; i < links.length; i++) {
      var url = new URL(links[i].getAttribute("href"), window.location.href);
      if (url.origin === window.location.origin && PACKET_PATH.test(url.pathname) && urls.indexOf(url.pathname) < 0) {
        urls.push(url.pathname);
      }
    }
    if (PACKET_PATH.test(window.location.pathname)) urls.push(window.location.pathname);
    if (!urls.length) return;
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.active) reg.active.postMessage({ type: "CACHE_PACKETS", urls: urls });
    });
  }
  document.addEventListener("htmx:afterSettle", keepPackets);

  /* Count what the outbox still holds, without creating the database where there is none. */
  function unsyncedEntries() {
    return new Promise(function (resolve) {
      if (!window.indexedDB) return resolve({ count: 0, db: null });
      var req = window.indexedDB.open(OUTBOX_DB);
      req.onupgradeneeded = function () { req.transaction.abort(); };
      req.onerror = function () { resolve({ count: 0, db: null }); };
      req.onsuccess = function () {
        var db = req.result;
        if (!db.objectStoreNames.contains("entries")) return resolve({ count: 0, db: db });
        var count = db.transaction("entries").objectStore("entries").count();
        count.onsuccess = function () { resolve({ count: count.result, db: db }); };
        count.onerror = function () { resolve({ count: 0, db: db }); };
      };
    });
  }

  /* On logout the tablet keeps no entries and no packets: they hold personal data. */
  function clearOffline(db) {
    var jobs = [];
    if (db) {
      var stores = ["entries", "blobs", "done"].filter(function (n) { return db.objectStoreNames.contains(n); });
      if (stores.length) {
        jobs.push(new Promise(function (resolve) {
          var tx = db.transaction(stores, "readwrite");
          stores.forEach(function (n) { tx.objectStore(n).clear(); });
          tx.oncomplete = tx.onerror = tx.onabort = function () { resolve(); };
        }));
      }
    }
    if (window.caches) jobs.push(window.caches.delete("packets").catch(function () {}));
    return Promise.all(jobs).then(function () { if (db) db.close(); });
  }

  var loggingOut = false;
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (loggingOut || !form || !/\/logout$/.test(form.getAttribute("action") || "")) return;
    evt.preventDefault();
    evt.stopImmediatePropagation();
    unsyncedEntries().then(function (found) {
      // base.html may carry a translated text; else the two languages of the app.
      var warning = document.body.getAttribute("data-logout-warning") ||
        (/^zh/.test(document.documentElement.lang)
          ? "本机还有 {n} 条记录未同步，退出登录会把它们删除。仍要退出吗？"
          : "{n} entries on this tablet are not synced yet and will be deleted. Log out anyway?");
      if (found.count > 0 && !window.confirm(warning.replace("{n}", found.count))) {
        if (found.db) found.db.close();
        return;
      }
      return clearOffline(found.db).then(function () {
        loggingOut = true;
        form.submit();
      });
    });
  }, true);

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", register);
  } else {
    register();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", keepPackets);
  } else {
    keepPackets();
  }
})();
