// The progress view of a send: polls its figures and updates the numbers and the bar in
// place until every message is handed over. Without JavaScript the page shows the figures of
// the moment it was loaded.
const box = document.querySelector(".send-progress[data-progress-url]");

function show(figures) {
  for (const el of box.querySelectorAll("[data-figure]")) {
    const value = figures[el.dataset.figure];
    if (value !== undefined) el.textContent = String(value);
  }
  for (const stat of box.querySelectorAll("[data-stat='failed'], [data-stat='unknown']")) {
    stat.classList.toggle("stat-warn", Number(figures[stat.dataset.stat]) > 0);
  }
  box.querySelector("progress[data-progress]").value = figures.done_percent;
}

async function poll(delay) {
  try {
    const response = await fetch(box.dataset.progressUrl, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (response.ok) {
      const figures = await response.json();
      show(figures);
      // Delivery reports and answers keep coming after the last hand-over: slow down, go on.
      delay = figures.finished ? 15000 : 1500;
    } else {
      delay = Math.min(delay * 2, 30000);
    }
  } catch {
    delay = Math.min(delay * 2, 30000);
  }
  setTimeout(() => poll(delay), delay);
}

if (box) setTimeout(() => poll(1500), box.dataset.finished === "true" ? 15000 : 1500);
