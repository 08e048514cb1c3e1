// The copy editor's live previews, one per language column: as the person types, the server renders that column's
// draft for the sample client in its language (nothing is stored), and its email, text bubble and real sizes
// update. Changing the phase refreshes every column. Saving is an ordinary form post.
(function () {
  var forms = document.querySelectorAll("form[data-editor]");
  if (!forms.length || !window.fetch) return;

  function show(column, name, value) {
    var node = column.querySelector("[data-preview='" + name + "']");
    if (!node) return;
    if (name === "email-html") node.setAttribute("srcdoc", value);
    else node.textContent = value;
    if (/-error$/.test(name)) node.hidden = !value;
  }

  function refresh(form) {
    var column = form.closest("[data-editor-column]");
    var data = new URLSearchParams(new FormData(form));
    fetch(form.getAttribute("data-preview-url"), { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (found) {
        if (!found) return;
        if (found.email) {
          show(column, "email-error", found.email.error);
          show(column, "email-subject", found.email.subject);
          show(column, "email-html", found.email.html);
        }
        if (found.sms) {
          show(column, "sms-error", found.sms.error);
          show(column, "sms-text", found.sms.text);
          show(column, "sms-size", found.sms.size || "");
          show(column, "sms-short-size", found.sms.short_size || "none (no short block)");
          show(column, "sms-long-name", found.sms.long_name || "");
        }
      });
  }

  forms.forEach(function (form) {
    var timer = null;
    // A preview still waiting would race the form's own post: saving shows the saved copy anyway.
    form.addEventListener("submit", function () { clearTimeout(timer); });
    form.querySelectorAll("[data-preview-input]").forEach(function (field) {
      field.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () { refresh(form); }, 300);
      });
    });
  });

  var phase = document.querySelector("[data-editor-phase]");
  if (phase) {
    phase.addEventListener("change", function () {
      document.querySelectorAll("[data-phase-field]").forEach(function (field) { field.value = phase.value; });
      forms.forEach(refresh);
    });
  }
})();
