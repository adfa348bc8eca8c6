"""The acceptance of video questions, in Chromium with a fake camera: a staff member records a
3-second question, keeps it, publishes it; the tenant preview plays an MP4 of about 3 seconds
(the stored rendition is probed) with a poster. Then the same in s3 mode against moto, where
the app's request log proves the recording never went through the app.

Tasks run inline in the live servers: the clip is processed during the upload's "complete"
request, so the question page shows the player when the recorder hands over.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from panel.questions.models import Question
from tests.browser.test_login import log_in
from tests.factories import PASSWORD, OrganisationFactory, UserFactory
from tests.fixtures.browser import PHONE, LiveServer, screenshot, serve

pytestmark = pytest.mark.browser

RECORD_SECONDS = 3
PROMPT = (
    "Hej! Jag heter Anna och jobbar med förvaltningen. Vi vill veta hur du trivs i ditt "
    "trapphus: är det rent, tryggt och väl upplyst? Ge ett betyg och berätta gärna varför."
)


# --- helpers ------------------------------------------------------------------------------------


@dataclass
class RequestLog:
    """The JSON lines of the app's request log (``stoop.request``) while it is attached."""

    lines: list[dict[str, Any]] = field(default_factory=list)

    def largest(self) -> dict[str, Any]:
        return max(self.lines, key=lambda line: line.get("length") or 0)


class _Collector(logging.Handler):
    def __init__(self, log: RequestLog) -> None:
        super().__init__()
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        self.log.lines.append(dict(getattr(record, "fields", {})))


@contextlib.contextmanager
def request_log() -> Iterator[RequestLog]:
    log = RequestLog()
    handler = _Collector(log)
    logger = logging.getLogger("stoop.request")
    logger.addHandler(handler)
    try:
        yield log
    finally:
        logger.removeHandler(handler)


def make_staff(server: LiveServer, organisation_name: str) -> str:
    with server.app_context():
        organisation = OrganisationFactory(name=organisation_name, default_language="sv")
        user = UserFactory(organisation=organisation, name="Anna Berg")
        return user.email


def ffprobe_seconds(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(out.stdout)["format"]["duration"])


def stored_rendition_seconds(server: LiveServer, question_id: int, rendition: str) -> float:
    """Download the question's stored rendition through the storage and probe it."""
    from media.storage import current_storage

    with server.app_context() as session:
        question = session.get(Question, question_id)
        key = question.media.renditions[rendition]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / Path(key).name
            current_storage().download(key, path)
            return ffprobe_seconds(path)


def create_question(page: Any, title: str, shot: str | None = None) -> int:
    """From the list's call to action to the recorder page of a new question."""
    page.goto("/app/questions")
    page.get_by_role("link", name=re.compile("Record your first question|New question")).click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Written question").fill(PROMPT)
    if shot:
        screenshot(page, shot)
    page.get_by_role("button", name="Save and record the video").click()
    page.wait_for_url(re.compile(r"/app/questions/\d+/video$"))
    return int(re.search(r"/app/questions/(\d+)/video", page.url).group(1))


def record(page: Any, seconds: int, shot: str | None = None) -> None:
    """Turn the camera on, count down, record ``seconds``, stop."""
    turn_on = page.get_by_role("button", name="Turn on camera and microphone")
    if turn_on.is_visible():
        turn_on.click()
    page.get_by_role("button", name="Start recording").click()
    page.locator(".recorder-countdown").get_by_text("3").wait_for()
    stop = page.get_by_role("button", name="Stop")
    stop.wait_for(timeout=6_000)
    assert page.locator("[data-teleprompter]").is_visible(), "the prompt shows while recording"
    page.locator("[data-timer]").get_by_text(f"0:{seconds - 1:02d}").wait_for(timeout=10_000)
    if shot:
        screenshot(page, shot)
    page.locator("[data-timer]").get_by_text(f"0:{seconds:02d}").wait_for(timeout=5_000)
    stop.click()
    page.get_by_role("button", name="Keep this take").wait_for()


def keep_and_wait_for_the_question(page: Any, question_id: int) -> None:
    """Keep the take; the page uploads it and hands over to the question page (or says why
    not, which then fails the test with the page's own words)."""
    page.get_by_role("button", name="Keep this take").click()
    page.wait_for_function(
        """(path) => location.pathname === path
            || !!document.querySelector("[data-message].is-error")""",
        arg=f"/app/questions/{question_id}",
        timeout=60_000,
    )
    error = page.locator("[data-message].is-error")
    if error.count():
        pytest.fail(f"the upload failed: {error.text_content()}")
    page.locator(".player-card video").wait_for()


