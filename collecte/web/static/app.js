// Small conveniences; every page works without them.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // A submitted form's button says it is busy, so a second tap does not send it twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || form.method.toLowerCase() !== "post") return;
    var button = form.querySelector("button[type=submit][data-busy]");
    if (!button) return;
    window.setTimeout(function () {
      button.disabled = true;
      button.textContent = button.getAttribute("data-busy");
    }, 0);
  });

  // Signing out: the service worker forgets the pages it kept for offline use (the scans kept
  // on the phone stay, to be sent at this user's next sign-in).
  document.querySelectorAll('form[action="/deconnexion"]').forEach(function (form) {
    form.addEventListener("submit", function () {
      var worker = navigator.serviceWorker && navigator.serviceWorker.controller;
      if (worker) worker.postMessage("forget-pages");
    });
  });

  // "Tout cocher".
  document.querySelectorAll("input.check-all").forEach(function (box) {
    box.addEventListener("change", function () {
      var table = document.getElementById(box.getAttribute("data-target"));
      if (!table) return;
      table.querySelectorAll("input[type=checkbox][name=tags]").forEach(function (item) {
        item.checked = box.checked;
      });
    });
  });

  // "Ajouter un appareil": copy the last row of the donation form, emptied.
  var add = document.getElementById("add-row");
  var rows = document.getElementById("device-rows");
  if (add && rows) {
    add.hidden = false;
    add.addEventListener("click", function () {
      var last = rows.lastElementChild;
      var copy = last.cloneNode(true);
      var number = rows.children.length + 1;
      copy.querySelectorAll("input, select").forEach(function (field) {
        if (field.tagName === "SELECT") field.selectedIndex = 0; else field.value = "";
        var base = field.id.replace(/-\d+$/, "");
        var label = copy.querySelector('label[for="' + field.id + '"]');
        field.id = base + "-" + number;
        if (label) label.htmlFor = field.id;
      });
      copy.querySelector(".row-number").textContent = number;
      rows.appendChild(copy);
      copy.querySelector("select, input").focus();
    });
  }
})();
