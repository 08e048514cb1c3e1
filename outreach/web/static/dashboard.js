// Keyboard help for the front desk: "/" jumps to the page's search box (as in many web apps).
// Everything works without this file; the Content-Security-Policy allows no inline script.
document.addEventListener("keydown", function (event) {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  var target = event.target;
  if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
  var search = document.querySelector("[data-shortcut='/']");
  if (search) {
    event.preventDefault();
    search.focus();
    search.select();
  }
});

// SMS size as you type (the server checks again on sending): encoding and segments of the text as it will go
// out, the clinic's name first. Mirrors outreach/policy/segments.py.
(function () {
  var GSM7 = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENDED = "^{}\\[~]|€\f";

  function segments(units, single, part) {
    var total = units.reduce(function (a, b) { return a + b; }, 0);
    if (total <= single) return 1;
    var count = 1, used = 0;
    units.forEach(function (size) {
      if (used + size > part) { count += 1; used = 0; }
      used += size;
    });
    return count;
  }

  function measure(text) {
    var chars = Array.from(text);
    var gsm = chars.every(function (c) { return GSM7.indexOf(c) >= 0 || EXTENDED.indexOf(c) >= 0; });
    if (gsm) {
      var septets = chars.map(function (c) { return EXTENDED.indexOf(c) >= 0 ? 2 : 1; });
      return { encoding: "GSM-7", segments: segments(septets, 160, 153), characters: septets.length &&
        septets.reduce(function (a, b) { return a + b; }, 0) };
    }
    var units = chars.map(function (c) { return c.codePointAt(0) > 0xFFFF ? 2 : 1; });
    var odd = chars.find(function (c) { return GSM7.indexOf(c) < 0 && EXTENDED.indexOf(c) < 0; });
    return { encoding: "UCS-2", segments: segments(units, 70, 67), characters: units.length &&
      units.reduce(function (a, b) { return a + b; }, 0), odd: odd };
  }

  function update(field) {
    var out = document.getElementById(field.getAttribute("data-sms-counter"));
    var max = parseInt(field.getAttribute("data-sms-max"), 10);
    var size = measure(field.getAttribute("data-sms-prefix") + field.value.trim().split(/\s+/).join(" "));
    var words = size.segments + (size.segments === 1 ? " segment" : " segments") + " · " + size.encoding +
      " · " + size.characters + " characters";
    if (size.encoding === "UCS-2") words += " (“" + size.odd + "” is not in the GSM alphabet)";
    if (size.segments > max) words += " · over the limit of " + max + ": shorten it";
    out.textContent = words;
    out.classList.toggle("field-error", size.segments > max);
  }

  document.querySelectorAll("[data-sms-counter]").forEach(function (field) {
    field.addEventListener("input", function () { update(field); });
    update(field);
  });

  document.querySelectorAll("[data-insert-into]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      var field = document.getElementById(button.getAttribute("data-insert-into"));
      if (!field) return;
      event.preventDefault();
      field.value = button.getAttribute("data-text");
      field.dispatchEvent(new Event("input"));
      field.focus();
    });
  });
})();
