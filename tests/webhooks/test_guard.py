"""The guard against server-side request forgery: in production (or with
STOOP_WEBHOOK_STRICT_URLS) a webhook goes only to https servers on the public internet, checked
when it is saved (422, saying why) and again at delivery, against the address connected to."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
import sqlalchemy as sa

from panel.webhooks.guard import UnsafeUrl, check_url, is_public, resolve_target
from panel.webhooks.models import WebhookAttempt, WebhookDelivery
from tests.conftest import savepoint_binding
from tests.factories import OrganisationFactory, UserFactory, api_headers
from tests.webhooks.conftest import emit_and_commit, make_webhook

REFUSED = {
    "http://8.8.8.8/hook": "https://",
    "https://127.0.0.1/hook": "127.0.0.1",
    "https://10.0.0.1/hook": "10.0.0.1",
    "https://[::1]/hook": "::1",
    "https://169.254.169.254/latest/meta-data/": "169.254.169.254",
    "https://2130706433/": "127.0.0.1",  # decimal
    "https://0177.0.0.1/": "127.0.0.1",  # octal
    "https://0x7f.1/": "127.0.0.1",  # hexadecimal, short form
    "https://[::ffff:127.0.0.1]/": "::ffff:127.0.0.1",  # IPv4-mapped
    "https://[::ffff:a00:1]/": "::ffff:a00:1",  # IPv4-mapped 10.0.0.1
    "https://[2002:7f00:1::]/": "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "https://[64:ff9b::a9fe:a9fe]/": "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "https://0.0.0.0/": "0.0.0.0",  # noqa: S104 - an address refused, not bound
    "https://[::]/": "::",
    "https://224.0.0.1/": "224.0.0.1",
    "https://100.64.0.1/": "100.64.0.1",
    "https://192.168.1.20:8443/": "192.168.1.20",
    "https://172.16.5.4/": "172.16.5.4",
    "https://[fe80::1]/": "fe80::1",
    "https://[fd00::1]/": "fd00::1",
    "https://240.0.0.1/": "240.0.0.1",
    "https://localhost/": "127.0.0.1",
}
MALFORMED = (
    "ftp://8.8.8.8/",
    "https://",
    "https:///path",
    "8.8.8.8/hook",
    "https://8.8.8.8:99999/",
    "https://8.8.8.8/#fragment",
    "https://user:secret@8.8.8.8/",
    "https://8.8.8.8/a b",
    "https://bücher.example/",
    "javascript:alert(1)",
    "https://" + "a" * 2000 + ".se/",
)


@pytest.mark.parametrize("url", sorted(REFUSED))
def test_strict_refuses_private_special_and_plain_http_addresses(url: str) -> None:
    with pytest.raises(UnsafeUrl) as refused:
        check_url(url, strict=True)
    assert refused.value.status == 422
    message = refused.value.text.msgid % refused.value.text.params
    assert REFUSED[url] in message or "https://" in message


@pytest.mark.parametrize("url", MALFORMED)
def test_malformed_addresses_are_refused_in_either_mode(url: str) -> None:
    for strict in (False, True):
        with pytest.raises(UnsafeUrl):
            check_url(url, strict=strict)


def test_public_addresses_pass_and_development_takes_loopback_over_http() -> None:
    assert check_url("https://8.8.8.8/hooks/stoop?x=1", strict=True)
    assert check_url("https://[2606:4700:4700::1111]:8443/", strict=True)
    assert check_url("http://127.0.0.1:5000/hook", strict=False)
    assert check_url("http://10.0.0.1/hook", strict=False)
    assert is_public("8.8.8.8") and is_public("2606:4700:4700::1111")
    assert not any(map(is_public, ("127.0.0.1", "::1", "169.254.169.254", "::ffff:10.0.0.1")))


def test_the_target_keeps_the_host_for_the_header_and_the_checked_address() -> None:
    target = resolve_target("https://8.8.8.8:8443/a/b?c=d", strict=True)
    assert (target.address, target.port, target.path) == ("8.8.8.8", 8443, "/a/b?c=d")
    assert target.host_header == "8.8.8.8:8443"
    assert resolve_target("http://[::1]/", strict=False).host_header == "[::1]"


class FakeDns:
    """Name resolution for made-up names (the .test domain); IP literals resolve as ever.
    ``answers`` are returned in turn, the last one for every later look-up."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []
        self._real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self)

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in self.answers:
            return self._real(host, port, *args, **kwargs)
        self.lookups.append(host)
        queue = self.answers[host]
        address = queue.pop(0) if len(queue) > 1 else queue[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]


