// Jalali date pickers on every input marked data-jdp, including those HTMX swaps in.
document.addEventListener("DOMContentLoaded", function () {
  if (window.jalaliDatepicker) {
    jalaliDatepicker.startWatch({ time: false, persianDigits: document.body.dataset.lang === "fa" });
  }
});
