"""The thread of an answer: opened with its owner told, replies routed by channel, notes that
mention colleagues, follow-ups that reopen, hand-overs that keep their history."""

from __future__ import annotations

import pytest

from panel.core.errors import NotFound, ValidationError
from panel.core.scoping import scoped_to
from panel.threads import service
from panel.threads.models import CommentKind, ThreadStatus
from tests.factories import OrganisationFactory, UserFactory
from tests.threads.conftest import outbox


def test_an_answer_opens_a_thread_owned_by_the_asker_who_is_told(db_session, answered, staff):
    thread = answered()

    assert thread.owner_id == staff.id
    assert thread.status == ThreadStatus.OPEN
    assert thread.waiting_since is not None
    [notice] = outbox(db_session, purpose="thread-notice")
    assert notice.recipient == staff.email
    assert "Hissen har stått still i två veckor." in notice.body_text
    assert f"/app/threads/{thread.id}" in notice.body_text
    assert "Zeynep" in notice.body_text  # the tenant allowed the asker to see who answered


def test_the_notice_hides_the_name_without_consent(db_session, answered):
    from panel.answers.service import Consent

    answered(consent=Consent())

    [notice] = outbox(db_session, purpose="thread-notice")
    assert "Zeynep" not in notice.body_text


def test_a_reply_to_an_sms_answer_goes_by_sms(db_session, answered, staff, tenant, organisation):
    thread = answered(channel="sms")

    with scoped_to(db_session, organisation.id):
        comment = service.reply(db_session, thread, staff, "Tack! Vi skickar en tekniker i morgon.")
        db_session.commit()

    [sms] = outbox(db_session, purpose="thread-reply")
    assert (sms.channel, sms.recipient) == ("sms", tenant.phone)
    assert "Vi skickar en tekniker i morgon." in sms.body_text
    assert comment.outbound_message_id == sms.id
    assert thread.status == ThreadStatus.REPLIED and thread.waiting_since is None


def test_a_reply_to_a_panel_member_is_an_e_mail_with_the_thread_reply_to(
    db_session, answered, staff, tenant, organisation
):
    thread = answered(channel="email")

    with scoped_to(db_session, organisation.id):
        service.reply(db_session, thread, staff, "Hej Zeynep, tack för ditt svar!")
        db_session.commit()

    [mail] = outbox(db_session, purpose="thread-reply")
    assert (mail.channel, mail.recipient) == ("email", tenant.email)
    assert mail.headers["Reply-To"].startswith(f"reply+{thread.token}@")
    assert "Hej Zeynep, tack för ditt svar!" in mail.body_text


def test_an_empty_reply_is_refused(db_session, answered, staff, organisation):
    thread = answered()
    with scoped_to(db_session, organisation.id), pytest.raises(ValidationError):
        service.reply(db_session, thread, staff, "   ")


def test_a_note_tells_the_colleagues_it_mentions_and_nobody_else(
    db_session, answered, staff, colleague, organisation
):
    thread = answered()
    UserFactory(organisation=organisation, email="carl@example.se")  # not mentioned

    with scoped_to(db_session, organisation.id):
        service.note(db_session, thread, staff, "@bengt.lind kan du titta på hissen?")
        db_session.commit()

    mentions = [m for m in outbox(db_session, purpose="thread-notice") if "mentioned" in m.subject]
    assert [m.recipient for m in mentions] == [colleague.email]


def test_a_follow_up_reopens_the_thread_and_tells_the_owner(
    db_session, answered, staff, organisation
):
    thread = answered()
    with scoped_to(db_session, organisation.id):
        service.reply(db_session, thread, staff, "Tack!")
        comment = service.follow_up(
            db_session, thread, "Den står fortfarande still.", channel="sms"
        )
        db_session.commit()

    assert comment.kind == CommentKind.FOLLOW_UP
    assert thread.status == ThreadStatus.OPEN
    notices = outbox(db_session, purpose="thread-notice")
    assert any("Den står fortfarande still." in n.body_text for n in notices)


def test_hand_over_tells_the_new_owner_and_keeps_the_history(
    db_session, answered, staff, colleague, organisation
):
    thread = answered()
    with scoped_to(db_session, organisation.id):
        event = service.hand_over(db_session, thread, staff, colleague, "Du har hand om hissarna.")
        db_session.commit()

    assert thread.owner_id == colleague.id
    assert event.data == {"event": "handed_over", "from": staff.id, "to": colleague.id}
    handed = [
        n for n in outbox(db_session, purpose="thread-notice") if n.recipient == colleague.email
    ]
    assert len(handed) == 1 and "Du har hand om hissarna." in handed[0].body_text


def test_a_thread_cannot_be_handed_to_another_organisation(
    db_session, answered, staff, organisation
):
    thread = answered()
    stranger = UserFactory(organisation=OrganisationFactory())
    with scoped_to(db_session, organisation.id), pytest.raises(NotFound):
        service.hand_over(db_session, thread, staff, stranger)


def test_unread_counts_follow_activity(db_session, answered, staff, organisation):
    thread = answered()
    with scoped_to(db_session, organisation.id):
        assert service.unread_count(db_session, staff) == 1
        service.mark_read(db_session, thread, staff)
        assert service.unread_count(db_session, staff) == 0
        service.follow_up(db_session, thread, "En sak till.", channel="web")
        assert service.unread_count(db_session, staff) == 1
