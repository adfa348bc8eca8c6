"""``/api/v1/touchpoints``: create with a schedule, read the timeline and today's question, patch,
list with filters; clear 4xx errors for what is wrong or not the organisation's."""

from __future__ import annotations

import datetime as dt

import pytest

from panel.core.scoping import scoped_to
from panel.questions.models import QuestionStatus
from tests.factories import OrganisationFactory, PlaceFactory, UserFactory, api_headers
from tests.questions.conftest import make_question


@pytest.fixture
def organisation(db_session):
    return OrganisationFactory(name="Bostäder Väst")


@pytest.fixture
def staff(organisation):
    return UserFactory(organisation=organisation, name="Anna Öberg")


@pytest.fixture
def headers(staff):
    return api_headers(staff)


def test_create_read_patch_and_list(client, headers, staff, organisation, app):
    place = PlaceFactory(organisation=organisation, name="Trapphus 3B")
    old = make_question(staff, title="Förra frågan", status=QuestionStatus.CLOSED)
    now = make_question(staff, title="Hur trivs du i trapphuset?", status=QuestionStatus.LIVE)
    body = {
        "name": "Flygblad i trapphus 3B",
        "kind": "qr",
        "place_id": place.id,
        "schedule": [
            {"question_id": now.id, "starts_on": "2026-02-01"},
            {"question_id": old.id, "starts_on": "2026-01-01"},
        ],
    }
    created = client.post("/api/v1/touchpoints/", json=body, headers=headers)
    assert created.status_code == 201, created.json
    tp = created.json
    base = app.config["STOOP"].base_url
    assert tp["url"] == f"{base}/t/{tp['slug']}"
    assert tp["qr_png_url"] == f"{base}/t/{tp['slug']}/qr.png"
    assert tp["is_active"] is True and tp["place_id"] == place.id
    assert tp["current_question_id"] == now.id
    assert [(s["question_title"], s["state"], s["ends_on"]) for s in tp["schedule"]] == [
        ("Förra frågan", "past", "2026-01-31"),
        ("Hur trivs du i trapphuset?", "current", None),
    ]
    assert client.get(f"/api/v1/touchpoints/{tp['id']}", headers=headers).json == tp

    patched = client.patch(
        f"/api/v1/touchpoints/{tp['id']}",
        json={"is_active": False, "schedule": [{"question_id": now.id, "starts_on": "2026-03-01"}]},
        headers=headers,
    )
    assert patched.status_code == 200, patched.json
    assert patched.json["current_question_id"] is None  # paused
    assert [s["starts_on"] for s in patched.json["schedule"]] == ["2026-03-01"]
    assert patched.json["name"] == "Flygblad i trapphus 3B"

    client.post("/api/v1/touchpoints/", json={"name": "Webben", "kind": "embed"}, headers=headers)
    listed = client.get("/api/v1/touchpoints/?kind=embed", headers=headers).json
    assert [t["name"] for t in listed["items"]] == ["Webben"]
    by_place = client.get(f"/api/v1/touchpoints/?place_id={place.id}", headers=headers).json
    assert [t["id"] for t in by_place["items"]] == [tp["id"]]
    page = client.get("/api/v1/touchpoints/?limit=1", headers=headers).json
    assert len(page["items"]) == 1 and page["next"]


def test_bad_input_gets_a_clear_4xx(client, headers, staff):
    q = make_question(staff, status=QuestionStatus.LIVE)
    cases = [
        ({"name": "  ", "kind": "qr"}, 422),
        ({"name": "X", "kind": "fax"}, 422),
        ({"name": "X", "kind": "trigger"}, 422),
        (
            {"name": "X", "kind": "qr", "schedule": [{"question_id": q.id, "starts_on": "1 mars"}]},
            422,
        ),
        (
            {
                "name": "X",
                "kind": "qr",
                "schedule": [
                    {"question_id": q.id, "starts_on": "2026-03-01"},
                    {"question_id": q.id, "starts_on": "2026-03-01"},
                ],
            },
            409,
        ),
        ({"name": "X", "kind": "qr", "place_id": 2_000_000_000}, 409),
        (
            {
                "name": "X",
                "kind": "qr",
                "schedule": [{"question_id": 2_000_000_000, "starts_on": "2026-03-01"}],
            },
            409,
        ),
    ]
    for body, status in cases:
        response = client.post("/api/v1/touchpoints/", json=body, headers=headers)
        assert response.status_code == status, (body, response.json)
        assert response.json["error"]["message"]
    assert client.get("/api/v1/touchpoints/2000000000", headers=headers).status_code == 404


def test_another_organisations_question_cannot_be_scheduled(client, headers, db_session):
    other_org = OrganisationFactory()
    stranger = UserFactory(organisation=other_org)
    with scoped_to(db_session, other_org.id):
        theirs = make_question(stranger, status=QuestionStatus.LIVE)
    body = {
        "name": "X",
        "kind": "link",
        "schedule": [{"question_id": theirs.id, "starts_on": dt.date.today().isoformat()}],
    }
    response = client.post("/api/v1/touchpoints/", json=body, headers=headers)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "question_not_found"
