"""The highlight reel rendered as an MP4 in the background: it probes with the summed length of
the trimmed clips and the title cards, has a picture, a sound and a captions track, and the
captions are burned in; a render of the same reel is reused; a clip whose consent is revoked
leaves the reel, its old MP4 is deleted and a new one is rendered without it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from panel.answers.service import Consent, set_consent
from panel.core.scoping import scoped_to
from panel.reports import reel_render
from panel.reports.reel import CARD_SECONDS, build_plan
from panel.reports.reel_render import clip_args
from tests.factories import login
from tests.reports.conftest import make_reel

TOLERANCE = 0.3
# ffmpeg's work is the same whatever the database: with both suites, PostgreSQL's only.
pytestmark = pytest.mark.once


def probe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_type,codec_name,"
         "width,height,sample_rate,channels", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def captions_text(path: Path) -> str:
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:s:0", "-f", "srt", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout


def fetch(storage, key: str, tmp_path: Path) -> Path:
    path = tmp_path / key.replace("/", "_")
    storage.download(key, path)
    return path


def test_the_reel_renders_and_a_revoked_clip_leaves_it(
    client, staff, storage, reel_files, db_session, tmp_path
):
    reel = make_reel(
        storage,
        reel_files,
        staff,
        [
            {"kind": "video", "words": "Lampan vid porten är trasig.", "in": 0.5, "out": 1.5},
            {"kind": "audio", "words": "Bussen går för sällan.", "question": "Hur tar du dig hem?"},
        ],
    )
    login(client, staff)

    started = client.post(
        f"/app/reports/{reel.report.id}/reel/render", headers={"Accept": "application/json"}
    )

    assert started.status_code == 202, started.get_json()
    status = client.get(started.get_json()["status_url"]).get_json()
    assert status["state"] == "done" and status["progress"] == 100 and status["current"]
    first = db_session.get(reel_render.ReelRender, status["id"])
    db_session.refresh(first)
    video = fetch(storage, first.storage_key, tmp_path)
    found = probe(video)
    # Report card, question card, 1.0 s of video, question card, 2.0 s of sound.
    expected = 3 * CARD_SECONDS + 1.0 + 2.0
    assert abs(float(found["format"]["duration"]) - expected) <= TOLERANCE
    assert abs(first.duration - expected) <= TOLERANCE
    kinds = {s["codec_type"]: s for s in found["streams"]}
    assert kinds["video"]["width"] == 1280 and kinds["video"]["height"] == 720
    assert kinds["audio"]["codec_name"] == "aac" and kinds["audio"]["sample_rate"] == "48000"
    assert kinds["subtitle"]["codec_name"] == "mov_text"
    text = captions_text(video)
    assert "Lampan vid porten är trasig." in text and "Bussen går för sällan." in text
    assert "00:00:06,000 --> 00:00:07,000" in text, "the first clip's words start after two cards"

    again = client.post(
        f"/app/reports/{reel.report.id}/reel/render", headers={"Accept": "application/json"}
    )
    assert again.status_code == 200 and again.get_json()["id"] == first.id, "reused"

    downloaded = client.get(status["download_url"])
    assert downloaded.status_code == 200 and downloaded.mimetype == "video/mp4"
    assert "attachment" in downloaded.headers["Content-Disposition"]

    with scoped_to(db_session, staff.organisation_id):
        answer = reel.answers[1]
        set_consent(answer, Consent(identity=False, quote=True, show_clip=False))
        db_session.commit()

    db_session.expire_all()
    assert first.state == "withdrawn" and first.storage_key is None
    with pytest.raises(FileNotFoundError):
        storage.head(reel_render.render_key(first))
    renders = client.get(f"/app/reports/{reel.report.id}/reel").get_data(as_text=True)
    assert "Bussen går för sällan." not in renders and "Hur tar du dig hem?" not in renders
    newer = db_session.scalars(
        reel_render.sa.select(reel_render.ReelRender)
        .where(reel_render.ReelRender.report_id == reel.report.id)
        .order_by(reel_render.ReelRender.id.desc())
    ).first()
    assert newer.id != first.id and newer.state == "done" and newer.clips == 1
    shorter = probe(fetch(storage, newer.storage_key, tmp_path))
    assert abs(float(shorter["format"]["duration"]) - (2 * CARD_SECONDS + 1.0)) <= TOLERANCE


def test_captions_are_burned_into_the_picture(staff, storage, reel_files, db_session, tmp_path):
    """Burned text cannot be read back without OCR: the clip's command draws its SRT with
    libass (``subtitles``) on the picture it encodes, and a sound clip's card shows them too."""
    reel = make_reel(storage, reel_files, staff, [{"kind": "video"}, {"kind": "audio"}])
    with scoped_to(db_session, staff.organisation_id):
        plan = build_plan(reel.report, reel.items, colour="#1f5f5b")
    for clip in plan.clips:
        srt = tmp_path / "captions.srt"
        argv = clip_args(clip, Path("in.mp4"), tmp_path / "out.mp4", colour=plan.colour,
                         folder=tmp_path, subtitles=srt, has_audio=True)  # fmt: skip
        graph = argv[argv.index("-filter_complex") + 1]
        picture = graph.split(";")[0]
        assert f"subtitles=filename={srt}" in picture and picture.endswith("[v]")
        assert "loudnorm" in graph


def test_the_demo_queues_its_reel_for_the_sweep_which_renders_it(
    app, staff, storage, reel_files, db_session, organisation
):
    from panel.reports.reel_demo import render_demo_reel

    render_missed = app.extensions["celery"].tasks["panel.reports.reel_tasks.render_missed"]

    make_reel(storage, reel_files, staff, [{"consent": False}], title="Utan samtycke")
    shown = make_reel(storage, reel_files, staff, [{"in": 1.0}], title="Demo")

    render = render_demo_reel(db_session, organisation)
    db_session.commit()
    assert render.report_id == shown.report.id and render.state == "queued"

    assert render_missed.apply().get() == 1  # the embedded scheduler's first run
    db_session.refresh(render)
    assert render.state == "done"
    assert abs(render.duration - (2 * CARD_SECONDS + 1.0)) <= TOLERANCE
    assert render_demo_reel(db_session, organisation).id == render.id, "reused, not again"
