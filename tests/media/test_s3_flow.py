"""The flow in s3 mode against the moto server: the browser posts straight to the bucket with
the presigned fields, the app checks what arrived (moto enforces no POST policy, so the app's
own checks are what stands), the worker processes, and renditions are presigned redirects.
The S3 app runs with CSRF on, as in production: the token travels in ``X-CSRFToken``."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from media.models import MediaStatus
from media.storage import current_storage
from panel.core.db import utcnow
from tests.media.conftest import Clips, media_row, probe_duration, sign_in, upload_s3


@pytest.fixture
def staff(s3_client: FlaskClient) -> Any:
    return sign_in(s3_client)


def test_a_recording_uploaded_to_the_bucket_is_processed_and_redirected(
    staff: Any, clips: Clips, s3_session: Session, tmp_path: Path
) -> None:
    media_id, completed = upload_s3(staff, clips.recording, "video/webm")

    assert completed.status_code == 202, completed.get_json()
    status = staff.client.get(f"/app/media/{media_id}/status").get_json()
    assert status["status"] == "ready", status
    redirect = staff.client.get(status["urls"]["mp4"])
    assert redirect.status_code == 302
    assert "X-Amz-Signature=" in redirect.headers["Location"]
    played = requests.get(redirect.headers["Location"], timeout=10)
    assert played.headers["Content-Type"] == "video/mp4"
    (tmp_path / "played.mp4").write_bytes(played.content)
    assert probe_duration(tmp_path / "played.mp4") == pytest.approx(2.0, abs=0.15)
    media = media_row(s3_session, media_id)
    assert current_storage().list(media.storage_prefix) == sorted(
        f"{media.storage_prefix}{name}" for name in ("audio.mp3", "poster.jpg", "video.mp4")
    )


def test_the_upload_instructions_are_a_sigv4_presigned_post(staff: Any, clips: Clips) -> None:
    started = staff.post_json(
        "/app/media/uploads",
        {"filename": "q.webm", "content_type": "video/webm;codecs=vp8,opus", "size": 1000},
    ).get_json()

    upload = started["upload"]
    assert upload["method"] == "POST" and upload["url"].startswith("http://127.0.0.1:")
    assert upload["fields"]["Content-Type"] == "video/webm"
    assert upload["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert upload["fields"]["key"].endswith("/original.webm")
    # The bucket's policy expires when the upload's capability does.
    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    expires = dt.datetime.fromisoformat(upload["expires_at"])
    signed = dt.datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert abs((signed - expires).total_seconds()) <= 2
    assert dt.timedelta(minutes=55) < expires - utcnow() <= dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("clip", "content_type", "code"),
    [
        ("html", "video/mp4", "html"),
        ("text", "video/webm", "text"),
        ("empty", "video/webm", "empty"),
    ],
)
def test_bad_objects_in_the_bucket_are_deleted(
    staff: Any, clips: Clips, s3_session: Session, clip: str, content_type: str, code: str
) -> None:
    path = getattr(clips, clip)
    media_id, completed = upload_s3(staff, path, content_type, declared=max(1, path.stat().st_size))

    assert completed.status_code == 422
    assert completed.get_json()["error"]["details"] == {"status": "failed"}
    media = media_row(s3_session, media_id)
    assert media.status == MediaStatus.FAILED and media.error
    assert current_storage().list(media.storage_prefix) == []


def test_an_object_over_the_limit_is_caught_after_upload(
    staff: Any, s3_app: Flask, s3_session: Session, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setattr(s3_app.config["STOOP"], "media_max_upload_mb", 1)
    big = tmp_path / "big.webm"
    big.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(1024 * 1024 + 10))

    media_id, completed = upload_s3(staff, big, "video/webm", declared=1000)

    assert completed.status_code == 422
    assert "the limit is 1.0 MB" in completed.get_json()["error"]["message"]
    media = media_row(s3_session, media_id)
    assert media.status == MediaStatus.FAILED
    assert current_storage().list(media.storage_prefix) == []


def test_a_clip_over_its_duration_limit_leaves_nothing_in_the_bucket(
    s3_client: FlaskClient, clips: Clips, s3_session: Session
) -> None:
    staff = sign_in(s3_client, max_recording_seconds=5)

    media_id, completed = upload_s3(staff, clips.long, "video/webm")

    assert completed.status_code == 202
    media = media_row(s3_session, media_id)
    assert media.status == MediaStatus.FAILED and media.error.startswith("The clip is 7 s long")
    assert current_storage().list(media.storage_prefix) == []


def test_json_endpoints_keep_csrf_on(staff: Any) -> None:
    body = {"filename": "q.webm", "content_type": "video/webm", "size": 1000}

    without = staff.client.post("/app/media/uploads", json=body)
    with_header = staff.client.post("/app/media/uploads", json=body, headers=staff.headers)

    assert without.status_code == 400
    assert "CSRF" in without.get_json()["error"]["message"]
    assert with_header.status_code == 201


def test_the_bucket_gets_the_apps_cors_rule(staff: Any, s3_server: Any, s3_app: Flask) -> None:
    staff.post_json(
        "/app/media/uploads", {"filename": "q.webm", "content_type": "video/webm", "size": 10}
    )

    bucket = s3_app.config["STOOP"].s3_bucket
    rules = s3_server.client().get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert any(rule["AllowedOrigins"] == ["http://127.0.0.1:5000"] for rule in rules)
