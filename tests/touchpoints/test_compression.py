"""Compressed responses as a phone's browser gets them: the tenant page and its stylesheet come
gzip- or brotli-compressed and decompress to the very bytes sent uncompressed; media files,
PDFs and pictures are sent as they are, and a byte range of a video is still a 206 with
exactly the bytes asked for."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import re

import brotli
import pytest

from media.storage import current_storage
from panel.questions.models import QuestionStatus
from tests.touchpoints.conftest import make_media, make_question

LONG_AGO = dt.date(2020, 1, 1)
CHROME_ON_HTTPS = "gzip, deflate, br, zstd"


@pytest.fixture
def video_page(app, touchpoint_factory, staff, organisation):
    """A touchpoint whose question has a video whose MP4 is really in storage."""
    media = make_media(organisation.id)
    body = os.urandom(50_000)  # video is incompressible; random bytes are too
    with app.app_context():
        current_storage().put(media.renditions["mp4"], io.BytesIO(body), content_type="video/mp4")
    question = make_question(
        staff, title="Cykelrummet", status=QuestionStatus.LIVE, media_id=media.id
    )
    touchpoint = touchpoint_factory(schedule=[(question.id, LONG_AGO)])
    return touchpoint, media, body


def _without_key(page: str) -> str:
    return re.sub(r'name="submission" value="[^"]*"', "", page)


def _stylesheet(page: str) -> str:
    return re.search(r'<link rel="stylesheet" href="([^"]+)"', page)[1]


def test_the_tenant_page_and_its_stylesheet_come_gzipped_and_intact(client, video_page):
    touchpoint, _media, _body = video_page
    url = f"/t/{touchpoint.slug}"

    plain = client.get(url)
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})

    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    page = gzip.decompress(zipped.data).decode()
    assert "Cykelrummet" in page and page.rstrip().endswith("</html>")
    assert len(zipped.data) < len(plain.data) * 0.7
    # The same page but for its form's one-time submission key.
    assert _without_key(page) == _without_key(plain.get_data(as_text=True))

    css = _stylesheet(page)
    css_plain = client.get(css)
    css_zipped = client.get(css, headers={"Accept-Encoding": "gzip"})
    assert css_zipped.headers["Content-Encoding"] == "gzip"
    assert css_zipped.headers["Content-Type"].startswith("text/css")
    assert gzip.decompress(css_zipped.data) == css_plain.data
    assert int(css_zipped.headers["Content-Length"]) == len(css_zipped.data)


def test_brotli_when_the_browser_offers_it(client, video_page):
    touchpoint, _media, _body = video_page
    response = client.get(f"/t/{touchpoint.slug}", headers={"Accept-Encoding": CHROME_ON_HTTPS})

    assert response.headers["Content-Encoding"] == "br"
    assert "Cykelrummet" in brotli.decompress(response.data).decode()


def test_a_byte_range_of_a_video_is_206_with_the_right_bytes(client, video_page):
    _touchpoint, media, body = video_page
    url = f"/media/{media.public_id}/mp4"

    whole = client.get(url, headers={"Accept-Encoding": CHROME_ON_HTTPS})
    part = client.get(url, headers={"Accept-Encoding": "gzip", "Range": "bytes=1000-1999"})

    assert whole.status_code == 200 and "Content-Encoding" not in whole.headers
    assert whole.data == body
    assert part.status_code == 206
    assert "Content-Encoding" not in part.headers
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(body)}"
    assert part.headers["Content-Length"] == "1000"
    assert part.data == body[1000:2000]


def test_pictures_and_pdfs_are_sent_as_they_are(client, video_page):
    touchpoint, _media, _body = video_page
    for suffix in ("qr.png", "flyer.pdf"):
        response = client.get(
            f"/t/{touchpoint.slug}/{suffix}", headers={"Accept-Encoding": CHROME_ON_HTTPS}
        )
        assert response.status_code == 200
        assert "Content-Encoding" not in response.headers, suffix
