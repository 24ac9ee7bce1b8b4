// A table too wide for a phone is shown one card a row, each value under its column's heading, instead of
// scrolling sideways past the column a clerk came for (the reason of a dunning line, a record's 档号). This script
// labels each cell with its column's heading (data-label) and marks the tables that do not fit their box
// (table.cards); site.css lays those out as cards on narrow screens only. A table with merged cells (rowspan) or
// one that fits is left as it is; without this script every table scrolls sideways. No inline script: the CSP
// forbids it.
(function () {
  "use strict";
  var tables = [];
  var all = document.querySelectorAll("table.grid");
  for (var t = 0; t < all.length; t++) {
    var table = all[t];
    var heads = table.querySelectorAll("thead th");
    if (heads.length < 3 || table.querySelector("[rowspan]") || table.classList.contains("outcomes")) { continue; }
    var labels = [];
    for (var h = 0; h < heads.length; h++) { labels.push(heads[h].textContent.trim()); }
    var rows = table.querySelectorAll("tbody tr");
    for (var r = 0; r < rows.length; r++) {
      var column = 0;
      for (var c = 0; c < rows[r].cells.length; c++) {
        var cell = rows[r].cells[c];
        if (cell.colSpan === 1 && labels[column] && !cell.hasAttribute("data-label")) {
          cell.setAttribute("data-label", labels[column]);
        }
        column += cell.colSpan;
      }
    }
    tables.push(table);
  }

  function fit() {
    for (var i = 0; i < tables.length; i++) {
      tables[i].classList.remove("cards");
      if (tables[i].scrollWidth > tables[i].clientWidth + 1) { tables[i].classList.add("cards"); }
    }
  }

  fit();
  window.addEventListener("resize", fit);   // run before the next paint: the page never shows the cut table
})();
