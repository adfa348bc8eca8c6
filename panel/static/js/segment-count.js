// The live "N members match" of the new-segment form: the page counts on load (server side,
// so it works without JavaScript); this asks again whenever a criterion changes.
const form = document.querySelector("#segment-form");
const output = form && form.querySelector("[data-segment-count]");

if (form && output) {
  let timer = null;
  let asked = 0;
  const refresh = async () => {
    const params = new URLSearchParams(new FormData(form));
    params.delete("csrf_token");
    params.delete("name");
    params.set("count", "1");
    const ticket = ++asked;
    try {
      const response = await fetch(`${form.dataset.countUrl}?${params}`, {
        headers: { Accept: "application/json" },
      });
      const body = await response.json();
      if (ticket === asked) output.textContent = body.message || "";
    } catch {
      // Offline or a slow server: keep the last count; the form still works.
    }
  };
  form.addEventListener("input", (event) => {
    if (event.target.name === "name") return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
}
