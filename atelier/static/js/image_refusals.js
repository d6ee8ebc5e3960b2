// When an image of the composer or a crop editor fails to load, say why and offer a retry instead
// of leaving a broken picture or an empty editor. An <img> error carries no status, so the URL is
// asked once more with fetch() to learn it: 429 (a budget, with Retry-After), 403 (the browser
// check expired or the link is stale), anything else (the network). The shield's budgets count on
// the account and the pass, so this should be rare; when it happens the person knows what to do.
"use strict";

(() => {
  async function reason(url) {
    let response;
    try {
      response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    } catch {
      return { text: "This image didn't load: the connection dropped.", wait: 0 };
    }
    if (response.status === 429) {
      const wait = Math.min(120, Math.max(1, parseInt(response.headers.get("Retry-After") || "10", 10) || 10));
      return { text: `Too many images were asked for in a short time. Trying again in ${wait} s…`, wait };
    }
    if (response.status === 403) {
      return {
        text: "This image was refused: the browser check may have expired or the link is stale. Reload the page.",
        wait: 0,
        reload: true,
      };
    }
    if (response.ok) return null; // it loads now (or the browser can't show the format)
    return { text: `This image didn't load (error ${response.status}).`, wait: 0 };
  }

  function withRetry(url, attempt) {
    const next = new URL(url, window.location.href);
    next.searchParams.set("retry", String(attempt));
    return next.pathname + next.search;
  }

  // A note beside `anchor` with a Retry button (and a countdown retry for a 429). `retry()` must
  // load the image again; the note goes away when it does.
  function showNote(anchor, found, retry) {
    let note = anchor.refusalNote;
    if (!note?.isConnected) {
      note = document.createElement("p");
      note.className = "image-refusal";
      note.setAttribute("role", "alert");
      anchor.insertAdjacentElement("afterend", note);
      anchor.refusalNote = note;
    }
    const text = document.createElement("span");
    text.textContent = found.text + " ";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button button-small";
    button.textContent = found.reload ? "Reload the page" : "Retry";
    button.addEventListener("click", () => (found.reload ? window.location.reload() : retry()));
    note.replaceChildren(text, button);
    if (found.wait) window.setTimeout(() => note.isConnected && retry(), found.wait * 1000);
    return note;
  }

  // Watch one image: on error, learn why and show the note; on a later load, clear it.
  // `onGiveUp()` runs when the URL loads fine by fetch (so the format is what failed).
  // The note goes after `anchor` (default: the image itself).
  async function explain(image, url, { retry, onGiveUp, anchor } = {}) {
    const found = await reason(url);
    if (!found) {
      onGiveUp?.();
      return;
    }
    showNote(anchor || image, found, retry || (() => (image.src = withRetry(url, Date.now() % 100000))));
  }

  function clear(anchor) {
    anchor.refusalNote?.remove();
    anchor.refusalNote = null;
  }

  // The composer's own pictures: its thumbnails and the current thumbnail and cover.
  const WATCHED = ".media-thumb img, img.crop-current";
  // A thumbnail is a small square: its note goes under the item's title, beside it.
  const thumbAnchor = (image) => image.closest(".media-item")?.querySelector(".media-info strong") || image;

  // The composer's thumbnails: errors don't bubble, so listen in the capture phase.
  document.addEventListener(
    "error",
    (event) => {
      const image = event.target;
      if (!(image instanceof HTMLImageElement) || !image.matches(WATCHED)) return;
      const url = image.currentSrc || image.getAttribute("src");
      if (!url || image.dataset.explaining) return;
      image.dataset.explaining = "1";
      image.classList.add("is-refused"); // no broken-picture icon: the note says what happened
      image.removeAttribute("srcset"); // the retry asks for the one URL we probed
      explain(image, url, {
        anchor: thumbAnchor(image),
        onGiveUp: () => image.classList.remove("is-refused"),
        retry() {
          delete image.dataset.explaining;
          image.src = withRetry(url, Date.now() % 100000);
        },
      });
    },
    true,
  );
  document.addEventListener(
    "load",
    (event) => {
      if (event.target instanceof HTMLImageElement && event.target.matches(WATCHED)) {
        event.target.classList.remove("is-refused");
        clear(thumbAnchor(event.target));
      }
    },
    true,
  );

  window.AtelierImageRefusals = { explain, clear, withRetry };
})();
