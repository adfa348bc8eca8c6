"""The language tests' fixtures: real CTranslate2 models made once a session (Swedish →
English, English → Swedish, English → Dutch; see :mod:`tests.language.model_maker`), the app
pointed at them, and the threads tests' tenant, answers, phone line and SMTP server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ctranslate2
import pytest
import sentencepiece

from panel.answers.models import AnswerChannel
from panel.answers.service import Consent, Given, record_answer
from panel.contacts.models import Contact
from panel.core.scoping import scoped_to
from panel.language import engine
from panel.threads.models import Thread
from tests.factories import login
from tests.language.model_maker import make_model
from tests.threads import conftest as threads

organisation = threads.organisation
scoped = threads.scoped
staff = threads.staff
stairwell = threads.stairwell
question = threads.question
tenant = threads.tenant
invitation_of = threads.invitation_of
phone_line = threads.phone_line
answered = threads.answered
thread_of = threads.thread_of

DIRECTIONS = {"sv-en": 1, "en-sv": 2, "en-nl": 3}


@pytest.fixture(scope="session")
def model_folders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder as an IT person installs it: one checked folder per direction."""
    root = tmp_path_factory.mktemp("translation-models")
    for name, seed in DIRECTIONS.items():
        make_model(root / name, seed=seed)
    return root


@pytest.fixture
def use_models(app, monkeypatch):
    """``use_models(folder)`` points the app at a models folder ('' for none) for one test."""

    def use(folder: Path | str) -> None:
        monkeypatch.setattr(app.config["STOOP"], "translation_models_dir", str(folder))

    yield use
    engine.forget_loaded()


@pytest.fixture
def translating(use_models, model_folders) -> Path:
    """The app translates with the session's models."""
    use_models(model_folders)
    return model_folders


@pytest.fixture
def signed_in(client, staff):
    login(client, staff)
    return client


@pytest.fixture
def smtp(monkeypatch, app, smtp_server):
    monkeypatch.setattr(app.config["STOOP"], "smtp_url", smtp_server.url)
    return smtp_server


@pytest.fixture
def arabic_tenant(scoped, organisation, stairwell):
    contact = Contact(
        organisation_id=organisation.id,
        name="Amal Haddad",
        email="amal.haddad@example.se",
        phone="+46707654321",
        language="ar",
        place_id=stairwell.id,
    )
    scoped.add(contact)
    scoped.commit()
    return contact


@pytest.fixture
def answered_by(db_session, organisation, question, invitation_of):
    """``answered_by(contact, text, language, channel="sms")`` → the thread of a new answer."""

    def make(contact: Any, text: str, language: str, channel: str = "sms") -> Thread:
        invitation = invitation_of(
            question, contact, channel="sms" if channel == "sms" else "email"
        )
        with scoped_to(db_session, organisation.id):
            recorded = record_answer(
                db_session,
                question,
                Given(text=text, consent=Consent(identity=True, quote=True, show_clip=True)),
                channel=AnswerChannel(channel),
                language=language,
                invitation=invitation,
            )
            db_session.commit()
            return thread_of(db_session, recorded.answer.id)

    return make


def reference(folder: Path, sentences: list[str], prefix: tuple[str, ...] = ()) -> list[str]:
    """What the model in ``folder`` makes of these sentences translated together, asked of
    CTranslate2 directly with the engine's settings: greedy, int8, and at most twice the
    longest input's tokens and ten (a random model never stops on its own)."""
    translator = ctranslate2.Translator(str(folder), device="cpu", compute_type="int8")
    source = sentencepiece.SentencePieceProcessor(model_file=str(folder / "source.spm"))
    target = sentencepiece.SentencePieceProcessor(model_file=str(folder / "target.spm"))
    tokens = [[*prefix, *source.encode(text, out_type=str)] for text in sentences]
    results = translator.translate_batch(
        tokens, beam_size=1, max_decoding_length=2 * max(map(len, tokens)) + 10
    )
    return [target.decode(result.hypotheses[0]) for result in results]


def reference_one(folder: Path, text: str) -> str:
    """``reference`` of a single sentence."""
    return reference(folder, [text])[0]
