"""``/api/v1/webhooks``: admins register, read, change and delete webhooks, and read each one's
delivery log; the secret is shown once; another organisation's webhooks are not there; bad
input is a 4xx that says why, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from panel.webhooks.signing import SECRET_PREFIX
from tests.factories import OrganisationFactory, UserFactory, api_headers
from tests.webhooks.conftest import emit_and_commit, make_webhook

URL = "https://crm.example.se/hooks/stoop"


@pytest.fixture
def headers(admin: Any) -> dict[str, str]:
    return api_headers(admin)


def create(client: Any, headers: dict[str, str], **body: Any) -> Any:
    body = {"url": URL, "events": ["answer.created"], **body}
    return client.post("/api/v1/webhooks/", json=body, headers=headers)


def test_create_shows_the_secret_once_then_read_change_and_delete(client, headers):
    made = create(client, headers, description="  Ärendesystemet,\n test  ")
    assert made.status_code == 201, made.json
    webhook = made.json
    secret = webhook.pop("secret")
    assert secret.startswith(SECRET_PREFIX) and len(secret) >= len(SECRET_PREFIX) + 43
    assert webhook["url"] == URL and webhook["events"] == ["answer.created"]
    assert webhook["description"] == "Ärendesystemet, test"
    assert webhook["active"] is True and webhook["failure_streak"] == 0
    assert create(client, headers).json["secret"] != secret, "a secret of its own"

    got = client.get(f"/api/v1/webhooks/{webhook['id']}", headers=headers)
    assert got.json == webhook and "secret" not in got.json
    listed = client.get("/api/v1/webhooks/?limit=1", headers=headers).json
    assert listed["items"] == [webhook] and listed["next"]
    rest = client.get(f"/api/v1/webhooks/?after={listed['next']}", headers=headers).json
    assert len(rest["items"]) == 1 and rest["next"] is None
    assert all("secret" not in item for item in rest["items"])

    changed = client.patch(
        f"/api/v1/webhooks/{webhook['id']}",
        json={"events": ["send.finished", "thread.replied"], "url": URL + "/v2", "active": False},
        headers=headers,
    )
    assert changed.status_code == 200 and changed.json["url"] == URL + "/v2"
    assert changed.json["events"] == ["send.finished", "thread.replied"]
    assert changed.json["active"] is False and changed.json["disabled_reason"] == "by_admin"
    back = client.patch(
        f"/api/v1/webhooks/{webhook['id']}", json={"active": True}, headers=headers
    ).json
    assert back["active"] is True and back["disabled_reason"] is None

    assert client.delete(f"/api/v1/webhooks/{webhook['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/webhooks/{webhook['id']}", headers=headers).status_code == 404


def test_the_delivery_log_is_newest_first_in_pages(client, db_session, admin, headers, receiver):
    hook, _ = make_webhook(db_session, admin, receiver.url, ["comment.created"])
    for n in range(3):
        emit_and_commit(db_session, admin.organisation_id, "comment.created", {"n": n})
    first = client.get(f"/api/v1/webhooks/{hook.id}/deliveries?limit=2", headers=headers).json
    assert [d["payload"]["data"]["n"] for d in first["items"]] == [2, 1]
    assert first["items"][0]["log"][0]["status_code"] == 200
    after = first["next"]
    rest = client.get(f"/api/v1/webhooks/{hook.id}/deliveries?after={after}", headers=headers)
    assert [d["payload"]["data"]["n"] for d in rest.json["items"]] == [0]
    assert rest.json["next"] is None


def test_another_organisations_webhooks_are_not_found(client, db_session, headers, receiver):
    stranger = UserFactory(organisation=OrganisationFactory(), admin=True)
    theirs, _ = make_webhook(db_session, stranger, receiver.url, ["answer.created"])
    emit_and_commit(db_session, stranger.organisation_id, "answer.created", {"n": 1})
    base = f"/api/v1/webhooks/{theirs.id}"
    for method, url in (
        ("GET", base),
        ("PATCH", base),
        ("DELETE", base),
        ("GET", base + "/deliveries"),
    ):
        response = client.open(url, method=method, json={"active": False}, headers=headers)
        assert response.status_code == 404, (method, url)
        assert response.json["error"]["code"] == "not_found"
    assert client.get("/api/v1/webhooks/", headers=headers).json["items"] == []
    db_session.expire_all()
    assert db_session.get(type(theirs), theirs.id).is_active


def test_only_admins_manage_webhooks(client, staff):
    response = create(client, api_headers(staff))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "admin_only"
    assert client.get("/api/v1/webhooks/", headers=api_headers(staff)).status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": 12, "events": ["answer.created"]}, "url"),
        ({"url": URL, "events": "answer.created"}, "events"),
        ({"url": URL, "events": []}, "events"),
        ({"url": URL, "events": ["answer.deleted"]}, "events"),
        ({"url": URL, "events": ["answer.created", "answer.created"]}, "events"),
        ({"url": URL, "events": [None]}, "events"),
        ({"url": "ftp://crm.example.se/", "events": ["answer.created"]}, "url"),
        ({"url": "", "events": ["answer.created"]}, "url"),
        ({"url": URL + "\x00", "events": ["answer.created"]}, None),
        ({"url": "https://" + "a" * 2100, "events": ["answer.created"]}, "url"),
        ({"url": URL, "events": ["answer.created"], "description": "x" * 201}, "description"),
        ({"url": URL, "events": ["answer.created"], "description": 5}, "description"),
        ({"url": URL, "events": ["answer.created"], "secret": "mine"}, "secret"),
        ({"events": ["answer.created"]}, "url"),
        ([URL], None),
    ],
)
def test_bad_input_is_a_4xx_that_says_why(client, headers, body, field):
    response = client.post("/api/v1/webhooks/", json=body, headers=headers)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    error = response.json["error"]
    assert error["message"]
    if field:
        # Checked by the schema (details under "json") or by the service (by field).
        details = error["details"].get("json", error["details"])
        assert response.status_code == 422 and field in details, error


def test_patch_refuses_bad_values_and_keeps_what_was_stored(client, headers):
    webhook = create(client, headers).json
    url = f"/api/v1/webhooks/{webhook['id']}"
    for body in ({"active": "yes"}, {"events": []}, {"url": "http://"}, {"id": 3, "url": URL}):
        assert client.patch(url, json=body, headers=headers).status_code == 422, body
    assert client.patch(url, headers=headers).status_code == 400
    stored = client.get(url, headers=headers).json
    assert stored["events"] == ["answer.created"] and stored["active"] is True


def test_huge_bodies_are_refused(client, headers):
    url = "https://crm.example.se/" + "a" * 2_000_000
    response = client.post("/api/v1/webhooks/", json={"url": url, "events": []}, headers=headers)
    assert response.status_code == 422
    many = ["answer.created"] * 100_000
    response = client.post("/api/v1/webhooks/", json={"url": URL, "events": many}, headers=headers)
    assert response.status_code == 422
    limit = client.application.config["MAX_CONTENT_LENGTH"]
    response = client.post(
        "/api/v1/webhooks/",
        data=b" " * (limit + 1),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413


def test_a_cursor_that_is_not_one_is_a_422(client, headers):
    response = client.get("/api/v1/webhooks/?after=k1.zz", headers=headers)
    assert response.status_code == 422


def test_at_most_twenty_webhooks(client, headers):
    for _ in range(20):
        assert create(client, headers).status_code == 201
    refused = create(client, headers)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "too_many_webhooks"
