// Progressive enhancement only: every form works without JavaScript.
// Show the loss-reason fields only when "lost" is chosen.
(function () {
  "use strict";
  function isLost(select) {
    return select.value === "przegrana" || select.value === "lost";
  }
  function wire(form) {
    var trigger = form.querySelector(".js-loss-trigger select, select.js-loss-trigger-select");
    var targets = form.querySelectorAll(".js-loss");
    if (!trigger || !targets.length) { return; }
    function update() {
      targets.forEach(function (el) {
        var hasError = el.querySelector(".invalid-feedback");
        el.classList.toggle("is-hidden", !isLost(trigger) && !hasError);
      });
    }
    trigger.addEventListener("change", update);
    update();
  }
  document.querySelectorAll("form").forEach(wire);
})();
