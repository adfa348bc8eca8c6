"""A worker SIGKILLed mid-transcode: another worker finishes the clip within 2 minutes.

Real processes on Redis database 13: ``stoop worker`` (the one killed), ``stoop beat`` (which
sends the media sweep every 20 s) and, after the kill, a second ``stoop worker``. They share a
fresh, migrated database and an instance folder (local media storage, the workers' temporary
folders), as workers on one machine do. The clip is long enough to take several seconds to
transcode, and the kill lands when its progress shows the transcode under way. The broker
still holds the dead worker's message (Redis gives it back only after the 900 s visibility
timeout): it is the lapsed lease that hands the clip on.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from media import workfolders
from media.models import MediaFile, MediaStatus
from media.service import complete_upload, create_upload
from media.storage import current_storage
from panel.core.db import utcnow
from tests.conftest import TEST_SECRET, redis_test_db
from tests.factories import OrganisationFactory, system_session
from tests.integration.test_celery_redis import REDIS_HOST, REDIS_PORT, _redis_reachable

pytestmark = pytest.mark.integration

REDIS_DB = redis_test_db(13)  # numbers: tests/conftest.py
BROKER_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
STOOP = Path(sys.executable).with_name("stoop")
READY_TIMEOUT = 60.0
TAKEOVER_LIMIT = 120.0  # the acceptance: finished within 2 minutes of the kill
CLIP_SECONDS = 30


@dataclass
class Process:
    """A ``stoop`` subprocess leading its own process group, and its log."""

    popen: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while text not in self.output():
            if self.popen.poll() is not None:
                pytest.fail(f"{self.log.name} exited ({self.popen.returncode}):\n{self.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"{self.log.name}: no {text!r} in {READY_TIMEOUT} s:\n{self.output()}")
            time.sleep(0.1)

    def kill(self, sig: int = signal.SIGTERM) -> None:
        try:
            os.killpg(self.popen.pid, sig)
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=5)
        except ProcessLookupError:
            pass


@dataclass
class Machine:
    """What the processes share: the database, the broker and the instance folder."""

    database_url: str
    instance: Path
    env: dict[str, str]

    def start(self, name: str, *args: str) -> Process:
        log = self.instance.parent / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [str(STOOP), *args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: a kill takes its ffmpeg along
            )
        return Process(popen, log)

    def worker(self, name: str) -> Process:
        worker = self.start(name, "worker", "-c", "2", "--without-gossip", "--without-mingle")
        worker.wait_for("ready.")
        return worker


@pytest.fixture(scope="module")
def machine(database_factory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Machine]:
    if not _redis_reachable():
        if os.environ.get("CI"):
            pytest.fail("Redis is not reachable; CI must run the worker integration tests")
        pytest.skip("Redis is not reachable (start redis-server to run this test)")
    import redis

    broker = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB)
    broker.flushdb()
    folder = tmp_path_factory.mktemp("machine")
    database_url = database_factory()
    env = {
        **os.environ,
        "STOOP_ENV": "testing",
        "STOOP_SECRET_KEY": TEST_SECRET,
        "STOOP_BROKER_URL": BROKER_URL,
        "STOOP_DATABASE_URL": database_url,
        "STOOP_INSTANCE_DIR": str(folder / "instance"),
        "STOOP_LOG_JSON": "0",
    }
    yield Machine(database_url, folder / "instance", env)
    broker.flushdb()


@pytest.fixture
def machine_app(make_app, machine: Machine):
    """An app on the machine's database, broker and media folder (no in-process executor)."""
    return make_app(
        database_url=machine.database_url,
        broker_url=BROKER_URL,
        media_dir=str(machine.instance / "media"),
        instance_dir=str(machine.instance),
    )


def _long_clip(folder: Path) -> Path:
    """A grainy 960x540 clip: a few seconds of x264 work on this machine, ~45 MB."""
    clip = folder / "stairwell.mp4"
    subprocess.run(
        [
            "ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=960x540:rate=25,noise=alls=25:allf=t",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", str(CLIP_SECONDS),
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "30", "-pix_fmt", "yuv420p",
            "-c:a", "aac", str(clip),
        ],
        check=True,
    )  # fmt: skip
    return clip


def _upload(app, clip: Path) -> int:
    """A staff upload of ``clip``, completed: process_media goes to the broker at the commit."""
    with app.app_context():
        session = system_session()
        organisation = OrganisationFactory(name="Bostäder Norr")
        media, _ = create_upload(
            session,
            organisation_id=organisation.id,
            filename=clip.name,
            content_type="video/mp4",
            size=clip.stat().st_size,
            max_duration_seconds=120,
        )
        current_storage().put(media.original_key or "", clip, content_type="video/mp4")
        complete_upload(session, media)
        session.commit()
        return media.id


