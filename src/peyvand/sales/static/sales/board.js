// The sales board: drag a card to another place or stage (SortableJS), and the move is
// posted through HTMX with the card's version and its new neighbours; the answer is the
// whole board again (fresh counts and totals, or a message when the move was refused).
(function () {
  "use strict";

  function neighbour(card, direction) {
    var node = card[direction];
    while (node && !node.classList.contains("deal-card")) {
      node = node[direction];
    }
    return node;
  }

  function onDrop(event) {
    var card = event.item;
    if (event.from === event.to && event.oldIndex === event.newIndex) {
      return;
    }
    var values = { from: "board", stage: event.to.dataset.stageId, version: card.dataset.version };
    var before = neighbour(card, "nextElementSibling");
    var after = neighbour(card, "previousElementSibling");
    if (before) {
      values.before = before.dataset.dealId;
    } else if (after) {
      values.after = after.dataset.dealId;
    }
    htmx.ajax("POST", card.dataset.moveUrl, { target: "#board", swap: "outerHTML", values: values });
  }

  function wire(root) {
    root.querySelectorAll(".board-cards").forEach(function (list) {
      if (list.dataset.sortable) {
        return;
      }
      list.dataset.sortable = "1";
      Sortable.create(list, {
        group: "deals",
        draggable: ".deal-card",
        // The card's own controls (links, the stage select, buttons) never start a drag.
        filter: "a, select, button, input, summary, form",
        preventOnFilter: false,
        animation: 150,
        forceFallback: true,
        fallbackTolerance: 4,
        onEnd: onDrop,
      });
    });
  }

  // After an action the board comes back with the acted-on card named: keyboard users
  // keep their place.
  function refocus(board) {
    var id = board.dataset.focus;
    var card = id && document.getElementById("deal-" + id);
    if (card) {
      card.focus();
    }
  }

  function start(root) {
    var board = root.id === "board" ? root : root.querySelector("#board");
    if (!board) {
      return;
    }
    if (window.Sortable && board.dataset.editable === "1") {
      wire(board); // readers get no drag: they may not move deals
    }
    refocus(board);
  }

  document.addEventListener("DOMContentLoaded", function () {
    start(document.body);
  });
  document.addEventListener("htmx:load", function (event) {
    start(event.detail.elt);
  });
})();
