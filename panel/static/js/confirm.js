// Forms with data-confirm="Question?" ask before they are sent (deactivate, revoke).
// Without JavaScript the form is sent straight away, as the button says.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
  if (!window.confirm(form.dataset.confirm)) event.preventDefault();
});
