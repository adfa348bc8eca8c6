// A recorded or picked clip on the tenant's answer form (loaded by answer.js when the question
// takes recordings). "Answer with a video" / "with your voice" record in the browser: preview,
// a timer with the organisation's maximum length, play back, record again; or a recording is
// picked from the phone. On send, the form goes first (fetch, JSON back): the answer is stored
// at once. Then the clip goes through the one upload path with a progress bar, and is finished;
// then the thank-you page. A cut connection keeps everything and offers "Try again", which
// resumes where it stopped: never a second answer, never the text lost.
//
// Markup and words: answers/_form.html ([data-clip-recorder], [data-clip-messages], .answer-upload).

import { sendBytes, UploadError } from "./uploader.js";

const VIDEO_TYPES = ["video/webm;codecs=vp8,opus", "video/webm", "video/mp4"];
const AUDIO_TYPES = ["audio/webm;codecs=opus", "audio/webm", "audio/mp4", "audio/ogg;codecs=opus"];
// Some phones' file pickers give no type: the name says what it is.
const BY_EXTENSION = {
  mp4: "video/mp4", m4v: "video/mp4", mov: "video/quicktime", webm: "video/webm", "3gp": "video/mp4",
  m4a: "audio/mp4", mp3: "audio/mpeg", wav: "audio/wav", ogg: "audio/ogg", opus: "audio/ogg",
};
// What each state shows of the recorder's parts.
const VISIBLE = {
  idle: [],
  starting: ["cancel"],
  ready: ["start", "cancel", "live"],
  recording: ["stop", "hud", "live"],
  recorded: ["again", "remove", "playback"],
  picked: ["remove", "playback"],
  sending: ["playback"], // the take as it is being sent: nothing changes it now
};

function clock(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

function supported(types) {
  if (!window.MediaRecorder || typeof MediaRecorder.isTypeSupported !== "function") return "";
  return types.find((type) => MediaRecorder.isTypeSupported(type)) || "";
}

function extensionOf(type) {
  if (type.includes("mp4")) return type.startsWith("audio/") ? "m4a" : "mp4";
  if (type.includes("ogg")) return "ogg";
  return "webm";
}

// The JSON the app answers, or an UploadError carrying its message and code.
async function post(url, body) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { Accept: "application/json", ...(body instanceof URLSearchParams ? {} : { "Content-Type": "application/json" }) },
      body: body instanceof URLSearchParams ? body : JSON.stringify(body || {}),
    });
  } catch {
    throw new UploadError("", { interrupted: true });
  }
  const data = await response.json().catch(() => null);
  if (!response.ok || !data) {
    const error = new UploadError((data && data.error && data.error.message) || "", { status: response.status });
    error.code = data && data.error ? data.error.code : "";
    error.json = !!data;
    throw error;
  }
  return data;
}

