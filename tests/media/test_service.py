"""The service other rooms call: URLs of a ready clip, erasure."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from media import service
from media.models import MediaFile
from media.storage import Storage
from tests.media.conftest import Clips, Staff, upload_local


def test_urls_only_when_ready_and_absolute_on_request(
    staff: Staff, clips: Clips, db_session: Session, app: Flask
) -> None:
    media_id, _ = upload_local(staff, clips.mp4, "video/mp4")
    media = db_session.get(MediaFile, media_id, execution_options={"all_organisations": True})

    urls = service.media_urls(media, absolute=True)

    base = app.config["STOOP"].base_url
    assert urls == {
        "mp4": f"{base}/media/{media.public_id}/mp4",
        "poster": f"{base}/media/{media.public_id}/poster.jpg",
        "audio": f"{base}/media/{media.public_id}/audio.mp3",
    }
    assert len(media.public_id) == 32
    media.status = "processing"
    assert service.media_urls(media) == {}


def test_create_upload_returns_an_upload_capability(staff: Staff, db_session: Any) -> None:
    media, upload = service.create_upload(
        db_session,
        organisation_id=staff.organisation_id,
        filename="fråga.webm",
        content_type="video/webm;codecs=vp8,opus",
        size=1234,
        max_duration_seconds=90,
        language="sv",
    )

    assert upload["method"] == "POST" and upload["fields"] == {}
    assert upload["url"].startswith("/media/uploads/")
    granted = service.read_capability(upload["url"].rpartition("/")[2])
    assert (granted.media_id, granted.public_id) == (media.id, media.public_id)
    assert granted.max_bytes == service.max_upload_bytes()
    assert granted.expires_at == media.upload_expires_at
    assert upload["expires_at"] == media.upload_expires_at.isoformat()
    assert media.status == "pending" and media.content_type == "video/webm"
    assert media.original_key == f"{staff.organisation_id}/{media.public_id}/original.webm"
    assert (media.original_filename, media.max_duration_seconds) == ("fråga.webm", 90)


def test_delete_media_erases_every_file_and_the_row(
    staff: Staff, clips: Clips, db_session: Session, storage: Storage
) -> None:
    media_id, _ = upload_local(staff, clips.mp4, "video/mp4")
    media = db_session.get(MediaFile, media_id, execution_options={"all_organisations": True})
    prefix = media.storage_prefix
    assert storage.list(prefix)

    service.delete_media(db_session, media)
    db_session.commit()

    assert storage.list(prefix) == []
    assert (
        db_session.get(MediaFile, media_id, execution_options={"all_organisations": True}) is None
    )
