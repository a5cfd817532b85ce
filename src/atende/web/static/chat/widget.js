// Atende chat loader: <script src="https://atende.example/chat/widget.js" data-widget="KEY" async>
// Adds a launcher button to the page; a click opens the chat in an iframe served by Atende
// (its own styles, scripts and cookies). No inline script or style: the host page's CSP may
// forbid them; the few styles are set through the CSSOM.
(function () {
  "use strict";
  var script = document.currentScript ||
    document.querySelector("script[data-widget][src*='/chat/widget.js']");
  if (!script || window.__atendeChat) { return; }
  window.__atendeChat = true;
  var key = script.getAttribute("data-widget");
  var base = new URL(script.src, document.baseURI).origin;
  var color = script.getAttribute("data-color") || "#1f6feb";
  var label = script.getAttribute("data-label") || "Fale conosco";
  function css(el, styles) {
    Object.keys(styles).forEach(function (k) { el.style.setProperty(k, styles[k]); });
  }
  var button = document.createElement("button");
  button.type = "button";
  button.id = "atende-chat-launcher";
  button.textContent = label;
  button.setAttribute("aria-expanded", "false");
  css(button, {
    position: "fixed", right: "20px", bottom: "20px", "z-index": "2147483000",
    background: color, color: "#fff", border: "0", "border-radius": "24px",
    padding: "12px 18px", font: "600 15px system-ui, sans-serif", cursor: "pointer",
    "box-shadow": "0 4px 12px rgba(0,0,0,.2)"
  });
  var frame = null;
  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.id = "atende-chat-frame";
      frame.title = label;
      frame.src = base + "/chat/w/" + encodeURIComponent(key);
      frame.setAttribute("allow", "clipboard-write");
      css(frame, {
        position: "fixed", right: "20px", bottom: "80px", width: "370px", height: "560px",
        "max-width": "calc(100vw - 40px)", "max-height": "calc(100vh - 100px)",
        border: "1px solid #dde1e7", "border-radius": "12px", background: "#fff",
        "z-index": "2147483000", "box-shadow": "0 8px 28px rgba(0,0,0,.25)"
      });
      document.body.appendChild(frame);
    } else {
      frame.hidden = !frame.hidden;
    }
    button.setAttribute("aria-expanded", String(!frame.hidden));
  }
  button.addEventListener("click", open);
  function mount() { document.body.appendChild(button); }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
})();
