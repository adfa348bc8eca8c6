"""The place tree: create, rename and delete nodes, keep paths and ancestors right, find by path.

Every node keeps its full ``path`` ("Area / Building / Stairwell", unique per organisation) and
the ids of its area and building, so imports can look a place up in one read and reports can
group by any level without walking the tree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.contacts.models import Contact
from panel.core.errors import Conflict, NotFound, ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.routing import parse_id
from panel.places.models import Place, PlaceKind

SEPARATOR = " / "
MAX_NAME = 120
MAX_CODE = 60


def clean_name(name: str | None) -> str:
    """A place name with whitespace tidied, or ValidationError saying what is wrong."""
    text = " ".join((name or "").split())
    if not text:
        raise ValidationError(_l("Give the place a name."), details={"name": [_l("Required.")]})
    if "/" in text:
        raise ValidationError(
            _l(
                "“%(name)s”: a place name cannot contain “/”, which separates the levels of a "
                "path.",
                name=text,
            ),
            details={"name": [_l("Cannot contain “/”.")]},
        )
    if len(text) > MAX_NAME or "\x00" in text:
        raise ValidationError(
            _l("Use at most %(limit)s characters for a place name.", limit=MAX_NAME),
            details={"name": [_l("At most %(limit)s characters.", limit=MAX_NAME)]},
        )
    return text


def clean_code(code: str | None) -> str | None:
    """An optional short code (e.g. the landlord's property number); blank means none."""
    text = (code or "").strip()
    if not text:
        return None
    if len(text) > MAX_CODE or "\x00" in text:
        raise ValidationError(
            _l("Use at most %(limit)s characters for a code.", limit=MAX_CODE),
            details={"code": [_l("At most %(limit)s characters.", limit=MAX_CODE)]},
        )
    return text


def normalise_path(text: str) -> str:
    """'Norra Ängby/Ängbyplan 3 /Trapphus A' → 'Norra Ängby / Ängbyplan 3 / Trapphus A'."""
    return SEPARATOR.join(" ".join(part.split()) for part in text.split("/") if part.strip())


def get_place(session: Session, place_id: int) -> Place:
    """The place with this id in the session's organisation, or NotFound."""
    # A query, not session.get(): the identity map would skip the organisation criteria.
    place = None
    if parse_id(place_id) is not None:
        place = session.scalar(sa.select(Place).where(Place.id == place_id))
    if place is None:
        raise NotFound(_l("There is no such place. It may have been deleted."))
    return place


def _check_code_free(session: Session, code: str | None, exclude_id: int | None = None) -> None:
    if code is None:
        return
    query = sa.select(Place.path).where(Place.code == code)
    if exclude_id is not None:
        query = query.where(Place.id != exclude_id)
    if (taken := session.scalar(query.limit(1))) is not None:
        raise Conflict(
            _l("The code “%(code)s” is already used by %(place)s.", code=code, place=taken),
            code="duplicate_code",
        )


def _check_path_free(session: Session, path: str, exclude_id: int | None = None) -> None:
    query = sa.select(Place.id).where(Place.path == path)
    if exclude_id is not None:
        query = query.where(Place.id != exclude_id)
    if session.scalar(query.limit(1)) is not None:
        raise Conflict(
            _l("There is already a place called %(path)s.", path=path), code="duplicate_place"
        )


def _place_under(parent: Place | None, name: str, code: str | None) -> Place:
    if parent is None:
        return Place(kind=PlaceKind.AREA, name=name, code=code, path=name)
    kind = parent.kind.child
    if kind is None:
        # A fact about the parent as stored, not about the request: a conflict.
        raise Conflict(
            _l("A stairwell is the last level of the tree: add places to an area or a building."),
            code="too_deep",
        )
    return Place(
        kind=kind,
        name=name,
        code=code,
        parent_id=parent.id,
        path=parent.path + SEPARATOR + name,
        area_id=parent.area_id or parent.id,
        building_id=parent.id if parent.kind == PlaceKind.BUILDING else None,
    )


def create_place(
    session: Session, name: str, parent: Place | None = None, code: str | None = None
) -> Place:
    """A new area (no parent), building (under an area) or stairwell (under a building)."""
    place = _place_under(parent, clean_name(name), clean_code(code))
    _check_path_free(session, place.path)
    _check_code_free(session, place.code)
    session.add(place)
    session.flush()
    return place


def descendants(session: Session, place: Place) -> list[Place]:
    """Every place below ``place`` (its buildings and stairwells), in no particular order."""
    if place.kind == PlaceKind.STAIRWELL:
        return []
    column = Place.area_id if place.kind == PlaceKind.AREA else Place.building_id
    return list(session.scalars(sa.select(Place).where(column == place.id)))


def rename_place(session: Session, place: Place, name: str, code: str | None = None) -> Place:
    """Give a place a new name (and code); the paths of every place below it follow."""
    name, code = clean_name(name), clean_code(code)
    old_path = place.path
    parent_path = old_path[: -len(place.name)] if place.parent_id else ""
    new_path = parent_path + name
    if new_path != old_path:
        _check_path_free(session, new_path, exclude_id=place.id)
    _check_code_free(session, code, exclude_id=place.id)
    place.name, place.code, place.path = name, code, new_path
    for below in descendants(session, place):
        below.path = new_path + below.path[len(old_path) :]
    session.flush()
    return place


def delete_place(session: Session, place: Place) -> None:
    """Delete an empty place; refuse (Conflict) while places or contacts are under it."""
    children = session.scalar(sa.select(sa.func.count()).where(Place.parent_id == place.id)) or 0
    if children:
        if place.kind == PlaceKind.AREA:
            message = _l(
                "%(path)s still has buildings under it (%(count)s). Delete or move them first.",
                path=place.path,
                count=children,
            )
        else:
            message = _l(
                "%(path)s still has stairwells under it (%(count)s). Delete or move them first.",
                path=place.path,
                count=children,
            )
        raise Conflict(message, code="place_not_empty")
    contacts = session.scalar(sa.select(sa.func.count()).where(Contact.place_id == place.id)) or 0
    if contacts:
        raise Conflict(
            _l(
                "%(path)s still has contacts (%(count)s). Give them another place first.",
                path=place.path,
                count=contacts,
            ),
            code="place_has_contacts",
        )
    session.delete(place)
    session.flush()


def ensure_path(
    session: Session, names: Sequence[str], code: str | None = None
) -> tuple[Place, str]:
    """The place at ``names`` (area, building, stairwell), created with any missing ancestors.

    Returns the deepest place and what happened to it: "created", "updated" (its code was set)
    or "unchanged". ``code`` is only set on a place that has none; an existing code stays.
    """
    if not 1 <= len(names) <= 3:
        raise ValidationError(
            _l("A place path has one to three levels: area, building, stairwell.")
        )
    parent: Place | None = None
    status = "unchanged"
    for index, raw in enumerate(names):
        name = clean_name(raw)
        path = name if parent is None else parent.path + SEPARATOR + name
        place = session.scalar(sa.select(Place).where(Place.path == path))
        deepest = index == len(names) - 1
        if place is None:
            place = create_place(session, name, parent, code if deepest else None)
            status = "created"
        elif deepest and code and place.code is None:
            _check_code_free(session, code, exclude_id=place.id)
            place.code = code
            status = "updated"
        parent = place
    assert parent is not None
    return parent, status


@dataclass
class TreeNode:
    """A place in the tree page: its children and how many contacts live at or below it."""

    place: Place
    children: list[TreeNode] = field(default_factory=list)
    direct_contacts: int = 0
    contacts: int = 0

    @property
    def can_delete(self) -> bool:
        return not self.children and not self.direct_contacts


def place_tree(session: Session) -> list[TreeNode]:
    """The organisation's areas, each with its buildings and stairwells, sorted by name."""
    places = session.scalars(sa.select(Place).order_by(Place.path)).all()
    counts = dict(
        session.execute(
            sa.select(Contact.place_id, sa.func.count())
            .where(Contact.place_id.is_not(None))
            .group_by(Contact.place_id)
        )
        .tuples()
        .all()
    )
    nodes = {p.id: TreeNode(p, direct_contacts=counts.get(p.id, 0)) for p in places}
    roots: list[TreeNode] = []
    for node in nodes.values():
        parent = nodes.get(node.place.parent_id) if node.place.parent_id else None
        (parent.children if parent else roots).append(node)
    for root in roots:
        _sum_contacts(root)
    return roots


def _sum_contacts(node: TreeNode) -> int:
    node.contacts = node.direct_contacts + sum(_sum_contacts(c) for c in node.children)
    return node.contacts


def flatten(nodes: Iterable[TreeNode]) -> list[TreeNode]:
    """The nodes depth first (areas, then each one's buildings and stairwells)."""
    result: list[TreeNode] = []
    for node in nodes:
        result.append(node)
        result.extend(flatten(node.children))
    return result


class PlaceLookup:
    """Every place of the organisation by id, path and code, read once for an import or a batch."""

    def __init__(self, places: Iterable[tuple[int, str, str | None]]) -> None:
        self.ids: set[int] = set()
        self.by_key: dict[str, int] = {}
        codes: dict[str, int] = {}
        for place_id, path, code in places:
            self.ids.add(place_id)
            self.by_key[path.casefold()] = place_id
            if code:
                codes[code.casefold()] = place_id
        # A path wins over a code that happens to spell the same text.
        self.by_key = codes | self.by_key

    @classmethod
    def load(cls, session: Session) -> PlaceLookup:
        """Read the session's organisation's places."""
        return cls(session.execute(sa.select(Place.id, Place.path, Place.code)).tuples().all())

    def find(self, text: str) -> int | None:
        """The id of the place whose path or code is ``text`` (case-insensitive), or None."""
        return self.by_key.get(normalise_path(text).casefold()) or self.by_key.get(
            text.strip().casefold()
        )
