"""The house keeps its shape: imports point the way STYLE.md draws them.

    touchpoints/ ──▶ panel/ ──▶ media/
                       └──────▶ notifications/
         (all of them stand on the ground floor, panel/core/)

``media`` and ``notifications`` know nothing of the domain: of ``panel`` they may use only the
ground floor, ``panel.core``, and never ``touchpoints``. The ground floor knows no room at all:
it imports nothing of ``panel`` outside ``panel.core``, nor ``media``, ``notifications`` or
``touchpoints``. ``panel`` names ``touchpoints`` only where everything is wired together
(``panel/app.py``, ``panel/models.py``), and there only as a string in ``ROOMS``. No
application code imports ``tests``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("panel", "touchpoints", "media", "notifications")
GROUND_FLOOR = "panel.core"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> Iterator[str]:
    """Every module an import statement of ``source`` names (relative imports resolved)."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            # `from panel import models` imports the module panel.models
            yield from (f"{base}.{alias.name}" for alias in node.names if alias.name != "*")


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(relative_path: str, imports: list[str]) -> list[str]:
    """What an app module's imports break of the house rules."""
    room = relative_path.split("/", 1)[0]
    found = []
    for name in imports:
        if _within(name, "tests"):
            found.append(f"{relative_path} imports {name}: application code never imports tests")
        if room in ("media", "notifications"):
            if _within(name, "touchpoints"):
                found.append(f"{relative_path} imports {name}: {room} must not know touchpoints")
            domain = _within(name, "panel") and name != "panel"
            if domain and not _within(name, GROUND_FLOOR):
                found.append(
                    f"{relative_path} imports {name}: {room} may use only panel's "
                    f"ground floor ({GROUND_FLOOR})"
                )
        if relative_path.startswith("panel/core/"):
            upstairs = (_within(name, "panel") and not _within(name, GROUND_FLOOR)) or any(
                _within(name, other) for other in ("media", "notifications", "touchpoints")
            )
            if upstairs and name != "panel":
                found.append(
                    f"{relative_path} imports {name}: the ground floor knows no room; "
                    "let the room register itself, or pass what is needed in from create_app"
                )
        if room == "panel" and _within(name, "touchpoints"):
            found.append(
                f"{relative_path} imports {name}: panel names touchpoints only as a room "
                "in panel/app.py's ROOMS"
            )
    return found


def app_modules() -> list[Path]:
    return sorted(path for room in ROOMS for path in (ROOT / room).rglob("*.py"))


def test_every_room_exists() -> None:
    for room in ROOMS:
        assert (ROOT / room / "__init__.py").is_file(), f"{room}/ is missing"


def test_every_room_is_wired() -> None:
    """Each feature package declares its room and is listed in ``panel.app.ROOMS``, so nothing
    it brings (a blueprint, a task, a periodic job) is silently left out."""
    from panel.app import ROOMS as WIRED
    from panel.core.rooms import load_rooms

    features = {"media", "notifications", "touchpoints"} | {
        f"panel.{path.parent.name}"
        for path in (ROOT / "panel").glob("*/__init__.py")
        if path.parent.name not in {"core", "migrations"}
    }
    assert features == set(WIRED)
    assert [room.name for room in load_rooms(WIRED)]


def test_imports_follow_the_house() -> None:
    found = []
    for path in app_modules():
        relative = path.relative_to(ROOT).as_posix()
        name = module_name(path)
        imports = list(imported_modules(path.read_text("utf-8"), name, path.stem == "__init__"))
        found.extend(violations(relative, imports))
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("path", "source", "broken"),
    [
        ("media/tasks.py", "from panel.core.db import Base\nimport panel.core.celery", False),
        ("media/__init__.py", "from panel.core.rooms import Room", False),
        ("panel/core/api/__init__.py", "from panel.accounts.tokens import authenticate", True),
        ("panel/core/pages.py", "from media.models import MediaFile", True),
        ("panel/core/celery.py", "from panel.core.config import Settings", False),
        ("media/tasks.py", "from panel.contacts.models import Contact", True),
        ("media/tasks.py", "from panel import models", True),
        ("notifications/x.py", "def f():\n    import touchpoints.models", True),
        ("notifications/x.py", "from tests.factories import login", True),
        ("panel/places/views.py", "from touchpoints.models import Touchpoint", True),
        ("panel/app.py", "from touchpoints.public import bp", True),
        ("touchpoints/views.py", "from panel.contacts.models import Contact", False),
    ],
)
def test_the_rules_catch_what_they_should(path: str, source: str, broken: bool) -> None:
    module = module_name(ROOT / path)
    assert bool(violations(path, list(imported_modules(source, module)))) is broken


def test_relative_imports_are_resolved() -> None:
    source = "from ..contacts import models\nfrom . import views\nfrom .storage.local import X"
    found = set(imported_modules(source, "panel.places.service"))
    assert {"panel.contacts.models", "panel.places.views", "panel.places.storage.local"} <= found
    in_package = set(imported_modules("from .models import Y", "media", is_package=True))
    assert "media.models" in in_package
