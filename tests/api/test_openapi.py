"""The API as a whole: a valid OpenAPI 3 document, tokens required everywhere, and schemathesis.

Written against the document, not a list of routes, so resources added later are covered.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from panel.contacts.models import Contact
from panel.core.api import API_PREFIX, PUBLIC_API_PATHS
from panel.places.models import Place, PlaceKind
from tests.factories import OrganisationFactory, UserFactory, api_headers

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


@pytest.fixture
def token_headers(db_session: Any) -> dict[str, str]:
    """An admin's token in an organisation that has places and contacts."""
    organisation = OrganisationFactory()
    admin = UserFactory(organisation=organisation, admin=True)
    place = Place(organisation_id=organisation.id, kind=PlaceKind.AREA, name="Norr", path="Norr")
    db_session.add(place)
    db_session.flush()
    for n in range(3):
        db_session.add(
            Contact(organisation_id=organisation.id, email=f"t{n}@example.net", place_id=place.id)
        )
    db_session.commit()
    return api_headers(admin)


@pytest.fixture
def api_schema(app: Flask, token_headers: dict[str, str]) -> Any:
    return schemathesis.openapi.from_wsgi(OPENAPI, app)


# schemathesis' own pytest entry (``schemathesis.pytest.from_fixture``) breaks under pytest 9
# (it rewrites ``request.node._nodeid``, which pytest 9 no longer has), so each operation's
# strategy is driven by Hypothesis here; the checks and the generation are schemathesis'.
RUNS = {
    GenerationMode.POSITIVE: [
        not_a_server_error,
        response_schema_conformance,
        content_type_conformance,
    ],
    GenerationMode.NEGATIVE: [not_a_server_error, content_type_conformance],
}
EXAMPLES = settings(
    max_examples=10,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> None:
    @EXAMPLES
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=RUNS[mode])

    run()


def test_api_conforms_to_its_document(api_schema: Any, token_headers: dict[str, str]) -> None:
    """No 5xx and no response that breaks the document, for valid and for invalid input."""
    results = list(api_schema.get_all_operations())
    assert results, "the API document has no operations"
    failures = []
    for result in results:
        if isinstance(result, Err):
            failures.append(f"invalid operation in the document: {result.err()}")
            continue
        operation = result.ok()
        for mode in RUNS:
            # Schemathesis reports failures as a FailureGroup, a BaseExceptionGroup.
            try:
                _fuzz(operation, mode, token_headers)
            except (Exception, FailureGroup) as exc:  # noqa: BLE001 - report every operation
                name = f"{operation.method.upper()} {operation.path} ({mode.value})"
                failures.append(f"{name}: {exc}")
    assert not failures, "\n\n".join(failures)
