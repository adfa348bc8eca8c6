"""The breakdown area → building → stairwell, rolled up from per-place sums.

The database hands over, per place an answer was given at, four sums (answers, score answers,
the sum of the scores, score answers at target). Here they are added up the tree: a building's
figures are its own answers' plus its stairwells', an area's its own plus its buildings'. No
answer is read: only those sums and the place tree.

A place with fewer answers than the smallest group shown is ``hidden``: its mean and share are
None and it is never marked below target, so no tenant can be picked out. A place that is shown
but has fewer *score* answers than the smallest group shows no mean or share either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.actions.models import ActionItem
from panel.places.models import Place

if TYPE_CHECKING:
    from panel.reports.figures import PlaceRow


@dataclass
class Sums:
    """What is added up per place: answers, score answers, sum of scores, at target."""

    answers: int = 0
    scored: int = 0
    total: int = 0
    at_target: int = 0

    def add(self, other: Sums) -> None:
        self.answers += other.answers
        self.scored += other.scored
        self.total += other.total
        self.at_target += other.at_target

    @property
    def mean(self) -> float | None:
        return self.total / self.scored if self.scored else None

    @property
    def share(self) -> float | None:
        return 100.0 * self.at_target / self.scored if self.scored else None


@dataclass(frozen=True)
class Node:
    id: int
    kind: str
    name: str
    path: str
    parent_id: int | None


def place_rows(
    session: Session,
    organisation_id: int,
    sums: Mapping[int, Sums],
    *,
    min_group: int,
    target_share: float,
    root_id: int | None = None,
) -> tuple[PlaceRow, ...]:
    """The rows of the breakdown in tree order: every place with answers at or below it (under
    ``root_id`` when the report is about one place), with its rolled-up figures."""
    from panel.reports.figures import PlaceRow

    if not sums:
        return ()
    nodes = {
        row.id: Node(row.id, _kind(row.kind), row.name, row.path, row.parent_id)
        for row in session.execute(
            sa.select(Place.id, Place.kind, Place.name, Place.path, Place.parent_id)
            .where(Place.organisation_id == organisation_id)
            .execution_options(all_organisations=True)
        )
    }
    rolled: dict[int, Sums] = {}
    for place_id, own in sums.items():
        seen = 0
        current: int | None = place_id
        while current is not None and current in nodes and seen < 10:
            rolled.setdefault(current, Sums()).add(own)
            if current == root_id:
                break  # the report is about this place: what lies above it is not shown
            current = nodes[current].parent_id
            seen += 1
    children: dict[int | None, list[Node]] = {}
    for place_id in rolled:
        node = nodes[place_id]
        parent = node.parent_id if node.parent_id in rolled and place_id != root_id else None
        children.setdefault(parent, []).append(node)
    for siblings in children.values():
        siblings.sort(key=lambda n: (n.name.casefold(), n.name, n.id))
    with_action = _places_with_action(session, organisation_id, rolled)

    rows: list[PlaceRow] = []

    def walk(parent: int | None, depth: int) -> None:
        for node in children.get(parent, ()):
            figures = rolled[node.id]
            hidden = figures.answers < min_group
            shown = not hidden and figures.scored >= min_group
            share = figures.share if shown else None
            rows.append(
                PlaceRow(
                    place_id=node.id,
                    kind=node.kind,
                    name=node.name,
                    path=node.path,
                    parent_id=node.parent_id,
                    depth=depth,
                    answers=figures.answers,
                    mean=figures.mean if shown else None,
                    share_at_target=share,
                    hidden=hidden,
                    below_target=share is not None and share < target_share,
                    has_action=node.id in with_action,
                )
            )
            walk(node.id, depth + 1)

    walk(None, 0)
    return tuple(rows)


def _kind(kind: object) -> str:
    return str(getattr(kind, "value", kind))


def _places_with_action(session: Session, organisation_id: int, ids: Iterable[int]) -> set[int]:
    """Which of the places have an action item (in any state)."""
    acted = session.scalars(
        sa.select(ActionItem.place_id)
        .where(ActionItem.organisation_id == organisation_id, ActionItem.place_id.is_not(None))
        .distinct()
        .execution_options(all_organisations=True)
    )
    return set(acted) & set(ids)
