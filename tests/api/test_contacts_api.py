"""``/api/v1/contacts``: create, read, update, keyset list, bulk upsert; every error a clear 4xx."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from panel.contacts.models import ConsentEvent, Contact
from panel.core.scoping import scoped_to
from panel.places.service import create_place
from tests.factories import ContactFactory, OrganisationFactory, UserFactory, api_headers

ANNA = {
    "name": "Anna Lind",
    "email": "Anna.Lind@Example.se",
    "phone": "070-123 45 67",
    "tags": ["Panel"],
    "consent": {"basis": "consent", "text": "Jag vill vara med.", "text_version": "v1"},
}


@pytest.fixture
def organisation(db_session):
    return OrganisationFactory(default_language="sv")


@pytest.fixture
def user(organisation):
    return UserFactory(organisation=organisation)


@pytest.fixture
def headers(user):
    return api_headers(user)


def test_create_normalises_and_logs_consent(client, headers, user):
    response = client.post("/api/v1/contacts/", json=ANNA, headers=headers)
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["email"], body["phone"], body["tags"], body["language"]) == (
        "anna.lind@example.se",
        "+46701234567",
        ["panel"],
        "sv",
    )
    (consent,) = body["consents"]
    assert (consent["basis"], consent["method"], consent["text_version"]) == (
        "consent",
        "api",
        "v1",
    )

    got = client.get(f"/api/v1/contacts/{body['id']}", headers=headers)
    assert got.json == body


def test_duplicates_are_409_with_a_message(client, headers):
    first = client.post("/api/v1/contacts/", json=ANNA, headers=headers).json
    again = client.post("/api/v1/contacts/", json={"phone": "+46701234567"}, headers=headers)
    assert again.status_code == 409
    error = again.json["error"]
    assert error["code"] == "duplicate_contact"
    assert error["message"] == f"Contact #{first['id']} already has the phone number +46701234567."


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"email": "anna@"}, "email", "email: Not a valid e-mail address."),
        ({"email": ""}, "email", "email: Not a valid e-mail address."),
        ({"name": "Anna"}, "email", "e-mail address or a phone number"),
    ],
)
def test_what_the_document_forbids_is_422_naming_the_field(client, headers, body, field, message):
    response = client.post("/api/v1/contacts/", json=body, headers=headers)
    assert response.status_code == 422
    error = response.json["error"]
    assert message in error["message"]
    assert field in error["details"]["json"]


def test_a_phone_number_not_in_use_is_422_with_the_reason(client, headers):
    response = client.post("/api/v1/contacts/", json={"phone": "070-12"}, headers=headers)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["message"] == "“070-12” is not a valid phone number: it is too short"
    assert "phone" in error["details"]


def test_a_place_that_is_not_there_is_a_conflict(client, headers):
    body = {"email": "a@example.se", "place_id": 12345}
    response = client.post("/api/v1/contacts/", json=body, headers=headers)
    assert response.status_code == 409
    error = response.json["error"]
    assert (error["code"], error["message"]) == (
        "place_not_found",
        "There is no place with id 12345.",
    )


@pytest.mark.parametrize(
    "body",
    [
        {"email": 42},
        {"email": "a@example.se", "tags": "panel"},
        {"email": "a@example.se", "language": "de"},
        {"email": "a@example.se", "place_id": 2**40},
        {"email": "a@example.se", "consent": {"text": "no basis"}},
        {"email": "a@example.se", "unknown": 1},
        [],
    ],
)
def test_wrong_types_are_422(client, headers, body):
    response = client.post("/api/v1/contacts/", json=body, headers=headers)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid"
    assert response.json["error"]["details"]


def test_patch_changes_given_fields_and_null_clears(client, headers, organisation, db_session):
    with scoped_to(db_session, organisation.id):
        place = create_place(db_session, "Centrum")
        db_session.commit()
    contact = client.post("/api/v1/contacts/", json=ANNA, headers=headers).json
    url = f"/api/v1/contacts/{contact['id']}"
    patched = client.patch(url, json={"place_id": place.id, "name": None}, headers=headers).json
    assert (patched["place_id"], patched["place_path"], patched["name"]) == (
        place.id,
        "Centrum",
        None,
    )
    assert patched["email"] == "anna.lind@example.se"
    refused = client.patch(url, json={"email": None, "phone": None}, headers=headers)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "unreachable"
    same_consent = client.patch(url, json={"consent": ANNA["consent"]}, headers=headers).json
    assert len(same_consent["consents"]) == 1


def test_another_organisations_contact_is_404(client, headers):
    theirs = ContactFactory(organisation=OrganisationFactory(), name="Hemlig")
    for method in ("get", "patch"):
        response = getattr(client, method)(
            f"/api/v1/contacts/{theirs.id}", json={"name": "x"}, headers=headers
        )
        assert response.status_code == 404
        assert response.json["error"]["code"] == "not_found"
    assert client.get("/api/v1/contacts/", headers=headers).json["items"] == []


def test_keyset_pages_walk_every_contact_exactly_once(client, headers, organisation):
    made = {ContactFactory(organisation=organisation).id for _ in range(23)}
    ContactFactory(organisation=OrganisationFactory())  # not ours: never listed
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        query = {"limit": 5} | ({"after": cursor} if cursor else {})
        page = client.get("/api/v1/contacts/", query_string=query, headers=headers).json
        seen += [c["id"] for c in page["items"]]
        pages += 1
        cursor = page["next"]
        if cursor is None:
            break
    assert pages == 5
    assert seen == sorted(made)


def test_list_filters(client, headers, organisation, db_session):
    with scoped_to(db_session, organisation.id):
        area = create_place(db_session, "Centrum")
        stairwell = create_place(db_session, "Trapphus A", create_place(db_session, "Hus", area))
        db_session.commit()
    ContactFactory(organisation=organisation, name="Anna", place_id=stairwell.id, tags=["panel"])
    ContactFactory(organisation=organisation, name="Bo", tags=["senior"])

    def names(**query):
        page = client.get("/api/v1/contacts/", query_string=query, headers=headers).json
        return [c["name"] for c in page["items"]]

    assert names(place_id=area.id) == ["Anna"]
    assert names(tag="senior") == ["Bo"]
    assert names(q="bo") == ["Bo"]


@pytest.mark.parametrize(
    "query", [{"limit": 0}, {"limit": 501}, {"limit": "many"}, {"after": "not-a-cursor"}]
)
def test_bad_paging_is_422(client, headers, query):
    response = client.get("/api/v1/contacts/", query_string=query, headers=headers)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid"


def bulk_items(count):
    return [
        {
            "name": f"Hyresgäst {i}",
            "email": f"h{i}@example.se",
            "phone": f"+4670{i:07d}",
            "tags": ["panel"],
            "consent": {"basis": "consent", "text": "Ja"},
        }
        for i in range(count)
    ]


def test_bulk_upsert_is_idempotent(client, headers, db_session):
    items = bulk_items(300)
    first = client.post("/api/v1/contacts/bulk", json={"items": items}, headers=headers).json
    assert (first["created"], first["updated"], first["unchanged"], first["failed"]) == (
        300,
        0,
        0,
        0,
    )
    assert None not in first["ids"] and first["errors"] == []

    second = client.post("/api/v1/contacts/bulk", json={"items": items}, headers=headers).json
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, 300)
    assert second["ids"] == first["ids"]
    assert db_session.scalar(sa.select(sa.func.count(Contact.id))) == 300
    assert db_session.scalar(sa.select(sa.func.count(ConsentEvent.id))) == 300

    items[7]["name"] = "Renamed"
    third = client.post("/api/v1/contacts/bulk", json={"items": items}, headers=headers).json
    assert (third["updated"], third["unchanged"]) == (1, 299)


def test_bulk_reports_each_refused_item_by_index_and_keeps_the_rest(client, headers):
    items = [
        {"email": "ok@example.se"},
        {"phone": "070-12"},
        {"email": "ok@example.se", "name": "duplicate"},
        {"name": "unreachable"},
        {"email": "elsewhere@example.se", "place_id": 99999},
        {"phone": "0701234567"},
    ]
    response = client.post("/api/v1/contacts/bulk", json={"items": items}, headers=headers)
    body = response.json
    assert response.status_code == 200
    assert (body["created"], body["failed"]) == (2, 4)
    by_index = {e["index"]: e for e in body["errors"]}
    assert sorted(by_index) == [1, 2, 3, 4]
    assert "too short" in by_index[1]["message"]
    assert "Item 0 has the same e-mail address" in by_index[2]["message"]
    assert "e-mail address or a phone number" in by_index[3]["message"]
    assert by_index[4] == {
        "index": 4,
        "field": "place_id",
        "message": "There is no place with id 99999.",
    }
    assert body["ids"][0] and body["ids"][5] and body["ids"][1] is None


@pytest.mark.parametrize(
    ("item", "where"),
    [
        ({"email": 5}, "email"),
        ("not an object", "_schema"),
        ({"email": "bad@"}, "email"),
        ({"email": "a@example.se", "consent": {"basis": "consent", "granted": 0}}, "consent"),
    ],
)
def test_bulk_items_that_break_the_document_refuse_the_request(client, headers, item, where):
    items = [{"email": "ok@example.se"}, item]
    response = client.post("/api/v1/contacts/bulk", json={"items": items}, headers=headers)
    assert response.status_code == 422
    assert where in response.json["error"]["details"]["json"]["items"]["1"]
    assert client.get("/api/v1/contacts/", headers=headers).json["items"] == []


def test_bulk_limits(client, headers):
    empty = client.post("/api/v1/contacts/bulk", json={"items": []}, headers=headers)
    assert empty.status_code == 422
    too_many = [{"email": f"h{i}@example.se"} for i in range(10_001)]
    response = client.post("/api/v1/contacts/bulk", json={"items": too_many}, headers=headers)
    assert response.status_code == 422
    assert "items" in response.json["error"]["details"]["json"]


def test_the_document_describes_errors_and_pages(client):
    document = client.get("/api/v1/openapi.json").json
    listing = document["paths"]["/api/v1/contacts/"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"limit", "after", "place_id", "tag", "q"} <= names
    detail = document["paths"]["/api/v1/contacts/{contact_id}"]
    assert {"404", "401"} <= set(detail["get"]["responses"])
    assert {"404", "409", "422"} <= set(detail["patch"]["responses"])
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    page = document["components"]["schemas"]["ContactPage"]
    assert page["properties"]["next"]["nullable"] is True


def test_bulk_messages_name_items_by_their_index_in_the_request(client, headers):
    items = [{"phone": "070-12"}, {"email": "x@example.se"}, {"email": "x@example.se"}]
    body = client.post("/api/v1/contacts/bulk", json={"items": items}, headers=headers).json
    assert body["errors"][-1] == {
        "index": 2,
        "field": "email",
        "message": "Item 1 has the same e-mail address x@example.se.",
    }


def test_a_422_says_which_field_and_why(client, headers):
    response = client.post("/api/v1/contacts/", json={"email": 42, "tags": "x"}, headers=headers)
    message = response.json["error"]["message"]
    assert message.startswith("The request is not valid: ")
    assert "email: Must be text." in message
    assert "tags: Must be a list." in message
    response = client.get("/api/v1/contacts/?limit=0", headers=headers)
    assert "limit: Must be from 1 to 500." in response.json["error"]["message"]
