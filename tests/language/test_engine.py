"""The translation engine with real CTranslate2 models (made in the test session from numpy
weights and converted by CTranslate2's OPUS-MT converter): it writes exactly what CTranslate2
makes of each sentence, paragraphs kept; it goes through English when a direction has no model
of its own; a folder with a changed byte, no SHA256SUMS or a missing file is refused with a
message that names the problem, and is tried again once it is fixed; a model is loaded once per
process and shared by its threads; a model that writes several languages is told which."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from panel.core.config import Settings
from panel.core.model_files import ModelRefused
from panel.language import engine
from tests.language.conftest import reference, reference_one
from tests.language.model_maker import make_model

ELEVATOR = "Hissen har stått still i två veckor."
LAUNDRY = "Tvättstugan luktar mögel sedan översvämningen i oktober."
COLD = "Det är kallt i lägenheten och elementen är ljumma."


def settings_for(folder: Path | str) -> Settings:
    return Settings.from_env(environ={}, translation_models_dir=str(folder), speech_threads=1)


@pytest.fixture(autouse=True)
def _forget_loaded():
    yield
    engine.forget_loaded()


def test_every_sentence_is_translated_and_the_paragraphs_are_kept(model_folders: Path) -> None:
    text = f"{ELEVATOR} {LAUNDRY}\n\n{COLD}"

    [translated] = engine.translate(settings_for(model_folders), [text], "sv", "en")

    elevator, laundry, cold = reference(model_folders / "sv-en", [ELEVATOR, LAUNDRY, COLD])
    assert translated == f"{elevator} {laundry}\n\n{cold}"
    assert translated.strip() and translated != text


def test_without_a_direct_model_the_text_goes_through_english(model_folders: Path) -> None:
    settings = settings_for(model_folders)

    found = engine.route(settings, "sv", "nl")
    [dutch] = engine.translate(settings, [ELEVATOR], "sv", "nl")

    assert found is not None and [step.name for step in found.steps] == ["sv-en", "en-nl"]
    assert found.engine == "opus-mt sv-en+en-nl (ctranslate2 int8)"
    english = reference_one(model_folders / "sv-en", ELEVATOR)
    assert dutch == reference_one(model_folders / "en-nl", english)


def test_a_direction_without_a_model_has_no_route(model_folders: Path) -> None:
    settings = settings_for(model_folders)

    assert engine.route(settings, "ar", "en") is None
    assert engine.route(settings, "nl", "sv") is None  # nl-en is not installed
    assert engine.route(settings, "sv", "sv") is None
    assert engine.route(settings_for(""), "sv", "en") is None
    assert engine.route(settings_for(model_folders / "nowhere"), "sv", "en") is None
    with pytest.raises(engine.NoModel):
        engine.translate(settings, [ELEVATOR], "ar", "en")


def _flip_a_byte(path: Path, at: int = 1000) -> None:
    with path.open("r+b") as handle:
        handle.seek(at)
        byte = handle.read(1)
        handle.seek(at)
        handle.write(bytes([byte[0] ^ 0x01]))


def test_a_changed_byte_is_refused_until_the_file_is_put_back(
    model_folders: Path, tmp_path: Path
) -> None:
    shutil.copytree(model_folders / "sv-en", tmp_path / "sv-en")
    _flip_a_byte(tmp_path / "sv-en" / "model.bin")
    settings = settings_for(tmp_path)

    with pytest.raises(ModelRefused) as refused:
        engine.translate(settings, [ELEVATOR], "sv", "en")

    message = str(refused.value)
    assert "model.bin" in message and "SHA-256" in message and "not loaded" in message
    found = engine.route(settings, "sv", "en")
    assert engine.refusal(found) == message, "remembered: a page does not hash it again"
    shutil.copy2(model_folders / "sv-en" / "model.bin", tmp_path / "sv-en" / "model.bin")
    (tmp_path / "sv-en" / "model.bin").touch()
    assert engine.refusal(found) is None, "a changed folder is checked again"
    assert engine.translate(settings, [ELEVATOR], "sv", "en") == [
        reference_one(model_folders / "sv-en", ELEVATOR)
    ]


def test_a_folder_without_its_sums_or_a_file_is_refused(
    model_folders: Path, tmp_path: Path
) -> None:
    shutil.copytree(model_folders / "sv-en", tmp_path / "sv-en")
    (tmp_path / "sv-en" / "SHA256SUMS").unlink()
    shutil.copytree(model_folders / "en-sv", tmp_path / "en-sv")
    (tmp_path / "en-sv" / "source.spm").unlink()
    sums = tmp_path / "en-sv" / "SHA256SUMS"
    sums.write_text(
        "".join(line + "\n" for line in sums.read_text().splitlines() if "source.spm" not in line)
    )
    settings = settings_for(tmp_path)

    with pytest.raises(ModelRefused, match="has no SHA256SUMS"):
        engine.translate(settings, [ELEVATOR], "sv", "en")
    with pytest.raises(ModelRefused, match=r"source\.spm missing"):
        engine.translate(settings, ["The lift is broken."], "en", "sv")


def test_a_model_is_loaded_once_per_process_and_shared_by_threads(model_folders: Path) -> None:
    loaded: list[object] = []

    def load() -> None:
        loaded.append(engine.load(model_folders / "sv-en", 1))

    workers = [threading.Thread(target=load) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert len(loaded) == 4 and all(model is loaded[0] for model in loaded)


def test_a_model_that_writes_several_languages_is_told_which(tmp_path: Path) -> None:
    tokens = (">>ara<<", ">>som<<")
    make_model(tmp_path / "en-ar", seed=5, language_tokens=tokens)
    shutil.copytree(tmp_path / "en-ar", tmp_path / "en-tr")
    settings = settings_for(tmp_path)

    [arabic] = engine.translate(settings, ["The lift is broken."], "en", "ar")

    assert arabic == reference(tmp_path / "en-ar", ["The lift is broken."], (">>ara<<",))[0]
    with pytest.raises(ModelRefused, match=r"writes several languages, but not >>tur<<"):
        engine.translate(settings, ["The lift is broken."], "en", "tr")
