// Batch scanning: a handheld scanner types the label and Enter, or the phone's camera reads the
// QR code (the browser's BarcodeDetector, or else the decoder shipped with the app). Each label
// is checked at once by the server: accepted, already scanned, or refused with the reason, with a
// colour and a sound. Refused labels stay listed with their reason until accepted or removed, so
// a pile can be sorted after the scan, not only while the last message shows.
// Without network, each label is checked against what the phone knows (its check character, the
// last status the phone saw of the device) and kept on the phone, to be sent when the network is
// back (offline.js); "Terminer" without network keeps the labels already accepted the same way.
// Without JavaScript the form's text area takes the labels, one per line.
(function () {
  "use strict";
  var form = document.getElementById("batch");
  if (!form || !window.fetch) return;
  var d = form.dataset;
  var scanner = form.querySelector(".scanner");
  var input = document.getElementById("scan-input");
  var textarea = document.getElementById("tags");
  var list = document.getElementById("scan-list");
  var count = document.getElementById("scan-count");
  var feedback = document.getElementById("scan-feedback");
  var refusedBox = document.getElementById("refused");
  var refusedList = document.getElementById("refused-list");
  var refusedCount = document.getElementById("refused-count");
  var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var refusals = JSON.parse(d.refusals || "{}");
  var queue = document.getElementById("queue");
  var words = queue ? queue.dataset : {};
  var tags = window.CollecteTags;
  var accepted = [];
  var pending = Promise.resolve();
  var audio = null;

  scanner.hidden = false;
  form.classList.add("scanning");

  function beep(kind) {
    var AudioContext = window.AudioContext || window.webkitAudioContext;
    if (!AudioContext) return;
    try {
      audio = audio || new AudioContext();
      var notes = { accepted: [[988, 0.12]], kept: [[784, 0.09], [988, 0.12]], already: [[660, 0.09], [660, 0.09]],
        refused: [[196, 0.22], [147, 0.3]] }[kind];
      var start = audio.currentTime + 0.01;
      notes.forEach(function (note) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.type = kind === "refused" ? "square" : "sine";
        osc.frequency.value = note[0];
        gain.gain.setValueAtTime(0.0001, start);
        gain.gain.exponentialRampToValueAtTime(0.25, start + 0.015);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + note[1]);
        osc.connect(gain);
        gain.connect(audio.destination);
        osc.start(start);
        osc.stop(start + note[1] + 0.02);
        start += note[1] + 0.05;
      });
    } catch (error) { /* no sound: the colour and the text remain */ }
    if (kind === "refused" && navigator.vibrate) navigator.vibrate([150, 80, 150]);
  }

  function show(kind, text, quiet) {
    feedback.className = "feedback is-" + kind;
    feedback.textContent = text;
    if (!quiet) beep(kind);
  }

  function sync() {
    textarea.value = accepted.join("\n");
    count.textContent = String(accepted.length);
  }

  function syncRefused() {
    var items = refusedList.children.length;
    refusedCount.textContent = String(items);
    refusedBox.hidden = items === 0;
  }

  function forgetRefused(key) {
    Array.prototype.forEach.call(refusedList.children, function (item) {
      if (item.dataset.key === key) item.remove();
    });
    syncRefused();
  }

  // One line of a list: the tag, what it is (or why it was refused), and a button removing it.
  function listItem(className, label, what, onRemove) {
    var item = document.createElement("li");
    item.className = className;
    var text = document.createElement("span");
    var tag = document.createElement("strong");
    tag.className = "tag";
    tag.textContent = label;
    var detail = document.createElement("span");
    detail.className = "what";
    detail.textContent = " " + what;
    text.appendChild(tag);
    text.appendChild(detail);
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "button button-light";
    remove.textContent = "✕";
    remove.setAttribute("aria-label", d.msgRemove + " " + label);
    remove.addEventListener("click", function () {
      item.remove();
      onRemove();
      input.focus();
    });
    item.appendChild(text);
    item.appendChild(remove);
    return item;
  }

  function refuse(answer, code) {
    var key = answer.tag || code;
    forgetRefused(key);
    var item = listItem("is-refused", answer.label || code, answer.message, syncRefused);
    item.dataset.key = key;
    refusedList.insertBefore(item, refusedList.firstChild);
    syncRefused();
  }

  function describe(answer) {
    return [answer.label, [answer.brand, answer.model].filter(Boolean).join(" ")].filter(Boolean).join(" · ");
  }

  function add(answer) {
    accepted.push(answer.tag);
    var what = [answer.brand, answer.model].filter(Boolean).join(" ");
    var item = listItem("is-new", answer.label, what, function () {
      accepted = accepted.filter(function (value) { return value !== answer.tag; });
      sync();
    });
    item.dataset.tag = answer.tag;
    list.insertBefore(item, list.firstChild);
    sync();
  }

  function handle(answer, quiet, code) {
    if (answer.result === "accepted") {
      forgetRefused(answer.tag);
      add(answer);
      show("accepted", d.msgAccepted + " — " + describe(answer), quiet);
    } else if (answer.result === "already") {
      show("already", d.msgAlready + " — " + answer.label, quiet);
    } else {
      var prefix = answer.label ? answer.label + " : " : "";
      show("refused", d.msgRefused + " — " + prefix + answer.message, quiet);
      refuse(answer, code);
    }
  }

  // What the server said of a device is what the phone now knows of it.
  function remember(answer) {
    if (!window.CollecteOffline || !answer.tag || !answer.status) return;
    window.CollecteOffline.remember({ tag: answer.tag, label: answer.label, status: answer.status,
      has_storage: answer.has_storage, brand: answer.brand, model: answer.model, seen: Date.parse(answer.seen) });
  }

  // The action form's fields as they are now ([name, value] pairs), for a scan kept offline.
  function actionFields() {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && name !== "tags" && name !== "_csrf_token") fields.push([name, value]);
    });
    return fields;
  }

  // The rules' refusal of this action for a device last seen in `device.status`, if any (when
  // the phone does not know whether it has storage, only what is refused either way).
  function refusalFor(device) {
    var storage = (refusals.storage || {})[device.status];
    var none = (refusals.no_storage || {})[device.status];
    if (device.has_storage === true) return storage;
    if (device.has_storage === false) return none;
    return storage && none ? storage : null;
  }

  // Without network: check the label against what the phone knows, then keep it to send later.
  function keepOffline(code, quiet) {
    var offline = window.CollecteOffline;
    if (!offline || !tags) { show("refused", d.msgOffline, quiet); return null; }
    var parsed = tags.parse(code);
    if (parsed.error) {
      handle({ result: "refused", message: offline.tagRefusal(parsed) }, quiet, code);
      return null;
    }
    var label = tags.display(parsed.tag);
    if (accepted.indexOf(parsed.tag) >= 0) {
      handle({ result: "already", tag: parsed.tag, label: label }, quiet, code);
      return null;
    }
    return Promise.all([offline.known(parsed.tag), offline.scans()]).then(function (found) {
      var device = found[0];
      var twice = found[1].some(function (scan) {
        return scan.state === "waiting" && scan.tag === parsed.tag && scan.action === d.action && scan.user === Number(words.user);
      });
      if (twice) return handle({ result: "already", tag: parsed.tag, label: label }, quiet, code);
      var refusal = device && refusalFor(device);
      if (refusal) {
        var why = refusal + " " + tags.fill(words.msgLastKnown, { when: offline.when(device.seen) });
        return handle({ result: "refused", tag: parsed.tag, label: label, message: why }, quiet, code);
      }
      return offline.keep({ tag: parsed.tag, label: label, action: d.action, fields: actionFields() }).then(function () {
        forgetRefused(parsed.tag);
        var what = describe({ label: label, brand: device && device.brand, model: device && device.model });
        show("kept", words.msgKept + " — " + what, quiet);
      });
    });
  }

  var UNREADABLE = "unreadable";

  // The server's check of one label; rejects with UNREADABLE when the answer is no check.
  function ask(code) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller && window.setTimeout(function () { controller.abort(); }, 8000);
    return fetch(d.checkUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ code: code, action: d.action, scanned: accepted }),
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      window.clearTimeout(timer);
      return response.json().catch(function () { throw UNREADABLE; });
    });
  }

  function check(code, quiet) {
    code = code.trim();
    if (!code) return pending;
    pending = pending.then(function () {
      if (!navigator.onLine) return keepOffline(code, quiet);
      return ask(code).then(function (answer) {
        remember(answer);
        handle(answer, quiet, code);
      }, function (reason) {
        // No answer at all is no network: keep the label. An answer that is no check is not.
        if (reason === UNREADABLE) show("refused", d.msgOffline, quiet);
        else return keepOffline(code, quiet);
      });
    }).catch(function () { show("refused", d.msgOffline, quiet); });  // the next label still goes
    return pending;
  }

  input.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    event.preventDefault();
    var codes = input.value.split(/\s+/);
    input.value = "";
    codes.forEach(function (code) { check(code, false); });
  });

  // Labels kept after a refused batch are checked again, quietly.
  var kept = textarea.value.split(/\s+/).filter(Boolean);
  textarea.value = "";
  kept.forEach(function (code) { check(code, true); });

  // "Terminer" without network: the labels accepted so far are kept, each to be sent alone.
  form.addEventListener("submit", function (event) {
    sync();
    if (navigator.onLine || !window.CollecteOffline) return;
    event.preventDefault();
    var kept = accepted.slice();
    var fields = actionFields();
    kept.reduce(function (previous, tag) {
      return previous.then(function () {
        return window.CollecteOffline.keep({ tag: tag, label: tags.display(tag), action: d.action, fields: fields });
      });
    }, Promise.resolve()).then(function () {
      accepted = [];
      list.textContent = "";
      sync();
      show("kept", tags.fill(d.msgBatchKept, { count: kept.length }), false);
    });
  });
  input.focus();

  // The camera: the browser's own QR reader where it has one (Chrome on Android), else the
  // decoder shipped with the app (static/vendor/qr, loaded only then).
  var cameraButton = document.getElementById("camera-button");
  var video = document.getElementById("camera");
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  cameraButton.hidden = false;
  var stream = null;
  var last = { code: "", at: 0 };
  var detector = null;

  function makeDetector() {
    if ("BarcodeDetector" in window) return Promise.resolve(new window.BarcodeDetector({ formats: ["qr_code"] }));
    return import(d.decoderUrl).then(function (decoder) {
      return new decoder.BarcodeDetector({ formats: ["qr_code"] });
    });
  }

  function stop() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.hidden = true;
    cameraButton.setAttribute("aria-pressed", "false");
  }

  function loop() {
    if (!stream) return;
    detector.detect(video).then(function (codes) {
      var now = Date.now();
      codes.forEach(function (found) {
        if (found.rawValue === last.code && now - last.at < 2500) return;
        last = { code: found.rawValue, at: now };
        check(found.rawValue, false);
      });
    }).catch(function () { /* a frame that could not be read */ })
      .then(function () { window.setTimeout(loop, 250); });
  }

  cameraButton.addEventListener("click", function () {
    if (stream) { stop(); return; }
    (detector ? Promise.resolve(detector) : makeDetector())
      .then(function (made) {
        detector = made;
        return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        cameraButton.setAttribute("aria-pressed", "true");
        return video.play();
      })
      .then(loop)
      .catch(function () { stop(); show("refused", d.msgCameraOff, false); });
  });
})();
