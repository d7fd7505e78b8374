// Live counts: reload the page every minute while "Refresh every minute" is ticked.
// Off by default (WCAG 2.2.1); the choice is kept for the tab in sessionStorage.
(function () {
  "use strict";
  var box = document.getElementById("auto-refresh");
  if (!box) { return; }
  var timer = null;
  function arm() {
    if (timer) { clearTimeout(timer); timer = null; }
    if (box.checked) { timer = setTimeout(function () { window.location.reload(); }, 60000); }
  }
  try { box.checked = window.sessionStorage.getItem("live-refresh") === "1"; } catch (e) { /* private mode */ }
  box.addEventListener("change", function () {
    try { window.sessionStorage.setItem("live-refresh", box.checked ? "1" : "0"); } catch (e) { /* ignore */ }
    arm();
  });
  arm();
}());
