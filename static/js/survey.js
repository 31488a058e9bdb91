// Improvements only: the survey works without them.
document.addEventListener("DOMContentLoaded", () => {
  // After a failed submission, move focus to the error summary so screen readers announce
  // it; after saving a draft, to the note that says so.
  const summary = document.getElementById("error-summary") || document.getElementById("draft-saved");
  if (summary) summary.focus();

  // "Question 4 of 12": updated as the respondent moves through the questions, and
  // announced politely (the region is aria-live). Without JavaScript it says "12 questions".
  const progress = document.getElementById("survey-progress");
  const questions = [...document.querySelectorAll("[data-question]")];
  if (progress && questions.length) {
    const say = (index) => {
      progress.textContent = progress.dataset.pattern
        .replace("{n}", String(index + 1))
        .replace("{total}", progress.dataset.total);
    };
    let current = -1;
    document.addEventListener("focusin", (event) => {
      const index = questions.findIndex((question) => question.contains(event.target));
      if (index >= 0 && index !== current) {
        current = index;
        say(index);
      }
    });
  }

  // Anonymous personal links: answers so far are kept in this browser only (never on the
  // server), restored when the link is opened again, and cleared when they are sent.
  const form = document.querySelector("form[data-browser-draft]");
  if (form && window.localStorage) {
    const key = `perception-draft:${window.location.pathname}`;
    const note = document.getElementById("browser-draft-note");
    if (note) note.hidden = false;
    const fields = () => [...form.elements].filter((field) => field.name && field.name !== "csrfmiddlewaretoken");
    const save = () => {
      const values = {};
      fields().forEach((field) => {
        if ((field.type === "radio" || field.type === "checkbox") && !field.checked) return;
        if (field.type === "submit") return;
        (values[field.name] = values[field.name] || []).push(field.value);
      });
      try {
        localStorage.setItem(key, JSON.stringify(values));
      } catch (error) {
        // Storage full or refused: the form still works, only nothing is kept.
      }
    };
    let saved = null;
    try {
      saved = JSON.parse(localStorage.getItem(key) || "null");
    } catch (error) {
      saved = null;
    }
    // Restore only into an untouched form (a page sent back with errors keeps its own values).
    if (saved && !document.getElementById("error-summary")) {
      fields().forEach((field) => {
        const values = saved[field.name];
        if (!values) return;
        if (field.type === "radio" || field.type === "checkbox") field.checked = values.includes(field.value);
        else if (field.type !== "submit") field.value = values[0];
      });
    }
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", () => localStorage.removeItem(key));
  }

  // "Other — please say what": the box shows while "Other" is chosen (or holds words, so
  // nothing typed is ever hidden). Without JavaScript it is always there. Last, so a
  // draft restored above is taken into account.
  document.querySelectorAll("[data-other-for]").forEach((box) => {
    const option = document.getElementById(box.dataset.otherFor);
    const words = box.querySelector("input[type=text]");
    if (!option || !words) return;
    const show = () => {
      box.hidden = !option.checked && !words.value;
    };
    document.querySelectorAll(`input[name="${option.name}"]`).forEach((input) => {
      input.addEventListener("change", show);
    });
    show();
  });
});
