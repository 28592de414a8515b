/* Secretariat upload with progress: posts the form to the API (XHR for upload progress); without
   JavaScript the form posts to the screen's own handler. */
(function () {
  "use strict";
  var form = document.getElementById("council-upload");
  if (!form || !window.FormData) { return; }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var data = new FormData(form), local = data.get("publish_at");
    if (local) { data.set("publish_at", new Date(local).toISOString()); }
    data.set("meeting", form.dataset.meeting);
    if (data.get("audience") === "people") {
      /* Named executives: person:<username>,person:<username> (the API's spelling). */
      data.set("audience", String(data.get("people") || "").split(/[\s,、，]+/).filter(Boolean)
        .map(function (name) { return "person:" + name; }).join(","));
    }
    data.delete("people");
    var bar = document.getElementById("u-progress"), status = document.getElementById("u-status");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/council/materials/");
    xhr.setRequestHeader("X-CSRFToken", data.get("csrfmiddlewaretoken"));
    bar.hidden = false;
    xhr.upload.onprogress = function (ev) { if (ev.lengthComputable) { bar.value = Math.round(ev.loaded * 100 / ev.total); } };
    xhr.onload = function () {
      if (xhr.status === 201) { location.reload(); return; }
      var detail = ""; try { detail = JSON.parse(xhr.responseText).detail; } catch (err) { detail = xhr.statusText; }
      status.textContent = detail; bar.hidden = true;
    };
    xhr.onerror = function () { status.textContent = "network error"; bar.hidden = true; };
    xhr.send(data);
  });
})();
