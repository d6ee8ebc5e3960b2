// Resumable uploads with a progress bar, over the tus protocol (server: atelier/uploads, at /uploads/).
// Load after the library, as files (the Content-Security-Policy forbids inline script):
//   <script src="{% static 'vendor/tus-js-client/tus.min.js' %}" defer></script>
//   <script src="{% static 'js/uploads.js' %}" defer></script>
// Then: const upload = window.AtelierUploads.start(file, {onProgress, onSuccess, onError}); upload.cancel();
"use strict";

(() => {
  const ENDPOINT = "/uploads/";
  // Matches the server's UPLOAD_MAX_CHUNK_BYTES: files up to 20 MB go in one request.
  const CHUNK_BYTES = 20 * 1024 * 1024;
  // After a dropped connection: retry at once, then back off; each retry first asks the server
  // (HEAD) how many bytes it kept, so only the missing part is sent again.
  const RETRY_DELAYS_MS = [0, 1000, 3000, 5000, 10000, 20000, 30000];

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) return meta.content;
    const cookie = document.cookie.split(";").map((part) => part.trim()).find((part) => part.startsWith("csrftoken="));
    return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : "";
  }

  // The server answers refusals with one plain-text sentence (413: too large, 429: too many, ...).
  function messageFor(error) {
    const response = error && error.originalResponse;
    if (!response) return "The upload stopped: the connection was lost. Check your connection and try again.";
    const status = response.getStatus();
    const type = response.getHeader("Content-Type") || "";
    const body = (response.getBody() || "").trim();
    if (type.startsWith("text/plain") && body && body.length <= 500) return body;
    if (status === 403) return "Your session has expired. Reload the page, sign in, and try again.";
    if (status >= 500) return "The server could not store the file. Try again in a few minutes.";
    return `The upload was refused (error ${status}).`;
  }

  function uploadIdFrom(url) {
    return new URL(url, window.location.href).pathname.split("/").filter(Boolean).pop();
  }

  function start(file, { onProgress, onSuccess, onError } = {}) {
    let cancelled = false;
    const upload = new window.tus.Upload(file, {
      endpoint: ENDPOINT,
      chunkSize: CHUNK_BYTES,
      retryDelays: RETRY_DELAYS_MS,
      metadata: { filename: file.name, filetype: file.type || "" },
      // The upload URL is kept in localStorage under the file's fingerprint (name, type, size,
      // modified time), so choosing the same file after a reload continues where it stopped.
      storeFingerprintForResuming: true,
      // A finished upload is used once; the same file chosen again later must be a new upload.
      removeFingerprintOnSuccess: true,
      onBeforeRequest(request) {
        // Read per request: signing in again rotates the token.
        request.setHeader("X-CSRFToken", csrfToken());
      },
      onProgress(sent, total) {
        if (onProgress) onProgress(total ? sent / total : 0);
      },
      onSuccess() {
        if (onSuccess) onSuccess(uploadIdFrom(upload.url));
      },
      onError(error) {
        if (onError) onError(messageFor(error));
      },
    });
    upload
      .findPreviousUploads()
      .then((previous) => {
        if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
      })
      .catch(() => {}) // no localStorage (private mode): just start afresh
      .finally(() => {
        if (!cancelled) upload.start();
      });
    return {
      // Stops sending and deletes what the server already has (tus termination).
      cancel: () => {
        cancelled = true;
        return upload.abort(true).catch(() => {});
      },
    };
  }

  window.AtelierUploads = { start };
})();
