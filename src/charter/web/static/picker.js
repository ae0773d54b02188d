/* People pickers: a search box marked with data-picker-url becomes a combobox (the ARIA 1.2
   pattern) that offers people and groups while one types. Without this script the page's
   forms work as they are: search, then press Add, or type logins.

   The box's data attributes say what to do (the template renders them, translated):
   data-picker-url      where to ask (@@principals), answering {"results": [...]}
   data-picker-kind     "user" to offer people only
   data-picker-form     id of a form to submit on choosing, with ...
   data-picker-field    ... a field of this name added to it, carrying the principal
   data-picker-append   or: id of a textarea the chosen login is added to, one per line
   data-picker-list     the name of the list of matches ("Suggestions")
   data-picker-group    the word naming a group ("group")
   data-picker-empty    shown when nobody matches
   data-picker-count    announced with the number of matches, "{count}" replaced
   data-picker-added    announced when a login is added to the textarea, "{name}" replaced */
(function () {
  "use strict";

  var DELAY = 200;

  function setUp(input) {
    var listbox = document.createElement("ul");
    var status = document.createElement("div");
    var timer = null;
    var asked = 0;
    var options = [];
    var active = -1;

    listbox.id = input.id + "-listbox";
    listbox.className = "picker-listbox list-group";
    listbox.setAttribute("role", "listbox");
    listbox.setAttribute("aria-label", input.dataset.pickerList);
    listbox.hidden = true;
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    input.parentNode.classList.add("picker");
    input.insertAdjacentElement("afterend", listbox);
    listbox.insertAdjacentElement("afterend", status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);
    input.setAttribute("autocomplete", "off");
    var hidden = input.closest("[hidden]");
    if (hidden) { hidden.hidden = false; }

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      options.forEach(function (option, i) {
        option.element.setAttribute("aria-selected", i === index ? "true" : "false");
        option.element.classList.toggle("active", i === index);
      });
      active = index;
      if (index < 0) {
        input.removeAttribute("aria-activedescendant");
      } else {
        input.setAttribute("aria-activedescendant", options[index].element.id);
        options[index].element.scrollIntoView({ block: "nearest" });
      }
    }

    function label(item) {
      if (item.kind === "group") {
        return (item.title || item.name) + " (" + input.dataset.pickerGroup + " " + item.name + ")";
      }
      return item.title ? item.name + " \u2014 " + item.title : item.name;
    }

    function show(results) {
      listbox.textContent = "";
      options = results.map(function (item, i) {
        var element = document.createElement("li");
        element.id = listbox.id + "-" + i;
        element.className = "list-group-item picker-option picker-" + item.kind;
        element.setAttribute("role", "option");
        element.setAttribute("aria-selected", "false");
        element.textContent = label(item);
        element.addEventListener("mousedown", function (event) { event.preventDefault(); });
        element.addEventListener("click", function () { choose(i); });
        listbox.appendChild(element);
        return { item: item, element: element };
      });
      if (!options.length) {
        var empty = document.createElement("li");
        empty.className = "list-group-item text-body-secondary picker-empty";
        empty.textContent = input.dataset.pickerEmpty;
        listbox.appendChild(empty);
      }
      status.textContent = options.length
        ? input.dataset.pickerCount.replace("{count}", String(options.length))
        : input.dataset.pickerEmpty;
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
      input.removeAttribute("aria-activedescendant");
    }

    function ask() {
      var text = input.value.trim();
      var number = ++asked;
      if (!text) { close(); return; }
      var url = input.dataset.pickerUrl + "?q=" + encodeURIComponent(text);
      if (input.dataset.pickerKind) { url += "&kind=" + encodeURIComponent(input.dataset.pickerKind); }
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (answer) {
          // An answer to an earlier keystroke comes too late to show.
          if (number === asked && document.activeElement === input) { show(answer.results || []); }
        })
        .catch(close);
    }

    function choose(index) {
      var item = options[index].item;
      close();
      if (input.dataset.pickerAppend) {
        var area = document.getElementById(input.dataset.pickerAppend);
        var logins = area.value.split(/[\s,]+/).filter(Boolean);
        if (logins.indexOf(item.name) < 0) {
          area.value = area.value.replace(/\s*$/, "") + (area.value.trim() ? "\n" : "") + item.name + "\n";
        }
        input.value = "";
        status.textContent = input.dataset.pickerAdded.replace("{name}", label(item));
        return;
      }
      var form = document.getElementById(input.dataset.pickerForm);
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = input.dataset.pickerField;
      field.value = item.principal;
      form.appendChild(field);
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY);
    });
    input.addEventListener("keydown", function (event) {
      var open = !listbox.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) { ask(); return; }
        if (options.length) { highlight((active + 1) % options.length); }
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (open && options.length) { highlight(active <= 0 ? options.length - 1 : active - 1); }
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        event.stopPropagation();
        close();
      }
    });
    input.addEventListener("blur", close);
  }

  function start() {
    document.querySelectorAll("input[data-picker-url][id]").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
