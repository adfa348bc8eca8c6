"""The tenant pages' languages: Swedish, Dutch and English, and Arabic (right to left), Turkish,
Polish and Somali. The switch on the page wins, then what we know of the tenant, then the
browser's languages, then the question's; staff pages stay in Swedish, Dutch or English."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import sqlalchemy as sa

from panel.answers.models import Answer
from panel.core.i18n import language_url
from tests.factories import make_panel
from tests.touchpoints.test_public import _pdf_text

LONG_AGO = dt.date(2020, 1, 1)
ARABIC_SEND = "أرسل إجابتي"  # "Send my answer"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def placed(touchpoint_factory, live_question):
    return touchpoint_factory(schedule=[(live_question.id, LONG_AGO)])


def test_an_arabic_browser_gets_the_page_in_arabic_right_to_left(client, placed, live_question):
    page = text(client.get(f"/t/{placed.slug}", headers={"Accept-Language": "ar-SA,ar;q=0.9"}))

    assert '<html lang="ar" dir="rtl">' in page
    assert ARABIC_SEND in page
    assert live_question.title in page  # staff wrote it in Swedish: it stays as written
    assert "Send my answer" not in page and "Skicka mitt svar" not in page


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("tr", "Cevabımı gönder"),
        ("pl", "Wyślij odpowiedź"),
        ("so", "Dir jawaabtayda"),
        ("nl", "Verstuur mijn antwoord"),
    ],
)
def test_each_tenant_language_from_the_browser(client, placed, language, words):
    page = text(client.get(f"/t/{placed.slug}", headers={"Accept-Language": language}))

    assert f'<html lang="{language}">' in page
    assert words in page


def test_the_switch_wins_over_the_browser_and_nonsense_is_ignored(client, placed):
    switched = text(client.get(f"/t/{placed.slug}?lang=pl", headers={"Accept-Language": "ar"}))
    nonsense = text(client.get(f"/t/{placed.slug}?lang=xx", headers={"Accept-Language": "ar"}))

    assert '<html lang="pl">' in switched
    assert '<html lang="ar" dir="rtl">' in nonsense


def test_without_a_clue_from_the_tenant_the_page_reads_like_its_question(client, placed):
    for headers in ({}, {"Accept-Language": "de-DE,de;q=0.9"}):
        page = text(client.get(f"/t/{placed.slug}", headers=headers))
        assert '<html lang="sv">' in page and "Skicka mitt svar" in page


def test_a_wrong_address_says_so_in_the_tenants_language(client):
    response = client.get("/t/zzzzzzz", headers={"Accept-Language": "so"})

    page = text(response)
    assert response.status_code == 404
    assert '<html lang="so">' in page
    assert "Bogga lama helin" in page
    assert "Cinwaankani kuuma geynayo su'aal" in page
    assert "Ask your tenants" not in page  # the staff brand page is not for tenants


def test_staff_pages_stay_in_swedish_dutch_or_english(client):
    page = text(client.get("/login", headers={"Accept-Language": "ar,tr;q=0.8"}))

    assert re.search(r'<html lang="(en|sv|nl)">', page)
    assert 'dir="rtl"' not in page


def test_the_join_page_offers_every_language_in_its_own_name(client, organisation):
    panel = make_panel(organisation)

    page = text(client.get(f"/join/{panel.slug}?lang=so"))

    assert '<html lang="so">' in page and ">Ku biir<" in page
    switch = re.search(r'<nav class="tenant-languages.*?</nav>', page, re.S)[0]
    names = re.findall(r'lang="(\w+)"[^>]*>([^<]+)</a>', switch)
    assert names == [
        ("sv", "Svenska"),
        ("nl", "Nederlands"),
        ("en", "English"),
        ("ar", "العربية"),
        ("tr", "Türkçe"),
        ("pl", "Polski"),
        ("so", "Soomaali"),
    ]
    assert 'aria-current="true">Soomaali<' in switch
    # Questions still come in Swedish, Dutch or English: the page's language picks none of them.
    assert "selected" not in re.search(r'<select id="language".*?</select>', page, re.S)[0]


def test_the_switch_keeps_the_rest_of_the_address(app):
    with app.test_request_context("/t/abc123?embed=1&src=embed&lang=sv"):
        assert language_url("ar") == "/t/abc123?embed=1&src=embed&lang=ar"


def test_the_flyer_is_printed_in_its_questions_language(client, placed, tmp_path):
    """Staff download it with their own browser: the stairwell still gets the question's."""
    response = client.get(f"/t/{placed.slug}/flyer.pdf", headers={"Accept-Language": "ar"})

    assert response.status_code == 200
    assert "Skanna koden" in " ".join(_pdf_text(response.data, tmp_path).split())


def test_an_answer_sent_from_the_switched_page_is_thanked_in_that_language(
    client, placed, db_session
):
    page = text(client.get(f"/t/{placed.slug}?src=qr&lang=ar"))
    action = re.search(r'<form[^>]*action="([^"]+)"', page)[1]
    key = re.search(r'name="submission" value="([^"]+)"', page)[1]

    assert "lang=ar" in action
    sent = client.post(action, data={"submission": key, "score": "8", "text": "جيد"})
    assert sent.status_code == 303
    thanks = text(client.get(sent.headers["Location"]))
    assert '<html lang="ar" dir="rtl">' in thanks and "شكرًا" in thanks
    (answer,) = db_session.scalars(sa.select(Answer).where(Answer.touchpoint_id == placed.id))
    assert answer.language == "ar"
