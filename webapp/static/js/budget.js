/* Budget ranges (10–15万 …) on the A card form and the questionnaire: choosing a range fills
   the amount field with the figure the server would record for it; typing an amount clears
   the range. Without JavaScript the range is posted and the server turns it into the amount
   when the amount is empty. One listener pair on the document, whatever the page swaps. */
(function () {
  "use strict";
  if (window.ftmsBudgetRanges) return;
  window.ftmsBudgetRanges = true;

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-fills]")) return;
    var amount = document.getElementById(select.getAttribute("data-fills"));
    var option = select.options[select.selectedIndex];
    if (!amount || !option || !option.value) return;
    amount.value = option.getAttribute("data-amount") || "";
  });

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.id) return;
    var select = document.querySelector('select[data-fills="' + CSS.escape(input.id) + '"]');
    if (select) select.value = "";
  });
})();
