"""Machine translation, offline: OPUS-MT models converted for CTranslate2, one folder a direction.

``STOOP_TRANSLATION_MODELS_DIR`` holds a folder per direction named ``<source>-<target>``
(``sv-en``, ``en-ar``), as ``ct2-opus-mt-converter`` or ``ct2-transformers-converter`` writes
it (``model.bin``, ``config.json``, the vocabulary) with OPUS-MT's ``source.spm`` and
``target.spm`` beside it, and a ``SHA256SUMS`` of the published files (docs/translation.md).
No model ships with Stoop: none is published on a package registry. Where a direction has no
folder but both halves through English do (``sv-en`` and ``en-nl`` for Swedish → Dutch), the
text goes through English.

Every folder is checked against its ``SHA256SUMS`` before it is loaded; a folder that fails is
refused with the file's name and never runs, and the refusal is remembered until a file of the
folder changes (a page does not hash a 300 MB file at every view). A loaded model is kept once
per process, shared by its threads (a CTranslate2 translator may be called from several).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from panel.core.config import Settings
from panel.core.model_files import LoadedOnce, ModelRefused, verify_checksum_file

log = logging.getLogger(__name__)

PIVOT = "en"
MAX_BATCH = 32  # sentences CTranslate2 translates together
MAX_PIECES = 200  # a longer "sentence" (no full stops) is cut into pieces this long
REQUIRED = ("model.bin", "config.json", "source.spm", "target.spm")
VOCABULARIES = ("shared_vocabulary.json", "source_vocabulary.json")
# OPUS-MT models that write several languages want the one to write as the first source token.
ISO_639_3 = {
    "ar": "ara",
    "en": "eng",
    "nl": "nld",
    "pl": "pol",
    "so": "som",
    "sv": "swe",
    "tr": "tur",
}
DIRECTION = re.compile(r"^([a-z]{2,3})-([a-z]{2,3})$")
SENTENCE_END = re.compile(r"(?<=[.!?؟。])\s+")
LANGUAGE_TOKEN = re.compile(r"^>>\w+<<$")


class NoModel(LookupError):
    """No model (direct or through English) is installed for a direction."""


@dataclass(frozen=True)
class Route:
    """The model folders a text goes through, in order: one, or two through English."""

    source: str
    target: str
    steps: tuple[Path, ...]

    @property
    def engine(self) -> str:
        """What made a translation, as it is recorded beside it."""
        return "opus-mt " + "+".join(step.name for step in self.steps) + " (ctranslate2 int8)"


@dataclass(frozen=True)
class Loaded:
    """A checked model folder, loaded: the translator and its two sentencepiece models."""

    translator: Any
    source_pieces: Any
    target_pieces: Any
    prefix: tuple[str, ...] = ()  # a target-language token, for models that write several


_models = LoadedOnce()
_refused: dict[tuple[str, tuple[Any, ...]], str] = {}
_refused_lock = threading.Lock()


def models_root(settings: Settings) -> Path | None:
    """The folder of translation models, or None when none is configured or it is not there."""
    if not settings.translation_models_dir:
        return None
    root = Path(settings.translation_models_dir)
    return root if root.is_dir() else None


def directions(settings: Settings) -> dict[tuple[str, str], Path]:
    """Every installed direction and its folder (a folder's name says its direction)."""
    root = models_root(settings)
    if root is None:
        return {}
    found = {}
    for folder in root.iterdir():
        match = DIRECTION.match(folder.name)
        if match and folder.is_dir():
            found[(match.group(1), match.group(2))] = folder
    return found


def route(settings: Settings, source: str, target: str) -> Route | None:
    """How a text gets from ``source`` to ``target``: directly, through English, or not."""
    if source == target:
        return None
    installed = directions(settings)
    direct = installed.get((source, target))
    if direct is not None:
        return Route(source, target, (direct,))
    first, second = installed.get((source, PIVOT)), installed.get((PIVOT, target))
    if first is not None and second is not None:
        return Route(source, target, (first, second))
    return None


def signature(folder: Path) -> tuple[Any, ...]:
    """What the folder's files look like on disk (names, sizes, change times): a file that is
    replaced or edited changes it, and the folder is checked again before it is used."""
    return tuple(
        sorted(
            (path.name, stat.st_size, stat.st_mtime_ns)
            for path in folder.iterdir()
            if path.is_file() and (stat := path.stat())
        )
    )


def refusal(found: Route) -> str | None:
    """Why a folder of the route was refused, if it was and has not changed since."""
    with _refused_lock:
        for folder in found.steps:
            reason = _refused.get((str(folder), signature(folder)))
            if reason:
                return reason
    return None


def load(folder: Path, threads: int) -> Loaded:
    """The folder's model, checked and loaded once per process (ModelRefused if it fails)."""
    state = signature(folder)
    with _refused_lock:
        known = _refused.get((str(folder), state))
    if known:
        raise ModelRefused(known)
    try:
        return _models.get((str(folder), state, threads), lambda: _load(folder, threads))
    except ModelRefused as exc:
        log.error("translation model refused: %s", exc)
        with _refused_lock:
            _refused[(str(folder), state)] = str(exc)
        raise


def _load(folder: Path, threads: int) -> Loaded:
    verify_checksum_file(folder)
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if missing:
        raise ModelRefused(
            f"{folder.name}: {', '.join(missing)} missing in {folder}; an OPUS-MT folder "
            "converted for CTranslate2 has model.bin, config.json, its vocabulary, and "
            "OPUS-MT's source.spm and target.spm."
        )
    import ctranslate2
    import sentencepiece

    log.info("loading translation model %s", folder)
    try:
        translator = ctranslate2.Translator(
            str(folder),
            device="cpu",
            compute_type="int8",
            inter_threads=1,
            intra_threads=threads,
        )
        source = sentencepiece.SentencePieceProcessor(model_file=str(folder / "source.spm"))
        target = sentencepiece.SentencePieceProcessor(model_file=str(folder / "target.spm"))
    except (RuntimeError, OSError, ValueError) as exc:
        raise ModelRefused(f"{folder.name}: CTranslate2 could not load {folder}: {exc}") from exc
    return Loaded(translator, source, target, _language_token(folder))


def _language_token(folder: Path) -> tuple[str, ...]:
    """``(">>ara<<",)`` for a model that writes several languages, else nothing."""
    tokens: list[str] = []
    for name in VOCABULARIES:
        path = folder / name
        if path.is_file():
            tokens = [t for t in json.loads(path.read_text("utf-8")) if LANGUAGE_TOKEN.match(t)]
            break
    if not tokens:
        return ()
    wanted = f">>{ISO_639_3.get(DIRECTION.match(folder.name).group(2), '?')}<<"  # type: ignore[union-attr]
    if wanted not in tokens:
        raise ModelRefused(
            f"{folder.name}: the model writes several languages, but not {wanted} "
            f"(it knows {', '.join(tokens[:8])}…)."
        )
    return (wanted,)


def translate(settings: Settings, texts: Sequence[str], source: str, target: str) -> list[str]:
    """``texts`` in ``target``, sentence by sentence, paragraphs kept (NoModel, ModelRefused)."""
    found = route(settings, source, target)
    if found is None:
        raise NoModel(f"no translation model for {source}-{target}")
    return translate_route(settings, found, texts)


def translate_route(settings: Settings, found: Route, texts: Sequence[str]) -> list[str]:
    """``texts`` through every step of ``found``."""
    result = list(texts)
    for folder in found.steps:
        result = run(load(folder, settings.speech_threads), result)
    return result


def run(model: Loaded, texts: Sequence[str]) -> list[str]:
    """Translate with one loaded model: every sentence of every text in one batched call."""
    segments: list[list[str]] = []
    layout: list[list[list[int]]] = []  # text → paragraph → indexes of its segments
    for text in texts:
        paragraphs = []
        for paragraph in text.split("\n"):
            indexes = []
            for sentence in SENTENCE_END.split(paragraph.strip()) if paragraph.strip() else ():
                pieces = model.source_pieces.encode(sentence, out_type=str)
                for start in range(0, len(pieces), MAX_PIECES):
                    indexes.append(len(segments))
                    segments.append([*model.prefix, *pieces[start : start + MAX_PIECES]])
            paragraphs.append(indexes)
        layout.append(paragraphs)
    translated = decode(model, segments)
    return [
        "\n".join(" ".join(translated[i] for i in paragraph) for paragraph in paragraphs)
        for paragraphs in layout
    ]


def decode(model: Loaded, segments: list[list[str]]) -> list[str]:
    """Greedy decoding of tokenised segments. The longest output is capped at twice the
    longest input and ten: a model caught repeating itself stops there."""
    if not segments:
        return []
    longest = max(len(segment) for segment in segments)
    results = model.translator.translate_batch(
        segments,
        beam_size=1,
        max_batch_size=MAX_BATCH,
        max_decoding_length=decoding_limit(longest),
    )
    return [model.target_pieces.decode(result.hypotheses[0]) for result in results]


def decoding_limit(longest_input: int) -> int:
    """How many tokens a translation of a segment of ``longest_input`` tokens may have."""
    return 2 * longest_input + 10


def forget_loaded() -> None:
    """Drop every loaded model and remembered refusal (a test that changes folders)."""
    _models.clear()
    with _refused_lock:
        _refused.clear()
