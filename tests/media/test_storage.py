"""The storage contract, run against both backends: a local folder and S3 (the moto server)."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from media.storage import ObjectTooLarge, StorageUnavailable, get_storage
from media.storage.base import check_key
from media.storage.local import LocalStorage
from media.storage.s3 import S3Storage
from panel.core.config import Settings

PAYLOAD = bytes(range(256)) * 40  # 10,240 bytes


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """One storage of each kind, empty."""
    if request.param == "local":
        yield LocalStorage(tmp_path / "media")
        return
    server = request.getfixturevalue("s3_server")
    yield S3Storage(
        server.create_bucket(),
        endpoint_url=server.endpoint_url,
        cors_origins=["http://127.0.0.1:5000"],
    )


def test_put_then_read_head_and_list(storage: Any) -> None:
    size = storage.put("7/abc/original.webm", io.BytesIO(PAYLOAD), content_type="video/webm")

    assert size == len(PAYLOAD)
    assert storage.read("7/abc/original.webm") == PAYLOAD
    assert storage.head("7/abc/original.webm").size == len(PAYLOAD)
    assert storage.list("7/abc/") == ["7/abc/original.webm"]
    assert storage.list("7/ab") == ["7/abc/original.webm"]
    assert storage.list("8/") == []


def test_put_from_a_path(storage: Any, tmp_path: Path) -> None:
    source = tmp_path / "poster.jpg"
    source.write_bytes(PAYLOAD)

    storage.put("1/x/poster.jpg", source, content_type="image/jpeg")

    assert storage.read("1/x/poster.jpg") == PAYLOAD


def test_stream_gives_byte_ranges_in_chunks(storage: Any) -> None:
    storage.put("1/x/video.mp4", io.BytesIO(PAYLOAD), content_type="video/mp4")

    assert b"".join(storage.stream("1/x/video.mp4", start=0, end=99)) == PAYLOAD[:100]
    assert b"".join(storage.stream("1/x/video.mp4", start=10_000)) == PAYLOAD[10_000:]
    chunks = list(storage.stream("1/x/video.mp4", chunk_size=4096))
    assert b"".join(chunks) == PAYLOAD and max(len(c) for c in chunks) <= 4096


def test_download_to_a_local_file(storage: Any, tmp_path: Path) -> None:
    storage.put("1/x/audio.mp3", io.BytesIO(PAYLOAD), content_type="audio/mpeg")

    storage.download("1/x/audio.mp3", tmp_path / "copy.mp3")

    assert (tmp_path / "copy.mp3").read_bytes() == PAYLOAD


def test_a_missing_object_is_file_not_found_everywhere(storage: Any, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        storage.head("1/none/video.mp4")
    with pytest.raises(FileNotFoundError):
        storage.stream("1/none/video.mp4")
    with pytest.raises(FileNotFoundError):
        storage.download("1/none/video.mp4", tmp_path / "x")
    storage.delete("1/none/video.mp4")  # deleting what is gone is fine


def test_delete_removes_the_object(storage: Any) -> None:
    storage.put("1/x/a.mp4", io.BytesIO(b"a"), content_type="video/mp4")
    storage.put("1/x/b.mp4", io.BytesIO(b"b"), content_type="video/mp4")

    storage.delete("1/x/a.mp4")

    assert storage.list("1/") == ["1/x/b.mp4"]


def test_put_over_max_bytes_stores_nothing(storage: Any) -> None:
    with pytest.raises(ObjectTooLarge):
        storage.put("1/x/big.webm", io.BytesIO(PAYLOAD), content_type="video/webm", max_bytes=1000)

    assert storage.list("1/") == []


@pytest.mark.parametrize(
    "key", ["../escape", "/etc/passwd", "a/../../b", "a//b", "a/./b", "", "a\\b", "a/b\x00"]
)
def test_keys_cannot_escape(storage: Any, key: str) -> None:
    with pytest.raises(ValueError, match="not a valid storage key"):
        storage.put(key, io.BytesIO(b"x"), content_type="video/mp4")
    with pytest.raises(ValueError, match="not a valid storage key"):
        storage.read(key)


def test_local_keys_stay_under_the_root(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "media")
    (tmp_path / "secret.txt").write_text("x")

    with pytest.raises(ValueError):
        storage.path("../secret.txt")
    assert check_key("1/abc/video.mp4") == "1/abc/video.mp4"


def test_local_storage_has_no_direct_urls(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)

    assert storage.presigned_upload("1/x/o.webm", content_type="video/webm", max_bytes=10) is None
    assert storage.download_url("1/x/video.mp4", content_type="video/mp4") is None


def test_s3_presigned_post_is_sigv4_with_conditions(s3_server: Any) -> None:
    storage = S3Storage(s3_server.create_bucket(), endpoint_url=s3_server.endpoint_url)

    upload = storage.presigned_upload("1/x/o.webm", content_type="video/webm", max_bytes=5000)

    assert upload is not None and upload["method"] == "POST"
    fields = upload["fields"]
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert fields["Content-Type"] == "video/webm" and fields["key"] == "1/x/o.webm"
    sent = requests.post(
        upload["url"], data=fields, files={"file": ("o.webm", PAYLOAD[:3000])}, timeout=10
    )
    assert sent.status_code == 204
    assert storage.read("1/x/o.webm") == PAYLOAD[:3000]
    assert storage.head("1/x/o.webm").content_type == "video/webm"


def test_s3_download_url_serves_ranges_with_our_content_type(s3_server: Any) -> None:
    storage = S3Storage(s3_server.create_bucket(), endpoint_url=s3_server.endpoint_url)
    storage.put("1/x/video.mp4", io.BytesIO(PAYLOAD), content_type="application/octet-stream")

    url = storage.download_url("1/x/video.mp4", content_type="video/mp4")
    response = requests.get(url, headers={"Range": "bytes=0-99"}, timeout=10)

    assert response.status_code == 206 and response.content == PAYLOAD[:100]
    assert response.headers["Content-Type"] == "video/mp4"


def test_s3_bucket_cors_is_set_once_and_kept(s3_server: Any) -> None:
    bucket = s3_server.create_bucket()
    client = s3_server.client()
    other_rule = {"AllowedOrigins": ["https://other.example"], "AllowedMethods": ["GET"]}
    client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [other_rule]})
    storage = S3Storage(
        bucket, endpoint_url=s3_server.endpoint_url, cors_origins=["https://stoop.example"]
    )

    assert storage.ensure_bucket_cors() is True
    assert storage.ensure_bucket_cors() is False

    rules = client.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert len(rules) == 2
    ours = next(r for r in rules if r["AllowedOrigins"] == ["https://stoop.example"])
    assert sorted(ours["AllowedMethods"]) == ["GET", "HEAD", "POST"]
    assert "ETag" in ours["ExposeHeaders"]


def test_s3_sets_cors_before_the_first_presigned_upload(s3_server: Any) -> None:
    bucket = s3_server.create_bucket()
    storage = S3Storage(
        bucket, endpoint_url=s3_server.endpoint_url, cors_origins=["http://127.0.0.1:5000"]
    )

    storage.presigned_upload("1/x/o.webm", content_type="video/webm", max_bytes=10)

    rules = s3_server.client().get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert rules[0]["AllowedOrigins"] == ["http://127.0.0.1:5000"]


def test_s3_unreachable_is_storage_unavailable() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    storage = S3Storage("stoop-media", endpoint_url=f"http://127.0.0.1:{port}")

    with pytest.raises(StorageUnavailable):
        storage.head("1/x/video.mp4")


def test_get_storage_follows_the_backend_setting(tmp_path: Path, s3_server: Any) -> None:
    local = get_storage(Settings.from_env(environ={}, instance_dir=str(tmp_path)))
    s3 = get_storage(
        Settings.from_env(
            environ={},
            instance_dir=str(tmp_path),
            media_backend="s3",
            s3_bucket="stoop-media",
            s3_endpoint_url=s3_server.endpoint_url,
            base_url="https://stoop.example/",
        )
    )

    assert isinstance(local, LocalStorage) and local.root == (tmp_path / "media").resolve()
    assert isinstance(s3, S3Storage) and s3.cors_origins == ["https://stoop.example"]
