"""Errors speak the language of whoever reads them; their codes stay the same for programs.

A domain error (here: deleting a place that still has buildings under it, and a contact import
with bad rows) is shown to a Swedish staff member in Swedish, on the page; the API answers the
same error with the same code, in English by default and in Swedish or Dutch when the request
asks for it with Accept-Language.
"""

from __future__ import annotations

import html
import io
from typing import Any

import pytest
from flask.testing import FlaskClient

from panel.core.scoping import scoped_to
from panel.places.service import create_place
from tests.factories import OrganisationFactory, UserFactory, api_headers, login

ENGLISH = "Norra Ängby still has buildings under it (1). Delete or move them first."
SWEDISH = "Norra Ängby har fortfarande hus under sig (1). Ta bort eller flytta dem först."
DUTCH = "Onder Norra Ängby staan nog gebouwen (1). Verwijder of verplaats die eerst."


@pytest.fixture
def area_with_a_building(db_session: Any) -> tuple[Any, Any]:
    organisation = OrganisationFactory(name="Bostäder Norr", default_language="sv")
    with scoped_to(db_session, organisation.id):
        area = create_place(db_session, "Norra Ängby")
        create_place(db_session, "Ängbyplan 3", area)
        db_session.commit()
    return organisation, area


def _page(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_a_swedish_staff_member_reads_the_error_in_swedish(
    client: FlaskClient, area_with_a_building: tuple[Any, Any]
) -> None:
    organisation, area = area_with_a_building
    admin = UserFactory(organisation=organisation, admin=True, locale="sv", name="Åsa Öberg")
    login(client, admin)

    response = client.post(f"/app/places/{area.id}/delete", follow_redirects=True)

    assert SWEDISH in _page(response)
    assert ENGLISH not in _page(response)


@pytest.mark.parametrize(
    ("accept_language", "message"),
    [(None, ENGLISH), ("sv", SWEDISH), ("nl-NL, nl;q=0.9", DUTCH), ("de", ENGLISH)],
)
def test_the_api_gives_the_same_code_in_the_language_asked_for(
    client: FlaskClient, area_with_a_building: tuple[Any, Any], accept_language: str, message: str
) -> None:
    organisation, area = area_with_a_building
    # A Swedish admin's token: the API answers in the request's language, not the user's.
    admin = UserFactory(organisation=organisation, admin=True, locale="sv")
    headers = api_headers(admin)
    if accept_language:
        headers["Accept-Language"] = accept_language

    response = client.delete(f"/api/v1/places/{area.id}", headers=headers)

    assert response.status_code == 409
    assert response.json["error"] == {"code": "place_not_empty", "message": message}


def test_per_field_messages_are_translated_too(
    client: FlaskClient, area_with_a_building: tuple[Any, Any]
) -> None:
    organisation, _area = area_with_a_building
    headers = {**api_headers(UserFactory(organisation=organisation)), "Accept-Language": "sv"}

    response = client.post(
        "/api/v1/contacts/", json={"phone": "070-12", "tags": 3}, headers=headers
    )

    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "invalid"
    assert error["details"]["json"]["tags"] == ["Måste vara en lista."]
    assert error["message"] == "Förfrågan är inte giltig: tags: Måste vara en lista."
    short = client.post("/api/v1/contacts/", json={"phone": "070-12"}, headers=headers)
    assert short.json["error"]["message"] == (
        "”070-12” är inte ett giltigt telefonnummer: det är för kort"
    )


def test_an_import_report_is_in_the_staff_members_language(
    client: FlaskClient, area_with_a_building: tuple[Any, Any]
) -> None:
    organisation, _area = area_with_a_building
    admin = UserFactory(organisation=organisation, admin=True, locale="nl")
    login(client, admin)
    csv = "name;email;language\nĲsbrand de Vries;ijsbrand@example.nl;nl\nZeynep;;de\n"

    response = client.post(
        "/app/contacts/import",
        data={"file": (io.BytesIO(csv.encode()), "huurders.csv")},
        content_type="multipart/form-data",
    )

    page = _page(response)
    assert "De taal moet sv, nl of en zijn, niet “de”." in page
    assert "The language must be" not in page
