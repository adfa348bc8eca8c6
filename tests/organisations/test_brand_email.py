"""End to end: an admin uploads a logo, a staff member sends a question to a panel, and the
invitation the SMTP server receives shows the logo at its public URL, which serves the very
bytes stored; the tenant's answer page shows it too."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from media.storage import current_storage
from notifications.brand import Logo
from panel.core.db import utcnow
from panel.questions.models import QuestionStatus
from tests.factories import UserFactory, login
from tests.organisations.test_brand import no_logo_files_left, picture, upload
from tests.questions.conftest import make_question
from tests.sends.conftest import panel_of, tenants

__all__ = ["no_logo_files_left", "panel_of"]  # fixtures used here

LINK = re.compile(r"https?://[^\s\"<>]+/a/([A-Za-z0-9_-]+)")
IMG = re.compile(r"<img\b[^>]*>")


@pytest.fixture
def smtp(monkeypatch: Any, app: Any, smtp_server: Any) -> Any:
    """The app's e-mail goes to the loopback SMTP server for this test."""
    monkeypatch.setattr(app.config["STOOP"], "smtp_url", smtp_server.url)
    return smtp_server


def attribute(tag: str, name: str) -> str | None:
    found = re.search(rf'\b{name}="([^"]*)"', tag)
    return html.unescape(found.group(1)) if found else None


def test_the_invitation_shows_the_logo_served_at_its_url(
    admin_client, app, db_session, organisation, panel_of, smtp
):
    assert upload(admin_client, picture("PNG", (1000, 400))).status_code == 303
    db_session.refresh(organisation)
    logo = Logo.from_settings(organisation.settings)
    staff = UserFactory(organisation=organisation, name="Anna Berg")
    question = make_question(
        staff,
        title="Hur trivs du på gården?",
        status=QuestionStatus.LIVE,
        published_at=utcnow(),
    )
    panel = panel_of(tenants(organisation, 2, phone=False))
    sender = app.test_client()
    login(sender, staff)

    response = sender.post(
        f"/app/questions/{question.id}/send",
        data={
            "panel_id": panel.id,
            "segment_id": 0,
            "email": "y",
            "prefer": "email",
            "when": "now",
        },
    )

    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    messages = smtp.wait_for(2)
    for message in messages:
        body = message.get_body(("html",)).get_content()
        tags = [tag for tag in IMG.findall(body) if "/logo-" in (attribute(tag, "src") or "")]
        assert len(tags) == 1, body[:3000]
        [tag] = tags
        src = attribute(tag, "src")
        assert src == f"{app.config['STOOP'].base_url}/o/{organisation.slug}/logo-{logo.digest}.png"
        assert attribute(tag, "alt") == organisation.name
        assert (attribute(tag, "width"), attribute(tag, "height")) == ("140", "56")
        # The text part is unchanged by a logo: it names the organisation.
        assert organisation.name in message.get_body(("plain",)).get_content()

    tenant = app.test_client()
    served = tenant.get(src.removeprefix(app.config["STOOP"].base_url))
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.data == current_storage().read(logo.key)
    assert served.data.startswith(b"\x89PNG\r\n\x1a\n")

    (token,) = set(LINK.findall(messages[0].get_body(("plain",)).get_content()))
    page = tenant.get(f"/a/{token}").get_data(as_text=True)
    assert f'src="/o/{organisation.slug}/logo-{logo.digest}.png"' in page
