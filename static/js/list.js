// The search page on a phone: the filters come first, as they do for the keyboard,
// but start folded so the results are in sight; one tap on "Filters" opens them.
// Without this script they are simply open.
(function () {
  "use strict";
  var filters = document.querySelector("details.filters");
  if (filters && window.matchMedia("(max-width: 48rem)").matches) {
    filters.open = false;
  }
})();
