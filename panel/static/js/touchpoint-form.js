// The touchpoint form: a part that only one kind needs (<div data-kind-only="voice">) shows
// while that kind is chosen. Without a script it always shows, with a hint that says which kind
// it is for.
const kind = document.querySelector("select#kind");
const parts = document.querySelectorAll("[data-kind-only]");

function update() {
  for (const part of parts) part.hidden = kind.value !== part.dataset.kindOnly;
}

if (kind && parts.length) {
  kind.addEventListener("change", update);
  update();
}
