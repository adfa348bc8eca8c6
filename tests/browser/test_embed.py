"""``/embed.js`` on another website: a page served from a second loopback origin frames the
touchpoint when the organisation lists that origin, and the browser refuses the frame when it
does not (``frame-ancestors``). The frame is sized to its content by a checked postMessage."""

from __future__ import annotations

import datetime as dt
import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from panel.answers.models import Answer
from panel.core.scoping import scoped_to
from panel.questions.models import QuestionStatus
from tests.factories import OrganisationFactory, UserFactory
from tests.fixtures.browser import artifact_path
from tests.questions.conftest import make_question
from touchpoints.service import create_touchpoint

pytestmark = pytest.mark.browser
TITLE = "Hur trivs du i trapphuset på Ängsbacksvägen 112 B?"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def other_site(tmp_path):
    """A second website on another loopback port: the housing company's own pages."""
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.root = tmp_path  # type: ignore[attr-defined]
    server.origin = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield server
    server.shutdown()
    server.server_close()


def _touchpoint(live_server, origins):
    with live_server.app_context() as session:
        org = OrganisationFactory(name="Bostadsstiftelsen Ängsbacken", settings={})
        org.settings = {"embed_origins": origins}
        staff = UserFactory(organisation=org, name="Anna Öberg")
        question = make_question(staff, title=TITLE, status=QuestionStatus.LIVE)
        with scoped_to(session, org.id):
            touchpoint = create_touchpoint(
                session,
                {"name": "Webbplatsen", "kind": "embed"},
                [(question.id, dt.date(2020, 1, 1))],
            )
        session.commit()
        return touchpoint.slug


def _host_page(other_site, live_server, slug, mode):
    (other_site.root / f"{mode}.html").write_text(
        "<!doctype html><html lang='sv'><head><meta charset='utf-8'><title>Hyresgäster</title>"
        "</head><body><h1>Välkommen till Ängsbacken</h1>"
        f'<script src="{live_server.url}/embed.js" data-touchpoint="{slug}" '
        f'data-mode="{mode}" async></script></body></html>',
        encoding="utf-8",
    )
    return f"{other_site.origin}/{mode}.html"


def test_an_allowed_website_shows_the_touchpoint_inline_sized_to_it(live_server, other_site, page):
    slug = _touchpoint(live_server, [other_site.origin])
    page.goto(_host_page(other_site, live_server, slug, "inline"))
    frame = page.frame_locator("iframe")
    heading = frame.locator("h1.tenant-title")
    heading.wait_for(timeout=10_000)
    assert heading.text_content() == TITLE
    # The frame reports its height and the embed script applies it (420 px before).
    iframe = page.locator("iframe")
    page.wait_for_function(
        "() => document.querySelector('iframe').style.height !== '420px'", timeout=10_000
    )
    inner = frame.locator("html").evaluate("el => Math.ceil(el.getBoundingClientRect().height)")
    assert abs(iframe.bounding_box()["height"] - inner) <= 2

    # The tenant answers inside the frame, and is thanked there.
    frame.locator("label.score-option", has_text="8").first.click()
    # The page speaks the browser's language (English here), whatever the question's.
    frame.get_by_role("button", name="Send my answer").click()
    thanks = frame.locator("h1", has_text="Thank you for your answer!")
    thanks.wait_for(timeout=10_000)
    page.screenshot(path=str(artifact_path("embed_answered")), full_page=True)
    with live_server.app_context() as session:
        answer = session.scalar(sa.select(Answer).order_by(Answer.id.desc()).limit(1))
        assert (answer.channel, answer.score, answer.source) == ("embed", 8, "embed")


def test_an_allowed_website_opens_the_touchpoint_from_a_button(live_server, other_site, page):
    slug = _touchpoint(live_server, [other_site.origin])
    page.goto(_host_page(other_site, live_server, slug, "button"))
    button = page.get_by_role("button", name="Svara på vår fråga")
    button.click()
    assert page.locator("dialog[open]").is_visible()
    heading = page.frame_locator("dialog iframe").locator("h1.tenant-title")
    heading.wait_for(timeout=10_000)
    assert heading.text_content() == TITLE


def test_a_website_not_on_the_list_is_refused(live_server, other_site, page):
    slug = _touchpoint(live_server, ["https://www.example.se"])
    refusals: list[str] = []
    page.on("console", lambda m: refusals.append(m.text) if "frame-ancestors" in m.text else None)
    page.goto(_host_page(other_site, live_server, slug, "inline"))
    page.locator("iframe").wait_for(timeout=10_000)
    page.wait_for_timeout(1500)
    assert refusals, "Chromium did not report a frame-ancestors refusal"
    assert page.frame_locator("iframe").locator("h1.tenant-title").count() == 0
    assert TITLE not in page.content()
