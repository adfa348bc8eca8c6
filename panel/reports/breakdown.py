"""The breakdown area → building → stairwell, rolled up from per-place sums.

The database hands over, per place an answer was given at, four sums (answers, score answers,
the sum of the scores, score answers at target). Here they are added up the tree: a building's
figures are its own answers' plus its stairwells', an area's its own plus its buildings'. No
answer is read: only those sums and the place tree.

A place with fewer answers than the smallest group shown is ``hidden``: its mean and share are
None and it is never marked below target, so no tenant can be picked out. A place that is shown
but has fewer *score* answers than the smallest group shows no mean or share either.

Subtraction. A building's figures are its stairwells' added up: were exactly one stairwell's
scores held back and its siblings' shown, the building's sums less the siblings' would give the
small stairwell's away. So when exactly one of a set of siblings (the children of one place, or
the places at the top of the breakdown) holds back scores it has, the sibling with the fewest
score answers among those shown holds back its mean and share too (``withheld``): what could
then be worked out is two places together, a group at least as large as the smallest shown.
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
    ``root_id`` when the report is about one place), with its rolled-up figures. Siblings are
    ordered by name (case-insensitively)."""
    from panel.reports.figures import PlaceRow

    if not sums:
        return ()
    # (kind, name, path, parent_id) per place; the kind read as text, not made an enum 10,000
    # times over.
    # Read through the connection: plain tuples, without the ORM's loading around 10,000 rows
    # (the statement filters the organisation itself).
    nodes = {
        row[0]: row[1:]
        for row in session.connection()
        .execute(
            sa.select(
                Place.id,
                sa.type_coerce(Place.kind, sa.String),
                Place.name,
                Place.path,
                Place.parent_id,
            )
            .where(Place.organisation_id == organisation_id)
            .execution_options(all_organisations=True)
        )
        .all()  # fetched at once: psycopg checks the result on every row fetched singly
    }
    # answers, scored, total, at target: own sums added to the place and each ancestor.
    rolled: dict[int, list[int]] = {}
    for place_id, own in sums.items():
        add = (own.answers, own.scored, own.total, own.at_target)
        current: int | None = place_id
        for _level in range(10):
            if current is None or current not in nodes:
                break
            found = rolled.get(current)
            if found is None:
                rolled[current] = list(add)
            else:
                found[0] += add[0]
                found[1] += add[1]
                found[2] += add[2]
                found[3] += add[3]
            if current == root_id:
                break  # the report is about this place: what lies above it is not shown
            current = nodes[current][3]
    children: dict[int | None, list[int]] = {}
    for place_id in rolled:
        parent = nodes[place_id][3]
        key = parent if parent in rolled and place_id != root_id else None
        children.setdefault(key, []).append(place_id)
    for siblings in children.values():
        siblings.sort(key=lambda pid: (nodes[pid][1].casefold(), nodes[pid][1], pid))
    with_action = _places_with_action(session, organisation_id, rolled)
    withheld = _withheld(children, rolled, nodes, min_group)

    rows: list[PlaceRow] = []
    stack: list[tuple[int, int]] = [(pid, 0) for pid in reversed(children.get(None, []))]
    while stack:
        place_id, depth = stack.pop()
        kind, name, path, parent_id = nodes[place_id]
        answers, scored, total, at_target = rolled[place_id]
        hidden = answers < min_group
        shown = not hidden and scored >= min_group and place_id not in withheld
        share = 100.0 * at_target / scored if shown else None
        rows.append(
            PlaceRow(
                place_id=place_id,
                kind=kind,
                name=name,
                path=path,
                parent_id=parent_id,
                depth=depth,
                answers=answers,
                mean=total / scored if shown else None,
                share_at_target=share,
                hidden=hidden,
                below_target=share is not None and share < target_share,
                has_action=place_id in with_action,
                withheld=place_id in withheld,
            )
        )
        stack.extend((child, depth + 1) for child in reversed(children.get(place_id, [])))
    return tuple(rows)


def _withheld(
    children: Mapping[int | None, list[int]],
    rolled: Mapping[int, list[int]],
    nodes: Mapping[int, tuple[str, str, str, int | None]],
    min_group: int,
) -> set[int]:
    """The places whose mean and share are held back so that a small sibling's cannot be
    worked out by subtraction (see the module's docstring)."""

    def shows_scores(place_id: int) -> bool:
        answers, scored = rolled[place_id][0], rolled[place_id][1]
        return answers >= min_group and scored >= min_group

    withheld = set()
    for siblings in children.values():
        small = [p for p in siblings if rolled[p][1] and not shows_scores(p)]
        shown = [p for p in siblings if shows_scores(p)]
        if len(small) == 1 and shown:
            withheld.add(min(shown, key=lambda p: (rolled[p][1], nodes[p][1].casefold(), p)))
    return withheld


def _places_with_action(session: Session, organisation_id: int, ids: Iterable[int]) -> set[int]:
    """Which of the places have an action item (in any state)."""
    acted = session.scalars(
        sa.select(ActionItem.place_id)
        .where(ActionItem.organisation_id == organisation_id, ActionItem.place_id.is_not(None))
        .distinct()
        .execution_options(all_organisations=True)
    )
    return set(acted) & set(ids)
