// Comments: htmx leaves error responses unswapped by default; regions marked data-swap-errors show
// the server's answer to a refused comment (400: too long or empty, 429: too fast) in place.
"use strict";

document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if ((status === 400 || status === 429) && event.detail.target?.closest?.("[data-swap-errors]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
