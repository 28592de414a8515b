/* Kairan council reader: pages, ink, notes, bookmarks, search, follow the presenter, offline.
   Our own script, no framework, no CDN. Annotations are PUT per page with the client's clock;
   a write that fails for want of a network waits in localStorage and is sent when online. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("reader-config").textContent);
  var T = cfg.text;
  var $ = function (id) { return document.getElementById(id); };
  var img = $("r-img"), canvas = $("r-ink"), box = $("r-pagebox"), notesEl = $("r-notes");
  var ctx = canvas.getContext("2d");
  var state = { page: 1, tool: "none", zoom: 1, following: true, socket: null, lastEvent: 0 };
  var notes = {}; // page -> annotation {strokes, notes, bookmark}
  var PENDING_KEY = "kairan-council-pending";

  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function fmt(s, n) { return s.replace("%(n)s", n); }
  function pageUrl(n, size) { return cfg.api + "pages/" + n + "/" + (size ? "?size=" + size : ""); }
  function annUrl(n) { return cfg.api + "pages/" + n + "/annotation/"; }
  function setStatus(text) { $("r-sync").textContent = text || ""; }

  // --- pages ----------------------------------------------------------------------------------
  function go(n, fromPresenter) {
    n = Math.max(1, Math.min(cfg.pages, n | 0));
    // Turning a page by hand (buttons, keys, swipe, thumbnails) steps away from the presenter
    // (soft follow); one tap on the follow button returns to the presenter's page.
    if (!fromPresenter && !cfg.present && state.following && n !== state.page) { stepAway(); }
    state.page = n;
    $("r-page").value = n;
    img.src = pageUrl(n);
    img.alt = fmt(T.page, n);
    $("r-changed").hidden = cfg.changedPages.indexOf(n) < 0;
    $("r-bookmark").setAttribute("aria-pressed", "false");
    for (var k = 1; k <= 2; k++) { if (n + k <= cfg.pages) { new Image().src = pageUrl(n + k); } }
    loadAnnotation(n);
    if (history.replaceState) { history.replaceState(null, "", "#page=" + n); }
    if (cfg.present && !fromPresenter) { sendGoto(n); }
    document.querySelectorAll("#r-thumbs li").forEach(function (li) {
      li.classList.toggle("is-current", +li.dataset.page === n);
    });
  }
  img.addEventListener("load", resize);
  window.addEventListener("resize", resize);
  function resize() {
    canvas.width = img.clientWidth; canvas.height = img.clientHeight;
    canvas.style.width = img.clientWidth + "px"; canvas.style.height = img.clientHeight + "px";
    draw();
  }
  $("r-prev").onclick = function () { go(state.page - 1); };
  $("r-next").onclick = function () { go(state.page + 1); };
  $("r-page").onchange = function () { go(+this.value); };
  document.addEventListener("keydown", function (e) {
    if (e.target.closest && e.target.closest("input, textarea, dialog")) { return; }
    if (e.key === "ArrowRight" || e.key === "PageDown") { go(state.page + 1); e.preventDefault(); }
    if (e.key === "ArrowLeft" || e.key === "PageUp") { go(state.page - 1); e.preventDefault(); }
  });
  // Swipe to turn pages when reading (not drawing).
  var swipeX = null;
  box.addEventListener("touchstart", function (e) {
    swipeX = state.tool === "none" && e.touches.length === 1 ? e.touches[0].clientX : null;
  }, { passive: true });
  box.addEventListener("touchend", function (e) {
    if (swipeX === null || state.zoom > 1) { return; }
    var dx = e.changedTouches[0].clientX - swipeX;
    if (Math.abs(dx) > 80) { go(state.page + (dx < 0 ? 1 : -1)); }
  });
  function zoom(f) {
    state.zoom = Math.max(1, Math.min(4, state.zoom * f));
    box.style.width = (state.zoom * 100) + "%";
    setTimeout(resize, 0);
  }
  $("r-zoom-in").onclick = function () { zoom(1.25); };
  $("r-zoom-out").onclick = function () { zoom(0.8); };

  // Thumbnails (lazy) and the panel.
  var thumbs = $("r-thumbs");
  for (var i = 1; i <= cfg.pages; i++) {
    var li = document.createElement("li"); li.dataset.page = i;
    var a = document.createElement("a"); a.href = "#page=" + i; a.dataset.page = i;
    var t = document.createElement("img"); t.loading = "lazy"; t.alt = fmt(T.page, i);
    t.dataset.src = pageUrl(i, "thumb");
    a.appendChild(t); li.appendChild(a); thumbs.appendChild(li);
  }
  $("r-panel-toggle").onclick = function () {
    var panel = $("r-panel"), open = panel.hidden;
    panel.hidden = !open; this.setAttribute("aria-expanded", String(open));
    if (open) { thumbs.querySelectorAll("img[data-src]").forEach(function (t) { t.src = t.dataset.src; t.removeAttribute("data-src"); }); }
  };
  $("r-panel").addEventListener("click", function (e) {
    var a = e.target.closest("a[data-page]");
    if (!a) { return; }
    e.preventDefault();
    if (a.dataset.material && +a.dataset.material !== cfg.material) {
      location.href = cfg.readerUrl + a.dataset.material + "/#page=" + a.dataset.page; return;
    }
    go(+a.dataset.page);
  });

  // --- search ---------------------------------------------------------------------------------
  $("r-search").onsubmit = function (e) {
    e.preventDefault();
    var q = $("r-q").value.trim(), whole = $("r-q-meeting").checked;
    if (q.length < 2) { return; }
    var url = (whole ? cfg.meetingApi : cfg.api) + "search/?q=" + encodeURIComponent(q);
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (body) {
      var list = $("r-results"); list.textContent = "";
      (body.hits || []).forEach(function (h) {
        var li = document.createElement("li"), a = document.createElement("a");
        a.href = "#page=" + h.page; a.dataset.page = h.page; a.dataset.material = h.material;
        a.textContent = (h.title ? h.title + " " : "") + fmt(T.page, h.page) + ": " + h.snippet;
        li.appendChild(a); list.appendChild(li);
      });
      if (!(body.hits || []).length) { list.textContent = T.noHits; }
    });
  };

  // --- annotations ----------------------------------------------------------------------------
  function blank() { return { strokes: [], notes: [], bookmark: false }; }
  function loadAnnotation(n) {
    var pending = pendingFor(n);
    if (pending) { notes[n] = pending.body; draw(); return; }
    if (notes[n]) { draw(); return; }
    notes[n] = blank(); draw();
    fetch(annUrl(n), { credentials: "same-origin" }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (a) {
      if (a && !pendingFor(n)) { notes[n] = { strokes: a.strokes, notes: a.notes, bookmark: a.bookmark }; }
      if (n === state.page) { draw(); }
    }).catch(function () { /* offline: the service worker answers from its cache if it can */ });
  }
  function draw() {
    var a = notes[state.page] || blank(), w = canvas.width, h = canvas.height;
    ctx.clearRect(0, 0, w, h);
    canvas.dataset.strokes = String(a.strokes.length); // for tests and assistive summaries
    a.strokes.forEach(function (s) {
      ctx.save();
      ctx.globalAlpha = s.tool === "highlighter" ? 0.35 : 1;
      ctx.strokeStyle = s.color; ctx.lineWidth = s.width * (s.tool === "highlighter" ? 6 : 1) * w / 800;
      ctx.lineCap = "round"; ctx.lineJoin = "round";
      ctx.beginPath();
      s.points.forEach(function (p, j) { (j ? ctx.lineTo : ctx.moveTo).call(ctx, p[0] * w, p[1] * h); });
      ctx.stroke(); ctx.restore();
    });
    notesEl.textContent = "";
    a.notes.forEach(function (note, j) {
      var el = document.createElement("button");
      el.type = "button"; el.className = "reader__note"; el.textContent = note.text;
      el.style.left = (note.x * 100) + "%"; el.style.top = (note.y * 100) + "%";
      el.setAttribute("data-testid", "note");
      el.onclick = function () { if (state.tool === "eraser") { a.notes.splice(j, 1); changed(); } };
      notesEl.appendChild(el);
    });
    $("r-bookmark").setAttribute("aria-pressed", String(!!a.bookmark));
  }
  function current() { return notes[state.page] || (notes[state.page] = blank()); }
  var saveTimer = null;
  function changed() { draw(); clearTimeout(saveTimer); var n = state.page; saveTimer = setTimeout(function () { save(n); }, 400); }

  function pendingAll() { try { return JSON.parse(localStorage.getItem(PENDING_KEY) || "{}"); } catch (e) { return {}; } }
  function pendingFor(n) { return pendingAll()[annUrl(n)] || null; }
  function setPending(url, item) {
    var all = pendingAll(); if (item) { all[url] = item; } else { delete all[url]; }
    localStorage.setItem(PENDING_KEY, JSON.stringify(all));
  }
  function put(url, body, stamp) {
    var payload = { strokes: body.strokes, notes: body.notes, bookmark: body.bookmark, client_updated_at: stamp };
    return fetch(url, {
      method: "PUT", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(payload)
    });
  }
  function save(n) {
    var url = annUrl(n), body = notes[n], stamp = new Date().toISOString();
    setPending(url, { body: body, stamp: stamp }); // kept until the server has it
    put(url, body, stamp).then(function (r) {
      if (r.ok) { setPending(url, null); setStatus(T.saved); }
      else if (r.status === 409) { setPending(url, null); setStatus(T.conflict); delete notes[n]; if (n === state.page) { loadAnnotation(n); } }
      else { setStatus(T.failed); }
    }).catch(function () { setStatus(T.pending); });
  }
  function flush() {
    var all = pendingAll();
    Object.keys(all).forEach(function (url) {
      put(url, all[url].body, all[url].stamp).then(function (r) {
        if (r.ok || r.status === 409 || r.status === 404 || r.status === 400) { setPending(url, null); }
        if (r.ok) { setStatus(T.saved); }
      }).catch(function () { setStatus(T.pending); });
    });
  }
  window.addEventListener("online", flush);
  if (navigator.onLine) { flush(); }

  // Tools.
  document.querySelectorAll("[data-tool]").forEach(function (b) {
    b.onclick = function () {
      state.tool = b.dataset.tool;
      document.querySelectorAll("[data-tool]").forEach(function (o) { o.setAttribute("aria-pressed", String(o === b)); });
      box.classList.toggle("is-drawing", state.tool !== "none");
    };
  });
  $("r-bookmark").onclick = function () { var a = current(); a.bookmark = !a.bookmark; changed(); };

  var stroke = null;
  function point(e) {
    var r = canvas.getBoundingClientRect();
    return [Math.round(((e.clientX - r.left) / r.width) * 1e4) / 1e4, Math.round(((e.clientY - r.top) / r.height) * 1e4) / 1e4];
  }
  canvas.addEventListener("pointerdown", function (e) {
    if (state.tool === "none") { return; }
    e.preventDefault();
    var p = point(e);
    if (state.tool === "note") { openNote(p); return; }
    if (state.tool === "eraser") { erase(p); stroke = { eraser: true }; return; }
    canvas.setPointerCapture(e.pointerId);
    stroke = { tool: state.tool, color: state.tool === "pen" ? "#c00000" : "#ffd400", width: 2, points: [p] };
    current().strokes.push(stroke);
  });
  canvas.addEventListener("pointermove", function (e) {
    if (!stroke) { return; }
    var p = point(e);
    if (stroke.eraser) { erase(p); return; }
    if (stroke.points.length < 4000) { stroke.points.push(p); draw(); }
  });
  function end() { if (stroke) { stroke = null; changed(); } }
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  function erase(p) {
    var a = current(), before = a.strokes.length;
    a.strokes = a.strokes.filter(function (s) {
      return !s.points.some(function (q) { return Math.abs(q[0] - p[0]) < 0.02 && Math.abs(q[1] - p[1]) < 0.02; });
    });
    if (a.strokes.length !== before) { draw(); }
  }
  var noteAt = null, dialog = $("r-note-dialog");
  function openNote(p) { noteAt = p; $("r-note-text").value = ""; dialog.showModal(); $("r-note-text").focus(); }
  dialog.addEventListener("close", function () {
    var text = $("r-note-text").value.trim();
    if (dialog.returnValue === "save" && text && noteAt) { current().notes.push({ x: noteAt[0], y: noteAt[1], text: text }); changed(); }
    noteAt = null;
  });

  // Unplaced notes after a 差し替え.
  fetch(cfg.api + "annotations/", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : []; }).then(function (list) {
    var un = list.filter(function (a) { return a.is_unplaced; });
    if (!un.length) { return; }
    $("r-unplaced").hidden = false;
    un.forEach(function (a) {
      var li = document.createElement("li");
      li.textContent = fmt(T.page, a.original_page) + ": " + a.notes.map(function (n) { return n.text; }).join(" / ") + (a.strokes.length ? " ✎" + a.strokes.length : "");
      $("r-unplaced-list").appendChild(li);
    });
  }).catch(function () {});

  // --- follow the presenter -------------------------------------------------------------------
  function setFollowing(on) {
    state.following = on;
    var b = $("r-follow");
    b.setAttribute("aria-pressed", String(on));
    b.textContent = on ? T.following : T.away;
  }
  function applyGoto(m) {
    if (!m || !m.material) { return; }
    state.lastEvent = Math.max(state.lastEvent, m.event_id || 0);
    if (m.material !== cfg.material) { location.href = cfg.readerUrl + m.material + "/#page=" + m.page; return; }
    initialHash = false;
    go(m.page, true);
  }
  function sendGoto(n) {
    if (state.socket && state.socket.readyState === 1) {
      state.socket.send(JSON.stringify({ type: "goto", material: cfg.material, page: n }));
    }
  }
  var retry = 1000;
  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(proto + location.host + cfg.ws + "?events=all" + (state.lastEvent ? "&last_event_id=" + state.lastEvent : ""));
    state.socket = ws;
    ws.onopen = function () { retry = 1000; };
    ws.onmessage = function (e) {
      var m = JSON.parse(e.data);
      if (m.type === "hello") {
        state.lastEvent = Math.max(state.lastEvent, m.event_id || 0);
        if (!state.following) { ws.send(JSON.stringify({ type: "unfollow" })); }
      } else if (m.type === "current") {
        // Where the presenter is now: a late joiner (or one returning with a tap) lands there.
        if (!cfg.present && state.following && !initialHash) { applyGoto(m); }
      } else if (m.type === "goto") {
        state.lastEvent = Math.max(state.lastEvent, m.event_id || 0);
        if (!cfg.present && state.following) { applyGoto(m); }
      } else if (m.type === "resync") {
        state.lastEvent = m.event_id || 0;
        if (state.following) { ws.send(JSON.stringify({ type: "follow" })); }
      } else if (m.type === "followers") {
        $("r-followers").textContent = fmt(T.followers, m.count);
      }
    };
    ws.onclose = function () { state.socket = null; setTimeout(connect, retry); retry = Math.min(retry * 2, 30000); };
  }
  function stepAway() {
    setFollowing(false);
    if (state.socket && state.socket.readyState === 1) { state.socket.send(JSON.stringify({ type: "unfollow" })); }
  }
  $("r-follow").onclick = function () {
    if (cfg.present) { return; }
    if (state.following) {
      stepAway();
    } else {
      setFollowing(true);
      if (state.socket && state.socket.readyState === 1) { state.socket.send(JSON.stringify({ type: "follow" })); }
    }
  };
  if (cfg.present) { $("r-follow").hidden = true; }
  // --- offline: ask the service worker to keep the whole meeting ------------------------------
  $("r-offline").onclick = function () {
    if (!navigator.serviceWorker || !navigator.serviceWorker.controller) { return; }
    setStatus(T.offlineSaving);
    fetch(cfg.meetingApi, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (meeting) {
      var jobs = (meeting.materials || []).map(function (m) {
        var base = "/api/v1/council/materials/" + m.id + "/";
        var urls = [cfg.readerUrl + m.id + "/", base, base + "annotations/"];
        for (var n = 1; n <= m.pages; n++) { urls.push(base + "pages/" + n + "/", base + "pages/" + n + "/?size=thumb"); }
        return fetch(base + "annotations/", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : []; }).then(function (mine) {
          mine.forEach(function (a) { if (a.page) { urls.push(base + "pages/" + a.page + "/annotation/"); } });
          return urls;
        });
      });
      return Promise.all(jobs);
    }).then(function (lists) {
      var urls = [cfg.meetingApi].concat.apply([cfg.meetingApi], lists);
      navigator.serviceWorker.controller.postMessage({ type: "precache", urls: urls });
      setStatus(T.offlineSaved);
    }).catch(function () { setStatus(T.failed); });
  };

  var hashPage = (location.hash.match(/page=(\d+)/) || [])[1];
  var initialHash = !!hashPage;
  go(hashPage ? +hashPage : 1, true);
  if ("WebSocket" in window) { connect(); }
  setTimeout(function () { initialHash = false; }, 2000);
})();
