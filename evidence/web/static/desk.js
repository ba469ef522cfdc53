// The review desk's keyboard shortcuts: an enhancement; every action is also a plain form
// or link. Keys: s c m i n (verdicts), u (undo), j/k (next/previous), / (note), ? (list).
(function () {
  "use strict";
  var ACTION_KEYS = ["s", "c", "m", "i", "n", "u", "j", "k"];
  var busy = false;

  function typing(element) {
    if (!element) return false;
    var tag = element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
  }

  function act(element) {
    if (busy || element.disabled) return;
    if (element.tagName === "BUTTON" && element.form) {
      busy = true;
      if (element.form.requestSubmit) element.form.requestSubmit(element);
      else element.click();
    } else if (element.tagName === "A" && element.href) {
      busy = true;
      window.location.assign(element.href);
    }
  }

  function toggleShortcuts() {
    var list = document.getElementById("shortcuts");
    if (!list) return;
    list.open = !list.open;
    if (list.open) list.querySelector("summary").focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var key = event.key;
    if (key === "?") {
      event.preventDefault();
      toggleShortcuts();
      return;
    }
    if (key === "/") {
      var note = document.querySelector('[data-key="/"]');
      if (note) {
        event.preventDefault();
        note.focus();
      }
      return;
    }
    if (ACTION_KEYS.indexOf(key) < 0) return;
    var element = document.querySelector('[data-key="' + key + '"]');
    if (!element) return;
    event.preventDefault();
    act(element);
  });

  // A message rendered with the page is written into the live region again once loaded,
  // so screen readers announce "Recorded: ..." after each verdict.
  document.addEventListener("DOMContentLoaded", function () {
    var status = document.getElementById("status");
    if (!status) return;
    var text = status.textContent.trim();
    if (!text) return;
    status.textContent = "";
    window.setTimeout(function () {
      var line = document.createElement("p");
      line.textContent = text;
      status.appendChild(line);
    }, 150);
  });
})();
