"""Machine translation offline: answers per second for 1,000 short answers (a sentence each,
Swedish → English), through Stoop's path beside a bare CTranslate2 call on
the same model with the same settings (int8, greedy, ``STOOP_SPEECH_THREADS`` threads).

Three figures, each as answers per second and as a ratio to its bare twin:

* Stoop, one answer at a time, as the speech queue's task and a thread page do it: the cache
  looked up, the text cut into sentences, translated, the translation stored and committed;
  beside bare CTranslate2 called once per answer (tokenise, translate, decode); the two are
  taken alternately, answer by answer, so that a machine busy with other work slows both alike;
* Stoop's engine given all 1,000 at once (sentences batched 32 at a time) beside bare
  CTranslate2 given all 1,000 at once: what a bulk job could reach (the best of ``--rounds``).

The model is ``sv-en`` of ``STOOP_TRANSLATION_MODELS_DIR`` when one is installed; otherwise one
of OPUS-MT base's shape and size (6+6 layers, 512 wide, 8 heads, 58,000 pieces; ~75 MB in int8)
is made from random weights and converted by CTranslate2's OPUS-MT converter (kept in the temp
folder for the next run). A random model never emits the end of a sentence, so it always
writes up to Stoop's cap (twice the input's tokens and ten) where a trained one stops at about
the input's length: read its answers per second as a floor; the ratios hold either way.

Run: ``python -m tests.benchmarks.bench_translation [--answers 1000] [--rounds 2]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import tempfile
import time
from pathlib import Path
from typing import Any

SUBJECTS = (
    "Hissen",
    "Tvättstugan",
    "Porten",
    "Lampan i trapphuset",
    "Värmen i lägenheten",
    "Dörren till cykelrummet",
    "Sophuset",
    "Ventilationen i badrummet",
)
PROBLEMS = (
    "har varit trasig i två veckor",
    "luktar mögel sedan i oktober",
    "går inte att låsa på kvällen",
    "blinkar hela natten",
    "fungerar inte och det är kallt",
    "är smutsig och ingen städar",
    "låter mycket när det blåser",
)


def short_answers(count: int) -> list[str]:
    """``count`` different short answers of one sentence, as tenants write them (one sentence
    each, so that Stoop and the bare call translate the very same segments)."""
    combinations = itertools.cycle(itertools.product(SUBJECTS, PROBLEMS))
    return [
        f"{subject} på Ängsbacksvägen {n % 150 + 1} {problem}."
        for n, (subject, problem) in zip(range(count), combinations, strict=False)
    ]


def model_root() -> tuple[Path, str]:
    """The models folder holding ``sv-en``, and where its model came from."""
    from tests.language.model_maker import OPUS_MT_BASE, SENTENCES, make_model

    installed = os.environ.get("STOOP_TRANSLATION_MODELS_DIR", "")
    if installed and (Path(installed) / "sv-en" / "model.bin").is_file():
        return Path(installed), "installed"
    root = Path(tempfile.gettempdir()) / "stoop-bench-translation"
    if not (root / "sv-en" / "SHA256SUMS").is_file():
        print("making a model of OPUS-MT base's shape (random weights, once)…", flush=True)
        started = time.perf_counter()
        sentences = [*SENTENCES, *short_answers(2000)]
        make_model(root / "sv-en", seed=11, shape=OPUS_MT_BASE, sentences=sentences)
        print(f"  made and converted in {time.perf_counter() - started:.0f} s", flush=True)
    return root, "generated, OPUS-MT base shape"


class Bare:
    """CTranslate2 called directly, with the engine's settings."""

    def __init__(self, folder: Path, threads: int) -> None:
        import ctranslate2
        import sentencepiece

        self.translator = ctranslate2.Translator(
            str(folder), device="cpu", compute_type="int8", inter_threads=1, intra_threads=threads
        )
        self.source = sentencepiece.SentencePieceProcessor(model_file=str(folder / "source.spm"))
        self.target = sentencepiece.SentencePieceProcessor(model_file=str(folder / "target.spm"))

    def translate(self, texts: list[str]) -> list[str]:
        tokens = [self.source.encode(text, out_type=str) for text in texts]
        results = self.translator.translate_batch(
            tokens,
            beam_size=1,
            max_batch_size=32,
            max_decoding_length=2 * max(map(len, tokens)) + 10,
        )
        return [self.target.decode(result.hypotheses[0]) for result in results]