def write_captions(page: Any, server: LiveServer, question_id: int) -> None:
    """Add a caption line where the video is, save it; the player gets the captions track."""
    page.get_by_role("button", name="Add a line here").click()
    page.get_by_label("Line 1: What is said").fill("Hej! Hur trivs du i trapphuset?")
    page.locator(".cue").first.get_by_label("End").fill("0:02.5")
    page.locator(".cue").first.get_by_label("End").dispatch_event("change")
    page.get_by_role("button", name="Save captions").click()
    page.get_by_text("Saved. The video shows the new captions.").wait_for()
    assert page.locator(".player-card video track[kind=captions]").count() == 1
    assert page.locator("[data-cue-count]").text_content() == "1 line"
    with server.app_context() as session:
        vtt = session.get(Question, question_id).media.captions_vtt
    assert vtt == "WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nHej! Hur trivs du i trapphuset?\n"


def publish(page: Any) -> None:
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Your question is live").wait_for()


def check_preview(page: Any, question_id: int) -> dict[str, Any]:
    """Open the tenant preview; the video's MP4 source, poster, and what the browser plays."""
    page.goto(f"/app/questions/{question_id}/preview")
    video = page.locator("video.tenant-player")
    video.wait_for()
    source = video.locator("source[type='video/mp4']").get_attribute("src")
    poster = video.get_attribute("poster")
    assert source and poster, "the preview's video needs an MP4 source and a poster"
    # As on the tenant pages, nothing of the clip loads before it is played: ask for it here.
    assert page.evaluate("document.querySelector('video.tenant-player').readyState") == 0
    assert video.get_attribute("preload") == "none"
    video.evaluate("v => { v.preload = 'metadata'; v.load(); }")
    page.wait_for_function(
        "() => document.querySelector('video.tenant-player').readyState >= 1", timeout=15_000
    )
    played = page.evaluate("document.querySelector('video.tenant-player').duration")
    poster_ok = page.evaluate(
        """(src) => new Promise((done) => {
            const image = new Image();
            image.onload = () => done(image.naturalWidth > 0);
            image.onerror = () => done(false);
            image.src = src;
        })""",
        poster,
    )
    return {"source": source, "poster": poster, "played": played, "poster_ok": poster_ok}


# --- local mode -----------------------------------------------------------------------------------


def test_record_keep_publish_and_preview(live_server, page, console_errors):
    email = make_staff(live_server, "Bostäder Syd")
    log_in(page, email, PASSWORD)
    page.goto("/app/questions")
    assert page.get_by_text("Record your first question").is_visible()
    screenshot(page, "questions-empty-state")

    question_id = create_question(page, "Hur trivs du i trapphuset?", shot="question-form")
    with request_log() as log:
        record(page, RECORD_SECONDS, shot="recorder-recording-desktop")
        recorder = page.locator("[data-recorder]")
        kept_type = recorder.get_attribute("data-take-type")
        kept_bytes = int(recorder.get_attribute("data-take-bytes"))
        assert kept_type.startswith("video/"), kept_type
        keep_and_wait_for_the_question(page, question_id)

    # In local mode the bytes come to the app, streamed to the upload route.
    upload = log.largest()
    assert upload["endpoint"] == "media.receive_upload" and upload["length"] == kept_bytes
    write_captions(page, live_server, question_id)
    screenshot(page, "question-page-with-player")
    publish(page)

    seen = check_preview(page, question_id)
    assert re.search(r"/media/[\w-]+/mp4$", seen["source"])
    assert seen["poster_ok"], "the poster image loads"
    assert abs(seen["played"] - RECORD_SECONDS) < 0.8, seen
    assert abs(stored_rendition_seconds(live_server, question_id, "mp4") - RECORD_SECONDS) < 0.8

    page.goto("/app/questions")
    page.get_by_text("Hur trivs du i trapphuset?").wait_for()
    screenshot(page, "questions-list")
    assert console_errors == []


