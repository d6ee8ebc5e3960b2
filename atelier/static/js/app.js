// Site-wide behaviour. Loaded as a file: the Content-Security-Policy forbids inline script.
"use strict";

document.addEventListener("click", (event) => {
  // Close an open account menu when the person clicks elsewhere.
  for (const menu of document.querySelectorAll("details.menu[open]")) {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  }
});

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  for (const menu of document.querySelectorAll("details.menu[open]")) {
    menu.removeAttribute("open");
    menu.querySelector("summary")?.focus();
  }
});

// Forms that destroy something ask first (data-confirm holds the question).
document.addEventListener("submit", (event) => {
  const question = event.target.dataset?.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

// Paint each picture's dominant colour behind it while it loads (set through the CSSOM: the
// Content-Security-Policy forbids style attributes in the markup).
function paintPlaceholders(root) {
  for (const image of root.querySelectorAll("img[data-colour]")) {
    if (/^#[0-9a-f]{6}$/i.test(image.dataset.colour)) image.style.backgroundColor = image.dataset.colour;
  }
}
document.addEventListener("DOMContentLoaded", () => paintPlaceholders(document));
document.addEventListener("htmx:afterSwap", (event) => paintPlaceholders(event.detail.target));

// Mature work in grids stays blurred until the visitor asks to see it.
document.addEventListener("click", (event) => {
  const card = event.target.closest(".post-card.is-mature:not(.revealed), .featured-post.is-mature:not(.revealed)");
  if (!card || event.target.closest(".card-menu")) return;  // the corner menu works without revealing
  event.preventDefault();
  card.classList.add("revealed");
});

// A slider shows its value in the <output> beside it (forms/field.html), as it moves.
function showRangeValues(root) {
  for (const output of root.querySelectorAll("output[data-range-output]")) {
    const input = document.getElementById(output.htmlFor.value);
    if (!input) continue;
    const show = () => { output.textContent = `${input.value}${input.dataset.unit || ""}`; };
    input.addEventListener("input", show);
    show();
  }
}
document.addEventListener("DOMContentLoaded", () => showRangeValues(document));

// A form that comes back with errors brings its error summary on screen: on a phone it can sit
// thousands of pixels below where the page reloads.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("main .form-errors[role=alert], main .form-error[role=alert], main .field.has-error");
  if (!summary) return;
  summary.setAttribute("tabindex", "-1");
  summary.scrollIntoView({ block: "center" });
  summary.focus({ preventScroll: true });
});

// The phone's tab bar shows the unread count the header's badge polls for (the header hides its
// bell on a phone; one poll serves both).
function mirrorNotificationCount() {
  const badge = document.getElementById("notification-badge");
  const tab = document.querySelector(".tab-bar-notifications");
  if (!badge || !tab) return;
  const count = badge.querySelector(".notification-count");
  const slot = tab.querySelector(".tab-bar-count");
  slot.textContent = count ? count.textContent : "";
  slot.hidden = !count;
  // The accessible name starts with the visible word ("Alerts, 3 unread").
  tab.querySelector(".tab-bar-unread").textContent = count ? `Alerts, ${count.textContent} unread` : "Alerts";
}
document.addEventListener("DOMContentLoaded", mirrorNotificationCount);
document.addEventListener("htmx:afterSettle", mirrorNotificationCount);

// Sections folded on a phone (data-open-wide) start open where the screen has room for them.
document.addEventListener("DOMContentLoaded", () => {
  if (!window.matchMedia("(min-width: 700px)").matches) return;
  for (const section of document.querySelectorAll("details[data-open-wide]")) section.open = true;
});
