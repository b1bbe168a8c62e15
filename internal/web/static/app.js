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
  watchIndex();
  panelFiles();
  copyButtons();
  document.querySelectorAll("form[data-direct-upload]").forEach(directUpload);
});

// directUpload sends the form's file straight to object storage when the
// site keeps job files there: the site hands out a presigned request
// (POST data-direct-upload), the browser PUTs the file with it, then posts
// the form's other fields to the site as an ordinary form, so the answer
// (the job or its pre-flight report) opens as after any upload.
function directUpload(form) {
  var errBox = document.getElementById("direct-error");
  function fail(msg) {
    if (errBox) {
      errBox.textContent = msg;
      errBox.classList.remove("d-none");
    }
    form.querySelectorAll("button[type=submit]").forEach(function (b) {
      b.disabled = false;
      if (b.dataset.idleText) { b.textContent = b.dataset.idleText; }
    });
  }
  form.addEventListener("submit", function (ev) {
    var input = form.querySelector("input[type=file]");
    if (!input || !input.files.length) { return; }
    ev.preventDefault();
    if (form.elements.paste && form.elements.paste.value.trim() !== "") {
      fail("Upload a file or paste variants, not both.");
      return;
    }
    var file = input.files[0];
    fetch(form.dataset.directUpload, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: file.name, size: file.size })
    }).then(function (r) {
      return r.json().then(function (j) { return { ok: r.ok, body: j }; });
    }).then(function (res) {
      if (!res.ok) { throw new Error(res.body.error || "The upload could not start."); }
      var up = res.body;
      var headers = new Headers();
      Object.keys(up.headers || {}).forEach(function (k) {
        (up.headers[k] || []).forEach(function (v) { headers.append(k, v); });
      });
      return fetch(up.url, { method: up.method, headers: headers, body: file }).then(function (r) {
        if (!r.ok) { throw new Error("The file could not be stored (" + r.status + "). Please try again."); }
        var finish = document.createElement("form");
        finish.method = "post";
        finish.action = up.finish;
        var fields = {
          upload_id: up.upload_id, name: up.name,
          mode: form.elements.mode ? form.elements.mode.value : "",
          bundle: form.elements.bundle ? form.elements.bundle.value : "",
          job_name: form.elements.job_name ? form.elements.job_name.value : "",
          skip_malformed: form.elements.skip_malformed && form.elements.skip_malformed.checked ? "1" : "",
          preflight: form.elements.preflight && form.elements.preflight.checked ? "1" : ""
        };
        Object.keys(fields).forEach(function (k) {
          var i = document.createElement("input");
          i.type = "hidden";
          i.name = k;
          i.value = fields[k];
          finish.appendChild(i);
        });
        document.body.appendChild(finish);
        finish.submit();
      });
    }).catch(function (e) {
      fail(e && e.message ? e.message : "The upload failed. Please try again.");
    });
  });
}

// A page restored from the back-forward cache must not keep its buttons disabled.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("button[type=submit]:disabled").forEach(function (b) {
    b.disabled = false;
    if (b.dataset.idleText) { b.textContent = b.dataset.idleText; }
  });
});

// watchJobs polls the status of unfinished jobs shown on the page
// ([data-watch-job][data-terminal="false"]) and redraws in place what it returns: the
// state badge, progress bars ([data-progress-bar]), progress lines
// ([data-progress-text], [data-progress-count]). A job page reloads once
// when its job finishes, to show the result and its charts; a list never
// reloads. Finished jobs are not polled.
function watchJobs() {
  // The server says which states are finished (gas.JobState.Terminal).
  function unfinished(el) { return el.dataset.terminal !== "true"; }
  var watched = Array.prototype.filter.call(
    document.querySelectorAll("[data-watch-job][data-terminal]"), unfinished);
  document.querySelectorAll("[data-progress-bar]").forEach(function (bar) {
    drawBar(bar, parseInt(bar.dataset.percent, 10), null);
  });
  countdowns();
  if (watched.length === 0 || !window.fetch) { return; }
  var jobPage = document.getElementById("job-details") !== null;
  var started = Date.now();
  function delay() {
    // Every 1.5 s for the first ten minutes, then slower for long jobs.
    return Date.now() - started < 600 * 1000 ? 1500 : 10000;
  }
  function poll() {
    if (document.hidden) { setTimeout(poll, delay()); return; }
    Promise.all(watched.map(function (el) {
      return fetch("/jobs/" + encodeURIComponent(el.dataset.watchJob) + "/status",
                   { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) {
          var json = r.ok && (r.headers.get("Content-Type") || "").indexOf("application/json") === 0;
          return json ? r.json() : null;
        })
        .then(function (s) {
          if (s === null) { return false; }
          var changed = s.state !== el.dataset.state;
          el.dataset.state = s.state;
          el.dataset.terminal = String(s.terminal);
          redraw(el, s);
          return changed && s.terminal;
        });
    })).then(function (done) {
      if (jobPage && done.indexOf(true) >= 0) {
        window.location.reload();
        return;
      }
      watched = watched.filter(unfinished);
      if (watched.length > 0) { setTimeout(poll, delay()); }
    }, function () {
      setTimeout(poll, 3 * delay());
    });
  }
  setTimeout(poll, 1000);
}

