"""Contact rules: e-mail and phone cleaning, create/update with conflicts, consent, search."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from panel.contacts.models import ConsentEvent, Contact
from panel.contacts.phones import PhoneNumberError, display_phone, normalise_phone
from panel.contacts.service import (
    ConsentInput,
    FieldInvalid,
    clean_contact,
    clean_email,
    clean_tags,
    contact_filters,
    create_contact,
    update_contact,
)
from panel.core.errors import Conflict, ValidationError
from panel.places.service import PlaceLookup, create_place
from tests.factories import ContactFactory


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("070-123 45 67", "SE", "+46701234567"),
        ("+46 (0)70 123 45 67", "SE", "+46701234567"),
        ("0046701234567", "SE", "+46701234567"),
        ("06 12345678", "NL", "+31612345678"),
        ("07400 123456", "GB", "+447400123456"),
        ("+31 6 12345678", "SE", "+31612345678"),
    ],
)
def test_phone_numbers_are_stored_in_e164(raw, region, e164):
    assert normalise_phone(raw, region) == e164


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("070-12", "too short"),
        ("hello", "not a phone number"),
        ("+46 70 123 45 67 89 12", "too long"),
        ("+999 123 456", "country code"),
        ("+46 00 123 45 67", "not a valid phone number in SE"),
    ],
)
def test_bad_phone_numbers_say_why(raw, reason):
    with pytest.raises(PhoneNumberError, match=reason):
        normalise_phone(raw, "SE")


def test_display_phone():
    assert display_phone("+46701234567") == "+46 70 123 45 67"


def test_email_is_lower_cased_and_checked_without_dns():
    assert clean_email("  Anna.Lind@Example.SE ") == "anna.lind@example.se"
    with pytest.raises(FieldInvalid, match="not a valid e-mail address"):
        clean_email("anna@")
    with pytest.raises(FieldInvalid, match="not a valid e-mail address"):
        clean_email("anna lind@example.se")


def test_tags_are_short_lower_case_and_unique():
    assert clean_tags("Panel, senior;panel| Ny  hyresgäst") == ["panel", "senior", "ny hyresgäst"]
    with pytest.raises(FieldInvalid, match="at most 40"):
        clean_tags(["x" * 41])


def test_clean_contact_collects_every_problem(scoped):
    cleaned = clean_contact(
        {"email": "nope", "phone": "123", "language": "de", "place_id": 999, "tags": "ok"},
        region="SE",
        places=PlaceLookup.load(scoped),
    )
    assert [field for field, _ in cleaned.problems] == ["email", "phone", "language", "place_id"]
    assert cleaned.values == {"tags": ["ok"]}


def test_a_contact_needs_an_email_or_a_phone(scoped, organisation):
    with pytest.raises(ValidationError, match="e-mail address or a phone number"):
        create_contact(scoped, organisation, {"name": "Anna"})
    contact = create_contact(scoped, organisation, {"phone": "+46701234567"})
    assert contact.language == "sv" and contact.tags == []


def test_duplicates_are_conflicts_on_create_and_update(scoped, organisation):
    first = create_contact(scoped, organisation, {"email": "a@example.se"})
    second = create_contact(scoped, organisation, {"email": "b@example.se"})
    with pytest.raises(Conflict, match=f"Contact #{first.id} already has the e-mail"):
        create_contact(scoped, organisation, {"email": "a@example.se"})
    with pytest.raises(Conflict):
        update_contact(scoped, second, {"email": "a@example.se"})


def test_consent_is_logged_once_per_change(scoped, organisation):
    consent = ConsentInput(basis="consent", text="Jag vill vara med i panelen.", text_version="1")
    contact = create_contact(scoped, organisation, {"email": "a@example.se"}, consent)
    update_contact(scoped, contact, {"name": "Anna"}, consent)
    update_contact(scoped, contact, {}, ConsentInput(basis="consent", granted=False))
    log = scoped.scalars(sa.select(ConsentEvent).order_by(ConsentEvent.id)).all()
    assert [(e.granted, e.text) for e in log] == [
        (True, "Jag vill vara med i panelen."),
        (False, ""),
    ]


def test_filters_by_text_place_at_any_level_and_tag(scoped, organisation):
    area = create_place(scoped, "Centrum")
    building = create_place(scoped, "Storgatan 4", area)
    stairwell = create_place(scoped, "Trapphus A", building)
    elsewhere = create_place(scoped, "Söder")
    ContactFactory(
        organisation=organisation,
        name="Anna Lind",
        phone="+46701234567",
        place_id=stairwell.id,
        tags=["panel", "ny hyresgäst"],
    )
    ContactFactory(organisation=organisation, name="Bo Ek", place_id=elsewhere.id, tags=["senior"])

    def names(**kwargs):
        clauses = contact_filters(scoped, region="SE", **kwargs)
        return sorted(scoped.scalars(sa.select(Contact.name).where(*clauses)))

    assert names(q="lind") == ["Anna Lind"]
    assert names(q="070-123 45 67") == ["Anna Lind"]
    assert names(q="1234") == ["Anna Lind"]
    assert names(q="100%") == []
    for place in (area, building, stairwell):
        assert names(place_id=place.id) == ["Anna Lind"]
    assert names(place_id=elsewhere.id) == ["Bo Ek"]
    assert names(tag="Ny hyresgäst") == ["Anna Lind"]
    assert names(tag="senior") == ["Bo Ek"]
    assert names(tag="pan") == []
