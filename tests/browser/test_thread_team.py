"""Team work on a thread in Chromium, with CSRF on: the owner hands the thread to a colleague
and forwards the answer to a caretaker from the thread's actions (on the thread page where
this tree has one, else on the forms' own pages: the same forms), and an admin reassigns an
overdue thread from the overdue list. The pages pass axe and fit a phone.

Screenshots go to ``test-artifacts/thread-team-*.png`` to be looked at.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from notifications.models import OutboundMessage
from panel.answers.models import AnswerChannel
from panel.answers.service import Consent, Given, record_answer
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.questions.models import QuestionStatus
from panel.threads.models import Thread
from panel.threads.service import thread_of_answer
from tests.browser.staff_site import log_in
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_phone_layout import OVERFLOW
from tests.factories import OrganisationFactory, UserFactory
from tests.fixtures.browser import screenshot
from tests.questions.conftest import make_question

pytestmark = pytest.mark.browser

CARETAKER = "vicevard@fastighetsservice.example.se"


@pytest.fixture(scope="module")
def office(live_server):
    """An organisation with an owner, a colleague, an admin and two answered threads (one
    waiting a week)."""
    with live_server.app_context() as session:
        organisation = OrganisationFactory(name="Bostadsbolaget Ängsbacken")
        owner = UserFactory(organisation=organisation, name="Anna Berg")
        colleague = UserFactory(organisation=organisation, name="Bengt Lind", team="Hissar")
        admin = UserFactory(organisation=organisation, admin=True, name="Greta Admin")
        question = make_question(
            owner,
            title="Hur trivs du i ditt trapphus?",
            status=QuestionStatus.LIVE,
            published_at=utcnow(),
            answer_modes=["score", "text"],
        )
        threads = []
        with scoped_to(session, organisation.id):
            for text in ("Hissen har stått still i två veckor.", "Porten går inte att låsa."):
                recorded = record_answer(
                    session,
                    question,
                    Given(text=text, score=3, name="Zeynep", consent=Consent(identity=True)),
                    channel=AnswerChannel.WEB,
                    language="sv",
                )
                threads.append(thread_of_answer(session, recorded.answer.id).id)
            session.execute(
                sa.update(Thread)
                .where(Thread.id == threads[1])
                .values(waiting_since=utcnow() - dt.timedelta(days=7))
            )
            session.commit()
        return {
            "owner": owner.email,
            "admin": admin.email,
            "colleague_id": colleague.id,
            "colleague": colleague.email,
            "organisation_id": organisation.id,
            "threads": threads,
        }


def _thread_page_exists(live_server: Any) -> bool:
    return any(
        r.rule == "/app/threads/<int:thread_id>" for r in live_server.app.url_map.iter_rules()
    )


def _open_actions(live_server: Any, page: Any, thread_id: int, action: str) -> None:
    """The thread page with its actions open, or the action's own page."""
    if _thread_page_exists(live_server):
        page.goto(f"/app/threads/{thread_id}")
        page.locator(f"details#{action} summary").click()
    else:
        own = f"/app/threads/{thread_id}/{action}"
        page.goto(f"{own}?next={own}")


def _rows(live_server: Any, organisation_id: int) -> list[Any]:
    with live_server.app_context() as session, scoped_to(session, organisation_id):
        return list(session.scalars(sa.select(OutboundMessage).order_by(OutboundMessage.id)))


def test_the_owner_hands_over_and_forwards(live_server, office, page, console_errors):
    thread_id = office["threads"][0]
    before = len(_rows(live_server, office["organisation_id"]))
    log_in(page, office["owner"])

    _open_actions(live_server, page, thread_id, "hand-over")
    form = page.locator(f"form[action='/app/threads/{thread_id}/hand-over']")
    form.get_by_label("Colleague").select_option(label="Bengt Lind · Hissar")
    form.get_by_label("Why (optional)").fill("Du har hand om hissarna.")
    screenshot(page, "thread-team-hand-over")
    assert axe_violations(page) == []
    with page.expect_navigation():
        form.get_by_role("button", name="Hand over").click()

    assert page.get_by_text("Handed over to Bengt Lind.").is_visible()
    with live_server.app_context() as session, scoped_to(session, office["organisation_id"]):
        assert session.get(Thread, thread_id).owner_id == office["colleague_id"]
    mails = _rows(live_server, office["organisation_id"])[before:]
    assert [m.recipient for m in mails] == [office["colleague"]]  # nobody else
    assert "Du har hand om hissarna." in mails[0].body_text

    _open_actions(live_server, page, thread_id, "forward")
    form = page.locator(f"form[action='/app/threads/{thread_id}/forward']")
    assert form.get_by_text("Not their words: the tenant did not allow quoting").is_visible()
    form.get_by_label("E-mail address").fill(CARETAKER)
    form.get_by_label("Message (optional)").fill("Kan ni titta på hissen i morgon?")
    screenshot(page, "thread-team-forward")
    assert axe_violations(page) == []
    with page.expect_navigation():
        form.get_by_role("button", name="Forward").click()

    assert page.get_by_text(f"Forwarded to {CARETAKER}.").is_visible()
    [forwarded] = _rows(live_server, office["organisation_id"])[before + 1 :]
    assert forwarded.recipient == CARETAKER
    assert "Hissen har stått still" not in forwarded.body_text  # no consent to quote
    assert console_errors == []


def test_a_refused_hand_over_keeps_what_was_typed(live_server, office, page):
    thread_id = office["threads"][1]
    log_in(page, office["owner"])
    own = f"/app/threads/{thread_id}/hand-over"
    page.goto(own)
    page.get_by_label("Why (optional)").fill("x" * 20)
    with page.expect_navigation():
        page.get_by_role("button", name="Hand over").click()

    assert page.get_by_text("Choose the colleague to hand it to.").is_visible()
    assert page.get_by_label("Why (optional)").input_value() == "x" * 20
    assert page.get_by_label("Colleague", exact=True).get_attribute("aria-invalid") == "true"


def test_an_admin_reassigns_an_overdue_thread(live_server, office, page, phone_page):
    thread_id = office["threads"][1]
    log_in(page, office["admin"])
    page.goto("/app/inbox/overdue")
    assert (
        page.locator("#overdue-banner")
        .inner_text()
        .startswith("1 conversation has waited more than 3 days for a reply.")
    )
    assert axe_violations(page) == []
    page.get_by_label("Choose “Hur trivs du i ditt trapphus?”").check()
    page.get_by_label("Hand the ticked conversations to").select_option(label="Bengt Lind · Hissar")
    screenshot(page, "thread-team-overdue")
    with page.expect_navigation():
        page.get_by_role("button", name="Reassign").click()

    assert page.get_by_text("Reassigned 1 to Bengt Lind.").is_visible()
    # Still overdue (the tenant has no reply yet), now with its new owner.
    assert page.locator("tbody tr td[data-label=Owner]").inner_text() == "Bengt Lind"
    with live_server.app_context() as session, scoped_to(session, office["organisation_id"]):
        thread = session.get(Thread, thread_id)
        assert thread.owner_id == office["colleague_id"]

    log_in(phone_page, office["admin"])
    for url in ("/app/inbox/overdue", f"/app/threads/{thread_id}/forward", "/app/settings"):
        phone_page.goto(url)
        assert phone_page.evaluate(OVERFLOW) == [], url
    screenshot(phone_page, "thread-team-settings-phone")
