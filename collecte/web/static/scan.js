// Batch scanning: a handheld scanner types the label and Enter, or the phone's camera reads the
// QR code (BarcodeDetector, where the browser has it). Each label is checked at once by the
// server: accepted, already scanned, or refused with the reason, with a colour and a sound.
// Refused labels stay listed with their reason until accepted or removed, so a pile can be sorted
// after the scan, not only while the last message shows.
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
      var notes = { accepted: [[988, 0.12]], already: [[660, 0.09], [660, 0.09]], refused: [[196, 0.22], [147, 0.3]] }[kind];
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

  function check(code, quiet) {
    code = code.trim();
    if (!code) return pending;
    pending = pending.then(function () {
      return fetch(d.checkUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token },
        body: JSON.stringify({ code: code, action: d.action, scanned: accepted })
      })
        .then(function (response) { return response.json(); })
        .then(function (answer) { handle(answer, quiet, code); })
        .catch(function () { show("refused", d.msgOffline, quiet); });
    });
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

  form.addEventListener("submit", sync);
  input.focus();

  // The camera, where the browser can read QR codes itself.
  var cameraButton = document.getElementById("camera-button");
  var video = document.getElementById("camera");
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  cameraButton.hidden = false;
  var stream = null;
  var last = { code: "", at: 0 };
  var detector = null;

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
    detector = detector || new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
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
