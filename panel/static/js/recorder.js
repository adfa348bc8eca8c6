// The question recorder: camera and microphone with a live (mirrored) preview, a 3-2-1
// countdown, a timer with the organisation's maximum length (recording stops by itself), a
// teleprompter with the written question, play back, record again, keep. Or a file chosen
// from the device. Kept clips go through uploader.js; then the question page takes over.
//
// Markup: [data-recorder] with data-max-seconds and data-attach-url, messages in a JSON block
// [data-messages], and the parts named by data-* attributes (see questions/video.html).

import { uploadClip } from "./uploader.js";

// What to ask MediaRecorder for, best first. VP8 is cheap to encode on a phone; Safari records
// MP4 only. Whatever is asked, the recorder's own mimeType is what counts.
const MIME_CANDIDATES = [
  "video/webm;codecs=vp8,opus",
  "video/webm;codecs=vp9,opus",
  "video/webm",
  "video/mp4;codecs=avc1,mp4a",
  "video/mp4",
];
const FILE_TYPES = {
  mp4: "video/mp4",
  mov: "video/quicktime",
  webm: "video/webm",
  m4a: "audio/mp4",
  mp3: "audio/mpeg",
  wav: "audio/wav",
};
const COUNTDOWN_FROM = 3;
const SHORT_TAKE_SECONDS = 1.5;

// Which controls each state shows.
const VISIBLE = {
  off: ["off"],
  starting: [],
  ready: ["record", "toggle", "teleprompter"],
  countdown: ["countdown", "teleprompter", "toggle"],
  recording: ["stop", "hud", "teleprompter", "toggle"],
  recorded: ["keep", "again", "playback"],
  uploading: ["playback", "progress"],
};

const root = document.querySelector("[data-recorder]");
if (root) setUp(root);

