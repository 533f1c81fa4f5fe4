// Client-side filtering of the findings table. It only reads data-* attributes and
// writes textContent and the hidden flag: no HTML is ever built from report data.
(function () {
  "use strict";
  var table = document.getElementById("findings");
  if (!table) {
    return;
  }
  var severityBoxes = document.querySelectorAll("input[name='severity']");
  var kindSelect = document.getElementById("kind");
  var searchBox = document.getElementById("search");
  var inactiveBox = document.getElementById("show-inactive");
  var shown = document.getElementById("shown");
  var rows = table.querySelectorAll("tbody tr.finding");

  function apply() {
    var severities = {};
    severityBoxes.forEach(function (box) { severities[box.value] = box.checked; });
    var kind = kindSelect.value;
    var query = searchBox.value.trim().toLowerCase();
    var showInactive = inactiveBox.checked;
    var count = 0;
    rows.forEach(function (row) {
      var visible = severities[row.dataset.severity] === true &&
        (kind === "" || row.dataset.kind === kind) &&
        (query === "" || row.dataset.search.indexOf(query) !== -1) &&
        (showInactive || row.dataset.status === "active");
      row.hidden = !visible;
      if (visible) {
        count += 1;
      }
    });
    shown.textContent = count + " of " + rows.length + " findings shown";
  }

  severityBoxes.forEach(function (box) { box.addEventListener("change", apply); });
  kindSelect.addEventListener("change", apply);
  searchBox.addEventListener("input", apply);
  inactiveBox.addEventListener("change", apply);
  document.querySelector("form.filters").addEventListener("submit", function (event) {
    event.preventDefault();
  });
  apply();
}());
