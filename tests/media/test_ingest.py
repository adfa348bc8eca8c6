"""Fetching a clip from a provider's URL (a Twilio recording, an MMS file) with basic-auth
credentials, a time limit and a size limit, against a real HTTP server on loopback."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from media.ingest import FetchUnavailable, fetch, ingest_url
from media.models import MediaStatus
from media.rejections import MediaRejected
from media.storage import Storage
from tests.factories import OrganisationFactory
from tests.media.conftest import Clips, media_row

SID, TOKEN = "AC0123456789abcdef0123456789abcdef", "9f0e1d2c3b4a59687766554433221100"


@dataclass
class Provider:
    """A recording server that wants basic auth, as Twilio's media URLs do."""

    url: str
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    seen_auth: list[str] = field(default_factory=list)


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    expected = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:
            pass

        def do_GET(self) -> None:
            provider.seen_auth.append(self.headers.get("Authorization", ""))
            path = self.path
            if path == "/redirect":
                self._answer(302, b"", "text/plain", Location="/Recordings/RE1.wav")
            elif self.headers.get("Authorization") != expected:
                self._answer(401, b"Authenticate", "text/plain")
            elif path == "/broken":
                self._answer(503, b"Try later", "text/plain")
            elif path == "/stall":
                self.send_response(200)
                self.send_header("Content-Type", "audio/wav")
                self.send_header("Content-Length", "1000000")
                self.end_headers()
                self.wfile.write(b"RIFF")
                self.wfile.flush()
                time.sleep(3)  # then nothing more within the client's time limit
            elif path == "/endless":  # no Content-Length: the size is only known by counting
                self.send_response(200)
                self.send_header("Content-Type", "audio/wav")
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    for _ in range(400):
                        self.wfile.write(b"\0" * 16384)
                except OSError:
                    pass  # the client stopped reading: that is the point
            elif path in provider.files:
                body, content_type = provider.files[path]
                self._answer(200, body, content_type)
            else:
                self._answer(404, b"Not found", "text/plain")

        def _answer(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture
def provider(clips: Clips) -> Iterator[Provider]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)  # type: ignore[arg-type]
    found = Provider(f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(found)
    found.files["/Recordings/RE1.wav"] = (clips.wav.read_bytes(), "audio/x-wav")
    found.files["/page.html"] = (b"<!DOCTYPE html><html><body>Login</body></html>", "text/html")
    found.files["/Media/ME1"] = (clips.text.read_bytes(), "audio/mpeg")  # lies about its type
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()


def test_a_recording_is_fetched_with_credentials_and_processed(
    app: Any, db_session: Session, storage: Storage, provider: Provider, clips: Clips
) -> None:
    organisation = OrganisationFactory()

    media = ingest_url(
        db_session,
        organisation_id=organisation.id,
        url=f"{provider.url}/redirect",  # providers redirect to their storage
        auth=(SID, TOKEN),
        max_bytes=1024 * 1024,
        timeout=10,
        language="sv",
    )
    db_session.commit()

    ready = media_row(db_session, media.id)
    assert ready.status == MediaStatus.READY and ready.kind == "audio"
    assert ready.original_filename == "redirect" and ready.content_type == "audio/wav"
    assert ready.size_bytes == clips.wav.stat().st_size
    assert provider.seen_auth[-1].startswith("Basic ")  # same host: the credentials went along


@pytest.mark.parametrize(
    ("path", "code", "words"),
    [
        ("/Recordings/RE1.wav", "download_failed", "it answered 401"),  # wrong credentials
        ("/nothing-here", "download_failed", "it answered 404"),
        ("/page.html", "unsupported_type", "this file is text/html"),
        ("/Media/ME1", "text", "This file contains text"),
    ],
)
def test_refusals_fail_the_clip_with_a_code_and_leave_nothing(
    app: Any,
    db_session: Session,
    storage: Storage,
    provider: Provider,
    path: str,
    code: str,
    words: str,
) -> None:
    organisation = OrganisationFactory()
    auth = (SID, "wrong") if path.startswith("/Recordings") else (SID, TOKEN)

    media = ingest_url(
        db_session, organisation_id=organisation.id, url=provider.url + path, auth=auth, timeout=10
    )
    db_session.commit()

    failed = media_row(db_session, media.id)
    assert failed.status == MediaStatus.FAILED and failed.error_code == code
    assert words in failed.error
    assert storage.list(failed.storage_prefix) == []


def test_the_size_limit_is_kept_with_and_without_a_content_length(
    provider: Provider, tmp_path: Path
) -> None:
    with pytest.raises(MediaRejected) as declared:
        fetch(f"{provider.url}/stall", tmp_path / "a", auth=(SID, TOKEN), max_bytes=1000, timeout=5)
    with pytest.raises(MediaRejected) as counted:
        fetch(
            f"{provider.url}/endless", tmp_path / "b", auth=(SID, TOKEN), max_bytes=100_000,
            timeout=10,
        )  # fmt: skip

    assert declared.value.code == counted.value.code == "too_large"
    assert declared.value.params == {"size": 1_000_000, "limit": 1000}
    assert counted.value.params == {"size": None, "limit": 100_000}
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_the_time_limit_and_an_unavailable_provider(provider: Provider, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(MediaRejected) as slow:
        fetch(
            f"{provider.url}/stall", tmp_path / "a", auth=(SID, TOKEN), max_bytes=10**7, timeout=1
        )
    took = time.monotonic() - started
    with pytest.raises(FetchUnavailable):
        fetch(f"{provider.url}/broken", tmp_path / "b", auth=(SID, TOKEN), max_bytes=10**7)
    with pytest.raises(FetchUnavailable):  # nobody listens there
        fetch("http://127.0.0.1:9/x.wav", tmp_path / "c", max_bytes=10**7, timeout=2)

    assert slow.value.code == "download_timeout" and took < 2.5
    assert not (tmp_path / "a").exists()
