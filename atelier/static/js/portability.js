// Import preview: send the unticked works as one list, so a thousand ticked boxes are not a
// thousand form fields (the server also understands the plain form when this script is absent).
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.id !== "import-start-form") return;
  const boxes = form.querySelectorAll("input[name=work]");
  const unticked = [...boxes].filter((box) => !box.checked).map((box) => box.value);
  const field = document.createElement("input");
  field.type = "hidden";
  field.name = "unticked";
  field.value = unticked.join(",");
  form.append(field);
  boxes.forEach((box) => { box.disabled = true; });
});
