"""A contact's erasure end to end, in local and s3 mode: every row and outbox file loses their
name, addresses and words, their media leave the storage, report counts stay, running it again
changes nothing, and an erasure stopped half-way by an unreachable storage completes."""

from __future__ import annotations

import email
import email.policy
import io
import secrets
import socket
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import current_app

from media.models import MediaFile, MediaStatus
from media.storage import Storage, current_storage
from media.storage.local import LocalStorage
from media.storage.s3 import S3Storage
from notifications.models import Channel, InboundMessage
from panel.answers.models import AnswerChannel
from panel.answers.service import Consent, Given, record_answer
from panel.contacts.models import ConsentEvent, Contact
from panel.core.db import Base
from panel.core.scoping import scoped_to
from panel.panels.models import MemberSource, MemberStatus, PanelMember
from panel.privacy import erasure
from panel.privacy.models import ErasureRequest
from panel.reports.figures import ReportFilter, compute
from panel.reports.models import ReelRender, Report, ReportItem
from panel.threads import service as threads
from panel.threads.models import Thread
from tests.answers import conftest as answering
from tests.factories import make_panel

organisation = answering.organisation
scoped = answering.scoped
staff = answering.staff
stairwell = answering.stairwell
question = answering.question
invitation_of = answering.invitation_of
phone_line = answering.phone_line
hooks = answering.hooks

NAME = "Żaneta Øyvindsdóttir-Şahin"
EMAIL = "zaneta.oyvindsdottir@example.se"
PHONE = "+46709871234"
TEXT = (
    "Fönstret i mitt sovrum på Ängsbacksvägen har dragit kallt ända sedan förra vintern, och "
    "trots tre felanmälningar har ingen kommit hit för att titta på det; barnen fryser nätterna."
)
TRANSCRIPT = (
    "Det här är Żaneta från trettonde våningen, hissen luktar rök varje morgon och jag undrar "
    "om någon i huset röker där inne, det är obehagligt när man ska till jobbet klockan sex."
)
AUDIO_TRANSCRIPT = (
    "Tvättstugan på gården är bokad av samma grannar varje helg, jag hinner aldrig tvätta "
    "mina gardiner och ingen svarar när jag lämnar lappar på anslagstavlan i entrén."
)
FOLLOW_UP = (
    "Tack för svaret! Fönsterhaken är fortfarande trasig och kylan kommer in vid sidan av "
    "karmen, kan ni skicka någon på torsdag förmiddag när jag är hemma med min dotter?"
)
REPLY = "Hej Żaneta Øyvindsdóttir-Şahin! Vi skickar en fastighetsskötare till Ängsbacksvägen."
SECRETS = (NAME, EMAIL, PHONE, TEXT, TRANSCRIPT, AUDIO_TRANSCRIPT, FOLLOW_UP, REPLY)
RENDITIONS = ("video.mp4", "poster.jpg", "audio.mp3")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def put_clip(storage: Storage, media: MediaFile, original: str) -> list[str]:
    keys = [f"{media.storage_prefix}{original}"] + [
        f"{media.storage_prefix}{name}" for name in RENDITIONS
    ]
    for key in keys:
        storage.put(key, io.BytesIO(secrets.token_bytes(256)), content_type="video/webm")
    media.original_key = keys[0]
    return keys


