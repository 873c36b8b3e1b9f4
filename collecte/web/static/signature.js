// The signature pad of a form (a pickup's close, where the donor's representative signs; a
// receipt, where the association's does): the signer draws with a finger (or a mouse) on the
// canvas; on submit the drawing goes in the form's hidden `signature_image` input as a PNG data
// URL. Without JavaScript the pad stays hidden and the typed name alone signs. Each page that
// shows a pad loads this file; a pad already set up is left alone.
(function () {
  "use strict";

  function setUp(pad) {
    var form = pad.closest("form");
    if (!form || pad.getAttribute("data-signature-ready")) return;
    var canvas = pad.querySelector("canvas");
    var input = form.querySelector('input[name="signature_image"]');
    if (!canvas || !input || !canvas.getContext) return;
    pad.setAttribute("data-signature-ready", "1");
    var context = canvas.getContext("2d");
    var drawn = false;
    var last = null;
    pad.hidden = false;
    canvas.style.touchAction = "none"; // the finger draws instead of scrolling the page
    context.lineWidth = 3;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = "#111";

    function point(event) {
      var box = canvas.getBoundingClientRect();
      return {
        x: (event.clientX - box.left) * (canvas.width / box.width),
        y: (event.clientY - box.top) * (canvas.height / box.height),
      };
    }

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      if (canvas.setPointerCapture) canvas.setPointerCapture(event.pointerId);
      last = point(event);
      context.beginPath();
      context.arc(last.x, last.y, context.lineWidth / 2, 0, 2 * Math.PI);
      context.fillStyle = context.strokeStyle;
      context.fill();
      drawn = true;
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!last) return;
      event.preventDefault();
      var next = point(event);
      context.beginPath();
      context.moveTo(last.x, last.y);
      context.lineTo(next.x, next.y);
      context.stroke();
      last = next;
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
      canvas.addEventListener(name, function () {
        last = null;
      });
    });
    pad.querySelector("[data-signature-clear]").addEventListener("click", function () {
      context.clearRect(0, 0, canvas.width, canvas.height);
      drawn = false;
      input.value = "";
    });
    form.addEventListener("submit", function () {
      input.value = drawn ? canvas.toDataURL("image/png") : "";
    });
  }

  document.querySelectorAll("[data-signature-pad]").forEach(setUp);
})();
