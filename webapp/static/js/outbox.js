/* The outbox: the one write path of the offline-capable pages (docs/sync-protocol.md).
 *
 * Every entry goes into IndexedDB first, online or not, and is flushed to the server when it
 * can be: blobs one per request (PUT /sync/blobs/<sha256>), then entries in batches of at most
 * 50 (POST /sync/push). An entry leaves the outbox only after the server acknowledged it
 * (applied, duplicate, conflict or rejected); its bytes go at the same moment. An expired
 * session (401) or CSRF token (400 {"error": "csrf"}) keeps everything and asks the user to
 * log in again; the next page (with a fresh token) resumes.
 *
 * crypto.subtle and crypto.randomUUID exist only in a secure context: localhost and 127.0.0.1
 * are secure, a showroom LAN deployment must be served over HTTPS.
 *
 * Stores: entries (id → entry + local state), blobs (sha256 → {bytes: ArrayBuffer, mime}),
 * meta (device id, next seq), done (what was acknowledged, without sensitive data, so the
 * page can still show it offline; cleared on logout). Bytes are kept as ArrayBuffer, not Blob,
 * because Safari does not keep Blob objects in IndexedDB reliably.
 */
(function (global) {
  "use strict";

  var DB_NAME = "showroom-outbox";
  var DB_VERSION = 1;
  var BATCH = 50;
  var BATCH_BYTES = 240 * 1024; // below the server's 256 KB
  var MAX_DELAY = 5 * 60 * 1000;
  // Payload fields that are sensitive personal data: never copied into the "done" store.
  var SENSITIVE = { id_number: true };

  var dbPromise = null;
  var listeners = [];
  var flushing = null;
  var retryTimer = null;
  var failures = 0;
  var authNeeded = false;
  // Whose entries this page may send: after an expired session another person may log in
  // on the same tablet; their session must not send the first person's entries.
  var currentUser = null;

  function supported() {
    return !!(global.indexedDB && global.idb && global.crypto && global.crypto.subtle);
  }

  function open() {
    if (!dbPromise) {
      dbPromise = global.idb.openDB(DB_NAME, DB_VERSION, {
        upgrade: function (db) {
          var entries = db.createObjectStore("entries", { keyPath: "id" });
          entries.createIndex("seq", "seq");
          db.createObjectStore("blobs");
          db.createObjectStore("meta");
          db.createObjectStore("done", { keyPath: "id" });
        },
      });
    }
    return dbPromise;
  }

  function emit(detail) {
    listeners.forEach(function (fn) {
      try { fn(detail); } catch (e) { /* a listener's error must not stop the outbox */ }
    });
  }

  function uuid() {
    if (global.crypto.randomUUID) return global.crypto.randomUUID();
    var b = global.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (x) {
      return (x + 0x100).toString(16).slice(1);
    }).join("");
  }

  /* SHA-256 of bytes (ArrayBuffer), as lower-case hex. */
  function hash(bytes) {
    return global.crypto.subtle.digest("SHA-256", bytes).then(hex);
  }

  /* The tablet's clock with its offset, e.g. 2026-11-27T10:31:05+08:00: shown, never trusted. */
  function localIso(d) {
    function two(n) { return (n < 10 ? "0" : "") + n; }
    var off = -d.getTimezoneOffset();
    var sign = off >= 0 ? "+" : "-";
    off = Math.abs(off);
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + "T" +
      two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds()) +
      sign + two(Math.floor(off / 60)) + ":" + two(off % 60);
  }

  function csrfToken() {
    var meta = document.querySelector("meta[name=csrf-token]");
    if (meta) return meta.getAttribute("content");
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  /* Add an entry (and the blobs it references) in one transaction; the seq is taken there.
   * blobs: [{sha256, bytes: ArrayBuffer, mime, purpose}]. Resolves with the stored entry. */
  function enqueue(kind, payload, blobs) {
    blobs = blobs || [];
    return open().then(function (db) {
      var tx = db.transaction(["entries", "blobs", "meta"], "readwrite");
      var meta = tx.objectStore("meta");
      var entry;
      return Promise.all([meta.get("device"), meta.get("seq")]).then(function (got) {
        var device = got[0];
        var seq = got[1] || 1;
        if (!device) {
          device = "d-" + uuid();
          meta.put(device, "device");
        }
        meta.put(seq + 1, "seq");
        blobs.forEach(function (b) {
          tx.objectStore("blobs").put(
            { bytes: b.bytes, mime: b.mime, purpose: b.purpose, uploaded: false }, b.sha256
          );
        });
        entry = {
          id: uuid(),
          device: device,
          seq: seq,
          kind: kind,
          created_at: localIso(new Date()),
          payload: payload,
          // local bookkeeping, never sent
          blobs: blobs.map(function (b) { return b.sha256; }),
          user: currentUser,
          state: "local",
          attempts: 0,
        };
        tx.objectStore("entries").put(entry);
        return tx.done;
      }).then(function () {
        emit({ id: entry.id, state: "local", entry: entry });
        schedule(0);
        return entry;
      });
    });
  }

  /* Every entry still in the outbox and every acknowledged one, in seq order. */
  function list() {
    return open().then(function (db) {
      return Promise.all([db.getAllFromIndex("entries", "seq"), db.getAll("done")]);
    }).then(function (got) {
      var all = got[0].concat(got[1]);
      all.sort(function (a, b) { return a.seq - b.seq; });
      return all;
    });
  }

  function status(id) {
    return open().then(function (db) {
      return Promise.all([db.get("entries", id), db.get("done", id)]);
    }).then(function (got) {
      var e = got[0] || got[1];
      return e ? e.state : null;
    });
  }

  function getBlob(sha256) {
    return open().then(function (db) { return db.get("blobs", sha256); });
  }

  function pendingCount() {
    return open().then(function (db) { return db.count("entries"); });
  }

  function wire(entry) {
    return {
      id: entry.id, device: entry.device, seq: entry.seq, kind: entry.kind,
      created_at: entry.created_at, payload: entry.payload,
    };
  }

  function doneRecord(entry, state, answer) {
    var payload = {};
    Object.keys(entry.payload || {}).forEach(function (k) {
      if (!SENSITIVE[k]) payload[k] = entry.payload[k];
    });
    if (entry.payload && entry.payload.id_number) {
      payload.last4 = String(entry.payload.id_number).slice(-4);
    }
    return {
      id: entry.id, seq: entry.seq, kind: entry.kind, created_at: entry.created_at,
      payload: payload, state: state, reason: (answer && answer.reason) || "",
    };
  }

  var AuthError = function () { this.auth = true; };
  var HttpError = function (status) { this.status = status; };

  function isCsrf(response) {
    if (response.status !== 400) return Promise.resolve(false);
    return response.clone().json().then(function (body) {
      return body && body.error === "csrf";
    }, function () { return false; });
  }

  function checkAuth(response) {
    if (response.status === 401) throw new AuthError();
    return isCsrf(response).then(function (csrf) {
      if (csrf) throw new AuthError();
      return response;
    });
  }

  /* Upload every blob a waiting entry needs that the server has not confirmed. */
  function uploadBlobs(db, entries) {
    var needed = {};
    entries.forEach(function (e) { (e.blobs || []).forEach(function (s) { needed[s] = e; }); });
    var shas = Object.keys(needed);
    var chain = Promise.resolve();
    shas.forEach(function (sha) {
      chain = chain.then(function () { return db.get("blobs", sha); }).then(function (blob) {
        if (!blob || blob.uploaded) return null;
        var url = "/sync/blobs/" + sha + "?purpose=" + encodeURIComponent(blob.purpose || "");
        return fetch(url, {
          method: "PUT",
          credentials: "same-origin",
          headers: { "Content-Type": blob.mime, "X-CSRFToken": csrfToken() },
          body: blob.bytes,
        }).then(checkAuth).then(function (response) {
          if (response.ok) {
            blob.uploaded = true;
            return db.put("blobs", blob, sha);
          }
          if (response.status === 413 || response.status === 415 || response.status === 422) {
            return response.json().catch(function () { return {}; }).then(function (body) {
              // A checksum mismatch is a cut-off upload: the bytes here are whole, send again.
              if (body && body.error === "hash_mismatch") throw new HttpError(response.status);
              // Otherwise the server will never take these bytes: the entry needs a person.
              return markAttention(db, needed[sha], "blob_" + ((body && body.error) || response.status));
            });
          }
          throw new HttpError(response.status);
        });
      });
    });
    return chain;
  }

  function markAttention(db, entry, reason) {
    entry.state = "attention";
    entry.reason = reason;
    return db.put("entries", entry).then(function () {
      emit({ id: entry.id, state: "attention", entry: entry });
    });
  }

  /* Drop the entry and the bytes no other waiting entry needs; keep a note of the answer. */
  function acknowledge(db, entry, state, answer) {
    var tx = db.transaction(["entries", "blobs", "done"], "readwrite");
    tx.objectStore("entries").delete(entry.id);
    tx.objectStore("done").put(doneRecord(entry, state, answer));
    return tx.objectStore("entries").getAll().then(function (rest) {
      var still = {};
      rest.forEach(function (e) { (e.blobs || []).forEach(function (s) { still[s] = true; }); });
      (entry.blobs || []).forEach(function (sha) {
        if (!still[sha]) tx.objectStore("blobs").delete(sha);
      });
      return tx.done;
    }).then(function () {
      emit({ id: entry.id, state: state, entry: entry, answer: answer });
    });
  }

  function handleResults(db, batch, body) {
    var byId = {};
    batch.forEach(function (e) { byId[e.id] = e; });
    var chain = Promise.resolve();
    var waiting = false;
    (body.results || []).forEach(function (answer) {
      var entry = byId[answer.id];
      if (!entry) return;
      chain = chain.then(function () {
        if (answer.status === "applied" || answer.status === "duplicate" || answer.status === "conflict") {
          return acknowledge(db, entry, "synced", answer);
        }
        if (answer.status === "rejected") {
          return acknowledge(db, entry, "attention", answer);
        }
        // waiting: for a blob (upload it again) or for another entry; try later.
        waiting = true;
        entry.state = "local";
        entry.attempts = (entry.attempts || 0) + 1;
        var missing = answer.missing || [];
        return Promise.all(missing.map(function (sha) {
          return db.get("blobs", sha).then(function (blob) {
            if (blob && blob.uploaded) {
              blob.uploaded = false;
              return db.put("blobs", blob, sha);
            }
            return null;
          });
        })).then(function () { return db.put("entries", entry); });
      });
    });
    return chain.then(function () { return waiting; });
  }

  function batches(entries) {
    var out = [];
    var current = [];
    var size = 0;
    entries.forEach(function (e) {
      var n = JSON.stringify(wire(e)).length + 1;
      if (current.length && (current.length >= BATCH || size + n > BATCH_BYTES)) {
        out.push(current);
        current = [];
        size = 0;
      }
      current.push(e);
      size += n;
    });
    if (current.length) out.push(current);
    return out;
  }

  function pushAll(db, entries) {
    var groups = batches(entries);
    var waiting = false;
    var chain = Promise.resolve();
    groups.forEach(function (group) {
      chain = chain.then(function () {
        return fetch("/sync/push", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
          body: JSON.stringify({ device: group[0].device, entries: group.map(wire) }),
        }).then(checkAuth).then(function (response) {
          if (!response.ok) throw new HttpError(response.status);
          return response.json();
        }).then(function (body) {
          return handleResults(db, group, body);
        }).then(function (w) { waiting = waiting || w; });
      });
    });
    return chain.then(function () { return waiting; });
  }

  /* One pass: blobs, then entries. Resolves with {pending, auth, error}. */
  function flush() {
    if (flushing) return flushing;
    if (authNeeded) return Promise.resolve(summary({ auth: true }));
    flushing = open().then(function (db) {
      return db.getAllFromIndex("entries", "seq").then(function (entries) {
        var todo = entries.filter(mine);
        if (!todo.length) return false;
        if (global.navigator && global.navigator.onLine === false) throw new HttpError(0);
        return uploadBlobs(db, todo).then(function () {
          return db.getAllFromIndex("entries", "seq");
        }).then(function (fresh) {
          var send = fresh.filter(mine);
          return send.length ? pushAll(db, send) : false;
        });
      });
    }).then(function (waiting) {
      failures = waiting ? failures + 1 : 0;
      if (waiting) schedule(backoff());
      return summary({});
    }, function (err) {
      if (err && err.auth) {
        authNeeded = true;
        emit({ auth: true });
        return summary({ auth: true });
      }
      failures += 1;
      schedule(backoff());
      return summary({ error: (err && err.status) || "network" });
    }).then(function (result) {
      flushing = null;
      emit({ flushed: true, result: result });
      return result;
    });
    return flushing;
  }

  function mine(entry) {
    return entry.state !== "attention" && entry.user === currentUser;
  }

  function summary(extra) {
    return { auth: !!extra.auth, error: extra.error || null };
  }

  /* Exponential backoff with full jitter: 1 s, 2 s, 4 s … up to 5 minutes. */
  function backoff() {
    var ceiling = Math.min(MAX_DELAY, 1000 * Math.pow(2, Math.min(failures, 12)));
    return Math.round(ceiling / 2 + Math.random() * ceiling / 2);
  }

  function schedule(delay) {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = setTimeout(function () {
      retryTimer = null;
      flush();
    }, delay);
  }

  /* Flush now (a person asked, or the network came back): forget the backoff. */
  function kick() {
    failures = 0;
    schedule(0);
  }

  /* Remove everything the tablet holds (logout). The device id and seq stay: a device's
   * sequence numbers must keep increasing. */
  function clear() {
    return open().then(function (db) {
      var tx = db.transaction(["entries", "blobs", "done"], "readwrite");
      tx.objectStore("entries").clear();
      tx.objectStore("blobs").clear();
      tx.objectStore("done").clear();
      return tx.done;
    });
  }

  function start() {
    if (!supported()) return;
    if (global.navigator.storage && global.navigator.storage.persist) {
      global.navigator.storage.persisted().then(function (yes) {
        if (!yes) return global.navigator.storage.persist();
        return true;
      }).catch(function () { /* best effort */ });
    }
    global.addEventListener("online", kick);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") kick();
    });
    if (global.navigator.serviceWorker) {
      global.navigator.serviceWorker.addEventListener("message", function (event) {
        if (event.data && event.data.type === "OUTBOX_FLUSH") kick();
      });
      // Background Sync where the browser has it: the worker wakes this page to flush.
      global.navigator.serviceWorker.ready.then(function (reg) {
        if (reg.sync && reg.sync.register) return reg.sync.register("outbox");
        return null;
      }).catch(function () { /* not available: online/visibility events do the work */ });
    }
    schedule(0);
  }

  global.Outbox = {
    supported: supported,
    enqueue: enqueue,
    flush: flush,
    kick: kick,
    status: status,
    list: list,
    getBlob: getBlob,
    pendingCount: pendingCount,
    hash: hash,
    clear: clear,
    start: start,
    setUser: function (id) { currentUser = id; },
    onChange: function (fn) { listeners.push(fn); },
    get authNeeded() { return authNeeded; },
  };
})(window);
