// Copy buttons: <button data-copy="#id" data-copied="Copied" hidden>. Shown only where the
// Clipboard API works; without it the text stays selectable by hand.
const buttons = document.querySelectorAll("button[data-copy]");

for (const button of buttons) {
  if (!navigator.clipboard) continue;
  button.hidden = false;
  const label = button.textContent;
  button.addEventListener("click", async () => {
    const source = document.querySelector(button.dataset.copy);
    if (!source) return;
    try {
      await navigator.clipboard.writeText(source.textContent.trim());
      button.textContent = button.dataset.copied || label;
      setTimeout(() => { button.textContent = label; }, 2000);
    } catch {
      // Permission refused: select the text so Ctrl+C works.
      const range = document.createRange();
      range.selectNodeContents(source);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
  });
}
