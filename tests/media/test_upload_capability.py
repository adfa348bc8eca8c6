"""The one upload path: an expiring, signed capability URL that takes a clip's bytes with no
login, bound to its clip and size limit; and unfinished uploads deleted once they expire."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from media import capabilities
from media.models import MediaFile, MediaStatus
from media.storage import Storage
from panel.core.db import utcnow
from tests.media.conftest import Clips, Staff, media_row, run_task, start_upload

EXPIRE = "media.tasks.expire_uploads"


def _started(staff: Staff, path: Path, content_type: str, size: int | None = None) -> Any:
    response = start_upload(staff, path, content_type, size)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _token(started: dict[str, Any]) -> str:
    return started["upload"]["url"].rpartition("/")[2]


def test_the_capability_needs_no_login_and_the_clip_plays(
    staff: Staff, clips: Clips, app: Flask
) -> None:
    started = _started(staff, clips.recording, "video/webm")
    anonymous = app.test_client()  # no cookie, no CSRF token: the link is the permission

    sent = anonymous.post(
        started["upload"]["url"],
        data=clips.recording.read_bytes(),
        headers={"Content-Type": "video/webm"},
    )
    completed = staff.post_json(f"/app/media/{started['media_id']}/complete")

    assert sent.status_code == 204, sent.get_json()
    assert completed.status_code == 202
    status = staff.client.get(f"/app/media/{started['media_id']}/status").get_json()
    assert status["status"] == "ready" and status["urls"]["mp4"]


def test_a_token_cannot_be_altered_or_reused_for_another_clip(
    staff: Staff, clips: Clips, app: Flask, db_session: Session, storage: Storage
) -> None:
    first = _started(staff, clips.wav, "audio/wav")
    second = _started(staff, clips.wav, "audio/wav")
    token = _token(first)
    payload, _, signature = token.partition(".")
    other_media = _token(second).partition(".")[0]
    anonymous = app.test_client()

    for forged in (
        payload[:-2] + ("AA" if not payload.endswith("AA") else "BB") + "." + signature,
        other_media + "." + signature,  # the second clip's claims, the first's signature
        "not-a-token",
    ):
        response = anonymous.post(f"/media/uploads/{forged}", data=b"RIFF....WAVE")
        assert response.status_code == 404, forged
        assert response.get_json()["error"]["code"] == "not_found"
    for started in (first, second):
        media = media_row(db_session, started["media_id"])
        assert media.status == MediaStatus.PENDING and storage.list(media.storage_prefix) == []


def test_an_expired_capability_is_refused_in_words(
    staff: Staff, clips: Clips, app: Flask, db_session: Session
) -> None:
    started = _started(staff, clips.wav, "audio/wav")
    media = media_row(db_session, started["media_id"])
    past = utcnow().replace(microsecond=0) - dt.timedelta(minutes=1)
    expired = capabilities.issue(
        app.config["STOOP"].secret_key,
        capabilities.UploadCapability(media.id, media.public_id, 10**6, past),
    )

    response = app.test_client().post(
        f"/media/uploads/{expired}", data=clips.wav.read_bytes(), headers={"Accept-Language": "sv"}
    )

    assert response.status_code == 410
    error = response.get_json()["error"]
    assert error["code"] == "upload_expired"
    assert error["message"].startswith("Uppladdningslänken gick ut")


def test_a_body_over_the_limit_is_refused_in_words_and_fails_the_clip(
    staff: Staff,
    app: Flask,
    tmp_path: Path,
    storage: Storage,
    db_session: Session,
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(app.config["STOOP"], "media_max_upload_mb", 1)
    big = tmp_path / "big.webm"
    big.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(3 * 1024 * 1024))
    declared = _started(staff, big, "video/webm", size=1000)  # a client that lies
    chunked = _started(staff, big, "video/webm", size=1000)

    with big.open("rb") as body:
        told = staff.client.post(
            declared["upload"]["url"],
            input_stream=body,
            content_length=big.stat().st_size,
            content_type="video/webm",
        )

    with big.open("rb") as body:  # chunked: no Content-Length, the server counts
        counted = staff.client.post(
            chunked["upload"]["url"],
            input_stream=body,
            content_type="video/webm",
            headers={"Transfer-Encoding": "chunked"},
            environ_overrides={"wsgi.input_terminated": True},
        )

    for response, started, size_known in ((told, declared, True), (counted, chunked, False)):
        assert response.status_code == 413
        error = response.get_json()["error"]
        assert error["code"] == "too_large"
        assert (
            "the limit of 1.0 MB" in error["message"] or "the limit is 1.0 MB" in error["message"]
        )
        assert ("The file is 3.0 MB" in error["message"]) is size_known
        media = media_row(db_session, started["media_id"])
        assert media.status == MediaStatus.FAILED and media.error_code == "too_large"
        assert storage.list(media.storage_prefix) == []


def test_an_empty_body_and_a_finished_upload(
    staff: Staff, clips: Clips, app: Flask, db_session: Session
) -> None:
    empty = _started(staff, clips.wav, "audio/wav")
    done = _started(staff, clips.wav, "audio/wav")
    anonymous = app.test_client()

    nothing = anonymous.post(empty["upload"]["url"], data=b"")
    anonymous.post(done["upload"]["url"], data=clips.wav.read_bytes())
    staff.post_json(f"/app/media/{done['media_id']}/complete")
    again = anonymous.post(done["upload"]["url"], data=clips.wav.read_bytes())

    assert nothing.status_code == 422 and nothing.get_json()["error"]["code"] == "empty"
    assert media_row(db_session, empty["media_id"]).status == MediaStatus.FAILED
    assert again.status_code == 409
    assert media_row(db_session, done["media_id"]).status == MediaStatus.READY


def _expire(session: Session, media_id: int, hours_ago: float) -> None:
    session.execute(
        sa.update(MediaFile)
        .where(MediaFile.id == media_id)
        .values(upload_expires_at=utcnow() - dt.timedelta(hours=hours_ago))
    )
    session.commit()


def test_unfinished_uploads_are_deleted_with_their_files_after_expiry(
    staff: Staff, clips: Clips, app: Flask, db_session: Session, storage: Storage
) -> None:
    anonymous = app.test_client()
    # An HTML page sent and never completed: it must not sit in the media folder for ever.
    abandoned = _started(staff, clips.html, "video/mp4")
    assert (
        anonymous.post(abandoned["upload"]["url"], data=clips.html.read_bytes()).status_code == 204
    )
    abandoned_row = media_row(db_session, abandoned["media_id"])
    assert storage.list(abandoned_row.storage_prefix)
    _expire(db_session, abandoned["media_id"], hours_ago=1.5)
    never_sent = _started(staff, clips.wav, "audio/wav")
    _expire(db_session, never_sent["media_id"], hours_ago=3)
    arriving = _started(staff, clips.wav, "audio/wav")  # expired, but may still be arriving
    _expire(db_session, arriving["media_id"], hours_ago=0.5)
    fresh = _started(staff, clips.wav, "audio/wav")
    finished = _started(staff, clips.wav, "audio/wav")
    anonymous.post(finished["upload"]["url"], data=clips.wav.read_bytes())
    staff.post_json(f"/app/media/{finished['media_id']}/complete")
    _expire(db_session, finished["media_id"], hours_ago=5)  # only pending uploads expire

    deleted = run_task(app, EXPIRE).result

    assert deleted == 2
    gone = sa.select(MediaFile.id).where(
        MediaFile.id.in_([abandoned["media_id"], never_sent["media_id"]])
    )
    assert db_session.execute(gone.execution_options(all_organisations=True)).all() == []
    assert storage.list(abandoned_row.storage_prefix) == []
    for kept in (arriving, fresh, finished):
        assert media_row(db_session, kept["media_id"])
    assert anonymous.post(abandoned["upload"]["url"], data=b"x").status_code == 404
