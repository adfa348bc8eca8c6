"""The acceptance of answering on a phone, in Chromium with a fake camera and microphone: a text,
a score, a choice, a recorded 3-second video (recorded twice: the first take is thrown away)
and a recorded voice clip, through a personal link or a touchpoint; each answer is in the
database with its channel, place and consent, each clip transcoded (tasks run inline in the
live server: processing happens while the upload is finished). A picked file goes the same way.
Without JavaScript a text and a score still go through. An upload cut half-way leaves the
answer stored and the page offers a retry that completes it, for the same answer. And the same
in s3 mode, where the clip goes straight to the bucket.

Screenshots of every step go to ``test-artifacts/answer-*.png``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from media.models import MediaStatus
from media.service import media_urls
from panel.answers.models import Answer
from panel.contacts.models import Contact
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.places.service import ensure_path
from panel.questions.models import QuestionStatus
from panel.sends.models import Invitation
from panel.sends.service import new_token
from tests.browser.test_accessibility import axe_violations
from tests.factories import OrganisationFactory, UserFactory
from tests.fixtures.browser import PHONE, LiveServer, screenshot, serve
from tests.questions.conftest import make_question
from touchpoints.service import create_touchpoint

pytestmark = pytest.mark.browser

TITLE = "How do you like your stairwell?"
CHOICES = ["Very good", "Good enough", "Not good"]
RECORD_SECONDS = 3


@dataclass
class Site:
    """An organisation with a live question, a tenant's personal links, two touchpoints."""

    question_id: int
    stairwell_id: int
    contact_id: int
    flyer_slug: str  # a QR flyer in the stairwell
    link_slug: str  # a link with no place: the page offers the picker
    server: LiveServer

    def invitation(self, channel: str = "email") -> str:
        """A new personal link (``/a/<token>``) of the tenant, as an e-mail or SMS brings it."""
        with self.server.app_context() as session:
            now = utcnow()
            invitation = Invitation(
                organisation_id=session.get(Contact, self.contact_id).organisation_id,
                token=new_token(),
                question_id=self.question_id,
                contact_id=self.contact_id,
                channel=channel,
                created_at=now,
                expires_at=now + dt.timedelta(days=30),
            )
            session.add(invitation)
            session.commit()
            return f"/a/{invitation.token}"


def make_site(server: LiveServer, **org_settings: Any) -> Site:
    with server.app_context() as session:
        org = OrganisationFactory(
            name="Ängsbacken Housing", default_language="en", settings=org_settings
        )
        staff = UserFactory(organisation=org, name="Anna Berg")
        question = make_question(
            staff,
            title=TITLE,
            prompt="Tell us how it is to live here: is it clean, safe and well lit?",
            language="en",
            status=QuestionStatus.LIVE,
            published_at=utcnow(),
            answer_modes=["score", "text", "choice", "video", "audio"],
            choices=CHOICES,
        )
        with scoped_to(session, org.id):
            stairwell, _ = ensure_path(session, ["Ängsbacken", "Ängsbacksvägen 3", "Stairwell B"])
            contact = Contact(
                organisation_id=org.id,
                name="Zeynep Yılmaz",
                email="zeynep@example.net",
                language="en",
                place_id=stairwell.id,
            )
            session.add(contact)
            flyer = create_touchpoint(
                session,
                {"name": "Flyer in stairwell B", "kind": "qr", "place_id": stairwell.id},
                [(question.id, dt.date(2020, 1, 1))],
            )
            link = create_touchpoint(
                session, {"name": "Website", "kind": "link"}, [(question.id, dt.date(2020, 1, 1))]
            )
            session.commit()
        return Site(question.id, stairwell.id, contact.id, flyer.slug, link.slug, server)


@pytest.fixture(scope="module")
def site(live_server: LiveServer) -> Site:
    return make_site(live_server)


def answers(server: LiveServer) -> list[Answer]:
    with server.app_context() as session:
        rows = list(session.scalars(sa.select(Answer).order_by(Answer.id)))
        for row in rows:
            _ = row.media  # loaded while the session is open
        session.expunge_all()
        return rows


def new_answer(server: LiveServer, before: list[Answer]) -> Answer:
    seen = {a.id for a in before}
    fresh = [a for a in answers(server) if a.id not in seen]
    assert len(fresh) == 1, f"expected one new answer, found {len(fresh)}"
    return fresh[0]


