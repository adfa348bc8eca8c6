"""The whole flow in local mode through the HTTP endpoints: start, stream the body, complete,
process (inline), poll, play; and every bad upload refused with its own message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from media.models import MediaStatus
from media.storage import Storage
from tests.media.conftest import (
    Clips,
    Staff,
    media_row,
    probe_duration,
    sign_in,
    start_upload,
    upload_local,
)


def _ready(staff: Staff, path: Path, content_type: str) -> dict[str, Any]:
    media_id, completed = upload_local(staff, path, content_type)
    assert completed.status_code == 202, completed.get_json()
    status = staff.client.get(f"/app/media/{media_id}/status").get_json()
    assert status["status"] == "ready", status
    return status


def test_a_recording_becomes_a_playable_mp4_a_poster_and_an_mp3(
    staff: Staff, clips: Clips, db_session: Session, storage: Storage, tmp_path: Path
) -> None:
    status = _ready(staff, clips.recording, "video/webm;codecs=vp8,opus")

    assert status["progress"] == 100 and status["error"] is None
    assert (status["width"], status["height"]) == (160, 120)
    assert status["duration"] == pytest.approx(2.0, abs=0.15)
    assert sorted(status["urls"]) == ["audio", "mp4", "poster"]
    played = staff.client.get(status["urls"]["mp4"])
    assert played.status_code == 200 and played.headers["Content-Type"] == "video/mp4"
    (tmp_path / "played.mp4").write_bytes(played.get_data())
    assert probe_duration(tmp_path / "played.mp4") == pytest.approx(2.0, abs=0.15)
    poster = staff.client.get(status["urls"]["poster"])
    assert poster.headers["Content-Type"] == "image/jpeg" and poster.data[:2] == b"\xff\xd8"
    assert staff.client.get(status["urls"]["audio"]).headers["Content-Type"] == "audio/mpeg"
    media = media_row(db_session, status["media_id"])
    assert media.original_key is None  # removed once the renditions were ready
    assert storage.list(media.storage_prefix) == sorted(
        f"{media.storage_prefix}{name}" for name in ("audio.mp3", "poster.jpg", "video.mp4")
    )


def test_a_sound_clip_plays_without_a_poster(staff: Staff, clips: Clips) -> None:
    status = _ready(staff, clips.wav, "audio/wav")

    assert sorted(status["urls"]) == ["audio", "mp4"] and status["width"] is None
    assert staff.client.get(status["urls"]["mp4"]).headers["Content-Type"] == "audio/mp4"


def test_public_urls_serve_ranges_and_never_html(staff: Staff, clips: Clips, app: Any) -> None:
    url = _ready(staff, clips.mp4, "video/mp4")["urls"]["mp4"]
    anonymous = app.test_client()  # tenants have no login: the token in the URL is the secret

    whole = anonymous.get(url)
    part = anonymous.get(url, headers={"Range": "bytes=0-99"})
    tail = anonymous.get(url, headers={"Range": "bytes=-10"})
    beyond = anonymous.get(url, headers={"Range": "bytes=999999999-"})
    garbage = anonymous.get(url, headers={"Range": "pages=1-2"})

    assert whole.status_code == 200 and whole.headers["Accept-Ranges"] == "bytes"
    size = len(whole.data)
    assert part.status_code == 206 and part.data == whole.data[:100]
    assert part.headers["Content-Range"] == f"bytes 0-99/{size}"
    assert part.headers["Content-Length"] == "100"
    assert tail.status_code == 206 and tail.data == whole.data[-10:]
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{size}"
    assert garbage.status_code == 416
    for response in (whole, part, beyond):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert "html" not in response.headers["Content-Type"]


def test_unknown_tokens_and_renditions_are_404(staff: Staff, clips: Clips) -> None:
    url = _ready(staff, clips.wav, "audio/wav")["urls"]["mp4"]
    token = url.split("/")[2]

    other = token[:-1] + ("y" if token.endswith("x") else "x")  # one character off, never equal
    assert staff.client.get(f"/media/{other}/mp4").status_code == 404
    assert staff.client.get(f"/media/{token}/poster.jpg").status_code == 404  # sound only
    assert staff.client.get(f"/media/{token}/original").status_code == 404
    assert staff.client.get(f"/media/{token}/captions.vtt").status_code == 404  # none yet


def test_captions_are_edited_and_served_as_webvtt(staff: Staff, clips: Clips) -> None:
    status = _ready(staff, clips.mp4, "video/mp4")
    media_id = status["media_id"]

    bad = staff.client.put(
        f"/app/media/{media_id}/captions",
        json={"cues": [{"start": 1, "end": 0.5, "text": "Hej"}]},
    )
    saved = staff.client.put(
        f"/app/media/{media_id}/captions",
        json={"cues": [{"start": 0, "end": 1.5, "text": "Hej <b>alla</b>"}]},
    )

    assert bad.status_code == 422 and "ends before it starts" in bad.get_json()["error"]["message"]
    assert saved.status_code == 200 and saved.get_json()["cues"][0]["end"] == 1.5
    urls = staff.client.get(f"/app/media/{media_id}/status").get_json()["urls"]
    track = staff.client.get(urls["vtt"])
    assert track.headers["Content-Type"].startswith("text/vtt")
    assert track.headers["X-Content-Type-Options"] == "nosniff"
    assert track.get_data(as_text=True).startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.500")


@pytest.mark.parametrize(
    ("clip", "content_type", "message"),
    [
        ("text", "video/webm", "This file contains text, not a video or audio recording."),
        ("html", "video/mp4", "This file is a web page (HTML), not a video or audio recording."),
        ("empty", "video/webm", "The file is empty (0 bytes)."),
        ("truncated", "video/mp4", "The file is incomplete"),
        ("subtitles", "video/mp4", "The file holds no sound or picture."),
    ],
)
def test_bad_uploads_are_refused_and_leave_nothing(
    staff: Staff,
    clips: Clips,
    storage: Storage,
    db_session: Session,
    clip: str,
    content_type: str,
    message: str,
) -> None:
    path = getattr(clips, clip)

    media_id, response = upload_local(
        staff, path, content_type, declared=max(1, path.stat().st_size)
    )

    status = staff.client.get(f"/app/media/{media_id}/status").get_json()
    assert status["status"] == "failed" and status["error"].startswith(message)
    assert status["urls"] == {}
    if response.status_code != 202:  # refused at once, before processing
        assert response.status_code == 422
        assert response.get_json()["error"]["message"] == status["error"]
    media = media_row(db_session, media_id)
    assert storage.list(media.storage_prefix) == [] and media.original_key is None


def test_a_clip_over_the_organisations_limit(
    client: Any, clips: Clips, storage: Storage, db_session: Session
) -> None:
    staff = sign_in(client, max_recording_seconds=5)

    media_id, _ = upload_local(staff, clips.long, "video/webm")

    media = media_row(db_session, media_id)
    assert media.status == MediaStatus.FAILED and media.max_duration_seconds == 5
    assert media.error.startswith("The clip is 7 s long; the limit is 5 s.")
    assert storage.list(media.storage_prefix) == []


def test_a_file_over_the_size_limit(
    staff: Staff, app: Any, tmp_path: Path, storage: Storage, db_session: Session, monkeypatch: Any
) -> None:
    monkeypatch.setattr(app.config["STOOP"], "media_max_upload_mb", 1)
    big = tmp_path / "big.webm"
    big.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(1024 * 1024 + 10))

    declared_big = start_upload(staff, big, "video/webm")
    media_id, refused = upload_local(staff, big, "video/webm", declared=1000)

    assert declared_big.status_code == 422
    assert "The file is 1.0 MB; the limit is 1.0 MB" in declared_big.get_json()["error"]["message"]
    assert refused.status_code == 413
    assert refused.get_json()["error"]["code"] == "too_large"
    media = media_row(db_session, media_id)
    assert media.status == MediaStatus.FAILED and "the limit is 1.0 MB" in media.error
    assert storage.list(media.storage_prefix) == []


def test_declared_type_is_checked_before_anything_is_stored(staff: Staff, db_session: Any) -> None:
    response = staff.post_json(
        "/app/media/uploads", {"filename": "page.html", "content_type": "text/html", "size": 10}
    )
    malformed = staff.post_json("/app/media/uploads", {"filename": "a.webm", "size": "big"})

    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "unsupported_type"
    assert malformed.status_code == 422 and "size" in malformed.get_json()["error"]["message"]


def test_complete_before_the_file_arrived(staff: Staff, clips: Clips) -> None:
    media_id = start_upload(staff, clips.mp4, "video/mp4").get_json()["media_id"]

    response = staff.post_json(f"/app/media/{media_id}/complete")

    assert response.status_code == 422 and response.get_json()["error"]["code"] == "not_received"
    assert staff.client.get(f"/app/media/{media_id}/status").get_json()["status"] == "pending"


def test_staff_endpoints_need_a_login(client: Any) -> None:
    response = client.post("/app/media/uploads", json={})

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_another_organisations_media_is_not_found(staff: Staff, clips: Clips, app: Any) -> None:
    media_id = _ready(staff, clips.wav, "audio/wav")["media_id"]
    other = sign_in(app.test_client())

    for response in (
        other.client.get(f"/app/media/{media_id}/status"),
        other.client.get(f"/app/media/{media_id}/captions"),
        other.client.put(f"/app/media/{media_id}/captions", json={"cues": []}),
        other.post_json(f"/app/media/{media_id}/complete"),
    ):
        assert response.status_code == 404, response.get_data(as_text=True)
        assert response.get_json()["error"]["code"] == "not_found"
