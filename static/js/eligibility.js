// "Could I take part?" and the printable checklist on a trial's eligibility tab.
// Everything happens in the page: no request is made and nothing is stored.
(function () {
  "use strict";

  var panel = document.querySelector(".take-part");
  if (panel) {
    var form = panel.querySelector(".take-part-form");
    var age = panel.querySelector("#take-part-age");
    var sex = panel.querySelector("#take-part-sex");
    var condition = panel.querySelector("#take-part-condition");
    var results = panel.querySelector(".take-part-results");
    var data = panel.dataset;
    var sexLabels = { FEMALE: "female", MALE: "male" };

    var line = function (verdict, text) {
      var item = document.createElement("li");
      item.className = "verdict-" + verdict;
      var label = document.createElement("strong");
      // The verdict is written out; the colour and mark only repeat it.
      label.textContent = { yes: "✓ You meet this: ", no: "✗ You do not meet this: ", unknown: "? Not known: " }[verdict];
      item.appendChild(label);
      item.appendChild(document.createTextNode(text));
      results.appendChild(item);
    };

    var update = function () {
      results.textContent = "";
      var years = age.value === "" ? NaN : Number(age.value);
      var min = data.minAge === "" ? null : Number(data.minAge);
      var max = data.maxAge === "" ? null : Number(data.maxAge);
      if (!isNaN(years)) {
        if (min !== null && years < min) {
          line("no", "the youngest participants are " + data.minAgeText + "; you are " + years + ".");
        } else if (max !== null && years > max) {
          line("no", "the oldest participants are " + data.maxAgeText + "; you are " + years + ".");
        } else {
          var range = min !== null && max !== null ? data.minAgeText + " to " + data.maxAgeText
            : min !== null ? data.minAgeText + " and older"
            : max !== null ? "up to " + data.maxAgeText : "any age";
          line("yes", "age " + years + " is within " + range + ".");
        }
      }
      if (sex.value) {
        if (!data.sex || data.sex === "ALL") {
          line("yes", "the trial takes participants of all sexes.");
        } else if (data.sex === sex.value) {
          line("yes", "the trial takes " + sexLabels[data.sex] + " participants only.");
        } else {
          line("no", "the trial takes " + sexLabels[data.sex] + " participants only.");
        }
      }
      if (condition.value === "no") {
        if (data.healthyVolunteers === "yes") {
          line("yes", "the trial accepts healthy volunteers (people without the condition).");
        } else if (data.healthyVolunteers === "no") {
          line("no", "the trial does not accept healthy volunteers: participants have the condition studied.");
        } else {
          line("unknown", "the record does not say whether healthy volunteers can take part.");
        }
      }
    };

    form.hidden = false;
    panel.querySelector(".take-part-no-script").hidden = true;
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    [age, sex, condition].forEach(function (control) {
      control.addEventListener("input", update);
      control.addEventListener("change", update);
    });
    update();
  }

  document.querySelectorAll(".print-button").forEach(function (printButton) {
    printButton.hidden = false;
    printButton.addEventListener("click", function () { window.print(); });
  });
})();
