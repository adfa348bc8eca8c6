"""The daily digest: one e-mail a morning to each person who chose it, listing what came into
their threads since the last one; nothing when nothing came; nothing for those who chose
otherwise; once a day however often (or however many at once) the job runs."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from panel.accounts.models import NotifyMode
from panel.answers.service import Consent
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.threads import digest, service
from panel.threads.tasks import send_digests
from tests.factories import OrganisationFactory, UserFactory
from tests.threads.conftest import outbox

HOME = ZoneInfo("Europe/Stockholm")  # an organisation's zone unless it says otherwise


def morning_after(moment: dt.datetime, zone: ZoneInfo = HOME) -> dt.datetime:
    """Half past seven on the morning whose digest covers ``moment``."""
    day = (moment.astimezone(zone) - dt.timedelta(hours=7)).date() + dt.timedelta(days=1)
    return digest.cutoff(day, zone) + dt.timedelta(minutes=30)


def run(at: dt.datetime) -> int:
    return send_digests.run(at=at.isoformat())


def digests(session: Any) -> list[Any]:
    return outbox(session, purpose="thread-digest")


@pytest.fixture
def digest_reader(db_session, staff):
    """The asker, who chose one e-mail a day."""
    staff.notify_mode = NotifyMode.DIGEST.value
    db_session.commit()
    return staff


def test_a_digest_lists_the_new_answers_and_follow_ups_once(
    db_session, answered, digest_reader, organisation
):
    first = answered(text="Hissen har stått still i två veckor.")
    second = answered(text="Porten går inte att låsa.")
    with scoped_to(db_session, organisation.id):
        service.follow_up(db_session, first, "Den står fortfarande still.", channel="sms")
        db_session.commit()
    assert outbox(db_session, purpose="thread-notice") == []  # no e-mail at once
    at = morning_after(utcnow())

    assert run(at) == 1
    assert run(at) == 0  # the job again, the same morning

    [mail] = digests(db_session)
    assert mail.recipient == digest_reader.email
    assert mail.dedupe_key == f"thread-digest:{digest_reader.id}:{at.date().isoformat()}"
    assert mail.subject == "Your daily digest: news in 2 conversations"
    for text in (
        "Hissen har stått still i två veckor.",
        "Porten går inte att låsa.",
        "Den står fortfarande still.",
        f"http://127.0.0.1:5000/app/threads/{first.id}",
        f"http://127.0.0.1:5000/app/threads/{second.id}",
        "http://127.0.0.1:5000/app/inbox",
    ):
        assert text in mail.body_text
        assert text in mail.body_html
    # The thread with the latest news comes first.
    assert mail.body_text.index("Den står fortfarande") < mail.body_text.index("Porten går")


def test_two_runs_at_once_write_one_digest(db_session, answered, digest_reader, organisation):
    answered()
    at = morning_after(utcnow())
    day = at.date()
    until = digest.cutoff(day, HOME)
    since = until - dt.timedelta(hours=24)

    # Both runs found no digest of today and go ahead: the outbox's key keeps one.
    with scoped_to(db_session, organisation.id):
        runs = [digest.collect(db_session, {digest_reader.id: (since, until)}) for _ in "ab"]
        written = [
            digest.send_digest(db_session, digest_reader, day, found[digest_reader.id])
            for found in runs
        ]
        db_session.commit()

    assert written == [1, 0]
    assert len(digests(db_session)) == 1


def test_nothing_for_those_who_chose_otherwise(
    db_session, answered, staff, colleague, organisation
):
    staff.notify_mode = NotifyMode.NONE.value
    db_session.commit()
    answered()  # staff's, who chose no e-mail
    UserFactory(organisation=organisation, notify_mode=NotifyMode.DIGEST.value)  # nothing new
    with scoped_to(db_session, organisation.id):
        # colleague (instant) owns one too
        service.hand_over(db_session, answered(), staff, colleague, notify=False)
        db_session.commit()

    assert run(morning_after(utcnow())) == 0
    assert digests(db_session) == []


def test_nothing_happened_no_e_mail(db_session, digest_reader):
    assert run(morning_after(utcnow())) == 0
    assert digests(db_session) == []


def test_it_waits_for_the_morning_and_then_only_so_long(db_session, answered, digest_reader):
    answered()
    seven = morning_after(utcnow()) - dt.timedelta(minutes=30)

    assert run(seven - dt.timedelta(minutes=1)) == 0
    assert run(seven + digest.SEND_WITHIN + dt.timedelta(minutes=1)) == 0
    assert digests(db_session) == []
    assert run(seven) == 1


def test_a_missed_morning_is_covered_by_the_next_digest(
    db_session, answered, digest_reader, organisation
):
    thread = answered()
    seven = morning_after(utcnow()) - dt.timedelta(minutes=30)
    with scoped_to(db_session, organisation.id):
        for hours, words in ((71, "Tre dagar sedan."), (47, "Två dagar sedan.")):
            at = seven - dt.timedelta(hours=hours)
            service.follow_up(db_session, thread, words, channel="sms", now=at)
        db_session.commit()

    assert run(seven - dt.timedelta(hours=48)) == 1  # two mornings ago
    # Yesterday morning the job did not run at all.
    assert run(seven) == 1

    earlier, today = digests(db_session)
    assert "Tre dagar sedan." in earlier.body_text
    assert "Två dagar sedan." not in earlier.body_text
    assert "Två dagar sedan." in today.body_text
    assert "Tre dagar sedan." not in today.body_text
    assert "Hissen har stått still" in today.body_text


def test_the_next_digest_starts_where_the_last_ended(
    db_session, answered, digest_reader, organisation
):
    thread = answered()
    at = morning_after(utcnow())
    assert run(at) == 1
    with scoped_to(db_session, organisation.id):
        service.follow_up(db_session, thread, "Nu fungerar den igen, tack!", channel="sms", now=at)
        db_session.commit()

    assert run(at + dt.timedelta(days=1)) == 1

    first, second = digests(db_session)
    assert "Hissen har stått still" in first.body_text
    assert "Nu fungerar den igen" not in first.body_text
    assert "Nu fungerar den igen, tack!" in second.body_text
    assert "Hissen har stått still" not in second.body_text  # not the answer again


def test_the_digest_hides_the_tenant_without_consent(db_session, answered, digest_reader):
    answered(consent=Consent())

    run(morning_after(utcnow()))

    [mail] = digests(db_session)
    assert "Zeynep" not in mail.body_text and "Zeynep" not in mail.body_html
    assert "A tenant answered by" in mail.body_text


def test_the_morning_is_the_organisations_own():
    stockholm = OrganisationFactory.build(settings={"timezone": "Europe/Stockholm"})
    utc = OrganisationFactory.build(settings={"timezone": "UTC"})
    plain = OrganisationFactory.build(settings={})
    unknown = OrganisationFactory.build(settings={"timezone": "Mars/Olympus"})
    winter = dt.datetime(2026, 12, 1, 6, 10, tzinfo=dt.UTC)  # 07:10 in Stockholm
    summer = dt.datetime(2026, 6, 1, 5, 10, tzinfo=dt.UTC)  # 07:10 in Stockholm

    assert digest.due_day(stockholm, winter) == dt.date(2026, 12, 1)
    assert digest.due_day(stockholm, summer) == dt.date(2026, 6, 1)
    assert digest.due_day(utc, winter) is None  # 06:10 in UTC: not yet
    assert digest.due_day(utc, winter + dt.timedelta(hours=1)) == dt.date(2026, 12, 1)
    # Without a time zone, or with one nobody knows: Stoop's own, as on every page.
    assert digest.due_day(plain, winter) == digest.due_day(unknown, winter) == winter.date()
    assert digest.cutoff(dt.date(2026, 12, 1), HOME) == dt.datetime(
        2026, 12, 1, 6, 0, tzinfo=dt.UTC
    )


def test_the_job_is_declared_to_run_every_quarter_of_an_hour(app):
    schedule = app.extensions["celery"].conf.beat_schedule
    assert schedule["send-thread-digests"] == {
        "task": "panel.threads.tasks.send_digests",
        "schedule": 900.0,
    }
