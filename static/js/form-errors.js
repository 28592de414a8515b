/* After a refused form, move focus to its error summary (a keyboard or screen reader user
   otherwise starts again at the top of the page, unaware anything failed); each link of the
   summary moves focus to its field. Loaded only by templates/includes/form_errors.html. */
(function () {
  "use strict";
  function start() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) { return; }
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-error-link]");
      if (!link) { return; }
      var field = document.getElementById(link.getAttribute("href").slice(1));
      if (!field) { return; }
      event.preventDefault();
      // A field inside a closed <details> (optional reviewers) is opened first.
      var details = field.closest("details");
      if (details && !details.open) { details.open = true; }
      field.focus();
      field.scrollIntoView({ block: "center" });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
