/* The outbox: the one write path of the offline-capable pages (docs/sync-protocol.md).
 *
 * Every entry goes into IndexedDB first, online or not, and is flushed to the server when it
 * can be: blobs one per request (PUT /sync/blobs/<sha256>, two at a time), then entries in
 * batches of at most 200 (POST /sync/push). An entry leaves the outbox only after the server acknowledged it
 * (applied, duplicate, conflict or rejected); its bytes go at the same moment. An expired
 * session (401) or CSRF token (400 {"error": "csrf"}) keeps everything and asks the user to
 * log in again; the next page (with a fresh token) resumes. No network, 408, 429, 503 or 507:
 * everything stays as it is and the pass is tried again later (exponential backoff).
 *
 * One entry never holds up the others. A batch the server fails on in any other way (a 5xx,
 * an HTML page, an answer that is not one result per entry) is sent once more after a pause,
 * then split in halves, recursively, until the entry it fails on stands alone; that entry is
 * set aside as "attention" (reason "server_error", or the server's error word) and the rest
 * go on in their order; what depends on it (a revision of it, a licence check after its
 * consent) is set aside with it. A blob the server keeps failing on sets its entries aside
 * the same way. Nothing is set aside before the server is known to work (another request of
 * this pass was answered, or HEAD /sync/blobs/<zeros> answers 200/404): a server that is down
 * marks nothing. Set-aside entries stay on the tablet (the server holds nothing of them) and
 * are tried again, each alone and after the others, when a page starts (those set aside after
 * server failures) or the person presses "Sync now" (all of them).
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
  var BATCH = 200; // the server's SYNC_MAX_ENTRIES
  var BATCH_BYTES = 240 * 1024; // below the server's 256 KB
  var BLOB_PARALLEL = 2; // uploads at once (the server allows a person 2 decodes at once)
  var MAX_DELAY = 5 * 60 * 1000;
  var RETRIES = 2; // sends of a failing batch (or blob) before it is split (or set aside)
  var RETRY_PAUSE = 1000; // ms between those sends (half of it, plus jitter, at least)
  // The server asks to come back later, for the whole request: nothing is split or set aside.
  var LATER = { 408: true, 429: true, 503: true, 507: true };
  var STATUSES = { applied: true, duplicate: true, conflict: true, waiting: true, rejected: true };
  function metaContent(name) {
    var meta = document.querySelector('meta[name="' + name + '"]');
    return (meta && meta.getAttribute("content")) || "";
  }
  // The server's URLs, as the page gives them (base.html, built with url_for); the app's own
  // paths on a page that does not name them.
  var PUSH_URL = metaContent("outbox-push") || "/sync/push";
  // A blob nobody holds (its hash is 64 zeros): HEAD answers 404 when the app and its
  // database work. A blob's own URL is this one with its hash in place of the zeros.
  var PROBE = metaContent("outbox-blob") || "/sync/blobs/" + new Array(65).join("0");
  function blobUrl(sha) {
    return PROBE.slice(0, -64) + sha;
  }
  // Payload fields that are sensitive personal data: never copied into the "done" store. The
  // server's registry of offline kinds names them (<meta name="outbox-sensitive">).
  var SENSITIVE = {};
  metaContent("outbox-sensitive").split(/\s+/).forEach(function (name) {
    if (name) SENSITIVE[name] = true;
  });

  var dbPromise = null;
  var listeners = [];
  var flushing = null;
  // Work added while a pass was sending (an entry saved meanwhile, "Sync now"): the running
  // pass read the outbox before it, so another pass follows at once.
  var again = false;
  var retryTimer = null;
  var failures = 0;
  var authNeeded = false;
  // Set-aside entries to try again on the next pass: "retryable" (those set aside after
  // server failures: a page started) or "all" (the person pressed "Sync now").
  var reviveNext = null;
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
        if (flushing) again = true;
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

  /* What the outbox holds: {local: waiting to be sent, attention: set aside, see above}. */
  function counts() {
    return open().then(function (db) { return db.getAll("entries"); }).then(function (entries) {
      var out = { local: 0, attention: 0 };
      entries.forEach(function (e) { out[e.state === "attention" ? "attention" : "local"] += 1; });
      return out;
    });
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
      else if (entry.payload[k]) payload.last4 = String(entry.payload[k]).slice(-4);
    });
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

  function pause() {
    return new Promise(function (resolve) {
      setTimeout(resolve, Math.round(RETRY_PAUSE * (0.5 + Math.random() / 2)));
    });
  }

  /* The `error` word of a JSON refusal, or null (an HTML page, unreadable JSON). Only a plain
   * word is kept: it is stored with the entry and mapped to a sentence, never shown as is. */
  function errorWord(response) {
    return response.json().then(function (body) {
      var word = body && body.error;
      return typeof word === "string" && /^[a-z_]{1,40}$/.test(word) ? word : null;
    }, function () { return null; });
  }

  /* Resolves once the server is known to work in this pass (see the top of the file); rejects
   * when it does not, so the pass ends and everything waits. */
  function serverWorks(run) {
    if (run.answered) return Promise.resolve();
    return fetch(PROBE, { method: "HEAD", credentials: "same-origin", cache: "no-store" })
      .then(checkAuth).then(function (response) {
        if (response.status !== 200 && response.status !== 404) throw new HttpError(response.status);
        run.answered = true;
      });
  }

  function markAttention(db, entry, reason, retryable) {
    entry.state = "attention";
    entry.reason = reason;
    entry.retryable = !!retryable;
    return db.put("entries", entry).then(function () {
      emit({ id: entry.id, state: "attention", entry: entry, reason: reason });
    });
  }

  /* Set entries aside after the server kept failing on them; retryable ones only once the
   * server is known to work (a server that fails on everything is down: then all waits). */
  function setAside(db, entries, reason, retryable, run) {
    return (retryable ? serverWorks(run) : Promise.resolve()).then(function () {
      var chain = Promise.resolve();
      entries.forEach(function (e) {
        run.aside.push(e);
        chain = chain.then(function () { return markAttention(db, e, reason, retryable); });
      });
      return chain;
    });
  }

  /* The entry set aside that this one must not go before, if any. A licence check needs its
   * booking's consent on the server (without it the server refuses the check for good), so
   * it stays with a consent set aside. (A revision waits for the note it revises: the server
   * answers it `waiting_for`, see handleResults.) */
  function heldBackBy(entry, aside) {
    if (entry.kind !== "testdrive.licence") return null;
    var booking = (entry.payload || {}).booking_id;
    for (var i = 0; i < aside.length; i++) {
      var a = aside[i];
      if (a.kind === "testdrive.consent" && (a.payload || {}).booking_id === booking) return a;
    }
    return null;
  }

  /* PUT one blob; sent once more after a pause when the server fails on it. Resolves with
   * {ok: true} or {failed: word, retryable}; rejects when everything must wait. */
  function putBlob(sha, blob, run) {
    var url = blobUrl(sha) + "?purpose=" + encodeURIComponent(blob.purpose || "");
    var tries = 0;
    function attempt() {
      return fetch(url, {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": blob.mime, "X-CSRFToken": csrfToken() },
        body: blob.bytes,
      }).then(checkAuth).then(function (response) {
        if (response.ok) {
          run.answered = true;
          return { ok: true };
        }
        if (LATER[response.status]) throw new HttpError(response.status);
        return errorWord(response).then(function (word) {
          var refused = response.status === 409 || response.status === 413 || response.status === 415 || response.status === 422;
          // A checksum mismatch is a cut-off upload: the bytes here are whole, send again.
          if (refused && word !== "hash_mismatch") {
            // The server will never take these bytes: the entry needs a person.
            if (word) run.answered = true;
            return { failed: word || String(response.status), retryable: false };
          }
          tries += 1;
          if (tries < RETRIES) return pause().then(attempt);
          return { failed: word || "server_error", retryable: true };
        });
      });
    }
    return attempt();
  }

  /* Upload every blob a waiting entry needs that the server has not confirmed (blobs before
   * entries: an entry naming a blob the server lacks only waits), BLOB_PARALLEL at a time:
   * the server re-encodes each photo, and two workers do two at once. The first upload
   * that must wait (no network, log in again, later) stops the others from starting. */
  function uploadBlobs(db, entries, run) {
    var needed = {};
    entries.forEach(function (e) {
      (e.blobs || []).forEach(function (s) { (needed[s] = needed[s] || []).push(e); });
    });
    var queue = Object.keys(needed);
    var stopped = false;
    function one(sha) {
      return db.get("blobs", sha).then(function (blob) {
        if (!blob || blob.uploaded) return null;
        return putBlob(sha, blob, run).then(function (outcome) {
          if (outcome.ok) {
            blob.uploaded = true;
            return db.put("blobs", blob, sha);
          }
          return setAside(db, needed[sha], "blob_" + outcome.failed, outcome.retryable, run);
        });
      });
    }
    function lane() {
      if (stopped || !queue.length) return Promise.resolve();
      return one(queue.shift()).then(lane, function (err) {
        stopped = true;
        throw err;
      });
    }
    var lanes = [];
    for (var i = 0; i < BLOB_PARALLEL; i++) lanes.push(lane());
    return Promise.all(lanes);
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
      emit({ id: entry.id, state: state, entry: entry, answer: answer, reason: (answer && answer.reason) || "" });
    });
  }

  /* The entry waits (for a blob: upload it again; for another entry): send it later. */
  function keepWaiting(db, entry, answer, run) {
    run.waiting = true;
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
  }

  function handleResults(db, batch, body, run) {
    var byId = {};
    batch.forEach(function (e) { byId[e.id] = e; });
    var chain = Promise.resolve();
    body.results.forEach(function (answer) {
      var entry = byId[answer.id];
      if (!entry) return;
      chain = chain.then(function () {
        if (answer.status === "applied" || answer.status === "duplicate" || answer.status === "conflict") {
          return acknowledge(db, entry, "synced", answer);
        }
        if (answer.status === "rejected") {
          return acknowledge(db, entry, "attention", answer);
        }
        if (!answer.waiting_for) return keepWaiting(db, entry, answer, run);
        // A revision of an entry set aside here would wait in vain: it needs attention too
        // (and comes back with it).
        return db.get("entries", String(answer.waiting_for)).then(function (target) {
          if (!target || target.state !== "attention") return keepWaiting(db, entry, answer, run);
          run.aside.push(entry);
          return markAttention(db, entry, "depends", true);
        });
      });
    });
    return chain;
  }

  /* One result per entry of the batch, each with a status this outbox knows. */
  function answersAll(batch, body) {
    if (!body || !Array.isArray(body.results)) return false;
    var answered = {};
    body.results.forEach(function (a) {
      if (a && STATUSES[a.status]) answered[a.id] = true;
    });
    return batch.every(function (e) { return answered[e.id]; });
  }

  /* POST one batch. Resolves with the answer, or with {failed: word} when the server failed on
   * this batch; rejects when the batch must wait as it is (no network, log in again, later). */
  function post(batch) {
    return fetch(PUSH_URL, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ device: batch[0].device, entries: batch.map(wire) }),
    }).then(checkAuth).then(function (response) {
      if (LATER[response.status]) throw new HttpError(response.status);
      if (!response.ok) {
        return errorWord(response).then(function (word) { return { failed: word || "server_error" }; });
      }
      return response.json().then(function (body) {
        return answersAll(batch, body) ? body : { failed: "server_error" };
      }, function () { return { failed: "server_error" }; });
    });
  }

  /* Send a batch; when the server keeps failing on it, its halves, down to the one entry the
   * server fails on, which is set aside. The halves go in order, so the entries of one
   * booking or card still arrive in the order they were made. */
  function sendBatch(db, batch, run) {
    var tries = 0;
    var held = batch.filter(function (e) { return heldBackBy(e, run.aside); });
    if (held.length) {
      batch = batch.filter(function (e) { return held.indexOf(e) < 0; });
      var marked = Promise.all(held.map(function (e) {
        run.aside.push(e);
        return markAttention(db, e, "depends", true);
      }));
      return marked.then(function () { return batch.length ? sendBatch(db, batch, run) : null; });
    }
    function attempt() {
      return post(batch).then(function (body) {
        if (!body.failed) {
          run.answered = true;
          return handleResults(db, batch, body, run);
        }
        tries += 1;
        if (tries < RETRIES) return pause().then(attempt);
        if (batch.length === 1) return setAside(db, batch, body.failed, true, run);
        var half = Math.ceil(batch.length / 2);
        return sendBatch(db, batch.slice(0, half), run).then(function () {
          return sendBatch(db, batch.slice(half), run);
        });
      });
    }
    return attempt();
  }

  function batches(entries) {
    var out = [];
    var current = [];
    var size = 0;
    var utf8 = new TextEncoder();
    entries.forEach(function (e) {
      // Bytes as sent (UTF-8: a Chinese character is 3), not UTF-16 units.
      var n = utf8.encode(JSON.stringify(wire(e))).length + 1;
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

  function pushAll(db, entries, run) {
    // Entries set aside before go again one by one, after the others: they hold no one up.
    var plain = entries.filter(function (e) { return !e.suspect; });
    var suspects = entries.filter(function (e) { return e.suspect; });
    var groups = batches(plain).concat(suspects.map(function (e) { return [e]; }));
    var chain = Promise.resolve();
    groups.forEach(function (group) {
      chain = chain.then(function () { return sendBatch(db, group, run); });
    });
    return chain;
  }

  /* Entries set aside get another chance (see reviveNext): each is sent alone. */
  function revive(db) {
    var all = reviveNext === "all";
    reviveNext = null;
    return db.getAll("entries").then(function (entries) {
      var chain = Promise.resolve();
      entries.forEach(function (e) {
        if (e.state !== "attention" || !(all || e.retryable) || e.user !== currentUser) return;
        e.state = "local";
        e.suspect = true;
        delete e.reason;
        chain = chain.then(function () { return db.put("entries", e); }).then(function () {
          emit({ id: e.id, state: "local", entry: e });
        });
      });
      return chain;
    });
  }

  /* One pass: blobs, then entries. Resolves with {auth, error}. */
  function flush() {
    if (flushing) return flushing;
    if (authNeeded) return Promise.resolve(summary({ auth: true }));
    // This pass does what a pass scheduled for later would have done.
    if (retryTimer) {
      clearTimeout(retryTimer);
      retryTimer = null;
    }
    // answered: the server answered a request of this pass; waiting: an entry must go again;
    // aside: the entries set aside (before or in this pass).
    var run = { answered: false, waiting: false, aside: [] };
    flushing = open().then(function (db) {
      return (reviveNext ? revive(db) : Promise.resolve()).then(function () {
        return db.getAllFromIndex("entries", "seq");
      }).then(function (entries) {
        var todo = entries.filter(mine);
        if (!todo.length) return null;
        if (global.navigator && global.navigator.onLine === false) throw new HttpError(0);
        return uploadBlobs(db, todo, run).then(function () {
          return db.getAllFromIndex("entries", "seq");
        }).then(function (fresh) {
          run.aside = fresh.filter(function (e) { return e.state === "attention"; });
          var send = fresh.filter(mine);
          return send.length ? pushAll(db, send, run) : null;
        });
      });
    }).then(function () {
      failures = run.waiting ? failures + 1 : 0;
      if (run.waiting) schedule(backoff());
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
      if (again && !result.auth) schedule(0);
      again = false;
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

  /* "Sync now": flush, and give every entry set aside another chance. */
  function retry() {
    reviveNext = "all";
    if (flushing) again = true;
    kick();
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
    if (reviveNext !== "all") reviveNext = "retryable";
    schedule(0);
  }

  global.Outbox = {
    supported: supported,
    enqueue: enqueue,
    flush: flush,
    kick: kick,
    retry: retry,
    status: status,
    list: list,
    getBlob: getBlob,
    pendingCount: pendingCount,
    counts: counts,
    hash: hash,
    clear: clear,
    start: start,
    setUser: function (id) { currentUser = id; },
    onChange: function (fn) { listeners.push(fn); },
    get authNeeded() { return authNeeded; },
  };
})(window);
