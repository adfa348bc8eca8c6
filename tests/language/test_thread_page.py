"""A tenant's words in the reader's language on the thread page: the machine translation is
shown beside the original and marked as one, made ahead of time on the speech queue (a new
answer, a transcript) or on the spot for a short text, once (one cached row); a long text says
it is being translated; a Dutch reader gets Swedish through English; where no model is
installed for the direction the page says so, and where the model failed its check the page
says that, while the page and replies keep working."""

from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path

import sqlalchemy as sa

from media.signals import transcript_changed
from media.transcribe import Segment, record_draft
from panel.core.celery import SPEECH_QUEUE
from panel.core.scoping import scoped_to
from panel.language.models import MachineTranslation
from panel.threads import service
from tests.factories import UserFactory, login
from tests.language.conftest import reference_one
from tests.questions.conftest import make_media

ELEVATOR = "Hissen har stått still i två veckor."
LAUNDRY = "Tvättstugan luktar mögel sedan översvämningen i oktober."
ARABIC = "المصعد معطل منذ أسبوعين."


def text_of(response) -> str:
    """The page's visible text, roughly (tags out, entities decoded, spaces squeezed)."""
    html = re.sub(r"<script.*?</script>", " ", response.get_data(as_text=True), flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def translations_shown(response) -> list[tuple[str, str]]:
    """Each translation block of the page: its state and its visible text."""
    html = response.get_data(as_text=True)
    blocks = re.findall(r'data-translation="(\w+)">(.*?)</div>', html, flags=re.S)
    return [
        (state, " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())) for state, body in blocks
    ]


def cached_rows(session) -> list[MachineTranslation]:
    session.expire_all()
    query = sa.select(MachineTranslation).execution_options(all_organisations=True)
    return list(session.scalars(query.order_by(MachineTranslation.id)))


def test_a_new_answer_is_translated_ahead_and_shown_beside_the_original(
    app, signed_in, translating, answered, db_session
):
    thread = answered(channel="email", text=ELEVATOR)
    [row] = cached_rows(db_session)  # made on the speech queue when the answer arrived
    english = reference_one(translating / "sv-en", ELEVATOR)

    response = signed_in.get(f"/app/threads/{thread.id}")
    signed_in.get(f"/app/threads/{thread.id}")

    assert response.status_code == 200
    assert translations_shown(response) == [("done", f"Machine translation from Swedish {english}")]
    assert ELEVATOR in text_of(response), "the original stays"
    assert (row.source_language, row.target_language, row.text) == ("sv", "en", english)
    assert row.engine == "opus-mt sv-en (ctranslate2 int8)"
    assert len(cached_rows(db_session)) == 1, "made once, read from the cache after"
    task = app.extensions["celery"].tasks["panel.language.tasks.translate_answer"]
    assert task.queue == SPEECH_QUEUE


def test_a_short_text_is_translated_on_the_spot_once(
    signed_in, use_models, model_folders, answered, db_session
):
    thread = answered(channel="email", text=LAUNDRY)  # no models yet: nothing made ahead
    assert cached_rows(db_session) == []
    use_models(model_folders)

    first = signed_in.get(f"/app/threads/{thread.id}")
    again = signed_in.get(f"/app/threads/{thread.id}")

    english = reference_one(model_folders / "sv-en", LAUNDRY)
    assert translations_shown(first) == [("done", f"Machine translation from Swedish {english}")]
    assert translations_shown(again) == translations_shown(first)
    assert [row.text for row in cached_rows(db_session)] == [english]


def test_a_long_text_is_being_translated_then_shown(
    signed_in, use_models, model_folders, answered, db_session
):
    long_text = " ".join([ELEVATOR, LAUNDRY] * 6)  # over what a page translates while it waits
    thread = answered(channel="email", text=long_text)
    use_models(model_folders)

    first = signed_in.get(f"/app/threads/{thread.id}")
    later = signed_in.get(f"/app/threads/{thread.id}")  # the queued task has run (in-process)

    assert translations_shown(first) == [
        ("pending", "Being translated into English. It appears here in a minute or two.")
    ]
    [(state, shown)] = translations_shown(later)
    [row] = cached_rows(db_session)
    assert state == "done" and shown == f"Machine translation from Swedish {row.text}"
    assert len(row.text) > 100


def test_a_transcript_is_translated_when_it_is_made(
    signed_in, translating, answered, organisation, db_session
):
    thread = answered(channel="email", text=None, score=3)
    with scoped_to(db_session, organisation.id):
        media = make_media(organisation.id, language="sv")
        thread.answer.media_id = media.id
        thread.answer.clip_kind = "video"
        record_draft(media, [Segment(0.0, 3.2, LAUNDRY)], engine="faster-whisper whisper-base")
        transcript_changed.send(media, session=db_session)
        db_session.commit()  # the transcript's translation is queued after this commit
    [row] = cached_rows(db_session)

    response = signed_in.get(f"/app/threads/{thread.id}")

    english = reference_one(translating / "sv-en", LAUNDRY)
    assert row.text == english
    html = unescape(response.get_data(as_text=True))
    transcript = html[html.index('class="transcript"') :]
    assert LAUNDRY in transcript and "Machine translation from Swedish" in transcript
    assert english in transcript


def test_a_tenants_follow_up_is_translated_too(
    signed_in, translating, answered, organisation, db_session
):
    thread = answered(channel="sms", text=ELEVATOR)
    with scoped_to(db_session, organisation.id):
        service.follow_up(db_session, thread, LAUNDRY, channel="sms")
        db_session.commit()

    response = signed_in.get(f"/app/threads/{thread.id}")

    assert [state for state, _ in translations_shown(response)] == ["done", "done"]
    follow_up = translations_shown(response)[1][1]
    assert follow_up == "Machine translation from Swedish " + reference_one(
        translating / "sv-en", LAUNDRY
    )


def test_a_dutch_colleague_reads_swedish_through_english(
    client, translating, answered, organisation
):
    dutch = UserFactory(organisation=organisation, name="Daan de Vries", locale="nl")
    thread = answered(channel="email", text=ELEVATOR)
    login(client, dutch)

    response = client.get(f"/app/threads/{thread.id}")

    english = reference_one(translating / "sv-en", ELEVATOR)
    dutch_text = reference_one(translating / "en-nl", english)
    [(state, shown)] = translations_shown(response)
    assert state == "done" and shown.endswith(dutch_text)
    assert "Machinevertaling uit het Zweeds" in shown


def test_nothing_is_translated_for_a_reader_of_the_tenants_language(
    client, translating, answered, organisation, db_session
):
    swede = UserFactory(organisation=organisation, name="Sara Ek", locale="sv")
    thread = answered(channel="email", text=ELEVATOR)
    login(client, swede)

    response = client.get(f"/app/threads/{thread.id}")

    assert translations_shown(response) == []
    assert "data-reply-translate" not in response.get_data(as_text=True)


def test_without_a_model_for_the_direction_the_page_says_so_and_replies_go_as_written(
    signed_in, translating, answered_by, arabic_tenant, phone_line, db_session
):
    thread = answered_by(arabic_tenant, ARABIC, "ar")

    response = signed_in.get(f"/app/threads/{thread.id}")

    assert translations_shown(response) == [
        (
            "missing",
            "No translation model for Arabic → English is installed on this server. "
            "Your IT department can install one: see docs/translation.md.",
        )
    ]
    page = text_of(response)
    assert "Translate my reply into Arabic before sending" in page
    assert re.search(r'<input type="checkbox" name="translate" value="y" disabled', response.text)
    assert "No translation model for English → Arabic is installed on this server." in page
    assert cached_rows(db_session) == []

    reply = "Thank you, we will send a technician tomorrow morning."
    sent = signed_in.post(f"/app/threads/{thread.id}/reply", data={"body": reply})

    assert sent.status_code == 303
    [sms] = phone_line.messages
    assert sms.to == arabic_tenant.phone and reply in sms.body


def test_a_tampered_model_is_refused_and_nothing_else_breaks(
    client, use_models, model_folders, answered, organisation, phone_line, db_session, tmp_path
):
    installed = tmp_path / "models"
    shutil.copytree(model_folders, installed)
    _flip_a_byte(installed / "sv-en" / "model.bin")
    use_models(installed)
    admin = UserFactory(organisation=organisation, name="Admin Adminsson", role="admin")
    thread = answered(channel="sms", text=ELEVATOR)  # the task ahead is refused: no row
    login(client, admin)

    response = client.get(f"/app/threads/{thread.id}")

    assert response.status_code == 200
    [(state, shown)] = translations_shown(response)
    assert state == "refused"
    assert "The translation model for Swedish → English did not pass its check" in shown
    assert "model.bin" in shown and "SHA-256" in shown  # an admin sees why
    assert cached_rows(db_session) == []
    reply = "We are on it."
    assert client.post(f"/app/threads/{thread.id}/reply", data={"body": reply}).status_code == 303
    [sms] = phone_line.messages
    assert reply in sms.body


def _flip_a_byte(path: Path, at: int = 1000) -> None:
    with path.open("r+b") as handle:
        handle.seek(at)
        byte = handle.read(1)
        handle.seek(at)
        handle.write(bytes([byte[0] ^ 0x01]))
