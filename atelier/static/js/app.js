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