def build(session: Any, organisation: Any, question: Any, staff: Any, invitation_of: Any,
          storage: Storage) -> dict[str, Any]:  # fmt: skip
    """The contact and everything of theirs; returns ids and media keys."""
    with scoped_to(session, organisation.id):
        contact = Contact(
            organisation_id=organisation.id, name=NAME, email=EMAIL, phone=PHONE, language="sv"
        )
        session.add(contact)
        session.flush()
        session.add(
            ConsentEvent(
                organisation_id=organisation.id,
                contact_id=contact.id,
                granted=True,
                channel="any",
                basis="consent",
                method="app",
                text=f"{NAME} vill ha frågor via e-post och sms.",
            )
        )
        session.commit()
    panel = make_panel(organisation)
    with scoped_to(session, organisation.id):
        session.add(
            PanelMember(
                organisation_id=organisation.id,
                panel_id=panel.id,
                contact_id=contact.id,
                status=MemberStatus.ACTIVE,
                source=MemberSource.CONTACTS,
                me_token=secrets.token_urlsafe(32),
            )
        )
        session.commit()
    answers, keys = [], []
    for channel, given, kind in (
        ("email", Given(text=TEXT, score=3), None),
        ("email", Given(score=8, clip_kind="video"), "video"),
        ("sms", Given(score=5, clip_kind="audio"), "audio"),
    ):
        invitation = invitation_of(question, contact, channel=channel)
        with scoped_to(session, organisation.id):
            given.consent = Consent(identity=True, quote=True, show_clip=True)
            answer = record_answer(
                session,
                question,
                given,
                channel=AnswerChannel(channel),
                language="sv",
                invitation=invitation,
            ).answer
            if kind:
                media = MediaFile(
                    organisation_id=organisation.id,
                    public_id=secrets.token_hex(16),
                    purpose="answer",
                    status=MediaStatus.READY,
                    kind=kind,
                    original_filename=f"{NAME}.webm",
                    transcript=TRANSCRIPT if kind == "video" else AUDIO_TRANSCRIPT,
                    transcript_draft=TRANSCRIPT if kind == "video" else AUDIO_TRANSCRIPT,
                    transcript_segments=[{"start": 0, "end": 2, "text": TRANSCRIPT}],
                    captions_vtt=f"WEBVTT\n\n00:00.000 --> 00:02.000\n{TRANSCRIPT}\n",
                )
                session.add(media)
                session.flush()
                keys += put_clip(storage, media, "original.webm")
                answer.media_id = media.id
            session.commit()
            answers.append(answer.id)
    with scoped_to(session, organisation.id):
        text_thread = session.scalar(sa.select(Thread).where(Thread.answer_id == answers[0]))
        sms_thread = session.scalar(sa.select(Thread).where(Thread.answer_id == answers[2]))
        threads.reply(session, text_thread, staff, REPLY)
        threads.reply(session, sms_thread, staff, REPLY)
        session.commit()
        inbound = InboundMessage(
            organisation_id=organisation.id,
            channel=Channel.SMS,
            provider="twilio",
            provider_id="SM" + secrets.token_hex(16),
            sender=PHONE,
            recipient="+46766860000",
            body=FOLLOW_UP,
            payload={"From": PHONE, "Body": FOLLOW_UP},
            contact_id=contact.id,
        )
        session.add(inbound)
        session.flush()
        threads.follow_up(
            session, sms_thread, FOLLOW_UP, channel="sms", inbound_message_id=inbound.id
        )
        threads.reply(session, sms_thread, staff, f"Torsdag går bra. ({FOLLOW_UP[:40]})")
        session.commit()
    # A report quotes the text answer and shows the video; its reel's render holds the clip.
    with scoped_to(session, organisation.id):
        report = Report(organisation_id=organisation.id, title="Hösten på Ängsbacken")
        session.add(report)
        session.flush()
        session.add_all(
            [
                ReportItem(organisation_id=organisation.id, report_id=report.id,
                           answer_id=answers[0], kind="quote"),
                ReportItem(organisation_id=organisation.id, report_id=report.id,
                           answer_id=answers[1], kind="clip"),
            ]
        )  # fmt: skip
        reel_key = f"{organisation.id}/reels/{report.id}/{secrets.token_hex(8)}.mp4"
        storage.put(reel_key, io.BytesIO(secrets.token_bytes(256)), content_type="video/mp4")
        render = ReelRender(
            report_id=report.id, plan_hash="x" * 64, state="done", storage_key=reel_key, clips=1
        )
        session.add(render)
        session.commit()
    keys.append(reel_key)
    return {
        "contact_id": contact.id,
        "answers": answers,
        "keys": keys,
        "report_id": report.id,
        "render_id": render.id,
    }


def text_columns() -> list[tuple[sa.Table, list[sa.Column[Any]]]]:
    kinds = (sa.String, sa.Text, sa.JSON, sa.LargeBinary)
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, kinds)]
        if columns:
            found.append((table, columns))
    return found


def rows_holding_secrets(session: Any) -> list[str]:
    """``table.column`` of every value that holds one of the secrets."""
    found = []
    connection = session.connection()
    for table, columns in text_columns():
        for row in connection.execute(sa.select(*columns)):
            for column, value in zip(columns, row, strict=True):
                if value is None:
                    continue
                text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                found += [
                    f"{table.name}.{column.name}: {s[:20]} / {row}"[:300]
                    for s in SECRETS
                    if s in text
                ]
    return found


def outbox_files_holding_secrets(folder: Path) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        raw = path.read_bytes()
        texts = [raw.decode("utf-8", "replace")]
        if path.suffix == ".eml":
            message = email.message_from_bytes(raw, policy=email.policy.default)
            texts += [str(v) for v in message.values()]
            texts += [
                part.get_content()
                for part in message.walk()
                if part.get_content_maintype() == "text"
            ]
        found += [f"{path.name}: {s[:20]}" for s in SECRETS if any(s in t for t in texts)]
    return found


def snapshot(session: Any) -> dict[str, list[str]]:
    connection = session.connection()
    return {
        table.name: sorted(repr(tuple(row)) for row in connection.execute(sa.select(table)))
        for table in Base.metadata.sorted_tables
    }


