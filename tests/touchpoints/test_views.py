"""The staff pages of touchpoints: the list and its empty state, the form with its schedule
rows, the touchpoint page with its timeline, addresses, snippet and funnel; the settings page
that lists the websites allowed to embed."""

from __future__ import annotations

import datetime as dt
import html
import re

import sqlalchemy as sa

from panel.organisations.models import Organisation
from panel.questions.models import QuestionStatus
from tests.factories import OrganisationFactory, PlaceFactory, UserFactory, login
from tests.touchpoints.conftest import make_question
from touchpoints import funnel
from touchpoints.models import Touchpoint
from touchpoints.service import organisation_today


def text(response):
    return response.get_data(as_text=True)


def test_empty_state_offers_each_kind(staff_client):
    page = text(staff_client.get("/app/touchpoints"))
    assert "No touchpoints yet" in page
    assert "/app/touchpoints/new?kind=qr" in page
    assert "/app/touchpoints/new?kind=embed" in page
    nav = re.search(r'<nav class="mainnav".*?</nav>', page, re.S).group(0)
    assert ">Touchpoints</a>" in nav


def test_staff_make_a_touchpoint_with_a_schedule(staff_client, db_session, organisation, staff):
    place = PlaceFactory(organisation=organisation, name="Trapphus 3B")
    a = make_question(staff, title="Hur är tvättstugan?", status=QuestionStatus.LIVE)
    b = make_question(staff, title="Vad tycker du om gården?", status=QuestionStatus.LIVE)
    form = text(staff_client.get("/app/touchpoints/new?kind=qr"))
    assert 'name="question-0"' in form and 'name="starts_on-0"' in form
    assert "Hur är tvättstugan?" in form

    response = staff_client.post(
        "/app/touchpoints",
        data={
            "name": "Flygblad i trapphus 3B – Ängsbacken",
            "kind": "qr",
            "place_id": str(place.id),
            "is_active": "y",
            "question-0": str(a.id),
            "starts_on-0": "2026-03-01",
            "question-1": str(b.id),
            "starts_on-1": "2026-04-01",
            "question-2": str(b.id),
            "starts_on-2": "",
        },
    )
    # A half-filled row is named, not silently dropped.
    assert response.status_code == 422
    assert "Give each step a start date" in text(response)

    response = staff_client.post(
        "/app/touchpoints",
        data={
            "name": "Flygblad i trapphus 3B – Ängsbacken",
            "kind": "qr",
            "place_id": str(place.id),
            "is_active": "y",
            "question-0": str(a.id),
            "starts_on-0": "2026-03-01",
            "question-1": str(b.id),
            "starts_on-1": "2026-04-01",
            "question-2": "",  # the empty row the form offers, with its suggested day
            "starts_on-2": "2026-05-01",
        },
    )
    assert response.status_code == 303
    touchpoint = db_session.scalar(sa.select(Touchpoint).where(Touchpoint.name.like("Flygblad%")))
    assert touchpoint.place_id == place.id
    assert [(e.question_id, e.starts_on) for e in touchpoint.entries] == [
        (a.id, dt.date(2026, 3, 1)),
        (b.id, dt.date(2026, 4, 1)),
    ]
    page = text(staff_client.get(response.headers["Location"]))
    assert "Flygblad i trapphus 3B – Ängsbacken" in page
    assert (
        f"http://127.0.0.1:5000/t/{touchpoint.slug}?src=qr" in page
        or f"/t/{touchpoint.slug}?src=qr" in page
    )
    assert 'class="timeline"' in page
    assert "timeline-current" in page  # April's step is current today (a date after April 2026)
    assert f"/t/{touchpoint.slug}/qr.svg" in page and f"/t/{touchpoint.slug}/flyer.pdf" in page
    assert "No visits yet" in page


def test_add_a_step_and_remove_one_without_javascript(
    staff_client, touchpoint_factory, live_question, staff, scoped
):
    later = make_question(staff, title="Belysningen", status=QuestionStatus.LIVE)
    touchpoint = touchpoint_factory(
        schedule=[(live_question.id, dt.date(2026, 3, 1)), (later.id, dt.date(2026, 4, 1))]
    )
    page = text(staff_client.get(f"/app/touchpoints/{touchpoint.id}/edit"))
    assert 'name="remove-1"' in page
    data = {
        "name": touchpoint.name,
        "kind": "qr",
        "place_id": "",
        "is_active": "y",
        "question-0": str(live_question.id),
        "starts_on-0": "2026-03-01",
        "question-1": str(later.id),
        "starts_on-1": "2026-04-01",
        "action": "add_step",
    }
    page = text(staff_client.post(f"/app/touchpoints/{touchpoint.id}", data=data))
    assert 'name="question-2"' in page and 'value="2026-05-01"' in page
    data.update({"action": "save", "remove-0": "1"})
    assert staff_client.post(f"/app/touchpoints/{touchpoint.id}", data=data).status_code == 303
    scoped.expire_all()
    assert [e.question_id for e in touchpoint.entries] == [later.id]


