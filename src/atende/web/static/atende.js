// Atende: messages when an HTMX request fails (the page itself stays as it was). The texts
// come from the page (data-msg-* on <body>), in the visitor's language.
(function () {
  "use strict";
  function text(name) {
    return document.body.getAttribute("data-msg-" + name) || name;
  }
  function flash(message) {
    var box = document.getElementById("flash");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
    window.clearTimeout(flash.timer);
    flash.timer = window.setTimeout(function () { box.hidden = true; }, 6000);
  }
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 403) {
      flash(text("forbidden"));
    } else if (status === 404) {
      flash(text("not-found"));
    } else if (status === 409) {
      flash(text("conflict"));
    } else {
      flash(text("failed") + " (" + status + ")");
    }
  });
  document.addEventListener("htmx:sendError", function () {
    flash(text("offline"));
  });
})();

// Live updates. The page's #live element opens the stream (hx-ext="sse", sse-connect=
// "/api/v1/stream", the session cookie); each event names its ticket. What it concerns is
// fetched again: a ticket page's changing parts ([data-live="ticket"][data-ticket=<id>]), the
// inbox list and its counts ([data-live="inbox"]: at once, unless tickets are selected for a
// bulk action, then a button offers the refresh). A lost connection shows the "reconnecting"
// banner; the browser reconnects with Last-Event-ID and, once back, every live part is fetched
// again so that nothing missed meanwhile stays unseen.
(function () {
  "use strict";
  var TYPES = ["ticket_created", "ticket_imported", "ticket_updated", "message_received",
    "message_sent", "message_added", "note_added", "sla_warning", "sla_breach"];
  var lost = false;
  var pending = null;

  function refresh(element) {
    if (window.htmx) { window.htmx.trigger(element, "live-refresh"); }
  }
  function refreshInbox(inbox) {
    var stale = document.getElementById("live-stale");
    if (document.querySelector("input[name=ids]:checked")) {
      if (stale) { stale.hidden = false; }
      return;
    }
    if (stale) { stale.hidden = true; }
    window.clearTimeout(pending);
    pending = window.setTimeout(function () { refresh(inbox); }, 250);
  }
  function refreshAll() {
    document.querySelectorAll("[data-live=ticket]").forEach(refresh);
    document.querySelectorAll("[data-live=inbox]").forEach(refreshInbox);
  }
  function onEvent(event) {
    var data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    var id = String(data.ticket_id);
    document.querySelectorAll("[data-live=ticket]").forEach(function (el) {
      if (el.getAttribute("data-ticket") === id) { refresh(el); }
    });
    document.querySelectorAll("[data-live=inbox]").forEach(refreshInbox);
    document.body.setAttribute("data-live-last", data.type + ":" + id);
  }
  function banner(show) {
    var box = document.getElementById("live-banner");
    if (box) { box.hidden = !show; }
  }
  document.addEventListener("htmx:sseOpen", function (event) {
    var source = event.detail && event.detail.source;
    if (source && !source.atendeListening) {
      source.atendeListening = true;
      TYPES.forEach(function (type) { source.addEventListener(type, onEvent); });
    }
    banner(false);
    document.body.setAttribute("data-live-state", "open");
    if (lost) { lost = false; refreshAll(); }
  });
  document.addEventListener("htmx:sseError", function () {
    lost = true;
    banner(true);
    document.body.setAttribute("data-live-state", "lost");
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-refresh]") : null;
    if (!button) { return; }
    var target = document.getElementById(button.getAttribute("data-refresh"));
    var stale = document.getElementById("live-stale");
    if (stale) { stale.hidden = true; }
    if (target) { refresh(target); }
  });
})();
