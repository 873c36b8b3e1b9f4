// The service worker: /scan and /d/{tag} keep opening without the network once seen.
// Served at /sw.js (so its scope is the whole site) with the version the app runs.
// - the scripts, styles, icons, QR decoder and "hors ligne" page are kept per version (cache
//   first);
// - the scan and device pages are fetched from the network and kept, and given from the cache
//   when the network is missing; a page never seen gives the "hors ligne" page;
// - everything else (forms, the API, JSON) goes to the network untouched: queued scans are the
//   pages' business (offline.js), never replayed from here.
"use strict";
var VERSION = "{{version}}"; // the pages' `?v=` on the files they name
var SHELL = "collecte-shell-{{files}}"; // a digest of the files: new files, a new cache
var PAGES = "collecte-pages";
var OFFLINE_PAGE = "/hors-ligne";
var MAX_DEVICE_PAGES = 300;
var NETWORK_WAIT_MS = 6000;
var SHELL_FILES = [
  "/static/app.css?v=" + VERSION,
  "/static/app.js?v=" + VERSION,
  "/static/tags.js?v=" + VERSION,
  "/static/offline.js?v=" + VERSION,
  "/static/scan.js?v=" + VERSION,
  "/static/signature.js?v=" + VERSION,
  "/static/favicon.svg?v=" + VERSION,
  "/static/vendor/qr/decode.js?v=" + VERSION,
  "/static/vendor/qr/index.js",
  "/static/icons/icon-192.png",
  OFFLINE_PAGE
];

importScripts("/static/tags.js?v=" + VERSION);

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL)
      .then(function (cache) {
        // Past the browser's HTTP cache: the files of this very version.
        return cache.addAll(SHELL_FILES.map(function (url) { return new Request(url, { cache: "reload" }); }));
      })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (keys) {
        return Promise.all(keys.filter(function (key) {
          return key.indexOf("collecte-shell-") === 0 && key !== SHELL;
        }).map(function (key) { return caches.delete(key); }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

// The key a page is kept under: /scan, /scan?action=…, /d/{TAG} (any spelling of the tag).
function pageKey(url) {
  if (url.pathname === "/scan") {
    var action = url.searchParams.get("action");
    return action ? "/scan?action=" + encodeURIComponent(action) : "/scan";
  }
  var match = /^\/d\/([^\/]+)$/i.exec(url.pathname);
  if (!match) return null;
  var parsed = self.CollecteTags.parse(decodeURIComponent(match[1]));
  return parsed.tag ? "/d/" + parsed.tag : null;
}

// Whether the page at `url` is the plain page of its key (an answer to a form is not kept:
// `/d/{tag}?fait=…` says what was just done).
function keepable(url) {
  var allowed = url.pathname === "/scan" ? ["action", "lang"] : ["lang"];
  return Array.from(url.searchParams.keys()).every(function (name) {
    return allowed.indexOf(name) >= 0;
  });
}

// Keep `response` as the page of `key`; of the device pages, only the most recent ones (a
// workshop opens hundreds in a month: the phone's storage is not the archive).
function keep(key, response) {
  return caches.open(PAGES).then(function (cache) {
    return cache.delete(key).then(function () { return cache.put(key, response); }).then(function () {
      return cache.keys();
    }).then(function (requests) {
      var devices = requests.filter(function (request) { return new URL(request.url).pathname.indexOf("/d/") === 0; });
      return Promise.all(devices.slice(0, Math.max(0, devices.length - MAX_DEVICE_PAGES)).map(function (request) {
        return cache.delete(request);
      }));
    });
  });
}

function keptPage(key) {
  return caches.open(PAGES).then(function (cache) { return key ? cache.match(key) : undefined; });
}

// The network's page, kept for later; without network the kept one, or the "hors ligne" page.
// A network that answers nothing for NETWORK_WAIT_MS (one bar in the brousse) loses to a kept
// copy of the same page.
function fromNetworkThenCache(request, url) {
  var key = pageKey(url);
  var network = fetch(request).then(function (response) {
    // Only a page the signed-in user was given: not a redirect to sign in, not an error.
    if (response.ok && !response.redirected && key && keepable(url)) keep(key, response.clone());
    return response;
  });
  network.catch(function () { /* answered below */ });
  var slow = new Promise(function (resolve) { setTimeout(resolve, NETWORK_WAIT_MS); })
    .then(function () { return keptPage(key); })
    .then(function (kept) { return kept || network; });
  return Promise.race([network, slow]).catch(function () {
    return keptPage(key)
      .then(function (kept) { return kept || caches.match(OFFLINE_PAGE); })
      .then(function (kept) { return kept || Response.error(); });
  });
}

function fromCacheThenNetwork(request) {
  return caches.open(SHELL).then(function (cache) {
    return cache.match(request).then(function (kept) {
      if (kept) return kept;
      return fetch(request).then(function (response) {
        if (response.ok) cache.put(request, response.clone());
        return response;
      }).catch(function () {
        // A page kept from an older version names older files: give the current ones.
        return cache.match(request, { ignoreSearch: true }).then(function (current) {
          return current || Response.error();
        });
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(fromNetworkThenCache(request, url));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(fromCacheThenNetwork(request));
  }
});

// Signing out forgets the pages kept for that user (the queue of scans is kept: offline.js).
self.addEventListener("message", function (event) {
  if (event.data === "forget-pages") event.waitUntil(caches.delete(PAGES));
});
