/* The customer's signature on the new-car order (附表十一) (the print button of the
   customer's copy, [data-print], is js/app.js's). The signature pad lives in #contract-sign-form. On submit the drawing goes into the form's hidden `signature` field as a
   PNG data URL; the server stores it encrypted and attaches it to the contract. An empty pad
   is refused here with the form's message; the server checks again. */
(function () {
  "use strict";
  if (window.ftmsContractSignature) return;
  window.ftmsContractSignature = true;

  function sizePad(canvas, pad) {
    // The canvas draws in device pixels: keep strokes sharp on a retina tablet.
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

  function init() {
    var form = document.getElementById("contract-sign-form");
    if (!form || form.getAttribute("data-ready") || !window.SignaturePad) return;
    form.setAttribute("data-ready", "1");
    var canvas = document.getElementById("contract-signature-pad");
    var field = document.getElementById("f-signature");
    var error = document.getElementById("f-signature-error");
    sizePad(canvas, null);
    // A white background keeps the PNG readable on paper and in any viewer.
    var pad = new window.SignaturePad(canvas, {
      backgroundColor: "rgb(255,255,255)",
      penColor: "rgb(10,20,60)",
    });
    window.addEventListener("resize", function () { sizePad(canvas, pad); });
    document.getElementById("contract-signature-clear").addEventListener("click", function () {
      pad.clear();
      field.value = "";
    });
    form.addEventListener("submit", function (event) {
      if (pad.isEmpty()) {
        event.preventDefault();
        error.textContent = form.getAttribute("data-msg-empty");
        error.hidden = false;
        return;
      }
      error.hidden = true;
      field.value = pad.toDataURL("image/png");
      document.getElementById("contract-signature-save").disabled = true;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
  document.addEventListener("htmx:load", init);
})();
