// Atende console, chat tickets (web/chat_console.py): the agent's typing and read marks go to
// the visitor; the visitor's typing shows in the chat card. Only on a live chat's page.
(function () {
  "use strict";
  var lastTyping = 0, readSent = 0, typingTimer = null;
  function card() { return document.querySelector("[data-chat-ticket][data-chat-ended=false]"); }
  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; }
    catch (e) { return ""; }
  }
  function post(path, form) {
    return fetch(path, {
      method: "POST", credentials: "same-origin", body: form || new FormData(),
      headers: { "X-CSRF-Token": csrf() }
    });
  }
  function markRead() {
    var c = card();
    if (!c || document.hidden) { return; }
    var last = 0;
    document.querySelectorAll("li.entry[id^=m]").forEach(function (li) {
      if (li.classList.contains("entry-note")) { return; }
      var id = Number(li.id.slice(1));
      if (id > last) { last = id; }
    });
    if (last <= readSent) { return; }
    readSent = last;
    var form = new FormData();
    form.append("message_id", String(last));
    post("/tickets/" + c.getAttribute("data-chat-ticket") + "/chat/read", form);
  }
  document.addEventListener("input", function (event) {
    var c = card();
    if (!c || !event.target || event.target.id !== "reply-body") { return; }
    var now = Date.now();
    if (now - lastTyping < 3000) { return; }
    lastTyping = now;
    post("/tickets/" + c.getAttribute("data-chat-ticket") + "/chat/typing");
  });
  document.addEventListener("DOMContentLoaded", markRead);
  document.addEventListener("htmx:afterSettle", markRead);
  document.addEventListener("visibilitychange", markRead);
  // the console's live stream (atende.js: one per browser, relayed to every tab)
  document.addEventListener("atende:live", function (event) {
    var detail = event.detail || {};
    if (detail.type !== "chat_typing") { return; }
    var c = card(), d = detail.data;
    if (!c || !d || !d.chat || d.chat.side !== "visitor") { return; }
    if (String(d.ticket_id) !== c.getAttribute("data-chat-ticket")) { return; }
    var box = document.getElementById("chat-visitor-typing");
    if (!box) { return; }
    box.hidden = false;
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(function () { box.hidden = true; }, 5000);
  });
})();
