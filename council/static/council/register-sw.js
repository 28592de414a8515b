/* Registers the council's offline worker (served at /council/sw.js). */
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/council/sw.js", { scope: "/council/" }).catch(function () {});
}
