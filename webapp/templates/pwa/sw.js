/* Service worker: precaches the versioned app shell, serves the offline page, and keeps the
   test-drive packets (page + route map) the salesperson opened or listed online, so they
   open in the car without a network. Other pages carry personal data and are never cached.
   The packet cache is emptied on logout (static/js/app.js). */
const VERSION = "{{ version }}";
const SHELL_CACHE = "shell-" + VERSION;
const PACKET_CACHE = "packets";
const SHELL = {{ shell|safe }};
const OFFLINE_URL = SHELL[0];
// The pages the areas keep for offline use, from the server's registry of offline kinds.
const OFFLINE_PATHS = {{ offline_paths|safe }}.map((source) => new RegExp(source));
const PACKET_PATH = { test: (path) => OFFLINE_PATHS.some((re) => re.test(path)) };
const STATIC_PREFIX = {{ url_for('static', filename='')|tojson }};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)));
  /* No skipWaiting here: the page asks the user first ("update ready"). */
});

/* Kept packet pages name the static files of the version that served them: fetch them again
   so that, after an update, they still open offline with the new shell. */
function refreshPackets() {
  return caches.open(PACKET_CACHE).then((cache) =>
    cache.keys().then((keys) => Promise.all(keys.map((req) => keep(req.url).catch(() => null))))
  );
}

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) =>
      Promise.all(keys.filter((k) => k.startsWith("shell-") && k !== SHELL_CACHE).map((k) => caches.delete(k)))
    ).then(() => self.clients.claim()).then(() => { refreshPackets(); })
  );
});

/* Fetch a packet page (or map) and keep it; a redirect (to the login) or an error is not kept. */
function keep(url) {
  return fetch(url, { credentials: "same-origin", cache: "no-store" }).then((response) => {
    if (response.ok && !response.redirected) {
      const copy = response.clone();
      return caches.open(PACKET_CACHE).then((cache) => cache.put(url, copy)).then(() => response);
    }
    return response;
  });
}

function keepPacket(path) {
  const url = new URL(path, self.location.origin);
  if (url.origin !== self.location.origin || !PACKET_PATH.test(url.pathname)) return Promise.resolve();
  return keep(url.origin + url.pathname).then((response) => {
    if (!response.ok || response.redirected || url.pathname.endsWith("/map")) return null;
    return response.text().then((html) => {
      const map = url.pathname + "/map";
      return html.includes(map) ? keep(url.origin + map).catch(() => null) : null;
    });
  });
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "SKIP_WAITING") {
    self.skipWaiting();
  } else if (data.type === "CACHE_PACKETS" && Array.isArray(data.urls)) {
    event.waitUntil(Promise.all(data.urls.slice(0, 50).map((u) => keepPacket(u).catch(() => null))));
  }
});

/* Background Sync (where the browser has it): wake the open packet pages to flush. */
self.addEventListener("sync", (event) => {
  if (event.tag !== "outbox") return;
  event.waitUntil(
    self.clients.matchAll({ type: "window" }).then((clients) =>
      clients.forEach((client) => client.postMessage({ type: "OUTBOX_FLUSH" }))
    )
  );
});

/* Network first for packets: the freshest copy when online, the kept one in the car. */
function packetResponse(request, url) {
  const key = url.origin + url.pathname;
  return keep(key).then((response) => {
    /* A navigation may not be answered with a followed redirect (the login): redirect it. */
    if (response.redirected) return Response.redirect(response.url, 303);
    if (response.status < 500) return response;
    return caches.match(key, { ignoreVary: true }).then((hit) => hit || response);
  }).catch(() =>
    caches.match(key, { ignoreVary: true }).then((hit) => {
      if (hit) return hit;
      if (request.mode === "navigate") return caches.match(OFFLINE_URL);
      return Response.error();
    })
  );
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (PACKET_PATH.test(url.pathname) && !url.search && !request.headers.get("HX-Request")) {
    event.respondWith(packetResponse(request, url));
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE_URL)));
    return;
  }
  if (url.pathname.startsWith(STATIC_PREFIX) && url.searchParams.has("v")) {
    event.respondWith(
      caches.match(request).then((hit) => hit || fetch(request).then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(SHELL_CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      }))
    );
  }
});

/* Web Push (webapp/push): the payload is {kind, id, url, title}, nothing personal. The
   notification shows the neutral title; the tag is the topic (kind-id), so a newer notice
   about the same record replaces the older one. */
const PUSH_ICON = "{{ url_for('static', filename='img/icon-192.png') }}";
const INBOX_URL = {{ url_for('push.inbox')|tojson }};

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (e) {
    data = {};
  }
  const url = typeof data.url === "string" && data.url.startsWith("/") && !data.url.startsWith("//")
    ? data.url : INBOX_URL;
  const tag = String(data.kind || "generic") + "-" + String(data.id == null ? "" : data.id);
  event.waitUntil(
    self.registration.showNotification(String(data.title || "FTMS"), {
      body: "",
      icon: PUSH_ICON,
      badge: PUSH_ICON,
      tag: tag,
      renotify: true,
      data: { url: url },
    })
  );
});

/* A click focuses an open window of the app and sends it to the page, or opens a new one. */
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const path = (event.notification.data && event.notification.data.url) || INBOX_URL;
  const target = new URL(path, self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((clients) => {
      for (const client of clients) {
        if (new URL(client.url).origin === self.location.origin && "focus" in client) {
          return client.focus().then((focused) => {
            const win = focused || client;
            return "navigate" in win ? win.navigate(target) : self.clients.openWindow(target);
          }).catch(() => self.clients.openWindow(target));
        }
      }
      return self.clients.openWindow(target);
    })
  );
});
