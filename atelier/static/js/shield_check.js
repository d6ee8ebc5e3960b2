// The browser check (atelier/protection/shield/passes.py): find a nonce such that
// SHA-256("<token>:<nonce>") starts with `bits` zero bits, then post it to earn the day's pass.
// js-sha256 (npm) hashes synchronously, ~10x faster per hash than crypto.subtle's promises.
(function () {
  "use strict";
  var form = document.getElementById("check-form");
  var status = document.getElementById("check-status");
  if (!form || typeof sha256 === "undefined") {
    return;
  }
  var token = form.dataset.token;
  var bits = parseInt(form.dataset.bits, 10);

  function leadingZeroBits(bytes) {
    var count = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) {
        count += 8;
        continue;
      }
      return count + Math.clz32(bytes[i]) - 24;
    }
    return count;
  }

  var nonce = 0;
  var started = performance.now();
  function work() {
    // Slices of 20,000 hashes keep the page responsive and let the status text update.
    var stop = nonce + 20000;
    for (; nonce < stop; nonce++) {
      if (leadingZeroBits(sha256.array(token + ":" + nonce)) >= bits) {
        form.elements.nonce.value = String(nonce);
        status.textContent = "Done in " + Math.round(performance.now() - started) + " ms. Opening the page…";
        form.submit();
        return;
      }
    }
    status.textContent = "Working on it… (" + nonce.toLocaleString() + " tries)";
    setTimeout(work, 0);
  }
  work();
})();
