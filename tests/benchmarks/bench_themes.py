"""Themes over 10,000 answers, on this machine: how fast the bundled embedding model reads
answers (answers per second, in a fresh process, and that process's peak memory), and how long
finding the themes of 10,000 stored embeddings takes (target under 10 s), through the service
as a communicator's "Find themes" runs it: the embeddings read from the database, grouped,
each answer placed, every theme's words and centroid worked out, all committed.

The answers are the made-up ones of the themes tests (six topics in Swedish, Dutch and English,
tests/themes/corpus.py), so the grouping's adjusted Rand index against the topics is printed
too. Embedding 10,000 answers takes minutes on two busy cores; the vectors are kept in the
temporary models folder, keyed by the texts and the model's hash, and a later run reuses them
(say ``--fresh`` to embed again; the throughput line says which).

    python -m tests.benchmarks.bench_themes [--answers 10000] [--fresh]

``make bench`` runs it with the others. The database is PostgreSQL when it is reachable at
``PG_URL`` (as for the other benchmarks), else SQLite.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TARGET_SECONDS = 10.0
SEED = 2026
BATCH = 200
MODELS = Path(tempfile.gettempdir()) / "stoop-test-models"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def texts_of(count: int) -> tuple[list[str], list[str], list[str], list[int]]:
    from tests.themes.corpus import answers

    made = answers(count, seed=SEED)
    return (
        [m.text for m in made],
        [m.language for m in made],
        [m.topic for m in made],
        [m.score for m in made],
    )


def embed_child(count: int, target: str) -> None:
    """In a fresh process: load the model, embed ``count`` answers; print the figures."""
    from panel.core.config import Settings
    from panel.themes.embeddings import E5Embedder

    texts = texts_of(count)[0]
    embedder = E5Embedder(Settings.from_env(environ={}, models_dir=str(MODELS)))
    started = time.perf_counter()
    embedder.embed(texts[:1])
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    vectors = np.concatenate(
        [embedder.embed(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]
    )
    took = time.perf_counter() - started
    np.save(target, vectors)
    print(f"{loaded:.2f} {took:.2f} {peak_mb():.0f}")


def find_child(count: int, vectors_path: str) -> None:
    """In a fresh process: store the answers and their embeddings, then find their themes."""
    import sqlalchemy as sa

    import panel.models  # noqa: F401 - every model, before one is used alone (mappers resolve)
    from panel.answers.models import Answer
    from panel.app import create_app
    from panel.core.db import utcnow
    from panel.core.extensions import db
    from panel.core.scoping import all_organisations, scoped_to
    from panel.questions.models import QuestionStatus
    from panel.themes import clustering, service
    from panel.themes.embeddings import MODEL_NAME, to_bytes
    from panel.themes.models import AnswerAnalysis, AnswerTheme
    from panel.themes.scopes import of_question
    from tests.benchmarks.bench_busy_pages import _settings, make_database
    from tests.factories import OrganisationFactory, UserFactory
    from tests.questions.conftest import make_question
    from tests.themes.test_acceptance import adjusted_rand_index

    texts, languages, topics, scores = texts_of(count)
    vectors = np.load(vectors_path)
    url, drop = make_database()
    instance = Path(tempfile.mkdtemp(prefix="stoop-bench-themes-"))
    app = create_app(_settings(url, instance), serving=False)
    try:
        with app.app_context():
            session = db.session()
            with all_organisations(session):
                organisation = OrganisationFactory(name="Bostadsbolaget Ängsbacken")
                owner = UserFactory(organisation=organisation, communicator=True)
                question = make_question(
                    owner, title="Vad vill du att vi gör bättre?", status=QuestionStatus.LIVE
                )
            now = utcnow()
            with scoped_to(session, organisation.id):
                answer_ids = []
                for start in range(0, count, 1000):
                    rows = [
                        {
                            "organisation_id": organisation.id,
                            "question_id": question.id,
                            "channel": "web",
                            "language": languages[i],
                            "text": texts[i],
                            "score": scores[i],
                            "me_token": secrets.token_urlsafe(32),
                            "created_at": now,
                            "consent_quote": i % 3 != 0,
                        }
                        for i in range(start, min(start + 1000, count))
                    ]
                    answer_ids += session.scalars(
                        sa.insert(Answer).returning(Answer.id, sort_by_parameter_order=True),
                        rows,
                    ).all()
                session.execute(
                    sa.insert(AnswerAnalysis),
                    [
                        {
                            "organisation_id": organisation.id,
                            "answer_id": answer_id,
                            "text_hash": hashlib.sha256(texts[i].encode()).hexdigest(),
                            "embedding_model": MODEL_NAME,
                            "embedding": to_bytes(vectors[i]),
                            "updated_at": now,
                        }
                        for i, answer_id in enumerate(answer_ids)
                    ],
                )
                session.commit()
                before = peak_mb()

                started = time.perf_counter()
                found = service.find_themes(session, of_question(question.id))
                session.commit()
                took = time.perf_counter() - started

                placed = dict(
                    session.execute(
                        sa.select(AnswerTheme.answer_id, AnswerTheme.theme_id).where(
                            AnswerTheme.scope_id == question.id
                        )
                    ).all()
                )
            started = time.perf_counter()
            clustering.group(vectors)
            grouping_only = time.perf_counter() - started
            index = adjusted_rand_index(topics, [placed[a] for a in answer_ids])
            print(
                f"{took:.2f} {grouping_only:.2f} {found.themes} {index:.3f} "
                f"{before:.0f} {peak_mb():.0f} {sa.engine.make_url(url).get_backend_name()}"
            )
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop()


def run_child(*args: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_themes", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=10_000)
    parser.add_argument("--fresh", action="store_true", help="embed again, not from the cache")
    options = parser.parse_args()

    from panel.core.model_files import materialise, sha256_of
    from panel.themes.embeddings import E5_SMALL, MODEL_NAME

    folder = materialise(E5_SMALL, MODELS)  # copied and checked before anything is timed
    texts = texts_of(options.answers)[0]
    key = hashlib.sha256(
        "\n".join([MODEL_NAME, sha256_of(folder / "e5-small-q4.bin"), *texts]).encode()
    ).hexdigest()[:16]
    cached = MODELS / f"bench-themes-{options.answers}-{key}.npy"
    load_avg = os.getloadavg()[0]
    print(f"{options.answers:,} answers; load average {load_avg:.1f} on {os.cpu_count()} cores")
    if options.fresh or not cached.is_file():
        loaded, took, peak = (
            float(x) for x in run_child("--embed", str(options.answers), str(cached))
        )
        print(f"model load (checked copy, engine, language directions): {loaded:.2f} s")
        print(
            f"embedding: {options.answers:,} answers in {took:.1f} s = "
            f"{options.answers / took:.0f} answers/s"
        )
        print(f"peak memory of the embedding process: {peak:.0f} MB")
    else:
        print(f"embedding: reused {cached.name} (--fresh to measure the throughput again)")

    out = run_child("--find", str(options.answers), str(cached))
    took, grouping, themes, index = float(out[0]), float(out[1]), int(out[2]), float(out[3])
    before, peak, backend = float(out[4]), float(out[5]), out[6]
    verdict = "within" if took < TARGET_SECONDS else "OVER"
    print(
        f"find themes, {options.answers:,} stored embeddings on {backend}: {took:.2f} s "
        f"({verdict} the {TARGET_SECONDS:.0f} s target); grouping alone {grouping:.2f} s"
    )
    print(f"themes found: {themes}; adjusted Rand index against the six topics: {index:.3f}")
    print(f"peak memory of that process: {peak:.0f} MB ({before:.0f} MB before finding)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--embed":
        embed_child(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "--find":
        find_child(int(sys.argv[2]), sys.argv[3])
    else:
        main()
