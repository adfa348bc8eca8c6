"""``/api/v1/answers/{id}`` with its machine translations: the ones made so far, each saying
what it translates, into which language and by what; ``language`` asks for one (made at once
for a short text when a model is installed); a language Stoop does not know is refused."""

from __future__ import annotations

import pytest

from panel.core.scoping import scoped_to
from tests.factories import OrganisationFactory, UserFactory, api_headers
from tests.language.conftest import reference_one

ELEVATOR = "Hissen har stått still i två veckor."


@pytest.fixture
def headers(staff):
    return api_headers(staff)


def test_an_answer_carries_the_translations_made_ahead(client, translating, answered, headers):
    thread = answered(channel="email", text=ELEVATOR)

    body = client.get(f"/api/v1/answers/{thread.answer_id}", headers=headers).get_json()

    assert body["text"] == ELEVATOR
    assert body["translations"] == [
        {
            "of": "text",
            "language": "en",
            "text": reference_one(translating / "sv-en", ELEVATOR),
            "engine": "opus-mt sv-en (ctranslate2 int8)",
            "machine_translation": True,
        }
    ]


def test_language_asks_for_a_translation_through_english(
    client, use_models, model_folders, answered, headers
):
    thread = answered(channel="email", text=ELEVATOR)  # no models: none made ahead
    use_models(model_folders)

    none_yet = client.get(f"/api/v1/answers/{thread.answer_id}", headers=headers).get_json()
    dutch = client.get(
        f"/api/v1/answers/{thread.answer_id}?language=nl", headers=headers
    ).get_json()

    english = reference_one(model_folders / "sv-en", ELEVATOR)
    assert none_yet["translations"] == []
    assert [(t["of"], t["language"], t["text"]) for t in dutch["translations"]] == [
        ("text", "nl", reference_one(model_folders / "en-nl", english))
    ]


def test_a_language_stoop_does_not_know_is_refused(client, translating, answered, headers):
    thread = answered(channel="email", text=ELEVATOR)

    response = client.get(f"/api/v1/answers/{thread.answer_id}?language=xx", headers=headers)

    assert response.status_code == 422
    assert response.get_json()["error"]["code"]


def test_another_organisations_answer_is_not_found(client, translating, answered, db_session):
    thread = answered(channel="email", text=ELEVATOR)
    other = OrganisationFactory(name="Grannbolaget")
    with scoped_to(db_session, other.id):
        stranger = api_headers(UserFactory(organisation=other))

    response = client.get(f"/api/v1/answers/{thread.answer_id}?language=en", headers=stranger)

    assert response.status_code == 404
