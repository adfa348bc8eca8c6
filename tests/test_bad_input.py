"""Bad input never gives a 5xx, and is answered in words a person understands.

Every page and API route of the URL map (walked as tests/test_isolation.py walks it, so routes
added later are probed without editing this file) is sent, logged in and not:

* NUL characters in the query string, a header, form fields, a JSON body and the path: each is
  refused at the request boundary. The API answers 400 ``{"error": {"code":
  "invalid_characters"}}``; a page goes back to where the person was (303) and shows why, or,
  with nowhere to go back to, answers the 400 error page saying why.
* ids that no row can have: past 2**31 - 1, with 20 digits, negative, zero, and written in
  Arabic-Indic digits, in the path, in query strings and in JSON bodies (the API's with the
  rest of a valid body, so the id is what is checked), and list cursors past every id. Each
  gets a 4xx with a message, or is ignored (a filter a page does not understand), never a
  database error.

Run on SQLite and on PostgreSQL (which is the one that refuses NUL and out-of-range integers).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from media.models import MediaFile, MediaStatus
from panel.questions.models import Question, QuestionStatus
from tests.factories import (
    ContactFactory,
    OrganisationFactory,
    UserFactory,
    api_headers,
    login,
    system_session,
)
from tests.test_isolation import VARIABLE, example_body

SKIPPED = {"static", "accounts.logout"}  # files; and logging out would end the signed-in walk
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
BAD_IDS = (str(2**31), "9" * 20, "-1", "0", "\u0663")  # ٣: an Arabic-Indic three
BAD_JSON_IDS = (2**31, 10**20, -1, 0, "\u0663")
ID_NAMES = (
    "media_id",
    "owner_id",
    "place_id",
    "parent_id",
    "contact_id",
    "question_id",
    "user_id",
    "token_id",
    "place",
    "open",
)
MISSING_ID = 2_000_000_000
REFUSAL_WORDS = ("cannot be stored", "cannot be used")
NUL_FORM = {
    "email": "anna\x00@example.se",
    "password": "a long enough password\x00",
    "name": "Åsa\x00Öberg",
    "title": "Hur trivs du?\x00",
    "q": "\x00",
}
NUL_JSON = {"name": "Zeynep\x00", "email": "x\x00@example.se", "items": [{"email": "\x00"}]}


@dataclass
class Probe:
    """One request to send, and whether it must be refused at the boundary."""

    method: str
    url: str
    what: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    refused: bool = False

    @property
    def api(self) -> bool:
        return self.url.startswith("/api/")


@dataclass
class Walk:
    """The routes to probe and what to fill their variables with."""

    rules: list[tuple[str, str, list[str]]]  # (rule, endpoint, methods)
    ids: dict[str, int]
    document: dict[str, Any]


def _fill(rule: str, ids: dict[str, int], override: dict[str, str] | None = None) -> str:
    def value(match: Any) -> str:
        name, converter = match.group("name"), match.group("converter") or "default"
        if override and name in override:
            return override[name]
        if converter == "int":
            return str(ids.get(name, MISSING_ID))
        return "x" + secrets.token_hex(4)

    return VARIABLE.sub(value, rule)


def _api_body(walk: Walk, rule: str, method: str) -> Any:
    path = VARIABLE.sub(lambda m: "{" + m.group("name") + "}", rule)
    operation = walk.document.get("paths", {}).get(path, {}).get(method.lower(), {})
    content = (operation.get("requestBody") or {}).get("content", {})
    schema = (content.get("application/json") or {}).get("schema")
    return example_body(schema, walk.document) if schema else None


def _with_ids(body: Any, bad: Any) -> Any:
    """``body`` with every id it has, or could have, set to ``bad``."""
    if isinstance(body, dict):
        result = {k: _with_ids(v, bad) for k, v in body.items()}
        for name in ("media_id", "place_id", "parent_id"):
            result[name] = bad
        return result
    if isinstance(body, list):
        return [_with_ids(item, bad) for item in body] or [_with_ids({}, bad)]
    return body


def _prober(method: str, url: str, common: dict[str, Any]) -> Any:
    """A maker of probes of one route and method, with the API's token if it is the API."""

    def probe(what: str, target: str = url, refused: bool = False, **kwargs: Any) -> Probe:
        merged = {**common, **kwargs}
        merged["headers"] = {**common.get("headers", {}), **kwargs.get("headers", {})}
        return Probe(method, target, what, merged, refused)

    return probe


