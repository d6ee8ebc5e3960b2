// Album owners drag posts into order (SortableJS: mouse and touch). The ↑/↓ buttons beside each
// post do the same without JavaScript; after a drag the page reloads so the grid shows the new order.
(function () {
  "use strict";

  function csrfToken(list) {
    return list.querySelector('input[name="csrfmiddlewaretoken"]')?.value || "";
  }

  function setUp() {
    const list = document.querySelector(".album-arrange[data-reorder-url]");
    if (!list || !window.Sortable || list.sortable) return;
    list.sortable = window.Sortable.create(list, {
      handle: ".drag-handle",
      animation: 150,
      // Pointer events rather than native drag-and-drop: the same path for mouse, pen and touch.
      forceFallback: true,
      async onEnd(event) {
        if (event.oldIndex === event.newIndex) return;
        const order = [...list.querySelectorAll("li[data-post]")].map((item) => item.dataset.post).join(",");
        const data = new FormData();
        data.append("order", order);
        const status = document.querySelector(".album-arrange-status");
        const response = await fetch(list.dataset.reorderUrl, {
          method: "POST",
          body: data,
          headers: { "X-CSRFToken": csrfToken(list) },
          credentials: "same-origin",
        });
        if (response.ok) {
          window.location.reload();
        } else if (status) {
          status.textContent = (await response.text()) || "The new order could not be saved.";
        }
      },
    });
  }

  document.addEventListener("DOMContentLoaded", setUp);
})();