def test_the_timeline_says_past_current_and_upcoming(
    staff_client, touchpoint_factory, organisation, staff
):
    today = organisation_today(organisation)
    old = make_question(staff, title="Förra månadens fråga", status=QuestionStatus.CLOSED)
    now = make_question(staff, title="Månadens fråga", status=QuestionStatus.LIVE)
    soon = make_question(staff, title="Nästa månads fråga")  # a draft, still being written
    touchpoint = touchpoint_factory(
        kind="embed",
        schedule=[
            (old.id, today - dt.timedelta(days=40)),
            (now.id, today - dt.timedelta(days=5)),
            (soon.id, today + dt.timedelta(days=20)),
        ],
    )
    page = text(staff_client.get(f"/app/touchpoints/{touchpoint.id}"))
    steps = re.findall(r'class="timeline-step timeline-(\w+)"', page)
    assert steps == ["past", "current", "upcoming"]
    assert 'aria-current="step"' in page
    assert "tenants will not see it until it is live" in page  # the draft coming up
    # The embed kind shows its snippet, and warns that no website may show it yet.
    assert f'data-touchpoint="{touchpoint.slug}" data-mode="inline"' in html.unescape(page)
    assert "No website is allowed to show your touchpoints yet" in page


def test_funnel_by_day_and_source(staff_client, touchpoint_factory, scoped):
    touchpoint = touchpoint_factory()
    today = organisation_today(scoped.get(Organisation, touchpoint.organisation_id))
    for src in ("qr", "qr", "link"):
        funnel.record(scoped, touchpoint.id, src, "view", day=today)
    funnel.record(scoped, touchpoint.id, "qr", "start", day=today)
    scoped.commit()
    page = text(staff_client.get(f"/app/touchpoints/{touchpoint.id}"))
    assert "funnel-table" in page
    table = re.search(r'<table class="table cards funnel-table">.*?</table>', page, re.S).group(0)
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]
    cells = [re.findall(r"<span>(\d+|[A-Za-z ]+)</span>", r) for r in rows]
    assert ["Link", "1", "0", "0"] in cells
    assert ["QR code", "2", "1", "0"] in cells


def test_another_organisations_touchpoint_is_not_found(staff_client, db_session):
    other_org = OrganisationFactory()
    other = UserFactory(organisation=other_org)
    from panel.core.scoping import scoped_to
    from touchpoints.service import create_touchpoint

    with scoped_to(db_session, other_org.id):
        theirs = create_touchpoint(db_session, {"name": "Deras", "kind": "link"})
        db_session.commit()
    assert other
    assert staff_client.get(f"/app/touchpoints/{theirs.id}").status_code == 404
    assert staff_client.get(f"/app/touchpoints/{theirs.id}/edit").status_code == 404
    assert staff_client.post(f"/app/touchpoints/{theirs.id}", data={}).status_code == 404


def test_admins_list_the_websites_allowed_to_embed(client, organisation, db_session):
    admin = UserFactory(organisation=organisation, admin=True)
    login(client, admin)
    page = text(client.get("/app/settings"))
    assert "Websites that may show your touchpoints" in page
    bad = client.post("/app/settings/embed-origins", data={"origins": "www.example.se/sida"})
    assert bad.status_code == 422
    assert "is not a website origin" in text(bad)
    good = client.post(
        "/app/settings/embed-origins",
        data={"origins": "https://www.Ängsbacken.example.se\nhttp://127.0.0.1:8123/\n"},
    )
    assert good.status_code == 422  # a non-ASCII host must be written as the browser sends it
    good = client.post(
        "/app/settings/embed-origins",
        data={"origins": "https://www.xn--ngsbacken-52a.example.se\nhttp://127.0.0.1:8123/\n"},
    )
    assert good.status_code == 303
    db_session.refresh(organisation)
    assert organisation.settings["embed_origins"] == [
        "https://www.xn--ngsbacken-52a.example.se",
        "http://127.0.0.1:8123",
    ]


def test_staff_cannot_change_the_settings(staff_client):
    assert staff_client.get("/app/settings").status_code == 403
    response = staff_client.post("/app/settings/embed-origins", data={"origins": "https://x.se"})
    assert response.status_code == 403
