"""A recorded clip follows its answer: the page stores the answer, starts an upload with the
answer's thank-you token, sends the bytes through the one upload path (the app's signed URL
locally, the bucket in s3 mode), and finishes it; the clip is checked, attached and transcoded
(tasks run inline here), and its renditions have URLs. Only an answer that awaits a clip takes
one, once, within a day, of a kind its question takes."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from media.models import MediaFile, MediaStatus
from media.service import media_urls
from media.storage import current_storage
from panel.answers.models import Answer
from panel.questions.models import QuestionStatus
from tests.factories import OrganisationFactory, UserFactory, system_session
from tests.media.conftest import Clips, probe_duration
from tests.questions.conftest import make_question
from touchpoints.service import create_touchpoint

SUBMISSION = re.compile(r'name="submission" value="([^"]+)"')
JSON = {"Accept": "application/json"}


def _fresh() -> Any:
    session = system_session()
    session.expire_all()
    return session


def _answer(answer_id: int) -> Answer:
    answer = _fresh().get(Answer, answer_id)
    assert answer is not None
    return answer


def _answer_with_clip(client: Any, url: str, clip_kind: str = "video", **form: str) -> Any:
    """Send the form as the page's script does, announcing a clip; the JSON answer."""
    page = client.get(url).get_data(as_text=True)
    (key,) = SUBMISSION.findall(page)
    data = {"submission": key, "clip_kind": clip_kind, "text": "Se min inspelning", **form}
    response = client.post(url, data=data, headers=JSON)
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    return response.get_json()


def _start(client: Any, clip_url: str, path: Path, content_type: str, size: int | None = None):
    body = {
        "filename": path.name,
        "content_type": content_type,
        "size": path.stat().st_size if size is None else size,
    }
    return client.post(clip_url, json=body, headers=JSON)


def _send_local(client: Any, upload: dict[str, Any], path: Path, content_type: str) -> Any:
    with path.open("rb") as body:
        return client.post(
            upload["url"],
            input_stream=body,
            content_length=path.stat().st_size,
            content_type=content_type,
            headers=JSON,
        )


def _send_clip(client: Any, clip_url: str, path: Path, content_type: str) -> Any:
    started = _start(client, clip_url, path, content_type)
    assert started.status_code == 201, started.get_json()
    body = started.get_json()
    assert _send_local(client, body["upload"], path, content_type).status_code == 204
    return client.post(body["complete"], headers=JSON)


def test_a_recorded_video_follows_its_answer_and_is_transcoded(
    client, question, tenant, invitation_of, clips: Clips, tmp_path: Path
):
    invitation = invitation_of(question, tenant)
    sent = _answer_with_clip(client, f"/a/{invitation.token}", consent_show_clip="1")
    assert sent["awaits_clip"] is True and sent["clip"].endswith("/clip")
    answer = _answer(sent["answer"])
    assert answer.clip_kind == "video" and answer.media_id is None
    # Before the clip arrives, the thank-you page says it is missing.
    assert "inspelning kom inte fram" in client.get(sent["thanks"]).get_data(as_text=True)

    started = _start(client, sent["clip"], clips.recording, "video/webm;codecs=vp8,opus")
    assert started.status_code == 201, started.get_json()
    upload = started.get_json()["upload"]
    assert upload["url"].startswith("/media/uploads/") and upload["fields"] == {}
    assert _send_local(client, upload, clips.recording, "video/webm").status_code == 204
    finished = client.post(started.get_json()["complete"], headers=JSON)

    assert finished.status_code == 200, finished.get_json()
    assert finished.get_json() | {"answer": 0} == {
        "answer": 0,
        "clip_kind": "video",
        "status": "ready",
        "awaits_clip": False,
        "thanks": sent["thanks"],
    }
    answer = _answer(answer.id)
    media = answer.media
    assert media.status == MediaStatus.READY and media.purpose == "answer"
    assert media.kind == "video" and media.language == "sv"
    assert answer.consent_show_clip and answer.contact_id == tenant.id
    urls = media_urls(media)
    assert set(urls) == {"mp4", "poster", "audio"}
    played = client.get(urls["mp4"])
    assert played.status_code == 200 and played.content_type == "video/mp4"
    (tmp_path / "answer.mp4").write_bytes(played.data)
    assert probe_duration(tmp_path / "answer.mp4") == pytest.approx(2.0, abs=0.3)
    assert client.get(urls["poster"]).content_type == "image/jpeg"
    assert "inspelning kom inte fram" not in client.get(sent["thanks"]).get_data(as_text=True)


