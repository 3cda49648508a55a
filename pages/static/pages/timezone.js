// On the zone switch, preselect the browser's own zone while the reader has not
// chosen one yet (the server then still shows UTC). No inline script: CSP-safe.
document.addEventListener("DOMContentLoaded", function () {
  var select = document.getElementById("zone");
  if (!select || document.cookie.split("; ").some(function (c) { return c.indexOf("tz=") === 0; })) return;
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  for (var i = 0; i < select.options.length; i++) {
    if (select.options[i].value === zone) { select.selectedIndex = i; return; }
  }
});
