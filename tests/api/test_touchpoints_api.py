"""``/api/v1/touchpoints``: create with a schedule, read the timeline and today's question, patch,
list with filters; clear 4xx errors for what is wrong or not the organisation's."""

from __future__ import annotations

import datetime as dt

import pytest

from notifications.senders import add_sender_number
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


# --- voice touchpoints: a phone number tenants call ----------------------------------------

NUMBER = "+46812345670"


@pytest.fixture
def numbers(db_session, organisation):
    """Ours: one for calls and SMS, one for SMS only; and another organisation's."""
    add_sender_number(db_session, organisation.id, NUMBER, voice=True)
    add_sender_number(db_session, organisation.id, "+46701740605", voice=False)
    add_sender_number(db_session, OrganisationFactory().id, "+46701740699", voice=True)
    db_session.commit()


def test_a_voice_touchpoint_is_made_on_one_of_our_numbers(client, headers, staff, numbers):
    now = make_question(staff, title="Hur trivs du i trapphuset?", status=QuestionStatus.LIVE)
    body = {
        "name": "Telefonlinjen",
        "kind": "voice",
        "phone_number": "08-123 456 70",
        "schedule": [{"question_id": now.id, "starts_on": "2026-01-01"}],
    }

    created = client.post("/api/v1/touchpoints/", json=body, headers=headers)

    assert created.status_code == 201, created.json
    line = created.json
    assert (line["kind"], line["phone_number"]) == ("voice", NUMBER)
    assert line["current_question_id"] == now.id
    assert client.get(f"/api/v1/touchpoints/{line['id']}", headers=headers).json == line
    listed = client.get("/api/v1/touchpoints/?kind=voice", headers=headers).json["items"]
    assert [t["phone_number"] for t in listed] == [NUMBER]
    flyer = client.post(
        "/api/v1/touchpoints/", json={"name": "Flygblad", "kind": "qr"}, headers=headers
    ).json
    assert flyer["phone_number"] is None

    # The same number twice: 409.
    again = client.post(
        "/api/v1/touchpoints/", json={**body, "name": "Andra linjen"}, headers=headers
    )
    assert again.status_code == 409
    assert again.json["error"]["code"] == "phone_number_taken"
    assert "already answers calls to +46 8 123 456 70" in again.json["error"]["message"]

    # Its number can be given up (null) and taken again; its kind stays.
    patched = client.patch(
        f"/api/v1/touchpoints/{line['id']}", json={"phone_number": None}, headers=headers
    )
    assert patched.status_code == 200 and patched.json["phone_number"] is None
    patched = client.patch(
        f"/api/v1/touchpoints/{line['id']}",
        json={"phone_number": "+46 8 123 456 70", "name": "Telefonen"},
        headers=headers,
    )
    assert (patched.json["phone_number"], patched.json["name"]) == (NUMBER, "Telefonen")
    for touchpoint, change in (
        (line, {"kind": "qr"}),
        (flyer, {"kind": "voice"}),
        (flyer, {"phone_number": NUMBER}),
    ):
        refused = client.patch(
            f"/api/v1/touchpoints/{touchpoint['id']}", json=change, headers=headers
        )
        assert refused.status_code == 409, (change, refused.json)
        assert refused.json["error"]["message"]


@pytest.mark.parametrize(
    ("number", "status", "code"),
    [
        ("+46701740699", 409, "phone_number_not_ours"),  # another organisation's
        ("+46812345699", 409, "phone_number_not_ours"),  # nobody's
        ("+46701740605", 409, "phone_number_takes_no_calls"),
        ("08-12", 422, "invalid"),
        ("", 422, "validation_error"),
    ],
)
def test_a_voice_touchpoint_needs_a_number_of_ours_that_takes_calls(
    client, headers, numbers, number, status, code
):
    body = {"name": "Telefonlinjen", "kind": "voice", "phone_number": number}

    response = client.post("/api/v1/touchpoints/", json=body, headers=headers)

    assert response.status_code == status, response.json
    assert response.json["error"]["message"]
    if status == 409:
        assert response.json["error"]["code"] == code
        assert "phone_number" in response.json["error"]["details"]
    assert client.get("/api/v1/touchpoints/", headers=headers).json["items"] == []


def test_only_a_voice_touchpoint_has_a_number(client, headers, numbers):
    for body in (
        {"name": "Telefonlinjen", "kind": "voice"},
        {"name": "Flygblad", "kind": "qr", "phone_number": NUMBER},
    ):
        response = client.post("/api/v1/touchpoints/", json=body, headers=headers)
        assert response.status_code == 422, (body, response.json)
        assert "phone_number" in response.json["error"]["details"]["json"]


def test_the_document_states_the_rule_of_the_number(client, headers):
    document = client.get("/api/v1/openapi.json", headers=headers).json
    schema = document["components"]["schemas"]["TouchpointIn"]
    assert "voice" in schema["properties"]["kind"]["enum"]
    assert schema["properties"]["phone_number"]["format"] == "phone"
    assert {"required": ["phone_number"], "properties": {"kind": {"enum": ["voice"]}}} in schema[
        "anyOf"
    ]
