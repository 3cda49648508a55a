/* The "Notify me in this browser" button of the follow box: registers our
   service worker, asks for permission, subscribes with our VAPID key and tells
   the server what to follow. Without JavaScript or Push API the button stays
   hidden and the email form works alone. */
(function () {
  "use strict";
  var button = document.querySelector(".follow-box .push-button");
  if (!button || !("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    return;
  }
  var form = button.form;
  var state = form.querySelector(".push-state");
  var following = false;
  button.hidden = false;

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  function target() {
    var what = form.querySelector("input[name=what]:checked");
    var body = {
      region: form.querySelector("select[name=region]").value,
      time_zone: (Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC")
    };
    if (what && what.value === "group") { body.group = button.dataset.group; } else { body.service = button.dataset.service; }
    return body;
  }

  function send(method, url, subscription) {
    var body = target();
    body.subscription = subscription.toJSON();
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": form.querySelector("input[name=csrfmiddlewaretoken]").value
      },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) { throw new Error(answer.detail || ("The server answered " + response.status)); }
        return answer.following;
      });
    });
  }

  function show(list) {
    var wanted = target();
    following = list.some(function (f) {
      return f.region === wanted.region && (wanted.group ? f.group === wanted.group : f.service === wanted.service);
    });
    button.textContent = following ? "Stop notifications in this browser" : "Notify me in this browser";
    state.textContent = following ? "This browser will show a notification when there are problems." : "";
  }

  function active(registration) {
    return new Promise(function (resolve) {
      if (registration.active) { resolve(registration); return; }
      var worker = registration.installing || registration.waiting;
      worker.addEventListener("statechange", function () {
        if (worker.state === "activated") { resolve(registration); }
      });
    });
  }

  function subscription() {
    return navigator.serviceWorker.register(button.dataset.worker, { scope: "/alerts/" }).then(active).then(function (registration) {
      return registration.pushManager.getSubscription().then(function (existing) {
        return existing || registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(button.dataset.key)
        });
      });
    });
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") {
        throw new Error("Notifications are blocked for this site: allow them in your browser's settings, then try again.");
      }
      return subscription();
    }).then(function (sub) {
      return send(following ? "DELETE" : "POST", button.dataset.endpoint, sub);
    }).then(show).catch(function (error) {
      state.textContent = error.message;
    }).then(function () { button.disabled = false; });
  });

  function refresh() {
    if (Notification.permission !== "granted") { return; }
    navigator.serviceWorker.getRegistration("/alerts/").then(function (registration) {
      return registration && registration.pushManager.getSubscription();
    }).then(function (sub) {
      return sub ? send("POST", button.dataset.status, sub) : [];
    }).then(show).catch(function () {});
  }
  form.addEventListener("change", refresh);
  refresh();
}());
