// Times are shown in the reader's zone by default: on the first visit (no `tz`
// cookie yet) the browser's zone is kept in the cookie and the page is asked for
// again, so the server draws every time, chart axis and download in it. It runs
// before the page is drawn (a blocking script in <head>), and only once: if the
// cookie cannot be set (cookies off, a third-party frame) nothing happens and the
// page stays in UTC. No inline script: CSP-safe.
(function () {
  function hasZoneCookie() {
    return document.cookie.split("; ").some(function (c) { return c.indexOf("tz=") === 0; });
  }
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  var script = document.getElementById("zone-script");
  if (!zone || !script || !/^[A-Za-z0-9_+\/-]{1,64}$/.test(zone)) return;
  if (!hasZoneCookie()) {
    document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
    if (hasZoneCookie() && zone !== script.getAttribute("data-zone")) {
      window.location.replace(window.location.href);
      return;
    }
  }
  // Without the cookie, the zone switch at least preselects the browser's zone.
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("zone");
    if (!select || hasZoneCookie()) return;
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === zone) { select.selectedIndex = i; return; }
    }
  });
})();
