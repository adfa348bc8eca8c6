// The brand section of the settings page: a colour picker beside the colour's text field (kept
// in step both ways), and a preview of the top of an e-mail in that colour. Without this script
// the text field alone sets the colour, and no preview is shown.
const text = document.querySelector("[data-colour-text]");
const picker = document.querySelector("[data-colour-picker]");
const preview = document.querySelector("[data-brand-preview]");
const head = document.querySelector("[data-brand-head]");
const nameField = document.querySelector("#email_from_name");
const nameShown = document.querySelector("[data-brand-name]");
const COLOUR = /^#[0-9a-f]{6}$/i;

// Black or white, whichever reads better on the colour: the rule the e-mails use.
function textOn(colour) {
  const channel = (i) => {
    const value = parseInt(colour.slice(i, i + 2), 16) / 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return luminance < 0.4 ? "#ffffff" : "#1b2326";
}

function paint(colour) {
  if (!head || !COLOUR.test(colour)) return;
  if (head.classList.contains("has-logo")) {
    head.style.borderTopColor = colour;
  } else {
    head.style.backgroundColor = colour;
    head.style.color = textOn(colour);
  }
}

if (text && picker) {
  // A browser without a colour picker turns type=color into a text field: then one is enough.
  if (picker.type === "color") picker.hidden = false;
  picker.addEventListener("input", () => {
    text.value = picker.value;
    paint(picker.value);
  });
  text.addEventListener("input", () => {
    const value = text.value.trim();
    if (COLOUR.test(value)) {
      picker.value = value.toLowerCase();
      paint(value);
    }
  });
}

if (nameField && nameShown) {
  nameField.addEventListener("input", () => {
    nameShown.textContent = nameField.value.trim() || nameShown.dataset.defaultName;
  });
}

if (preview && text) {
  preview.hidden = false;
  paint(COLOUR.test(text.value.trim()) ? text.value.trim() : "#1f5f5b");
}
