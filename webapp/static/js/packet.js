/* The test-drive packet in the car: every entry goes through window.Outbox (outbox.js).
 *
 * The page shows, next to each entry, its state: saved on this tablet / synced / needs
 * attention. After a reload or a browser restart, offline, the page rebuilds ticks, notes,
 * the licence check, the photo, the signatures (safety agreement, feedback form 附表九) and
 * the feedback from IndexedDB.
 */
(function () {
  "use strict";

  /* ---- resident ID number (GB 11643), as webapp/testdrive/validators.py ---- */
  var ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var ID_CHECK = "10X98765432";

  function normaliseId(value) {
    return String(value || "").trim().replace(/ /g, "").toUpperCase();
  }

  function validResidentId(value) {
    var n = normaliseId(value);
    if (n.length !== 18 || !/^\d{17}$/.test(n.slice(0, 17))) return false;
    var y = +n.slice(6, 10), m = +n.slice(10, 12), d = +n.slice(12, 14);
    var born = new Date(y, m - 1, d);
    if (born.getFullYear() !== y || born.getMonth() !== m - 1 || born.getDate() !== d) return false;
    if (y < 1900 || born > new Date()) return false;
    var total = 0;
    for (var i = 0; i < 17; i++) total += (+n[i]) * ID_WEIGHTS[i];
    return n[17] === ID_CHECK[total % 11];
  }

  // Exported for tests/browser/test_resident_id.py, which holds it to the Python check; defined
  // before the page check so any page that loads this file has it.
  window.Packet = { validResidentId: validResidentId };

  var root = document.getElementById("packet");
  if (!root) return;
  var Outbox = window.Outbox;
  var booking = parseInt(root.getAttribute("data-booking"), 10);
  var msg = function (name) { return root.getAttribute("data-msg-" + name) || ""; };
  var LONG_EDGE = 1920;
  var MAX_BYTES = 1024 * 1024;

  var slotOf = {}; // entry id → slot
  var latest = {}; // slot → {seq, id, state}
  var noteHead = {}; // note field → id of the latest entry (what a new note revises)
  var photo = null; // {sha256, bytes} of the compressed licence photo not yet saved
  // The customer signs twice: the safety agreement before, the feedback form 附表九 after. The
  // pads differ only by the prefix of their elements' ids.
  var PADS = { safety_agreement: "", feedback_form: "feedback-" };

  function todayIso() {
    var d = new Date();
    var two = function (x) { return (x < 10 ? "0" : "") + x; };
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate());
  }

  /* ---- entry states ---- */
  function slotFor(entry) {
    var p = entry.payload || {};
    switch (entry.kind) {
      case "testdrive.tick": return "tick:" + p.template_id + ":" + p.item_key;
      case "testdrive.note": return "note:" + p.field;
      case "testdrive.consent": return "consent";
      case "testdrive.licence": return "licence";
      case "testdrive.signature":
        return p.document === "feedback_form" ? "signature:feedback_form" : "signature";
      case "testdrive.feedback": return "feedback";
      default: return null;
    }
  }

  var STATE_TEXT = { local: "local", synced: "synced", attention: "attention" };
  // The reasons the server gives for an entry it refused and keeps in its quarantine.
  var REFUSED = {
    validation: true, permission: true, no_consent: true, cancelled: true,
    unknown_kind: true, duplicate_id: true,
  };

  /* Why an entry needs attention, as a sentence of the page (never the stored reason word,
   * and never a blob's hash: a photo is "the licence photo"). */
  function reasonText(kind, reason) {
    if (!reason) return "";
    if (reason.indexOf("blob_") === 0) {
      return msg(kind === "testdrive.signature" ? "reason-signature" : "reason-photo");
    }
    if (reason === "depends") return msg("reason-depends");
    if (REFUSED[reason]) return msg("reason-refused");
    return msg("reason-server");
  }

  function showState(slot, state, why) {
    var els = root.querySelectorAll("[data-state-for='" + slot + "']");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      el.textContent = msg(STATE_TEXT[state] || "local");
      el.className = "entry-state state-" + state;
      if (state === "attention" && why) el.title = why;
      else el.removeAttribute("title");
    }
  }

  function track(entry, state, reason) {
    var slot = slotFor(entry);
    if (!slot) return null;
    slotOf[entry.id] = slot;
    var cur = latest[slot];
    if (!cur || cur.seq <= entry.seq) {
      latest[slot] = { seq: entry.seq, id: entry.id, state: state, kind: entry.kind };
      showState(slot, state, reasonText(entry.kind, reason));
    }
    return slot;
  }

  /* ---- applying an entry's value to the page ---- */
  function findItem(slot) {
    return root.querySelector(".check-item[data-slot='" + slot + "']");
  }

  function setItemValue(item, value) {
    var type = item.getAttribute("data-type");
    if (type === "score" || type === "choice") {
      var radios = item.querySelectorAll("input[type=radio]");
      for (var i = 0; i < radios.length; i++) radios[i].checked = String(value) === radios[i].value;
    } else if (type === "multi") {
      var boxes = item.querySelectorAll("input[type=checkbox]");
      var picked = Array.isArray(value) ? value : [];
      for (var j = 0; j < boxes.length; j++) boxes[j].checked = picked.indexOf(boxes[j].value) >= 0;
    } else if (type === "text") {
      item.querySelector("textarea").value = value == null ? "" : value;
    } else {
      item.querySelector("input[type=checkbox]").checked = !!value;
    }
  }

  function thumb(img, bytes, mime) {
    if (!img || !bytes) return;
    if (img.src && img.src.indexOf("blob:") === 0) URL.revokeObjectURL(img.src);
    img.src = URL.createObjectURL(new Blob([bytes], { type: mime }));
    img.hidden = false;
  }

  function consentGiven() {
    var box = document.getElementById("f-consent");
    box.checked = true;
    box.disabled = true;
    var input = document.getElementById("f-licence_photo");
    input.disabled = false;
    document.getElementById("photo-label").classList.remove("is-disabled");
    document.getElementById("photo-hint").hidden = true;
  }

  /* A saved licence check is a fact: its fields lock (a second check would be a new entry). */
  function licenceDone(last4) {
    var done = document.getElementById("licence-done");
    document.getElementById("licence-last4").textContent =
      done.getAttribute("data-msg-last4").replace("{last4}", last4);
    done.hidden = false;
    // The form goes away with the ID number in it: only its last four characters stay shown.
    document.getElementById("licence-form").hidden = true;
    document.getElementById("f-id_number").value = "";
    var preview = document.getElementById("licence-preview");
    if (!preview.hidden && preview.src) {
      var kept = document.getElementById("licence-thumb");
      kept.src = preview.src;
      kept.hidden = false;
    }
  }

  function signed(documentName) {
    var prefix = PADS[documentName] || "";
    document.getElementById(prefix + "signature-wrap").hidden = true;
    document.getElementById(prefix + "signed-done").hidden = false;
  }

  /* The values of a multi item: the codes ticked, in the options' order. */
  function multiValue(item) {
    var out = [];
    var boxes = item.querySelectorAll("input[type=checkbox]:checked");
    for (var i = 0; i < boxes.length; i++) out.push(boxes[i].value);
    return out;
  }

  function fillFeedback(values) {
    var form = document.getElementById("feedback-form");
    if (!form || !values) return;
    var answers = values.answers || {};
    Object.keys(answers).forEach(function (key) {
      var item = form.querySelector(".fb-item[data-item-key='" + key + "']");
      if (!item) return;
      var value = answers[key];
      var inputs = item.querySelectorAll("input, textarea");
      for (var i = 0; i < inputs.length; i++) {
        var input = inputs[i];
        if (input.type === "radio") input.checked = String(value) === input.value;
        else if (input.type === "checkbox" && Array.isArray(value)) input.checked = value.indexOf(input.value) >= 0;
        else if (input.type === "checkbox") input.checked = !!value;
        else input.value = value == null ? "" : value;
      }
    });
    var intention = form.querySelector("[name=intention]");
    if (intention && values.intention != null) intention.value = values.intention;
    var grades = form.querySelectorAll("input[name=grade]");
    for (var g = 0; g < grades.length; g++) grades[g].checked = grades[g].value === (values.grade || "");
  }

  function apply(entry, blob) {
    var p = entry.payload || {};
    if (p.booking_id !== booking) return;
    var slot = slotFor(entry);
    if (entry.kind === "testdrive.tick") {
      var item = findItem(slot);
      if (item) setItemValue(item, p.value);
    } else if (entry.kind === "testdrive.note") {
      var field = root.querySelector("[data-slot='note:" + p.field + "'] textarea");
      if (field) field.value = p.text || "";
      noteHead[p.field] = entry.id;
    } else if (entry.kind === "testdrive.consent") {
      consentGiven();
    } else if (entry.kind === "testdrive.licence") {
      var last4 = p.last4 || (p.id_number ? String(p.id_number).slice(-4) : "");
      if (last4) licenceDone(last4);
      if (blob) thumb(document.getElementById("licence-thumb"), blob.bytes, blob.mime);
    } else if (entry.kind === "testdrive.signature") {
      if (!document.getElementById((PADS[p.document] || "") + "signature-wrap")) return;
      signed(p.document);
      if (blob) thumb(document.getElementById((PADS[p.document] || "") + "signature-thumb"), blob.bytes, blob.mime);
    } else if (entry.kind === "testdrive.feedback") {
      fillFeedback(p);
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
            if ((entry.payload || {}).booking_id === booking) track(entry, entry.state || "local", entry.reason);
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
        var login = document.getElementById("outbox-login");
        var retry = document.getElementById("outbox-retry");
        var bar = document.getElementById("outbox-bar");
        var hasEntries = Object.keys(latest).length > 0;
        var n = held.local + held.attention;
        var parts = [];
        if (held.local > 0 && navigator.onLine === false) parts.push(msg("offline"));
        if (held.local > 0) parts.push(msg("pending").replace("{n}", held.local));
        // Set aside after server failures: still on this tablet; "Sync now" tries them again.
        if (held.attention > 0) parts.push(msg("held").replace("{n}", held.attention));
        if (Outbox.authNeeded) text = msg("login");
        else if (parts.length) text = parts.join(" · ");
        else text = hasEntries ? msg("all-synced") : msg("empty");
        document.getElementById("outbox-summary").textContent = text;
        login.hidden = !Outbox.authNeeded;
        retry.hidden = Outbox.authNeeded || n === 0;
        bar.className = "outbox-bar" + (Outbox.authNeeded ? " is-auth" : n > 0 ? " is-pending" : hasEntries ? " is-synced" : "");
      });
    }, 50);
  }

  /* ---- writing ---- */
  function enqueue(kind, payload, blobs) {
    payload.booking_id = booking;
    return Outbox.enqueue(kind, payload, blobs).then(function (entry) {
      track(entry, "local");
      refreshSummary();
      return entry;
    });
  }

  /* The first n characters of text, counted in code points as the server counts them: an
   * emoji (two UTF-16 units) is kept whole or left out, never cut into a lone surrogate,
   * which the server cannot hash. */
  function cut(text, n) {
    return Array.from(text).slice(0, n).join("");
  }

  function showError(el, text) {
    el.textContent = text;
    el.hidden = !text;
  }

  function wireChecklists() {
    var items = root.querySelectorAll(".check-item");
    Array.prototype.forEach.call(items, function (item) {
      var tid = parseInt(item.getAttribute("data-template-id"), 10);
      var key = item.getAttribute("data-item-key");
      var type = item.getAttribute("data-type");
      var send = function (value) {
        enqueue("testdrive.tick", { template_id: tid, item_key: key, value: value });
      };
      if (item.hasAttribute("data-value")) {
        try { setItemValue(item, JSON.parse(item.getAttribute("data-value"))); } catch (e) { /* shown blank */ }
      }
      item.addEventListener("change", function (event) {
        var t = event.target;
        if (type === "score") send(parseInt(t.value, 10));
        else if (type === "choice") send(t.value);
        else if (type === "multi") send(multiValue(item));
        else if (type === "text") send(t.value);
        else send(!!t.checked);
      });
    });
  }

  function wireNotes() {
    var fields = root.querySelectorAll(".note-field");
    Array.prototype.forEach.call(fields, function (box) {
      var field = box.getAttribute("data-field");
      if (box.getAttribute("data-entry")) noteHead[field] = box.getAttribute("data-entry");
      box.querySelector(".note-save").addEventListener("click", function () {
        var text = box.querySelector("textarea").value.trim();
        if (!text && !noteHead[field]) return;
        enqueue("testdrive.note", { field: field, text: text, revises: noteHead[field] || null })
          .then(function (entry) { noteHead[field] = entry.id; });
      });
    });
  }

  function wireConsent() {
    var box = document.getElementById("f-consent");
    if (box.checked) consentGiven();
    box.addEventListener("change", function () {
      if (!box.checked) return;
      box.disabled = true;
      enqueue("testdrive.consent", {
        purpose: "licence_copy",
        notice_version: root.getAttribute("data-notice-version"),
        agreed: true,
      }).then(consentGiven);
    });
  }

  function canvasBlob(canvas, type, quality) {
    return new Promise(function (resolve) { canvas.toBlob(resolve, type, quality); });
  }

  function loadImage(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () {
        return createImageBitmap(file);
      });
    }
    return new Promise(function (resolve, reject) {
      var img = new Image();
      img.onload = function () { resolve(img); };
      img.onerror = reject;
      img.src = URL.createObjectURL(file);
    });
  }

  /* Long edge ≤ 1920 px, JPEG, ≤ 1 MB: lower the quality, then the size, until it fits. */
  function compress(file) {
    return loadImage(file).then(function (img) {
      var w = img.width, h = img.height;
      var scale = Math.min(1, LONG_EDGE / Math.max(w, h));
      var attempt = function (s, quality) {
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(w * s));
        canvas.height = Math.max(1, Math.round(h * s));
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        return canvasBlob(canvas, "image/jpeg", quality).then(function (blob) {
          if (blob && blob.size <= MAX_BYTES) return blob;
          if (quality > 0.5) return attempt(s, quality - 0.15);
          return attempt(s * 0.75, 0.8);
        });
      };
      return attempt(scale, 0.85);
    }).then(function (blob) { return blob.arrayBuffer(); });
  }

  function wireLicence() {
    var input = document.getElementById("f-licence_photo");
    var error = document.getElementById("licence-error");
    var consent = document.getElementById("f-consent");
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) return;
      if (!consent.checked) {
        input.value = "";
        showError(error, input.getAttribute("data-msg-consent"));
        return;
      }
      showError(error, "");
      compress(file).then(function (bytes) {
        return Outbox.hash(bytes).then(function (sha) {
          photo = { sha256: sha, bytes: bytes };
          thumb(document.getElementById("licence-preview"), bytes, "image/jpeg");
          input.value = "";
        });
      }).catch(function () {
        input.value = "";
        showError(error, input.getAttribute("data-msg-bad"));
      });
    });

    var fields = {
      id_number: document.getElementById("f-id_number"),
      licence_class: document.getElementById("f-licence_class"),
      expires_on: document.getElementById("f-expires_on"),
    };
    function fieldError(name, text) {
      var el = fields[name];
      var box = el.closest(".field");
      var err = box.querySelector(".field-error");
      if (!err) {
        err = document.createElement("p");
        err.className = "field-error";
        err.id = "f-" + name + "-error";
        box.appendChild(err);
      }
      err.textContent = text || "";
      err.hidden = !text;
      box.classList.toggle("has-error", !!text);
      if (text) {
        el.setAttribute("aria-invalid", "true");
        el.setAttribute("aria-describedby", err.id);
      } else {
        el.removeAttribute("aria-invalid");
      }
      return !text;
    }
    function check(name) {
      var el = fields[name];
      var value = el.value;
      if (name === "id_number") {
        return fieldError(name, validResidentId(value) ? "" : value ? el.getAttribute("data-msg-invalid") : msg("required"));
      }
      if (name === "licence_class") {
        var option = el.options[el.selectedIndex];
        if (!value) return fieldError(name, msg("required"));
        return fieldError(name, option.getAttribute("data-covers") === "1" ? "" : el.getAttribute("data-msg-invalid"));
      }
      if (!value) return fieldError(name, msg("required"));
      return fieldError(name, value > todayIso() ? "" : el.getAttribute("data-msg-invalid"));
    }
    fields.id_number.addEventListener("change", function () {
      fields.id_number.value = normaliseId(fields.id_number.value);
    });
    Object.keys(fields).forEach(function (name) {
      fields[name].addEventListener("change", function () { check(name); });
    });

    document.getElementById("licence-save").addEventListener("click", function () {
      var ok = ["id_number", "licence_class", "expires_on"].map(check).every(Boolean);
      if (!consent.checked) {
        showError(error, input.getAttribute("data-msg-consent"));
        ok = false;
      } else if (!photo) {
        showError(error, this.getAttribute("data-msg-photo"));
        ok = false;
      } else {
        showError(error, "");
      }
      if (!ok) {
        var bad = root.querySelector("#licence-block [aria-invalid='true']");
        if (bad) bad.focus();
        return;
      }
      var taken = photo;
      enqueue("testdrive.licence", {
        id_number: normaliseId(fields.id_number.value),
        licence_class: fields.licence_class.value,
        expires_on: fields.expires_on.value,
        photo_sha256: taken.sha256,
      }, [{ sha256: taken.sha256, bytes: taken.bytes, mime: "image/jpeg", purpose: "licence" }])
        .then(function () {
          photo = null;
          licenceDone(normaliseId(fields.id_number.value).slice(-4));
          fields.licence_class.value = "";
          fields.expires_on.value = "";
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

  /* One signature pad: `documentName` is what the customer signs, `versionAttr` the page
   * attribute holding that document's version. */
  function wireSignature(documentName, versionAttr) {
    var prefix = PADS[documentName];
    var canvas = document.getElementById(prefix + "signature-pad");
    var error = document.getElementById(prefix + "signature-error");
    if (!canvas || !window.SignaturePad) return;
    sizePad(canvas, null);
    // The signature is saved as a PNG: a white background keeps it readable anywhere.
    var pad = new window.SignaturePad(canvas, { backgroundColor: "rgb(255,255,255)", penColor: "rgb(10,20,60)" });
    window.addEventListener("resize", function () { sizePad(canvas, pad); });
    document.getElementById(prefix + "signature-clear").addEventListener("click", function () {
      pad.clear();
    });
    var save = document.getElementById(prefix + "signature-save");
    save.addEventListener("click", function () {
      if (pad.isEmpty()) {
        showError(error, save.getAttribute("data-msg-empty"));
        return;
      }
      showError(error, "");
      save.disabled = true;
      canvasBlob(canvas, "image/png").then(function (blob) {
        return blob.arrayBuffer();
      }).then(function (bytes) {
        return Outbox.hash(bytes).then(function (sha) {
          return enqueue("testdrive.signature", {
            document: documentName,
            document_version: root.getAttribute(versionAttr),
            signature_sha256: sha,
          }, [{ sha256: sha, bytes: bytes, mime: "image/png", purpose: "signature" }]).then(function () {
            signed(documentName);
            thumb(document.getElementById(prefix + "signature-thumb"), bytes, "image/png");
          });
        });
      }).finally(function () { save.disabled = false; });
    });
  }

  /* The drive checklist's answer for `key` (a code, or a list of codes for a multi item). */
  function driveValue(key, type) {
    var item = root.querySelector(".checklist[data-kind='drive'] .check-item[data-item-key='" + key + "'][data-type='" + type + "']");
    if (!item) return null;
    if (type === "multi") return multiValue(item);
    var picked = item.querySelector("input:checked");
    return picked ? picked.value : null;
  }

  function wireFeedback() {
    var form = document.getElementById("feedback-form");
    if (!form) return;
    if (form.hasAttribute("data-values")) {
      try { fillFeedback(JSON.parse(form.getAttribute("data-values"))); } catch (e) { /* blank */ }
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var answers = {};
      var ok = true;
      var items = form.querySelectorAll(".fb-item");
      Array.prototype.forEach.call(items, function (item) {
        var key = item.getAttribute("data-item-key");
        var type = item.getAttribute("data-type");
        var value = null;
        if (type === "score" || type === "choice") {
          var picked = item.querySelector("input:checked");
          value = picked ? (type === "score" ? parseInt(picked.value, 10) : picked.value) : null;
        } else if (type === "multi") {
          value = multiValue(item);
        } else if (type === "tick") {
          value = item.querySelector("input").checked;
        } else {
          value = item.querySelector("textarea").value.trim();
        }
        var required = !!item.querySelector(".req");
        var missing = required && (value === null || value === "" || (Array.isArray(value) && !value.length));
        showError(item.querySelector(".field-error"), missing ? msg("required") : "");
        if (missing) ok = false;
        // An unanswered item is left out: the server checks only what was answered.
        if (value !== null) answers[key] = value;
      });
      if (!ok) {
        showError(document.getElementById("feedback-error"), msg("required"));
        return;
      }
      showError(document.getElementById("feedback-error"), "");
      var grade = form.querySelector("input[name=grade]:checked");
      enqueue("testdrive.feedback", {
        template_id: parseInt(form.getAttribute("data-template-id"), 10),
        answers: answers,
        // The intention is the form's own item where the template has one, else free text.
        intention: cut(String(
          answers.intention != null ? answers.intention
            : (form.querySelector("[name=intention]") || { value: "" }).value.trim()
        ), 200),
        grade: grade && grade.value ? grade.value : null,
        // What the drive showed (the drive checklist's codes) goes on the customer's card.
        driving_style: driveValue("driving_style", "choice") || null,
        focus_points: driveValue("focus_points", "multi") || [],
        // What the card looked like when the packet was opened: a grade changed meanwhile
        // in the showroom becomes a conflict for review, not a silent overwrite.
        card_version: parseInt(form.getAttribute("data-card-version"), 10),
        card_base: { grade: form.getAttribute("data-card-grade") },
      });
    });
  }

  function init() {
    if (!Outbox || !Outbox.supported()) {
      document.getElementById("outbox-summary").textContent = msg("no-storage");
      var controls = root.querySelectorAll("input, select, textarea, button");
      for (var i = 0; i < controls.length; i++) controls[i].disabled = true;
      return;
    }
    Outbox.setUser(parseInt(root.getAttribute("data-user"), 10));
    wireChecklists();
    wireNotes();
    wireConsent();
    wireLicence();
    wireSignature("safety_agreement", "data-agreement-version");
    wireSignature("feedback_form", "data-feedback-form-version");
    wireFeedback();
    if (root.querySelector("#licence-block[data-synced]")) {
      licenceDone(root.querySelector("#licence-block").getAttribute("data-last4"));
    }
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
