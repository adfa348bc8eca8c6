"""A personal link ``/a/<token>`` speaks the invited person's language: the switch on the page,
then the contact's own language, then the browser's, then the question's."""

from __future__ import annotations

import html

import sqlalchemy as sa

from panel.sends import service
from panel.sends.models import Invitation
from tests.sends.conftest import tenants


def _page(client, token, **headers) -> str:
    response = client.get(f"/a/{token}", headers=headers)
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def _invitation(scoped, staff, live_question, panel_of, organisation):
    # Tenant number 1 of the fixture reads Dutch; the question is in Swedish.
    panel = panel_of(tenants(organisation, 1, phone=False, start=1))
    service.create_send(scoped, staff, live_question, panel, channels=["email"])
    scoped.commit()
    return scoped.scalar(sa.select(Invitation))


def test_the_contacts_language_wins_over_the_browser_and_the_switch_over_both(
    client, scoped, organisation, staff, live_question, panel_of, mail_and_sms
):
    invitation = _invitation(scoped, staff, live_question, panel_of, organisation)

    dutch = _page(client, invitation.token, **{"Accept-Language": "ar"})
    arabic = _page(client, f"{invitation.token}?lang=ar", **{"Accept-Language": "sv"})

    assert '<html lang="nl">' in dutch
    assert '<html lang="ar" dir="rtl">' in arabic
    assert live_question.title in arabic


def test_without_a_contact_the_browser_then_the_question_decide(
    client, scoped, organisation, staff, live_question, panel_of, mail_and_sms
):
    """An erased contact leaves the invitation without one (``contact_id`` set to NULL)."""
    invitation = _invitation(scoped, staff, live_question, panel_of, organisation)
    scoped.execute(sa.update(Invitation).values(contact_id=None))
    scoped.commit()

    assert '<html lang="tr">' in _page(client, invitation.token, **{"Accept-Language": "tr"})
    assert '<html lang="sv">' in _page(client, invitation.token)
