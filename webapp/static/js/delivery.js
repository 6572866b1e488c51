/* Delivery day at the car: 附表十四 and 附表十五 on the tablet (templates/delivery/checklists.html).
 *
 * Every tick (delivery.tick) and signature (delivery.signature) goes through window.Outbox
 * (outbox.js), online or not. Next to each entry the page shows its state: saved on this
 * tablet / synced / needs attention. A form's signature pad opens once its required items are
 * ticked. After a reload offline, the page rebuilds ticks, progress and signatures from
 * IndexedDB.
 */
(function () {
  "use strict";

  var root = document.getElementById("delivery-forms");
  if (!root) return;
  var Outbox = window.Outbox;
  var delivery = parseInt(root.getAttribute("data-delivery"), 10);
  var msg = function (name) { return root.getAttribute("data-msg-" + name) || ""; };

  var slotOf = {}; // entry id → slot
  var latest = {}; // slot → {seq, id, state, kind}
  var pads = {}; // form kind → SignaturePad
  var REFUSED = {
    validation: true, permission: true, cancelled: true, unknown_kind: true, duplicate_id: true,
  };

  function formEl(kind) {
    return root.querySelector(".delivery-form[data-kind='" + kind + "']");
  }

  function slotFor(entry) {
    var p = entry.payload || {};
    if (entry.kind === "delivery.tick") return "tick:" + p.kind + ":" + p.item_key;
    if (entry.kind === "delivery.signature") return "signature:" + p.form;
    return null;
  }

  function reasonText(kind, reason) {
    if (!reason) return "";
    if (reason.indexOf("blob_") === 0) return msg("reason-signature");
    if (REFUSED[reason]) return msg("reason-refused");
    return msg("reason-server");
  }

  function showState(slot, state, why) {
    var els = root.querySelectorAll("[data-state-for='" + slot + "']");
    for (var i = 0; i < els.length; i++) {
      els[i].textContent = msg(state || "local");
      els[i].className = "entry-state state-" + state;
      if (state === "attention" && why) els[i].title = why;
      else els[i].removeAttribute("title");
    }
  }

  function track(entry, state, reason) {
    var slot = slotFor(entry);
    if (!slot) return;
    slotOf[entry.id] = slot;
    var cur = latest[slot];
    if (!cur || cur.seq <= entry.seq) {
      latest[slot] = { seq: entry.seq, id: entry.id, state: state, kind: entry.kind };
      showState(slot, state, reasonText(entry.kind, reason));
    }
  }

  /* ---- progress and the signature lock ---- */
  function refreshForm(kind) {
    var form = formEl(kind);
    if (!form) return;
    var required = form.querySelectorAll(".check-item[data-required='1'] input[type=checkbox]");
    var done = 0;
    for (var i = 0; i < required.length; i++) if (required[i].checked) done += 1;
    var ready = done === required.length;
    form.querySelector("[data-progress-for='" + kind + "']").textContent = String(done);
    document.getElementById("progress-" + kind).value = done;
    document.getElementById("signature-locked-" + kind).hidden = ready;
    document.getElementById("signature-save-" + kind).disabled = !ready;
    document.getElementById("signature-pad-" + kind).classList.toggle("is-locked", !ready);
    var pad = pads[kind];
    if (pad) {
      if (ready) pad.on();
      else pad.off();
    }
  }

  function signed(kind, bytes, mime) {
    document.getElementById("signature-wrap-" + kind).hidden = true;
    document.getElementById("signed-" + kind).hidden = false;
    var img = document.getElementById("signature-thumb-" + kind);
    if (img && bytes) {
      if (img.src && img.src.indexOf("blob:") === 0) URL.revokeObjectURL(img.src);
      img.src = URL.createObjectURL(new Blob([bytes], { type: mime || "image/png" }));
      img.hidden = false;
    }
  }

  function apply(entry, blob) {
    var p = entry.payload || {};
    if (p.delivery_id !== delivery) return;
    if (entry.kind === "delivery.tick") {
      var item = root.querySelector(".check-item[data-slot='" + slotFor(entry) + "']");
      if (item) item.querySelector("input[type=checkbox]").checked = !!p.done;
    } else if (entry.kind === "delivery.signature" && formEl(p.form)) {
      signed(p.form, blob && blob.bytes, blob && blob.mime);
    }
  }

  function restore() {
    return Outbox.list().then(function (entries) {
      var chain = Promise.resolve();
      entries.forEach(function (entry) {
        chain = chain.then(function () {
          var sha = (entry.blobs || [])[0];
          return (sha ? Outbox.getBlob(sha) : Promise.resolve(null)).then(function (blob) {
            apply(entry, blob);
            if ((entry.payload || {}).delivery_id === delivery) {
              track(entry, entry.state || "local", entry.reason);
            }
          });
        });
      });
      return chain;
    });
  }

  /* ---- the outbox bar ---- */
  var summaryTimer = null;
  function refreshSummary() {
    if (summaryTimer) return;
    summaryTimer = setTimeout(function () {
      summaryTimer = null;
      Outbox.counts().then(function (held) {
        var text;
        var bar = document.getElementById("outbox-bar");
        var hasEntries = Object.keys(latest).length > 0;
        var n = held.local + held.attention;
        var parts = [];
        if (held.local > 0 && navigator.onLine === false) parts.push(msg("offline"));
        if (held.local > 0) parts.push(msg("pending").replace("{n}", held.local));
        if (held.attention > 0) parts.push(msg("held").replace("{n}", held.attention));
        if (Outbox.authNeeded) text = msg("login");
        else if (parts.length) text = parts.join(" · ");
        else text = hasEntries ? msg("all-synced") : msg("empty");
        document.getElementById("outbox-summary").textContent = text;
        document.getElementById("outbox-login").hidden = !Outbox.authNeeded;
        document.getElementById("outbox-retry").hidden = Outbox.authNeeded || n === 0;
        bar.className = "outbox-bar" + (Outbox.authNeeded ? " is-auth" : n > 0 ? " is-pending" : hasEntries ? " is-synced" : "");
      });
    }, 50);
  }

  function enqueue(kind, payload, blobs) {
    payload.delivery_id = delivery;
    return Outbox.enqueue(kind, payload, blobs).then(function (entry) {
      track(entry, "local");
      refreshSummary();
      return entry;
    });
  }

  /* ---- writing ---- */
  function wireTicks() {
    var forms = root.querySelectorAll(".delivery-form");
    Array.prototype.forEach.call(forms, function (form) {
      var kind = form.getAttribute("data-kind");
      var checklist = parseInt(form.getAttribute("data-checklist-id"), 10);
      var items = form.querySelectorAll(".check-item");
      Array.prototype.forEach.call(items, function (item) {
        var key = item.getAttribute("data-item-key");
        var box = item.querySelector("input[type=checkbox]");
        box.addEventListener("change", function () {
          refreshForm(kind);
          enqueue("delivery.tick", {
            kind: kind, checklist_id: checklist, item_key: key, done: !!box.checked,
          });
        });
      });
    });
  }

  function sizePad(canvas, pad) {
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    var data = pad && !pad.isEmpty() ? pad.toData() : null;
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    if (pad) {
      pad.clear();
      if (data) pad.fromData(data);
    }
  }

  function wireSignature(form) {
    var kind = form.getAttribute("data-kind");
    var checklist = parseInt(form.getAttribute("data-checklist-id"), 10);
    var canvas = document.getElementById("signature-pad-" + kind);
    var error = document.getElementById("signature-error-" + kind);
    var save = document.getElementById("signature-save-" + kind);
    if (!canvas || !window.SignaturePad) return;
    sizePad(canvas, null);
    // A white background keeps the PNG readable anywhere.
    var pad = new window.SignaturePad(canvas, { backgroundColor: "rgb(255,255,255)", penColor: "rgb(10,20,60)" });
    pads[kind] = pad;
    window.addEventListener("resize", function () { sizePad(canvas, pad); });
    document.getElementById("signature-clear-" + kind).addEventListener("click", function () {
      pad.clear();
    });
    save.addEventListener("click", function () {
      if (pad.isEmpty()) {
        error.textContent = save.getAttribute("data-msg-empty");
        error.hidden = false;
        return;
      }
      error.hidden = true;
      save.disabled = true;
      new Promise(function (resolve) { canvas.toBlob(resolve, "image/png"); }).then(function (blob) {
        return blob.arrayBuffer();
      }).then(function (bytes) {
        return Outbox.hash(bytes).then(function (sha) {
          return enqueue("delivery.signature", {
            form: kind, checklist_id: checklist, signature_sha256: sha,
          }, [{ sha256: sha, bytes: bytes, mime: "image/png", purpose: "signature" }]).then(function () {
            signed(kind, bytes, "image/png");
          });
        });
      }).finally(function () { save.disabled = false; });
    });
  }

  function init() {
    if (!Outbox || !Outbox.supported()) {
      document.getElementById("outbox-summary").textContent = msg("no-storage");
      var controls = root.querySelectorAll("input, button");
      for (var i = 0; i < controls.length; i++) controls[i].disabled = true;
      return;
    }
    Outbox.setUser(parseInt(root.getAttribute("data-user"), 10));
    wireTicks();
    var forms = root.querySelectorAll(".delivery-form");
    Array.prototype.forEach.call(forms, wireSignature);
    Outbox.onChange(function (change) {
      if (change.id && slotOf[change.id] && change.state) {
        var slot = slotOf[change.id];
        if (latest[slot] && latest[slot].id === change.id) {
          latest[slot].state = change.state;
          showState(slot, change.state, reasonText(latest[slot].kind, change.reason));
        }
      }
      refreshSummary();
    });
    window.addEventListener("online", refreshSummary);
    window.addEventListener("offline", refreshSummary);
    document.getElementById("outbox-retry").addEventListener("click", function () { Outbox.retry(); });
    restore().then(function () {
      Array.prototype.forEach.call(forms, function (form) { refreshForm(form.getAttribute("data-kind")); });
      refreshSummary();
      root.setAttribute("data-ready", "1");
      Outbox.start();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
