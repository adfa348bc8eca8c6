// The answer form on the tenant pages: a character counter, one send per press, and a note to
// the touchpoint's funnel that someone started answering. The form works without this file.
// A question that takes recordings loads answer-record.js too (the recorder, the upload).
const form = document.querySelector("form.tenant-answer");

function counter(textarea) {
  const output = document.getElementById(textarea.dataset.counter);
  if (!output) return;
  const max = Number(textarea.maxLength);
  const template = output.textContent;
  output.hidden = false;
  const update = () => {
    const left = max - textarea.value.length;
    output.textContent = `${textarea.value.length} / ${max}`;
    output.classList.toggle("warn", left < 100);
  };
  output.dataset.template = template;
  textarea.addEventListener("input", update);
  update();
}

function noteStart() {
  const started = form.dataset.started;
  if (!started) return;
  const once = () => {
    navigator.sendBeacon?.(started);
    form.removeEventListener("input", once);
    form.removeEventListener("change", once);
  };
  form.addEventListener("input", once);
  form.addEventListener("change", once);
}

if (form) {
  form.querySelectorAll("textarea[data-counter]").forEach(counter);
  noteStart();
  form.addEventListener("submit", (event) => {
    // The one-time key makes a second press harmless; this only spares the wait. A send the
    // recorder took over (default prevented) handles its button itself.
    const button = form.querySelector("button[type=submit]");
    setTimeout(() => { if (button && !event.defaultPrevented) button.disabled = true; }, 0);
  });
  if (form.hasAttribute("data-recordable")) {
    import("./answer-record.js").then((module) => module.setUp(form));
  }
}