def send(page: Any, shot: str, during: str | None = None) -> None:
    """Press send; the page goes to the thank-you page (or the test fails with its words).
    ``during``: a screenshot of the upload's progress too (the clip is transcoded while the
    upload is finished, so the bar stays for a second or two)."""
    page.get_by_role("button", name="Send my answer").tap()
    if during:
        page.locator(".answer-upload progress").wait_for(state="visible")
        screenshot(page, during, full_page=False)
    page.wait_for_function(
        """() => location.pathname.startsWith("/thanks/")
            || !!document.querySelector(".answer-upload .is-error, #answer-errors")""",
        timeout=60_000,
    )
    problem = page.locator(".answer-upload .is-error, #answer-errors")
    if problem.count() and "/thanks/" not in page.url:
        pytest.fail(f"the answer was not sent: {problem.first.text_content()}")
    page.get_by_role("heading", name="Thank you for your answer!").wait_for()
    screenshot(page, shot)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def record(page: Any, seconds: int, shot: str | None = None) -> None:
    """Start recording (the camera or microphone is on), wait ``seconds`` on the timer, stop."""
    page.get_by_role("button", name="Start recording").tap()
    timer = page.locator("[data-timer]")
    timer.get_by_text(f"0:{seconds - 1:02d}").wait_for(timeout=10_000)
    if shot:
        screenshot(page, shot)
    timer.get_by_text(f"0:{seconds:02d}").wait_for(timeout=5_000)
    page.get_by_role("button", name="Stop").tap()


def fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"


def check_clip(answer: Answer, kind: str, seconds: float) -> None:
    media = answer.media
    assert media is not None, "the clip is attached to the answer"
    assert answer.clip_kind == kind and media.kind == kind and media.purpose == "answer"
    assert media.status == MediaStatus.READY, (media.status, media.error)
    assert abs(media.duration_seconds - seconds) < 0.9, media.duration_seconds
    expected = {"mp4", "audio"} | ({"poster"} if kind == "video" else set())
    assert set(media.renditions) == expected
    assert set(media_urls(media)) == expected


# --- text, score, choice ------------------------------------------------------------------------


def test_a_text_answer_on_a_qr_flyer(live_server, site, phone_page):
    before = answers(live_server)
    phone_page.goto(f"/t/{site.flyer_slug}?src=qr")
    screenshot(phone_page, "answer-text-1-page")
    fits(phone_page)
    assert phone_page.get_by_role("button", name="Answer with a video").is_visible()
    text = "The stairwell is clean, but the lamp on the third floor blinks."
    phone_page.get_by_label("Tell us why (optional)").fill(text)
    phone_page.get_by_text("My words may be quoted, without my name, in reports").tap()
    screenshot(phone_page, "answer-text-2-filled")
    send(phone_page, "answer-text-3-thanks")

    answer = new_answer(live_server, before)
    assert answer.text == text and answer.score is None and answer.clip_kind is None
    assert answer.channel == "qr" and answer.place_id == site.stairwell_id
    assert (answer.consent_identity, answer.consent_quote, answer.consent_show_clip) == (
        False,
        True,
        False,
    )


def test_a_score_through_a_personal_link(live_server, site, phone_page):
    before = answers(live_server)
    phone_page.goto(site.invitation("email"))
    phone_page.locator(".score-option").filter(has_text=re.compile("^8$")).tap()
    phone_page.get_by_text("Anna Berg may see who answered").tap()
    screenshot(phone_page, "answer-score-1-chosen")
    send(phone_page, "answer-score-2-thanks")

    answer = new_answer(live_server, before)
    assert answer.score == 8 and answer.text is None
    assert answer.channel == "email" and answer.contact_id == site.contact_id
    assert answer.place_id == site.stairwell_id  # the tenant's own place
    assert (answer.consent_identity, answer.consent_quote) == (True, False)


def test_a_choice_with_a_place_picked(live_server, site, phone_page):
    before = answers(live_server)
    phone_page.goto(f"/t/{site.link_slug}")
    phone_page.get_by_text("Good enough").tap()
    phone_page.get_by_label("Where do you live? (optional)").select_option(
        label="Ängsbacken / Ängsbacksvägen 3 / Stairwell B"
    )
    screenshot(phone_page, "answer-choice-1-chosen")
    send(phone_page, "answer-choice-2-thanks")

    answer = new_answer(live_server, before)
    assert answer.choice == "Good enough" and answer.channel == "web"
    assert answer.place_id == site.stairwell_id and answer.contact_id is None
    assert not (answer.consent_identity or answer.consent_quote or answer.consent_show_clip)


