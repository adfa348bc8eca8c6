"""The API tokens page: create (the secret shown once), list, revoke, and what the API says."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from panel.accounts.models import ApiToken
from panel.core.db import utcnow
from tests.accounts.helpers import page_text
from tests.factories import UserFactory, api_headers, login

SECRET = re.compile(r'<code class="secret" id="new-token">(stp_[A-Za-z0-9_-]+)</code>')
API_PATH = "/api/v1/contacts/"


def create(client, name: str = "Rental system"):
    return client.post("/app/tokens", data={"name": name})


def test_empty_tokens_page_explains_what_a_token_is(client):
    login(client, UserFactory())

    body = page_text(client.get("/app/tokens"))

    assert "No API tokens yet" in body


def test_create_shows_the_secret_once(client, db_session):
    user = UserFactory()
    login(client, user)

    response = create(client)

    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    secret = SECRET.search(page_text(response)).group(1)
    token = db_session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id))
    assert token.name == "Rental system"
    assert secret.startswith(token.prefix)
    assert secret not in token.token_hash

    listing = page_text(client.get("/app/tokens"))
    assert secret not in listing
    assert f"{token.prefix}…" in listing and "Rental system" in listing and "Active" in listing


def test_token_needs_a_name(client):
    login(client, UserFactory())

    response = create(client, name="  ")

    assert response.status_code == 422
    assert "Give the token a name" in page_text(response)


def test_created_token_works_and_revoked_token_gets_401(client, db_session):
    user = UserFactory()
    login(client, user)
    secret = SECRET.search(page_text(create(client))).group(1)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(API_PATH, headers=headers).status_code != 401
    token = db_session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id))

    response = client.post(f"/app/tokens/{token.id}/revoke")

    assert response.status_code == 303
    assert "is revoked" in page_text(client.get("/app/tokens"))
    db_session.refresh(token)
    assert token.revoked_at is not None
    refused = client.get(API_PATH, headers=headers)
    assert refused.status_code == 401
    assert refused.json["error"]["code"] == "unauthorized"
    assert "Revoked" in page_text(client.get("/app/tokens"))


def test_someone_elses_token_cannot_be_revoked(client, db_session):
    colleague = UserFactory()
    headers = api_headers(colleague)
    token = db_session.scalar(sa.select(ApiToken).where(ApiToken.user_id == colleague.id))
    login(client, UserFactory(organisation=colleague.organisation, admin=True))

    assert client.post(f"/app/tokens/{token.id}/revoke").status_code == 404
    assert client.post("/app/tokens/999999/revoke").status_code == 404
    db_session.refresh(token)
    assert token.revoked_at is None
    assert client.get(API_PATH, headers=headers).status_code != 401


def test_deactivated_users_tokens_stop_working(client, db_session):
    user = UserFactory()
    headers = api_headers(user)
    assert client.get(API_PATH, headers=headers).status_code != 401

    user.is_active = False
    db_session.commit()

    assert client.get(API_PATH, headers=headers).status_code == 401


def test_a_token_expires_after_the_days_chosen_and_then_says_so(client, db_session):
    user = UserFactory()
    login(client, user)
    default = create(client, "Default")
    never = client.post("/app/tokens", data={"name": "Forever", "expires": "0"})
    assert default.status_code == never.status_code == 201
    tokens = {
        t.name: t
        for t in db_session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id))
    }
    days = (tokens["Default"].expires_at - tokens["Default"].created_at).days
    assert days in (89, 90)
    assert tokens["Forever"].expires_at is None

    secret = SECRET.search(page_text(default)).group(1)
    assert client.get(API_PATH, headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    tokens["Default"].expires_at = utcnow() - dt.timedelta(days=1)
    db_session.commit()
    expired = client.get(API_PATH, headers={"Authorization": f"Bearer {secret}"})
    assert expired.status_code == 401
    error = expired.get_json()["error"]
    assert error["code"] == "token_expired"
    day = tokens["Default"].expires_at.date().isoformat()
    assert error["message"] == (
        f"This token expired on {day}; create a new one under Settings → API tokens."
    )
    page = page_text(client.get("/app/tokens"))
    assert "Expired" in page and "Never" in page


def test_last_used_is_written_at_most_once_a_minute(client, db_session):
    user = UserFactory()
    headers = api_headers(user)
    assert client.get(API_PATH, headers=headers).status_code == 200
    token = db_session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id))
    first = token.last_used_at
    assert first is not None
    assert client.get(API_PATH, headers=headers).status_code == 200
    db_session.refresh(token)
    assert token.last_used_at == first
    token.last_used_at = first - dt.timedelta(minutes=2)
    db_session.commit()
    assert client.get(API_PATH, headers=headers).status_code == 200
    db_session.refresh(token)
    assert token.last_used_at > first - dt.timedelta(minutes=2)
