// The caption editor on the question page: a list of lines (start, end, text) edited while the
// video plays. "Start here" / "End here" take the video's current time; "Add a line here"
// starts a line where the video is. Saved as a list of cues, which the app checks (a problem
// names the line) and stores as WebVTT; then the player's captions track is reloaded so the
// new captions show at once.
//
// Markup: [data-captions-editor data-save-url data-video data-vtt-url] with [data-cues] and
// [data-messages] (JSON), [data-cue-list], [data-cue-empty], [data-add-cue], [data-save-cues],
// [data-captions-status].

import { postJson } from "./uploader.js";

const DEFAULT_LENGTH = 3;

const editor = document.querySelector("[data-captions-editor]");
if (editor) setUp(editor);

/** 62.5 → "1:02.5" */
export function formatTime(seconds) {
  const tenths = Math.round(Math.max(0, seconds) * 10);
  const minutes = Math.floor(tenths / 600);
  const rest = (tenths % 600) / 10;
  return `${minutes}:${rest.toFixed(1).padStart(4, "0")}`;
}

/** "1:02.5", "62.5", "00:01:02.500" → seconds, or NaN. */
export function parseTime(text) {
  const parts = String(text).trim().replace(",", ".").split(":");
  if (!parts.length || parts.length > 3 || parts.some((p) => !/^\d+(\.\d+)?$/.test(p))) return NaN;
  return parts.reduce((total, part) => total * 60 + Number(part), 0);
}

function setUp(editor) {
  const messages = JSON.parse(editor.querySelector("[data-messages]").textContent);
  const video = document.querySelector(editor.dataset.video);
  const list = editor.querySelector("[data-cue-list]");
  const empty = editor.querySelector("[data-cue-empty]");
  const status = editor.querySelector("[data-captions-status]");
  let cues = JSON.parse(editor.querySelector("[data-cues]").textContent || "[]");
  let serial = 0;

  function element(tag, props = {}, children = []) {
    const node = document.createElement(tag);
    Object.assign(node, props);
    for (const child of children) node.append(child);
    return node;
  }

  function timeField(cue, which, label) {
    serial += 1;
    const id = `cue-${which}-${serial}`;
    const input = element("input", {
      id,
      type: "text",
      inputMode: "decimal",
      className: "cue-time",
      value: formatTime(cue[which]),
      autocomplete: "off",
    });
    input.addEventListener("change", () => {
      cue[which] = parseTime(input.value);
      input.setAttribute("aria-invalid", Number.isNaN(cue[which]) ? "true" : "false");
    });
    const here = element("button", {
      type: "button",
      className: "secondary small",
      textContent: which === "start" ? messages.startHere : messages.endHere,
    });
    here.addEventListener("click", () => {
      cue[which] = Math.round(video.currentTime * 10) / 10;
      input.value = formatTime(cue[which]);
      input.setAttribute("aria-invalid", "false");
    });
    return element("div", { className: "cue-time-field" }, [
      element("label", { htmlFor: id, textContent: label }),
      input,
      here,
    ]);
  }

  function row(cue, index) {
    serial += 1;
    const textId = `cue-text-${serial}`;
    const text = element("textarea", { id: textId, rows: 2, value: cue.text });
    text.addEventListener("input", () => {
      cue.text = text.value;
    });
    const play = element("button", {
      type: "button",
      className: "linklike",
      textContent: messages.play,
    });
    play.addEventListener("click", () => {
      if (!Number.isNaN(cue.start)) video.currentTime = cue.start;
      video.play().catch(() => {});
    });
    const remove = element("button", {
      type: "button",
      className: "linklike danger-text",
      textContent: messages.remove,
    });
    remove.addEventListener("click", () => {
      cues = cues.filter((c) => c !== cue);
      render();
    });
    const item = element("li", { className: "cue" }, [
      element("div", { className: "cue-times" }, [
        timeField(cue, "start", messages.start),
        timeField(cue, "end", messages.end),
      ]),
      element("div", { className: "field" }, [
        element("label", {
          htmlFor: textId,
          className: "visually-hidden",
          textContent: `${messages.line.replace("{n}", index + 1)}: ${messages.text}`,
        }),
        text,
      ]),
      element("div", { className: "cue-actions" }, [play, remove]),
    ]);
    cue.node = item;
    cue.focus = () => text.focus();
    return item;
  }

  function render() {
    list.replaceChildren(...cues.map(row));
    empty.hidden = cues.length > 0;
  }

  function addHere() {
    const start = Math.round(video.currentTime * 10) / 10;
    const limit = Number.isFinite(video.duration) ? video.duration : start + DEFAULT_LENGTH;
    const cue = { start, end: Math.min(start + DEFAULT_LENGTH, limit) || start + 1, text: "" };
    cues.push(cue);
    cues.sort((a, b) => a.start - b.start);
    render();
    cue.focus();
  }

  function problems() {
    const found = [];
    cues.forEach((cue, index) => {
      const line = messages.line.replace("{n}", index + 1);
      if (Number.isNaN(cue.start) || Number.isNaN(cue.end)) found.push(`${line}: ${messages.badTime}`);
      else if (cue.end <= cue.start) found.push(`${line}: ${messages.order}`);
      if (!cue.text.trim()) found.push(`${line}: ${messages.noText}`);
    });
    return found;
  }

  function reloadTrack() {
    const old = video.querySelector("track");
    const track = document.createElement("track");
    track.kind = "captions";
    track.default = true;
    track.srclang = old ? old.srclang : document.documentElement.lang;
    track.label = old ? old.label : "";
    track.src = `${editor.dataset.vttUrl}?v=${Date.now()}`;
    if (old) old.remove();
    if (cues.length) {
      video.append(track);
      track.track.mode = "showing";
    }
  }

  async function save() {
    const found = problems();
    if (found.length) {
      status.textContent = `${messages.failed} ${found.join("; ")}`;
      status.className = "small error";
      return;
    }
    cues.sort((a, b) => a.start - b.start);
    status.textContent = messages.saving;
    status.className = "small muted";
    try {
      const lines = cues.map(({ start, end, text }) => ({ start, end, text: text.trim() }));
      await postJson(editor.dataset.saveUrl, { cues: lines });
    } catch (error) {
      status.textContent = error.interrupted ? messages.offline : `${messages.failed} ${error.message}`;
      status.className = "small error";
      return;
    }
    render();
    reloadTrack();
    const count = document.querySelector("[data-cue-count]");
    if (count) {
      count.textContent =
        cues.length === 1 ? messages.oneLine : messages.lines.replace("{n}", cues.length);
    }
    status.textContent = messages.saved;
    status.className = "small ok";
  }

  // The line being spoken is marked while the video plays.
  video.addEventListener("timeupdate", () => {
    const now = video.currentTime;
    for (const cue of cues) {
      if (cue.node) cue.node.classList.toggle("is-current", now >= cue.start && now < cue.end);
    }
  });
  editor.querySelector("[data-add-cue]").addEventListener("click", addHere);
  editor.querySelector("[data-save-cues]").addEventListener("click", save);
  render();
  editor.hidden = false;
}
