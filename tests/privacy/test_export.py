"""A contact's data as a ZIP: every answer, message and media file of theirs, nothing of a
neighbour who answered the same question from the same stairwell; the doors refuse other
organisations (404) and staff without the role (403)."""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from typing import Any

import pytest
import sqlalchemy as sa

from media.models import MediaFile, MediaStatus
from media.storage import current_storage
from notifications.models import Channel, InboundMessage
from panel.accounts.models import Role
from panel.answers.models import AnswerChannel
from panel.answers.service import Consent, Given, record_answer
from panel.contacts.models import Contact
from panel.core.scoping import scoped_to
from panel.threads import service as threads
from panel.threads.service import thread_of_answer
from tests.answers import conftest as answering
from tests.factories import ContactFactory, OrganisationFactory, UserFactory, api_headers, login

organisation = answering.organisation
scoped = answering.scoped
staff = answering.staff
stairwell = answering.stairwell
question = answering.question
tenant = answering.tenant
invitation_of = answering.invitation_of
s3_app = answering.s3_app
s3_session = answering.s3_session
s3_client = answering.s3_client


def _clip(session: Any, organisation_id: int, kind: str, payload: bytes) -> MediaFile:
    """A ready clip with an original and an MP4 in the current app's storage."""
    media = MediaFile(
        organisation_id=organisation_id,
        public_id=secrets.token_hex(16),
        purpose="answer",
        status=MediaStatus.READY,
        kind=kind,
        content_type="video/webm" if kind == "video" else "audio/webm",
        transcript=f"Det här är min {kind}.",
    )
    session.add(media)
    session.flush()
    storage = current_storage()
    media.original_key = f"{media.storage_prefix}original.webm"
    mp4 = f"{media.storage_prefix}{'video.mp4' if kind == 'video' else 'audio.m4a'}"
    media.renditions = {"mp4": mp4}
    storage.put(media.original_key, io.BytesIO(b"orig-" + payload), content_type=media.content_type)
    storage.put(mp4, io.BytesIO(b"mp4-" + payload), content_type="video/mp4")
    return media


def _answer(session, question, contact, invitation_of, **given: Any) -> Any:
    channel = given.pop("channel", "email")
    media_id = given.pop("media_id", None)
    invitation = invitation_of(question, contact, channel=channel)
    return record_answer(
        session,
        question,
        Given(consent=Consent(identity=True, quote=True), **given),
        channel=AnswerChannel(channel),
        language="sv",
        invitation=invitation,
        media_id=media_id,
    ).answer


@pytest.fixture
def seeded(db_session, organisation, staff, stairwell, question, tenant, invitation_of):
    """The tenant (a non-ASCII name): a video, an audio and a text answer, a thread with a
    reply by e-mail, an internal note and a follow-up, a reply by SMS, an inbound SMS. Their
    neighbour (same stairwell, same question) answers with a video and a text too."""
    neighbour = Contact(
        organisation_id=organisation.id,
        name="Grannen Åsa",
        email="asa.granne@example.se",
        phone="+46709876543",
        place_id=stairwell.id,
    )
    db_session.add(neighbour)
    db_session.commit()
    with scoped_to(db_session, organisation.id):
        video = _clip(db_session, organisation.id, "video", b"tenant-video")
        audio = _clip(db_session, organisation.id, "audio", b"tenant-audio")
        theirs = _clip(db_session, organisation.id, "video", b"neighbour-video")
        text = _answer(db_session, question, tenant, invitation_of, text="Hissen står still.")
        _answer(db_session, question, tenant, invitation_of, clip_kind="video", media_id=video.id)
        sms = _answer(
            db_session,
            question,
            tenant,
            invitation_of,
            channel="sms",
            clip_kind="audio",
            media_id=audio.id,
        )
        _answer(db_session, question, neighbour, invitation_of, text="Grannens svar, hemligt.")
        _answer(
            db_session, question, neighbour, invitation_of, clip_kind="video", media_id=theirs.id
        )
        thread = thread_of_answer(db_session, text.id)
        threads.reply(db_session, thread, staff, "Tack, vi skickar en tekniker.")
        threads.note(db_session, thread, staff, "Intern anteckning: ring fastighetsskötaren.")
        threads.follow_up(db_session, thread, "Den står fortfarande still.", channel="email")
        threads.reply(db_session, thread_of_answer(db_session, sms.id), staff, "Tack för ditt sms!")
        db_session.add(
            InboundMessage(
                organisation_id=organisation.id,
                channel=Channel.SMS,
                provider="twilio",
                provider_id="SM" + secrets.token_hex(16),
                sender=tenant.phone,
                body="Hej igen från Zeynep",
                contact_id=tenant.id,
            )
        )
        db_session.commit()
    return {"neighbour": neighbour, "media": [video, audio], "theirs": theirs}


