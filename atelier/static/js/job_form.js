// The job form shows only the fields that apply: the link or the email for the chosen way to apply,
// and no city for a remote job. Hidden fields keep their values; the server ignores what doesn't apply.
"use strict";

(() => {
  const RULES = [
    { field: "apply_url", when: (form) => value(form, "apply_method") === "url" },
    { field: "apply_email", when: (form) => value(form, "apply_method") === "email" },
    { field: "city", when: (form) => value(form, "location_mode") !== "remote" },
  ];

  function value(form, name) {
    const checked = form.querySelector(`[name="${name}"]:checked`);
    return checked ? checked.value : form.elements[name]?.value;
  }

  function apply(form) {
    for (const rule of RULES) {
      const input = form.elements[rule.field];
      const wrapper = input?.closest(".field");
      if (wrapper) wrapper.hidden = !rule.when(form) && !wrapper.classList.contains("has-error");
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.querySelector("form.job-form");
    if (!form) return;
    form.addEventListener("change", () => apply(form));
    apply(form);
  });
})();
