/* Web Push for this device: subscribe on the settings page, and re-save the subscription at
   every app start (a full page load), so the server always knows the current endpoint and
   keys of this browser for the logged-in user. Push is only a hint: the inbox badge (htmx
   polling) works without it. No inline script (CSP): loaded from the nav with `defer`. */
(function () {
  "use strict";
  if (window.showroomPush) return;
  window.showroomPush = true;

  var DEVICE_KEY = "push-device";
  var ENABLED_KEY = "push-enabled";

  function csrfHeaders() {
    var raw = document.body.getAttribute("hx-headers") || "{}";
    var headers = { "Content-Type": "application/json" };
    try {
      var parsed = JSON.parse(raw);
      if (parsed["X-CSRFToken"]) headers["X-CSRFToken"] = parsed["X-CSRFToken"];
    } catch (e) { /* no token: the server answers 400 */ }
    return headers;
  }

  function deviceId() {
    var id = null;
    try { id = localStorage.getItem(DEVICE_KEY); } catch (e) { id = null; }
    if (!id) {
      var bytes = new Uint8Array(16);
      crypto.getRandomValues(bytes);
      id = "p-" + Array.prototype.map.call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      }).join("");
      try { localStorage.setItem(DEVICE_KEY, id); } catch (e) { /* private mode */ }
    }
    return id;
  }

  function remember(on) {
    try { localStorage.setItem(ENABLED_KEY, on ? "1" : "0"); } catch (e) { /* ignore */ }
  }

  function wanted() {
    try { return localStorage.getItem(ENABLED_KEY) === "1"; } catch (e) { return false; }
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function isIos() {
    return /iPad|iPhone|iPod/.test(navigator.userAgent) ||
      (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  }

  function isStandalone() {
    return window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
  }

  /* Why push cannot work here, or null. */
  function problem(publicKey) {
    if (!window.isSecureContext) return "insecure";
    if (!("serviceWorker" in navigator)) return "no-sw";
    if (!("PushManager" in window) || !("Notification" in window)) {
      return isIos() && !isStandalone() ? "ios-install" : "no-push";
    }
    if (Notification.permission === "denied") return "denied";
    if (!publicKey) return "no-key";
    return null;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: csrfHeaders(),
      body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  function save(url, subscription) {
    var json = subscription.toJSON();
    return post(url, { endpoint: json.endpoint, keys: json.keys, device_id: deviceId() });
  }

  function subscribe(publicKey, saveUrl) {
    return navigator.serviceWorker.ready.then(function (registration) {
      return registration.pushManager.getSubscription().then(function (existing) {
        if (existing) return existing;
        return registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(publicKey)
        });
      });
    }).then(function (subscription) {
      return save(saveUrl, subscription);
    });
  }

  function unsubscribe(deleteUrl) {
    return navigator.serviceWorker.ready.then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) return null;
      var endpoint = subscription.endpoint;
      return subscription.unsubscribe().then(function () {
        return post(deleteUrl, { endpoint: endpoint });
      });
    });
  }

  /* App start (and a login without a full page load): re-save this device's subscription
     for the user now logged in, or renew it if push was on here. Once per user and page. */
  var resavedFor = null;

  function resave() {
    var nav = document.getElementById("inbox-link");
    if (!nav) {
      resavedFor = null;  // logged out: the next login re-saves
      return;
    }
    var user = nav.getAttribute("data-user");
    if (user === resavedFor) return;
    resavedFor = user;
    var publicKey = nav.getAttribute("data-push-key");
    var saveUrl = nav.getAttribute("data-push-save");
    if (problem(publicKey) || Notification.permission !== "granted") return;
    navigator.serviceWorker.ready.then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (subscription) {
      if (subscription) return save(saveUrl, subscription);
      if (wanted()) return subscribe(publicKey, saveUrl);
      return null;
    }).catch(function () { /* offline or refused: the next start tries again */ });
  }

  function show(panel, state) {
    var states = panel.querySelectorAll(".push-state");
    for (var i = 0; i < states.length; i++) {
      states[i].hidden = states[i].getAttribute("data-state") !== state;
    }
  }

  function settings(panel) {
    if (!panel || panel.getAttribute("data-ready")) return;
    panel.setAttribute("data-ready", "1");
    var publicKey = panel.getAttribute("data-public-key");
    var saveUrl = panel.getAttribute("data-save-url");
    var deleteUrl = panel.getAttribute("data-delete-url");
    var on = panel.querySelector("#push-on");
    var off = panel.querySelector("#push-off");
    var why = problem(publicKey);
    if (why) {
      show(panel, why);
      return;
    }
    function refresh() {
      return navigator.serviceWorker.ready.then(function (registration) {
        return registration.pushManager.getSubscription();
      }).then(function (subscription) {
        var active = !!subscription && Notification.permission === "granted";
        show(panel, active ? "on" : "off");
        on.hidden = active;
        off.hidden = !active;
      });
    }
    on.addEventListener("click", function () {
      on.disabled = true;
      Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") {
          show(panel, permission === "denied" ? "denied" : "off");
          return null;
        }
        return subscribe(publicKey, saveUrl).then(function () {
          remember(true);
          return refresh();
        });
      }).catch(function () { show(panel, "error"); }).then(function () { on.disabled = false; });
    });
    off.addEventListener("click", function () {
      off.disabled = true;
      remember(false);
      unsubscribe(deleteUrl).then(refresh).catch(function () { show(panel, "error"); })
        .then(function () { off.disabled = false; });
    });
    refresh().catch(function () { show(panel, "error"); });
  }

  function init() {
    resave();
    settings(document.getElementById("push-settings"));
    /* Boosted navigation swaps <body> (and with it the listeners on it): listen on document. */
    document.addEventListener("htmx:load", function () {
      resave();
      settings(document.getElementById("push-settings"));
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