# --- recorded clips -----------------------------------------------------------------------------


def test_a_recorded_video_after_one_take_thrown_away(live_server, site, phone_page):
    before = answers(live_server)
    phone_page.goto(site.invitation("sms"))
    phone_page.get_by_role("button", name="Answer with a video").tap()
    phone_page.get_by_role("button", name="Start recording").wait_for()
    phone_page.locator("[data-live]").wait_for()
    screenshot(phone_page, "answer-video-1-camera-on")
    fits(phone_page)

    # A first take, thrown away.
    record(phone_page, 1)
    phone_page.get_by_role("button", name="Record again").tap()
    record(phone_page, RECORD_SECONDS, shot="answer-video-2-recording")
    playback = phone_page.locator("[data-playback-video]")
    playback.wait_for()
    phone_page.wait_for_function(
        "document.querySelector('[data-playback-video]').readyState >= 1", timeout=10_000
    )
    box = playback.bounding_box()
    assert box and box["width"] >= PHONE["width"] - 48, "the recording fills the phone's width"
    phone_page.get_by_label("Tell us why (optional)").fill("Look at the broken lamp.")
    phone_page.get_by_text("My recording may be shown to colleagues or at a workshop").tap()
    screenshot(phone_page, "answer-video-3-recorded")
    fits(phone_page)
    taken = float(phone_page.locator("form.tenant-answer").get_attribute("data-take-seconds"))
    assert abs(taken - RECORD_SECONDS) < 0.9
    send(phone_page, "answer-video-5-thanks", during="answer-video-4-sending")

    answer = new_answer(live_server, before)
    assert answer.text == "Look at the broken lamp." and answer.channel == "sms"
    assert answer.place_id == site.stairwell_id and answer.consent_show_clip
    check_clip(answer, "video", RECORD_SECONDS)
    assert answer.media.width and answer.media.height


def test_a_recorded_voice_clip_on_a_flyer(live_server, site, phone_page):
    before = answers(live_server)
    phone_page.goto(f"/t/{site.flyer_slug}?src=qr")
    phone_page.get_by_role("button", name="Answer with your voice").tap()
    phone_page.get_by_role("button", name="Start recording").wait_for()
    assert not phone_page.locator("[data-live]").is_visible(), "no camera for a voice answer"
    screenshot(phone_page, "answer-audio-1-microphone-on")
    record(phone_page, RECORD_SECONDS, shot="answer-audio-2-recording")
    phone_page.locator("[data-playback-audio]").wait_for()
    phone_page.locator(".score-option").filter(has_text=re.compile("^4$")).tap()
    screenshot(phone_page, "answer-audio-3-recorded")
    fits(phone_page)
    send(phone_page, "answer-audio-4-thanks")

    answer = new_answer(live_server, before)
    assert answer.score == 4 and answer.channel == "qr" and answer.place_id == site.stairwell_id
    check_clip(answer, "audio", RECORD_SECONDS)
    assert answer.media.width is None


def test_a_recording_picked_from_the_phone(live_server, site, phone_page, tmp_path):
    from tests.media.conftest import LAVFI_AUDIO, LAVFI_VIDEO, ffmpeg

    clip = tmp_path / "VID_20260301_141516.mp4"
    ffmpeg("-f", "lavfi", "-i", LAVFI_VIDEO, "-f", "lavfi", "-i", LAVFI_AUDIO, "-t", "2",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
           "-movflags", "+faststart", str(clip))  # fmt: skip
    before = answers(live_server)
    phone_page.goto(f"/t/{site.link_slug}")
    # The recorder's module loads after the page: pick the file once it listens (it shows the
    # record buttons then), as a person would.
    phone_page.get_by_role("button", name="Answer with a video").wait_for()
    phone_page.get_by_label("Or send a recording from your phone").set_input_files(str(clip))
    phone_page.get_by_text("This recording will be sent with your answer.").wait_for()
    screenshot(phone_page, "answer-picked-1-chosen")
    send(phone_page, "answer-picked-2-thanks")

    check_clip(new_answer(live_server, before), "video", 2)


