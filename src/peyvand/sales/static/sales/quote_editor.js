// The quote editor: add and remove lines, and fill a line from the product picked.
// The totals box re-renders itself through HTMX on every input (see quote_form.html).
(function () {
  var rows = document.getElementById("line-rows");
  var template = document.getElementById("line-template");
  if (!rows || !template) {
    return;
  }

  function changed() {
    document.body.dispatchEvent(new Event("lines-changed"));
  }

  document.getElementById("add-line").addEventListener("click", function () {
    rows.appendChild(template.content.cloneNode(true));
    var select = rows.lastElementChild.querySelector(".line-product");
    if (select) {
      select.focus();
    }
  });

  rows.addEventListener("click", function (event) {
    var button = event.target.closest(".line-remove");
    if (button) {
      button.closest("tr").remove();
      changed();
    }
  });

  // Picking a product fills what the line takes from it; the user may change each value.
  rows.addEventListener("change", function (event) {
    var select = event.target.closest(".line-product");
    if (!select) {
      return;
    }
    var option = select.selectedOptions[0];
    if (!option || !option.value) {
      return;
    }
    var row = select.closest("tr");
    row.querySelector(".line-description").value = option.dataset.name;
    row.querySelector(".line-unit").value = option.dataset.unit;
    row.querySelector(".line-price").value = option.dataset.price;
    row.querySelector(".line-tax").value = option.dataset.tax;
    changed();
  });

  if (!rows.querySelector("tr")) {
    rows.appendChild(template.content.cloneNode(true));
  }
})();
