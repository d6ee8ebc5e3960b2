// A post's page: embeds load only when asked, a lightbox for images (keys, swipe, zoom to 100 % with
// pan and pinch), share link.
"use strict";

(() => {
  function loadEmbed(facade) {
    const frame = document.createElement("iframe");
    frame.src = facade.dataset.player; // built on the server from a whitelist, never user HTML
    frame.allow = facade.dataset.allow;
    frame.title = facade.dataset.title;
    frame.allowFullscreen = true;
    frame.referrerPolicy = "strict-origin-when-cross-origin";
    frame.className = "embed-frame";
    facade.replaceWith(frame);
  }

  // The largest file in a srcset: "100 %" means the picture's own pixels, not the screen-sized copy.
  function largestSource(image) {
    const candidates = (image.srcset || "").split(",").map((part) => part.trim().split(/\s+/));
    const best = candidates
      .filter(([url, width]) => url && /^\d+w$/.test(width || ""))
      .sort((a, b) => parseInt(b[1], 10) - parseInt(a[1], 10))[0];
    return best ? best[0] : image.currentSrc || image.src;
  }

  // Fit to the screen by default; a click, the "Actual size" button or a pinch zooms (up to 100 %
  // and beyond with a pinch), and a drag pans. Transforms are set through the CSSOM (CSP-safe).
  function zoomer(dialog, big, button) {
    // w, h: the full-size file's own pixels, read from a decoded copy (the element's natural size
    // is scaled by its srcset's density until it has re-read the file).
    const view = { scale: 1, x: 0, y: 0, w: 0, h: 0, zoomed: false };
    const MAX_SCALE = 4;
    const fitScale = () => Math.min(dialog.clientWidth / view.w, dialog.clientHeight / view.h, 1);
    const apply = () => {
      big.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.scale})`;
    };
    const zoomAround = (scale, cx, cy) => {
      const clamped = Math.min(Math.max(scale, fitScale()), MAX_SCALE);
      const px = (cx - view.x) / view.scale;
      const py = (cy - view.y) / view.scale;
      view.x = cx - px * clamped;
      view.y = cy - py * clamped;
      view.scale = clamped;
      apply();
    };
    const enter = (width, height) => {
      if (view.zoomed) return;
      view.w = width;
      view.h = height;
      const fit = fitScale();
      view.scale = fit;
      view.x = (dialog.clientWidth - width * fit) / 2;
      view.y = (dialog.clientHeight - height * fit) / 2;
      view.zoomed = true;
      big.style.width = `${width}px`;
      big.style.height = `${height}px`;
      dialog.classList.add("is-zoomed");
      button.setAttribute("aria-pressed", "true");
      button.textContent = "Fit to screen";
      apply();
    };
    const reset = () => {
      view.zoomed = false;
      big.style.transform = "";
      big.style.width = "";
      big.style.height = "";
      dialog.classList.remove("is-zoomed", "is-panning");
      button.setAttribute("aria-pressed", "false");
      button.textContent = "Actual size";
    };
    // Loads the largest file, then calls back with its size (at once when it is already shown).
    const withFullSize = (then) => {
      if (view.w && !big.hasAttribute("srcset")) return then(view.w, view.h);
      const full = largestSource(big);
      const probe = new Image();
      probe.src = full;
      probe.decode().then(() => {
        big.removeAttribute("srcset");
        big.removeAttribute("sizes");
        big.src = full;
        then(probe.naturalWidth, probe.naturalHeight);
      }, () => then(big.naturalWidth, big.naturalHeight));
    };
    const toggleAt = (cx, cy) => {
      if (view.zoomed) return reset();
      withFullSize((width, height) => {
        enter(width, height);
        // 100 %: one pixel of the file on one pixel of the screen.
        zoomAround(1 / (window.devicePixelRatio || 1), cx, cy);
      });
    };
    const startPinch = (then) => {
      if (view.zoomed) return then();
      withFullSize((width, height) => {
        enter(width, height);
        then();
      });
    };
    const forget = () => {
      view.w = 0;
      view.h = 0;
    };
    return { view, reset, toggleAt, startPinch, zoomAround, apply, forget };
  }

  function setUpLightbox() {
    const dialog = document.querySelector("dialog.lightbox");
    const images = [...document.querySelectorAll(".post-items img.zoomable")];
    if (!dialog || !images.length) return;
    const big = dialog.querySelector(".lightbox-image");
    const zoomButton = dialog.querySelector(".lightbox-zoom");
    const zoom = zoomer(dialog, big, zoomButton);
    let index = 0;
    const show = (next) => {
      zoom.reset();
      zoom.forget();
      index = (next + images.length) % images.length;
      const source = images[index];
      big.src = source.currentSrc || source.src;
      big.srcset = source.srcset;
      big.sizes = "100vw";
      big.alt = source.alt;
    };
    images.forEach((image, position) => {
      image.tabIndex = 0;
      image.setAttribute("role", "button");
      image.setAttribute("aria-label", `View image ${position + 1} of ${images.length} larger`);
      const open = () => {
        show(position);
        dialog.showModal();
      };
      image.addEventListener("click", open);
      image.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          open();
        }
      });
    });
    dialog.addEventListener("close", () => zoom.reset());
    dialog.querySelector(".lightbox-close").addEventListener("click", () => dialog.close());
    dialog.querySelector(".lightbox-prev").addEventListener("click", () => show(index - 1));
    dialog.querySelector(".lightbox-next").addEventListener("click", () => show(index + 1));
    zoomButton.addEventListener("click", () => zoom.toggleAt(dialog.clientWidth / 2, dialog.clientHeight / 2));
    dialog.addEventListener("keydown", (event) => {
      if (event.key === "ArrowLeft") show(index - 1);
      if (event.key === "ArrowRight") show(index + 1);
    });

    // Pointers: one drags (pans when zoomed, swipes to the next picture when not), two pinch.
    const pointers = new Map();
    let gesture = null;
    const spread = () => {
      const [a, b] = [...pointers.values()];
      return { distance: Math.hypot(a.x - b.x, a.y - b.y) || 1, x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
    };
    dialog.addEventListener("pointerdown", (event) => {
      if (event.target.closest("button")) return;
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (pointers.size === 2) {
        const pinch = { kind: "pinch", distance: spread().distance, scale: 0 };
        gesture = pinch;
        zoom.startPinch(() => {
          pinch.scale = zoom.view.scale;
        });
      } else if (pointers.size === 1) {
        gesture = { kind: "drag", startX: event.clientX, startY: event.clientY, lastX: event.clientX, lastY: event.clientY, moved: 0 };
        if (zoom.view.zoomed) dialog.classList.add("is-panning");
      }
    });
    dialog.addEventListener("pointermove", (event) => {
      if (!pointers.has(event.pointerId) || !gesture) return;
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (gesture.kind === "pinch" && pointers.size === 2 && gesture.scale) {
        const now = spread();
        zoom.zoomAround((gesture.scale * now.distance) / gesture.distance, now.x, now.y);
      } else if (gesture.kind === "drag") {
        const dx = event.clientX - gesture.lastX;
        const dy = event.clientY - gesture.lastY;
        gesture.moved += Math.abs(dx) + Math.abs(dy);
        gesture.lastX = event.clientX;
        gesture.lastY = event.clientY;
        if (zoom.view.zoomed) {
          zoom.view.x += dx;
          zoom.view.y += dy;
          zoom.apply();
        }
      }
    });
    const release = (event) => {
      if (!pointers.delete(event.pointerId) || !gesture) return;
      dialog.classList.remove("is-panning");
      if (gesture.kind === "drag" && pointers.size === 0) {
        const swiped = event.clientX - gesture.startX;
        if (!zoom.view.zoomed && Math.abs(swiped) > 50) show(index + (swiped < 0 ? 1 : -1));
        else if (gesture.moved < 6 && event.target === big) zoom.toggleAt(event.clientX, event.clientY);
      }
      if (pointers.size === 0) gesture = null;
    };
    dialog.addEventListener("pointerup", release);
    dialog.addEventListener("pointercancel", release);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".embed-facade .embed-load").forEach((button) => {
      button.addEventListener("click", () => loadEmbed(button.closest(".embed-facade")));
    });
    setUpLightbox();
    document.querySelectorAll("[data-share]").forEach((link) => {
      link.addEventListener("click", (event) => {
        if (!navigator.clipboard) return;
        event.preventDefault();
        navigator.clipboard.writeText(link.href).then(() => {
          link.textContent = "Link copied";
        });
      });
    });
  });
})();
