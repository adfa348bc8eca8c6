"""The place tree service: paths and ancestors, renames, deletes that refuse, lookups."""

from __future__ import annotations

import pytest

from panel.core.errors import Conflict, ValidationError
from panel.places.models import PlaceKind
from panel.places.service import (
    PlaceLookup,
    create_place,
    delete_place,
    ensure_path,
    flatten,
    place_tree,
    rename_place,
)
from tests.factories import ContactFactory


def build(session):
    area = create_place(session, "Norra Ängby", code="10")
    building = create_place(session, "Ängbyplan 3", area, code="101")
    stairwell = create_place(session, "Trapphus A", building, code="101-A")
    return area, building, stairwell


def test_a_tree_keeps_kinds_paths_and_ancestors(scoped, organisation):
    area, building, stairwell = build(scoped)

    assert (area.kind, building.kind, stairwell.kind) == (
        PlaceKind.AREA,
        PlaceKind.BUILDING,
        PlaceKind.STAIRWELL,
    )
    assert stairwell.path == "Norra Ängby / Ängbyplan 3 / Trapphus A"
    assert (stairwell.area_id, stairwell.building_id, stairwell.parent_id) == (
        area.id,
        building.id,
        building.id,
    )
    assert (building.area_id, building.building_id) == (area.id, None)
    assert stairwell.organisation_id == organisation.id


def test_a_stairwell_has_no_children(scoped):
    _area, _building, stairwell = build(scoped)
    with pytest.raises(Conflict, match="last level"):
        create_place(scoped, "Lägenhet 1101", stairwell)


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "name"), ("   ", "name"), ("Hus 1/2", "cannot contain “/”"), ("x" * 121, "at most")],
)
def test_bad_names_are_refused_with_a_reason(scoped, name, message):
    with pytest.raises(ValidationError, match=message):
        create_place(scoped, name)


def test_duplicates_by_path_or_code_are_conflicts(scoped):
    area, _building, _stairwell = build(scoped)
    with pytest.raises(Conflict, match="already a place called Norra Ängby / Ängbyplan 3"):
        create_place(scoped, "Ängbyplan  3", area)
    with pytest.raises(Conflict, match="code “101” is already used"):
        create_place(scoped, "Centrum", code="101")


def test_renaming_moves_every_path_below(scoped):
    area, building, stairwell = build(scoped)
    rename_place(scoped, area, "Ängby", "11")
    assert area.path == "Ängby"
    assert building.path == "Ängby / Ängbyplan 3"
    assert stairwell.path == "Ängby / Ängbyplan 3 / Trapphus A"
    rename_place(scoped, building, "Ängbyplan 5", "101")
    assert stairwell.path == "Ängby / Ängbyplan 5 / Trapphus A"


def test_rename_onto_a_sibling_is_refused(scoped):
    area, building, _stairwell = build(scoped)
    other = create_place(scoped, "Ängbyplan 5", area)
    with pytest.raises(Conflict):
        rename_place(scoped, other, building.name)


def test_delete_refuses_places_with_children_or_contacts(scoped, organisation):
    area, building, stairwell = build(scoped)
    with pytest.raises(Conflict, match=r"still has buildings under it \(1\)"):
        delete_place(scoped, area)
    ContactFactory(organisation=organisation, place_id=stairwell.id)
    with pytest.raises(Conflict, match=r"still has contacts \(1\)"):
        delete_place(scoped, stairwell)
    empty = create_place(scoped, "Trapphus B", building)
    delete_place(scoped, empty)
    assert [n.place.name for n in flatten(place_tree(scoped))] == [
        "Norra Ängby",
        "Ängbyplan 3",
        "Trapphus A",
    ]


def test_tree_counts_contacts_at_every_level(scoped, organisation):
    area, building, stairwell = build(scoped)
    other = create_place(scoped, "Trapphus B", building)
    for place in (stairwell, stairwell, other, area):
        ContactFactory(organisation=organisation, place_id=place.id)

    (root,) = place_tree(scoped)
    assert root.contacts == 4 and root.direct_contacts == 1
    (house,) = root.children
    assert house.contacts == 3
    assert [(c.place.name, c.contacts) for c in house.children] == [
        ("Trapphus A", 2),
        ("Trapphus B", 1),
    ]
    assert not root.can_delete and house.children[1].can_delete is False


def test_ensure_path_is_idempotent(scoped):
    place, outcome = ensure_path(scoped, ["Centrum", "Storgatan 4", "Trapphus A"], "4-A")
    assert (place.path, place.code, outcome) == (
        "Centrum / Storgatan 4 / Trapphus A",
        "4-A",
        "created",
    )
    again, outcome = ensure_path(scoped, ["Centrum", "Storgatan 4", "Trapphus A"], "4-A")
    assert (again.id, outcome) == (place.id, "unchanged")
    area, outcome = ensure_path(scoped, ["Centrum"], "C")
    assert (area.code, outcome) == ("C", "updated")


def test_lookup_finds_by_path_or_code(scoped):
    _area, _building, stairwell = build(scoped)
    places = PlaceLookup.load(scoped)
    assert places.find("norra ängby/Ängbyplan 3 /  trapphus a") == stairwell.id
    assert places.find("101-a") == stairwell.id
    assert places.find("Söder") is None
