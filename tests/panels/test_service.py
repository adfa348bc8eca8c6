"""Panels' service: bulk adds that are idempotent, consent versions, leaving, segments that
reach down the place tree, and recipients of sends."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from panel.contacts.bulk import UpsertItem, upsert_contacts
from panel.contacts.models import ConsentEvent, Contact
from panel.core.errors import NotFound, ValidationError
from panel.core.scoping import scoped_to
from panel.panels import segments, service
from panel.panels.models import MemberStatus, PanelConsentVersion, PanelMember
from panel.places.service import create_place
from tests.factories import ContactFactory, OrganisationFactory, make_panel


def _contacts(scoped, organisation, count, **values):
    items = [
        UpsertItem({"name": f"Åsa Öberg {i}", "email": f"asa{i}@example.se", **values})
        for i in range(count)
    ]
    return upsert_contacts(scoped, organisation, items, method="api").ids


def test_adding_2000_contacts_twice_adds_them_once(scoped, organisation):
    panel = make_panel(organisation)
    ids = _contacts(scoped, organisation, 2_000)
    assert service.add_members(scoped, panel, ids, source="contacts") == 2_000
    assert service.add_members(scoped, panel, ids, source="contacts") == 0
    scoped.commit()
    assert service.member_counts(scoped, panel) == {"pending": 0, "active": 2_000, "left": 0}
    tokens = scoped.scalars(sa.select(PanelMember.me_token)).all()
    assert len(set(tokens)) == 2_000 and min(len(t) for t in tokens) >= 32


def test_another_organisations_contacts_are_not_added(scoped, organisation):
    panel = make_panel(organisation)
    other = OrganisationFactory()
    with scoped_to(scoped, other.id):
        stranger = ContactFactory(organisation=other)
    assert service.add_members(scoped, panel, [stranger.id], source="api") == 0


def test_a_member_who_left_comes_back_only_when_asked(scoped, organisation):
    panel = make_panel(organisation)
    (contact_id,) = _contacts(scoped, organisation, 1)
    service.add_members(scoped, panel, [contact_id], source="csv")
    member = scoped.scalar(sa.select(PanelMember))
    service.leave(scoped, member, method="app")
    service.leave(scoped, member, method="app")  # twice: one withdrawal
    assert member.status == MemberStatus.LEFT and member.left_at is not None
    withdrawals = scoped.scalars(sa.select(ConsentEvent).where(ConsentEvent.granted.is_(False)))
    assert [e.method for e in withdrawals] == ["app"]

    assert service.add_members(scoped, panel, [contact_id], source="csv") == 0
    scoped.refresh(member)
    assert member.status == MemberStatus.LEFT
    assert service.add_members(scoped, panel, [contact_id], source="csv", reactivate=True) == 1
    scoped.refresh(member)
    assert (member.status, member.left_at) == (MemberStatus.ACTIVE, None)


def test_a_changed_consent_text_is_a_new_version(scoped, organisation):
    panel = make_panel(organisation, consent_text="Version ett.")
    service.update_panel(scoped, panel, consent_text="Version ett.")  # unchanged: no version
    service.update_panel(scoped, panel, consent_text="Version två, längre och tydligare.")
    versions = scoped.scalars(
        sa.select(PanelConsentVersion.text).order_by(PanelConsentVersion.version)
    ).all()
    assert versions == ["Version ett.", "Version två, längre och tydligare."]
    assert service.current_consent(scoped, panel).label == f"{panel.slug} v2"
    with pytest.raises(ValidationError):
        service.update_panel(scoped, panel, consent_text="   ")


def test_slugs_are_unique_across_organisations(scoped, organisation):
    first = make_panel(organisation, name="Tillsammans")
    other = OrganisationFactory()
    with scoped_to(scoped, other.id):
        second = make_panel(other, name="Tillsammans")
    assert first.slug == "tillsammans" and second.slug.startswith("tillsammans-")


def test_a_segment_by_an_area_finds_members_in_stairwells_below_it(scoped, organisation):
    area = create_place(scoped, "Norra Ängby")
    building = create_place(scoped, "Ängbyplan 3", area)
    stairwell = create_place(scoped, "Trapphus A", building)
    elsewhere = create_place(scoped, "Sjöstaden")
    panel = make_panel(organisation)
    inside = _contacts(scoped, organisation, 3, place_id=stairwell.id, age_band="65-79")
    outside = ContactFactory(organisation=organisation, place_id=elsewhere.id, age_band="65-79")
    service.add_members(scoped, panel, [*inside, outside.id], source="contacts")
    segment = segments.create_segment(
        scoped, panel, "Äldre i Norra Ängby", place_id=area.id, age_bands=["65-79"]
    )
    scoped.commit()

    query = segments.recipient_contact_ids(scoped, panel.id, segment.id)
    assert sorted(scoped.scalars(query)) == sorted(inside)
    everyone = segments.recipient_contact_ids(scoped, panel.id)
    assert len(scoped.scalars(everyone).all()) == 4
    assert segments.count_matching(scoped, panel, place_id=building.id) == 3


def test_recipients_are_active_members_only(scoped, organisation):
    panel = make_panel(organisation)
    ids = _contacts(scoped, organisation, 3, tags=["senior"])
    service.add_members(scoped, panel, ids, source="api")
    member = scoped.scalar(sa.select(PanelMember).where(PanelMember.contact_id == ids[0]))
    service.leave(scoped, member, method="api")
    assert sorted(scoped.scalars(segments.recipient_contact_ids(scoped, panel.id))) == ids[1:]
    assert segments.count_matching(scoped, panel, tags=["senior", "okänd"]) == 2
    assert segments.count_matching(scoped, panel, tags=["okänd"]) == 0


def test_recipients_of_an_unknown_panel_or_segment_are_not_found(scoped, organisation):
    panel = make_panel(organisation)
    other = make_panel(organisation, name="Annan")
    segment = segments.create_segment(scoped, other, "Alla")
    with pytest.raises(NotFound):
        segments.recipient_contact_ids(scoped, panel.id, segment.id)
    with pytest.raises(NotFound):
        segments.recipient_contact_ids(scoped, 987_654)


def test_growth_counts_new_members_per_week(scoped, organisation):
    panel = make_panel(organisation)
    ids = _contacts(scoped, organisation, 5)
    today = dt.date(2026, 11, 26)  # a Thursday
    monday = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
    service.add_members(scoped, panel, ids[:3], source="api", joined_at=monday)
    service.add_members(
        scoped, panel, ids[3:], source="api", joined_at=monday - dt.timedelta(weeks=2)
    )
    growth = service.weekly_growth(scoped, panel, today=today)
    assert len(growth) == 12
    assert growth[-1] == (dt.date(2026, 11, 23), 3)
    assert growth[-3] == (dt.date(2026, 11, 9), 2)
    assert sum(n for _, n in growth) == 5


def test_contacts_take_an_age_band(scoped, organisation):
    (contact_id,) = _contacts(scoped, organisation, 1, age_band="80+")
    assert scoped.get(Contact, contact_id).age_band == "80+"
