"""Settings → Webhooks: admins add a webhook (its secret shown once), change it, switch it off
and on, delete it; others are turned away; another organisation's webhooks are not there."""

from __future__ import annotations

import re

import sqlalchemy as sa

from panel.webhooks.models import Webhook
from tests.factories import OrganisationFactory, UserFactory
from tests.webhooks.conftest import make_webhook

URL = "https://crm.example.se/hooks/stoop"


def add(client, **form):
    data = {"url": URL, "description": "Ärendesystemet", "events": ["answer.created"], **form}
    return client.post("/app/settings/webhooks", data=data)


def test_the_settings_page_leads_to_webhooks(admin_client):
    html = admin_client.get("/app/settings").get_data(as_text=True)
    assert 'href="/app/settings/webhooks"' in html


def test_adding_one_shows_its_secret_once(admin_client, db_session):
    response = add(admin_client, events=["answer.created", "send.finished"])
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    [secret] = re.findall(r'id="new-secret">(whsec_[\w-]+)<', html)
    db_session.expire_all()
    [webhook] = db_session.scalars(sa.select(Webhook)).all()
    assert webhook.secret == secret and webhook.events == ["answer.created", "send.finished"]
    assert webhook.description == "Ärendesystemet"
    again = admin_client.get("/app/settings/webhooks").get_data(as_text=True)
    assert secret not in again and URL in again
    assert secret not in admin_client.get(f"/app/settings/webhooks/{webhook.id}").get_data(
        as_text=True
    )


def test_mistakes_come_back_beside_their_fields(admin_client, app, monkeypatch, db_session):
    monkeypatch.setattr(app.config["STOOP"], "webhook_strict_urls", True)
    response = add(admin_client, url="http://10.0.0.1/hook")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="url-error">[^<]*https://', html)
    assert 'value="http://10.0.0.1/hook"' in html, "what was typed stays"
    response = add(admin_client, url="https://10.0.0.1/hook")
    assert "10.0.0.1, which is not on the public internet" in response.get_data(as_text=True)
    none = add(admin_client, url="https://8.8.8.8/hook", events=[])
    assert none.status_code == 422
    assert re.search(r'id="events-error">Choose at least one event', none.get_data(as_text=True))
    assert db_session.scalar(sa.select(sa.func.count(Webhook.id))) == 0


def test_change_switch_off_and_on_and_delete(admin_client, db_session, admin, receiver):
    webhook, _ = make_webhook(db_session, admin, receiver.url, ["answer.created"])
    page = f"/app/settings/webhooks/{webhook.id}"
    assert admin_client.get(page).status_code == 200

    saved = admin_client.post(
        page, data={"url": URL, "description": "", "events": ["comment.created"]}
    )
    assert saved.status_code == 303
    db_session.expire_all()
    assert (webhook.url, webhook.events) == (URL, ["comment.created"])

    admin_client.post(page + "/active", data={"active": "off"})
    db_session.expire_all()
    assert not webhook.is_active and webhook.disabled_reason == "by_admin"
    assert "Switch back on" in admin_client.get(page).get_data(as_text=True)
    admin_client.post(page + "/active", data={"active": "on"})
    db_session.expire_all()
    assert webhook.is_active and webhook.disabled_reason is None

    deleted = admin_client.post(page + "/delete")
    assert deleted.status_code == 303
    assert admin_client.get(page).status_code == 404


def test_another_organisations_webhook_is_not_found(admin_client, db_session, receiver):
    stranger = UserFactory(organisation=OrganisationFactory(), admin=True)
    theirs, _ = make_webhook(db_session, stranger, receiver.url, ["answer.created"])
    page = f"/app/settings/webhooks/{theirs.id}"
    assert admin_client.get(page).status_code == 404
    for action in ("", "/active", "/delete"):
        assert admin_client.post(page + action, data={"active": "off"}).status_code == 404
    db_session.expire_all()
    assert db_session.get(Webhook, theirs.id).is_active


def test_staff_who_are_not_admins_are_turned_away(staff_client):
    assert staff_client.get("/app/settings/webhooks").status_code == 403
    assert add(staff_client).status_code == 403


def test_logged_out_visitors_are_sent_to_log_in(client):
    response = client.get("/app/settings/webhooks")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_a_bad_page_cursor_shows_the_first_page(admin_client, db_session, admin, receiver):
    webhook, _ = make_webhook(db_session, admin, receiver.url, ["answer.created"])
    response = admin_client.get(f"/app/settings/webhooks/{webhook.id}?after=k1.zz")
    assert response.status_code == 200
