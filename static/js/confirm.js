/* Ask before an irreversible action. A submit button with data-confirm="…" opens the page's
   confirmation dialog, which names what will happen; the form is sent only after "OK"
   (Esc or "Cancel" sends nothing). A sent form's buttons are disabled, so a double tap posts
   once. The dialog is a native <dialog> (showModal: focus stays inside, Esc closes). */
(function () {
  "use strict";
  var dialog = document.getElementById("confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") { return; }
  var message = dialog.querySelector("[data-confirm-message]");
  var ok = dialog.querySelector("[data-confirm-ok]");
  var pending = null;

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    if (form.getAttribute("method") === "dialog") { return; }
    if (form.getAttribute("data-sent") === "1") {
      event.preventDefault();  // already on its way: a second tap does nothing
      return;
    }
    if (button && button.hasAttribute("data-confirm") && pending === null) {
      event.preventDefault();
      pending = { form: form, button: button };
      message.textContent = button.getAttribute("data-confirm");
      ok.textContent = button.getAttribute("data-confirm-ok") || ok.getAttribute("data-default");
      ok.className = "button " + (button.classList.contains("button--danger") ? "button--danger" : "button--primary");
      dialog.showModal();
      return;
    }
    form.setAttribute("data-sent", "1");
    window.setTimeout(function () {
      Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (b) { b.disabled = true; });
    }, 0);
  }, true);

  dialog.addEventListener("close", function () {
    var chosen = pending;
    pending = null;
    if (!chosen) { return; }
    if (dialog.returnValue === "ok") {
      pending = "sending";
      chosen.form.requestSubmit(chosen.button);
      pending = null;
    } else {
      chosen.button.focus();
    }
  });
})();
