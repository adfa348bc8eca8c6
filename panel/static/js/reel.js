// The highlight reel: title cards, then each clip from its in point to its out point with its
// captions, one after another; play/pause, previous/next, "clip 2 of 5", full screen; "set in
// here"/"set out here" from the player's time; and the MP4 render's progress bar.
//
// Markup: reports/reel.html. The plan is JSON in [data-reel-plan]: steps of
// {type: "card", title, role, duration} and {type: "clip", item, kind, src, poster, start, end,
// question, place, vtt, number}. Without JavaScript the clip list and its forms still work.

const POLL_MS = 1500;
const END_SLACK = 0.05; // seconds: timeupdate fires every ~250 ms, so stop a little early

const reel = document.querySelector("[data-reel]");
if (reel) new Reel(reel);
const renderBox = document.querySelector("[data-reel-render]");
if (renderBox) watchRender(renderBox);

function Reel(root) {
  const steps = JSON.parse(root.querySelector("[data-reel-plan]").textContent);
  const stage = root.querySelector("[data-reel-stage]");
  const video = root.querySelector("[data-reel-video]");
  const card = root.querySelector("[data-reel-card]");
  const cardTitle = root.querySelector("[data-reel-card-title]");
  const cardSub = root.querySelector("[data-reel-card-sub]");
  const caption = root.querySelector("[data-reel-caption]");
  const playButton = root.querySelector("[data-reel-play]");
  const progress = root.querySelector("[data-reel-progress]");
  const fullscreen = root.querySelector("[data-reel-fullscreen]");
  const setIn = root.querySelector("[data-reel-set-in]");
  const setOut = root.querySelector("[data-reel-set-out]");
  const trimMessage = root.querySelector("[data-reel-trim-message]");
  const totalClips = steps.filter((s) => s.type === "clip").length;
  // The organisation's colour, as on the MP4's cards (set here: the CSP allows no style="").
  if (/^#[0-9a-fA-F]{6}$/.test(card.dataset.colour || "")) {
    card.style.setProperty("--reel-colour", card.dataset.colour);
  }

  let index = 0;
  let playing = false;
  let cardTimer = null;
  let cardLeft = 0; // ms of the current card still to show
  let cardStarted = 0;

  function step() {
    return steps[index];
  }

  function show(i) {
    clearTimeout(cardTimer);
    index = Math.max(0, Math.min(i, steps.length - 1));
    const current = step();
    stage.dataset.step = String(index);
    stage.dataset.kind = current.type === "card" ? "card" : current.kind;
    stage.dataset.clip = current.type === "clip" ? String(current.number) : "";
    stage.dataset.item = current.type === "clip" ? String(current.item) : "";
    setIn.disabled = setOut.disabled = current.type !== "clip";
    if (current.type === "card") {
      video.pause();
      video.hidden = true;
      caption.hidden = true;
      showCard(current.title, "", current.role);
      progress.textContent = progressText(nextClipNumber());
      cardLeft = current.duration * 1000;
      if (playing) runCard();
      return;
    }
    progress.textContent = progressText(current.number);
    video.hidden = current.kind !== "video";
    if (current.kind === "audio") showCard(current.question, current.place, "audio");
    else card.hidden = true;
    load(current);
  }

  function showCard(title, sub, role) {
    card.hidden = false;
    card.dataset.role = role;
    cardTitle.textContent = title;
    cardSub.textContent = sub;
    cardSub.hidden = !sub;
  }

  function runCard() {
    cardStarted = performance.now();
    cardTimer = setTimeout(() => next(), cardLeft);
  }

  function load(clip) {
    for (const old of video.querySelectorAll("track")) old.remove();
    video.poster = clip.poster || "";
    const track = document.createElement("track");
    track.kind = "captions";
    track.src = clip.vtt;
    track.srclang = document.documentElement.lang || "sv";
    track.label = progress.dataset.captionsLabel || "Captions";
    video.append(track);
    caption.textContent = "";
    caption.hidden = true;
    // Captions are drawn by the page, not the video element: the same for a sound clip (the
    // element is hidden behind its card) as for a video, in full screen too.
    track.track.mode = "hidden";
    track.track.addEventListener("cuechange", () => {
      const cues = Array.from(track.track.activeCues || []);
      caption.textContent = cues.map((cue) => cue.text).join("\n");
      caption.hidden = cues.length === 0;
    });
    const begin = () => {
      video.currentTime = clip.start;
      track.track.mode = "hidden";
      if (playing) video.play().catch(() => setPlaying(false));
    };
    if (video.dataset.src === clip.src && video.readyState >= 1) {
      begin();
    } else {
      video.dataset.src = clip.src;
      video.src = clip.src;
      video.addEventListener("loadedmetadata", begin, { once: true });
      video.load();
    }
  }

  function nextClipNumber() {
    const upcoming = steps.slice(index).find((s) => s.type === "clip");
    return upcoming ? upcoming.number : totalClips;
  }

  function progressText(n) {
    return progress.dataset.template.replace("{n}", n).replace("{total}", totalClips);
  }

  function next() {
    if (index >= steps.length - 1) {
      setPlaying(false);
      stage.dataset.state = "ended";
      return;
    }
    show(index + 1);
  }

  function setPlaying(value) {
    playing = value;
    stage.dataset.state = value ? "playing" : "paused";
    playButton.textContent = value ? playButton.dataset.pauseText : playButton.dataset.playText;
  }

  function toggle() {
    if (stage.dataset.state === "ended") {
      setPlaying(true);
      show(0);
      return;
    }
    setPlaying(!playing);
    const current = step();
    if (current.type === "card") {
      if (playing) runCard();
      else {
        clearTimeout(cardTimer);
        cardLeft = Math.max(0, cardLeft - (performance.now() - cardStarted));
      }
    } else if (playing) {
      if (video.currentTime >= current.end - END_SLACK) video.currentTime = current.start;
      video.play().catch(() => setPlaying(false));
    } else {
      video.pause();
    }
  }

  video.addEventListener("timeupdate", () => {
    const current = step();
    if (current.type === "clip" && playing && video.currentTime >= current.end - END_SLACK) {
      video.pause();
      next();
    }
  });
  video.addEventListener("ended", () => {
    if (playing && step().type === "clip") next();
  });

  playButton.addEventListener("click", toggle);
  root.querySelector("[data-reel-next]").addEventListener("click", () => show(index + 1));
  root.querySelector("[data-reel-prev]").addEventListener("click", () => show(index - 1));
  stage.addEventListener("keydown", (event) => {
    if (event.key === "ArrowRight") show(index + 1);
    else if (event.key === "ArrowLeft") show(index - 1);
    else return;
    event.preventDefault();
  });

  if (!document.fullscreenEnabled) fullscreen.hidden = true;
  fullscreen.addEventListener("click", () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else stage.requestFullscreen().catch(() => {});
  });
  document.addEventListener("fullscreenchange", () => {
    const on = document.fullscreenElement === stage;
    stage.classList.toggle("is-fullscreen", on);
    fullscreen.textContent = on ? fullscreen.dataset.exitText : fullscreen.dataset.enterText;
  });

  function trimForm(item) {
    return root.querySelector(`[data-reel-trim][data-item="${item}"]`);
  }

  async function saveTrim(form) {
    const body = {
      starts_at: form.elements.starts_at.value,
      ends_at: form.elements.ends_at.value,
    };
    const response = await fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": form.elements.csrf_token.value,
      },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      trimMessage.textContent = (data.error && data.error.message) || String(response.status);
      trimMessage.classList.add("is-error");
      return;
    }
    window.location.reload();
  }

  for (const form of root.querySelectorAll("[data-reel-trim]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      saveTrim(form);
    });
  }
  for (const [button, field] of [[setIn, "starts_at"], [setOut, "ends_at"]]) {
    button.addEventListener("click", () => {
      const current = step();
      if (current.type !== "clip") return;
      const form = trimForm(current.item);
      form.elements[field].value = video.currentTime.toFixed(1);
      saveTrim(form);
    });
  }

  show(0);
  setPlaying(false);
  stage.dataset.state = "idle";
  stage.tabIndex = 0;
}