def test_a_voice_answer_gets_sound_renditions_only(
    client, touchpoint_factory, clips: Clips, stairwell
):
    touchpoint = touchpoint_factory(place_id=stairwell.id)
    sent = _answer_with_clip(client, f"/t/{touchpoint.slug}?src=qr", clip_kind="audio")

    finished = _send_clip(client, sent["clip"], clips.wav, "audio/wav")

    assert finished.status_code == 200, finished.get_json()
    answer = _answer(sent["answer"])
    assert answer.clip_kind == "audio" and answer.channel == "qr"
    assert answer.place_id == stairwell.id
    assert answer.media.kind == "audio" and answer.media.status == MediaStatus.READY
    urls = media_urls(answer.media)
    assert set(urls) == {"mp4", "audio"}  # an AAC .m4a to play, an MP3 for phones; no poster
    assert client.get(urls["mp4"]).content_type == "audio/mp4"
    assert client.get(urls["audio"]).content_type == "audio/mpeg"


def test_a_retried_upload_attaches_one_clip(client, question, tenant, invitation_of, clips: Clips):
    invitation = invitation_of(question, tenant)
    sent = _answer_with_clip(client, f"/a/{invitation.token}")
    # The first upload was cut off; the page starts again and sends the whole file.
    first = _start(client, sent["clip"], clips.recording, "video/webm").get_json()
    second = _start(client, sent["clip"], clips.recording, "video/webm").get_json()
    assert first["media"] != second["media"]
    assert _send_local(client, second["upload"], clips.recording, "video/webm").status_code == 204
    done = client.post(second["complete"], headers=JSON)
    again = client.post(second["complete"], headers=JSON)  # the answer to the first got lost

    assert done.status_code == again.status_code == 200
    assert _answer(sent["answer"]).media.public_id == second["media"]
    # The answer has its clip now: no third upload, and the first cannot replace it.
    assert _start(client, sent["clip"], clips.recording, "video/webm").status_code == 409
    refused = client.post(first["complete"], headers=JSON)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "clip_not_awaited"
    assert len(_fresh().scalars(sa.select(Answer)).all()) == 1


def test_an_answer_sent_without_a_clip_takes_none(
    client, question, tenant, invitation_of, clips: Clips
):
    invitation = invitation_of(question, tenant)
    url = f"/a/{invitation.token}"
    (key,) = SUBMISSION.findall(client.get(url).get_data(as_text=True))
    sent = client.post(url, data={"submission": key, "score": "7"}, headers=JSON).get_json()
    assert sent["awaits_clip"] is False and "clip" not in sent
    token = sent["thanks"].rsplit("/", 1)[1]

    refused = _start(client, f"/thanks/{token}/clip", clips.recording, "video/webm")

    assert refused.status_code == 409
    assert "redan sin inspelning eller skickades utan" in refused.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("clip", "content_type", "size", "status", "words"),
    [
        ("text", "text/plain", None, 422, "den här filen är text/plain"),
        ("recording", "video/webm", 201 * 1024 * 1024, 422, "gränsen är 200 MB"),
        ("recording", "video/webm", 0, 422, "tom"),
    ],
)
def test_what_cannot_be_a_clip_is_refused_before_the_upload(
    client, question, tenant, invitation_of, clips: Clips, clip, content_type, size, status, words
):
    invitation = invitation_of(question, tenant)
    sent = _answer_with_clip(client, f"/a/{invitation.token}")

    refused = _start(client, sent["clip"], getattr(clips, clip), content_type, size)

    assert refused.status_code == status, refused.get_json()
    assert words in refused.get_json()["error"]["message"]
    assert _answer(sent["answer"]).awaits_clip