def test_recording_on_a_phone_in_portrait(live_server, phone_page):
    email = make_staff(live_server, "Bostäder Öst")
    log_in(phone_page, email, PASSWORD)
    question_id = create_question(phone_page, "Vad tycker du om gården?")

    record(phone_page, 2, shot="recorder-recording-phone")

    preview = phone_page.locator("[data-playback]").bounding_box()
    assert preview["width"] >= PHONE["width"] - 48, "the recording fills the phone's width"
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the recorder is {width}px wide on a 390px phone"

    keep_and_wait_for_the_question(phone_page, question_id)
    publish(phone_page)
    seen = check_preview(phone_page, question_id)
    assert seen["poster_ok"] and abs(seen["played"] - 2) < 0.8
    screenshot(phone_page, "preview-on-a-phone")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_blocked_camera_says_what_to_do(live_server, browser):
    email = make_staff(live_server, "Bostäder Norr")
    context = browser.new_context(base_url=live_server.url, permissions=[])
    page = context.new_page()
    # A camera the person refused: getUserMedia rejects as browsers do.
    page.add_init_script(
        """navigator.mediaDevices.getUserMedia = () =>
            Promise.reject(new DOMException("Permission denied", "NotAllowedError"));"""
    )
    try:
        log_in(page, email, PASSWORD)
        create_question(page, "Blockerad kamera")
        page.get_by_role("button", name="Turn on camera and microphone").click()
        message = page.locator("[data-message]")
        message.get_by_text("not allowed to use the camera").wait_for()
        assert "upload a file instead" in message.text_content()
        assert page.get_by_label("Video or audio file").is_enabled()
    finally:
        context.close()


def test_a_file_that_is_not_a_video_is_refused_on_the_page(live_server, page, tmp_path):
    email = make_staff(live_server, "Bostäder Mitt")
    log_in(page, email, PASSWORD)
    question_id = create_question(page, "Fel fil")
    fake = tmp_path / "inte-en-film.webm"
    fake.write_text("Det här är en textfil, ingen film.\n" * 30)

    page.get_by_label("Video or audio file").set_input_files(str(fake))
    page.get_by_role("button", name="Upload this file").click()

    message = page.locator("[data-message].is-error")
    message.wait_for()
    assert "text, not a video or audio recording" in message.text_content()
    screenshot(page, "recorder-refused-file")
    with live_server.app_context() as session:
        assert session.get(Question, question_id).media_id is None


# --- s3 mode --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_live_server(database_factory, tmp_path_factory, s3_server) -> Iterator[LiveServer]:
    """The app in s3 mode (a fresh bucket on the moto server), served like ``live_server``."""
    from panel.app import create_app
    from tests.conftest import free_port, make_test_settings

    port = free_port()
    settings = make_test_settings(
        tmp_path_factory.mktemp("live-s3"),
        database_factory(),
        base_url=f"http://127.0.0.1:{port}",
        media_backend="s3",
        s3_bucket=s3_server.create_bucket(),
        s3_endpoint_url=s3_server.endpoint_url,
        media_keep_original=True,  # so the test can compare what reached the bucket
    )
    yield from serve(create_app(settings), port, name="live-s3")


def test_the_same_in_s3_mode_without_the_bytes_touching_the_app(s3_live_server, s3_server, browser):
    from panel.core.extensions import limiter

    limiter.reset()
    email = make_staff(s3_live_server, "Bostäder Väst")
    context = browser.new_context(
        base_url=s3_live_server.url, viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    to_bucket: list[Any] = []
    page.on(
        "request",
        lambda r: to_bucket.append(r) if r.url.startswith(s3_server.endpoint_url) else None,
    )
    try:
        log_in(page, email, PASSWORD)
        question_id = create_question(page, "Hur är städningen?")
        with request_log() as log:
            record(page, RECORD_SECONDS)
            kept_bytes = int(page.locator("[data-recorder]").get_attribute("data-take-bytes"))
            keep_and_wait_for_the_question(page, question_id)
        publish(page)
        seen = check_preview(page, question_id)
    finally:
        context.close()

    # The recording went from the browser to the bucket in one POST (kept there as the
    # original, byte for byte)...
    assert [r.method for r in to_bucket if r.method == "POST"] == ["POST"]
    bucket = s3_live_server.app.config["STOOP"].s3_bucket
    with s3_live_server.app_context() as session:
        media = session.get(Question, question_id).media
        original = s3_server.client().head_object(Bucket=bucket, Key=media.original_key)
        prefix = media.storage_prefix
    assert original["ContentLength"] == kept_bytes
    # ...and no request to the app carried anything like it.
    assert kept_bytes > 50_000
    assert log.lines and log.largest()["length"] < 2_000, log.largest()
    assert not [line for line in log.lines if line.get("endpoint") == "media.receive_upload"]

    # The preview plays the stored MP4 through a short-lived presigned URL.
    assert re.search(r"/media/[\w-]+/mp4$", seen["source"])
    assert seen["poster_ok"]
    assert abs(seen["played"] - RECORD_SECONDS) < 0.8, seen
    assert abs(stored_rendition_seconds(s3_live_server, question_id, "mp4") - RECORD_SECONDS) < 0.8
    listed = s3_server.client().list_objects_v2(Bucket=bucket, Prefix=prefix)
    names = {Path(item["Key"]).name for item in listed.get("Contents", [])}
    assert names >= {"video.mp4", "poster.jpg", "audio.mp3"}
