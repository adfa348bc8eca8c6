"""The worker's temporary folders: one per claim, removed when the claim ends or dies.

A worker transcodes in ``<instance>/media-work/<media id>-<lease token>/``. The folder goes
when processing ends, whatever the outcome; a worker killed mid-transcode cannot remove its
own, so the sweep (:func:`media.tasks.reclaim_stalled`) and a worker taking over a clip remove
every folder whose lease is no longer live. The folders live in the instance folder, not in the
system's temporary folder, so that only this installation's folders are ever looked at.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from media.leases import Lease
from media.models import MediaFile, MediaStatus
from panel.core.config import Settings
from panel.core.db import utcnow
from panel.core.scoping import ALL_ORGS_OPTION

log = logging.getLogger(__name__)

FOLDER_NAME = re.compile(r"(\d{1,19})-([0-9a-f]{32})")
DOWNLOAD_PREFIX = "download-"
DOWNLOAD_STALE_SECONDS = 6 * 3600  # far beyond any download's time limit


def work_root(settings: Settings) -> Path:
    """Where this installation's workers keep their temporary folders."""
    return Path(settings.instance_dir) / "media-work"


def folder_for(settings: Settings, lease: Lease) -> Path:
    """A new, empty temporary folder for one claim."""
    folder = work_root(settings) / f"{lease.media_id}-{lease.token}"
    folder.mkdir(parents=True, exist_ok=False)
    return folder


def download_folder(settings: Settings) -> Path:
    """A new, empty temporary folder for one download (:mod:`media.ingest`)."""
    root = work_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=DOWNLOAD_PREFIX, dir=root))


def remove(folder: Path) -> None:
    """Remove a temporary folder and everything in it (gone already is fine)."""
    shutil.rmtree(folder, ignore_errors=True)


def remove_dead(session: Session, settings: Settings) -> int:
    """Remove every temporary folder whose claim has ended or lapsed, and downloads abandoned
    hours ago; returns how many.

    A folder is live only while its clip is processing under the same lease token and the
    lease has not lapsed: that worker is still at work (and its heartbeat renews the lease).
    """
    root = work_root(settings)
    if not root.is_dir():
        return 0
    found: dict[int, list[tuple[Path, str]]] = {}
    removed = 0
    for path in root.iterdir():
        match = FOLDER_NAME.fullmatch(path.name)
        if match and path.is_dir():
            found.setdefault(int(match.group(1)), []).append((path, match.group(2)))
        elif path.name.startswith(DOWNLOAD_PREFIX) and _older_than(path, DOWNLOAD_STALE_SECONDS):
            remove(path)  # its process died mid-download
            removed += 1
    if not found:
        return removed
    live = {
        (media_id, token)
        for media_id, token in session.execute(
            sa.select(MediaFile.id, MediaFile.lease_token)
            .where(
                MediaFile.id.in_(found),
                MediaFile.status == MediaStatus.PROCESSING,
                MediaFile.lease_expires_at >= utcnow(),
            )
            .execution_options(**{ALL_ORGS_OPTION: True})
        )
    }
    for media_id, folders in found.items():
        for path, token in folders:
            if (media_id, token) not in live:
                log.info("media %s: removing the temporary folder of a dead claim", media_id)
                remove(path)
                removed += 1
    return removed


def _older_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime > seconds
    except FileNotFoundError:
        return False
