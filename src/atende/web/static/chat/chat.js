// Atende chat: the page inside the widget's iframe (web/chat.py). Vanilla JS, no build step.
// The visitor is remembered by a random token in localStorage, traded for a signed session
// sent in the X-Chat-Session header. Messages go out as POSTs with a client id (a retry never
// duplicates); news come by Server-Sent Events (EventSource reconnects with Last-Event-ID and
// the server replays what was missed from the database).
(function () {
  "use strict";
  var body = document.body;
  var key = body.getAttribute("data-key");
  var base = "/chat/w/" + encodeURIComponent(key);
  var root = document.documentElement;
  root.style.setProperty("--accent", body.getAttribute("data-color"));
  root.style.setProperty("--accent-text", body.getAttribute("data-text-color"));
  var isOpen = body.getAttribute("data-open") === "true";
  var $ = function (id) { return document.getElementById(id); };
  var log = $("chat-log"), prechat = $("chat-prechat"), compose = $("chat-compose");
  var text = $("chat-text"), typingBox = $("chat-typing"), banner = $("chat-reconnecting");
  var session = null, lastId = 0, source = null, seen = {}, state = null, lastTyping = 0;
  var agentRead = 0, typingTimer = null;
  function msg(name) { return body.getAttribute("data-msg-" + name) || name; }

  function randomId(bytes) {
    var a = new Uint8Array(bytes);
    window.crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function token() {
    var name = "atende-chat-" + key, found = null;
    try { found = window.localStorage.getItem(name); } catch (e) { found = null; }
    if (!found) {
      found = randomId(24);
      try { window.localStorage.setItem(name, found); } catch (e) { /* private mode */ }
    }
    return found;
  }
  function api(method, path, data) {
    var headers = { "Content-Type": "application/json", "Accept": "application/json" };
    if (session) { headers["X-Chat-Session"] = session; }
    return fetch(base + path, {
      method: method, headers: headers, credentials: "same-origin",
      body: data === undefined ? undefined : JSON.stringify(data)
    }).then(function (r) {
      if (r.status === 204) { return null; }
      return r.json().then(function (j) {
        if (!r.ok) { var err = new Error(j.detail || r.status); err.status = r.status; throw err; }
        return j;
      });
    });
  }

  function bubble(m) {
    var li = document.createElement("li");
    li.className = m.from;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = m.from === "visitor" ? msg("you") : (m.from === "agent" ? msg("agent") : msg("bot"));
    var p = document.createElement("span");
    p.className = "text";
    p.textContent = m.body;
    li.appendChild(who);
    li.appendChild(p);
    (m.attachment_ids || []).forEach(function (id) {
      var a = document.createElement("a");
      a.className = "file";
      a.href = base + "/attachments/" + id + "?s=" + encodeURIComponent(session);
      a.textContent = "📎 " + msg("file") + " " + id;
      li.appendChild(a);
    });
    return li;
  }
  function show(m) {
    if (seen["m" + m.id]) { return; }
    seen["m" + m.id] = true;
    lastId = Math.max(lastId, m.id);
    var pending = m.client_id ? log.querySelector("li[data-client='" + m.client_id + "']") : null;
    var li = bubble(m);
    li.setAttribute("data-id", String(m.id));
    if (pending) { log.replaceChild(li, pending); } else { log.appendChild(li); }
    log.scrollTop = log.scrollHeight;
    markRead();
  }
  function showReadMarks() {
    log.querySelectorAll("li.visitor").forEach(function (li) {
      var id = Number(li.getAttribute("data-id") || 0);
      if (id && id <= agentRead && !li.querySelector(".read")) {
        var r = document.createElement("span");
        r.className = "read";
        r.textContent = msg("read");
        li.appendChild(r);
      }
    });
  }
  var readSent = 0;
  function markRead() {
    if (document.hidden || lastId <= readSent || !session) { return; }
    readSent = lastId;
    api("POST", "/read", { message_id: lastId }).catch(function () { readSent = 0; });
  }
  document.addEventListener("visibilitychange", markRead);

  function setState(s) {
    state = s;
    var ended = s && s.state === "ended";
    prechat.hidden = !!s && !ended ? true : prechat.hidden;
    log.hidden = !s;
    compose.hidden = !s || ended;
    $("chat-end").hidden = !s || ended;
    $("chat-done").hidden = !ended;
    body.setAttribute("data-chat-state", s ? s.state : "none");
    if (s && s.agent_read_message_id) { agentRead = s.agent_read_message_id; showReadMarks(); }
    if (ended && !log.querySelector("li.ended")) {
      var li = document.createElement("li");
      li.className = "bot ended";
      li.textContent = msg("ended");
      log.appendChild(li);
    }
  }
  function load() {
    return api("GET", "/messages?after=" + lastId).then(function (data) {
      if (data.chat) { setState(data.chat); }
      data.messages.forEach(show);
      return data.position;
    });
  }
  function follow(position) {
    if (source) { source.close(); }
    var url = base + "/stream?s=" + encodeURIComponent(session) + "&after=" + position;
    source = new EventSource(url);
    var lost = false;
    source.onopen = function () {
      banner.hidden = true;
      body.setAttribute("data-live-state", "open");
      if (lost) { lost = false; load(); }
    };
    source.onerror = function () {
      lost = true;
      banner.hidden = false;
      body.setAttribute("data-live-state", "lost");
    };
    ["message_received", "message_sent", "message_added"].forEach(function (t) {
      source.addEventListener(t, function () { load(); });
    });
    source.addEventListener("chat_typing", function (e) {
      var d = JSON.parse(e.data);
      if (!d.chat || d.chat.side !== "agent") { return; }
      typingBox.hidden = false;
      window.clearTimeout(typingTimer);
      typingTimer = window.setTimeout(function () { typingBox.hidden = true; }, 5000);
    });
    source.addEventListener("chat_read", function (e) {
      var d = JSON.parse(e.data);
      if (d.chat && d.chat.side === "agent") { agentRead = d.chat.message_id; showReadMarks(); }
    });
    source.addEventListener("chat_state", function (e) {
      var d = JSON.parse(e.data);
      if (d.chat) { setState({ state: d.chat.state, agent_read_message_id: agentRead }); }
      if (d.chat && d.chat.state === "ended") { source.close(); }
    });
  }
  function begin() {
    return load().then(follow);
  }

  function send(bodyText, clientId, attempt, files) {
    var payload = { client_id: clientId, body: bodyText, attachment_ids: files || [] };
    return api("POST", "/messages", payload).then(show, function (err) {
      if (err.status && err.status < 500 && err.status !== 429) { throw err; }
      var pending = log.querySelector("li[data-client='" + clientId + "']");
      if (pending) { pending.querySelector(".who").textContent = msg("failed"); }
      var wait = Math.min(10000, 500 * Math.pow(2, attempt));
      return new Promise(function (resolve) { window.setTimeout(resolve, wait); })
        .then(function () { return send(bodyText, clientId, attempt + 1, files); });
    });
  }
  compose.addEventListener("submit", function (e) {
    e.preventDefault();
    var value = text.value.trim();
    if (!value) { return; }
    text.value = "";
    var clientId = randomId(12);
    var li = bubble({ from: "visitor", body: value });
    li.classList.add("pending");
    li.setAttribute("data-client", clientId);
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    send(value, clientId, 0).catch(function (err) {
      li.querySelector(".who").textContent = String(err.message);
    });
  });
  text.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); compose.requestSubmit(); }
  });
  text.addEventListener("input", function () {
    var now = Date.now();
    if (now - lastTyping < 3000) { return; }
    lastTyping = now;
    api("POST", "/typing").catch(function () { /* a lost typing signal is harmless */ });
  });
  $("chat-file").addEventListener("change", function () {
    var input = $("chat-file");
    if (!input.files || !input.files[0]) { return; }
    var file = input.files[0], form = new FormData();
    form.append("file", file);
    fetch(base + "/attachments", {
      method: "POST", body: form, credentials: "same-origin",
      headers: { "X-Chat-Session": session }
    }).then(function (r) { return r.json().then(function (j) { if (!r.ok) { throw new Error(j.detail); } return j; }); })
      .then(function (up) { return send(file.name, randomId(12), 0, [up.id]); })
      .catch(function (err) { window.alert(String(err.message)); })
      .then(function () { input.value = ""; });
  });
  $("chat-end").addEventListener("click", function () {
    api("POST", "/end", { send_transcript: true }).then(function (d) { setState(d.chat); });
  });
  $("chat-again").addEventListener("click", function () {
    log.innerHTML = "";
    seen = {};
    $("chat-done").hidden = true;
    log.hidden = true;
    prechat.hidden = false;
  });
  prechat.addEventListener("submit", function (e) {
    e.preventDefault();
    var f = new FormData(prechat), error = prechat.querySelector(".chat-error");
    var data = { name: String(f.get("name") || ""), email: String(f.get("email") || ""),
      phone: String(f.get("phone") || "") };
    if (!data.email && !data.phone) { error.textContent = msg("contact-needed"); error.hidden = false; return; }
    var done;
    if (isOpen) {
      done = api("POST", "/chat", data).then(function (d) {
        prechat.hidden = true;
        setState(d.chat);
        return begin();
      });
    } else {
      data.body = String(f.get("body") || "");
      done = api("POST", "/leave-message", data).then(function () {
        prechat.hidden = true;
        var p = document.createElement("p");
        p.className = "chat-done";
        p.textContent = msg("left");
        body.appendChild(p);
      });
    }
    done.catch(function (err) { error.textContent = String(err.message); error.hidden = false; });
  });

  api("POST", "/session", { token: token() }).then(function (d) {
    session = d.session;
    if (d.chat) {
      setState(d.chat);
      begin();
    } else {
      prechat.hidden = false;
    }
    body.setAttribute("data-ready", "true");
  });
})();