def probes(walk: Walk, headers: dict[str, str]) -> Iterator[Probe]:
    """Every probe of every route."""
    for rule, _endpoint, methods in walk.rules:
        url = _fill(rule, walk.ids)
        api_kwargs = {"headers": headers} if rule.startswith("/api/") else {}
        strings = [m.group("name") for m in VARIABLE.finditer(rule) if not m.group("converter")]
        numbers = [
            m.group("name") for m in VARIABLE.finditer(rule) if m.group("converter") == "int"
        ]
        for method in methods:
            probe = _prober(method, url, api_kwargs)

            yield probe("NUL in the query", f"{url}?q=Anna%00&tag=%00x", refused=True)
            yield probe("NUL in a header", refused=True, headers={"X-Probe": "a\x00b"})
            for name in strings:
                target = _fill(rule, walk.ids, {name: "a%00b"})
                yield probe(f"NUL in <{name}>", target, refused=True)
            for name in numbers:
                for bad in BAD_IDS:
                    yield probe(f"<{name}> = {bad}", _fill(rule, walk.ids, {name: quote(bad)}))
            for bad in BAD_IDS:
                query = "&".join(f"{name}={quote(bad)}" for name in ID_NAMES)
                yield probe(f"ids = {bad} in the query", f"{url}?{query}")
            past = "k1." + "f" * 16
            yield probe("cursors past every id", f"{url}?after={past}&before={past}&limit=5")
            if method not in WRITE_METHODS:
                continue
            yield probe("NUL in form fields", refused=True, data=NUL_FORM)
            yield probe("NUL in a JSON body", refused=True, json=NUL_JSON)
            body = _api_body(walk, rule, method) if rule.startswith("/api/") else {}
            if body is None:
                continue
            for bad in BAD_JSON_IDS:
                yield probe(f"ids = {bad!r} in the JSON body", json=_with_ids(body, bad))
            if not rule.startswith("/api/"):
                form = {name: str(BAD_JSON_IDS[0]) for name in ID_NAMES}
                yield probe("ids past 2**31 - 1 in form fields", data=form)


def _json_message(response: Any) -> str | None:
    body = response.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return None
    message = body["error"].get("message")
    return message if isinstance(message, str) and message.strip() else None


def _page_text(client: FlaskClient, response: Any) -> str:
    """The page the person ends up on (redirects followed)."""
    if response.status_code in (301, 302, 303, 307, 308):
        location = urlsplit(response.headers["Location"])
        target = location.path + (f"?{location.query}" if location.query else "")
        response = client.get(target, follow_redirects=True)
    return response.get_data(as_text=True)


def problems(client: FlaskClient, probe: Probe, response: Any) -> list[str]:
    """What is wrong with the answer to ``probe`` (nothing, for a good one)."""
    name = f"{probe.method} {probe.url} ({probe.what})"
    status = response.status_code
    if status >= 500:
        return [f"{name} answered {status}: {response.get_data(as_text=True)[:300]!r}"]
    is_json = response.mimetype == "application/json"
    if probe.refused:
        if probe.api or is_json:
            body = response.get_json(silent=True) or {}
            code = (body.get("error") or {}).get("code")
            if (status, code) != (400, "invalid_characters") or not _json_message(response):
                return [f"{name} was not refused at the boundary: {status} {body!r:.300}"]
            return []
        text = _page_text(client, response)
        if status not in (303, 400) or not any(words in text for words in REFUSAL_WORDS):
            return [f"{name} did not say why it was refused: {status} {text[:300]!r}"]
        return []
    if status >= 400 and probe.url.startswith("/hooks/twilio/"):
        # Twilio is the only caller: it reads TwiML or an empty body, never a page; an
        # unsigned probe is refused before anything else is read.
        body = response.get_data(as_text=True)
        if status != 403 or (body and "<Response" not in body):
            return [f"{name} answered {status} with what Twilio cannot read: {body[:300]!r}"]
        return []
    if status >= 400:
        if is_json and not _json_message(response):
            return [f"{name} answered {status} without a message: {response.get_data()[:300]!r}"]
        if not is_json and not re.search(r"<h1[ >]", response.get_data(as_text=True)):
            return [f"{name} answered {status} without a page: {response.get_data()[:300]!r}"]
    return []


