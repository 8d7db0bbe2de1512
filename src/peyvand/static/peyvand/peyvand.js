// Jalali date pickers on every input marked data-jdp, including those HTMX swaps in.
document.addEventListener("DOMContentLoaded", function () {
  if (window.jalaliDatepicker) {
    jalaliDatepicker.startWatch({ time: true, hasSecond: false, persianDigits: document.body.dataset.lang === "fa" });
  }
});

window.peyvand = {
  // Repeatable form rows (phones, e-mails, addresses…): append a copy of the blank row
  // kept in a <template>, and let HTMX wire its attributes (the province → city select).
  addRow: function (list, template) {
    list.appendChild(template.content.cloneNode(true));
    var row = list.lastElementChild;
    if (window.htmx && row) {
      htmx.process(row);
    }
    var first = row && row.querySelector("input, select");
    if (first) {
      first.focus();
    }
  },
};
