// Prepared exports on the share page: each file being written polls its progress and shows
// the download link once it is ready. Without JavaScript, reloading the page shows the same.
const WORKING = new Set(["queued", "writing"]);

function show(item, status) {
  item.dataset.state = status.state;
  item.querySelector("[data-export-message]").textContent = status.message;
  const bar = item.querySelector("[data-export-progress]");
  bar.value = status.progress;
  bar.hidden = !WORKING.has(status.state);
  const link = item.querySelector("[data-export-download]");
  if (status.download_url) link.href = status.download_url;
  link.hidden = !status.download_url;
}

async function poll(item, delay) {
  try {
    const response = await fetch(item.dataset.statusUrl, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (response.ok) {
      const status = await response.json();
      show(item, status);
      if (!WORKING.has(status.state)) return;
      delay = 1500;
    } else if (response.status === 404) {
      return;
    } else {
      delay = Math.min(delay * 2, 30000);
    }
  } catch {
    delay = Math.min(delay * 2, 30000);
  }
  setTimeout(() => poll(item, delay), delay);
}

for (const item of document.querySelectorAll("[data-export]")) {
  if (WORKING.has(item.dataset.state)) setTimeout(() => poll(item, 1500), 1000);
}
