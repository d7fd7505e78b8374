/*
 * The kiosk's service worker (scope /kiosk, served by /kiosk/sw.js): keeps the kiosk's
 * pages, scripts and styles so that the tablet reloads the kiosk without a network.
 * Pages: network first (a revoked or changed kiosk shows at once when online), the kept
 * copy when offline. Versioned static files (?v=<hash>): the kept copy first.
 * Answers never pass through here: kiosk.js queues them in IndexedDB and posts them.
 */
"use strict";
var CACHE = "sipas-kiosk-v1";

self.addEventListener("install", function () { self.skipWaiting(); });

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

// kiosk.js sends the URLs of its pages and files once the worker is ready.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "cache" || !Array.isArray(data.urls)) return;
  var port = event.ports && event.ports[0];
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(data.urls.map(function (url) {
      var target = new URL(url, self.location.href);
      if (target.origin !== self.location.origin) return null;
      return fetch(target.href, {credentials: "same-origin", cache: "no-cache"}).then(function (res) {
        // A redirect (tablet no longer enrolled) is not a page to keep.
        if (res.ok && !res.redirected) return cache.put(target.href, res);
        return null;
      }).catch(function () { return null; });
    }));
  }).then(function () { if (port) port.postMessage("cached"); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin ||
      url.pathname.indexOf("/api/") === 0) {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).then(function (res) {
      if (res.ok && !res.redirected && url.origin + url.pathname === self.registration.scope) {
        var copy = res.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request.url, copy); });
      }
      return res;
    }).catch(function () {
      return caches.match(request.url).then(function (kept) {
        return kept || caches.match(self.registration.scope);
      });
    }));
    return;
  }
  event.respondWith(caches.match(request.url).then(function (kept) {
    return kept || fetch(request).then(function (res) {
      if (res.ok && url.searchParams.has("v")) {
        var copy = res.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request.url, copy); });
      }
      return res;
    });
  }));
});
