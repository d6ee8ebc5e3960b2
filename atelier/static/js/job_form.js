// The job form shows only the fields that apply: the link or the email for the chosen way to apply,
// no city for a remote job, and the pay's currency and period once an amount is given. Hidden fields
// keep their values (a change of mind brings them back); the server drops what doesn't apply.
"use strict";

(() => {
  const RULES = [
    { field: "apply_url", when: (form) => value(form, "apply_method") === "url" },
    { field: "apply_email", when: (form) => value(form, "apply_method") === "email" },
    { field: "city", when: (form) => value(form, "location_mode") !== "remote" },
    { field: "salary_currency", when: (form) => paid(form) },
    { field: "salary_period", when: (form) => paid(form) },
  ];

  function paid(form) {
    return ["salary_min", "salary_max"].some((name) => (form.elements[name]?.value || "").trim() !== "");
  }

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
    form.addEventListener("input", () => apply(form));
    apply(form);
  });
})();
