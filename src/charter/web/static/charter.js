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

  /* A form sent back with errors: the first field in error gets the focus. */
  var invalid = document.querySelector("main [aria-invalid='true']");
  if (invalid) { invalid.focus(); }

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
