// Progressive enhancement only: every page works without this file.
// SMS segment counter for any <textarea data-segment-counter="ID">.
(function () {
  "use strict";
  var GSM = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM_EXT = "^{}\\[~]|€\f";
  function count(text) {
    var units = 0, gsm = true;
    for (var ch of text) {
      if (GSM.indexOf(ch) >= 0) { units += 1; }
      else if (GSM_EXT.indexOf(ch) >= 0) { units += 2; }
      else { gsm = false; break; }
    }
    if (!gsm) {
      units = 0;
      for (var i = 0; i < text.length; i++) { units += 1; } // UTF-16 code units
      return { encoding: "UCS-2", units: units, segments: units === 0 ? 0 : (units <= 70 ? 1 : Math.ceil(units / 67)) };
    }
    return { encoding: "GSM-7", units: units, segments: units === 0 ? 0 : (units <= 160 ? 1 : Math.ceil(units / 153)) };
  }
  window.peerworkSegments = count;
  function bind(area) {
    var out = document.getElementById(area.getAttribute("data-segment-counter"));
    if (!out) { return; }
    var max = parseInt(area.getAttribute("data-max-segments") || "0", 10);
    function update() {
      var r = count(area.value);
      // A page in another language gives its own wording: {units} {encoding} {segments} {max}.
      var wording = area.getAttribute(r.segments === 1 ? "data-counter-one" : "data-counter-many");
      out.textContent = wording
        ? wording.replace("{units}", r.units).replace("{encoding}", r.encoding)
            .replace("{segments}", r.segments).replace("{max}", max)
        : r.units + " characters · " + r.encoding + " · " + r.segments + " SMS segment" + (r.segments === 1 ? "" : "s") + (max ? " (limit " + max + ")" : "");
      out.classList.toggle("over", max > 0 && r.segments > max);
    }
    area.addEventListener("input", update);
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-segment-counter]").forEach(bind);
  });
})();