def test_a_clip_of_a_kind_the_question_does_not_take(
    client, staff, tenant, invitation_of, clips: Clips
):
    video_only = make_question(
        staff, status=QuestionStatus.LIVE, answer_modes=["video", "score"], language="nl"
    )
    invitation = invitation_of(video_only, tenant)
    sent = _answer_with_clip(client, f"/a/{invitation.token}")

    refused = _start(client, sent["clip"], clips.wav, "audio/wav")

    assert refused.status_code == 422
    # In the tenant's own language (the contact reads Swedish), not the Dutch of the question.
    assert refused.get_json()["error"]["message"] == (
        "Den här frågan tar bara emot videoinspelningar. Välj en video."
    )


def test_a_file_that_is_not_a_recording_is_refused_and_can_be_sent_again(
    client, question, tenant, invitation_of, clips: Clips
):
    invitation = invitation_of(question, tenant)
    sent = _answer_with_clip(client, f"/a/{invitation.token}")
    started = _start(client, sent["clip"], clips.text, "video/webm").get_json()
    assert _send_local(client, started["upload"], clips.text, "video/webm").status_code == 204

    refused = client.post(started["complete"], headers=JSON)

    assert refused.status_code == 422
    assert "text" in refused.get_json()["error"]["code"]
    assert _answer(sent["answer"]).awaits_clip  # the answer stays, still waiting for a clip
    assert _send_clip(client, sent["clip"], clips.recording, "video/webm").status_code == 200
    assert _answer(sent["answer"]).media.status == MediaStatus.READY


def test_finishing_before_the_bytes_arrived_says_so(
    client, question, tenant, invitation_of, clips: Clips
):
    invitation = invitation_of(question, tenant)
    sent = _answer_with_clip(client, f"/a/{invitation.token}")
    started = _start(client, sent["clip"], clips.recording, "video/webm").get_json()

    early = client.post(started["complete"], headers=JSON)

    assert early.status_code == 422 and early.get_json()["error"]["code"] == "not_received"
    # The upload stays open: the bytes can still come, and then it finishes.
    assert _send_local(client, started["upload"], clips.recording, "video/webm").status_code == 204
    assert client.post(started["complete"], headers=JSON).status_code == 200


def test_a_day_old_answer_takes_no_clip(
    client, question, tenant, invitation_of, clips: Clips, scoped
):
    invitation = invitation_of(question, tenant)
    sent = _answer_with_clip(client, f"/a/{invitation.token}")
    answer = scoped.get(Answer, sent["answer"])
    answer.created_at = answer.created_at - dt.timedelta(hours=25)
    scoped.commit()

    late = _start(client, sent["clip"], clips.recording, "video/webm")

    assert late.status_code == 410 and late.get_json()["error"]["code"] == "clip_too_late"


def test_tokens_and_clips_of_others_are_not_found(
    client, question, tenant, invitation_of, touchpoint_factory, clips: Clips
):
    invitation = invitation_of(question, tenant)
    mine = _answer_with_clip(client, f"/a/{invitation.token}")
    touchpoint = touchpoint_factory(kind="link")
    theirs = _answer_with_clip(client, f"/t/{touchpoint.slug}")
    their_clip = _start(client, theirs["clip"], clips.recording, "video/webm").get_json()
    complete_with_my_token = their_clip["complete"].replace(
        theirs["thanks"].rsplit("/", 1)[1], mine["thanks"].rsplit("/", 1)[1]
    )
    _send_local(client, their_clip["upload"], clips.recording, "video/webm")

    # My token cannot take their clip (nor a made-up one); an unknown token is not found.
    assert client.post(complete_with_my_token, headers=JSON).status_code == 404
    assert client.post(mine["clip"] + "/" + "x" * 32, headers=JSON).status_code == 404
    assert client.post(theirs["clip"] + "/" + "x" * 32, headers=JSON).status_code == 404
    assert client.post(their_clip["complete"], headers=JSON).status_code == 200
    unknown = _start(client, "/thanks/" + "x" * 32 + "/clip", clips.recording, "video/webm")
    assert unknown.status_code == 404 and unknown.get_json()["error"]["code"] == "not_found"
    for bad in ("not json", {"filename": 3}, {"filename": "a.webm", "content_type": "video/webm"}):
        kwargs = {"data": bad} if isinstance(bad, str) else {"json": bad}
        refused = client.post(mine["clip"], headers=JSON, **kwargs)
        assert refused.status_code == 422, bad
    assert _answer(mine["answer"]).awaits_clip


