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

// Live updates. The page's #live element names the stream (data-live-source="/api/v1/stream",
// the session cookie) and whose it is (data-live-key). Each event names its ticket; what it
// concerns is fetched again: a ticket page's changing parts ([data-live="ticket"]
// [data-ticket=<id>]), the inbox list and its counts ([data-live="inbox"]: at once, unless
// tickets are selected for a bulk action, then a button offers the refresh).
//
// One stream per browser, not per tab (HTTP/1.1 allows 6 connections per host): the tabs of
// one person elect a leader through the Web Locks API (the lock "atende-stream:<key>", held
// while the leader tab lives). The leader holds the EventSource and relays every event and
// the stream's state to the other tabs over a BroadcastChannel of the same name. When the
// leader tab closes, its lock passes to another tab, which opens the stream again from the
// last event id it saw (the server replays what happened since: nothing is missed). Without
// Web Locks or BroadcastChannel (an old browser, a page not served over HTTPS or localhost)
// every tab holds its own stream, as before.
//
// A lost connection shows the "reconnecting" banner in every tab; the EventSource reconnects
// with Last-Event-ID and, once back, every live part is fetched again so that nothing missed
// meanwhile stays unseen. Each event is also dispatched on the document as "atende:live"
// (detail: type, data, id) for the page's other scripts (chat/console.js).
(function () {
  "use strict";
  var TYPES = ["ticket_created", "ticket_imported", "ticket_updated", "message_received",
    "message_sent", "message_added", "note_added", "sla_warning", "sla_breach"];
  var RELAYED = TYPES.concat(["chat_typing", "reset"]);
  var lost = false;
  var pending = null;
  var lastId = null;  // the id of the last event this tab saw (its own or relayed)
  var channel = null;
  var leading = false;
  var state = null;

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
  function seen(id) {
    var n = Number(id);
    if (id !== null && id !== undefined && id !== "" && n >= 0 && (lastId === null || n > lastId)) {
      lastId = n;
    }
  }
  function onEvent(type, raw, id) {
    seen(id);
    var data;
    try { data = JSON.parse(raw); } catch (e) { return; }
    document.dispatchEvent(new CustomEvent("atende:live", { detail: { type: type, data: data, id: id } }));
    if (type === "reset") { refreshAll(); return; }
    if (TYPES.indexOf(type) === -1) { return; }
    var ticket = String(data.ticket_id);
    document.querySelectorAll("[data-live=ticket]").forEach(function (el) {
      if (el.getAttribute("data-ticket") === ticket) { refresh(el); }
    });
    document.querySelectorAll("[data-live=inbox]").forEach(refreshInbox);
    document.body.setAttribute("data-live-last", type + ":" + ticket);
  }
  function banner(show) {
    var box = document.getElementById("live-banner");
    if (box) { box.hidden = !show; }
  }
  function setState(value) {
    state = value;
    if (value === "open") {
      banner(false);
      document.body.setAttribute("data-live-state", "open");
      if (lost) { lost = false; refreshAll(); }
    } else {
      lost = true;
      banner(true);
      document.body.setAttribute("data-live-state", "lost");
    }
  }
  function post(message) {
    if (channel) { channel.postMessage(message); }
  }

  // --- the leader: holds the stream --------------------------------------------------------
  function lead(url) {
    leading = true;
    document.body.setAttribute("data-live-role", "leader");
    var delay = 1000;
    var source = null;
    function open() {
      var target = url;
      if (lastId !== null) {
        target += (url.indexOf("?") === -1 ? "?" : "&") + "last_event_id=" + lastId;
      }
      source = new EventSource(target, { withCredentials: true });
      source.onopen = function () {
        delay = 1000;
        setState("open");
        post({ kind: "state", state: "open", last: lastId });
      };
      source.onerror = function () {
        setState("lost");
        post({ kind: "state", state: "lost", last: lastId });
        if (source.readyState === EventSource.CLOSED) {
          // refused (e.g. a 503 while the server restarts): the browser gave up; try again
          // later, from the last event seen
          source = null;
          window.setTimeout(open, delay);
          delay = Math.min(delay * 2, 30000);
        }
      };
      RELAYED.forEach(function (type) {
        source.addEventListener(type, function (event) {
          onEvent(type, event.data, event.lastEventId);
          post({ kind: "event", type: type, data: event.data, id: event.lastEventId });
        });
      });
    }
    open();
    return new Promise(function () {});  // held until the tab closes or leaves the page
  }

  // --- the followers: hear the leader ------------------------------------------------------
  function listen(message) {
    var m = message.data || {};
    if (m.kind === "event") {
      onEvent(m.type, m.data, m.id);
    } else if (m.kind === "state") {
      seen(m.last);
      if (!leading) { setState(m.state); }
    } else if (m.kind === "hello" && leading && state) {
      post({ kind: "state", state: state, last: lastId });
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-refresh]") : null;
    if (!button) { return; }
    var target = document.getElementById(button.getAttribute("data-refresh"));
    var stale = document.getElementById("live-stale");
    if (stale) { stale.hidden = true; }
    if (target) { refresh(target); }
  });

  function start() {
    var live = document.getElementById("live");
    var url = live && live.getAttribute("data-live-source");
    if (!url) { return; }
    var key = "atende-stream:" + (live.getAttribute("data-live-key") || "");
    if (!(window.BroadcastChannel && navigator.locks && navigator.locks.request)) {
      lead(url);
      return;
    }
    channel = new BroadcastChannel(key);
    channel.onmessage = listen;
    document.body.setAttribute("data-live-role", "follower");
    navigator.locks.request(key, function () {
      // a tab that followed another one and saw no event id re-reads its live parts once its
      // stream is open: what happened between the two leaders stays visible
      if (state !== null && lastId === null) { lost = true; }
      return lead(url);
    });
    post({ kind: "hello" });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

// Canned replies in the composer: typing "/" at the start of a word lists the canned replies
// (fetched once per page from the textarea's data-canned URL, already filled in for the
// ticket) whose name matches what follows, accents and case ignored; arrows choose, Enter or
// Tab inserts the reply in place of "/words", Escape closes the list.
(function () {
  "use strict";
  var cache = {};
  function fold(value) {
    return value.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function token(box) {
    var before = box.value.slice(0, box.selectionStart);
    var match = /(^|\s)\/([^\s\/]*)$/.exec(before);
    if (!match) { return null; }
    return { start: before.length - match[2].length - 1, query: match[2] };
  }
  function list() { return document.getElementById("canned-list"); }
  function close(box) {
    var ul = list();
    if (ul) { ul.hidden = true; ul.textContent = ""; }
    box.removeAttribute("aria-activedescendant");
    box.atendeSeq = (box.atendeSeq || 0) + 1;  // a reply list still on its way is not shown
  }
  function choose(box, index) {
    var ul = list();
    var items = ul ? ul.querySelectorAll("[role=option]") : [];
    items.forEach(function (li, i) { li.setAttribute("aria-selected", i === index ? "true" : "false"); });
    if (items[index]) { box.setAttribute("aria-activedescendant", items[index].id); }
    box.atendeChoice = index;
  }
  function insert(box, reply) {
    var found = token(box);
    if (!found) { return; }
    var end = box.selectionStart;
    box.value = box.value.slice(0, found.start) + reply.body + box.value.slice(end);
    var caret = found.start + reply.body.length;
    box.setSelectionRange(caret, caret);
    close(box);
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }
  function show(box, replies) {
    var found = token(box);
    var ul = list();
    if (!found || !ul) { close(box); return; }
    var query = fold(found.query);
    var hits = replies.filter(function (r) { return fold(r.name).indexOf(query) !== -1; }).slice(0, 8);
    ul.textContent = "";
    if (!hits.length) { close(box); return; }
    hits.forEach(function (reply, i) {
      var li = document.createElement("li");
      li.id = "canned-" + reply.id;
      li.setAttribute("role", "option");
      li.setAttribute("data-name", reply.name);
      var name = document.createElement("strong");
      name.textContent = reply.name;
      var preview = document.createElement("span");
      preview.className = "muted small";
      preview.textContent = " " + reply.body.slice(0, 80);
      li.appendChild(name);
      li.appendChild(preview);
      li.addEventListener("mousedown", function (event) { event.preventDefault(); insert(box, reply); });
      ul.appendChild(li);
    });
    box.atendeHits = hits;
    ul.hidden = false;
    choose(box, 0);
  }
  function replies(box, then) {
    // one request per page, however fast the agent types; what answers late is shown only if
    // nothing was typed or closed since it was asked for
    var url = box.getAttribute("data-canned");
    if (!cache[url]) {
      cache[url] = fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .catch(function () { return []; });
    }
    var seq = box.atendeSeq = (box.atendeSeq || 0) + 1;
    cache[url].then(function (data) { if (seq === box.atendeSeq) { then(data); } });
  }
  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("textarea[data-canned]")) { return; }
    if (!token(box)) { close(box); return; }
    replies(box, function (data) { show(box, data); });
  });
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("textarea[data-canned]")) { return; }
    var ul = list();
    if (!ul || ul.hidden || !box.atendeHits) { return; }
    var count = box.atendeHits.length;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : count - 1;
      choose(box, ((box.atendeChoice || 0) + step) % count);
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      insert(box, box.atendeHits[box.atendeChoice || 0]);
    } else if (event.key === "Escape") {
      close(box);
    }
  });
})();

