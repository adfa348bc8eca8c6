"""The offline models behind themes: the embedding model that installs with Stoop is copied
once, checked against its pinned SHA-256 before it is loaded (a changed byte is refused with a
message naming the file, and the answer keeps everything else), loaded once per process and
shared by its threads; the languages' own directions are taken out; sentiment in Swedish, Dutch
and English, none for the languages without a model."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from panel.app import create_app
from panel.core.celery import SPEECH_QUEUE, dispatch
from panel.core.config import Settings
from panel.core.model_files import ModelRefused, materialise, sha256_of
from panel.core.scoping import scoped_to
from panel.themes import analysis, sentiment
from panel.themes.embeddings import (
    E5_SMALL,
    E5Embedder,
    EmbedderUnavailable,
    clear_loaded,
    get_embedder,
)
from panel.themes.tasks import analyse_answer
from tests.conftest import TEST_MODELS_DIR, make_test_settings
from tests.factories import login
from tests.themes.conftest import CORPUS, analysis_of, reading_settings
from tests.threads.conftest import thread_of

MODEL_FILE = "e5-small-q4.bin"


def test_the_bundled_model_is_copied_once_and_matches_its_pinned_hash() -> None:
    folder = materialise(E5_SMALL, TEST_MODELS_DIR)
    made = (folder / MODEL_FILE).stat().st_mtime_ns

    published = E5_SMALL.files[MODEL_FILE]
    assert (folder / MODEL_FILE).stat().st_size == published.size == 71_622_400
    assert sha256_of(folder / MODEL_FILE) == published.sha256
    assert materialise(E5_SMALL, TEST_MODELS_DIR) == folder
    assert (folder / MODEL_FILE).stat().st_mtime_ns == made, "copied once, then only checked"


def tampered_models(tmp_path: Path) -> Path:
    """A models folder whose embedding model has one byte changed."""
    folder = tmp_path / "models"
    shutil.copytree(materialise(E5_SMALL, TEST_MODELS_DIR), folder / E5_SMALL.name)
    with (folder / E5_SMALL.name / MODEL_FILE).open("r+b") as handle:
        handle.seek(5_000_000)
        byte = handle.read(1)
        handle.seek(5_000_000)
        handle.write(bytes([byte[0] ^ 0x01]))
    return folder


def test_a_model_file_with_one_byte_changed_is_refused_and_the_answer_keeps_the_rest(
    app: Flask,
    client: FlaskClient,
    db_session: Session,
    organisation: Any,
    question: Any,
    communicator: Any,
    record: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    tampered = tampered_models(tmp_path)
    settings = reading_settings(app, models_dir=str(tampered))
    [answer] = record(question, [CORPUS[0]], read=False)

    with pytest.raises(ModelRefused) as refused:
        E5Embedder(settings).model_file()
    with scoped_to(db_session, organisation.id):
        analysis.analyse(db_session, answer.id, settings=settings)

    message = str(refused.value)
    assert MODEL_FILE in message and "SHA-256" in message and "not loaded" in message
    row = analysis_of(db_session, answer.id)
    assert row.embedding is None and row.embedding_model is None
    assert row.sentiment == "negative", "sentiment needs no embedding model"
    assert thread_of(db_session, answer.id) is not None
    monkeypatch.setitem(app.config, "STOOP", settings)
    login(client, communicator)
    page = client.get(f"/app/questions/{question.id}/themes")
    assert page.status_code == 200
    assert "Answers cannot be read for themes on this installation." in page.text
    assert MODEL_FILE in page.text and "not loaded" in page.text
    clear_loaded()  # what was remembered of the tampered file goes with it


def test_the_model_is_loaded_once_per_process_and_shared_by_threads(model: E5Embedder) -> None:
    loaded: list[object] = []

    def load() -> None:
        loaded.append(model._loaded())

    workers = [threading.Thread(target=load) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert len(loaded) == 4 and all(one is loaded[0] for one in loaded)
    assert loaded[0].model.dim == 384


def test_the_same_complaint_is_nearer_across_languages_than_another_in_the_same(
    model: E5Embedder,
) -> None:
    lift = ["Hissen är trasig igen.", "De lift is weer kapot.", "The lift is broken again."]
    rent = ["Hyran är för hög.", "De huur is veel te hoog.", "The rent is far too high."]

    vectors = model.embed(lift + rent)

    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Compared as the themes compare them: around their mean (every embedding of the model
    # shares a large common part).
    centred = vectors - vectors.mean(axis=0)
    centred /= np.linalg.norm(centred, axis=1, keepdims=True)
    similar = centred @ centred.T
    for i in range(3):
        for j in range(3):
            if i != j:
                assert similar[i, j] > similar[i, 3 + i], (lift[i], lift[j], rent[i])
                assert similar[3 + i, 3 + j] > similar[3 + i, i], (rent[i], rent[j], lift[i])


def test_embeddings_off_say_so() -> None:
    off = Settings.from_env(environ={"STOOP_EMBEDDER": "none"})

    with pytest.raises(EmbedderUnavailable, match="STOOP_EMBEDDER=none"):
        get_embedder(off)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Hissen är trasig igen och ingen lyssnar.", "sv", "negative"),
        ("Mycket nöjd med den nya tvättstugan, bra jobbat!", "sv", "positive"),
        ("Jag har bott här i tre år.", "sv", "neutral"),
        ("Vreselijke schimmel, mijn kinderen zijn ziek.", "nl", "negative"),
        ("Heel tevreden met de nieuwe keuken, goed gedaan!", "nl", "positive"),
        ("Ik woon hier drie jaar.", "nl", "neutral"),
        ("Terrible mould, my kids are sick.", "en", "negative"),
        ("The new machines in the laundry room are great!", "en", "positive"),
        ("I have lived here for three years.", "en", "neutral"),
        ("Vi fryser på vintern, värmen fungerar dåligt.", "sv-SE", "negative"),
    ],
)
def test_sentiment_in_swedish_dutch_and_english(text: str, language: str, expected: str) -> None:
    assert sentiment.sentiment(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("المصعد معطل مرة أخرى", "ar"),
        ("Asansör yine bozuk", "tr"),
        ("Winda znowu nie działa", "pl"),
        ("Wiishka mar kale ayuu jabay", "so"),
    ],
)
def test_no_sentiment_where_no_model_reads_the_language(text: str, language: str) -> None:
    assert sentiment.sentiment(text, language) is None
    assert not sentiment.has_model(language)


def test_reading_waits_on_the_speech_queue_of_a_real_broker(
    database_url: str, tmp_path: Path, own_redis: Any
) -> None:
    import redis

    # Rate limits stay in memory: Flask-Limiter is one object per process, and this Redis
    # stops with the test.
    settings = make_test_settings(
        tmp_path, database_url, broker_url=own_redis.url(1), redis_url="memory://"
    )
    app = create_app(settings)
    with app.app_context():
        tasks = app.extensions["celery"].tasks
        dispatch(tasks["panel.themes.tasks.analyse_answer"], 4711)
        dispatch(tasks["panel.themes.tasks.analyse_missed"])

    broker = redis.Redis.from_url(own_redis.url(1))
    assert broker.llen(SPEECH_QUEUE) == 1, "reading an answer waits on the speech queue"
    assert broker.llen("celery") == 1, "the sweep that queues them stays on the default queue"
    assert analyse_answer.queue == SPEECH_QUEUE