def test_starting_again_and_again_is_rate_limited(
    client, question, tenant, invitation_of, clips: Clips
):
    invitation = invitation_of(question, tenant)
    sent = _answer_with_clip(client, f"/a/{invitation.token}")
    statuses = [
        _start(client, sent["clip"], clips.recording, "video/webm").status_code for _ in range(13)
    ]
    assert statuses[:12] == [201] * 12 and statuses[12] == 429


# --- s3 mode ------------------------------------------------------------------------------------


def test_in_s3_mode_the_clip_goes_straight_to_the_bucket(
    s3_client, s3_session, s3_server, clips: Clips
):
    organisation = OrganisationFactory(name="Bostäder i Hamnen", default_language="nl")
    owner = UserFactory(organisation=organisation)
    question = make_question(
        owner,
        status=QuestionStatus.LIVE,
        answer_modes=["text", "audio", "video"],
        language="nl",
    )
    touchpoint = _touchpoint(s3_session, organisation.id, question.id)
    sent = _answer_with_clip(s3_client, f"/t/{touchpoint.slug}")
    started = _start(s3_client, sent["clip"], clips.mp4, "video/mp4")
    assert started.status_code == 201, started.get_json()
    upload = started.get_json()["upload"]
    assert upload["url"].startswith(s3_server.endpoint_url)
    with clips.mp4.open("rb") as body:
        stored = requests.post(
            upload["url"],
            data=upload["fields"],
            files={"file": (clips.mp4.name, body, "video/mp4")},
            timeout=10,
        )
    assert stored.status_code == 204, stored.text

    finished = s3_client.post(started.get_json()["complete"], headers=JSON)

    assert finished.status_code == 200, finished.get_json()
    s3_session.expire_all()
    media = s3_session.scalar(
        sa.select(MediaFile).where(MediaFile.public_id == started.get_json()["media"])
    )
    assert media.status == MediaStatus.READY and media.language == "nl"
    names = {Path(key).name for key in current_storage().list(media.storage_prefix)}
    assert names == {"video.mp4", "poster.jpg", "audio.mp3"}
    redirect = s3_client.get(media_urls(media)["mp4"])
    assert redirect.status_code == 302 and "X-Amz-Signature=" in redirect.headers["Location"]


def _touchpoint(session: Any, organisation_id: int, question_id: int) -> Any:
    from panel.core.scoping import scoped_to

    with scoped_to(session, organisation_id):
        touchpoint = create_touchpoint(
            session, {"name": "Website", "kind": "link"}, [(question_id, dt.date(2020, 1, 1))]
        )
        session.commit()
    return touchpoint


def test_the_recorder_speaks_the_page_language_and_keeps_the_organisations_limit(
    client, question, tenant, invitation_of, organisation, scoped
):
    organisation = scoped.merge(organisation)
    organisation.settings = {"max_recording_seconds": 90}
    scoped.commit()
    invitation = invitation_of(question, tenant)

    page = client.get(f"/a/{invitation.token}").get_data(as_text=True)

    assert 'data-max-seconds="90"' in page
    assert "Svara med en video" in page and "Eller skicka en inspelning från din telefon" in page
    assert 'accept="video/*,audio/*"' in page
    words = re.search(
        r"<script type=\"application/json\" data-clip-messages>(.*?)</script>", page, re.S
    )
    assert words is not None
    messages = json.loads(words.group(1))
    assert messages["ready_video"] == "Tryck på ”Starta inspelning” när du är redo. Högst 1:30."
    assert messages["interrupted"].startswith("Ditt svar är sparat, men inspelningen kom inte fram")
