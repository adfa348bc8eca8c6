"""``/api/v1/questions``: list, create, read, update, transitions, and the video upload."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from media.models import MediaFile, MediaStatus
from panel.questions.models import Question, QuestionStatus
from tests.factories import OrganisationFactory, UserFactory, api_headers

NEW = {
    "title": "Hur trivs du i trapphuset?",
    "prompt": "Hej! Hur trivs du?",
    "answer_modes": ["score", "text"],
}


@pytest.fixture
def headers(staff):
    return api_headers(staff)


def test_create_read_and_list(client, headers, staff):
    response = client.post("/api/v1/questions/", json=NEW, headers=headers)

    assert response.status_code == 201
    created = response.get_json()
    assert created["status"] == "draft"
    assert created["owner_id"] == staff.id
    assert created["language"] == "sv"
    assert created["media"] is None

    one = client.get(f"/api/v1/questions/{created['id']}", headers=headers).get_json()
    assert one == created

    for n in range(3):
        client.post("/api/v1/questions/", json={**NEW, "title": f"Fråga {n}"}, headers=headers)
    first = client.get("/api/v1/questions/?limit=3", headers=headers).get_json()
    assert len(first["items"]) == 3 and first["next"]
    rest = client.get(f"/api/v1/questions/?limit=3&after={first['next']}", headers=headers)
    assert [q["title"] for q in rest.get_json()["items"]] == ["Fråga 2"]
    assert rest.get_json()["next"] is None


def test_list_filters_by_status_and_owner(client, headers, question_factory, colleague):
    question_factory(title="Utkast")
    question_factory(title="Live", status=QuestionStatus.LIVE)
    question_factory(owner=colleague, title="Kollegans", status=QuestionStatus.LIVE)

    live = client.get("/api/v1/questions/?status=live", headers=headers).get_json()
    assert sorted(q["title"] for q in live["items"]) == ["Kollegans", "Live"]
    theirs = client.get(f"/api/v1/questions/?owner_id={colleague.id}", headers=headers)
    assert [q["title"] for q in theirs.get_json()["items"]] == ["Kollegans"]
    bad = client.get("/api/v1/questions/?status=open", headers=headers)
    assert bad.status_code == 422


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({**NEW, "answer_modes": ["dance"]}, "answer_modes"),
        ({**NEW, "answer_modes": []}, "answer_modes"),
        ({"title": "Utan svarssätt"}, "answer_modes"),
        ({**NEW, "answer_modes": ["choice"]}, "at least 2 options"),
        ({**NEW, "title": ""}, "title"),
        ({**NEW, "language": "de"}, "language"),
        ({**NEW, "title": " \u3000 "}, "title"),
        ({**NEW, "answer_modes": ["choice"], "choices": ["Ja", "Ja"]}, "Each option once"),
        ({**NEW, "answer_modes": ["choice"], "choices": ["Ja", " Nej"]}, "single spaces"),
    ],
)
def test_create_refuses_bad_fields(client, headers, db_session, body, words):
    response = client.post("/api/v1/questions/", json=body, headers=headers)

    assert response.status_code == 422
    assert words in response.get_json()["error"]["message"]
    assert db_session.scalar(sa.select(sa.func.count(Question.id))) == 0


def test_patch_publish_close_duplicate(client, headers, question_factory):
    question = question_factory()
    url = f"/api/v1/questions/{question.id}"

    response = client.patch(url, json={"title": "Ny titel", "closes_at": None}, headers=headers)
    assert response.status_code == 200 and response.get_json()["title"] == "Ny titel"

    live = client.post(f"{url}/publish", headers=headers)
    assert live.status_code == 200
    assert live.get_json()["status"] == "live" and live.get_json()["published_at"]

    again = client.post(f"{url}/publish", headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_live"

    changed = client.patch(url, json={"answer_modes": ["text"]}, headers=headers)
    assert changed.status_code == 409
    assert "keeps its language, answer modes" in changed.get_json()["error"]["message"]

    closed = client.post(f"{url}/close", headers=headers)
    assert closed.get_json()["status"] == "closed"
    assert client.post(f"{url}/close", headers=headers).status_code == 409
    assert client.patch(url, json={"title": "x"}, headers=headers).status_code == 409

    copy = client.post(f"{url}/duplicate", headers=headers)
    assert copy.status_code == 201
    assert copy.get_json()["status"] == "draft" and copy.get_json()["id"] != question.id


def test_publish_without_video_or_prompt_is_a_conflict(client, headers, question_factory):
    question = question_factory(prompt="")
    response = client.post(f"/api/v1/questions/{question.id}/publish", headers=headers)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "nothing_to_ask"
    assert "Record a video or write the question out" in error["message"]


def test_a_closing_date_in_the_past_is_taken_and_publishing_says_why_not(
    client, headers, db_session
):
    body = {**NEW, "closes_at": "2001-01-01T00:00:00Z", "prompt": "Hur trivs du?"}
    created = client.post("/api/v1/questions/", json=body, headers=headers)
    assert created.status_code == 201
    assert created.get_json()["closes_at"].startswith("2001-01-01")
    url = f"/api/v1/questions/{created.get_json()['id']}/publish"
    refused = client.post(url, headers=headers)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "closing_date_passed"


def test_options_for_a_choice_question_that_has_too_few_are_a_conflict(
    client, headers, question_factory
):
    question = question_factory(answer_modes=["choice"], choices=["Ja", "Nej"])
    url = f"/api/v1/questions/{question.id}"
    response = client.patch(url, json={"choices": ["Ja"]}, headers=headers)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "too_few_options"
    both = client.patch(url, json={"answer_modes": ["choice"], "choices": ["Ja"]}, headers=headers)
    assert both.status_code == 422


def test_a_question_with_a_ready_video_shows_its_urls(
    client, headers, question_factory, media_factory
):
    media = media_factory()
    question = question_factory(media_id=media.id)

    body = client.get(f"/api/v1/questions/{question.id}", headers=headers).get_json()

    assert body["media"]["status"] == "ready"
    assert body["media"]["duration"] == 42.0
    assert body["media"]["urls"]["mp4"].endswith(f"/media/{media.public_id}/mp4")
    assert body["media"]["urls"]["poster"].endswith(f"/media/{media.public_id}/poster.jpg")


def test_a_colleague_cannot_change_anothers_question(client, colleague, question_factory):
    question = question_factory()
    response = client.post(
        f"/api/v1/questions/{question.id}/publish", headers=api_headers(colleague)
    )
    assert response.status_code == 403
    assert "belongs to Anna Berg" in response.get_json()["error"]["message"]


def test_another_organisations_question_is_404(client, question_factory):
    question = question_factory()
    outsider = UserFactory(organisation=OrganisationFactory(), admin=True)
    headers = api_headers(outsider)

    for method, suffix in (("get", ""), ("patch", ""), ("post", "/publish"), ("post", "/close")):
        response = getattr(client, method)(
            f"/api/v1/questions/{question.id}{suffix}", json={}, headers=headers
        )
        assert response.status_code == 404, (method, suffix)
        assert response.get_json()["error"]["code"] == "not_found"
    listed = client.get("/api/v1/questions/", headers=headers).get_json()
    assert listed["items"] == []


def test_upload_a_video_through_the_api(client, headers, question_factory, db_session, app):
    question = question_factory()
    url = f"/api/v1/questions/{question.id}/media"
    clip = _small_webm(app)

    response = client.post(
        url,
        json={"filename": "fraga.webm", "content_type": "video/webm", "size": len(clip)},
        headers=headers,
    )

    assert response.status_code == 201
    body = response.get_json()
    upload = body["upload"]
    assert upload["method"] == "POST" and upload["fields"] == {}
    # The media room's upload capability: an absolute URL that needs no token.
    assert upload["url"].startswith("http://127.0.0.1:5000/media/uploads/")
    assert upload["expires_at"]
    sent = client.post(upload["url"], data=clip, headers={"Content-Type": "video/webm"})
    assert sent.status_code == 204, sent.get_data(as_text=True)[:300]

    done = client.post(f"{url}/complete", json={"media_id": body["media_id"]}, headers=headers)

    assert done.status_code == 200, done.get_data(as_text=True)[:300]
    assert done.get_json()["media"]["id"] == body["media_id"]
    db_session.refresh(question)
    assert question.media_id == body["media_id"]


def test_upload_refusals(client, headers, question_factory, db_session):
    question = question_factory()
    url = f"/api/v1/questions/{question.id}/media"

    too_big = client.post(
        url,
        json={"filename": "film.mp4", "content_type": "video/mp4", "size": 50 * 1024**3},
        headers=headers,
    )
    assert too_big.status_code == 422
    not_media = client.post(
        url,
        json={"filename": "notes.txt", "content_type": "text/plain", "size": 10},
        headers=headers,
    )
    assert not_media.status_code == 422

    # A completed claim about bytes that never arrived.
    body = client.post(
        url, json={"filename": "a.webm", "content_type": "video/webm", "size": 100}, headers=headers
    ).get_json()
    missing = client.post(f"{url}/complete", json={"media_id": body["media_id"]}, headers=headers)
    assert missing.status_code == 409
    assert missing.get_json()["error"]["code"] == "not_received"
    db_session.refresh(question)
    assert question.media_id is None


def test_a_text_file_is_refused_and_the_question_keeps_its_video(
    client, headers, question_factory, media_factory, db_session
):
    old = media_factory()
    question = question_factory(media_id=old.id)
    url = f"/api/v1/questions/{question.id}/media"
    fake = b"This is not a video at all, just some words.\n" * 20
    body = client.post(
        url,
        json={"filename": "a.webm", "content_type": "video/webm", "size": len(fake)},
        headers=headers,
    ).get_json()
    client.post(body["upload"]["url"], data=fake, headers={"Content-Type": "video/webm"})

    response = client.post(f"{url}/complete", json={"media_id": body["media_id"]}, headers=headers)
    again = client.post(f"{url}/complete", json={"media_id": body["media_id"]}, headers=headers)

    assert response.status_code == again.status_code == 409
    assert response.get_json()["error"]["code"] == again.get_json()["error"]["code"] == "text"
    assert response.get_json()["error"]["message"].startswith("This file contains text")
    db_session.refresh(question)
    assert question.media_id == old.id
    assert db_session.get(MediaFile, body["media_id"]).status == MediaStatus.FAILED


def test_a_live_question_gets_no_new_upload(client, headers, question_factory):
    question = question_factory(status=QuestionStatus.LIVE)
    response = client.post(
        f"/api/v1/questions/{question.id}/media",
        json={"filename": "a.webm", "content_type": "video/webm", "size": 1000},
        headers=headers,
    )
    assert response.status_code == 409


def _small_webm(app) -> bytes:
    """A real 1-second WebM clip made by ffmpeg (cached in the app's instance folder)."""
    import subprocess
    from pathlib import Path

    path = Path(app.config["STOOP"].instance_dir) / "one-second.webm"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "ffmpeg", "-v", "error", "-y",
                "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=15:duration=1",
                "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
                "-c:v", "libvpx", "-b:v", "200k", "-c:a", "libopus", "-shortest", str(path),
            ],
            check=True,
        )  # fmt: skip
    return path.read_bytes()