// Keyboard shortcuts, listed in the page's #shortcuts dialog ("?"): g i / g a / g b go to the
// tickets, the agenda, the board; j and k move through the inbox's rows, o opens the chosen one;
// s goes to the search box; r to the reply box. Never while typing in a field.
(function () {
  "use strict";
  var pendingG = false;
  var current = -1;
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr[data-ticket]")); }
  function mark(index) {
    var all = rows();
    if (!all.length) { return; }
    current = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row, i) {
      if (i === current) { row.setAttribute("aria-current", "true"); } else { row.removeAttribute("aria-current"); }
    });
    all[current].scrollIntoView({ block: "nearest" });
  }
  function go(path) { if (window.location.pathname !== path) { window.location.assign(path); } }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var dialog = document.getElementById("shortcuts");
    if (!dialog) { return; }
    var key = event.key;
    if (pendingG) {
      pendingG = false;
      if (key === "i") { go("/tickets"); } else if (key === "a") { go("/agenda"); } else if (key === "b") { go("/board"); }
      return;
    }
    if (key === "?") { event.preventDefault(); dialog.showModal(); return; }
    if (key === "g") { pendingG = true; window.setTimeout(function () { pendingG = false; }, 1500); return; }
    if (key === "j") { mark(current + 1); return; }
    if (key === "k") { mark(current - 1); return; }
    if (key === "o" && current >= 0) {
      var link = rows()[current] && rows()[current].querySelector("td.subject a");
      if (link) { link.click(); }
      return;
    }
    if (key === "s") {
      var search = document.getElementById("f-q");
      if (search) { event.preventDefault(); search.focus(); }
      return;
    }
    if (key === "r") {
      var reply = document.getElementById("reply-body");
      if (reply) { event.preventDefault(); reply.focus(); }
    }
  });
})();

