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