def figures(session: Any, organisation_id: int) -> tuple[Any, ...]:
    with scoped_to(session, organisation_id):
        result = compute(session, ReportFilter(organisation_id=organisation_id))
    return (
        result.answers.value,
        tuple((s.question_id, s.answers, s.mean.value, s.distribution) for s in result.scores),
        tuple(result.channels),
    )


@pytest.fixture(params=["local", "s3"])
def mode(request: Any, s3_server: Any, tmp_path: Path) -> tuple[str, Storage, Storage]:
    """(mode, the storage, the same storage unreachable)."""
    if request.param == "local":
        storage = current_storage()
        blocked = tmp_path / "not-a-folder"
        blocked.write_text("the media disk is not mounted")
        return "local", storage, LocalStorage(blocked)
    bucket = s3_server.create_bucket()
    return (
        "s3",
        S3Storage(bucket, endpoint_url=s3_server.endpoint_url),
        S3Storage(bucket, endpoint_url=f"http://127.0.0.1:{closed_port()}"),
    )


def test_an_erasure_leaves_nothing_of_the_person_and_keeps_the_counts(
    db_session: Any, organisation: Any, question: Any, staff: Any, invitation_of: Any,
    phone_line: Any, mode: tuple[str, Storage, Storage],
) -> None:  # fmt: skip
    name, storage, unreachable = mode
    made = build(db_session, organisation, question, staff, invitation_of, storage)
    outbox = Path(current_app.config["STOOP"].outbox_dir)
    assert rows_holding_secrets(db_session), "the set-up holds the person's data"
    assert outbox_files_holding_secrets(outbox), "the e-mails were written to the outbox"
    assert all(storage.list(k.rpartition("/")[0] + "/") for k in made["keys"])
    before = figures(db_session, organisation.id)
    assert before[0] == 3

    with scoped_to(db_session, organisation.id):
        contact = db_session.get(Contact, made["contact_id"])
        request = erasure.ask(db_session, contact, source="staff", user_id=staff.id)
        # Confirmed without its task (the test runs it by hand).
        request.state = erasure.CONFIRMED
        request_id = request.id
        db_session.commit()

    # The storage is unreachable: the media step fails, the step before it is kept.
    with pytest.raises((OSError, RuntimeError)):
        erasure.run(db_session, request_id, unreachable)
    with scoped_to(db_session, organisation.id):
        stopped = db_session.get(ErasureRequest, request_id, populate_existing=True)
        assert stopped.state == erasure.RUNNING
        assert stopped.steps_done == ["messages"]
        assert stopped.error.startswith("media: ")
        assert db_session.get(Contact, made["contact_id"]) is not None

    done = erasure.run(db_session, request_id, storage)
    assert done is not None and done.state == erasure.DONE, done.error
    assert done.steps_done == list(erasure.STEPS)

    left = rows_holding_secrets(db_session)
    assert left == [], left
    left = outbox_files_holding_secrets(outbox)
    assert left == [], left
    for key in made["keys"]:
        assert storage.list(key.rpartition("/")[0] + "/") == []
    if name == "local":
        media_dir = Path(current_app.config["STOOP"].media_dir)
        prefixes = {k.rpartition("/")[0] for k in made["keys"]}
        assert [p for p in media_dir.rglob("*") if any(x in str(p) for x in prefixes)] == []
    else:
        listed = storage.client.list_objects_v2(Bucket=storage.bucket)
        assert listed.get("KeyCount", 0) == 0
    assert figures(db_session, organisation.id) == before
    with scoped_to(db_session, organisation.id):
        items = db_session.scalars(
            sa.select(ReportItem).where(ReportItem.report_id == made["report_id"])
        ).all()
        render = db_session.get(ReelRender, made["render_id"], populate_existing=True)
        assert items == [] and (render.state, render.storage_key) == ("withdrawn", None)

    # Again, as it is (done) and from its first step (as a sweep would): nothing changes.
    frozen = snapshot(db_session)
    erasure.run(db_session, request_id, storage)
    assert snapshot(db_session) == frozen
    with scoped_to(db_session, organisation.id):
        again = db_session.get(ErasureRequest, request_id, populate_existing=True)
        again.state, again.steps_done = erasure.RUNNING, []
        db_session.commit()
    assert erasure.run(db_session, request_id, storage).state == erasure.DONE
    rerun = snapshot(db_session)
    # Only the request's own record changes (its counts, now zero; a second audit row).
    own = ("erasure_request", "audit_event")
    assert {k: v for k, v in rerun.items() if k not in own} == {
        k: v for k, v in frozen.items() if k not in own
    }
