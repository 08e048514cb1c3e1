// The copy editor's live preview: as the person types, the server renders the draft for the sample client (nothing
// is stored) and the email, the text bubble and its real size update. Saving is an ordinary form post.
(function () {
  var form = document.getElementById("editor");
  if (!form || !window.fetch) return;
  var timer = null;

  function show(name, value) {
    var node = form.querySelector("[data-preview='" + name + "']");
    if (!node) return;
    if (name === "email-html") node.setAttribute("srcdoc", value);
    else node.textContent = value;
    if (/-error$/.test(name)) node.hidden = !value;
  }

  function refresh() {
    var data = new URLSearchParams(new FormData(form));
    fetch(form.getAttribute("data-preview-url"), { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (found) {
        if (!found) return;
        if (found.email) {
          show("email-error", found.email.error);
          show("email-subject", found.email.subject);
          show("email-html", found.email.html);
        }
        if (found.sms) {
          show("sms-error", found.sms.error);
          show("sms-text", found.sms.text);
          show("sms-size", found.sms.size);
        }
      });
  }

  // A preview still waiting would race the form's own post: saving shows the saved copy anyway.
  form.addEventListener("submit", function () { clearTimeout(timer); });

  form.querySelectorAll("[data-preview-input]").forEach(function (field) {
    field.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    });
  });
})();
