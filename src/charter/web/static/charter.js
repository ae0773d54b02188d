/* Charter's small progressive enhancements; every page works without them. */
(function () {
  "use strict";

  /* Menus made of <details>: Escape or a click elsewhere closes them. */
  function closeMenus(except) {
    document.querySelectorAll("details[open]").forEach(function (menu) {
      if (menu !== except && menu.querySelector(":scope > summary") &&
          (menu.classList.contains("user-menu") || menu.classList.contains("add-menu") ||
           menu.hasAttribute("data-menu"))) {
        menu.removeAttribute("open");
      }
    });
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var open = document.activeElement && document.activeElement.closest("details[open]");
    closeMenus(null);
    if (open) { open.querySelector(":scope > summary").focus(); }
  });
  document.addEventListener("click", function (event) {
    closeMenus(event.target.closest("details"));
  });

  /* A thumbnail the server could not make (a damaged image: 404) gives way to its type's
     icon. Errors do not bubble, so they are caught on the way down; an image that failed
     before this script ran is found by its size. */
  function showIcon(image) {
    var icon = document.createElement("span");
    icon.className = "type-icon " + image.dataset.icon;
    icon.setAttribute("aria-hidden", "true");
    image.replaceWith(icon);
  }
  document.addEventListener("error", function (event) {
    if (event.target.matches && event.target.matches("img.content-thumbnail")) {
      showIcon(event.target);
    }
  }, true);
  document.querySelectorAll("img.content-thumbnail").forEach(function (image) {
    if (image.complete && image.naturalWidth === 0) { showIcon(image); }
  });

  /* A form sent back with errors: the first field in error gets the focus. */
  var invalid = document.querySelector("main [aria-invalid='true']");
  if (invalid) { invalid.focus(); }

  /* Upload: a drop zone, and the form sent by XMLHttpRequest so a progress bar can follow
     a large file. Without this script the form posts as it always did. */
  function enhanceUpload(form) {
    var input = document.getElementById("upload-file");
    var zone = document.getElementById("upload-drop");
    var chosen = document.getElementById("upload-chosen");
    var area = document.getElementById("upload-progress-area");
    var bar = document.getElementById("upload-progress");
    var percent = document.getElementById("upload-percent");
    var errors = document.getElementById("upload-errors");
    var button = document.getElementById("upload-save");
    var asPercent = new Intl.NumberFormat(document.documentElement.lang || undefined,
                                          { style: "percent" });
    zone.hidden = false;

    function showChosen() {
      chosen.textContent = Array.prototype.map.call(input.files, function (file) {
        return file.name;
      }).join(", ");
    }
    function showProgress(loaded, total) {
      bar.max = total;
      bar.value = loaded;
      percent.textContent = asPercent.format(total ? loaded / total : 1);
    }
    function showErrors(messages) {
      errors.replaceChildren();
      messages.forEach(function (message) {
        var alert = document.createElement("div");
        alert.className = "alert alert-danger form-error";
        alert.setAttribute("role", "alert");
        alert.textContent = message;
        errors.appendChild(alert);
      });
      area.hidden = true;
      button.disabled = false;
      errors.focus();
    }
    /* The messages of a refusal: the re-shown form's errors, or an error page's words. */
    function messagesOf(xhr) {
      var page = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var found = page.querySelectorAll(
        ".form-error, #upload-form .invalid-feedback, .error-page h1, .error-page .lead, " +
        ".error-page .alert");
      var messages = [];
      found.forEach(function (element) {
        var text = element.textContent.trim();
        if (text && messages.indexOf(text) < 0) { messages.push(text); }
      });
      return messages.length ? messages :
        [form.dataset.failed.replace("${status}", String(xhr.status))];
    }

    input.addEventListener("change", showChosen);
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("is-dragover");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("is-dragover"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!event.dataTransfer || !event.dataTransfer.files.length) { return; }
      input.files = event.dataTransfer.files;
      showChosen();
    });

    form.addEventListener("submit", function (event) {
      /* Nothing chosen: the server's own answer names the field. */
      if (!input.files.length) { return; }
      event.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.upload.addEventListener("progress", function (progress) {
        if (progress.lengthComputable) { showProgress(progress.loaded, progress.total); }
      });
      xhr.upload.addEventListener("load", function () { showProgress(1, 1); });
      xhr.addEventListener("load", function () {
        var answer = null;
        if (xhr.status === 200) {
          try { answer = JSON.parse(xhr.responseText); } catch (ignore) { answer = null; }
        }
        if (answer && answer.location) {
          showProgress(1, 1);
          window.location.assign(answer.location);
        } else {
          showErrors(messagesOf(xhr));
        }
      });
      xhr.addEventListener("error", function () { showErrors([form.dataset.offline]); });
      errors.replaceChildren();
      button.disabled = true;
      showProgress(0, 1);
      area.hidden = false;
      xhr.send(new FormData(form));
    });
  }
  var uploadForm = document.getElementById("upload-form");
  if (uploadForm && window.FormData && window.DOMParser) { enhanceUpload(uploadForm); }

  /* Contents: "select all", and dragging rows to reorder. */
  var table = document.getElementById("contents-table");
  if (!table) { return; }
  var all = document.getElementById("select-all");
  var boxes = table.querySelectorAll(".select-item");
  if (all && boxes.length) {
    all.hidden = false;
    table.querySelector("thead .select-label").remove();
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
    });
    boxes.forEach(function (box) {
      box.addEventListener("change", function () {
        var ticked = Array.prototype.filter.call(boxes, function (b) { return b.checked; }).length;
        all.checked = ticked === boxes.length;
        all.indeterminate = ticked > 0 && ticked < boxes.length;
      });
    });
  }

  var form = document.getElementById("contents-form");
  var body = table.querySelector("tbody");
  if (!form || !table.querySelector(".position-input")) { return; }
  var dragged = null;
  body.querySelectorAll(".content-row").forEach(function (row) {
    row.draggable = true;
    var handle = document.createElement("span");
    handle.className = "drag-handle";
    handle.setAttribute("aria-hidden", "true");
    handle.title = "Drag to reorder";
    handle.textContent = "⠿";
    row.querySelector(".position-controls").prepend(handle);
    row.addEventListener("dragstart", function (event) {
      dragged = row;
      row.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", row.dataset.name);
    });
    row.addEventListener("dragend", function () {
      row.classList.remove("dragging");
      body.querySelectorAll(".drop-target").forEach(function (r) { r.classList.remove("drop-target"); });
    });
    row.addEventListener("dragover", function (event) {
      if (!dragged || dragged === row) { return; }
      event.preventDefault();
      body.querySelectorAll(".drop-target").forEach(function (r) { r.classList.remove("drop-target"); });
      row.classList.add("drop-target");
    });
    row.addEventListener("drop", function (event) {
      if (!dragged || dragged === row) { return; }
      event.preventDefault();
      var rows = Array.prototype.slice.call(body.querySelectorAll(".content-row"));
      var before = rows.indexOf(dragged) > rows.indexOf(row) ? row : row.nextSibling;
      body.insertBefore(dragged, before);
      /* The new order goes to the server as the positions the no-JS form sends. */
      body.querySelectorAll(".position-input").forEach(function (input, index) {
        input.value = String(index + 1);
      });
      var action = document.createElement("input");
      action.type = "hidden";
      action.name = "action";
      action.value = "reorder";
      form.appendChild(action);
      form.submit();
    });
  });
})();
