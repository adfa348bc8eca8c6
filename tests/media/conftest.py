"""Fixtures of the media tests: tiny real clips made by ffmpeg, an app in S3 mode on the moto
server, signed-in staff, and helpers that run the upload flow the way a browser does.

Clips are 160x120 and 1-4 s long so that a whole probe-and-transcode takes a fraction of a
second; they are made once per test session.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from media.models import MediaFile
from media.storage import Storage, current_storage
from panel.app import create_app
from panel.core.extensions import db
from tests.conftest import IsolatedClient, make_test_settings, savepoint_binding
from tests.factories import OrganisationFactory, UserFactory

LAVFI_VIDEO = "testsrc=size=160x120:rate=15"
LAVFI_AUDIO = "sine=frequency=440:sample_rate=48000"


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-y", "-v", "error", *args], check=True)


@dataclass(frozen=True)
class Clips:
    """Paths of the generated test files."""

    folder: Path

    def __getattr__(self, name: str) -> Path:
        return self.folder / FILES[name]


FILES = {
    "recording": "recording.webm",  # like MediaRecorder's: VP8/Opus, no duration in the header
    "mp4": "clip.mp4",  # H.264/AAC with +faststart
    "wav": "voice.wav",  # sound only
    "long": "long.webm",  # 7 s, over a 5 s limit (the shortest an organisation may set)
    "truncated": "truncated.mp4",  # the first half of an MP4 whose index is at the end
    "truncated_webm": "truncated.webm",  # the first half of a WebM (passes ffprobe)
    "truncated_recording": "cut-recording.webm",  # a recording without duration, cut short
    "subtitles": "subtitles.mp4",  # an MP4 holding only a subtitle track
    "text": "notes.webm",  # a text file renamed .webm
    "html": "page.mp4",  # a web page, uploaded as video/mp4
    "empty": "empty.webm",  # 0 bytes
}


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Clips:
    """The test files, made once per session (about a second of ffmpeg)."""
    folder = tmp_path_factory.mktemp("clips")
    video = ["-f", "lavfi", "-i", LAVFI_VIDEO, "-f", "lavfi", "-i", LAVFI_AUDIO]
    vp8 = ["-c:v", "libvpx", "-b:v", "200k", "-c:a", "libopus"]
    ffmpeg(*video, "-t", "2", *vp8, "-live", "1", "-f", "webm", str(folder / FILES["recording"]))
    ffmpeg(*video, "-t", "7", *vp8, str(folder / FILES["long"]))
    h264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"]
    ffmpeg(*video, "-t", "2", *h264, "-movflags", "+faststart", str(folder / FILES["mp4"]))
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=300:sample_rate=16000", "-t", "2", "-ac", "1",
           str(folder / FILES["wav"]))  # fmt: skip
    whole = folder / "whole.mp4"
    ffmpeg(*video, "-t", "3", *h264, str(whole))  # index at the end
    _first_half(whole, folder / FILES["truncated"])
    whole_webm = folder / "whole.webm"
    ffmpeg(*video, "-t", "3", *vp8, str(whole_webm))
    _first_half(whole_webm, folder / FILES["truncated_webm"])
    _first_half(folder / FILES["recording"], folder / FILES["truncated_recording"])
    srt = folder / "subtitles.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nHej\n")
    ffmpeg("-i", str(srt), "-c:s", "mov_text", str(folder / FILES["subtitles"]))
    (folder / FILES["text"]).write_text("These are my notes for the question, not a video.\n" * 40)
    (folder / FILES["html"]).write_text(
        "<!DOCTYPE html><html><head><title>x</title></head>"
        "<body><script>alert(1)</script></body></html>"
    )
    (folder / FILES["empty"]).write_bytes(b"")
    return Clips(folder)


def _first_half(source: Path, target: Path) -> None:
    data = source.read_bytes()
    target.write_bytes(data[: len(data) // 2])


def probe_duration(path: Path) -> float:
    """ffprobe's duration of a file (what a browser would play)."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip())


# --- apps ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_app(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, s3_server: Any
) -> Iterator[Flask]:
    """The app in ``s3`` mode against the moto server, CSRF on as in production."""
    settings = make_test_settings(
        tmp_path_factory.mktemp("s3app"),
        database_url,
        media_backend="s3",
        s3_bucket=s3_server.create_bucket(),
        s3_endpoint_url=s3_server.endpoint_url,
    )
    application = create_app(settings)
    application.test_client_class = IsolatedClient
    yield application
    db.state(application).engine.dispose()