function watchRender(box) {
  const form = document.querySelector("[data-reel-render-form]");
  const bar = box.querySelector("[data-render-progress]");
  const message = box.querySelector("[data-render-message]");
  const download = box.querySelector("[data-render-download]");
  const link = box.querySelector("[data-render-link]");
  const size = box.querySelector("[data-render-size]");

  function showStatus(data) {
    box.dataset.state = data.state;
    box.dataset.statusUrl = data.status_url;
    bar.hidden = !["queued", "rendering"].includes(data.state);
    bar.value = data.progress || 0;
    message.textContent = [data.message, data.error].filter(Boolean).join(" ");
    download.hidden = !data.url;
    if (data.download_url) link.href = data.download_url;
    size.textContent = data.size
      ? `${(data.size / 1048576).toFixed(1)} MB · ${Math.round(data.duration || 0)} s`
      : "";
    // The reel as it is now is rendered (or on its way): asking again is not the main action.
    if (form) form.querySelector("button").classList.toggle("secondary", Boolean(data.current));
  }

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
      setTimeout(poll, POLL_MS * 4);
      return;
    }
    showStatus(data);
    if (["queued", "rendering"].includes(data.state)) setTimeout(poll, POLL_MS);
  }

  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const response = await fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": form.elements.csrf_token.value },
      });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) {
        message.textContent = (data.error && data.error.message) || String(response.status);
        return;
      }
      showStatus(data);
      if (["queued", "rendering"].includes(data.state)) setTimeout(poll, POLL_MS);
    });
  }
  if (["queued", "rendering"].includes(box.dataset.state)) setTimeout(poll, POLL_MS);
}