def timed(work: Any) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def one_at_a_time(root: Path, answers: list[str], bare: Bare) -> tuple[float, float, str]:
    """Seconds for bare CTranslate2 and for Stoop's service (cache looked up, translated,
    stored, committed) to translate each answer in turn, taken alternately answer by answer
    so that a busy machine slows both alike; and the database's kind."""
    from panel.app import create_app
    from panel.core.extensions import db
    from panel.core.scoping import scoped_to
    from panel.language import service
    from panel.organisations.models import Organisation
    from tests.benchmarks.bench_busy_pages import _settings, make_database

    url, cleanup = make_database()
    try:
        instance = Path(tempfile.mkdtemp(prefix="stoop-bench-translation-"))
        settings = _settings(url, instance, env="development")
        settings = dataclasses.replace(settings, translation_models_dir=str(root))
        app = create_app(settings, serving=False)
        with app.app_context():
            session = db.session()
            organisation = Organisation(name="Bostadsbolaget Ängsbacken", slug="angsbacken")
            session.add(organisation)
            session.commit()
            with scoped_to(session, organisation.id):
                service.translate(session, "Värmen.", "sv", "en")  # loads the model
                session.commit()

                def stoop(text: str) -> None:
                    service.translate(session, text, "sv", "en")
                    session.commit()

                bare_took = stoop_took = 0.0
                for text in answers:
                    bare_took += timed(lambda text=text: bare.translate([text]))
                    stoop_took += timed(lambda text=text: stoop(text))
            return bare_took, stoop_took, url.partition(":")[0].partition("+")[0]
    finally:
        cleanup()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2, help="of the all-at-once figures")
    args = parser.parse_args()
    from panel.core.config import Settings
    from panel.language import engine

    root, origin = model_root()
    folder = root / "sv-en"
    threads = Settings.from_env().speech_threads
    size = (folder / "model.bin").stat().st_size / 1e6
    print(f"model: {folder} ({origin}; model.bin {size:.0f} MB), {threads} threads")
    answers = short_answers(args.answers)
    settings = dataclasses.replace(Settings.from_env(), translation_models_dir=str(root))
    bare = Bare(folder, threads)
    bare.translate(answers[:4])  # warm
    pieces = sum(len(bare.source.encode(text)) for text in answers) / len(answers)

    bare_each, stoop_each, database = one_at_a_time(root, answers, bare)
    bare_all, stoop_all = float("inf"), float("inf")
    for _ in range(args.rounds):  # alternated; the best of each
        bare_all = min(bare_all, timed(lambda: bare.translate(answers)))
        stoop_all = min(stoop_all, timed(lambda: engine.translate(settings, answers, "sv", "en")))

    n = len(answers)
    print(f"\n{n} short answers ({pieces:.0f} pieces each on average), Swedish → English;")
    print(f"Stoop one at a time keeps each translation in {database}.")
    print("answers per second (higher is better), and Stoop's time against the bare call's:")
    extra_ms = (stoop_each - bare_each) / n * 1000
    rows = [
        ("one at a time, bare CTranslate2", bare_each, ""),
        ("one at a time, Stoop", stoop_each, f"{stoop_each / bare_each:.2f}x ({extra_ms:+.0f} ms)"),
        ("all at once, bare CTranslate2", bare_all, ""),
        ("all at once, Stoop's engine", stoop_all, f"{stoop_all / bare_all:.2f}x"),
    ]
    for label, took, ratio in rows:
        print(f"  {label:<34} {n / took:7.1f}   {ratio}".rstrip())


if __name__ == "__main__":
    main()
