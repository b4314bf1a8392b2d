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

  // Segment counter for texter-facing texts: counts the text as it will be
  // sent, with placeholders such as {program} replaced by this program's values.
  function bindCounter(area) {
    var out = document.getElementById(area.getAttribute("data-admin-counter"));
    if (!out || !window.peerworkSegments) { return; }
    var max = parseInt(area.getAttribute("data-max-segments") || "0", 10);
    var samples = {};
    try { samples = JSON.parse(area.getAttribute("data-samples") || "{}"); } catch (e) { samples = {}; }
    function update() {
      var sent = area.value.replace(/\r\n/g, "\n").trim().replace(/\{(\w+)\}/g, function (whole, name) {
        return Object.prototype.hasOwnProperty.call(samples, name) ? samples[name] : whole;
      });
      var r = window.peerworkSegments(sent);
      out.textContent = r.units + " characters as sent · " + r.encoding + " · " + r.segments +
        " SMS segment" + (r.segments === 1 ? "" : "s") + (max ? " (limit " + max + ")" : "");
      out.classList.toggle("over", max > 0 && r.segments > max);
    }
    // Grow with the text, so the whole message is visible on a phone too
    // (CSSOM changes are allowed by the style-src 'self' policy).
    function fit() {
      area.style.height = "auto";
      area.style.height = (area.scrollHeight + 2) + "px";
    }
    area.addEventListener("input", update);
    area.addEventListener("input", fit);
    window.addEventListener("resize", fit);
    update();
    fit();
  }

  // Timezone search: hide the options that do not match and pick the first that does,
  // so the closed select shows what was found. Without this file the select works alone.
  function bindZoneSearch(box) {
    var select = document.getElementById(box.getAttribute("data-zone-search-for"));
    var input = box.querySelector("input");
    var status = box.querySelector("[aria-live]");
    if (!select || !input) { return; }
    box.hidden = false;
    function words(text) { return text.toLowerCase().replace(/[_/,()-]+/g, " "); }
    input.addEventListener("input", function () {
      var query = words(input.value).trim();
      var first = null;
      var found = 0;
      select.querySelectorAll("option").forEach(function (option) {
        var match = !query || words(option.textContent + " " + option.value).indexOf(query) !== -1;
        option.hidden = !match;
        if (match) { found += 1; if (!first) { first = option; } }
      });
      select.querySelectorAll("optgroup").forEach(function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
      if (query && first) { select.value = first.value; }
      status.textContent = !query ? "" : (found ? found + " match" + (found === 1 ? "" : "es") +
        ", first selected: " + first.textContent : "No timezone matches.");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-admin-counter]").forEach(bindCounter);
    document.querySelectorAll("[data-zone-search-for]").forEach(bindZoneSearch);
    var focus = document.querySelector("[data-autofocus]");
    if (focus) { focus.focus(); }
    document.querySelectorAll(".link-input").forEach(function (input) {
      input.addEventListener("focus", function () { input.select(); });
    });
  });
})();
