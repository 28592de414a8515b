/* The header bell on every screen: the person's new notifications arrive over the WebSocket of
   their event stream (/ws/chat/?events=notification) — stored before they are sent, so nothing
   is lost between the page's render and the connection: the page carries where the stream
   stood when it was rendered (data-last-event-id) and the socket resumes from there.
   On a chat screen chat.js already holds the socket and calls KairanBell.show itself.
   No polling: one socket per tab, reconnecting with backoff (at most 12 tries, up to a minute
   apart), never after the server refused the person (4401/4403). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var unreadText = script.dataset.unread || "%(n)s";
  var newText = script.dataset.new || "%(title)s";
  var wsPath = script.dataset.ws;
  var lastEventId = parseInt(script.dataset.lastEventId || "", 10);
  var MAX_TRIES = 12;
  var attempt = 0;
  var live = null;
  var socket = null;

  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, k) { return values[k]; });
  }

  function bell() {
    return document.querySelector('[data-testid="notifications-badge"]');
  }

  // A polite live region, so a screen reader hears a new notification without losing its place.
  function announce(text) {
    if (!live) {
      live = document.createElement("p");
      live.className = "visually-hidden";
      live.setAttribute("role", "status");
      live.dataset.testid = "notifications-live";
      document.body.appendChild(live);
    }
    live.textContent = text;
  }

  function show(unread, title) {
    var b = bell();
    if (!b) return;
    var badge = b.querySelector('[data-testid="notifications-unread"]');
    var n = parseInt(unread, 10) || 0;
    if (!n) {
      if (badge) badge.remove();
      return;
    }
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "badge";
      badge.dataset.testid = "notifications-unread";
      b.appendChild(badge);
    }
    badge.textContent = fmt(unreadText, { n: n });
    if (title) announce(fmt(newText, { title: title }));
  }

  window.KairanBell = { show: show };

  function refreshCount() {
    fetch("/api/v1/notifications/?limit=1", {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) { if (j) show(j.unread); })
      .catch(function () {});
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var url = scheme + location.host + wsPath + "?events=notification";
    if (!isNaN(lastEventId)) url += "&last_event_id=" + lastEventId;
    socket = new WebSocket(url);
    socket.onopen = function () { attempt = 0; };
    socket.onmessage = function (e) {
      var ev = JSON.parse(e.data);
      if (typeof ev.event_id === "number") lastEventId = ev.event_id;
      if (ev.type === "notification") show(ev.unread, ev.title);
      else if (ev.type === "resync") refreshCount();
    };
    socket.onclose = function (e) {
      if (e.code === 4401 || e.code === 4403) return;  // signed out or refused: stay quiet
      attempt += 1;
      if (attempt > MAX_TRIES) return;
      var delay = Math.min(60000, 1000 * Math.pow(2, attempt)) * (0.75 + Math.random() / 2);
      setTimeout(connect, delay);
    };
  }

  // Deferred: the page is parsed. Chat screens carry the bell on their own socket.
  if (!wsPath || !bell() || document.getElementById("chat") || !window.WebSocket) return;
  window.addEventListener("pagehide", function () {
    attempt = MAX_TRIES;  // leaving the page: no reconnect
    if (socket) socket.close();
  });
  connect();
})();
