// Admin pages, progressive enhancement only: copy buttons, confirmations,
// restoring a text's default wording. Every page works without this file.
(function () {
  "use strict";

  function copy(button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) { return; }
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      button.classList.add("copied");
      setTimeout(function () { button.textContent = label; button.classList.remove("copied"); }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
    } else {
      // Plain http (a local server): select the text and use the legacy command.
      input.focus();
      input.select();
      try { if (document.execCommand("copy")) { done(); } } catch (e) { /* the text stays selected */ }
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (button) { copy(button); return; }
    var reset = event.target.closest("[data-reset-text]");
    if (reset) {
      var area = document.getElementById(reset.getAttribute("data-reset-text"));
      if (area) {
        area.value = reset.getAttribute("data-default");
        area.dispatchEvent(new Event("input"));
        area.focus();
      }
    }
  });

  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var focus = document.querySelector("[data-autofocus]");
    if (focus) { focus.focus(); }
    document.querySelectorAll(".link-input").forEach(function (input) {
      input.addEventListener("focus", function () { input.select(); });
    });
  });
})();
