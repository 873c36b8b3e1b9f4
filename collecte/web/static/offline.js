// Scans kept on the phone while the network is missing, sent when it is back.
// Each kept scan is one action on one device with its own Idempotency-Key, stored in IndexedDB
// until the server has answered it. The server applies a key once and answers a replay as the
// first time, so a scan sent twice (the page closed mid-send, an answer lost on the way) is
// applied once. The phone also remembers the newest status it saw of each device (by the
// server's clock), so that the scan page can refuse at once what the server would (scan.js).
// The service worker (/sw.js) keeps the pages and files; it never sends anything itself.
(function () {
  "use strict";
  var box = document.getElementById("queue");
  if (!box || !window.indexedDB || !window.fetch || !window.Promise) return;
  var d = box.dataset;
  var fill = window.CollecteTags.fill;
  var user = Number(d.user) || null;
  var statuses = JSON.parse(d.statuses);
  var actions = JSON.parse(d.actions);
  var counts = document.querySelectorAll(".queue-count");
  var summary = document.getElementById("queue-summary");
  var list = document.getElementById("queue-list");
  var feedback = document.getElementById("queue-feedback");
  var sendButton = document.getElementById("queue-send");
  var clearButton = document.getElementById("queue-clear");
  var sending = null;
  var retry = null;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(function () { /* pages work without it */ });
  }

  // --- IndexedDB: `queue` (the kept scans, in the order they were made) and `devices` -------
  var opened = new Promise(function (resolve, reject) {
    var request = indexedDB.open("collecte", 1);
    request.onupgradeneeded = function () {
      request.result.createObjectStore("queue", { keyPath: "id", autoIncrement: true });
      request.result.createObjectStore("devices", { keyPath: "tag" });
    };
    request.onsuccess = function () { resolve(request.result); };
    request.onerror = function () { reject(request.error); };
  });

  // Run `work(store)` in one transaction; resolve with the result of the request it returns.
  function withStore(name, mode, work) {
    return opened.then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(name, mode);
        var request = work(transaction.objectStore(name));
        transaction.oncomplete = function () { resolve(request ? request.result : undefined); };
        transaction.onerror = transaction.onabort = function () { reject(transaction.error); };
      });
    });
  }

  function allScans() {
    return withStore("queue", "readonly", function (store) { return store.getAll(); });
  }

  function saveScan(scan) {
    return withStore("queue", "readwrite", function (store) { return store.put(scan); });
  }

  function known(tag) {
    return withStore("devices", "readonly", function (store) { return store.get(tag); });
  }

  // Keep what was seen of a device, unless the phone already saw something newer.
  function remember(device) {
    return withStore("devices", "readwrite", function (store) {
      var read = store.get(device.tag);
      read.onsuccess = function () {
        var old = read.result;
        if (!old || !(old.seen > device.seen)) store.put(Object.assign({}, old || {}, device));
      };
      return null;
    });
  }

  var TAG_ERRORS = { not_a_tag: "msgTagNotATag", length: "msgTagLength", characters: "msgTagCharacters", check: "msgTagCheck" };

  // Why a code read is no tag, in the server's words (`parsed`: CollecteTags.parse's answer).
  function tagRefusal(parsed) {
    return fill(d[TAG_ERRORS[parsed.error]], parsed.values);
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  // Keep one scan: `tag`, `label`, `action` and the action form's `fields` ([name, value] pairs).
  function keep(scan) {
    var kept = Object.assign({ key: newKey(), user: user, at: Date.now(), state: "waiting", message: "" }, scan);
    return saveScan(kept).then(function () { show(); return kept; });
  }

  // --- The list on the page ---------------------------------------------------------------
  function when(moment) {
    return new Date(moment).toLocaleString(d.lang === "en" ? "en-GB" : "fr-FR",
      { day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit" });
  }

  function line(scan) {
    var item = document.createElement("li");
    item.className = { waiting: "is-waiting", applied: "is-applied", refused: "is-refused" }[scan.state];
    var text = document.createElement("span");
    var tag = document.createElement("strong");
    tag.className = "tag";
    tag.textContent = scan.label;
    var what = document.createElement("span");
    what.className = "what";
    var busy = sending && sending.id === scan.id;
    var said = scan.state === "waiting" ? actions[scan.action] + " · " + (busy ? d.msgSending : d.msgWaiting)
      : scan.state === "refused" ? fill(d.msgRefused, { reason: scan.message })
      : scan.message;
    what.textContent = " " + said;
    text.appendChild(tag);
    text.appendChild(what);
    item.appendChild(text);
    item.dataset.tag = scan.tag;
    return item;
  }

  // The scans of the page's user (every one on the "hors ligne" page, which names no one).
  function show() {
    return allScans().then(function (scans) {
      var mine = scans.filter(function (scan) { return !user || scan.user === user; });
      var waiting = mine.filter(function (scan) { return scan.state === "waiting"; });
      list.textContent = "";
      mine.slice().reverse().forEach(function (scan) { list.appendChild(line(scan)); });
      counts.forEach(function (count) { count.textContent = String(waiting.length); });
      if (summary) summary.hidden = waiting.length === 0;
      box.hidden = scans.length === 0;
      sendButton.disabled = waiting.length === 0 || sending !== null;
      clearButton.hidden = waiting.length === mine.length;
      return scans;
    });
  }

  function say(kind, text, link) {
    feedback.className = "feedback is-" + kind;
    feedback.textContent = text;
    if (link) {
      var anchor = document.createElement("a");
      anchor.href = link.href;
      anchor.textContent = link.text;
      feedback.appendChild(document.createTextNode(" "));
      feedback.appendChild(anchor);
    }
  }

  // --- Sending ------------------------------------------------------------------------------
  var SIGNED_OUT = "signed_out";
  var INTERRUPTED = "interrupted";

  function sendOne(scan, token) {
    sending = scan;
    show();
    return fetch(d.sendUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token, "Idempotency-Key": scan.key },
      body: JSON.stringify({ code: scan.tag, fields: scan.fields })
    }).catch(function () { throw INTERRUPTED; })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          if (response.status === 401 || answer.result === "signed_out") throw SIGNED_OUT;
          if (response.ok && answer.result === "applied") {
            scan.state = "applied";
            scan.message = answer.message;
            return remember({ tag: answer.tag, status: answer.status, has_storage: answer.has_storage, seen: Date.parse(answer.seen) })
              .then(function () { return saveScan(scan); });
          }
          // The server's refusal is final (the scan changed nothing); anything else is not.
          if (answer.result !== "refused" || response.status >= 500) throw INTERRUPTED;
          scan.state = "refused";
          scan.message = answer.message;
          return saveScan(scan);
        });
      });
  }

  // Send, one after the other, the scans the signed-in user kept; stop at the first interruption.
  function sendAll() {
    var applied = 0;
    var refused = 0;
    var others = 0;
    return fetch(d.stateUrl, { credentials: "same-origin", cache: "no-store" })
      .catch(function () { throw INTERRUPTED; })
      .then(function (response) {
        if (!response.ok) throw INTERRUPTED;
        return response.json();
      })
      .then(function (state) {
        if (!state.user_id || state.password_change_required) throw SIGNED_OUT;
        return allScans().then(function (scans) {
          // Each scan is sent in the name of the one who made it, never of someone else.
          var waiting = scans.filter(function (scan) { return scan.state === "waiting"; });
          others = waiting.filter(function (scan) { return scan.user !== state.user_id; }).length;
          waiting = waiting.filter(function (scan) { return scan.user === state.user_id; });
          return waiting.reduce(function (previous, scan) {
            return previous.then(function () {
              return sendOne(scan, state.csrf_token).then(function () {
                if (scan.state === "applied") applied += 1; else refused += 1;
              });
            });
          }, Promise.resolve()).then(function () { return waiting.length; });
        });
      })
      .then(function (sent) {
        if (sent) say(refused ? "refused" : "accepted", fill(d.msgDone, { applied: applied, refused: refused }));
        if (others) say("already", (sent ? feedback.textContent + " " : "") + fill(d.msgOthers, { count: others }));
      }, function (reason) {
        if (reason === SIGNED_OUT) {
          var next = encodeURIComponent(location.pathname + location.search);
          say("refused", d.msgSignedOut, { href: d.signInUrl + "?next=" + next, text: d.msgSignIn });
        } else {
          say("already", d.msgInterrupted);
          retry = retry || window.setTimeout(function () { retry = null; send(); }, 30000);
        }
      });
  }

  // One sender at a time, across this phone's tabs where the browser can tell.
  function send() {
    if (sending !== null) return Promise.resolve();
    sending = false;
    sendButton.disabled = true;
    var run = navigator.locks ? navigator.locks.request("collecte-queue", sendAll) : sendAll();
    return Promise.resolve(run).then(function () { sending = null; return show(); });
  }

  function sendIfWaiting() {
    return show().then(function (scans) {
      var waiting = scans.some(function (scan) { return scan.state === "waiting"; });
      if (waiting && navigator.onLine) return send();
      return null;
    });
  }

  sendButton.addEventListener("click", send);
  clearButton.addEventListener("click", function () {
    withStore("queue", "readwrite", function (store) {
      var read = store.getAll();
      read.onsuccess = function () {
        read.result.forEach(function (scan) {
          if ((!user || scan.user === user) && scan.state !== "waiting") store.delete(scan.id);
        });
      };
      return null;
    }).then(function () { feedback.textContent = ""; show(); });
  });
  window.addEventListener("online", sendIfWaiting);

  // --- The device page: what it shows is what the phone last saw; without network, an action
  // is kept instead of sent. "Ajouter un support" and "Lire le rapport" need the server. ----------
  var device = document.getElementById("device");
  if (device && device.dataset.seen) {
    var seen = device.dataset;
    remember({ tag: seen.tag, label: seen.label, status: seen.status, has_storage: seen.hasStorage === "true",
      brand: seen.brand, model: seen.model, seen: Date.parse(seen.seen) });
    document.querySelectorAll("form.action").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (navigator.onLine) return;
        event.preventDefault();
        var note = form.querySelector(".offline-note") || form.appendChild(document.createElement("p"));
        note.className = "offline-note feedback is-already";
        note.setAttribute("role", "status");
        if (event.submitter && event.submitter.name) {
          note.textContent = d.msgNeedsNetwork;
          return;
        }
        var fields = [];
        new FormData(form).forEach(function (value, name) {
          if (typeof value === "string" && name !== "_csrf_token") fields.push([name, value]);
        });
        var action = form.querySelector("input[name=action]").value;
        keep({ tag: seen.tag, label: seen.label, action: action, fields: fields }).then(function () {
          note.textContent = fill(d.msgActionKept, { action: actions[action] });
          document.querySelectorAll("form.action button[type=submit]").forEach(function (button) {
            button.disabled = true;
          });
        });
      });
    });
  }

  // --- The page shown offline for a page never opened with the network ------------------------
  var offlinePage = document.getElementById("offline-page");
  if (offlinePage) {
    var match = /^\/d\/([^\/]+)$/i.exec(location.pathname);
    var parsed = match ? window.CollecteTags.parse(decodeURIComponent(match[1])) : null;
    var where = document.getElementById("offline-tag");
    if (parsed && parsed.error) {
      where.textContent = tagRefusal(parsed);
      where.hidden = false;
    } else if (parsed) {
      known(parsed.tag).then(function (found) {
        var label = window.CollecteTags.display(parsed.tag);
        where.textContent = found
          ? fill(offlinePage.dataset.msgKnown, { label: label, status: statuses[found.status], when: when(found.seen) })
          : fill(offlinePage.dataset.msgUnknown, { label: label });
        where.hidden = false;
      });
    }
    if (window.caches) {
      caches.open("collecte-pages").then(function (cache) { return cache.keys(); }).then(function (requests) {
        var links = document.getElementById("offline-pages");
        requests.forEach(function (request) {
          var url = new URL(request.url);
          if (url.pathname !== "/scan") return;
          var action = url.searchParams.get("action");
          var item = document.createElement("li");
          var anchor = document.createElement("a");
          anchor.className = "button button-big button-light";
          anchor.href = url.pathname + url.search;
          anchor.textContent = action ? actions[action] || action : links.dataset.scanLabel;
          item.appendChild(anchor);
          links.appendChild(item);
        });
        document.getElementById("offline-none").hidden = links.children.length > 0;
      });
    }
  }

  window.CollecteOffline = {
    keep: keep, known: known, remember: remember, scans: allScans, send: send, when: when, tagRefusal: tagRefusal
  };
  sendIfWaiting();
})();
