// Avatar and banner crops chosen in the browser with Cropper.js (mouse and touch).
// The crop is sent as four fractions of the image (x, y, width, height in 0..1); the server
// re-renders the public image from the private original with that rectangle.
"use strict";

(() => {
  const cropInput = (editor, part) =>
    editor.closest("form").querySelector(`input[name="${editor.dataset.kind}_crop_${part}"]`);

  function writeCrop(editor, image, detail) {
    const width = image.naturalWidth;
    const height = image.naturalHeight;
    if (!width || !height) return;
    const clamp = (v) => Math.min(1, Math.max(0, v));
    // Cropper's sub-pixel maths can put a box that touches the right or bottom edge a fraction
    // of a pixel past it; the server refuses a crop outside the image, so keep it inside.
    const x = clamp(detail.x / width);
    const y = clamp(detail.y / height);
    const floor6 = (v) => Math.floor(v * 1e6) / 1e6;
    cropInput(editor, "x").value = x.toFixed(6);
    cropInput(editor, "y").value = y.toFixed(6);
    cropInput(editor, "width").value = floor6(Math.min(clamp(detail.width / width), 1 - x)).toFixed(6);
    cropInput(editor, "height").value = floor6(Math.min(clamp(detail.height / height), 1 - y)).toFixed(6);
  }

  function clearCrop(editor) {
    for (const part of ["x", "y", "width", "height"]) cropInput(editor, part).value = "";
  }

  function startCropper(editor, url, initialCrop) {
    const stage = editor.querySelector(".crop-stage");
    const image = editor.querySelector(".crop-image");
    const hint = editor.querySelector(".crop-hint");
    if (editor.cropper) {
      editor.cropper.destroy();
      editor.cropper = null;
    }
    image.onerror = () => {
      stage.hidden = true;
      hint.hidden = false;
      hint.textContent = "Your browser can't preview this format. The centre will be used; you can adjust the crop after saving.";
      clearCrop(editor);
    };
    image.onload = () => {
      stage.hidden = false;
      hint.hidden = false;
      editor.cropper = new window.Cropper(image, {
        aspectRatio: Number(editor.dataset.aspect),
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
            editor.cropper.setData({
              x: x * image.naturalWidth,
              y: y * image.naturalHeight,
              width: w * image.naturalWidth,
              height: h * image.naturalHeight,
            });
          }
          writeCrop(editor, image, editor.cropper.getData(true));
        },
        crop(event) {
          writeCrop(editor, image, event.detail);
        },
      });
    };
    image.src = url;
  }

  function setUp(editor) {
    const fileInput = editor.querySelector('input[type="file"]');
    fileInput?.addEventListener("change", () => {
      const file = fileInput.files && fileInput.files[0];
      if (!file) return;
      if (editor.objectUrl) URL.revokeObjectURL(editor.objectUrl);
      editor.objectUrl = URL.createObjectURL(file);
      startCropper(editor, editor.objectUrl, null);
    });
    editor.querySelector(".crop-adjust")?.addEventListener("click", () => {
      const crop = (editor.dataset.crop || "").split(",").map(Number);
      startCropper(editor, editor.dataset.source, crop.length === 4 && crop.every(Number.isFinite) ? crop : null);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!window.Cropper) return; // without the library the form still works: the centre is used
    document.querySelectorAll(".image-editor").forEach(setUp);
  });
})();
