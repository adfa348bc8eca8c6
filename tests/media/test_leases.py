"""The heartbeat renews a live worker's lease on a connection of its own, and notices when the
clip has been taken over. On a database of its own, so that the heartbeat's connection sees
the committed rows as another process would."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from media import leases, lifecycle, processing
from media.leases import Heartbeat, LeaseLost
from media.models import MediaFile, MediaStatus
from media.storage.local import LocalStorage
from panel.core.db import create_engine, utcnow
from panel.core.scoping import all_organisations
from panel.organisations.models import Organisation
from tests.media.conftest import Clips


@pytest.fixture
def engine(database_factory) -> Iterator[sa.Engine]:
    engine = create_engine(database_factory())
    yield engine
    engine.dispose()


def _uploaded(engine: sa.Engine) -> int:
    with Session(engine) as session, all_organisations(session):
        organisation = Organisation(name="Bostäder Väst", slug="vast", settings={})
        session.add(organisation)
        session.flush()
        media = MediaFile(
            organisation_id=organisation.id,
            public_id="p" * 32,
            status=MediaStatus.UPLOADED,
            renditions={},
        )
        session.add(media)
        session.commit()
        return media.id


def _row(engine: sa.Engine, media_id: int) -> MediaFile:
    with Session(engine) as session, all_organisations(session):
        media = session.get(MediaFile, media_id)
        assert media is not None
        session.expunge(media)
        return media


def test_the_heartbeat_renews_the_lease_until_the_block_ends(engine: sa.Engine) -> None:
    media_id = _uploaded(engine)
    with Session(engine) as session, all_organisations(session):
        claimed = lifecycle.claim(session, media_id)
    assert claimed is not None
    _media, lease = claimed
    first = _row(engine, media_id).lease_expires_at

    with Heartbeat(engine, lease, every=0.2):
        time.sleep(1.1)
    renewed = _row(engine, media_id).lease_expires_at
    time.sleep(0.6)

    assert renewed > first
    assert _row(engine, media_id).lease_expires_at == renewed  # the heartbeat stopped
    assert (renewed - utcnow()).total_seconds() > leases.LEASE_SECONDS - 2
    assert not lease.lost.is_set()


def test_the_heartbeat_notices_a_takeover_and_the_worker_stops(engine: sa.Engine) -> None:
    media_id = _uploaded(engine)
    with Session(engine) as session, all_organisations(session):
        claimed = lifecycle.claim(session, media_id)
    assert claimed is not None
    _media, lease = claimed
    with engine.begin() as connection:  # presumed dead, taken over by another worker
        connection.execute(
            sa.update(MediaFile.__table__)
            .where(MediaFile.__table__.c.id == media_id)
            .values(lease_token=leases.new_token())
        )

    with Heartbeat(engine, lease, every=0.1):
        deadline = time.monotonic() + 5
        while not lease.lost.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)

    assert lease.lost.is_set()
    with pytest.raises(LeaseLost):
        lease.check()


def test_a_clip_processes_while_the_heartbeat_beats(
    engine: sa.Engine, app: Flask, clips: Clips, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Beats between every step: the worker's own writes and the heartbeat's, on two
    # connections, must not get in each other's way.
    monkeypatch.setattr(leases, "HEARTBEAT_SECONDS", 0.02)
    media_id = _uploaded(engine)
    storage = LocalStorage(tmp_path / "media")
    with Session(engine) as session, all_organisations(session):
        media = session.get(MediaFile, media_id)
        media.original_key = f"{media.storage_prefix}original.webm"
        storage.put(media.original_key, clips.recording, content_type="video/webm")
        session.commit()

    worker = Session(engine, expire_on_commit=False)  # as the app's sessions are
    with app.app_context(), worker, all_organisations(worker):
        done = processing.process(worker, media_id, storage=storage, settings=app.config["STOOP"])

    assert done is not None and done.status == MediaStatus.READY
    assert _row(engine, media_id).lease_token is None