def test_every_step_of_the_recorder_is_accessible(live_server, site, phone_page):
    phone_page.goto(f"/t/{site.flyer_slug}?src=qr")
    problems = [f"page: {v}" for v in axe_violations(phone_page)]
    for kind, name in (("video", "Answer with a video"), ("audio", "Answer with your voice")):
        phone_page.get_by_role("button", name=name).tap()
        start = phone_page.get_by_role("button", name="Start recording")
        start.wait_for()
        assert phone_page.evaluate("document.activeElement.dataset.clip") == "start"
        problems += [f"{kind} ready: {v}" for v in axe_violations(phone_page)]
        start.tap()
        phone_page.locator("[data-timer]").get_by_text("0:01").wait_for()
        problems += [f"{kind} recording: {v}" for v in axe_violations(phone_page)]
        phone_page.get_by_role("button", name="Stop").tap()
        phone_page.get_by_role("button", name="Remove the recording").wait_for()
        problems += [f"{kind} recorded: {v}" for v in axe_violations(phone_page)]
        phone_page.get_by_role("button", name="Remove the recording").tap()
        assert phone_page.get_by_role("button", name=name).is_visible()
    assert not problems, "\n".join(problems)


def test_a_blocked_camera_says_what_to_do_instead(live_server, site, phone_page):
    # A camera the person refused: getUserMedia rejects as browsers do.
    phone_page.add_init_script(
        """navigator.mediaDevices.getUserMedia = () =>
            Promise.reject(new DOMException("Permission denied", "NotAllowedError"));"""
    )
    phone_page.goto(f"/t/{site.flyer_slug}?src=qr")
    phone_page.get_by_role("button", name="Answer with a video").tap()
    message = phone_page.locator("[data-clip-message].is-error")
    message.wait_for()
    assert "did not allow the camera or microphone" in message.text_content()
    assert phone_page.get_by_label("Or send a recording from your phone").is_visible()
    assert phone_page.get_by_role("button", name="Answer with your voice").is_visible()
    screenshot(phone_page, "answer-camera-blocked")


# --- without JavaScript, and when the connection breaks ---------------------------------------


