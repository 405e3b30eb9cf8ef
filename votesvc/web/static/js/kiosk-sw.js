// The booth kiosk's service worker (served at /kiosk/sw.js, scope /kiosk/). It keeps the kiosk
// page and its files (the list and version come first in this file, written by the server) so
// that after one load online the page starts, reloads and restarts with no network. Everything
// else passes through untouched: the sync and setup requests are the page's own business, and
// nothing a voter marked ever reaches a cache (ballots live in IndexedDB until synced).
(function () {
  "use strict";
  var config = self.VOTESVC_KIOSK;
  var name = "votesvc-kiosk-" + config.version;
  var shell = config.assets[0];

  self.addEventListener("install", function (event) {
    event.waitUntil(caches.open(name).then(function (cache) {
      return cache.addAll(config.assets);
    }).then(function () { return self.skipWaiting(); }));
  });

  self.addEventListener("activate", function (event) {
    event.waitUntil(caches.keys().then(function (names) {
      return Promise.all(names.filter(function (old) {
        return old.indexOf("votesvc-kiosk-") === 0 && old !== name;
      }).map(function (old) { return caches.delete(old); }));
    }).then(function () { return self.clients.claim(); }));
  });

  self.addEventListener("fetch", function (event) {
    var request = event.request;
    var url = new URL(request.url);
    if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
    var isShell = url.pathname === shell;
    if (!isShell && config.assets.indexOf(url.pathname + url.search) < 0) { return; }
    event.respondWith(caches.open(name).then(function (cache) {
      return cache.match(isShell ? shell : request).then(function (kept) {
        return kept || fetch(request);
      });
    }));
  });
})();
