/* Upload with a progress bar: the form is posted to the API with XMLHttpRequest (its upload
   progress event); without JavaScript the same form posts to the page itself. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-upload-api]");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  var button = form.querySelector("button[type=submit]");
  var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10);

  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? "alert alert--error" : "hint";
  }

  form.addEventListener("submit", function (event) {
    var input = form.querySelector("input[type=file]");
    if (!input.files.length) { return; }  // let the browser explain the required field
    event.preventDefault();
    if (maxBytes && input.files[0].size > maxBytes) {
      say(form.getAttribute("data-too-large"), true);
      return;
    }
    var data = new FormData(form);
    if (!data.get("binder")) { data.delete("binder"); }
    if (!data.get("classification")) { data.delete("classification"); }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("data-upload-api"));
    xhr.setRequestHeader("X-CSRFToken", data.get("csrfmiddlewaretoken"));
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        bar.value = Math.round((e.loaded / e.total) * 100);
        bar.textContent = bar.value + "%";
      }
    });
    xhr.addEventListener("load", function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
      if (xhr.status === 201 && body.id) {
        window.location.assign(form.getAttribute("data-detail-url").replace("/0/", "/" + String(body.id) + "/"));
        return;
      }
      button.disabled = false;
      bar.hidden = true;
      say(body.detail || form.getAttribute("data-failed"), true);
    });
    xhr.addEventListener("error", function () {
      button.disabled = false;
      bar.hidden = true;
      say(form.getAttribute("data-failed"), true);
    });
    button.disabled = true;
    bar.hidden = false;
    bar.value = 0;
    say(form.getAttribute("data-sending"), false);
    xhr.send(data);
  });
})();
