// A post's page: embeds load only when asked, a lightbox for images (keys and swipe), share link.
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

  function setUpLightbox() {
    const dialog = document.querySelector("dialog.lightbox");
    const images = [...document.querySelectorAll(".post-items img.zoomable")];
    if (!dialog || !images.length) return;
    const big = dialog.querySelector(".lightbox-image");
    let index = 0;
    const show = (next) => {
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
    dialog.querySelector(".lightbox-close").addEventListener("click", () => dialog.close());
    dialog.querySelector(".lightbox-prev").addEventListener("click", () => show(index - 1));
    dialog.querySelector(".lightbox-next").addEventListener("click", () => show(index + 1));
    dialog.addEventListener("keydown", (event) => {
      if (event.key === "ArrowLeft") show(index - 1);
      if (event.key === "ArrowRight") show(index + 1);
    });
    let startX = null;
    dialog.addEventListener("pointerdown", (event) => {
      startX = event.clientX;
    });
    dialog.addEventListener("pointerup", (event) => {
      if (startX === null) return;
      const moved = event.clientX - startX;
      startX = null;
      if (Math.abs(moved) > 50) show(index + (moved < 0 ? 1 : -1));
    });
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
