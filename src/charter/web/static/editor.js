/* The Markdown editor of the add and edit forms: a toolbar with keyboard
   shortcuts, a live preview rendered by the server, and drafts kept in this
   browser. Progressive enhancement: the template renders the toolbar and the
   preview hidden, and without this script the textarea works on its own.

   The preview's HTML comes from POST <item>/@@markdown-preview, the renderer
   and sanitiser a save uses (charter.content.markdown); it is inserted as the
   server sent it and never built here. Every string shown comes from the
   template (data attributes), so it is translated. No inline code, no eval:
   the Content-Security-Policy allows neither. */
(function () {
  "use strict";

  var PREVIEW_DELAY_MS = 400;
  var DRAFT_DELAY_MS = 1000;
  var DRAFT_PREFIX = "charter-draft:";
  // Hidden inputs (CSRF token, version, type) belong to the page, not the draft.
  var DRAFT_SKIP = { csrf_token: true, version: true, type: true };

  /* -- toolbar ------------------------------------------------------------ */

  // Put ``before`` and ``after`` around the selection (or ``placeholder``), and
  // select what is between them, so typing replaces it.
  function wrap(area, before, after, placeholder) {
    var start = area.selectionStart;
    var end = area.selectionEnd;
    var chosen = area.value.slice(start, end) || placeholder;
    replace(area, start, end, before + chosen + after);
    area.setSelectionRange(start + before.length, start + before.length + chosen.length);
  }

  // Replace the text from ``start`` to ``end`` the way typing would, so the
  // browser's undo history keeps it.
  function replace(area, start, end, text) {
    area.focus();
    area.setSelectionRange(start, end);
    if (!document.execCommand || !document.execCommand("insertText", false, text)) {
      area.setRangeText(text, start, end, "end");
      area.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }

  // Prefix every line the selection touches with ``prefix(index)``.
  function prefixLines(area, prefix) {
    var value = area.value;
    var start = value.lastIndexOf("\n", area.selectionStart - 1) + 1;
    var end = value.indexOf("\n", area.selectionEnd);
    if (end === -1) {
      end = value.length;
    }
    var lines = value.slice(start, end).split("\n");
    var text = lines.map(function (line, index) { return prefix(index) + line; }).join("\n");
    replace(area, start, end, text);
    area.setSelectionRange(start, start + text.length);
  }

  // A block (a table) on lines of its own, with blank lines around it.
  function insertBlock(area, block) {
    var start = area.selectionStart;
    var before = area.value.slice(0, start);
    var lead = before === "" || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
    replace(area, start, area.selectionEnd, lead + block + "\n\n");
  }

  var ACTIONS = {
    bold: function (area) { wrap(area, "**", "**", ""); },
    italic: function (area) { wrap(area, "_", "_", ""); },
    code: function (area) {
      var chosen = area.value.slice(area.selectionStart, area.selectionEnd);
      if (chosen.indexOf("\n") !== -1) {
        wrap(area, "```\n", "\n```", "");
      } else {
        wrap(area, "`", "`", "");
      }
    },
    heading: function (area) { prefixLines(area, function () { return "## "; }); },
    bullets: function (area) { prefixLines(area, function () { return "- "; }); },
    numbers: function (area) {
      prefixLines(area, function (index) { return (index + 1) + ". "; });
    },
    link: function (area, button) {
      var start = area.selectionStart;
      var chosen = area.value.slice(start, area.selectionEnd) || button.dataset.mdPlaceholder;
      var text = "[" + chosen + "](https://)";
      replace(area, start, area.selectionEnd, text);
      // The address is what is left to type.
      var address = start + chosen.length + 3;
      area.setSelectionRange(address, address + "https://".length);
    },
    table: function (area, button) {
      var cell = button.dataset.mdPlaceholder;
      insertBlock(area, "| " + cell + " | " + cell + " |\n| --- | --- |\n|  |  |");
    }
  };

  // Ctrl (or ⌘) + key, and Ctrl + Shift + key, to the toolbar's actions.
  var SHORTCUTS = { b: "bold", i: "italic", h: "heading", k: "link", e: "code" };
  var SHIFT_SHORTCUTS = { "8": "bullets", "*": "bullets", "7": "numbers", "&": "numbers" };

  function setUpToolbar(area, toolbar) {
    var buttons = {};
    toolbar.querySelectorAll("[data-md]").forEach(function (button) {
      buttons[button.dataset.md] = button;
      button.addEventListener("click", function () {
        ACTIONS[button.dataset.md](area, button);
      });
    });
    area.addEventListener("keydown", function (event) {
      if (!(event.ctrlKey || event.metaKey) || event.altKey) {
        return;
      }
      var key = event.key.toLowerCase();
      var name = event.shiftKey ? SHIFT_SHORTCUTS[key] : SHORTCUTS[key];
      if (name && buttons[name]) {
        event.preventDefault();
        ACTIONS[name](area, buttons[name]);
      }
    });
    toolbar.hidden = false;
  }

  /* -- preview ------------------------------------------------------------ */

  function setUpPreview(area, pane, form, settings) {
    var target = pane.querySelector(".md-preview");
    var timer = null;
    var latest = 0;

    function show(message) {
      target.textContent = "";
      var note = document.createElement("p");
      note.className = "text-body-secondary mb-0";
      note.textContent = message;
      target.appendChild(note);
    }

    function refresh() {
      var asked = ++latest;
      var body = new URLSearchParams();
      body.set("csrf_token", form.elements.csrf_token.value);
      body.set("text", area.value);
      fetch(settings.previewUrl, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      }).then(function (response) {
        if (response.status === 413) {
          return { message: settings.previewTooLarge };
        }
        if (!response.ok) {
          return { message: settings.previewFailed };
        }
        return response.json();
      }).catch(function () {
        return { message: settings.previewFailed };
      }).then(function (answer) {
        if (asked !== latest) {
          return; // a later request's answer is (or will be) shown
        }
        if (answer.message) {
          show(answer.message);
        } else {
          // Sanitised by the server (nh3): the same HTML a save stores.
          target.innerHTML = answer.html;
          area.dispatchEvent(new CustomEvent("charter:previewed", { bubbles: true }));
        }
      });
    }

    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, PREVIEW_DELAY_MS);
    });
    pane.hidden = false;
    pane.parentElement.classList.add("md-editor-live");
    refresh();
  }

  /* -- drafts ------------------------------------------------------------- */

  function storage() {
    try {
      return window.localStorage;
    } catch (error) {
      return null; // storage refused (private mode, a policy): no drafts
    }
  }

  function draftFields(form) {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!element.name || DRAFT_SKIP[element.name] || element.type === "hidden" ||
          element.type === "submit" || element.type === "button") {
        return;
      }
      fields[element.name] = element.type === "checkbox" ? element.checked : element.value;
    });
    return fields;
  }

  function fillForm(form, fields) {
    Object.keys(fields).forEach(function (name) {
      var element = form.elements[name];
      if (!element || element.type === "hidden") {
        return;
      }
      if (element.type === "checkbox") {
        element.checked = Boolean(fields[name]);
      } else {
        element.value = fields[name];
      }
      element.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  function sameFields(one, other) {
    return Object.keys(one).every(function (name) {
      return !(name in other) || one[name] === other[name];
    });
  }

  function forgetDrafts(store, scope) {
    var stale = [];
    for (var index = 0; index < store.length; index++) {
      var key = store.key(index);
      if (key && key.indexOf(DRAFT_PREFIX + scope + "#") === 0) {
        stale.push(key);
      }
    }
    stale.forEach(function (key) { store.removeItem(key); });
  }

  function setUpDrafts(form, offer, settings) {
    var store = storage();
    if (!store) {
      return;
    }
    var key = DRAFT_PREFIX + settings.draftScope + "#" + settings.draftVersion;
    var shown = draftFields(form);
    var kept = null;
    try {
      kept = JSON.parse(store.getItem(key) || "null");
    } catch (error) {
      store.removeItem(key);
    }
    var offering = false;
    if (kept && kept.fields && !sameFields(kept.fields, shown)) {
      offering = true;
      var text = offer.querySelector(".md-draft-text");
      var time = new Date(kept.saved).toLocaleString(document.documentElement.lang || undefined);
      text.textContent = text.dataset.template.replace("{time}", time);
      offer.hidden = false;
      offer.querySelector(".md-draft-restore").addEventListener("click", function () {
        fillForm(form, kept.fields);
        offering = false;
        offer.hidden = true;
      });
      offer.querySelector(".md-draft-discard").addEventListener("click", function () {
        store.removeItem(key);
        offering = false;
        offer.hidden = true;
      });
    }

    var timer = null;
    function keep() {
      var fields = draftFields(form);
      if (sameFields(fields, shown)) {
        // Nothing typed beyond what the page shows; an offered draft stays.
        if (!offering) {
          store.removeItem(key);
        }
        return;
      }
      offering = false;
      offer.hidden = true;
      try {
        store.setItem(key, JSON.stringify({ saved: Date.now(), fields: fields }));
      } catch (error) {
        // Storage full: the form itself still holds the text.
      }
    }
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(keep, DRAFT_DELAY_MS);
    });
    form.addEventListener("change", keep);
    var sent = false;
    // Leaving (a reload, a closed tab) within the pause still keeps the last keystrokes.
    window.addEventListener("pagehide", function () {
      if (!sent) {
        keep();
      }
    });
    // Sent: a save that fails shows the form again with what was sent, so the
    // draft has done its job either way.
    form.addEventListener("submit", function () {
      sent = true;
      clearTimeout(timer);
      forgetDrafts(store, settings.draftScope);
    });
  }

  /* -- start -------------------------------------------------------------- */

  document.querySelectorAll(".md-draft-offer").forEach(function (offer) {
    var form = offer.nextElementSibling;
    if (!form || form.tagName !== "FORM") {
      return;
    }
    var settings = offer.dataset;
    form.querySelectorAll(".md-editor").forEach(function (editor) {
      var area = editor.querySelector("textarea");
      setUpToolbar(area, editor.querySelector(".md-toolbar"));
      setUpPreview(area, editor.querySelector(".md-preview-pane"), form, settings);
    });
    setUpDrafts(form, offer, settings);
  });
})();
