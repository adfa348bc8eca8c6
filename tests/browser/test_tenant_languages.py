"""The touchpoint page in Chromium on a phone whose browser asks for Arabic: the page is laid out
right to left, its headings run right to left, nothing sticks out sideways at 390 px, and the
video shows its poster without loading the clip. axe-core finds nothing wrong in any of them,
nor on the join page with its language switch.

Screenshots go to ``test-artifacts/tenant_<language>_phone.png`` to be looked at.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from PIL import Image, ImageDraw

from media.storage import current_storage
from panel.core.scoping import scoped_to
from panel.questions.models import QuestionStatus
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_phone_layout import OVERFLOW
from tests.factories import OrganisationFactory, UserFactory, make_panel
from tests.fixtures.browser import PHONE, screenshot
from tests.questions.conftest import make_media, make_question
from touchpoints.service import create_touchpoint

pytestmark = pytest.mark.browser
ARABIC_LETTERS = re.compile("[\u0600-\u06ff]")


def _poster() -> bytes:
    image = Image.new("RGB", (1280, 720), (32, 92, 120))
    ImageDraw.Draw(image).rectangle((560, 280, 720, 440), fill=(240, 240, 240))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


@pytest.fixture(scope="module")
def organisation(live_server):
    with live_server.app_context():
        return OrganisationFactory(name="Bostadsstiftelsen Ängsbacken", default_language="sv")


@pytest.fixture(scope="module")
def slug(live_server, organisation):
    with live_server.app_context() as session:
        org = session.merge(organisation)
        staff = UserFactory(organisation=org, name="Anna Öberg")
        media = make_media(org.id)
        current_storage().put(
            media.renditions["poster"], io.BytesIO(_poster()), content_type="image/jpeg"
        )
        question = make_question(
            staff,
            title="Hur trivs du i trapphuset på Ängsbacksvägen 112 B?",
            status=QuestionStatus.LIVE,
            media_id=media.id,
            answer_modes=["text", "score", "choice", "audio"],
            choices=["Mycket bra", "Ganska bra", "Dåligt"],
        )
        with scoped_to(session, org.id):
            touchpoint = create_touchpoint(
                session, {"name": "Trapphus 3B", "kind": "qr"}, [(question.id, dt.date(2020, 1, 1))]
            )
        session.commit()
        return touchpoint.slug


@pytest.fixture
def phone_in(browser, live_server):
    """A phone whose browser asks for the given language first."""
    contexts = []

    def make(locale: str):
        context = browser.new_context(
            base_url=live_server.url,
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale=locale,
        )
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def test_the_arabic_page_runs_right_to_left_and_fits_the_phone(live_server, slug, phone_in):
    page = phone_in("ar")
    media_requests: list[str] = []
    page.on("request", lambda r: media_requests.append(r.url) if "/media/" in r.url else None)

    page.goto(f"/t/{slug}")

    assert page.evaluate("document.documentElement.lang") == "ar"
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    # The heading runs right to left (the question's own Swedish words keep their order inside
    # it, by unicode-bidi: plaintext), and so does every label, legend and button in Arabic.
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).direction") == "rtl"
    parts = page.eval_on_selector_all(
        "h1, h2, legend, label, button",
        "els => els.map(e => [e.textContent, getComputedStyle(e).direction])",
    )
    arabic = [(text, way) for text, way in parts if ARABIC_LETTERS.search(text)]
    assert len(arabic) >= 3 and all(way == "rtl" for _text, way in arabic), parts
    assert page.evaluate(OVERFLOW) == []
    # Only the poster: the clip itself waits until it is played.
    assert [url for url in media_requests if not url.endswith("/poster.jpg")] == []
    screenshot(page, "tenant_ar_phone")
    assert axe_violations(page) == []


@pytest.mark.parametrize("language", ["so", "pl", "tr"])
def test_the_other_tenant_languages_fit_the_phone_too(live_server, slug, phone_in, language):
    page = phone_in(language)
    page.goto(f"/t/{slug}")

    assert page.evaluate("document.documentElement.lang") == language
    assert page.evaluate("document.documentElement.dir") == ""
    assert page.evaluate(OVERFLOW) == []
    screenshot(page, f"tenant_{language}_phone")
    assert axe_violations(page) == []


def test_the_arabic_join_page_and_its_language_switch(live_server, organisation, phone_in):
    with live_server.app_context():
        panel = make_panel(organisation, name="Ängsbackens hyresgästpanel")
    page = phone_in("ar")

    page.goto(f"/join/{panel.slug}")

    assert page.evaluate("document.documentElement.dir") == "rtl"
    switch = page.locator("nav.tenant-languages a")
    assert switch.count() == 7
    assert page.evaluate(OVERFLOW) == []
    screenshot(page, "tenant_join_ar_phone")
    assert axe_violations(page) == []
    switch.filter(has_text="Polski").click()
    page.wait_for_url("**lang=pl")
    assert page.evaluate("document.documentElement.lang") == "pl"
    assert page.get_by_role("button", name="Dołącz").is_visible()


@pytest.fixture(scope="module")
def tenant_pages(live_server, organisation, slug):
    """A personal link to a closed question, an answer's thank-you and own page, a 404."""
    from panel.answers.models import Answer
    from panel.core.db import utcnow
    from panel.sends.models import Invitation
    from panel.sends.service import new_token

    with live_server.app_context() as session:
        org = session.merge(organisation)
        staff = UserFactory(organisation=org, name="Kim Holm")
        closed = make_question(staff, title="Tvättstugans nya tider", status=QuestionStatus.CLOSED)
        now = utcnow()
        invitation = Invitation(
            organisation_id=org.id,
            token=new_token(),
            question_id=closed.id,
            channel="email",
            created_at=now,
            expires_at=now + dt.timedelta(days=30),
        )
        answer = Answer(
            organisation_id=org.id,
            question_id=closed.id,
            channel="qr",
            language="sv",
            score=8,
            text="Bra, men lampan i källaren blinkar.",
            consent_quote=True,
            me_token=new_token(),
            created_at=now,
        )
        session.add_all([invitation, answer])
        session.commit()
        pages = {
            "answer page": f"/t/{slug}",
            "thank-you": f"/thanks/{answer.me_token}",
            "own page": f"/me/{answer.me_token}",
            "closed": f"/a/{invitation.token}",
            "404": "/a/" + "x" * 32,
        }
        return answer.id, pages


@pytest.mark.parametrize("language", ["sv", "nl", "en", "ar", "tr", "pl", "so"])
def test_every_tenant_page_in_every_language_passes_axe(
    live_server, tenant_pages, phone_in, language
):
    from panel.answers.models import Answer

    answer_id, pages = tenant_pages
    with live_server.app_context() as session:
        # The thank-you and own pages speak the language the tenant answered in.
        session.get(Answer, answer_id).language = language
        session.commit()
    page = phone_in(language)
    problems = []
    for name, url in pages.items():
        response = page.goto(url)
        assert response.status in (200, 404), (name, response.status)
        assert page.evaluate("document.documentElement.lang") == language, name
        problems += [f"{name}: {v}" for v in axe_violations(page)]
        problems += [f"{name}: sideways {v}" for v in page.evaluate(OVERFLOW)]
        screenshot(page, f"tenant_{name.replace(' ', '-')}_{language}_phone")
    assert problems == []
