// "Add gun": appends a row from the formset's empty form and numbers the new gun.
(function () {
  "use strict";
  var button = document.querySelector("[data-formset-add]");
  if (!button) return;
  var body = document.querySelector("[data-formset-body]");
  var template = document.querySelector("[data-formset-empty]");
  var total = document.querySelector("input[name$='-TOTAL_FORMS']");
  var max = document.querySelector("input[name$='-MAX_NUM_FORMS']");

  button.addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    if (max && index >= parseInt(max.value, 10)) return;
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    body.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var numbers = Array.prototype.map.call(body.querySelectorAll("input[name$='-connector_id']"), function (input) {
      return parseInt(input.value, 10) || 0;
    });
    var row = body.lastElementChild;
    row.querySelector("input[name$='-connector_id']").value = String(Math.max.apply(null, numbers.concat([0])) + 1);
    row.querySelector("select").focus();
  });
})();
