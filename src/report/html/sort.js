// Sorts a table by the column whose header is clicked (again: the other way). Numbers sort by
// value, other cells by text; a cell's data-sort attribute, when present, is what it sorts by.
"use strict";
(function () {
  function sortKey(row, column, numeric) {
    const cell = row.cells[column];
    const text = cell ? (cell.getAttribute("data-sort") ?? cell.textContent) : "";
    if (!numeric) return text.toLowerCase();
    const value = parseFloat(text);
    return Number.isNaN(value) ? -Infinity : value;
  }
  for (const table of document.querySelectorAll("table.sortable")) {
    const headers = Array.from(table.tHead.rows[0].cells);
    headers.forEach(function (header, column) {
      header.tabIndex = 0;
      header.title = "Sort by this column";
      const sort = function () {
        const numeric = header.getAttribute("data-type") === "number";
        const ascending = header.getAttribute("aria-sort") !== "ascending";
        for (const other of headers) other.removeAttribute("aria-sort");
        header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        rows.sort(function (a, b) {
          const x = sortKey(a, column, numeric);
          const y = sortKey(b, column, numeric);
          const order = x < y ? -1 : x > y ? 1 : 0;
          return ascending ? order : -order;
        });
        for (const row of rows) body.appendChild(row);
      };
      header.addEventListener("click", sort);
      header.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          sort();
        }
      });
    });
  }
  document.documentElement.setAttribute("data-script-ok", "");
})();
