/* The greeter's arrival form through the outbox (outbox.js), kind "reception.arrival".
 *
 * Progressive enhancement: without JavaScript (or IndexedDB) the form posts as a plain HTML
 * form / htmx request to the same service. With the outbox, every arrival is saved on the
 * tablet first and sent when the network allows; the server answers per entry, and a refused
 * arrival shows its errors next to the fields.
 *
 * When there is no proposal (everyone on duty is with a customer) an arrival without a
 * chosen salesperson is stopped here with the message next to the field, before anything
 * is saved or sent; the server refuses it the same way for a form without JavaScript.
 */
(function () {
  "use strict";

  var INTS = { people: true, model_id: true, salesperson_id: true, proposed_id: true };
  var mine = {}; // entry id → true for entries made on this page

  function form() { return document.getElementById("arrival-form"); }

  function msg(name) {
    var f = form();
    return f ? f.getAttribute("data-msg-" + name) || "" : "";
  }

  function say(text, kind) {
    var el = document.getElementById("arrival-state");
    if (!el) return;
    el.textContent = text;
    el.hidden = !text;
    el.className = "outbox-note" + (kind ? " is-" + kind : "");
  }

  function payloadOf(f) {
    var data = new FormData(f);
    var out = {};
    data.forEach(function (value, key) {
      if (key === "csrf_token") return;
      if (INTS[key]) {
        if (value !== "") out[key] = parseInt(value, 10);
      } else {
        out[key] = String(value);
      }
    });
    return out;
  }

  function clearErrors(f) {
    Array.prototype.forEach.call(f.querySelectorAll(".js-error"), function (el) { el.remove(); });
  }

  function showErrors(errors) {
    var f = form();
    if (!f) return;
    clearErrors(f);
    Object.keys(errors || {}).forEach(function (name) {
      var input = f.querySelector("[name='" + name + "']");
      var p = document.createElement("p");
      p.className = "field-error js-error";
      p.setAttribute("role", "alert");
      p.textContent = errors[name];
      var field = input ? input.closest(".field") : null;
      (field || f).appendChild(p);
    });
  }

  /* A fresh form and proposal, and the side panel again (its own fragments). */
  function refresh(text, kind) {
    var f = form();
    if (f) f.reset();
    clearErrors(f || document);
    say(text, kind);
    if (!window.htmx) return;
    var proposal = document.getElementById("proposal");
    if (proposal) window.htmx.trigger(proposal, "refresh");
    document.body.dispatchEvent(new CustomEvent("arrival-registered"));
  }

  /* The message when nobody is proposed and nobody chosen, else "". */
  function missingSalesperson(f) {
    var proposed = f.querySelector("[name='proposed_id']");
    if (proposed && proposed.value) return "";
    var chosen = new FormData(f).get("salesperson_id");
    if (chosen) return "";
    var box = document.getElementById("proposal");
    var text = document.getElementById("proposal-message");
    return (box && box.classList.contains("is-all-busy") && box.getAttribute("data-msg-choose")) ||
      (text && text.textContent) || "";
  }

  function onSubmit(event) {
    var f = event.target;
    if (!f || f.id !== "arrival-form") return;
    var missing = missingSalesperson(f);
    if (missing) {
      event.preventDefault();
      event.stopImmediatePropagation();
      var errors = {};
      errors.salesperson_id = missing;
      showErrors(errors);
      var first = f.querySelector("[name='salesperson_id']");
      if (first) first.focus();
      return;
    }
    var Outbox = window.Outbox;
    if (!Outbox || !Outbox.supported()) return; // the plain form does the work
    event.preventDefault();
    event.stopImmediatePropagation();
    clearErrors(f);
    var button = f.querySelector("button");
    if (button) button.disabled = true;
    Outbox.enqueue("reception.arrival", payloadOf(f)).then(function (entry) {
      mine[entry.id] = true;
      say(msg("saved"), "local");
      Outbox.kick();
    }).catch(function () {
      f.submit(); // no storage after all: post the form
    }).then(function () {
      if (button) button.disabled = false;
    });
  }

  function onChange(change) {
    if (change.flushed) {
      // A flush that started before our entry was saved did not send it: go again (only
      // after a flush without error, so an offline tablet does not spin).
      var ok = change.result && !change.result.error && !change.result.auth;
      var pending = Object.keys(mine);
      if (ok && pending.length) {
        Promise.all(pending.map(window.Outbox.status)).then(function (states) {
          if (states.indexOf("local") !== -1) window.Outbox.kick();
        });
      }
      return;
    }
    if (!change.id || !mine[change.id]) return;
    if (change.state === "synced") {
      delete mine[change.id];
      refresh(msg("synced"), "synced");
    } else if (change.state === "attention") {
      // Refused by the server (its errors go next to the fields), or set aside after server
      // failures: then it stays on this tablet and goes again when a page opens.
      var refused = change.answer && change.answer.status === "rejected";
      say(refused ? msg("attention") : msg("held") || msg("attention"), "attention");
      showErrors(change.answer && change.answer.errors);
    }
  }

  /* The proposal refreshes itself every 15 s: not while the greeter is choosing in it. */
  function onBeforeRequest(event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || elt.id !== "proposal") return;
    var trigger = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    if (trigger && trigger.type === "refresh") return;
    if (elt.contains(document.activeElement)) event.preventDefault();
  }

  function init() {
    var f = form();
    if (!f || !window.Outbox || !window.Outbox.supported()) return;
    window.Outbox.setUser(parseInt(f.getAttribute("data-user"), 10));
    window.Outbox.onChange(onChange);
    window.Outbox.start();
  }

  document.addEventListener("submit", onSubmit, true);
  document.addEventListener("htmx:beforeRequest", onBeforeRequest);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
