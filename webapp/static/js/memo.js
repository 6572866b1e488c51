/* The customer's printed memo: the Print button opens the browser's print dialog. */
(function () {
  "use strict";
  var button = document.getElementById("memo-print-button");
  if (button) {
    button.addEventListener("click", function () { window.print(); });
  }
})();
