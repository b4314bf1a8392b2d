// Volunteer workspace: live updates by polling, offer countdowns, one-click inserts.
// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  var POLL_MS = 4000;

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // The server says how many seconds an offer has left; counting from when the
  // page got that number keeps a phone whose clock is wrong from closing it early.
  function tickCountdowns() {
    var now = performance.now();
    document.querySelectorAll(".countdown[data-seconds-left]").forEach(function (el) {
      if (!el.hasAttribute("data-deadline")) {
        el.setAttribute("data-deadline", String(now + 1000 * parseFloat(el.getAttribute("data-seconds-left"))));
      }
      var left = Math.max(0, Math.floor((parseFloat(el.getAttribute("data-deadline")) - now) / 1000));
      el.textContent = Math.floor(left / 60) + ":" + pad(left % 60);
      el.classList.toggle("urgent", left <= 30);
      if (left === 0) {
        var offer = el.closest(".offer");
        if (offer) {
          offer.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        }
        el.textContent = "0:00";
      }
    });
  }

  function swapFrom(html, id) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById(id);
    var current = document.getElementById(id);
    if (fresh && current) {
      var known = alertIds(current);
      current.innerHTML = fresh.innerHTML;
      current.setAttribute("data-poll-stamp", fresh.getAttribute("data-poll-stamp") || "");
      announceNewAlerts(current, known);
    }
  }

  function alertIds(region) {
    var ids = {};
    region.querySelectorAll("[data-alert-id]").forEach(function (el) {
      ids[el.getAttribute("data-alert-id")] = true;
    });
    return ids;
  }

  // Supervisors: mark alerts that arrived since the last look and say so in the
  // page's live region, so a screen reader hears it without losing its place.
  function announceNewAlerts(region, known) {
    var status = document.getElementById(region.getAttribute("data-announce") || "");
    if (!status) { return; }
    var labels = [];
    region.querySelectorAll("[data-alert-id]").forEach(function (el) {
      if (!known[el.getAttribute("data-alert-id")]) {
        el.classList.add("is-new");
        labels.push(el.getAttribute("data-alert-label"));
      }
    });
    if (labels.length === 1) {
      status.textContent = "New alert: " + labels[0] + ".";
    } else if (labels.length > 1) {
      status.textContent = labels.length + " new alerts: " + labels.join("; ") + ".";
    }
  }

  function stampOf(region, data) {
    if (data.last_message_id !== undefined && data.state !== undefined) {
      var stamp = data.last_message_id + ":" + data.state;
      // Supervisors' notes to the peer are part of the conversation page too.
      return data.last_note_id ? stamp + ":" + data.last_note_id : stamp;
    }
    return JSON.stringify(data);
  }

  function poll(region) {
    var url = region.getAttribute("data-poll-url");
    if (!url || document.hidden) { return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var stamp = stampOf(region, data);
        var known = region.getAttribute("data-poll-stamp");
        if (known && stamp === known) { return; }
        if (known && data.state === "ended") { window.location.reload(); return; }
        // No stamp rendered with the page: an offer may have arrived between the
        // page being built and this first poll, so record the stamp and refresh once.
        if (!known) { region.setAttribute("data-poll-stamp", stamp); }
        return fetch(window.location.pathname, { credentials: "same-origin" })
          .then(function (r) { return r.text(); })
          .then(function (html) {
            swapFrom(html, region.id);
            region.setAttribute("data-poll-stamp", stamp);
            tickCountdowns();
            var thread = region.querySelector(".thread");
            if (thread && thread.lastElementChild) {
              thread.lastElementChild.scrollIntoView({ block: "nearest" });
            }
          });
      })
      .catch(function () { /* offline for a moment: the next poll tries again */ });
  }

  function insertText(area, text) {
    var start = area.selectionStart || area.value.length;
    var end = area.selectionEnd || area.value.length;
    var before = area.value.slice(0, start);
    var after = area.value.slice(end);
    var glue = before && !/\s$/.test(before) ? " " : "";
    area.value = before + glue + text + after;
    var caret = (before + glue + text).length;
    area.focus();
    area.setSelectionRange(caret, caret);
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("DOMContentLoaded", function () {
    tickCountdowns();
    window.setInterval(tickCountdowns, 1000);
    document.querySelectorAll("[data-live][data-poll-url]").forEach(function (region) {
      var every = parseInt(region.getAttribute("data-poll-ms"), 10) || POLL_MS;
      poll(region);
      window.setInterval(function () { poll(region); }, every);
    });
    var area = document.querySelector("#reply textarea");
    document.querySelectorAll("[data-insert]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (!area) { return; }
        event.preventDefault();
        insertText(area, link.getAttribute("data-insert"));
      });
    });
    var thread = document.querySelector(".thread");
    if (thread && thread.lastElementChild && document.getElementById("reply")) {
      thread.lastElementChild.scrollIntoView({ block: "nearest" });
    }
  });
})();
