"""Rooms that register themselves: what each feature brings to the app, declared in one place.

Every room (a package such as ``panel.questions``, ``media`` or ``touchpoints``) declares a
module-level ``room = Room(...)`` in its ``__init__.py``: its models, page blueprints, API
blueprints, task modules, periodic jobs and navigation entries, all as dotted names so that
declaring costs nothing and imports nothing. ``create_app`` loads the rooms it is given and wires
them, so adding a room touches that room and the list in ``panel/app.py``, nothing else.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Periodic:
    """A job beat runs every ``every`` seconds (and the in-process scheduler without a broker).

    Periodic jobs must be safe to run twice at once: two beats during a fail-over, a slow run
    overlapping the next.
    """

    name: str
    task: str
    every: float


@dataclass(frozen=True)
class NavItem:
    """An entry of the staff app's main navigation, ordered by ``order``."""

    endpoint: str
    label: Any  # a lazy gettext string, translated when the menu is drawn
    order: int
    admins_only: bool = False
    outbox_only: bool = False  # only while e-mail or SMS go to the embedded outboxes
    # A "module:function" called with (session, user) when the menu is drawn: a count to show
    # beside the label (a :class:`panel.core.navigation.Badge`, or None for nothing).
    badge: str | None = None
    badge_only: bool = False  # shown only while its badge has a count (requests waiting)
    # Other blueprints whose pages are within this entry (a thread's page within the inbox).
    sections: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApiBlueprint:
    """A flask-smorest blueprint mounted at ``/api/v1/<prefix>``."""

    target: str
    prefix: str


@dataclass(frozen=True)
class Room:
    """What a room adds to the app. ``blueprints`` are ``"module:attribute"`` names."""

    name: str
    models: tuple[str, ...] = ()
    blueprints: tuple[str, ...] = ()
    csrf_exempt: tuple[str, ...] = ()  # blueprints authenticated otherwise (webhook signatures)
    api: tuple[ApiBlueprint, ...] = ()
    tasks: tuple[str, ...] = ()
    periodic: tuple[Periodic, ...] = ()
    nav: tuple[NavItem, ...] = ()
    # "module:function" names called with the app once it is built: seams a room plugs into
    # (a contact finder for notifications, a handler for unsubscribes from its lists).
    setup: tuple[str, ...] = ()
    # ``"module:function"``s the demo seed calls with (session, organisation), in ROOMS order,
    # after the organisation, its logins, places, contacts and questions exist.
    demo: tuple[str, ...] = ()


def resolve(target: str) -> Any:
    """``"package.module:attribute"`` → the attribute (the module is imported)."""
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def load_rooms(names: Iterable[str]) -> list[Room]:
    """The ``room`` declared by each package named."""
    rooms = []
    for name in names:
        room = getattr(importlib.import_module(name), "room", None)
        if not isinstance(room, Room):
            raise RuntimeError(f"{name} declares no `room = Room(...)` in its __init__.py")
        rooms.append(room)
    return rooms


def import_models(rooms: Iterable[Room]) -> None:
    """Import every room's models, so the metadata holds every table."""
    for room in rooms:
        for module in room.models:
            importlib.import_module(module)


def set_up(app: Any, rooms: Iterable[Room]) -> None:
    """Call every room's ``setup`` functions with the app."""
    for room in rooms:
        for target in room.setup:
            resolve(target)(app)


def task_modules(rooms: Iterable[Room]) -> list[str]:
    """The task modules of every room, for Celery's ``include`` and to import at start."""
    return [module for room in rooms for module in room.tasks]


def beat_schedule(rooms: Iterable[Room]) -> dict[str, dict[str, Any]]:
    """Celery's ``beat_schedule`` from every room's periodic jobs."""
    schedule: dict[str, dict[str, Any]] = {}
    for room in rooms:
        for job in room.periodic:
            if job.name in schedule:
                raise RuntimeError(f"two periodic jobs are called {job.name!r}")
            schedule[job.name] = {"task": job.task, "schedule": job.every}
    return schedule
