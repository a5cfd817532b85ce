// The admin pages' forms (web/admin/): show only the inputs a choice needs, ask before a
// delete, copy a snippet. Without this script every input stays visible and the forms work.
(function () {
  "use strict";

  function showInputs(row, inputs) {
    var select = row.querySelector("[data-action-select]");
    if (!select) return;
    var wanted = inputs[select.value] || [];
    row.querySelectorAll("[data-input]").forEach(function (box) {
      box.hidden = wanted.indexOf(box.getAttribute("data-input")) < 0;
    });
  }

  function showCustom(row) {
    var select = row.querySelector("[data-field-select]");
    var box = row.querySelector("[data-when-field]");
    if (select && box) box.hidden = select.value !== box.getAttribute("data-when-field");
  }

  function showTime(form) {
    var select = form.querySelector("[data-event-select]");
    form.querySelectorAll("[data-when-event]").forEach(function (box) {
      box.hidden = !select || select.value !== box.getAttribute("data-when-event");
    });
  }

  function start() {
    var actions = document.querySelector("[data-action-inputs]");
    var inputs = actions ? JSON.parse(actions.getAttribute("data-action-inputs")) : {};
    document.querySelectorAll("[data-action-row]").forEach(function (row) {
      showInputs(row, inputs);
      row.addEventListener("change", function () { showInputs(row, inputs); });
    });
    document.querySelectorAll("[data-condition-row]").forEach(function (row) {
      showCustom(row);
      row.addEventListener("change", function () { showCustom(row); });
    });
    document.querySelectorAll("form.rule-form").forEach(function (form) {
      showTime(form);
      form.addEventListener("change", function () { showTime(form); });
    });
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy"));
        if (!source || !navigator.clipboard) return;
        navigator.clipboard.writeText(source.value || source.textContent || "").then(function () {
          button.setAttribute("data-copied", "true");
        });
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
