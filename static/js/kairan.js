/* Behaviour every page may need, kept out of the HTML: the Content-Security-Policy allows
   scripts from our static files only (no inline script, no on*= attributes, no hx-on). */
(function () {
  "use strict";

  // A colleague picker's option fills the field it names: "append" adds the user name to a
  // list of names (approvers, consultees), anything else replaces the value (a deputy).
  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest(".picker__option[data-picker-target]");
    if (!option) { return; }
    var field = document.getElementById(option.dataset.pickerTarget);
    if (!field) { return; }
    var name = option.dataset.username;
    if (option.dataset.pickerMode === "append") {
      var names = field.value.split(/[\s,、，]+/).filter(Boolean);
      if (names.indexOf(name) < 0) { names.push(name); }
      field.value = names.join(" ");
      field.dispatchEvent(new Event("change", { bubbles: true }));
    } else {
      field.value = name;
    }
    var details = option.closest("details");
    if (details) { details.open = false; }
    field.focus();
  });

  // Inside [data-swap-bad-request] a 400 answer carries the errors to show: swap it in
  // (htmx skips 4xx answers by default).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.target;
    if (event.detail.xhr.status === 400 && target.closest && target.closest("[data-swap-bad-request]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