function clock(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function pickMimeType() {
  if (typeof MediaRecorder.isTypeSupported !== "function") return "";
  return MIME_CANDIDATES.find((type) => MediaRecorder.isTypeSupported(type)) || "";
}

function extensionFor(mimeType) {
  if (mimeType.includes("mp4")) return "mp4";
  if (mimeType.includes("ogg")) return "ogg";
  return "webm";
}

function setUp(root) {
  const find = (selector) => root.querySelector(selector);
  const messages = JSON.parse(find("[data-messages]").textContent);
  const maxSeconds = Number(root.dataset.maxSeconds) || 120;
  const stage = find(".recorder-stage");
  const live = find("[data-live]");
  const playback = find("[data-playback]");
  const countdown = find("[data-countdown]");
  const timer = find("[data-timer]");
  const teleprompter = find("[data-teleprompter]");
  const toggle = find('[data-action="teleprompter"]');
  const message = find("[data-message]");
  const progress = find("[data-progress]");
  const progressBar = find("[data-progress-bar]");
  const progressPercent = find("[data-progress-percent]");
  const progressLabel = find("[data-progress-label]");
  const fileInput = document.querySelector("[data-file]");
  const fileButton = document.querySelector('[data-action="upload"]');
  const parts = {
    off: find("[data-off]"),
    record: find('[data-action="record"]'),
    stop: find('[data-action="stop"]'),
    keep: find('[data-action="keep"]'),
    again: find('[data-action="again"]'),
    toggle: find("[data-teleprompter-toggle]"),
    hud: find("[data-hud]"),
    countdown,
    teleprompter,
    playback,
    progress,
  };

  let state = "off";
  let stream = null;
  let recorder = null;
  let chunks = [];
  let take = null; // { blob, mimeType, seconds, url }
  let startedAt = 0;
  let ticker = 0;
  let limitTimer = 0;
  let stoppedAtLimit = false;
  let scrollFrame = 0;
  let kept = false;

  function say(text, kind = "") {
    message.textContent = text || "";
    message.className = `recorder-message${kind ? ` is-${kind}` : ""}`;
  }

  function setState(next) {
    state = next;
    stage.dataset.state = next;
    const visible = VISIBLE[next] || [];
    for (const [name, element] of Object.entries(parts)) {
      if (!element) continue;
      let show = visible.includes(name);
      if (name === "teleprompter") show = show && (!toggle || toggle.checked);
      element.hidden = !show;
    }
    live.hidden = next === "recorded" || next === "uploading" || next === "off";
    if (fileButton) fileButton.disabled = next === "uploading" || !fileInput.files.length;
    if (fileInput) fileInput.disabled = next === "uploading";
  }

  function stopCamera() {
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
    live.srcObject = null;
  }

  function cameraProblem(error) {
    const name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") return messages.blocked;
    if (name === "NotFoundError" || name === "OverconstrainedError") return messages.missing;
    if (name === "NotReadableError" || name === "AbortError") return messages.busy;
    return `${messages.failed} ${error && error.message ? error.message : name || ""}`.trim();
  }

  async function startCamera() {
    if (!window.isSecureContext) return say(messages.insecure, "error");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.MediaRecorder) {
      return say(messages.unsupported, "error");
    }
    setState("starting");
    say("");
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "user", width: { ideal: 1280 }, height: { ideal: 720 } },
        audio: { echoCancellation: true, noiseSuppression: true },
      });
    } catch (error) {
      if (state !== "starting") return undefined; // a file is being sent: its outcome stands
      setState("off");
      return say(cameraProblem(error), "error");
    }
    if (state !== "starting") {
      // A file was sent while the camera was starting: what the page says of it stands.
      stopCamera();
      return undefined;
    }
    live.srcObject = stream;
    live.play().catch(() => {}); // autoplay of a muted preview is allowed; ignore if not
    setState("ready");
    say(messages.ready);
  }

  async function record() {
    setState("countdown");
    say("");
    if (teleprompter) teleprompter.scrollTop = 0;
    for (let n = COUNTDOWN_FROM; n > 0; n -= 1) {
      countdown.textContent = String(n);
      await sleep(1000);
      if (state !== "countdown") return;
    }
    chunks = [];
    const mimeType = pickMimeType();
    try {
      recorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
    } catch {
      recorder = new MediaRecorder(stream);
    }
    recorder.addEventListener("dataavailable", (event) => {
      if (event.data && event.data.size) chunks.push(event.data);
    });
    recorder.addEventListener("stop", finish);
    stoppedAtLimit = false;
    recorder.start(1000);
    startedAt = performance.now();
    setState("recording");
    say(messages.recording);
    timer.textContent = clock(0);
    ticker = setInterval(tick, 250);
    limitTimer = setTimeout(() => stop(true), maxSeconds * 1000);
    scrollTeleprompter();
  }

  function elapsed() {
    return (performance.now() - startedAt) / 1000;
  }

  function tick() {
    const seconds = elapsed();
    timer.textContent = clock(seconds);
    stage.classList.toggle("is-ending", maxSeconds - seconds <= 10);
  }

  function stop(atLimit = false) {
    if (!recorder || recorder.state === "inactive") return;
    stoppedAtLimit = atLimit;
    clearInterval(ticker);
    clearTimeout(limitTimer);
    cancelAnimationFrame(scrollFrame);
    stage.classList.remove("is-ending");
    recorder.stop();
  }

  function finish() {
    // What the browser really recorded, not what was asked for.
    const mimeType = recorder.mimeType || (chunks[0] && chunks[0].type) || "video/webm";
    const blob = new Blob(chunks, { type: mimeType });
    const seconds = Math.min(elapsed(), maxSeconds);
    if (take) URL.revokeObjectURL(take.url);
    take = { blob, mimeType, seconds, url: URL.createObjectURL(blob) };
    playback.src = take.url;
    setState("recorded");
    if (stoppedAtLimit) say(messages.limit);
    else if (seconds < SHORT_TAKE_SECONDS) say(messages.short);
    else say(messages.recorded);
    root.dataset.takeSeconds = seconds.toFixed(2);
    root.dataset.takeType = mimeType;
    root.dataset.takeBytes = String(blob.size);
  }

  function again() {
    if (take) URL.revokeObjectURL(take.url);
    take = null;
    playback.removeAttribute("src");
    playback.load();
    setState("ready");
    say(messages.ready);
  }

  // The teleprompter scrolls at about speaking pace while recording; touching it stops that.
  function scrollTeleprompter() {
    if (!teleprompter) return;
    const overflow = teleprompter.scrollHeight - teleprompter.clientHeight;
    if (overflow <= 0) return;
    const words = teleprompter.textContent.trim().split(/\s+/).length;
    const speakingSeconds = Math.max(5, words / 2.5);
    const pixelsPerSecond = overflow / speakingSeconds;
    let last = performance.now();
    const step = (now) => {
      teleprompter.scrollTop += (pixelsPerSecond * (now - last)) / 1000;
      last = now;
      if (state === "recording") scrollFrame = requestAnimationFrame(step);
    };
    scrollFrame = requestAnimationFrame(step);
  }

  function showProgress(fraction) {
    const percent = Math.round(fraction * 100);
    progressBar.value = percent;
    progressPercent.textContent = `${percent}%`;
  }

  function showStage(name) {
    progressLabel.textContent = messages[name] || "";
    if (name !== "uploading") showProgress(1);
  }

  async function send(blob, filename, contentType, afterFailure) {
    setState("uploading");
    say("");
    showProgress(0);
    try {
      const result = await uploadClip(blob, {
        filename,
        contentType,
        language: root.dataset.language,
        attachUrl: root.dataset.attachUrl,
        onProgress: showProgress,
        onStage: showStage,
      });
      kept = true;
      stopCamera();
      say(messages.done, "ok");
      window.location.assign(result.redirect);
    } catch (error) {
      afterFailure();
      const text = error.interrupted ? messages.interrupted : `${messages.failed} ${error.message}`;
      say(text.trim(), "error");
    }
  }

  function keep() {
    if (!take) return;
    const stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, "");
    const filename = `recording-${stamp}.${extensionFor(take.mimeType)}`;
    send(take.blob, filename, take.mimeType, () => setState("recorded"));
  }

  function chosenFile() {
    const file = fileInput.files[0];
    if (!file) return null;
    const extension = (file.name.split(".").pop() || "").toLowerCase();
    if (!FILE_TYPES[extension]) {
      say(messages.type, "error");
      return null;
    }
    if (!file.size) {
      say(messages.empty, "error");
      return null;
    }
    return { file, contentType: file.type || FILE_TYPES[extension] };
  }

  function uploadFile() {
    const chosen = chosenFile();
    if (!chosen) return;
    const before = state === "uploading" ? "off" : state;
    send(chosen.file, chosen.file.name, chosen.contentType, () => setState(before));
  }

  parts.off.querySelector("button").addEventListener("click", startCamera);
  parts.record.addEventListener("click", record);
  parts.stop.addEventListener("click", () => stop(false));
  parts.again.addEventListener("click", again);
  parts.keep.addEventListener("click", keep);
  if (toggle) toggle.addEventListener("change", () => setState(state));
  if (teleprompter) {
    for (const type of ["wheel", "touchstart", "pointerdown"]) {
      teleprompter.addEventListener(type, () => cancelAnimationFrame(scrollFrame), { passive: true });
    }
  }
  if (fileInput) {
    fileInput.addEventListener("change", () => {
      say("");
      fileButton.disabled = !chosenFile();
    });
    fileButton.addEventListener("click", uploadFile);
  }
  window.addEventListener("beforeunload", (event) => {
    if (take && !kept) {
      event.preventDefault();
      event.returnValue = messages.leave;
    }
  });
  window.addEventListener("pagehide", stopCamera);

  setState("off");
  // Someone who allowed the camera before does not need to press the button again.
  if (navigator.permissions && navigator.permissions.query) {
    navigator.permissions
      .query({ name: "camera" })
      .then((status) => {
        if (status.state === "granted" && state === "off") startCamera();
      })
      .catch(() => {});
  }
}
