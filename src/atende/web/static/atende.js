// Atende: shows a message when an HTMX request fails (the page itself stays as it was).
(function () {
  "use strict";
  function flash(text) {
    var box = document.getElementById("flash");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
    window.clearTimeout(flash.timer);
    flash.timer = window.setTimeout(function () { box.hidden = true; }, 6000);
  }
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 403) {
      flash("A requisição foi recusada. Recarregue a página e tente de novo.");
    } else if (status === 404) {
      flash("Não encontrado, ou você não tem acesso.");
    } else if (status === 409) {
      flash("Não foi possível: o chamado mudou ou a ação não é permitida agora.");
    } else {
      flash("Algo deu errado (" + status + "). Tente de novo.");
    }
  });
  document.addEventListener("htmx:sendError", function () {
    flash("Sem conexão com o servidor. Tente de novo.");
  });
})();
