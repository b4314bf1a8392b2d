// Dev phone: keep the thread fresh (replies arrive from the worker) without a reload.
(function () {
  "use strict";
  var screen = document.getElementById("devphone-thread");
  if (!screen || !window.fetch) { return; }
  var url = screen.getAttribute("data-thread-url");
  var last = screen.innerHTML;
  function scrollToEnd() { screen.scrollTop = screen.scrollHeight; }
  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null && html !== last) {
          last = html;
          screen.innerHTML = html;
          scrollToEnd();
        }
      })
      .catch(function () { /* the next poll tries again */ });
  }
  scrollToEnd();
  window.setInterval(refresh, 1500);
  // The program's whole outbox (staff texts too), refreshed the same way.
  var outbox = document.getElementById("devphone-outbox");
  if (outbox) {
    var outboxUrl = outbox.getAttribute("data-outbox-url");
    var outboxLast = outbox.innerHTML;
    window.setInterval(function () {
      fetch(outboxUrl, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html !== null && html !== outboxLast) { outboxLast = html; outbox.innerHTML = html; }
        })
        .catch(function () { /* the next poll tries again */ });
    }, 3000);
  }
  var box = document.getElementById("body");
  if (box) {
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && box.value.trim()) {
        event.preventDefault();
        box.form.submit();
      }
    });
    if (window.location.hash === "#compose") { box.focus(); }
  }
})();
