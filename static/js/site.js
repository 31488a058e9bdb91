// Small improvements on top of pages that work without JavaScript.
// Navigation groups are <details>: opening one closes the others, and a click
// elsewhere or Escape closes them all.
document.addEventListener("DOMContentLoaded", () => {
  const groups = [...document.querySelectorAll(".nav-group details")];
  groups.forEach((group) =>
    group.addEventListener("toggle", () => {
      if (group.open) groups.filter((other) => other !== group).forEach((other) => (other.open = false));
    }),
  );
  document.addEventListener("click", (event) => {
    if (!event.target.closest(".nav-group")) groups.forEach((group) => (group.open = false));
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") groups.forEach((group) => (group.open = false));
  });
});

// The monthly email preview: grow its frame to the email's height (no inner scrolling).
document.querySelectorAll("iframe.email-frame").forEach((frame) => {
  const fit = () => {
    const body = frame.contentDocument && frame.contentDocument.documentElement;
    if (body) frame.style.height = `${body.scrollHeight + 4}px`;
  };
  frame.addEventListener("load", fit);
  fit();
});
