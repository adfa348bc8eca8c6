// Uploading a clip: ask the app for upload instructions, send the bytes where they say (straight
// to the bucket in s3 mode; in local mode to the app's upload capability URL, which needs no
// login or CSRF token: the signed link is the permission) with progress, then one call that
// checks the file and attaches it to the question.
//
//   const result = await uploadClip(blob, { filename, contentType, attachUrl, onProgress, onStage });
//
// Every failure is an UploadError whose message is the app's own (it says what to do next), or
// `interrupted` for a broken connection, so the page can offer to try again.

export class UploadError extends Error {
  constructor(message, { interrupted = false, status = 0 } = {}) {
    super(message);
    this.name = "UploadError";
    this.interrupted = interrupted;
    this.status = status;
  }
}

/** The CSRF token the page carries in <meta name="csrf-token">. */
export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

/** POST JSON to the app; the parsed answer, or an UploadError with the app's message. */
export async function postJson(url, body = {}) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken(),
      },
      body: JSON.stringify(body),
    });
  } catch {
    throw new UploadError("", { interrupted: true });
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = (data.error && data.error.message) || `${response.status} ${response.statusText}`;
    throw new UploadError(message, { status: response.status });
  }
  return data;
}

function sameOrigin(url) {
  return new URL(url, window.location.href).origin === window.location.origin;
}

/**
 * Send `blob` as the instructions say. A presigned POST (fields given) is multipart with the
 * fields first and the file last, as S3 requires; the app's own URL takes the raw bytes.
 */
export function sendBytes(blob, upload, contentType, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(upload.method || "POST", upload.url);
    const fields = upload.fields || {};
    let body;
    if (Object.keys(fields).length) {
      body = new FormData();
      for (const [name, value] of Object.entries(fields)) body.append(name, value);
      body.append("file", blob);
    } else {
      body = blob;
      xhr.setRequestHeader("Content-Type", contentType || "application/octet-stream");
    }
    // Our own upload URL answers errors as JSON; a bucket answers XML whatever we ask.
    if (sameOrigin(upload.url)) xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable && onProgress) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        if (onProgress) onProgress(1);
        resolve();
        return;
      }
      let message = `${xhr.status} ${xhr.statusText}`;
      try {
        const data = JSON.parse(xhr.responseText);
        if (data.error && data.error.message) message = data.error.message;
      } catch {
        // S3 answers XML; keep the status line.
      }
      reject(new UploadError(message, { status: xhr.status }));
    });
    xhr.addEventListener("error", () => reject(new UploadError("", { interrupted: true })));
    xhr.addEventListener("abort", () => reject(new UploadError("", { interrupted: true })));
    xhr.send(body);
  });
}

/**
 * The whole journey of one clip. Stages reported through onStage: "uploading", "checking"
 * (the app checks the file and attaches it, in one call), "done".
 * Resolves to { mediaId, status, redirect }.
 */
export async function uploadClip(
  blob,
  { filename, contentType, language, attachUrl, onProgress, onStage },
) {
  const stage = onStage || (() => {});
  const type = (contentType || blob.type || "application/octet-stream").split(";")[0].trim();
  stage("uploading");
  const created = await postJson("/app/media/uploads", {
    filename,
    content_type: type,
    size: blob.size,
    language,
    purpose: "question",
  });
  const mediaId = created.media_id;
  await sendBytes(blob, created.upload, type, onProgress);
  stage("checking");
  const attached = await postJson(attachUrl, { media_id: mediaId });
  stage("done");
  return { mediaId, status: attached.status, redirect: attached.redirect };
}