def test_without_javascript_a_text_and_a_score_go_through(live_server, site, browser):
    from panel.core.extensions import limiter

    limiter.reset()
    context = browser.new_context(
        base_url=live_server.url,
        viewport=PHONE,
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
        java_script_enabled=False,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    before = answers(live_server)
    try:
        page.goto(site.invitation("email"))
        assert not page.get_by_role("button", name="Answer with a video").is_visible()
        assert not page.locator(".answer-upload").is_visible()
        page.locator(".score-option").filter(has_text=re.compile("^6$")).tap()
        page.get_by_label("Tell us why (optional)").fill("Fine, but the door is heavy.")
        screenshot(page, "answer-nojs-1-filled")
        with page.expect_navigation():
            page.get_by_role("button", name="Send my answer").tap()
        page.get_by_role("heading", name="Thank you for your answer!").wait_for()
        screenshot(page, "answer-nojs-2-thanks")
    finally:
        context.close()

    answer = new_answer(live_server, before)
    assert (answer.score, answer.text) == (6, "Fine, but the door is heavy.")
    assert answer.channel == "email" and answer.clip_kind is None


def test_an_upload_cut_half_way_is_tried_again_for_the_same_answer(live_server, site, phone_page):
    cut: list[str] = []

    def cut_the_first(route: Any) -> None:
        if not cut:
            cut.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    phone_page.route("**/media/uploads/**", cut_the_first)
    before = answers(live_server)
    phone_page.goto(site.invitation("email"))
    text = "The lift has been broken for two weeks. " * 3
    phone_page.get_by_label("Tell us why (optional)").fill(text)
    phone_page.get_by_role("button", name="Answer with your voice").tap()
    record(phone_page, 2)
    phone_page.get_by_role("button", name="Send my answer").tap()

    retry = phone_page.get_by_role("button", name="Try again")
    retry.wait_for(timeout=30_000)
    message = phone_page.locator(".answer-upload [role=status]").text_content()
    assert "Your answer is saved, but the recording did not get through" in message
    screenshot(phone_page, "answer-retry-1-connection-lost")
    fits(phone_page)
    assert axe_violations(phone_page) == []
    # The answer is stored, with its text, and waits for its clip; the text is still on the page.
    stored = new_answer(live_server, before)
    assert stored.text == text.strip() and stored.awaits_clip and stored.media_id is None
    assert phone_page.get_by_label("Tell us why (optional)").input_value() == text
    assert cut, "the upload was cut"

    retry.tap()
    phone_page.get_by_role("heading", name="Thank you for your answer!").wait_for(timeout=60_000)
    screenshot(phone_page, "answer-retry-2-thanks")
    answer = new_answer(live_server, before)  # still one answer: the same
    assert answer.id == stored.id
    check_clip(answer, "audio", 2)


def test_an_answer_whose_send_was_cut_is_sent_again_with_everything(live_server, site, phone_page):
    cut: list[str] = []

    def cut_the_first_post(route: Any) -> None:
        if route.request.method == "POST" and not cut:
            cut.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    url = site.invitation("email")
    phone_page.route(re.compile(r"/a/[\w-]+$"), cut_the_first_post)
    before = answers(live_server)
    phone_page.goto(url)
    phone_page.locator(".score-option").filter(has_text=re.compile("^3$")).tap()
    phone_page.get_by_label("Tell us why (optional)").fill("The bins are always full.")
    phone_page.get_by_role("button", name="Answer with a video").tap()
    record(phone_page, 2)
    phone_page.get_by_role("button", name="Send my answer").tap()

    retry = phone_page.get_by_role("button", name="Try again")
    retry.wait_for(timeout=30_000)
    status = phone_page.locator(".answer-upload [role=status]").text_content()
    assert "Your answer could not be sent" in status and "Nothing you wrote is lost" in status
    assert not phone_page.get_by_role("link", name="Go on without the recording").is_visible()
    screenshot(phone_page, "answer-resend-1-not-sent")
    assert len(answers(live_server)) == len(before) and cut

    retry.tap()
    phone_page.get_by_role("heading", name="Thank you for your answer!").wait_for(timeout=60_000)
    answer = new_answer(live_server, before)
    assert (answer.score, answer.text) == (3, "The bins are always full.")
    check_clip(answer, "video", 2)


def test_a_question_closed_while_recording_says_so(live_server, site, phone_page):
    from panel.questions.models import Question

    before = answers(live_server)
    phone_page.goto(site.invitation("email"))
    phone_page.get_by_role("button", name="Answer with your voice").tap()
    record(phone_page, 1)
    with live_server.app_context() as session:
        session.get(Question, site.question_id).status = QuestionStatus.CLOSED
        session.commit()
    try:
        phone_page.get_by_role("button", name="Send my answer").tap()
        phone_page.get_by_text("This question is closed").first.wait_for(timeout=10_000)
        screenshot(phone_page, "answer-closed-after-recording")
    finally:
        with live_server.app_context() as session:
            session.get(Question, site.question_id).status = QuestionStatus.LIVE
            session.commit()
    assert len(answers(live_server)) == len(before)


# --- s3 mode --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_live_server(database_factory, tmp_path_factory, s3_server) -> Iterator[LiveServer]:
    """The app in s3 mode (a fresh bucket on the moto server), served like ``live_server``."""
    from panel.app import create_app
    from tests.conftest import free_port, make_test_settings

    port = free_port()
    settings = make_test_settings(
        tmp_path_factory.mktemp("live-s3-answers"),
        database_factory(),
        base_url=f"http://127.0.0.1:{port}",
        media_backend="s3",
        s3_bucket=s3_server.create_bucket(),
        s3_endpoint_url=s3_server.endpoint_url,
    )
    yield from serve(create_app(settings), port, name="live-s3")


def test_in_s3_mode_the_recording_goes_straight_to_the_bucket(s3_live_server, s3_server, browser):
    from media.storage import current_storage
    from panel.core.extensions import limiter

    limiter.reset()
    s3_site = make_site(s3_live_server)
    context = browser.new_context(
        base_url=s3_live_server.url,
        viewport=PHONE,
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    to_bucket: list[Any] = []
    to_app_uploads: list[Any] = []
    page.on(
        "request",
        lambda r: (
            (to_bucket if r.url.startswith(s3_server.endpoint_url) else to_app_uploads).append(r)
            if r.method == "POST"
            and (r.url.startswith(s3_server.endpoint_url) or "/media/uploads/" in r.url)
            else None
        ),
    )
    try:
        page.goto(f"/t/{s3_site.flyer_slug}?src=qr")
        page.get_by_role("button", name="Answer with a video").tap()
        record(page, 2)
        send(page, "answer-s3-thanks")
    finally:
        context.close()

    assert len(to_bucket) == 1 and to_app_uploads == []
    (answer,) = answers(s3_live_server)
    check_clip(answer, "video", 2)
    with s3_live_server.app_context():
        names = {Path(k).name for k in current_storage().list(answer.media.storage_prefix)}
    assert names == {"video.mp4", "poster.jpg", "audio.mp3"}
