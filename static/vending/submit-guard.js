/* Forms marked data-submit-guard: once submitted, their buttons are disabled (and say so),
   so a double click cannot send the same decision twice. Re-enabled on back/forward.
   Forms marked data-confirm="question" are sent only once the question is confirmed. */
(function () {
  if (window.requestSubmitGuard) { return; }
  window.requestSubmitGuard = true;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    // Forms with data-confirm ask first (a consequential action: "Retry now").
    if (form.matches && form.matches("form[data-confirm]") && !event.defaultPrevented &&
        !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    if (!form.matches || !form.matches("form[data-submit-guard]") || event.defaultPrevented) { return; }
    // After this tick the browser has read the form's data, buttons included.
    window.setTimeout(function () {
      form.setAttribute("aria-busy", "true");
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = true;
        if (button.dataset.busyLabel) {
          button.dataset.idleLabel = button.textContent;
          button.textContent = button.dataset.busyLabel;
        }
      });
    }, 0);
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-submit-guard][aria-busy]").forEach(function (form) {
      form.removeAttribute("aria-busy");
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = false;
        if (button.dataset.idleLabel) { button.textContent = button.dataset.idleLabel; }
      });
    });
  });
})();
