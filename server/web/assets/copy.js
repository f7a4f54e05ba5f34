// Copy buttons for read-only fields (class "copy"): progressive
// enhancement only. Without JavaScript the fields are still there to
// select and copy by hand; with it, each gets a button next to it.
(function () {
  "use strict";
  function copy(input, button) {
    var done = function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = "Copy"; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {
        input.select();
      });
      return;
    }
    input.select();
    try {
      if (document.execCommand("copy")) {
        done();
      }
    } catch (e) {
      // The field stays selected: the person copies it by hand.
    }
  }
  document.querySelectorAll("input.copy[readonly]").forEach(function (input) {
    var label = document.querySelector('label[for="' + input.id + '"]');
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy " + (label ? label.textContent.trim() : "the value"));
    button.addEventListener("click", function () { copy(input, button); });
    input.insertAdjacentElement("afterend", button);
  });
})();
