// "Could I take part?" and the printable checklist on a trial's eligibility tab.
// Everything happens in the page: no request is made and nothing is stored.
(function () {
  "use strict";

  var panel = document.querySelector(".take-part");
  if (panel) {
    var form = panel.querySelector(".take-part-form");
    var age = panel.querySelector("#take-part-age");
    var unit = panel.querySelector("#take-part-age-unit");
    var sex = panel.querySelector("#take-part-sex");
    var condition = panel.querySelector("#take-part-condition");
    var results = panel.querySelector(".take-part-results");
    var data = panel.dataset;
    var sexLabels = { FEMALE: "female", MALE: "male" };
    // The same factors as the server's (trials/values.py), so "30 Days" compares equal to 30 days.
    var yearsPer = { years: 1, months: 1 / 12, weeks: 7 / 365.25, days: 1 / 365.25 };
    var unitNames = {
      years: ["year", "years"], months: ["month", "months"], weeks: ["week", "weeks"], days: ["day", "days"]
    };
    // Ages in months or days are rounded on the way to years: a hair's difference is no difference.
    var EPSILON = 1e-9;
    // The oldest age the search page's filter takes, too.
    var MAX_YEARS = 130;

    // A trial that no longer enrols says so first (the notice above the form); what it took is
    // then past: nobody is told they "meet" a trial they cannot join.
    var closed = panel.querySelector(".take-part-closed") !== null;
    var verdicts = closed
      ? { yes: "✓ You would have met this: ", no: "✗ You would not have met this: ", unknown: "? Not known: " }
      : { yes: "✓ You meet this: ", no: "✗ You do not meet this: ", unknown: "? Not known: " };
    // The registry writes "30 Days", "1 Year": in a sentence the unit is lower case, as the visitor's own.
    var ageText = function (text) { return text.toLowerCase(); };

    var line = function (verdict, text) {
      var item = document.createElement("li");
      item.className = "verdict-" + verdict;
      var label = document.createElement("strong");
      // The verdict is written out; the colour and mark only repeat it.
      label.textContent = verdicts[verdict];
      item.appendChild(label);
      item.appendChild(document.createTextNode(text));
      results.appendChild(item);
    };

    var update = function () {
      results.textContent = "";
      var given = age.value === "" ? NaN : Number(age.value);
      var years = given * yearsPer[unit.value];
      var min = data.minAge === "" ? null : Number(data.minAge);
      var max = data.maxAge === "" ? null : Number(data.maxAge);
      if (age.value !== "" && !(years >= 0 && years <= MAX_YEARS)) {
        // "-3", "1e9" or a typing slip: no verdict on an age nobody can be.
        line("unknown", "enter an age of 0 or more, up to " + MAX_YEARS + " years; \u201c" + age.value + "\u201d is not one.");
      } else if (!isNaN(years)) {
        var yours = given + " " + unitNames[unit.value][given === 1 ? 0 : 1];
        var minText = ageText(data.minAgeText), maxText = ageText(data.maxAgeText);
        if (min !== null && years < min - EPSILON) {
          line("no", "the youngest participants are " + minText + " old; you are " + yours + " old.");
        } else if (max !== null && years > max + EPSILON) {
          line("no", "the oldest participants are " + maxText + " old; you are " + yours + " old.");
        } else {
          var range = min !== null && max !== null ? minText + " to " + maxText
            : min !== null ? minText + " or older"
            : max !== null ? "up to " + maxText : "any age";
          line("yes", "age " + yours + " is within the trial's ages (" + range + ").");
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

    if (closed) {
      form.querySelector("p").textContent = "The trial no longer enrols, but you can see which of its basic limits "
        + "you would have met. What you enter stays on this page: nothing is sent or saved.";
    }
    form.hidden = false;
    panel.querySelector(".take-part-no-script").hidden = true;
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    [age, unit, sex, condition].forEach(function (control) {
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