export function setUp(form) {
  const block = form.querySelector(".media-answers");
  const words = JSON.parse(block.querySelector("[data-clip-messages]").textContent);
  const maxSeconds = Number(block.dataset.maxSeconds) || 120;
  const recorderBox = block.querySelector("[data-clip-recorder]");
  const fileBox = block.querySelector("[data-clip-file]");
  const fileInput = fileBox.querySelector("input[type=file]");
  const accepted = fileInput.accept;
  const recordButtons = [...block.querySelectorAll("[data-record]")];
  const stage = block.querySelector(".clip-stage");
  const live = block.querySelector("[data-live]");
  const playbackVideo = block.querySelector("[data-playback-video]");
  const playbackAudio = block.querySelector("[data-playback-audio]");
  const mic = block.querySelector("[data-mic]");
  const hud = block.querySelector("[data-hud]");
  const timer = block.querySelector("[data-timer]");
  const message = block.querySelector("[data-clip-message]");
  const button = (name) => block.querySelector(`[data-clip="${name}"]`);
  const clipKind = form.querySelector("input[name=clip_kind]");
  const submit = form.querySelector("button[type=submit]");
  const upload = form.querySelector(".answer-upload");
  const progress = upload.querySelector("progress");
  const status = upload.querySelector("[role=status]");
  const actions = upload.querySelector("[data-upload-actions]");
  const retry = upload.querySelector("[data-retry]");
  const skip = upload.querySelector("[data-skip]");
  const canRecord = !!(window.isSecureContext && navigator.mediaDevices
    && navigator.mediaDevices.getUserMedia && window.MediaRecorder);

  let state = "idle";
  let kind = "";
  let stream = null;
  let recorder = null;
  let chunks = [];
  let take = null; // { blob, type, name, url }
  let startedAt = 0;
  let ticker = 0;
  let limitTimer = 0;
  let atLimit = false;
  let tookOver = null; // resolves when a recording stopped by "send" has become a take
  let before = "idle"; // the state to go back to when the form must be corrected
  // What has been sent so far: a retry goes on from there, with the same fields.
  const sent = { fields: null, answer: null, clip: null, bytes: false, busy: false };

  function say(text, tone = "") {
    message.textContent = text || "";
    message.className = `clip-message${tone ? ` is-${tone}` : ""}`;
    if (state === "idle") recorderBox.hidden = !text; // a word about a choice that failed
  }

  function setState(next) {
    state = next;
    const visible = VISIBLE[next];
    for (const name of ["start", "stop", "again", "remove", "cancel"]) button(name).hidden = !visible.includes(name);
    hud.hidden = !visible.includes("hud");
    live.hidden = !(visible.includes("live") && kind === "video");
    mic.hidden = !(["ready", "recording"].includes(next) && kind === "audio");
    mic.classList.toggle("is-recording", next === "recording");
    const playing = visible.includes("playback");
    playbackVideo.hidden = !(playing && take && take.type.startsWith("video/"));
    playbackAudio.hidden = !(playing && take && take.type.startsWith("audio/"));
    stage.hidden = next === "idle" || (playing && playbackVideo.hidden);
    recorderBox.hidden = next === "idle";
    for (const b of recordButtons) b.hidden = next !== "idle";
    fileBox.hidden = next !== "idle";
    clipKind.value = take ? kind : "";
  }

  function stopCamera() {
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
    live.srcObject = null;
  }

  function forget() {
    if (take) URL.revokeObjectURL(take.url);
    take = null;
    for (const player of [playbackVideo, playbackAudio]) {
      player.removeAttribute("src");
      player.load();
    }
  }

  function problem(error) {
    const name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") return words.blocked;
    if (name === "NotFoundError" || name === "OverconstrainedError") return words.missing;
    return words.unsupported;
  }

  async function open(chosen) {
    kind = chosen;
    if (!canRecord) {
      // No recording in this browser: the phone's own camera or recorder instead.
      fileInput.accept = `${kind}/*`;
      fileInput.setAttribute("capture", kind === "video" ? "user" : "");
      fileInput.click();
      return;
    }
    setState("starting");
    say("");
    button("cancel").focus();
    try {
      stream = await navigator.mediaDevices.getUserMedia(kind === "video"
        ? { video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 } }, audio: true }
        : { audio: true });
    } catch (error) {
      setState("idle");
      fileBox.hidden = false;
      return say(problem(error), "error");
    }
    if (state !== "starting") return stopCamera(); // cancelled meanwhile
    if (kind === "video") {
      live.srcObject = stream;
      live.play().catch(() => {});
    }
    setState("ready");
    say(kind === "video" ? words.ready_video : words.ready_audio);
    button("start").focus();
  }

  function start() {
    chunks = [];
    const type = supported(kind === "video" ? VIDEO_TYPES : AUDIO_TYPES);
    const options = kind === "video"
      ? { videoBitsPerSecond: 1_000_000, audioBitsPerSecond: 64_000 }
      : { audioBitsPerSecond: 64_000 };
    try {
      recorder = new MediaRecorder(stream, type ? { ...options, mimeType: type } : options);
    } catch {
      recorder = new MediaRecorder(stream);
    }
    recorder.addEventListener("dataavailable", (event) => {
      if (event.data && event.data.size) chunks.push(event.data);
    });
    recorder.addEventListener("stop", finish);
    atLimit = false;
    recorder.start(1000);
    startedAt = performance.now();
    timer.textContent = clock(0);
    hud.classList.remove("is-ending");
    setState("recording");
    say(words.recording);
    button("stop").focus();
    ticker = setInterval(() => {
      const seconds = (performance.now() - startedAt) / 1000;
      timer.textContent = clock(seconds);
      hud.classList.toggle("is-ending", maxSeconds - seconds <= 10);
    }, 250);
    limitTimer = setTimeout(() => stop(true), maxSeconds * 1000);
  }

  function stop(limit = false) {
    if (!recorder || recorder.state === "inactive") return;
    atLimit = limit;
    clearInterval(ticker);
    clearTimeout(limitTimer);
    recorder.stop();
  }

  function finish() {
    let type = recorder.mimeType || (chunks[0] && chunks[0].type) || `${kind}/webm`;
    // Some browsers call a sound-only WebM "video/webm": what matters is what was recorded.
    if (kind === "audio") type = type.replace(/^video\//, "audio/");
    const seconds = Math.min((performance.now() - startedAt) / 1000, maxSeconds);
    stopCamera();
    forget();
    const blob = new Blob(chunks, { type });
    take = { blob, type, name: `answer.${extensionOf(type)}`, url: URL.createObjectURL(blob) };
    (kind === "video" ? playbackVideo : playbackAudio).src = take.url;
    setState("recorded");
    form.dataset.takeSeconds = seconds.toFixed(2);
    form.dataset.takeBytes = String(blob.size);
    say(atLimit ? words.limit : words.recorded);
    if (tookOver) tookOver();
  }

  function reset() {
    if (recorder) recorder.removeEventListener("stop", finish); // a take no one wants
    stop();
    stopCamera();
    forget();
    kind = "";
    setState("idle");
    say("");
    (recordButtons[0] || fileInput).focus();
  }

  function again() {
    const chosen = kind;
    forget();
    open(chosen);
  }

  // A picked file: checked here for what can be known before sending (type, length).
  async function pick() {
    const file = fileInput.files[0];
    fileInput.removeAttribute("capture");
    fileInput.accept = accepted;
    if (!file) return;
    const type = file.type || BY_EXTENSION[(file.name.split(".").pop() || "").toLowerCase()] || "";
    fileInput.value = "";
    if (!/^(video|audio)\//.test(type)) {
      setState("idle");
      return say(words.wrong_type, "error");
    }
    if ((await lengthOf(file, type)) > maxSeconds + 1) {
      setState("idle");
      return say(words.too_long, "error");
    }
    forget();
    kind = type.startsWith("audio/") ? "audio" : "video";
    take = { blob: file, type, name: file.name, url: URL.createObjectURL(file) };
    (kind === "video" ? playbackVideo : playbackAudio).src = take.url;
    setState("picked");
    say(words.picked);
    button("remove").focus();
  }

  function lengthOf(file, type) {
    return new Promise((resolve) => {
      const probe = document.createElement(type.startsWith("audio/") ? "audio" : "video");
      const url = URL.createObjectURL(file);
      const done = (seconds) => { URL.revokeObjectURL(url); resolve(seconds); };
      probe.preload = "metadata";
      probe.addEventListener("loadedmetadata", () => done(Number.isFinite(probe.duration) ? probe.duration : 0));
      probe.addEventListener("error", () => done(0)); // the app checks it after the upload
      setTimeout(() => done(0), 5000);
      probe.src = url;
    });
  }

  // --- sending -----------------------------------------------------------------------------

  function lock(locked) {
    submit.hidden = false;
    for (const element of form.elements) {
      // Not the fieldsets: a disabled fieldset disables "Try again" inside it too.
      if (element === retry || element.type === "hidden" || element.tagName === "FIELDSET") continue;
      element.disabled = locked;
    }
  }

  function showUpload(text, fraction = null) {
    upload.hidden = false;
    progress.hidden = false;
    status.textContent = text;
    status.className = "small";
    if (fraction !== null) progress.value = Math.round(fraction * 100);
  }

  function formErrors(text) {
    let box = form.querySelector("#answer-errors");
    if (!box) {
      box = document.createElement("div");
      box.id = "answer-errors";
      box.className = "flash flash-error";
      box.setAttribute("role", "alert");
      box.tabIndex = -1;
      form.querySelector("fieldset").prepend(box);
    }
    box.textContent = text;
    box.focus();
  }

  async function send() {
    if (sent.busy) return;
    sent.busy = true;
    actions.hidden = true;
    if (!sent.fields) sent.fields = new URLSearchParams(new FormData(form)); // before the lock
    lock(true); // once stored, what the page shows is what was sent: nothing changes it now
    if (state !== "sending") {
      before = state;
      setState("sending");
      say("");
    }
    try {
      if (!sent.answer) {
        showUpload(words.sending, 0);
        sent.answer = await post(form.action || location.href, sent.fields);
      }
      const answer = sent.answer;
      if (answer.awaits_clip && answer.clip) {
        showUpload(words.uploading, 0);
        if (!sent.clip) {
          sent.clip = await post(answer.clip, { filename: take.name, content_type: take.type, size: take.blob.size });
          sent.bytes = false;
        }
        if (!sent.bytes) {
          await sendBytes(take.blob, sent.clip.upload, take.type.split(";")[0], (fraction) => showUpload(words.uploading, fraction));
          sent.bytes = true;
        }
        showUpload(words.checking, 1);
        await post(sent.clip.complete);
      }
      showUpload(words.done, 1);
      take = null; // nothing left to lose: leaving the page is fine now
      location.assign(answer.thanks);
    } catch (error) {
      failed(error);
    } finally {
      sent.busy = false;
    }
  }

  function failed(error) {
    const stored = !!sent.answer;
    // An upload that expired or went (a bucket says 403 then) is started again on a retry.
    const expired = stored && [403, 404, 410].includes(error.status);
    // A refused file stays refused; a cut connection, a busy server or an early finish may not.
    const again = error.interrupted || error.status === 0 || error.status === 429
      || error.status >= 500 || error.code === "not_received" || expired;
    if (!stored && error.status === 422 && error.json) {
      // The form itself is not right (the server's words): fix it, then send again.
      sent.fields = null;
      lock(false);
      setState(before);
      upload.hidden = true;
      return formErrors(error.message);
    }
    if (!stored && !again) {
      // Not something the recording can help with (a closed question): the plain form
      // shows the page the app has for it, with what was typed kept.
      take = null;
      clipKind.value = "";
      lock(false);
      return HTMLFormElement.prototype.submit.call(form);
    }
    if (expired) sent.clip = null;
    if (error.code === "not_received") sent.bytes = false;
    if (error.code === "clip_not_awaited") return location.assign(sent.answer.thanks);
    let text = words.not_sent;
    if (stored) text = again ? words.interrupted : `${words.refused} ${error.message}`.trim();
    upload.hidden = false;
    progress.hidden = true;
    status.textContent = text;
    status.className = "small is-error";
    submit.hidden = true; // "Try again" is the one way on
    actions.hidden = false;
    retry.hidden = !again;
    retry.disabled = false;
    if (stored) {
      skip.href = sent.answer.thanks;
      skip.hidden = false;
    }
    (again ? retry : skip).focus();
  }

  form.addEventListener("submit", async (event) => {
    if (!take && state !== "recording") {
      if (state !== "idle") reset(); // a camera left on is not an answer
      return; // the plain form POST
    }
    event.preventDefault();
    if (state === "recording") {
      await new Promise((resolve) => { tookOver = resolve; stop(); });
      tookOver = null;
    }
    send();
  });
  retry.addEventListener("click", send);
  for (const b of recordButtons) {
    b.hidden = false;
    b.addEventListener("click", () => open(b.dataset.record));
  }
  fileBox.hidden = false;
  fileInput.addEventListener("change", pick);
  button("start").addEventListener("click", start);
  button("stop").addEventListener("click", () => stop(false));
  button("again").addEventListener("click", again);
  button("remove").addEventListener("click", reset);
  button("cancel").addEventListener("click", reset);
  window.addEventListener("beforeunload", (event) => {
    if (take) {
      event.preventDefault();
      event.returnValue = words.leave;
    }
  });
  window.addEventListener("pagehide", stopCamera);
}