def _zip(response) -> tuple[zipfile.ZipFile, dict[str, Any]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    return archive, json.loads(archive.read("contact.json"))


def _check(archive: zipfile.ZipFile, data: dict[str, Any], tenant, seeded) -> None:
    names = set(archive.namelist())
    assert data["contact"]["name"] == "Zeynep Yılmaz"
    assert len(data["answers"]) == 3
    for media in seeded["media"]:
        assert archive.read(f"media/{media.id}/original.webm").startswith(b"orig-tenant-")
        assert any(n.startswith(f"media/{media.id}/mp4.") for n in names)
    assert not any(n.startswith(f"media/{seeded['theirs'].id}/") for n in names)
    assert data["missing_files"] == []
    everything = archive.read("contact.json").decode()
    assert "Grannens svar" not in everything and "asa.granne" not in everything
    assert "Intern anteckning" not in everything  # staff's notes are not theirs
    texts = [m["body"] for a in data["answers"] for m in a["messages"]]
    assert "Tack, vi skickar en tekniker." in texts and "Den står fortfarande still." in texts
    assert {m["channel"] for m in data["messages_sent"]} >= {"email", "sms"}
    assert [m["body"] for m in data["messages_received"]] == ["Hej igen från Zeynep"]
    assert "Det här är min video." in everything  # the transcript
    assert data["answers"][0]["consent_quote"] is True
    readme = archive.read("README.txt").decode()
    assert "Dina svar: 3" in readme  # Swedish, the tenant's language


def test_the_zip_holds_everything_of_the_contact_and_nothing_of_a_neighbour(
    client, organisation, tenant, seeded
):
    admin = UserFactory(organisation=organisation, role=Role.ADMIN)
    response = client.get(f"/api/v1/contacts/{tenant.id}/export", headers=api_headers(admin))
    archive, data = _zip(response)
    _check(archive, data, tenant, seeded)
    # The staff page's button gives the same file to a communicator.
    login(client, UserFactory(organisation=organisation, role=Role.COMMUNICATOR))
    page = client.get(f"/app/contacts/{tenant.id}").get_data(as_text=True)
    assert f"/app/contacts/{tenant.id}/export" in page
    assert page.count('<span class="badge ok">quote</span>') == 3  # each answer's consent
    archive, data = _zip(client.post(f"/app/contacts/{tenant.id}/export"))
    assert len(data["answers"]) == 3


def test_the_doors_refuse_other_organisations_and_plain_staff(
    app, client, db_session, organisation, tenant
):
    other = UserFactory(organisation=OrganisationFactory(), role=Role.ADMIN)
    with scoped_to(db_session, other.organisation_id):
        headers = api_headers(other)
        stranger = ContactFactory(organisation=other.organisation)
    url = f"/api/v1/contacts/{tenant.id}/export"
    assert client.get(url, headers=headers).status_code == 404
    plain = UserFactory(organisation=organisation, role=Role.STAFF)
    response = client.get(url, headers=api_headers(plain))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "export_forbidden"
    login(client, plain)
    assert "/export" not in client.get(f"/app/contacts/{tenant.id}").get_data(as_text=True)
    assert client.post(f"/app/contacts/{tenant.id}/export").status_code == 403
    theirs = app.test_client()
    login(theirs, other)
    assert theirs.post(f"/app/contacts/{tenant.id}/export").status_code == 404
    assert theirs.post(f"/app/contacts/{stranger.id}/export").status_code == 200


def test_an_export_is_in_the_audit_log(client, db_session, organisation, tenant):
    from panel.privacy.models import AuditEvent

    admin = UserFactory(organisation=organisation, role=Role.ADMIN)
    assert (
        client.get(f"/api/v1/contacts/{tenant.id}/export", headers=api_headers(admin)).status_code
        == 200
    )
    db_session.expire_all()
    row = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "contact.export"))
    assert (row.organisation_id, row.target_id, row.actor_user_id) == (
        organisation.id,
        str(tenant.id),
        admin.id,
    )


def test_in_s3_mode_the_clip_comes_from_the_bucket(s3_session, s3_client):
    from panel.core.db import utcnow
    from panel.questions.models import QuestionStatus
    from tests.questions.conftest import make_question

    organisation = OrganisationFactory()
    admin = UserFactory(organisation=organisation, role=Role.ADMIN)
    contact = ContactFactory(organisation=organisation, name="Wojciech Wróblewski")
    question = make_question(
        admin, status=QuestionStatus.LIVE, published_at=utcnow(), answer_modes=["video"]
    )
    with scoped_to(s3_session, organisation.id):
        video = _clip(s3_session, organisation.id, "video", b"s3-video")
        record_answer(
            s3_session,
            s3_session.merge(question),
            Given(clip_kind="video"),
            channel=AnswerChannel.WEB,
            language="sv",
            contact_id=contact.id,
            media_id=video.id,
        )
        s3_session.commit()
    response = s3_client.get(f"/api/v1/contacts/{contact.id}/export", headers=api_headers(admin))
    archive, data = _zip(response)
    assert archive.read(f"media/{video.id}/original.webm") == b"orig-s3-video"
    assert archive.read(f"media/{video.id}/mp4.mp4") == b"mp4-s3-video"
    assert data["missing_files"] == [] and len(data["answers"]) == 1
