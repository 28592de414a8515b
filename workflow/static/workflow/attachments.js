/* Attachments of a proposal: drop files on the panel (or choose several), each is posted to
   the API with a progress bar, then the page reloads to list them. Without JavaScript the same
   form posts one file to the page, which redirects back. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-upload-api]");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  var input = form.querySelector("input[type=file]");
  var bar = form.querySelector("progress");
  var status = form.querySelector("[role=status]");
  var button = form.querySelector("button[type=submit]");
  var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10);
  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  function say(text, isError) {
    status.textContent = text;
    status.className = "dropzone__status" + (isError ? " alert alert--error" : "");
  }

  function sendOne(file) {
    return new Promise(function (resolve, reject) {
      if (maxBytes && file.size > maxBytes) {
        reject(file.name + ": " + form.getAttribute("data-too-large"));
        return;
      }
      var data = new FormData();
      data.append("file", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("data-upload-api"));
      xhr.setRequestHeader("X-CSRFToken", token);
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
        if (xhr.status === 201) { resolve(); return; }
        reject(file.name + ": " + (body.detail || form.getAttribute("data-failed")));
      });
      xhr.addEventListener("error", function () {
        reject(file.name + ": " + form.getAttribute("data-failed"));
      });
      xhr.send(data);
    });
  }

  function sendAll(files) {
    if (!files.length) { return; }
    button.disabled = true;
    bar.hidden = false;
    var errors = [];
    var chain = Promise.resolve();
    Array.prototype.forEach.call(files, function (file, index) {
      chain = chain.then(function () {
        bar.value = 0;
        say(form.getAttribute("data-sending") + " (" + (index + 1) + "/" + files.length + ") " + file.name, false);
        return sendOne(file).catch(function (message) { errors.push(message); });
      });
    });
    chain.then(function () {
      if (errors.length) {
        button.disabled = false;
        bar.hidden = true;
        say(errors.join(" / "), true);
        if (errors.length < files.length) { window.setTimeout(function () { window.location.reload(); }, 2500); }
        return;
      }
      window.location.reload();
    });
  }

  form.addEventListener("submit", function (event) {
    if (!input.files.length) { return; }
    event.preventDefault();
    sendAll(input.files);
  });
  ["dragenter", "dragover"].forEach(function (name) {
    form.addEventListener(name, function (event) {
      event.preventDefault();
      form.classList.add("dropzone--over");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    form.addEventListener(name, function () { form.classList.remove("dropzone--over"); });
  });
  form.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files) { sendAll(event.dataTransfer.files); }
  });
})();
