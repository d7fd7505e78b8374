// A job's progress page: asks the server for the job's state every few seconds and updates
// the progress bar and its text; reloads the page once the job is finished or failed. The
// page works without this script (it has a "Refresh now" link).
(function () {
  "use strict";
  var box = document.querySelector("[data-job-status-url]");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-job-status-url");
  var status = box.getAttribute("data-job-status");
  var bar = document.getElementById("job-progress");
  var text = document.getElementById("job-progress-text");
  var delay = 2000;

  function schedule() {
    window.setTimeout(poll, delay);
  }

  function poll() {
    window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) {
          delay = Math.min(delay * 2, 30000);
          return schedule();
        }
        if (data.status !== status && data.status !== "running" ) {
          window.location.reload();
          return;
        }
        status = data.status;
        bar.max = data.total;
        bar.value = data.done;
        bar.textContent = data.progress;
        if (text.textContent !== data.progress) {
          text.textContent = data.progress;
        }
        schedule();
      })
      .catch(function () {
        delay = Math.min(delay * 2, 30000);
        schedule();
      });
  }

  schedule();
})();
