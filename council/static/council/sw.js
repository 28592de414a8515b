/* Kairan council offline worker. Caches what a councilor opened (reader pages, page images,
   material and meeting data, their own annotations) so a meeting can be read without a network.
   Writes are never cached: an annotation PUT that fails offline is kept by the reader in
   localStorage and sent again when online (last write per page wins on the server). */
var CACHE = "kairan-council-v1";
self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (e) { e.waitUntil(self.clients.claim()); });
function cacheable(url) {
  return url.pathname.indexOf("/api/v1/council/") === 0 || url.pathname.indexOf("/council/materials/") === 0 ||
    url.pathname.indexOf("/static/") === 0;
}
self.addEventListener("fetch", function (e) {
  var req = e.request, url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== location.origin || !cacheable(url)) { return; }
  // Network first (the embargo and annotations are decided by the server), cache when offline.
  e.respondWith(fetch(req).then(function (res) {
    if (res.ok) { var copy = res.clone(); caches.open(CACHE).then(function (c) { c.put(req, copy); }); }
    return res;
  }).catch(function () {
    return caches.match(req).then(function (hit) { return hit || new Response("", { status: 503 }); });
  }));
});
self.addEventListener("message", function (e) {
  // {type: "precache", urls: [...]}: the reader asks to keep a meeting's pages for offline use.
  if (e.data && e.data.type === "precache") {
    caches.open(CACHE).then(function (c) { e.data.urls.slice(0, 5000).forEach(function (u) { c.add(u).catch(function () {}); }); });
  }
  if (e.data && e.data.type === "clear") { caches.delete(CACHE); }
});
