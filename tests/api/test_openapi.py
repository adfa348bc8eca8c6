"""The API as a whole: a valid OpenAPI 3 document, tokens required everywhere, and schemathesis.

Written against the document, not a list of routes, so resources added later are covered.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from panel.core.api import API_PREFIX, PUBLIC_API_PATHS
from panel.places.models import Place, PlaceKind
from tests.factories import OrganisationFactory, UserFactory, api_headers

ROOT = Path(__file__).resolve().parent.parent.parent

OPENAPI = f"{API_PREFIX}/openapi.json"
METHODS = ("get", "post", "put", "patch", "delete")


def operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, METHOD) of every operation in the document."""
    return [
        (path, method.upper())
        for path, item in document.get("paths", {}).items()
        for method in item
        if method in METHODS
    ]


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^<>]*:)?(\w+)>", r"{\1}", rule)


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get(OPENAPI)
    assert response.status_code == 200
    return response.get_json()


def test_document_is_valid_openapi_3(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.0")
    validate(document)


def test_document_lists_every_api_route(app: Flask, document: dict[str, Any]) -> None:
    documented = set(operations(document))
    routed = {
        (_openapi_path(rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API_PREFIX + "/") and rule.rule not in PUBLIC_API_PATHS
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert routed - documented == set(), "API routes missing from the OpenAPI document"


def test_every_api_resource_uses_the_api_blueprint(app: Flask) -> None:
    """panel.core.api.Blueprint makes a missing JSON body a 400 (flask-smorest's own would let
    a PATCH without a body through as an empty change)."""
    from panel.core.api import Blueprint

    names = {
        rule.endpoint.split(".")[0]
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API_PREFIX + "/") and rule.rule not in PUBLIC_API_PATHS
    }
    wrong = sorted(n for n in names if not isinstance(app.blueprints[n], Blueprint))
    assert not wrong, f"use panel.core.api.Blueprint for: {wrong}"


def _fill(path: str) -> str:
    return re.sub(r"\{\w+\}", "1", path)


def _assert_unauthorized(response: Any, what: str) -> None:
    assert response.status_code == 401, f"{what} answered {response.status_code}"
    body = response.get_json()
    assert isinstance(body, dict) and set(body) == {"error"}, f"{what}: {body!r}"
    assert body["error"]["code"] == "unauthorized", what
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], what


def test_every_operation_needs_a_token(client: FlaskClient, document: dict[str, Any]) -> None:
    for path, method in operations(document):
        url = _fill(path)
        _assert_unauthorized(client.open(url, method=method, json={}), f"{method} {path}")
        wrong = {"Authorization": "Bearer stp_not-a-real-token"}
        _assert_unauthorized(
            client.open(url, method=method, json={}, headers=wrong), f"{method} {path} (bad token)"
        )
        basic = {"Authorization": "Basic dXNlcjpwYXNz"}
        _assert_unauthorized(
            client.open(url, method=method, json={}, headers=basic), f"{method} {path} (basic)"
        )


def test_api_docs_need_no_token(client: FlaskClient) -> None:
    assert client.get(OPENAPI).status_code == 200


# --- schemathesis over every operation, as a signed-in admin with some data ----------------------

# schemathesis' own pytest plugin breaks under pytest 9, so its command line runs here against a
# live server: every phase (examples, coverage, fuzzing, stateful) and every check, exactly as
# `st run --checks all` does by hand. A fixed seed keeps CI reproducible; the examples per
# operation are enough to find each of the 26 failures the first run of it found.
EXAMPLES_PER_OPERATION = 30
SEED = 20261201
# Generous: CI machines are shared, and slowness is not what this run looks for.
MAX_RESPONSE_SECONDS = 30


def _seed_realistic_data(live_server: Any) -> dict[str, str]:
    """An organisation with places, contacts and questions; an admin's token."""
    from panel.questions.models import Question, QuestionStatus
    from tests.factories import ContactFactory, system_session

    with live_server.app_context():
        organisation = OrganisationFactory(name="Bostäder Öst", default_language="sv")
        admin = UserFactory(organisation=organisation, admin=True, name="Åsa Öberg")
        session = system_session()
        area = Place(organisation_id=organisation.id, kind=PlaceKind.AREA, name="Norr", path="Norr")
        session.add(area)
        session.flush()
        building = Place(
            organisation_id=organisation.id,
            kind=PlaceKind.BUILDING,
            name="Ängbyplan 3",
            path="Norr / Ängbyplan 3",
            parent_id=area.id,
            area_id=area.id,
        )
        session.add(building)
        session.commit()
        names = ("Zeynep Yılmaz", "Ĳsbrand de Vries", "Åsa Öberg")
        for n, name in enumerate(names):
            ContactFactory(
                organisation=organisation,
                name=name,
                email=f"tenant{n}@example.se",
                place_id=building.id,
            )
        for status in (QuestionStatus.DRAFT, QuestionStatus.LIVE):
            session.add(
                Question(
                    organisation_id=organisation.id,
                    owner_id=admin.id,
                    title="Hur trivs du i trapphuset?",
                    prompt="Hej! Jag heter Åsa. Hur trivs du i ditt trapphus?",
                    language="sv",
                    answer_modes=["score", "text"],
                    choices=[],
                    status=status,
                )
            )
        session.commit()
        _seed_threads(session, organisation, admin, building.id)
        return api_headers(admin)


def _seed_threads(session: Any, organisation: Any, admin: Any, place_id: int) -> None:
    """Answers to the live question, each with its thread (one from a tenant who let the
    asker see who they are), and a colleague to hand threads to."""
    import sqlalchemy as sa

    from panel.answers.models import AnswerChannel
    from panel.answers.service import Consent, Given, record_answer
    from panel.core.scoping import scoped_to
    from panel.questions.models import Question, QuestionStatus

    UserFactory(organisation=organisation, name="Bengt Lind", email="bengt@example.se")
    with scoped_to(session, organisation.id):
        question = session.scalar(sa.select(Question).where(Question.status == QuestionStatus.LIVE))
        given = [
            Given(text="Hissen står still igen.", score=3, place_id=place_id),
            Given(
                text="Tack för lampan i trapphuset!",
                score=9,
                name="Zeynep Yılmaz",
                email="zeynep@example.se",
                may_contact=True,
                consent=Consent(identity=True, quote=True),
            ),
        ]
        for what in given:
            record_answer(session, question, what, channel=AnswerChannel.WEB, language="sv")
        session.commit()


@pytest.mark.once
def test_schemathesis_finds_nothing_with_every_check(live_server: Any, tmp_path: Path) -> None:
    """`st run --checks all` over every operation: no 5xx, no response outside the document,
    no valid request refused, no invalid one accepted, 405 with Allow, auth enforced."""
    headers = _seed_realistic_data(live_server)
    command = [
        str(Path(sys.executable).parent / "st"),
        "run",
        f"{live_server.url}{OPENAPI}",
        "--checks",
        "all",
        "--header",
        f"Authorization: {headers['Authorization']}",
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--max-response-time",
        str(MAX_RESPONSE_SECONDS),
        "--generation-database",
        ":memory:",
        "--no-color",
    ]
    environment = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks",
        "PYTHONPATH": str(ROOT),
    }
    run = subprocess.run(
        # In a folder of its own: schemathesis keeps a cache where it runs.
        command,
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-20_000:]
    assert "Tested: " in report, report[-5_000:]