def _row(app, media_id: int) -> MediaFile:
    with app.app_context():
        media = system_session().get(MediaFile, media_id)
        assert media is not None
        return media


def _wait(app, media_id: int, done, timeout: float, what: str) -> MediaFile:
    deadline = time.monotonic() + timeout
    while True:
        media = _row(app, media_id)
        if done(media):
            return media
        if media.status == MediaStatus.FAILED:
            pytest.fail(f"media {media_id} failed: {media.error_code} {media.error_params}")
        if time.monotonic() > deadline:
            pytest.fail(
                f"media {media_id} not {what} in {timeout} s: {media.status} {media.progress}%"
            )
        time.sleep(0.2)


def test_a_clip_whose_worker_was_killed_mid_transcode_is_finished_by_another(
    machine: Machine, machine_app, tmp_path: Path
) -> None:
    clip = _long_clip(tmp_path)
    first = machine.worker("worker-1")
    beat = machine.start("beat", "beat")
    second: Process | None = None
    try:
        media_id = _upload(machine_app, clip)
        busy = _wait(
            machine_app,
            media_id,
            lambda m: m.status == MediaStatus.PROCESSING and m.progress >= 15,
            READY_TIMEOUT,
            "transcoding",
        )
        assert busy.progress < 85, "the transcode ended before the kill could land in it"
        folder = (
            workfolders.work_root(machine_app.config["STOOP"]) / f"{media_id}-{busy.lease_token}"
        )
        assert folder.is_dir() and any(folder.rglob("*.mp4"))

        first.kill(signal.SIGKILL)  # kill -9, and its ffmpeg with it
        killed_at = time.monotonic()
        assert _row(machine_app, media_id).status == MediaStatus.PROCESSING  # left mid-way
        second = machine.worker("worker-2")

        ready = _wait(
            machine_app,
            media_id,
            lambda m: m.status == MediaStatus.READY,
            TAKEOVER_LIMIT - (time.monotonic() - killed_at),
            "ready",
        )
        took = time.monotonic() - killed_at
    finally:
        for process in (first, beat, second):
            if process is not None:
                process.kill()

    print(f"ready {took:.1f} s after the kill")
    assert took < TAKEOVER_LIMIT
    assert ready.attempts == 2 and ready.lease_token is None
    assert ready.duration_seconds == pytest.approx(CLIP_SECONDS, abs=0.5)
    assert not folder.exists(), "the dead worker's temporary folder is still there"
    assert list(workfolders.work_root(machine_app.config["STOOP"]).iterdir()) == []
    with machine_app.app_context():
        keys = current_storage().list(ready.storage_prefix)
    assert sorted(key.rpartition("/")[2] for key in keys) == [
        "audio.mp3",
        "poster.jpg",
        "video.mp4",
    ]


def test_a_clip_whose_task_was_lost_is_processed_by_the_sweep(
    machine: Machine, machine_app, clips_folder: Path
) -> None:
    worker = machine.worker("worker-3")
    beat = machine.start("beat-2", "beat")
    try:
        media_id = _upload_without_task(machine_app, clips_folder)
        ready = _wait(machine_app, media_id, lambda m: m.status == MediaStatus.READY, 60, "ready")
    finally:
        worker.kill()
        beat.kill()

    assert ready.attempts == 1


@pytest.fixture
def clips_folder(tmp_path: Path) -> Path:
    clip = tmp_path / "short.webm"
    subprocess.run(
        [
            "ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", "testsrc=size=160x120:rate=15",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", "2", "-c:v", "libvpx", "-c:a", "libopus", str(clip),
        ],
        check=True,
    )  # fmt: skip
    return clip


def _upload_without_task(app, clip: Path) -> int:
    """A clip marked uploaded whose task never reached the broker (it was down at the commit),
    three minutes ago."""
    with app.app_context():
        session = system_session()
        organisation = OrganisationFactory(name="Bostäder Syd")
        media, _ = create_upload(
            session,
            organisation_id=organisation.id,
            filename=clip.name,
            content_type="video/webm",
            size=clip.stat().st_size,
        )
        current_storage().put(media.original_key or "", clip, content_type="video/webm")
        session.flush()
        session.execute(
            sa.update(MediaFile)
            .where(MediaFile.id == media.id)
            .values(status=MediaStatus.UPLOADED, updated_at=utcnow() - dt.timedelta(minutes=3))
        )
        session.commit()
        return media.id
