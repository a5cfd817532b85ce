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