// redraw updates the parts of the page that show job s.
function redraw(el, s) {
  var id = CSS.escape(s.id);
  var badges = Array.prototype.slice.call(el.querySelectorAll(".job-state"));
  document.querySelectorAll("[data-job-badge=\"" + id + "\"] .job-state").forEach(function (b) { badges.push(b); });
  badges.forEach(function (badge) {
    if (badge.dataset.state === s.state) { return; }
    badge.className = "badge job-state " + s.badge_class;
    badge.dataset.state = s.state;
    badge.textContent = s.state;
  });
  document.querySelectorAll("[data-progress-bar=\"" + id + "\"]").forEach(function (bar) {
    drawBar(bar, s.annotated ? 100 : s.percent, s);
  });
  document.querySelectorAll("[data-progress-text=\"" + id + "\"]").forEach(function (t) {
    if (s.progress_text) { t.textContent = s.progress_text; }
  });
  document.querySelectorAll("[data-progress-count=\"" + id + "\"]").forEach(function (t) {
    var n = s.records_done.toLocaleString("en-US");
    t.textContent = s.records_total > 0 ? n + " / " + s.records_total.toLocaleString("en-US") : n;
  });
}

// drawBar sets a Bootstrap progress bar to percent (< 0: unknown, drawn
// empty); a finished job s stops its animation and colours it: green when
// annotated, red when it ended without a result.
function drawBar(bar, percent, s) {
  var inner = bar.querySelector(".progress-bar");
  if (!inner) { return; }
  var p = percent >= 0 ? Math.min(100, percent) : 0;
  inner.style.width = p + "%";
  if (percent >= 0) {
    bar.setAttribute("aria-valuenow", String(p));
    inner.textContent = bar.classList.contains("progress-thin") ? "" : p + "%";
  }
  if (s && s.terminal) {
    inner.classList.remove("progress-bar-animated", "progress-bar-striped");
    inner.classList.add(s.annotated ? "bg-success" : "bg-danger");
  }
}

// countdowns rewrites [data-countdown] times ("in 6 days 3 hours") every minute.
function countdowns() {
  var els = document.querySelectorAll("[data-countdown]");
  if (els.length === 0) { return; }
  function tick() {
    els.forEach(function (el) {
      var ms = Date.parse(el.dataset.countdown) - Date.now();
      if (isNaN(ms)) { return; }
      if (ms <= 0) { el.textContent = "now"; return; }
      var m = Math.floor(ms / 60000), d = Math.floor(m / 1440), h = Math.floor(m / 60) % 24;
      function pl(n, u) { return n + " " + u + (n === 1 ? "" : "s"); }
      el.textContent = d > 0 ? "in " + pl(d, "day") + " " + pl(h, "hour") :
        h > 0 ? "in " + pl(h, "hour") + " " + pl(m % 60, "minute") :
        m > 0 ? "in " + pl(m, "minute") : "in less than a minute";
    });
  }
  setInterval(tick, 60000);
}

// watchIndex reloads the variant browser once when the index it waits for
// ([data-watch-index]) is built.
function watchIndex() {
  var el = document.querySelector("[data-watch-index]");
  if (!el || !window.fetch) { return; }
  function poll() {
    if (document.hidden) { setTimeout(poll, 3000); return; }
    fetch("/jobs/" + encodeURIComponent(el.dataset.watchIndex) + "/status",
          { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (s && s.index_ready) { window.location.reload(); return; }
        setTimeout(poll, 2000);
      }, function () { setTimeout(poll, 6000); });
  }
  setTimeout(poll, 1000);
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

// panelFiles reads a gene-panel file chosen in the variant filter into its
// text box ([data-panel-target] names the box): the list travels in the
// URL like a typed one, so the view stays shareable.
function panelFiles() {
  document.querySelectorAll("input[type=file][data-panel-target]").forEach(function (input) {
    input.addEventListener("change", function () {
      var box = document.getElementById(input.dataset.panelTarget);
      if (!box || !input.files.length) { return; }
      input.files[0].text().then(function (text) {
        // Lines starting with # are comments; names are separated by blanks, commas or semicolons.
        var body = text.split(/\r?\n/).filter(function (l) { return l.trim().charAt(0) !== "#"; }).join("\n");
        var names = body.split(/[\s,;]+/).filter(function (n) { return n; });
        box.value = names.join(" ");
      });
    });
  });
}
