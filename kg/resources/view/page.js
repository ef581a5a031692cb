
// kg view: mark what a link leads to (the evidence of a post, an entity's panel) so that it
// stays visible and screen readers announce it, and move focus there so Tab goes on from it.
(function () {
  "use strict";
  var current = null;
  function show() {
    if (current) {
      current.classList.remove("current");
      current.removeAttribute("aria-current");
      current = null;
    }
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id ? document.getElementById(id) : null;
    if (!target) {
      return;
    }
    target.classList.add("current");
    target.setAttribute("aria-current", "location");
    if (!target.hasAttribute("tabindex") && target.tabIndex < 0) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus({ preventScroll: true });
    current = target;
  }
  window.addEventListener("hashchange", show);
  show();
})();