@pytest.fixture
def s3_session(s3_app: Flask, app: Flask) -> Iterator[Session]:
    """A rolled-back session of the S3 app (the session's ``app`` stays Celery's default)."""
    with savepoint_binding(s3_app) as session:
        yield session
    celery = app.extensions["celery"]
    celery.set_current()
    celery.set_default()


@pytest.fixture
def s3_client(s3_app: Flask, s3_session: Session) -> FlaskClient:
    return s3_app.test_client()


# --- people -------------------------------------------------------------------------------------


@dataclass
class Staff:
    """A signed-in staff member and the client they use."""

    client: FlaskClient
    user: Any
    csrf_token: str = ""

    @property
    def organisation_id(self) -> int:
        return self.user.organisation_id

    @property
    def headers(self) -> dict[str, str]:
        return {"X-CSRFToken": self.csrf_token} if self.csrf_token else {}

    def post_json(self, url: str, body: Any = None) -> Any:
        return self.client.post(url, json=body or {}, headers=self.headers)


def sign_in(client: FlaskClient, **org_settings: Any) -> Staff:
    """A new organisation's staff member, signed in (with a CSRF token when CSRF is on)."""
    organisation = OrganisationFactory(settings=dict(org_settings))
    user = UserFactory(organisation=organisation)
    page = client.get("/login").get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    token = found.group(1) if found else ""
    response = client.post(
        "/login",
        data={"email": user.email, "password": "correct horse battery", "csrf_token": token},
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]
    return Staff(client, user, token)


@pytest.fixture
def staff(client: FlaskClient) -> Staff:
    """A staff member of a fresh organisation, signed in to the local-mode app."""
    return sign_in(client)


@pytest.fixture
def storage(app: Flask, db_session: Session) -> Storage:
    """The local-mode app's storage (its media folder)."""
    return current_storage()


# --- the upload flow, as the browser runs it -----------------------------------------------------


def start_upload(staff: Staff, path: Path, content_type: str, size: int | None = None) -> Any:
    return staff.post_json(
        "/app/media/uploads",
        {
            "filename": path.name,
            "content_type": content_type,
            "size": path.stat().st_size if size is None else size,
        },
    )


def upload_local(staff: Staff, path: Path, content_type: str, declared: int | None = None) -> Any:
    """Start, stream the raw bytes, complete; returns (media_id, last response)."""
    started = start_upload(staff, path, content_type, declared)
    assert started.status_code == 201, started.get_json()
    media_id = started.get_json()["media_id"]
    upload = started.get_json()["upload"]
    with path.open("rb") as body:
        sent = staff.client.post(
            upload["url"],
            input_stream=body,
            content_length=path.stat().st_size,
            content_type=content_type,
            headers=staff.headers,
        )
    if sent.status_code != 204:
        return media_id, sent
    return media_id, staff.post_json(f"/app/media/{media_id}/complete")


def upload_s3(staff: Staff, path: Path, content_type: str, declared: int | None = None) -> Any:
    """Start, POST the file to the bucket with the presigned fields, complete."""
    started = start_upload(staff, path, content_type, declared)
    assert started.status_code == 201, started.get_json()
    media_id = started.get_json()["media_id"]
    upload = started.get_json()["upload"]
    with path.open("rb") as body:
        stored = requests.post(
            upload["url"],
            data=upload["fields"],
            files={"file": (path.name, body, content_type)},
            timeout=10,
        )
    assert stored.status_code == 204, stored.text
    return media_id, staff.post_json(f"/app/media/{media_id}/complete")


def media_row(session: Session, media_id: int) -> MediaFile:
    """The MediaFile as the database has it now."""
    session.expire_all()
    media = session.get(MediaFile, media_id, execution_options={"all_organisations": True})
    assert media is not None
    return media


def run_task(app: Flask, name: str, *args: Any) -> Any:
    """Run one of ``app``'s tasks now, in ``app`` (not the newest app Celery knows)."""
    with app.app_context():
        return app.extensions["celery"].tasks[name].apply(args=args)
