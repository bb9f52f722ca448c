// A trial's page: the "Copy link" button beside the link to the record.
// Without this script (or a clipboard) the link stays in its box, to select and copy by hand.
(function () {
  "use strict";
  document.querySelectorAll(".copy-link").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("aria-controls"));
    var said = document.getElementById(button.dataset.status);
    if (!field || !said || !navigator.clipboard) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(
        function () { said.textContent = "Link copied."; },
        function () { field.select(); said.textContent = "Press Ctrl+C (or ⌘+C) to copy the selected link."; }
      );
    });
  });
})();