def _walk(app: Flask, session: Session, client: FlaskClient) -> tuple[Walk, dict[str, str]]:
    organisation = OrganisationFactory(name="Bostäder Väst")
    admin = UserFactory(organisation=organisation, admin=True, locale="en", name="Åsa Öberg")
    headers = api_headers(admin)
    public_id = secrets.token_urlsafe(24)
    media = MediaFile(  # as media.service.create_upload leaves one
        organisation_id=organisation.id,
        public_id=public_id,
        status=MediaStatus.PENDING,
        original_filename="fråga.webm",
        original_key=f"{organisation.id}/{public_id}/original.webm",
        content_type="video/webm",
        size_bytes=180_000,
        renditions={},
    )
    question = Question(
        organisation_id=organisation.id,
        owner_id=admin.id,
        title="Hur trivs du i trapphuset?",
        prompt="Hej! Hur trivs du i ditt trapphus?",
        language="sv",
        answer_modes=["score", "text"],
        choices=[],
        status=QuestionStatus.DRAFT,
    )
    session.add_all([media, question])
    session.commit()
    contact = ContactFactory(organisation=organisation, name="Zeynep Yilmaz")
    ids = {"question_id": question.id, "media_id": media.id, "contact_id": contact.id}
    rules = [
        (rule.rule, rule.endpoint, sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in SKIPPED
    ]
    document = client.get("/api/v1/openapi.json").get_json()
    login(client, admin)
    return Walk(rules, ids, document), headers


@pytest.fixture
def walk(app: Flask, db_session: Session, client: FlaskClient) -> tuple[Walk, dict[str, str]]:
    return _walk(app, system_session(), client)


@pytest.mark.parametrize("signed_in", [True, False], ids=["signed in", "anonymous"])
def test_no_bad_input_gives_a_server_error(
    app: Flask, client: FlaskClient, walk: tuple[Walk, dict[str, str]], signed_in: bool
) -> None:
    routes, headers = walk
    caller = client if signed_in else app.test_client()
    sent, failures = 0, []
    for probe in probes(routes, headers if signed_in else {}):
        response = caller.open(probe.url, method=probe.method, **probe.kwargs)
        failures += problems(caller, probe, response)
        sent += 1
    assert sent > 1000, "the walk sent too few probes to mean anything"
    assert not failures, f"{len(failures)} of {sent} probes:\n" + "\n".join(failures[:60])


def test_a_nul_in_a_form_shows_the_form_again_with_the_reason(client: FlaskClient) -> None:
    response = client.post(
        "/login/forgot",
        data={"email": "anna\x00@example.se"},
        headers={"Referer": "http://localhost/login/forgot"},
    )
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == "/login/forgot"
    page = client.get("/login/forgot")
    assert "The field “email” contains a character that cannot be stored" in page.text
    assert page.status_code == 200


def test_a_nul_in_a_search_shows_the_list_again_without_it(
    client: FlaskClient, walk: tuple[Walk, dict[str, str]]
) -> None:
    search = {"Referer": "http://localhost/app/contacts"}
    response = client.get("/app/contacts?q=Anna%00&place=3", headers=search)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/app/contacts?place=3")
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "The address contains a character that cannot be used" in page.text
    typed = client.get("/app/contacts?q=Anna%00")
    assert typed.status_code == 400
    assert "The address contains a character that cannot be used" in typed.text


def test_an_id_in_other_digits_is_not_read_as_a_number(
    client: FlaskClient, walk: tuple[Walk, dict[str, str]]
) -> None:
    _routes, headers = walk
    assert client.get("/api/v1/questions/\u0663", headers=headers).status_code == 404
    listing = client.get("/api/v1/questions/?owner_id=\u0663", headers=headers)
    assert listing.status_code == 422
    assert listing.json["error"]["details"]["query"]["owner_id"] == ["Must be a whole number."]
    huge = client.get(f"/api/v1/questions/?owner_id={2**31}", headers=headers)
    assert huge.status_code == 422
    assert "owner_id: Must be from 1 to 2147483647." in huge.json["error"]["message"]