// Files for the message being written: dropped on the composer or chosen with its button, each
// uploaded at once to the .dropzone's data-upload URL (public with a reply, internal with a
// note), then listed with a hidden attachment_ids field that the form sends with the message.
(function () {
  "use strict";
  function zoneOf(element) {
    var form = element.closest ? element.closest("form.reply") : null;
    return form ? form.querySelector(".dropzone[data-upload]") : null;
  }
  function add(zone, file) {
    var form = zone.closest("form");
    var token = form.querySelector("input[name=csrf_token]").value;
    var note = form.querySelector("input[name=visibility][value=note]");
    var isPublic = !(note && note.checked);
    var list = zone.querySelector(".uploads");
    var item = document.createElement("li");
    item.textContent = file.name + " …";
    list.appendChild(item);
    var body = new FormData();
    body.append("file", file, file.name);
    fetch(zone.getAttribute("data-upload") + "?public=" + (isPublic ? "true" : "false"), {
      method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRF-Token": token }
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      item.textContent = "";
      if (!result.ok) {
        item.setAttribute("role", "alert");
        item.className = "field-error";
        item.textContent = file.name + ": " + (result.data.detail || zone.getAttribute("data-msg-failed"));
        return;
      }
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "attachment_ids";
      hidden.value = String(result.data.id);
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "button-link small";
      remove.textContent = zone.getAttribute("data-msg-remove");
      remove.addEventListener("click", function () { item.remove(); });
      item.appendChild(hidden);
      item.appendChild(document.createTextNode(result.data.filename + " "));
      item.appendChild(remove);
    }).catch(function () {
      item.className = "field-error";
      item.textContent = file.name + ": " + zone.getAttribute("data-msg-failed");
    });
  }
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(".dropzone input[type=file]")) { return; }
    var zone = zoneOf(input);
    Array.prototype.forEach.call(input.files, function (file) { add(zone, file); });
    input.value = "";
  });
  document.addEventListener("dragover", function (event) {
    if (zoneOf(event.target)) { event.preventDefault(); }
  });
  document.addEventListener("drop", function (event) {
    var zone = zoneOf(event.target);
    if (!zone || !event.dataTransfer || !event.dataTransfer.files.length) { return; }
    event.preventDefault();
    Array.prototype.forEach.call(event.dataTransfer.files, function (file) { add(zone, file); });
  });
})();
