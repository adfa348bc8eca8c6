"""``stoop models`` checks the translation models an IT person installed, as the app does
before using one: each direction matches its SHA256SUMS and loads; a changed byte stops the
command with the file's name; with none installed it says where to read how."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests import test_cli
from tests.conftest import TEST_MODELS_DIR
from tests.language.test_engine import _flip_a_byte
from tests.test_cli import stoop

cli_env = test_cli.cli_env
ROOT = Path(__file__).resolve().parents[2]


def _env(cli_env: dict[str, str], translations: Path | str) -> dict[str, str]:
    return {
        **cli_env,
        "PYTHONPATH": str(ROOT),  # the code under test, wherever the stoop script was installed
        "STOOP_MODELS_DIR": str(TEST_MODELS_DIR),
        "STOOP_TRANSLATION_MODELS_DIR": str(translations),
    }


def test_stoop_models_checks_every_installed_direction(
    cli_env: dict[str, str], model_folders: Path, tmp_path: Path
) -> None:
    checked = stoop("models", env=_env(cli_env, model_folders), timeout=120)

    assert checked.returncode == 0, checked.stderr
    for direction in ("en-nl", "en-sv", "sv-en"):
        line = rf"^{direction}: \d+\.\d MB, matches its SHA256SUMS, loads \(.*/{direction}\)$"
        assert re.search(line, checked.stdout, re.M), checked.stdout

    shutil.copytree(model_folders, tmp_path / "models")
    _flip_a_byte(tmp_path / "models" / "en-sv" / "model.bin")
    refused = stoop("models", env=_env(cli_env, tmp_path / "models"), timeout=120)

    assert refused.returncode != 0
    assert "model.bin" in refused.stderr and "SHA-256" in refused.stderr


def test_stoop_models_says_when_no_translation_model_is_installed(
    cli_env: dict[str, str],
) -> None:
    run = stoop("models", env=_env(cli_env, ""), timeout=120)

    assert run.returncode == 0, run.stderr
    assert "translation: no models installed" in run.stdout and "docs/translation.md" in run.stdout