def test_a_delivery_connects_to_the_address_it_resolved_with_the_host_it_was_given(
    db_session, admin, receiver, settings, monkeypatch
):
    port = receiver.url.split(":")[2].split("/")[0]
    dns = FakeDns(monkeypatch, {"crm.example.test": ["127.0.0.1"]})
    make_webhook(db_session, admin, f"http://crm.example.test:{port}/in", ["answer.created"])
    emit_and_commit(db_session, admin.organisation_id, "answer.created", {"n": 1})
    [got] = receiver.requests
    assert got.headers["Host"] == f"crm.example.test:{port}"
    assert got.path == "/in"
    assert dns.lookups == ["crm.example.test"], "resolved once, connected to that address"


def test_dns_rebinding_is_refused_at_delivery(db_session, admin, receiver, settings, monkeypatch):
    """The name resolved to a public address when the webhook was saved, and to loopback
    when the event is sent: the delivery is refused, and logged as a failed attempt."""
    monkeypatch.setattr(settings, "webhook_strict_urls", True)
    FakeDns(monkeypatch, {"crm.example.test": ["93.184.216.34", "127.0.0.1"]})
    make_webhook(db_session, admin, "https://crm.example.test/in", ["answer.created"])
    emit_and_commit(db_session, admin.organisation_id, "answer.created", {"n": 1})

    assert receiver.requests == []
    db_session.expire_all()
    [sent] = db_session.scalars(sa.select(WebhookDelivery)).all()
    [attempt] = db_session.scalars(sa.select(WebhookAttempt)).all()
    assert sent.state == "pending" and attempt.status_code is None
    assert attempt.error.startswith("refused: crm.example.test leads to 127.0.0.1")


@pytest.fixture
def production(make_app: Any) -> Any:
    """An app built with the production settings (SQLite allowed for the test)."""
    app = make_app(env="production", allow_insecure=True)
    with savepoint_binding(app):
        organisation = OrganisationFactory(name="Bostäder Syd")
        admin = UserFactory(organisation=organisation, admin=True)
        yield app.test_client(), api_headers(admin)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://127.0.0.1/hook", "127.0.0.1, which is not on the public internet"),
        ("https://10.0.0.1/hook", "10.0.0.1, which is not on the public internet"),
        ("https://[::1]/hook", "::1, which is not on the public internet"),
        ("https://169.254.169.254/latest/", "169.254.169.254, which is not on the public"),
        ("https://2130706433/", "127.0.0.1, which is not on the public internet"),
        ("http://8.8.8.8/hook", "starts with https://"),
        ("http://127.0.0.1:5000/hook", "starts with https://"),
    ],
)
def test_production_refuses_them_with_422_and_a_reason(production: Any, url: str, words: str):
    client, headers = production
    body = {"url": url, "events": ["answer.created"]}
    response = client.post("/api/v1/webhooks/", json=body, headers=headers)
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "unsafe_url"
    assert words in error["message"] and error["details"]["url"] == [error["message"]]
    swedish = client.post(
        "/api/v1/webhooks/", json=body, headers={**headers, "Accept-Language": "sv"}
    )
    assert swedish.get_json()["error"]["message"] != error["message"]


def test_production_takes_a_public_https_address_and_refuses_patching_to_a_private_one(
    production: Any,
):
    client, headers = production
    made = client.post(
        "/api/v1/webhooks/",
        json={"url": "https://8.8.8.8/stoop", "events": ["send.finished"]},
        headers=headers,
    )
    assert made.status_code == 201
    webhook_id = made.get_json()["id"]
    patched = client.patch(
        f"/api/v1/webhooks/{webhook_id}", json={"url": "https://10.0.0.1/"}, headers=headers
    )
    assert patched.status_code == 422
    again = client.get(f"/api/v1/webhooks/{webhook_id}", headers=headers).get_json()
    assert again["url"] == "https://8.8.8.8/stoop"
    assert json.dumps(again).count("whsec_") == 0
