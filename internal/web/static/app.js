// Small progressive enhancements. Loaded as a file because the CSP forbids inline scripts.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Disable a submit button once its form is sent, so a slow upload is not sent twice.
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        b.disabled = true;
        if (b.dataset.busyText) {
          b.dataset.idleText = b.textContent;
          b.textContent = b.dataset.busyText;
        }
      });
    });
  });
});
// A page restored from the back-forward cache must not keep its buttons disabled.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("button[type=submit]:disabled").forEach(function (b) {
    b.disabled = false;
    if (b.dataset.idleText) { b.textContent = b.dataset.idleText; }
  });
});
