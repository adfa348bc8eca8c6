"""Themes in Chromium, end to end: answers stored as the web form stores them are read by the
real model on the live server (inline, as a worker would), a communicator finds the themes from
the question's page, renames one, and tags an answer with a code of their own; the pages have no
axe violations and fit a phone."""

from __future__ import annotations

import re
from typing import Any

import pytest

from panel.answers.service import Consent, Given, record_answer
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.questions.models import QuestionStatus
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_phone_layout import OVERFLOW
from tests.conftest import TEST_MODELS_DIR
from tests.factories import OrganisationFactory, UserFactory
from tests.fixtures.browser import artifact_path
from tests.questions.conftest import make_question
from tests.themes.conftest import sample
from tests.themes.corpus import Made

pytestmark = pytest.mark.browser

LIVE_SERVER_SETTINGS = {
    "embedder": "e5_small",
    "sentiment": True,
    "models_dir": str(TEST_MODELS_DIR),
}


@pytest.fixture(scope="module")
def themed(live_server: Any) -> dict[str, Any]:
    """An organisation with a question and 62 answers, read by the live app as they came."""
    with live_server.app_context() as session:
        organisation = OrganisationFactory(name="Bostadsbolaget Ängsbacken")
        communicator = UserFactory(
            organisation=organisation, communicator=True, name="Cecilia Holm", locale="en"
        )
        question = make_question(
            communicator,
            title="Vad vill du att vi gör bättre i ditt hus?",
            status=QuestionStatus.LIVE,
            published_at=utcnow(),
        )
        made = [
            *sample(10),
            Made("المصعد معطل مرة أخرى منذ أسبوعين", "ar", "lift", 2),
            Made("Kira çok pahalı ve her yıl artıyor", "tr", "rent", 3),
        ]
        with scoped_to(session, organisation.id):
            for index, item in enumerate(made):
                record_answer(
                    session,
                    question,
                    Given(
                        text=item.text,
                        score=item.score,
                        consent=Consent(identity=index % 2 == 0, quote=index % 3 != 0),
                    ),
                    channel="web",
                    language=item.language,
                )
                session.commit()  # each answer is read after its own commit
        return {"email": communicator.email, "question_id": question.id}


def log_in(page: Any, email: str) -> None:
    from tests.browser.staff_site import log_in as staff_log_in

    staff_log_in(page, email)


def test_a_communicator_finds_names_and_tags_themes(
    live_server: Any, themed: Any, page: Any
) -> None:
    log_in(page, themed["email"])
    page.goto(f"/app/questions/{themed['question_id']}")
    page.get_by_role("link", name="Themes").click()

    assert page.get_by_role("heading", name="Themes in the answers").is_visible()
    assert page.get_by_text("No themes yet").is_visible()
    assert page.get_by_text("62 answers with words · 62 read").is_visible()
    problems = [f"empty: {v}" for v in axe_violations(page)]

    page.get_by_role("button", name="Find themes").click()

    flash = page.locator(".flash-success")
    assert re.search(r"\d+ themes found in 62 answers\.", flash.inner_text())
    cards = page.locator(".theme-card")
    assert cards.count() >= 3
    assert page.get_by_text(
        "No sentiment is shown for answers in العربية (1), Türkçe (1): there is no", exact=False
    ).is_visible()
    problems += [f"themes: {v}" for v in axe_violations(page)]
    page.screenshot(path=str(artifact_path("themes/laptop")), full_page=True)

    first = cards.first
    first.locator("summary", has_text="Rename, merge or split").click()
    first.get_by_label("Name").fill("Det vi hör mest")
    first.get_by_role("button", name="Rename").click()

    assert page.get_by_role("heading", name="Det vi hör mest").is_visible()
    assert page.locator(".theme-card").first.get_by_text("named by hand").is_visible()

    page.get_by_label("New code").fill("Lovad åtgärd")
    page.get_by_role("button", name="Create").click()
    page.locator(".theme-card").first.get_by_role(
        "link", name=re.compile(r"See all \d+ answers")
    ).click()
    answer = page.locator(".theme-answer").first
    answer.get_by_label("Code to put on this answer").select_option(label="Lovad åtgärd")
    answer.get_by_role("button", name="Tag").click()

    assert page.locator(".flash-success").inner_text() == "Tagged “Lovad åtgärd”."
    assert (
        page.locator(".theme-answer")
        .first.locator(".code-chips")
        .inner_text()
        .startswith("Lovad åtgärd")
    )
    problems += [f"listing: {v}" for v in axe_violations(page)]
    assert not problems, "\n".join(problems)


def test_the_themes_pages_fit_a_phone(live_server: Any, themed: Any, phone_page: Any) -> None:
    log_in(phone_page, themed["email"])
    base = f"/app/questions/{themed['question_id']}/themes"
    problems = []
    phone_page.goto(base)
    if phone_page.locator(".theme-card").count() == 0:
        phone_page.get_by_role("button", name="Find themes").click()
    theme_link = phone_page.locator(".theme-card a").first.get_attribute("href")
    for url in (base, theme_link):
        phone_page.goto(url)
        phone_page.wait_for_load_state("networkidle")
        phone_page.screenshot(
            path=str(artifact_path("themes/phone" + url.replace("/", "_"))), full_page=True
        )
        problems += [f"{url}: {p}" for p in phone_page.evaluate(OVERFLOW)]
        problems += [f"{url}: {v}" for v in axe_violations(phone_page)]
    assert not problems, "\n".join(problems)
