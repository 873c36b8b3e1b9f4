// Check a downloaded certificate against POST /api/verify without leaving the page.
(function () {
  "use strict";
  var form = document.getElementById("file-check");
  if (!form || !window.fetch) return;
  form.hidden = false;
  var out = document.getElementById("file-result");
  document.getElementById("file").addEventListener("change", function (event) {
    var file = event.target.files[0];
    if (!file) return;
    out.textContent = form.dataset.msgChecking;
    fetch("/api/verify", { method: "POST", body: file, headers: { "Content-Type": "application/pdf" } })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        var ok = answer.valid && answer.number === form.dataset.number;
        out.textContent = ok ? form.dataset.msgValid : form.dataset.msgInvalid;
      })
      .catch(function () { out.textContent = form.dataset.msgError; });
  });
})();
