/* Kairan chat client: REST for history, /ws/chat/ for live events. No framework, no CDN.
 * - Text is always inserted with textContent (never innerHTML); URLs become links (http/https).
 * - The composer never sends while an IME is composing (isComposing / keyCode 229).
 * - Reconnects with exponential backoff and resumes from the last event_id it saw;
 *   a "resync" event reloads the room from the REST API.
 */
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root) return;
  var T = JSON.parse(document.getElementById("chat-i18n").textContent);
  var roomId = root.dataset.room ? parseInt(root.dataset.room, 10) : null;
  var me = root.dataset.me;
  var api = root.dataset.api;
  var csrf = root.dataset.csrf;
  var list = root.querySelector(".chat__messages");
  var status = root.querySelector(".chat__status");
  var form = root.querySelector(".chat__composer");
  var textarea = form ? form.querySelector("textarea") : null;

  var socket = null;
  var lastEventId = null;
  var attempt = 0;
  var oldestId = null;
  var newestId = 0;
  var readSent = 0;
  var loadingOlder = false;
  var noMoreOlder = false;
  var pending = {};  // client_id -> text, until the server's copy arrives
  var replyTo = null;  // the message a reply answers (a thread)

  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, k) { return values[k]; });
  }

  function request(method, path, body) {
    var opts = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.headers["X-CSRFToken"] = csrf;
      opts.body = JSON.stringify(body);
    }
    return fetch(api + path, opts).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.status === 204 ? null : r.json();
    });
  }

  // --- rendering ------------------------------------------------------------------------------
  var URL_RE = /https?:\/\/[^\s<>"'「」、。]+/g;

  function renderText(el, text) {
    el.textContent = "";
    var last = 0;
    text.replace(URL_RE, function (url, index) {
      el.appendChild(document.createTextNode(text.slice(last, index)));
      var a = document.createElement("a");
      a.href = url;
      a.textContent = url;
      a.rel = "noopener noreferrer";
      a.target = "_blank";
      el.appendChild(a);
      last = index + url.length;
      return url;
    });
    el.appendChild(document.createTextNode(text.slice(last)));
  }

  function timeOf(iso) {
    var d = new Date(iso);
    return d.toLocaleString("ja-JP", { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
  }

  function messageElement(m) {
    var li = document.createElement("li");
    li.className = "chat__message" + (m.sender === me ? " chat__message--mine" : "");
    li.id = "m" + m.id;
    li.dataset.id = m.id;
    var head = document.createElement("div");
    head.className = "chat__meta";
    var who = document.createElement("span");
    who.className = "chat__sender";
    who.textContent = m.sender_name || m.sender || "";
    var when = document.createElement("time");
    when.dateTime = m.sent_at;
    when.textContent = timeOf(m.sent_at);
    head.appendChild(who);
    head.appendChild(when);
    var body = document.createElement("p");
    body.className = "chat__text";
    var flags = document.createElement("div");
    flags.className = "chat__flags";
    li.appendChild(head);
    li.appendChild(body);
    if (m.parent) {
      var ref = document.createElement("a");
      ref.className = "chat__reply-to";
      ref.href = "#m" + m.parent;
      ref.textContent = fmt(T.reply_to, { id: m.parent });
      li.insertBefore(ref, body);
    }
    if (m.card) li.appendChild(cardElement(m.card));
    if (m.attachment && !m.deleted) {
      var file = document.createElement("a");
      file.className = "chat__file";
      file.href = api + "messages/" + m.id + "/attachment/";
      file.textContent = T.attachment;
      li.appendChild(file);
    }
    linkedProposals(m.text || "").forEach(function (id) { attachProposalCard(li, id); });
    li.appendChild(flags);
    if (m.sender) li.appendChild(actionsElement(li, m));
    updateMessage(li, m);
    return li;
  }

  function actionButton(label, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "chat__action";
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function actionsElement(li, m) {
    var row = document.createElement("div");
    row.className = "chat__actions";
    row.appendChild(actionButton(T.reply, function () {
      replyTo = m.id;
      setStatus(fmt(T.replying, { id: m.id }));
      textarea.focus();
    }));
    if (m.sender === me) {
      row.appendChild(actionButton(T.edit, function () {
        var text = window.prompt(T.edit, li.querySelector(".chat__text").textContent);
        if (text) request("PATCH", "messages/" + m.id + "/", { text: text }).then(append);
      }));
      row.appendChild(actionButton(T.delete, function () {
        if (window.confirm(T.confirm_delete)) request("DELETE", "messages/" + m.id + "/");
      }));
    }
    row.appendChild(actionButton(T.file_record, function () {
      // The message and its thread become a PDF record (see chat/README.md "Records").
      request("POST", "rooms/" + roomId + "/file/", { thread: m.parent || m.id }).then(function (r) {
        setStatus(fmt(T.filed, { title: r.title }));
        var link = document.createElement("a");
        link.href = "/records/documents/" + r.document + "/";
        link.textContent = r.title;
        li.appendChild(link);
      }).catch(function (e) { setStatus(T.file_failed + " (" + e.message + ")"); });
    }));
    if (root.dataset.canMandatory === "1" && !m.mandatory) {
      row.appendChild(actionButton(T.mark_mandatory, function () {
        request("POST", "messages/" + m.id + "/mandatory/").then(append);
      }));
    }
    return row;
  }

  // --- cards ----------------------------------------------------------------------------------
  var PROPOSAL_RE = /\/approval\/proposals\/(\d+)\//g;

  function linkedProposals(text) {
    var ids = [];
    text.replace(PROPOSAL_RE, function (_, id) { if (ids.indexOf(id) < 0) ids.push(id); return _; });
    return ids.slice(0, 3);
  }

  function cardBox(title, href) {
    var box = document.createElement("div");
    box.className = "chat__card";
    var a = document.createElement("a");
    a.href = href;
    a.textContent = title;
    box.appendChild(a);
    return box;
  }

  // A linked proposal becomes a card only if the server says this reader may see it (404: the
  // link stays a plain link and nothing more is shown).
  function attachProposalCard(li, id) {
    request("GET", "proposal-card/" + id + "/").then(function (p) {
      var box = cardBox(p.title, "/approval/proposals/" + p.id + "/");
      var meta = document.createElement("span");
      meta.className = "chat__card-meta";
      meta.textContent = p.status_label + (p.number ? " · " + p.number : "");
      box.appendChild(meta);
      li.insertBefore(box, li.querySelector(".chat__flags"));
    }).catch(function () {});
  }

  function cardElement(card) {
    var box = cardBox(card.title, "/approval/proposals/" + card.proposal + "/");
    box.dataset.testid = "card";
    if (card.type === "task") {
      var row = document.createElement("div");
      row.className = "chat__card-actions";
      var approve = document.createElement("button");
      approve.type = "button";
      approve.className = "button button--primary";
      approve.textContent = T.approve;
      var back = document.createElement("button");
      back.type = "button";
      back.className = "button button--secondary";
      back.textContent = T.send_back;
      var out = document.createElement("span");
      out.setAttribute("role", "status");
      function act(path, body) {
        // Workflow's own API: the same services and permission checks as the approval screens.
        fetch("/api/v1/tasks/" + card.task + "/" + path + "/", {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
          body: JSON.stringify(body || {})
        }).then(function (r) {
          return r.json().then(function (j) {
            out.textContent = r.ok ? T.done : (j.detail || String(r.status));
            if (r.ok) { approve.disabled = true; back.disabled = true; }
          });
        });
      }
      approve.addEventListener("click", function () { act("approve"); });
      back.addEventListener("click", function () {
        var comment = window.prompt(T.comment);
        if (comment) act("send-back", { comment: comment });
      });
      row.appendChild(approve);
      row.appendChild(back);
      row.appendChild(out);
      box.appendChild(row);
    }
    return box;
  }

  function updateMessage(li, m) {
    var body = li.querySelector(".chat__text");
    if (m.deleted) {
      body.textContent = T.deleted;
      body.classList.add("chat__text--deleted");
    } else {
      renderText(body, m.text);
    }
    var flags = li.querySelector(".chat__flags");
    flags.textContent = "";
    function tag(text, cls, testid) {
      var s = document.createElement("span");
      s.className = "tag " + cls;
      s.textContent = text;
      if (testid) s.dataset.testid = testid;
      flags.appendChild(s);
      return s;
    }
    if (m.mandatory) tag(T.mandatory, "chat__tag--mandatory");
    if (m.edited && !m.deleted) tag(T.edited, "chat__tag--edited");
    if (m.sender === me) {
      var n = li.dataset.readCount ? parseInt(li.dataset.readCount, 10) : (m.read_count || 0);
      li.dataset.readCount = n;
      var r = tag(fmt(T.read, { n: n }), "chat__read" + (n ? "" : " chat__read--none"), "read-count");
      if (li.dataset.readers) r.title = li.dataset.readers;
    }
  }

  function append(m) {
    if (!list || m.room !== roomId) return;
    var existing = document.getElementById("m" + m.id);
    if (existing) { updateMessage(existing, m); return; }
    var nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    list.appendChild(messageElement(m));
    newestId = Math.max(newestId, m.id);
    if (oldestId === null) oldestId = m.id;
    if (nearBottom || m.sender === me) list.scrollTop = list.scrollHeight;
    markRead();
  }

  function prepend(messages) {
    var before = list.scrollHeight;
    var first = list.firstChild;
    messages.forEach(function (m) {
      if (!document.getElementById("m" + m.id)) list.insertBefore(messageElement(m), first);
    });
    list.scrollTop += list.scrollHeight - before;
  }

  // --- history ------------------------------------------------------------------------------
  function loadLatest() {
    if (!roomId) return Promise.resolve();
    return request("GET", "rooms/" + roomId + "/messages/?limit=50").then(function (messages) {
      list.textContent = "";
      oldestId = messages.length ? messages[0].id : null;
      noMoreOlder = messages.length < 50;
      messages.forEach(append);
      list.scrollTop = list.scrollHeight;
      markRead();
    });
  }

  function loadOlder() {
    if (loadingOlder || noMoreOlder || oldestId === null) return;
    loadingOlder = true;
    list.setAttribute("aria-busy", "true");
    request("GET", "rooms/" + roomId + "/messages/?limit=50&before=" + oldestId).then(function (messages) {
      if (messages.length < 50) noMoreOlder = true;
      if (messages.length) {
        oldestId = messages[0].id;
        prepend(messages.slice().reverse());
      }
    }).finally(function () {
      loadingOlder = false;
      list.removeAttribute("aria-busy");
    });
  }

  // --- read receipts ------------------------------------------------------------------------
  function markRead() {
    if (!roomId || document.hidden || newestId <= readSent) return;
    var bottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    if (!bottom) return;
    readSent = newestId;
    send({ type: "read", room: roomId, message: newestId });
  }

  function refreshReceipts(messageId) {
    var li = document.getElementById("m" + messageId);
    if (!li) return;
    request("GET", "messages/" + messageId + "/receipts/").then(function (r) {
      li.dataset.readCount = r.count;
      li.dataset.readers = fmt(T.readers, { names: r.readers.map(function (x) { return x.name; }).join("、") });
      var flag = li.querySelector(".chat__read");
      if (flag) {
        flag.textContent = fmt(T.read, { n: r.count });
        flag.title = li.dataset.readers;
        flag.classList.toggle("chat__read--none", !r.count);
      }
    });
  }

  // --- room list ----------------------------------------------------------------------------
  function bumpUnread(room) {
    var item = document.querySelector('[data-room-id="' + room + '"] .chat__unread');
    if (!item) return;
    var n = parseInt(item.dataset.unread || "0", 10) + 1;
    item.dataset.unread = n;
    item.textContent = String(n);
    item.classList.remove("chat__unread--none");
  }

  function addRoom(room) {
    var ul = document.querySelector(".chat__room-list");
    if (!ul || document.querySelector('[data-room-id="' + room.id + '"]')) return;
    var li = document.createElement("li");
    li.dataset.roomId = room.id;
    var a = document.createElement("a");
    a.href = "/chat/rooms/" + room.id + "/";
    var name = document.createElement("span");
    name.className = "chat__room-name";
    name.textContent = room.name;
    var unread = document.createElement("span");
    unread.className = "chat__unread chat__unread--none";
    unread.dataset.unread = "0";
    a.appendChild(name);
    a.appendChild(unread);
    li.appendChild(a);
    ul.appendChild(li);
  }

  // --- socket -------------------------------------------------------------------------------
  function setStatus(text) { if (status) status.textContent = text; }

  function send(obj) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(obj));
      return true;
    }
    return false;
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var url = scheme + location.host + root.dataset.wsPath + "?events=all";
    if (lastEventId !== null) url += "&last_event_id=" + lastEventId;
    socket = new WebSocket(url);
    socket.onopen = function () { attempt = 0; setStatus(T.connected); };
    socket.onmessage = function (e) {
      var ev = JSON.parse(e.data);
      if (typeof ev.event_id === "number") lastEventId = ev.event_id;
      switch (ev.type) {
        case "hello":
          resendPending();
          break;
        case "resync":
          loadLatest();
          break;
        case "message":
          delete pending[ev.client_id];
          if (ev.room === roomId) append(ev);
          else if (ev.sender !== me) bumpUnread(ev.room);
          break;
        case "message_updated":
          if (ev.room === roomId) append(ev);
          break;
        case "receipt":
          if (ev.room === roomId) refreshReceipts(ev.message);
          break;
        case "notification":
          // The header bell (static/js/bell.js) rides on this socket on chat screens.
          if (window.KairanBell) window.KairanBell.show(ev.unread, ev.title);
          break;
        case "room_joined":
          addRoom(ev);
          break;
        case "room_left":
          var item = document.querySelector('[data-room-id="' + ev.room + '"]');
          if (item) item.remove();
          if (ev.room === roomId) {
            setStatus(T.left);
            if (form) form.hidden = true;
          }
          break;
        case "error":
          if (ev.client_id && pending[ev.client_id] !== undefined) delete pending[ev.client_id];
          setStatus(ev.detail);
          break;
      }
    };
    socket.onclose = function () {
      setStatus(T.reconnecting);
      attempt += 1;
      var delay = Math.min(30000, 500 * Math.pow(2, attempt)) * (0.75 + Math.random() / 2);
      setTimeout(connect, delay);
    };
  }

  function resendPending() {
    Object.keys(pending).forEach(function (id) {
      send({ type: "send", room: roomId, text: pending[id], client_id: id });
    });
  }

  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return String(Date.now()) + "-" + Math.random().toString(16).slice(2);
  }

  // --- composer -----------------------------------------------------------------------------
  function submit() {
    var text = textarea.value;
    if (!text.trim()) return;
    var id = newClientId();
    var parent = replyTo;
    replyTo = null;
    pending[id] = text;
    // The same client_id over REST or WS is stored once, so a retry can never double-post.
    if (!send({ type: "send", room: roomId, text: text, client_id: id, parent: parent })) {
      request("POST", "rooms/" + roomId + "/messages/", { text: text, client_id: id, parent: parent })
        .then(function (m) { delete pending[id]; append(m); })
        .catch(function () { setStatus(T.failed); });
    }
    textarea.value = "";
    textarea.focus();
  }

  if (form) {
    form.addEventListener("submit", function (e) { e.preventDefault(); submit(); });
    textarea.addEventListener("keydown", function (e) {
      // While a Japanese IME is composing, Enter confirms the conversion: never send then.
      if (e.isComposing || e.keyCode === 229) return;
      if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        submit();
      }
    });
  }
  var fileInput = form ? form.querySelector('input[type="file"]') : null;
  if (fileInput) {
    fileInput.addEventListener("change", function () {
      if (!fileInput.files.length) return;
      var data = new FormData();
      data.append("file", fileInput.files[0]);
      data.append("text", textarea.value);
      data.append("client_id", newClientId());
      fetch(api + "rooms/" + roomId + "/attachments/", {
        method: "POST", credentials: "same-origin", body: data,
        headers: { "X-CSRFToken": csrf, "Accept": "application/json" }
      }).then(function (r) {
        return r.json().then(function (j) {
          if (!r.ok) { setStatus(j.detail || String(r.status)); return; }
          textarea.value = "";
          append(j);
        });
      }).finally(function () { fileInput.value = ""; });
    });
  }
  if (list) {
    list.addEventListener("scroll", function () {
      if (list.scrollTop < 60) loadOlder();
      markRead();
    });
    document.addEventListener("visibilitychange", markRead);
  }

  // Connect first (the server holds our place from here), then load the room.
  connect();
  loadLatest();
})();
