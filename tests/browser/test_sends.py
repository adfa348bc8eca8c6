"""A send in Chromium, as staff and tenants live it: from a live question's "what next" to a
panel of 50 (half e-mail, half SMS), the progress view counting up without a reload to what the
SMTP server and the Twilio double received, and every personal link opening the question."""

from __future__ import annotations

import re

import pytest

from panel.contacts.bulk import UpsertItem, upsert_contacts
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.panels.service import add_members
from panel.questions.models import QuestionStatus
from tests.browser.test_login import log_in
from tests.factories import PASSWORD, OrganisationFactory, UserFactory, make_panel
from tests.questions.conftest import make_question

pytestmark = pytest.mark.browser

# Tasks in the background, as in the demo: the send starts after the page has answered.
LIVE_SERVER_SETTINGS = {"tasks_inline": False}
LINK = re.compile(r"https?://\S+?/a/[A-Za-z0-9_-]{32,}")
NAMES = ["Åsa Öberg", "Ĳsbrand de Vries", "Zeynep Yılmaz", "Wojciech Wróblewski", "Amina Hassan"]


@pytest.fixture
def providers(monkeypatch, live_server, smtp_server, twilio_double):
    settings = live_server.app.config["STOOP"]
    monkeypatch.setattr(settings, "smtp_url", smtp_server.url)
    for name, value in twilio_double.settings().items():
        monkeypatch.setattr(settings, name, value)
    # The SMTP server thinks a little per message, so the send runs long enough to watch.
    smtp_server.delay = 0.08
    return smtp_server, twilio_double


def _seed(live_server):
    with live_server.app_context() as session:
        organisation = OrganisationFactory(name="Bostadsbolaget Ängsbacken", default_language="sv")
        staff = UserFactory(organisation=organisation, name="Anna Berg", locale="en")
        question = make_question(
            staff,
            title="Hur trivs du på gården efter renoveringen?",
            status=QuestionStatus.LIVE,
            published_at=utcnow(),
        )
        items = []
        for n in range(50):
            values = {"name": f"{NAMES[n % 5]} {n}", "language": ("sv", "nl", "en")[n % 3]}
            if n < 25:
                values["email"] = f"hyresgast{n}@example.se"
            else:
                values["phone"] = f"+4670{n:07d}"
            items.append(UpsertItem(values))
        panel = make_panel(organisation, name="Tillsammans")
        with scoped_to(session, organisation.id):
            ids = upsert_contacts(session, organisation, items, method="api").ids
            add_members(session, session.merge(panel), ids, source="contacts")
            session.commit()
        return staff.email, question.id, question.title


def test_a_send_to_50_counts_up_live_and_every_link_opens_the_question(
    live_server, page, providers, console_errors
):
    smtp, twilio = providers
    email, question_id, title = _seed(live_server)
    log_in(page, email, PASSWORD)

    page.goto(f"/app/questions/{question_id}")
    page.get_by_role("link", name="Send it to a panel").click()
    page.get_by_label("Panel").select_option(label="Tillsammans")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r"/app/sends/\d+$"))
    page.evaluate("window.stillTheSamePage = true")

    sent = page.locator("[data-figure=sent]")
    assert int(sent.inner_text()) < 50, "the page opens while the send is still running"
    sent.filter(has_text=re.compile(r"^50$")).wait_for(timeout=30_000)
    assert page.evaluate("window.stillTheSamePage") is True, "the figures came without a reload"
    assert page.locator("[data-figure=invited]").inner_text() == "50"
    assert page.locator("[data-figure=queued]").inner_text() == "0"
    assert page.locator("progress[data-progress]").evaluate("bar => bar.value") == 100
    assert len(smtp.messages) == 25 and len(twilio.messages) == 25

    links = [LINK.search(m.get_body(("plain",)).get_content()).group(0) for m in smtp.messages]
    links += [LINK.search(m.body).group(0) for m in twilio.messages]
    assert len(set(links)) == 50
    for link in links:
        response = page.goto(link)
        assert response.status == 200, link
        assert page.get_by_role("heading", name=title).is_visible()
    assert console_errors == []
