"""A touchpoint's schedule as a timeline: pure functions of its entries and a day.

An entry is current from its ``starts_on`` until the day before the next entry's; the last one
stays current until another is added after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar


class Entry(Protocol):
    @property
    def starts_on(self) -> dt.date: ...


E = TypeVar("E", bound=Entry)


@dataclass(frozen=True)
class Step(Generic[E]):
    """One entry on the timeline, with the day it ends (None: open-ended) and its state."""

    entry: E
    ends_on: dt.date | None
    state: str  # "past", "current" or "upcoming"

    @property
    def is_current(self) -> bool:
        return self.state == "current"


def current_entry(entries: Sequence[E], on: dt.date) -> E | None:
    """The entry current on ``on``: the latest that has started (None before the first)."""
    started = [e for e in entries if e.starts_on <= on]
    return max(started, key=lambda e: e.starts_on) if started else None


def timeline(entries: Sequence[E], on: dt.date) -> list[Step[E]]:
    """Every entry in date order, each with its last day and whether it is past, current or
    upcoming on ``on``."""
    ordered = sorted(entries, key=lambda e: e.starts_on)
    current = current_entry(ordered, on)
    steps: list[Step[E]] = []
    for index, entry in enumerate(ordered):
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        ends_on = following.starts_on - dt.timedelta(days=1) if following else None
        if entry is current:
            state = "current"
        elif entry.starts_on > on:
            state = "upcoming"
        else:
            state = "past"
        steps.append(Step(entry=entry, ends_on=ends_on, state=state))
    return steps
