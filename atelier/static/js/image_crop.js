// Crops chosen in the browser with Cropper.js (mouse and touch), shared by the profile editor
// (avatar, banner) and the post composer (thumbnail, cover). A crop is four fractions of the image
// (x, y, width, height in 0..1); the server re-renders public images from the private original.
"use strict";

(() => {
  const clamp = (v) => Math.min(1, Math.max(0, v));
  const floor6 = (v) => Math.floor(v * 1e6) / 1e6;

  // Cropper's sub-pixel maths can put a box touching the right or bottom edge a fraction of a
  // pixel past it; the server refuses a crop outside the image, so keep it inside.
  function fractions(image, detail) {
    const width = image.naturalWidth;
    const height = image.naturalHeight;
    if (!width || !height) return null;
    if (!(detail.width > 0 && detail.height > 0)) return undefined; // mid-layout: keep the last crop
    const x = clamp(detail.x / width);
    const y = clamp(detail.y / height);
    return {
      x: x.toFixed(6),
      y: y.toFixed(6),
      width: floor6(Math.min(clamp(detail.width / width), 1 - x)).toFixed(6),
      height: floor6(Math.min(clamp(detail.height / height), 1 - y)).toFixed(6),
    };
  }

  // Start (or restart) a cropper on `image` loaded from `url`. `onCrop(fractions|null)` gets every
  // change; null means the browser could not show this format (the server then uses the centre).
  // An image the server refused (a budget's 429, a stale check's 403) gets a note with a retry
  // (image_refusals.js) instead of an empty editor; one the browser can't decode gets onCrop(null).
  function start(holder, image, url, options) {
    const { aspect, initialCrop, onCrop: report, onShown } = options;
    const onCrop = (crop) => {
      if (crop !== undefined) report(crop);
    };
    if (holder.cropper) {
      holder.cropper.destroy();
      holder.cropper = null;
    }
    const refusals = window.AtelierImageRefusals;
    const anchor = image.closest(".crop-stage") || image;
    image.onerror = () => {
      if (!refusals || url.startsWith("blob:")) return onCrop(null);
      const again = refusals.withRetry(url, Date.now() % 100000);
      refusals.explain(image, url, {
        anchor,
        retry: () => start(holder, image, again, options),
        onGiveUp: () => onCrop(null),
      });
    };
    image.onload = () => {
      // Once per start(): a later load event (the same picture again) must not reset the crop.
      image.onload = null;
      refusals?.clear(anchor);
      onShown?.();
      holder.cropper = new window.Cropper(image, {
        aspectRatio: Number(aspect),
        viewMode: 1,
        autoCropArea: 1,
        checkOrientation: false, // the browser already shows the photo upright
        movable: false,
        rotatable: false,
        scalable: false,
        zoomable: false,
        ready() {
          if (initialCrop) {
            const [x, y, w, h] = initialCrop;
            holder.cropper.setData({
              x: x * image.naturalWidth,
              y: y * image.naturalHeight,
              width: w * image.naturalWidth,
              height: h * image.naturalHeight,
            });
          }
          onCrop(fractions(image, holder.cropper.getData(true)));
        },
        crop(event) {
          onCrop(fractions(image, event.detail));
        },
      });
    };
    image.src = url;
  }

  function parseCrop(text) {
    const crop = (text || "").split(",").map(Number);
    return crop.length === 4 && crop.every(Number.isFinite) ? crop : null;
  }

  window.AtelierCrop = { start, parseCrop };

  // --- the profile editor's avatar and banner

  const cropInput = (editor, part) =>
    editor.closest("form").querySelector(`input[name="${editor.dataset.kind}_crop_${part}"]`);

  function writeProfileCrop(editor, crop) {
    for (const part of ["x", "y", "width", "height"]) cropInput(editor, part).value = crop ? crop[part] : "";
  }

  function startProfileCropper(editor, url, initialCrop) {
    const stage = editor.querySelector(".crop-stage");
    const hint = editor.querySelector(".crop-hint");
    start(editor, editor.querySelector(".crop-image"), url, {
      aspect: editor.dataset.aspect,
      initialCrop,
      onShown() {
        stage.hidden = false;
        hint.hidden = false;
      },
      onCrop(crop) {
        if (crop === null) {
          stage.hidden = true;
          hint.hidden = false;
          hint.textContent =
            "Your browser can't preview this format. The centre will be used; you can adjust the crop after saving.";
        }
        writeProfileCrop(editor, crop);
      },
    });
  }

  function setUpProfileEditor(editor) {
    const fileInput = editor.querySelector('input[type="file"]');
    fileInput?.addEventListener("change", () => {
      const file = fileInput.files && fileInput.files[0];
      if (!file) return;
      if (editor.objectUrl) URL.revokeObjectURL(editor.objectUrl);
      editor.objectUrl = URL.createObjectURL(file);
      startProfileCropper(editor, editor.objectUrl, null);
    });
    editor.querySelector(".crop-adjust")?.addEventListener("click", () => {
      startProfileCropper(editor, editor.dataset.source, parseCrop(editor.dataset.crop));
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!window.Cropper) return; // without the library the form still works: the centre is used
    document.querySelectorAll(".image-editor").forEach(setUpProfileEditor);
  });
})();
