// Passkeys (WebAuthn): signing in with one (the login page and the second step) and adding one
// (Settings → Security). The server sends options as JSON with base64url fields (WebAuthn Level 3
// JSON shape); they are turned into ArrayBuffers for navigator.credentials, and the credential is
// sent back the same way. Loaded as a file: the site's CSP allows no inline script.
"use strict";

(() => {
  function base64urlToBuffer(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    const binary = atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function bufferToBase64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    for (let i = 0; i < bytes.length; i += 1) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrfToken(scope) {
    const input = scope.querySelector('input[name="csrfmiddlewaretoken"]') ||
      document.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  async function postJson(url, body, scope) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(scope) },
      body: body === undefined ? "{}" : JSON.stringify(body),
    });
    let data = {};
    try {
      data = await response.json();
    } catch (_error) {
      data = {};
    }
    if (!response.ok) throw new Error(data.error || `The server answered ${response.status}.`);
    return data;
  }

  function descriptors(list) {
    return (list || []).map((item) => ({ ...item, id: base64urlToBuffer(item.id) }));
  }

  function creationOptions(json) {
    return {
      ...json,
      challenge: base64urlToBuffer(json.challenge),
      user: { ...json.user, id: base64urlToBuffer(json.user.id) },
      excludeCredentials: descriptors(json.excludeCredentials),
    };
  }

  function requestOptions(json) {
    return { ...json, challenge: base64urlToBuffer(json.challenge), allowCredentials: descriptors(json.allowCredentials) };
  }

  function credentialJson(credential) {
    const response = credential.response;
    const out = {
      id: credential.id,
      rawId: bufferToBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: { clientDataJSON: bufferToBase64url(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      out.response.attestationObject = bufferToBase64url(response.attestationObject);
      out.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      out.response.authenticatorData = bufferToBase64url(response.authenticatorData);
      out.response.signature = bufferToBase64url(response.signature);
      out.response.userHandle = response.userHandle ? bufferToBase64url(response.userHandle) : null;
    }
    return out;
  }

  function showStatus(scope, message) {
    const status = scope.querySelector("[data-passkey-status]");
    if (!status) return;
    status.textContent = message;
    status.hidden = !message;
  }

  function explain(error) {
    if (error && error.name === "NotAllowedError") return "The passkey request was cancelled or timed out.";
    if (error && error.name === "InvalidStateError") return "This device already holds a passkey for your account.";
    if (error && error.name === "SecurityError") return "Passkeys need the site's name (such as localhost), not an IP address, and HTTPS elsewhere.";
    return (error && error.message) || "The passkey did not work. Try again.";
  }

  function supported(scope) {
    if (window.PublicKeyCredential && navigator.credentials) return true;
    showStatus(scope, "This browser does not support passkeys.");
    return false;
  }

  for (const button of document.querySelectorAll("[data-passkey-signin]")) {
    const scope = button.parentElement;
    button.addEventListener("click", async () => {
      if (!supported(scope)) return;
      button.disabled = true;
      showStatus(scope, "");
      try {
        const options = await postJson(button.dataset.optionsUrl, undefined, scope);
        const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
        const result = await postJson(button.dataset.verifyUrl, credentialJson(credential), scope);
        window.location.assign(result.redirect);
      } catch (error) {
        showStatus(scope, explain(error));
        button.disabled = false;
      }
    });
  }

  for (const form of document.querySelectorAll("form[data-passkey-register]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!supported(form)) return;
      const submit = form.querySelector('[type="submit"]');
      submit.disabled = true;
      showStatus(form, "");
      try {
        const options = await postJson(form.dataset.optionsUrl, undefined, form);
        const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
        const name = form.querySelector('[name="name"]').value;
        const result = await postJson(form.dataset.verifyUrl, { name, credential: credentialJson(credential) }, form);
        window.location.assign(result.redirect);
      } catch (error) {
        showStatus(form, explain(error));
        submit.disabled = false;
      }
    });
  }
})();
