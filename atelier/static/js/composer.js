// The post composer: resumable uploads with progress, drag-to-reorder, thumbnail and cover crops.
// Every action also exists as a plain form, so this file only makes them nicer.
"use strict";

(() => {
  const composer = () => document.getElementById("composer");
  const mediaArea = () => document.getElementById("media-area");

  function csrfToken() {
    return document.querySelector('input[name="csrfmiddlewaretoken"]')?.value || "";
  }

  // POST form data and put the returned media list in place (the server answers htmx requests
  // with the fragment only).
  async function postForMediaList(url, data) {
    const response = await fetch(url, {
      method: "POST",
      body: data,
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
      credentials: "same-origin",
    });
    const html = await response.text();
    const area = mediaArea();
    area.innerHTML = html;
    window.htmx?.process(area);
    afterMediaListChange();
    return response.ok;
  }

  // --- uploads

  function progressRow(file) {
    const row = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.value = 0;
    bar.setAttribute("aria-label", `Uploading ${file.name}`);
    const status = document.createElement("span");
    status.className = "muted";
    row.append(label, bar, status);
    document.querySelector(".upload-progress").append(row);
    return { row, bar, status };
  }

  function uploadFile(form, file) {
    const { row, bar, status } = progressRow(file);
    const limit = Number(form.dataset.maxBytes);
    if (limit && file.size > limit) {
      status.textContent = `Too large: the limit is ${Math.round(limit / 1048576)} MB.`;
      row.classList.add("upload-failed");
      bar.remove();
      return Promise.resolve();
    }
    const attach = (data) =>
      postForMediaList(form.action, data).then((ok) => {
        if (ok) row.remove();
        else {
          status.textContent = document.querySelector("#media-area .form-error")?.textContent || "Refused.";
          row.classList.add("upload-failed");
        }
      });
    return new Promise((resolve) => {
      const fail = (message) => {
        status.textContent = message;
        row.classList.add("upload-failed");
        resolve();
      };
      if (window.AtelierUploads) {
        window.AtelierUploads.start(file, {
          onProgress(fraction) {
            bar.value = fraction;
            status.textContent = `${Math.round(fraction * 100)}%`;
          },
          onSuccess(uploadId) {
            status.textContent = "Checking the file…";
            const data = new FormData();
            data.append("upload_id", uploadId);
            attach(data).then(resolve);
          },
          onError: fail,
        });
        return;
      }
      // Without the resumable client: one request, with progress from XHR.
      const request = new XMLHttpRequest();
      const data = new FormData();
      data.append("file", file);
      request.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) bar.value = event.loaded / event.total;
      });
      request.addEventListener("load", () => {
        mediaArea().innerHTML = request.responseText;
        window.htmx?.process(mediaArea());
        afterMediaListChange();
        if (request.status < 400) row.remove();
        else fail(document.querySelector("#media-area .form-error")?.textContent || "Refused.");
        resolve();
      });
      request.addEventListener("error", () => fail("The connection dropped. Try again."));
      request.open("POST", form.action);
      request.setRequestHeader("X-CSRFToken", csrfToken());
      request.setRequestHeader("HX-Request", "true");
      request.send(data);
    });
  }

  function setUpUploads() {
    const form = document.querySelector(".upload-form");
    const input = form?.querySelector('input[type="file"]');
    input?.addEventListener("change", async () => {
      const files = [...input.files];
      input.value = "";
      // One after another keeps the order the person picked them in.
      for (const file of files) await uploadFile(form, file);
    });
    // The form is also a drop zone: files dragged from the desktop go through the same uploads.
    if (!form) return;
    form.addEventListener("dragover", (event) => {
      if (![...event.dataTransfer.types].includes("Files")) return;
      event.preventDefault();
      form.classList.add("is-over");
    });
    form.addEventListener("dragleave", (event) => {
      if (!form.contains(event.relatedTarget)) form.classList.remove("is-over");
    });
    form.addEventListener("drop", async (event) => {
      event.preventDefault();
      form.classList.remove("is-over");
      for (const file of [...event.dataTransfer.files]) await uploadFile(form, file);
    });
  }

  // --- reordering by drag (SortableJS: mouse and touch); the arrow buttons do the same without it

  function setUpSorting() {
    const list = document.querySelector(".media-list");
    if (!list || !window.Sortable || list.sortable) return;
    list.sortable = window.Sortable.create(list, {
      handle: ".drag-handle, .media-thumb",
      animation: 150,
      onEnd(event) {
        if (event.oldIndex === event.newIndex) return;
        const order = [...list.querySelectorAll(".media-item")].map((item) => item.dataset.item).join(",");
        const data = new FormData();
        data.append("order", order);
        postForMediaList(list.dataset.reorderUrl, data);
      },
    });
  }

  // --- thumbnail and cover crops

  function setUpCropEditor(form) {
    if (!window.Cropper || form.cropReady) return;
    form.cropReady = true;
    const select = form.querySelector(".crop-item-select");
    const image = form.querySelector(".crop-image");
    if (!select || !image) return;
    const write = (crop) => {
      for (const part of ["x", "y", "width", "height"]) {
        form.querySelector(`input[name="${part}"]`).value = crop ? crop[part] : "";
      }
    };
    const show = () => {
      const option = select.selectedOptions[0];
      window.AtelierCrop.start(form, image, option.dataset.source, {
        aspect: form.dataset.aspect,
        initialCrop: window.AtelierCrop.parseCrop(option.dataset.crop),
        onCrop: write,
      });
    };
    select.addEventListener("change", show);
    show();
  }

  function setUpCrops() {
    document.querySelectorAll(".crop-editor").forEach(setUpCropEditor);
  }

  // When items finish processing, the crop editors get new choices: reload them once. Only the
  // newest reload may land (an older, slower answer would bring back stale choices).
  let cropReload = null;
  function afterMediaListChange() {
    setUpSorting();
    const list = document.getElementById("media-list-wrap");
    const crops = document.getElementById("crop-area");
    if (!list || !crops || list.dataset.cropSignature === crops.dataset.cropSignature) return;
    cropReload?.abort();
    cropReload = new AbortController();
    const wanted = list.dataset.cropSignature;
    crops.dataset.cropSignature = wanted;
    fetch(crops.dataset.url, { headers: { "HX-Request": "true" }, credentials: "same-origin", signal: cropReload.signal })
      .then((response) => response.text())
      .then((html) => {
        crops.innerHTML = html;
        setUpCrops();
      })
      .catch((error) => {
        if (error.name !== "AbortError") crops.dataset.cropSignature = ""; // try again on the next change
      });
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!composer()) return;
    setUpUploads();
    setUpSorting();
    setUpCrops();
    document.body.addEventListener("htmx:afterSwap", (event) => {
      if (event.detail.target === mediaArea()) afterMediaListChange();
    });
  });
})();
