// Processing progress on the question page: polls the clip's status every 2 seconds while it
// is being processed; reloads the page when it is ready (to show the player), and shows the
// error with a "try another file" action when it failed.
//
// Markup: [data-media-status data-status-url] with [data-status-progress] (a <progress>),
// [data-status-label], [data-status-failed] (hidden) and [data-status-error].

const POLL_MS = 2000;
const WAITING = new Set(["pending", "uploaded", "processing"]);

const box = document.querySelector("[data-media-status]");
if (box) watch(box);

function watch(box) {
  const progress = box.querySelector("[data-status-progress]");
  const failed = box.querySelector("[data-status-failed]");
  const error = box.querySelector("[data-status-error]");

  async function poll() {
    let data;
    try {
      const response = await fetch(box.dataset.statusUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error(String(response.status));
      data = await response.json();
    } catch {
      setTimeout(poll, POLL_MS * 2); // a hiccup: try again a little later
      return;
    }
    if (typeof data.progress === "number") progress.value = data.progress;
    if (data.status === "ready") {
      window.location.reload();
      return;
    }
    if (data.status === "failed") {
      box.classList.add("is-failed");
      box.querySelector("[data-status-label]").textContent = box.dataset.failedText || "";
      progress.hidden = true;
      error.textContent = data.error || "";
      failed.hidden = false;
      return;
    }
    if (WAITING.has(data.status)) setTimeout(poll, POLL_MS);
  }

  setTimeout(poll, POLL_MS);
}
