// The survey builder: small improvements on pages that work without JavaScript.

// Copy the open link: the button appears only where the clipboard can be used; without
// it the link stays in a read-only field to select and copy by hand.
document.querySelectorAll("button.copy-link").forEach((button) => {
  const field = document.getElementById(button.dataset.copyTarget);
  const status = document.getElementById("copy-status");
  if (!field || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(field.value);
      if (status) status.textContent = "Link copied.";
    } catch {
      field.select();
      if (status) status.textContent = "Select the link and copy it (Ctrl+C).";
    }
  });
});

// The question form: show only the fields of the chosen kind (all show without JS).
const kind = document.getElementById("id_kind");
if (kind) {
  const groups = [...document.querySelectorAll("[data-kinds]")];
  const dimension = document.getElementById("id_dimension");
  const newDimension = document.getElementById("div_id_new_dimension");
  const update = () => {
    groups.forEach((group) => (group.hidden = !group.dataset.kinds.split(" ").includes(kind.value)));
    if (dimension && newDimension) newDimension.hidden = dimension.value !== "__new__";
  };
  kind.addEventListener("change", update);
  if (dimension) dimension.addEventListener("change", update);
  update();
}
