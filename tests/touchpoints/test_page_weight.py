"""A tenant's page on a cheap phone: at most 30 KB compressed, HTML and every stylesheet it links
together (the video not counted), and the video loads nothing but its poster until played.

The weight is what goes over the wire with ``Accept-Encoding: gzip``, the one encoding every
browser offers (brotli, over HTTPS, is smaller still).
"""

from __future__ import annotations

import datetime as dt
import gzip
import re

import pytest

from panel.core.i18n import TENANT_LANGUAGES
from panel.questions.models import QuestionStatus
from tests.touchpoints.conftest import make_media, make_question

BUDGET = 30 * 1024
LONG_AGO = dt.date(2020, 1, 1)
STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)"')


@pytest.fixture
def video_touchpoint(touchpoint_factory, staff, organisation):
    media = make_media(organisation.id, captions_vtt="WEBVTT\n\n00:00.000 --> 00:02.000\nHej\n")
    question = make_question(
        staff,
        title="Hur trivs du i trapphuset på Ängsbacksvägen 112 B?",
        status=QuestionStatus.LIVE,
        media_id=media.id,
        answer_modes=["text", "score", "choice", "video", "audio"],
        choices=["Mycket bra", "Ganska bra", "Inte så bra", "Dåligt"],
    )
    return touchpoint_factory(schedule=[(question.id, LONG_AGO)]), media


def _wire_size(client, url: str) -> tuple[int, str]:
    """Bytes on the wire for ``url`` fetched as a browser would, and the decompressed text."""
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200, url
    body = response.data
    if response.headers.get("Content-Encoding") == "gzip":
        return len(body), gzip.decompress(body).decode()
    return len(body), body.decode()


@pytest.mark.parametrize("language", TENANT_LANGUAGES)
def test_the_page_and_its_stylesheets_weigh_at_most_30_kb_compressed(
    client, video_touchpoint, language
):
    touchpoint, _media = video_touchpoint

    html_bytes, page = _wire_size(client, f"/t/{touchpoint.slug}?lang={language}")
    stylesheets = STYLESHEET.findall(page)
    css_bytes = sum(_wire_size(client, href)[0] for href in stylesheets)

    assert stylesheets, "the page links no stylesheet"
    assert f'lang="{language}"' in page
    total = html_bytes + css_bytes
    assert total <= BUDGET, f"{total} bytes: HTML {html_bytes}, CSS {css_bytes}"


def test_the_video_shows_its_poster_and_loads_only_when_played(client, video_touchpoint):
    touchpoint, media = video_touchpoint

    page = client.get(f"/t/{touchpoint.slug}").get_data(as_text=True)

    video = re.search(r"<video\b[^>]*>", page)[0]
    assert 'preload="none"' in video
    assert f'poster="/media/{media.public_id}/poster.jpg"' in video
    assert re.search(r'<track kind="captions"[^>]*captions\.vtt', page)
