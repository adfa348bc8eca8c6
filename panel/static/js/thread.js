// The thread page's reply composer: saved replies inserted at the cursor in one click, and a
// video reply recorded with the camera (or chosen from the device) and uploaded through the one
// upload path (uploader.js) with a progress bar, before the reply is sent. The reply form posts
// as usual; the video travels as the uploaded clip's id in a hidden field.
//
// Without this module the page still works: a <select> and "Insert" put a saved reply in the
// text on the server, and a reply goes without a video.
//
// Markup: threads/_composer.html ([data-reply-form], [data-saved-chips], [data-reply-video]).

import { postJson, sendBytes } from "./uploader.js";

const MIME_CANDIDATES = ["video/webm;codecs=vp8,opus", "video/webm", "video/mp4"];
const FILE_TYPES = { mp4: "video/mp4", mov: "video/quicktime", webm: "video/webm", m4v: "video/mp4" };

function clock(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

// --- saved replies ----------------------------------------------------------------------------

/** Put `text` where the cursor was in `textarea` (at the end if it was never placed). */
export function insertAtCursor(textarea, text, placed) {
  const length = textarea.value.length;
  const start = placed ? textarea.selectionStart : length;
  const end = placed ? textarea.selectionEnd : length;
  const before = textarea.value.slice(0, start);
  const after = textarea.value.slice(end);
  let lead = "";
  if (before && !/\s$/.test(before)) lead = start === length ? "\n\n" : " ";
  const lineStart = !before || /\n$/.test(before);
  const trail = after && !/^\s/.test(after) ? (lineStart ? "\n\n" : " ") : "";
  textarea.setRangeText(lead + text + trail, start, end, "end");
  textarea.focus();
  textarea.dispatchEvent(new Event("input", { bubbles: true }));
}

function setUpSavedReplies(form) {
  const chips = form.querySelector("[data-saved-chips]");
  const fallback = form.querySelector("[data-saved-fallback]");
  const textarea = form.querySelector("[data-reply-body]");
  if (!chips || !textarea) return;
  let placed = false;
  for (const type of ["focus", "click", "keyup", "select"]) {
    textarea.addEventListener(type, () => { placed = true; });
  }
  chips.addEventListener("click", (event) => {
    const chip = event.target.closest("[data-insert]");
    if (!chip) return;
    insertAtCursor(textarea, chip.dataset.insert, placed);
    placed = true;
  });
  chips.hidden = false;
  if (fallback) fallback.hidden = true;
}

// --- the video reply --------------------------------------------------------------------------

// Which parts each state shows.
const VISIBLE = {
  idle: ["start"],
  starting: ["stage", "controls", "cancel"],
  ready: ["stage", "controls", "record", "cancel", "live"],
  recording: ["stage", "controls", "stop", "hud", "live"],
  recorded: ["stage", "controls", "use", "again", "cancel", "playback"],
  uploading: ["stage", "playback", "progress"],
  uploadingFile: ["progress"],
  attached: ["attached"],
};

function setUpVideo(form) {
  const root = form.querySelector("[data-reply-video]");
  if (!root) return;
  const find = (selector) => root.querySelector(selector);
  const words = JSON.parse(find("[data-messages]").textContent);
  const maxSeconds = Number(root.dataset.maxSeconds) || 120;
  const mediaInput = form.querySelector("[data-media-id]");
  const send = form.querySelector("[data-send]");
  const live = find("[data-live]");
  const playback = find("[data-playback]");
  const timer = find("[data-timer]");
  const message = find("[data-message]");
  const bar = find("[data-progress-bar]");
  const percent = find("[data-progress-percent]");
  const label = find("[data-progress-label]");
  const fileInput = find("[data-file]");
  const info = find("[data-attached-info]");
  const serverAttached = form.querySelector("[data-attached-server]");
  const parts = {
    start: find("[data-start]"),
    stage: find("[data-stage]"),
    controls: find("[data-controls]"),
    record: find('[data-action="record"]'),
    stop: find('[data-action="stop"]'),
    use: find('[data-action="use"]'),
    again: find('[data-action="again"]'),
    cancel: find('[data-action="cancel"]'),
    hud: find("[data-hud]"),
    progress: find("[data-progress]"),
    attached: find("[data-attached]"),
    live,
    playback,
  };

  let state = "idle";
  let stream = null;
  let recorder = null;
  let chunks = [];
  let take = null; // { blob, type, url }
  let startedAt = 0;
  let ticker = 0;
  let limit = 0;

  function say(text, kind = "") {
    message.textContent = text || "";
    message.className = `clip-message${kind ? ` is-${kind}` : ""}`;
  }

  function setState(next) {
    state = next;
    root.dataset.state = next;
    const visible = VISIBLE[next] || [];
    for (const [name, element] of Object.entries(parts)) {
      if (element) element.hidden = !visible.includes(name);
    }
    send.disabled = next === "uploading" || next === "uploadingFile" || next === "recording";
  }

  function stopCamera() {
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
    live.srcObject = null;
  }

  function dropTake() {
    if (take) URL.revokeObjectURL(take.url);
    take = null;
    playback.removeAttribute("src");
  }

  function cameraProblem(error) {
    const name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") return words.blocked;
    if (name === "NotFoundError" || name === "OverconstrainedError") return words.missing;
    if (name === "NotReadableError" || name === "AbortError") return words.busy;
    return `${words.failed} ${(error && error.message) || name || ""}`.trim();
  }

  async function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.MediaRecorder) {
      say(words.unsupported, "error");
      return;
    }
    setState("starting");
    say("");
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "user", width: { ideal: 1280 }, height: { ideal: 720 } },
        audio: { echoCancellation: true, noiseSuppression: true },
      });
    } catch (error) {
      setState("idle");
      say(cameraProblem(error), "error");
      return;
    }
    live.srcObject = stream;
    live.play().catch(() => {});
    setState("ready");
    say(words.ready);
  }

  function record() {
    chunks = [];
    const wanted = typeof MediaRecorder.isTypeSupported === "function"
      ? MIME_CANDIDATES.find((type) => MediaRecorder.isTypeSupported(type)) || ""
      : "";
    try {
      recorder = new MediaRecorder(stream, wanted ? { mimeType: wanted } : undefined);
    } catch {
      recorder = new MediaRecorder(stream);
    }
    recorder.addEventListener("dataavailable", (event) => {
      if (event.data && event.data.size) chunks.push(event.data);
    });
    recorder.addEventListener("stop", finish);
    recorder.start(1000);
    startedAt = performance.now();
    timer.textContent = clock(0);
    ticker = setInterval(() => { timer.textContent = clock((performance.now() - startedAt) / 1000); }, 250);
    limit = setTimeout(() => stop(true), maxSeconds * 1000);
    setState("recording");
    say(words.recording);
  }

  function stop(atLimit = false) {
    if (!recorder || recorder.state === "inactive") return;
    clearInterval(ticker);
    clearTimeout(limit);
    recorder.atLimit = atLimit;
    recorder.stop();
  }

  function finish() {
    // What the browser really recorded, not what was asked for.
    const type = recorder.mimeType || (chunks[0] && chunks[0].type) || "video/webm";
    dropTake();
    const blob = new Blob(chunks, { type });
    take = { blob, type, url: URL.createObjectURL(blob) };
    playback.src = take.url;
    stopCamera();
    setState("recorded");
    say(recorder.atLimit ? words.limit : words.recorded);
    root.dataset.takeBytes = String(blob.size);
  }

  function showProgress(fraction) {
    const value = Math.round(fraction * 100);
    bar.value = value;
    percent.textContent = `${value}%`;
  }

  async function upload(blob, filename, type, after) {
    const base = type.split(";")[0].trim() || "application/octet-stream";
    setState(after === "recorded" ? "uploading" : "uploadingFile");
    say("");
    label.textContent = words.uploading;
    showProgress(0);
    try {
      const body = { filename, content_type: base, size: blob.size, purpose: "reply" };
      if (root.dataset.language) body.language = root.dataset.language;
      const created = await postJson("/app/media/uploads", body);
      await sendBytes(blob, created.upload, base, showProgress);
      label.textContent = words.checking;
      showProgress(1);
      await postJson(`/app/media/${created.media_id}/complete`, {});
      mediaInput.value = String(created.media_id);
      if (serverAttached) serverAttached.hidden = true;
      info.textContent = filename;
      root.dataset.mediaId = String(created.media_id);
      setState("attached");
      if (take) {
        parts.stage.hidden = false; // the take stays there to be played back
        playback.hidden = false;
      }
      say(words.attached, "ok");
    } catch (error) {
      setState(after);
      const text = error.interrupted ? words.interrupted : `${words.failed} ${error.message || ""}`;
      say(text.trim(), "error");
    }
  }

  function useTake() {
    if (!take) return;
    const extension = take.type.includes("mp4") ? "mp4" : "webm";
    const stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, "");
    upload(take.blob, `reply-${stamp}.${extension}`, take.type, "recorded");
  }

  function pickFile() {
    const file = fileInput.files[0];
    fileInput.value = "";
    if (!file) return;
    const extension = (file.name.split(".").pop() || "").toLowerCase();
    if (!FILE_TYPES[extension]) return say(words.type, "error");
    if (!file.size) return say(words.empty, "error");
    stopCamera();
    dropTake();
    upload(file, file.name, file.type || FILE_TYPES[extension], "idle");
  }

  function cancel() {
    stop(false);
    stopCamera();
    dropTake();
    setState("idle");
    say("");
  }

  function detach() {
    mediaInput.value = "";
    if (serverAttached) serverAttached.hidden = true;
    delete root.dataset.mediaId;
    cancel();
  }

  find('[data-action="camera"]').addEventListener("click", startCamera);
  parts.record.addEventListener("click", record);
  parts.stop.addEventListener("click", () => stop(false));
  parts.use.addEventListener("click", useTake);
  parts.again.addEventListener("click", () => { dropTake(); startCamera(); });
  parts.cancel.addEventListener("click", cancel);
  fileInput.addEventListener("change", pickFile);
  for (const button of form.querySelectorAll('[data-action="detach"]')) {
    button.addEventListener("click", detach);
  }
  form.addEventListener("submit", (event) => {
    if (state === "uploading" || state === "uploadingFile" || state === "recording") {
      event.preventDefault();
      say(words.wait, "error");
    }
  });
  window.addEventListener("pagehide", stopCamera);

  root.hidden = false;
  setState(mediaInput.value && !serverAttached ? "attached" : "idle");
}

const form = document.querySelector("[data-reply-form]");
if (form) {
  setUpSavedReplies(form);
  setUpVideo(form);
}
