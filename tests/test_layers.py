"""The house keeps its shape: imports point the way STYLE.md draws them.

    touchpoints/ ──▶ panel/ ──▶ media/
                       └──────▶ notifications/

``media`` and ``notifications`` know nothing of the domain: of ``panel`` they may use only the
infrastructure (database, scoping, Celery, configuration, extensions, errors), and never
``touchpoints``. ``panel`` imports ``touchpoints`` only where everything is wired together
(``panel/app.py``, ``panel/models.py``). No application code imports ``tests``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("panel", "touchpoints", "media", "notifications")
PANEL_INFRASTRUCTURE = (
    "panel.db",
    "panel.scoping",
    "panel.celery",
    "panel.config",
    "panel.extensions",
    "panel.errors",
)
WIRING = {"panel/app.py", "panel/models.py"}


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
            if domain and not any(_within(name, allowed) for allowed in PANEL_INFRASTRUCTURE):
                found.append(
                    f"{relative_path} imports {name}: {room} may use only panel's "
                    f"infrastructure ({', '.join(PANEL_INFRASTRUCTURE)})"
                )
        if room == "panel" and _within(name, "touchpoints") and relative_path not in WIRING:
            found.append(
                f"{relative_path} imports {name}: panel reaches touchpoints only in "
                f"{' and '.join(sorted(WIRING))}"
            )
    return found


def app_modules() -> list[Path]:
    return sorted(path for room in ROOMS for path in (ROOT / room).rglob("*.py"))


def test_every_room_exists() -> None:
    for room in ROOMS:
        assert (ROOT / room / "__init__.py").is_file(), f"{room}/ is missing"


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
        ("media/tasks.py", "from panel.db import Base\nimport panel.celery", False),
        ("media/tasks.py", "from panel.contacts.models import Contact", True),
        ("media/tasks.py", "from panel import models", True),
        ("notifications/x.py", "def f():\n    import touchpoints.models", True),
        ("notifications/x.py", "from tests.factories import login", True),
        ("panel/places/views.py", "from touchpoints.models import Touchpoint", True),
        ("panel/app.py", "from touchpoints.public import bp", False),
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
