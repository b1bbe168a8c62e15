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
  watchJobs();
  copyButtons();
});

// A page restored from the back-forward cache must not keep its buttons disabled.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("button[type=submit]:disabled").forEach(function (b) {
    b.disabled = false;
    if (b.dataset.idleText) { b.textContent = b.dataset.idleText; }
  });
});

// watchJobs polls the status of unfinished jobs shown on the page
// ([data-watch-job][data-state]) and reloads the page once when one of them
// changes state, so a user waiting for a result sees it without reloading,
// and a finished page is never refreshed.
function watchJobs() {
  var finished = { COMPLETED: true, FAILED: true, ARCHIVED: true };
  var watched = Array.prototype.filter.call(
    document.querySelectorAll("[data-watch-job][data-state]"),
    function (el) { return !finished[el.dataset.state]; });
  if (watched.length === 0 || !window.fetch) { return; }
  var delay = 2000;
  var started = Date.now();
  function poll() {
    // Give up after an hour; a reload starts again.
    if (Date.now() - started > 3600 * 1000) { return; }
    if (document.hidden) { setTimeout(poll, delay); return; }
    Promise.all(watched.map(function (el) {
      return fetch("/jobs/" + encodeURIComponent(el.dataset.watchJob) + "/status",
                   { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) {
          var json = r.ok && (r.headers.get("Content-Type") || "").indexOf("application/json") === 0;
          return json ? r.json() : null;
        })
        .then(function (s) { return s !== null && s.state !== el.dataset.state; });
    })).then(function (changed) {
      if (changed.indexOf(true) >= 0) {
        window.location.reload();
        return;
      }
      delay = Math.min(delay * 1.5, 15000);
      setTimeout(poll, delay);
    }, function () {
      delay = Math.min(delay * 2, 30000);
      setTimeout(poll, delay);
    });
  }
  setTimeout(poll, delay);
}

// copyButtons makes [data-copy] buttons copy the value of the field their
// selector names (the API token shown once); without the clipboard API the
// field is selected for the user to copy by hand.
function copyButtons() {
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    b.addEventListener("click", function () {
      var field = document.querySelector(b.dataset.copy);
      if (!field) { return; }
      field.select();
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(field.value).then(function () { b.textContent = "Copied"; });
      }
    });
  });
}
