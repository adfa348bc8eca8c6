"""The tenant side: ``/t/<slug>`` with the question current today (or a kind page), the funnel
it counts, the frame-ancestors of framed pages, the QR codes and the A4 flyer, read back the
way a phone and a printer would (zbar, poppler)."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess

import pytest
import sqlalchemy as sa
from PIL import Image
from pyzbar.pyzbar import decode

from panel.questions.models import QuestionStatus
from tests.factories import system_session
from tests.touchpoints.conftest import make_media, make_question
from touchpoints.models import FunnelCount
from touchpoints.service import update_touchpoint

LONG_AGO = dt.date(2020, 1, 1)


def text(response):
    return response.get_data(as_text=True)


@pytest.fixture
def placed(touchpoint_factory, live_question):
    return touchpoint_factory(schedule=[(live_question.id, LONG_AGO)])


def test_the_page_shows_the_question_current_today(client, placed, organisation):
    response = client.get(f"/t/{placed.slug}?src=qr")
    assert response.status_code == 200
    page = text(response)
    assert organisation.name in page
    assert "Hur trivs du i trapphuset på Ängsbacksvägen?" in page
    assert "Hej! Jag heter Anna." in page  # the written question, no video
    assert "Send my answer" not in page  # in Swedish: the question's language
    assert "Skicka mitt svar" in page
    assert 'lang="sv"' in page
    assert "Set-Cookie" not in response.headers
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_views_are_counted_by_source_without_cookies(client, placed, db_session):
    for src in ("qr", "qr", "embed", "", "nonsense"):
        response = client.get(f"/t/{placed.slug}?src={src}")
        assert "Set-Cookie" not in response.headers
    counts = dict(
        system_session()
        .execute(
            sa.select(FunnelCount.source, FunnelCount.count).where(
                FunnelCount.touchpoint_id == placed.id, FunnelCount.event == "view"
            )
        )
        .all()
    )
    assert counts == {"qr": 2, "embed": 1, "direct": 2}


def test_a_video_question_plays_with_poster_and_captions(
    client, touchpoint_factory, staff, organisation
):
    media = make_media(organisation.id, captions_vtt="WEBVTT\n\n00:00.000 --> 00:02.000\nHej\n")
    question = make_question(
        staff, title="Cykelrummet", status=QuestionStatus.LIVE, media_id=media.id
    )
    touchpoint = touchpoint_factory(schedule=[(question.id, LONG_AGO)])
    page = text(client.get(f"/t/{touchpoint.slug}"))
    assert "<video" in page and "poster=" in page
    assert "<summary>Läs frågan</summary>" in page


def test_a_friendly_page_when_no_question_is_current(client, touchpoint_factory, staff):
    draft = make_question(staff, title="Inte klar än")
    touchpoint = touchpoint_factory(schedule=[(draft.id, LONG_AGO)])
    response = client.get(f"/t/{touchpoint.slug}")
    assert response.status_code == 200
    assert "Inte klar än" not in text(response)
    assert "Ingen fråga just nu" in text(response)


def test_a_paused_touchpoint_shows_no_question(client, placed, scoped):
    update_touchpoint(scoped, placed, {"is_active": False})
    scoped.commit()
    assert "Ingen fråga just nu" in text(client.get(f"/t/{placed.slug}"))


def test_a_dutch_question_speaks_dutch(client, touchpoint_factory, staff):
    question = make_question(
        staff, title="Hoe bevalt de portiek?", language="nl", status=QuestionStatus.LIVE
    )
    touchpoint = touchpoint_factory(schedule=[(question.id, LONG_AGO)])
    page = text(client.get(f"/t/{touchpoint.slug}"))
    assert 'lang="nl"' in page and "Verstuur mijn antwoord" in page


def test_an_unknown_slug_is_404(client):
    assert client.get("/t/zzzzzzz").status_code == 404
    assert client.get("/t/zzzzzzz/qr.png").status_code == 404
    assert client.get("/t/zzzzzzz/flyer.pdf").status_code == 404


def test_framed_pages_name_the_allowed_origins_and_only_they(client, placed, organisation):
    organisation.settings = {"embed_origins": ["https://www.example.se", "http://127.0.0.1:8123"]}
    system_session().commit()
    framed = client.get(f"/t/{placed.slug}?src=embed&embed=1")
    policy = framed.headers["Content-Security-Policy"]
    assert "frame-ancestors https://www.example.se http://127.0.0.1:8123" in policy
    assert re.search(r"/static/js/frame\.[0-9a-f]{10}\.js", text(framed))
    assert (
        "frame-ancestors 'none'"
        in client.get(f"/t/{placed.slug}").headers["Content-Security-Policy"]
    )
    assert "frame-ancestors 'none'" in client.get("/login").headers["Content-Security-Policy"]


def test_framed_pages_of_an_organisation_with_no_origins_refuse_framing(client, placed):
    policy = client.get(f"/t/{placed.slug}?embed=1").headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy


def test_the_qr_png_decodes_to_the_touchpoint_url(client, placed, app):
    response = client.get(f"/t/{placed.slug}/qr.png")
    assert response.status_code == 200 and response.content_type == "image/png"
    found = decode(Image.open(io.BytesIO(response.data)))
    base = app.config["STOOP"].base_url
    assert [f.data.decode() for f in found] == [f"{base}/t/{placed.slug}?src=qr"]


def test_the_qr_svg_has_a_white_background(client, placed):
    response = client.get(f"/t/{placed.slug}/qr.svg")
    assert response.content_type == "image/svg+xml"
    assert '<rect fill="white"' in text(response)


def _pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "flyer.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def _pdf_codes(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "flyer.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", str(path), str(tmp_path / "page")],
        check=True,
    )
    return [f.data.decode() for f in decode(Image.open(tmp_path / "page.png"))]


def test_the_flyer_prints_title_qr_address_and_organisation(
    client, placed, organisation, app, tmp_path
):
    response = client.get(f"/t/{placed.slug}/flyer.pdf")
    assert response.status_code == 200 and response.content_type == "application/pdf"
    pdf = response.data
    assert pdf.startswith(b"%PDF")
    words = " ".join(_pdf_text(pdf, tmp_path).split())
    assert "Hur trivs du i trapphuset på Ängsbacksvägen?" in words
    assert organisation.name in words
    base = app.config["STOOP"].base_url
    assert f"{base.split('://')[1]}/t/{placed.slug}" in words
    assert "Skanna koden" in words  # in the question's language
    assert _pdf_codes(pdf, tmp_path) == [f"{base}/t/{placed.slug}?src=qr"]


def test_the_flyer_shows_the_poster_of_a_video_question(
    client, touchpoint_factory, staff, organisation, tmp_path
):
    from media.storage import current_storage

    media = make_media(organisation.id)
    poster = io.BytesIO()
    Image.new("RGB", (640, 360), (200, 120, 40)).save(poster, "JPEG")
    poster.seek(0)
    current_storage().put(media.renditions["poster"], poster, content_type="image/jpeg")
    question = make_question(
        staff,
        title="Hoe bevalt de portiek?",
        language="nl",
        status=QuestionStatus.LIVE,
        media_id=media.id,
    )
    touchpoint = touchpoint_factory(schedule=[(question.id, LONG_AGO)])
    pdf = client.get(f"/t/{touchpoint.slug}/flyer.pdf").data
    path = tmp_path / "poster.pdf"
    path.write_bytes(pdf)
    images = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, check=True, text=True
    ).stdout
    assert "jpeg" in images or "image" in images.splitlines()[-1]
    assert "Scan de code" in " ".join(_pdf_text(pdf, tmp_path).split())


def test_embed_js_is_small_and_cacheable(client):
    response = client.get("/embed.js")
    assert response.status_code == 200
    assert response.content_type.startswith("text/javascript")
    import gzip

    assert len(gzip.compress(response.data, 9)) <= 5 * 1024
    assert "data-touchpoint" in text(response)


def test_an_answer_given_in_a_frame_is_thanked_in_the_frame(client, placed, organisation):
    organisation.settings = {"embed_origins": ["https://www.example.se"]}
    system_session().commit()
    url = f"/t/{placed.slug}?src=embed&embed=1"
    page = text(client.get(url))
    key = re.search(r'name="submission" value="([^"]+)"', page).group(1)
    action = re.search(r'<form class="tenant-answer" method="post" action="([^"]+)"', page)
    sent = client.post(
        action.group(1).replace("&amp;", "&"), data={"submission": key, "score": "8"}
    )
    assert sent.status_code == 303 and "embed=1" in sent.headers["Location"]
    thanks = client.get(sent.headers["Location"])
    assert thanks.status_code == 200
    assert "frame-ancestors https://www.example.se" in thanks.headers["Content-Security-Policy"]
    assert 'target="_blank"' in text(thanks)  # the tenant's own page opens outside the frame
    plain = client.get(sent.headers["Location"].replace("embed=1", ""))
    assert "frame-ancestors 'none'" in plain.headers["Content-Security-Policy"]
