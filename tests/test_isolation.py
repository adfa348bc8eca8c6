"""Organisations are isolated: a user of organisation A reaches nothing of organisation B.

The acceptance test of the foundation, written to cover routes added later without editing it:

* organisation B gets one row of every table that carries ``organisation_id`` (found by walking
  the models, built from the columns' SQL types and foreign keys), with a marker string
  ("ORGB-SECRET-…") in every text column;
* every app page (``/app/…``) and API route (``/api/…``) of the URL map that takes an id is
  called, with every method it allows, with B's ids while logged in as A's admin (cookie for
  pages, bearer token for the API): each answers 404, no response carries a marker, and B's rows
  are unchanged afterwards;
* the OpenAPI document lists exactly the API routes that were walked;
* a positive control calls the same detail routes with A's own ids, which must not be 404, so
  the test can fail.

Conventions the walk relies on (a later route that breaks them fails here with a message):
an id in a URL is called ``<table>_id`` (or an alias in :data:`ID_ALIASES`), or ``<id>`` right
after a segment naming the table (``/places/<id>``); other variables are filled with B's value
of the column of the same name when there is one. When the generic row of a new table is not
good enough for its pages (a value with rules the SQL type does not say), add the column to
:data:`KNOWN_VALUES` or the table to :data:`ROW_OVERRIDES`.

``audit_event`` carries ``organisation_id`` without being OrgScoped, on purpose: a failed login
for an address of no account has no organisation, and the log outlives what it tells of. Its
one page (``/app/audit``) names the organisation in its own queries; the walk gives B a row of
it like any table with the column, so a page that showed B's audit rows would fail here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import json
import re
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Blueprint, Flask, abort
from flask.testing import FlaskClient
from flask_login import login_required
from sqlalchemy.orm import Session

from panel.core.db import utcnow
from panel.core.scoping import ALL_ORGS_KEY, OrgScoped
from panel.models import Base
from tests.factories import OrganisationFactory, UserFactory, api_headers, login

MARKER = "ORGB-SECRET"
MISSING_ID = 2_000_000_000  # an id no table will reach in a test run
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
WALKED_PREFIXES = ("/app/", "/api/")

# URL id variables whose stem is not the table's name.
ID_ALIASES = {
    "user": "user_account",
    "account": "user_account",
    "member": "user_account",
    "colleague": "user_account",
    "token": "api_token",
    "api_token": "api_token",
    "message": "outbound_message",
    "outbound": "outbound_message",
    "inbound": "inbound_message",
    "media": "media_file",
    "clip": "media_file",
    "consent": "consent_event",
    "org": "organisation",
}

# Columns whose values follow rules their SQL type does not tell (made per organisation).
KNOWN_VALUES: dict[str, Callable[[str], Any]] = {
    "language": lambda _: "sv",
    "locale": lambda _: "en",
    "default_language": lambda _: "sv",
    "channel": lambda _: "email",
    "phone": lambda _: "+4670" + "".join(secrets.choice("0123456789") for _ in range(7)),
    "email": lambda marker: f"{marker.lower()}-{secrets.token_hex(4)}@example.org",
    "recipient": lambda marker: f"{marker.lower()}-{secrets.token_hex(4)}@example.org",
    "sender": lambda marker: f"{marker.lower()}-{secrets.token_hex(4)}@example.org",
    "scheduled_at": lambda _: utcnow(),
    "expires_at": lambda _: utcnow() + dt.timedelta(days=30),
    "channels": lambda _: ["email"],
    "token": lambda _: secrets.token_urlsafe(24),
}

# Per table: column values that replace the generic ones (for rules a later table brings).
ROW_OVERRIDES: dict[str, Callable[[OrgRows], dict[str, Any]]] = {}
# A report's id lists are JSON lists of ids (the API reads them as integers); its trend period.
ROW_OVERRIDES["report"] = lambda org: {
    "question_ids": [],
    "touchpoint_ids": [],
    "segment_ids": [],
    "index_ids": [],
    "period": "month",
    "texts": {},
}


# --- Building one row of every organisation-owned table ----------------------------------------


@dataclass
class OrgRows:
    """One organisation and one row of each of its tables, as inserted."""

    organisation_id: int
    marker: str
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)

    def value(self, table: str, column: str) -> Any:
        return self.rows[table][column]


def org_scoped_tables() -> list[sa.Table]:
    """Tables of models that are OrgScoped, or carry an ``organisation_id`` column."""
    scoped = {
        mapper.local_table.name
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, OrgScoped)
    }
    return [
        table
        for table in Base.metadata.sorted_tables
        if table.name in scoped or "organisation_id" in table.c
    ]


def _attribute_annotation(table: sa.Table, column: sa.Column[Any]) -> str:
    for mapper in Base.registry.mappers:
        if mapper.local_table is not table:
            continue
        prop = mapper.get_property_by_column(column)
        for cls in mapper.class_.__mro__:
            annotation = getattr(cls, "__annotations__", {}).get(prop.key)
            if annotation is not None:
                return str(annotation)
    return ""


def _text_value(column: sa.Column[Any], marker: str, table: str) -> str | None:
    length = getattr(column.type, "length", None) or 10_000
    unique = secrets.token_hex(4)
    if length < len(marker) + 10:
        # Too short to carry a marker: a unique, harmless value (these do not show up as leaks).
        return secrets.token_hex(8)[: min(length, 8)]
    return f"{marker}-{unique}-{table}-{column.name}"[:length]


def column_value(table: sa.Table, column: sa.Column[Any], org: OrgRows) -> Any:
    """A value for ``column`` of a new row of ``org``; ``...`` means: leave it to the default."""
    if column.name == "organisation_id":
        return org.organisation_id
    if column.foreign_keys:
        target = next(iter(column.foreign_keys)).column.table.name
        if target == "organisation":
            return org.organisation_id
        if target == table.name:
            return None  # self-references (a parent, an inviter) stay empty
        parent = org.rows.get(target)
        return parent["id"] if parent else None
    kind = column.type
    if isinstance(kind, sa.Enum):
        return next(iter(kind.enum_class)) if kind.enum_class else kind.enums[0]
    if column.name in KNOWN_VALUES:
        return KNOWN_VALUES[column.name](org.marker)
    if isinstance(kind, sa.String):  # String, Text, Unicode...
        return _text_value(column, org.marker, table.name)
    required = not column.nullable and column.default is None and column.server_default is None
    if isinstance(kind, sa.JSON):
        if "list[" in _attribute_annotation(table, column):
            return [f"{org.marker}-{table.name}-{column.name}"]
        return ... if not required else {}
    if not required:
        return ...
    return _scalar_for_type(table, column)


def _scalar_for_type(table: sa.Table, column: sa.Column[Any]) -> Any:
    kind = column.type
    python_type: Any
    try:
        python_type = kind.python_type
    except NotImplementedError:
        python_type = None
    values = {
        bool: True,
        int: 1,
        float: 1.0,
        decimal.Decimal: decimal.Decimal(1),
        dt.datetime: dt.datetime.now(dt.UTC),
        dt.date: dt.date.today(),
        dt.timedelta: dt.timedelta(seconds=1),
        bytes: b"\x00",
        uuid.UUID: uuid.uuid4(),
    }
    if python_type in values:
        return values[python_type]
    raise AssertionError(
        f"test_isolation cannot invent a value for {table.name}.{column.name} ({kind}): "
        "add it to KNOWN_VALUES or ROW_OVERRIDES in tests/test_isolation.py"
    )


def build_rows(session: Session, organisation_id: int, marker: str) -> OrgRows:
    """Insert one row of every organisation-owned table for the organisation; commit."""
    org = OrgRows(organisation_id=organisation_id, marker=marker)
    org.rows["organisation"] = dict(
        session.execute(
            sa.select(Base.metadata.tables["organisation"]).where(
                Base.metadata.tables["organisation"].c.id == organisation_id
            )
        )
        .mappings()
        .one()
    )
    for table in org_scoped_tables():
        values = {}
        for column in table.c:
            if column.primary_key and column.autoincrement in (True, "auto"):
                continue
            value = column_value(table, column, org)
            if value is not ...:
                values[column.name] = value
        if table.name in ROW_OVERRIDES:
            values.update(ROW_OVERRIDES[table.name](org))
        missing = [
            c.name
            for c in table.c
            if values.get(c.name) is None and not c.nullable and c.foreign_keys
        ]
        assert not missing, (
            f"cannot build a {table.name} row: no parent row for {missing} "
            "(a foreign-key cycle? add the table to ROW_OVERRIDES in tests/test_isolation.py)"
        )
        key = session.execute(table.insert().values(**values)).inserted_primary_key
        where = [c == v for c, v in zip(table.primary_key.columns, key, strict=True)]
        org.rows[table.name] = dict(
            session.execute(sa.select(table).where(*where)).mappings().one()
        )
    session.commit()
    return org


def snapshot(session: Session, exclude_organisation_id: int) -> dict[str, list[str]]:
    """Every row of every table, except rows of the given organisation, as sorted strings."""
    # Straight on the connection: no ORM events, so no organisation scoping of the test's own
    # session (requests of the test client share it, and a signed-in request scopes it).
    connection = session.connection()
    result = {}
    for table in Base.metadata.sorted_tables:
        query = sa.select(table)
        if table.name == "organisation":
            query = query.where(table.c.id != exclude_organisation_id)
        elif "organisation_id" in table.c:
            query = query.where(
                sa.or_(
                    table.c.organisation_id.is_(None),
                    table.c.organisation_id != exclude_organisation_id,
                )
            )
        rows = connection.execute(query).mappings().all()
        result[table.name] = sorted(json.dumps(dict(r), default=str, sort_keys=True) for r in rows)
    return result


# --- Reading the URL map ------------------------------------------------------------------------

VARIABLE = re.compile(
    r"<(?:(?P<converter>[a-zA-Z_]\w*)(?:\((?P<args>[^)]*)\))?:)?(?P<name>[a-zA-Z_]\w*)>"
)


@dataclass
class Variable:
    name: str
    converter: str
    args: str
    table: str | None = None  # the table whose row the variable addresses
    column: str | None = None


@dataclass
class Route:
    rule: str
    endpoint: str
    methods: list[str]
    variables: list[Variable]

    @property
    def is_api(self) -> bool:
        return self.rule.startswith("/api/")

    @property
    def addresses_rows(self) -> bool:
        return any(v.table for v in self.variables)

    @property
    def is_detail(self) -> bool:
        """A page or resource of one row: the rule ends with that row's id."""
        last = list(VARIABLE.finditer(self.rule))
        return bool(last) and self.rule.rstrip("/").endswith(last[-1].group(0))

    @property
    def openapi_path(self) -> str:
        return VARIABLE.sub(lambda m: "{" + m.group("name") + "}", self.rule)

    def url(self, org: OrgRows | None) -> str:
        """The URL with the variables filled from ``org``'s rows (None: ids that do not exist)."""

        def fill(match: re.Match[str]) -> str:
            var = next(v for v in self.variables if v.name == match.group("name"))
            return quote(str(_variable_value(var, org)), safe="/")

        return VARIABLE.sub(fill, self.rule)


def _variable_value(var: Variable, org: OrgRows | None) -> Any:
    if var.table and var.column:
        if org is not None:
            return org.value(var.table, var.column)
        return MISSING_ID if var.column == "id" else "missing-" + secrets.token_hex(8)
    if var.converter == "int":
        return 1
    if var.converter == "uuid":
        return uuid.uuid4()
    if var.converter == "any":
        return sorted(a.strip().strip("'\"") for a in var.args.split(","))[0]
    return "x" + secrets.token_hex(6)


def _table_names() -> set[str]:
    return set(Base.metadata.tables)


def _singular(word: str) -> list[str]:
    word = word.replace("-", "_")
    forms = [word]
    if word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if word.endswith("es"):
        forms.append(word[:-2])
    if word.endswith("s"):
        forms.append(word[:-1])
    return forms


def _table_for_stem(stem: str) -> str | None:
    tables = _table_names()
    for form in _singular(stem):
        if form in tables:
            return form
        if form in ID_ALIASES:
            return ID_ALIASES[form]
    return None


def _owned_by_organisations(table: str) -> bool:
    return table == "organisation" or table in {t.name for t in org_scoped_tables()}


def _segments(rule: str) -> list[str]:
    return [s for s in rule.split("/") if s and not s.startswith("<")]


def _identifies_rows(table: sa.Table, column: str) -> bool:
    """True when ``column`` alone picks one row: unique, or unique within an organisation."""
    if table.c[column].unique:
        return True
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint):
            names = {c.name for c in constraint.columns} - {"organisation_id"}
            if names == {column}:
                return True
    return any(
        index.unique and [c.name for c in index.columns] == [column] for index in table.indexes
    )


def _table_with_column(column: str, rule: str) -> str | None:
    """The organisation-owned table whose ``column`` a URL variable of that name addresses.

    A table named by a segment of the path wins; otherwise only a column that identifies one
    row (a slug, a public id) counts, so that a generic name (``<name>`` of a file) does not.
    """
    candidates = [t for t in org_scoped_tables() if column in t.c]
    named = {_table_for_stem(segment) for segment in _segments(rule)}
    for table in candidates:
        if table.name in named:
            return table.name
    for table in candidates:
        if _identifies_rows(table, column):
            return table.name
    return None


def bind_variable(var: Variable, rule: str, problems: list[str]) -> None:
    """Decide which table row (and column) a URL variable addresses, if any."""
    if var.name.endswith("_id") or var.name == "id":
        if var.name == "id":
            before = rule[: rule.index("<")].rstrip("/").rsplit("/", 1)[-1]
            table = _table_for_stem(before)
        else:
            table = _table_for_stem(var.name[: -len("_id")])
        if table is not None:
            if _owned_by_organisations(table):  # rows shared by all organisations are not walked
                var.table, var.column = table, "id"
            return
        if (holder := _table_with_column(var.name, rule)) is not None:
            var.table, var.column = holder, var.name  # e.g. a media file's public_id
            return
        problems.append(
            f"{rule}: the URL variable <{var.name}> names no table. Call ids <table>_id "
            "(e.g. <contact_id>) or add an alias to ID_ALIASES in tests/test_isolation.py."
        )
        return
    if (holder := _table_with_column(var.name, rule)) is not None:
        var.table, var.column = holder, var.name


def walked_routes(app: Flask) -> tuple[list[Route], list[str]]:
    """App pages and API routes of the URL map, with their variables bound to tables."""
    routes, problems = [], []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(WALKED_PREFIXES):
            continue
        variables = [
            Variable(m.group("name"), m.group("converter") or "default", m.group("args") or "")
            for m in VARIABLE.finditer(rule.rule)
        ]
        for var in variables:
            bind_variable(var, rule.rule, problems)
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        routes.append(Route(rule.rule, rule.endpoint, methods, variables))
    return routes, problems


# --- Calling the routes -------------------------------------------------------------------------


def sign_in(client: FlaskClient, user: Any) -> None:
    """Log ``user`` in through the real login form (the test app has CSRF off)."""
    login(client, user)


def example_body(schema: dict[str, Any] | None, document: dict[str, Any], depth: int = 0) -> Any:
    """A small instance of a JSON schema of the OpenAPI document (required fields only)."""
    if not schema or depth > 8:
        return {}
    if "$ref" in schema:
        target: Any = document
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return example_body(target, document, depth + 1)
    for key in ("example", "default"):
        if key in schema:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("allOf", "oneOf", "anyOf"):
        if schema.get(key):
            parts = [example_body(s, document, depth + 1) for s in schema[key]]
            if key == "allOf" and all(isinstance(p, dict) for p in parts):
                return {k: v for p in parts for k, v in p.items()}
            return parts[0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        required = schema.get("required", [])
        props = schema.get("properties", {})
        return {name: example_body(props.get(name), document, depth + 1) for name in required}
    if kind == "array":
        count = schema.get("minItems", 0)
        return [example_body(schema.get("items"), document, depth + 1) for _ in range(count)]
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "number":
        return schema.get("minimum", 1.0)
    if kind == "boolean":
        return True
    if kind == "string":
        formats = {
            "email": "isolation@example.org",
            "date-time": dt.datetime.now(dt.UTC).isoformat(),
            "date": dt.date.today().isoformat(),
            "uuid": str(uuid.uuid4()),
            "uri": "https://example.org/",
            "url": "https://example.org/",
        }
        if schema.get("format") in formats:
            return formats[schema["format"]]
        return "x" * max(1, schema.get("minLength", 1))
    return {}


@dataclass
class Caller:
    """Calls routes as organisation A's admin: cookie for pages, bearer token for the API."""

    client: FlaskClient
    api_headers: dict[str, str]
    openapi: dict[str, Any]

    def call(self, route: Route, method: str, url: str) -> Any:
        """The response; an exception the app let through becomes a 500 that names it."""
        try:
            return self._call(route, method, url)
        except Exception as exc:  # noqa: BLE001 - one broken route must not hide the others
            return self.client.application.response_class(f"{type(exc).__name__}: {exc}", 500)

    def _call(self, route: Route, method: str, url: str) -> Any:
        if route.is_api:
            kwargs: dict[str, Any] = {"headers": self.api_headers}
            if method in WRITE_METHODS:
                kwargs["json"] = self._api_body(route, method)
            return self.client.open(url, method=method, **kwargs)
        if method in WRITE_METHODS:
            return self.client.open(url, method=method, data={})
        return self.client.open(url, method=method)

    def _api_body(self, route: Route, method: str) -> Any:
        operation = self.openapi.get("paths", {}).get(route.openapi_path, {}).get(method.lower())
        content = ((operation or {}).get("requestBody") or {}).get("content", {})
        schema = (content.get("application/json") or {}).get("schema")
        return example_body(schema, self.openapi) if schema else {}


def leaked(response: Any) -> bool:
    """True when the response (body or headers) carries one of B's markers."""
    text = response.get_data().lower() + str(response.headers).lower().encode()
    return MARKER.lower().encode() in text


def _fingerprint(response: Any) -> tuple[int, Any]:
    data = response.get_json(silent=True)
    return response.status_code, data if data is not None else response.get_data()


# --- The walks -----------------------------------------------------------------------------------


def isolation_failures(caller: Caller, routes: list[Route], b: OrgRows) -> list[str]:
    """Call every route that addresses rows with B's values; what answered other than 404."""
    failures = []
    for route in (r for r in routes if r.addresses_rows):
        for method in route.methods:
            url = route.url(b)
            response = caller.call(route, method, url)
            if leaked(response):
                failures.append(f"{method} {url} ({route.rule}) shows organisation B's data")
            if response.status_code == 404:
                continue
            # A body validated before the row is looked up may be refused (400/422); that is
            # only acceptable when a missing id gets exactly the same answer, so that the
            # answer says nothing about B.
            missing = caller.call(route, method, route.url(None))
            same = _fingerprint(response) == _fingerprint(missing)
            if response.status_code in (400, 422) and same:
                continue
            failures.append(
                f"{method} {url} ({route.rule}) answered {response.status_code}, not 404: "
                f"{response.get_data(as_text=True)[:300]!r}"
            )
    return failures


def list_failures(caller: Caller, routes: list[Route]) -> list[str]:
    """GET every page and API list without variables as A: none may show B's data or fail."""
    failures = []
    for route in routes:
        if route.variables or "GET" not in route.methods or "logout" in route.endpoint:
            continue
        response = caller.call(route, "GET", route.rule)
        if response.status_code >= 500:
            failures.append(f"GET {route.rule} answered {response.status_code}")
        if leaked(response):
            failures.append(f"GET {route.rule} shows organisation B's data")
    return failures


def detail_routes(routes: list[Route]) -> list[Route]:
    return [r for r in routes if r.addresses_rows and r.is_detail and "GET" in r.methods]


def control_failures(caller: Caller, routes: list[Route], a: OrgRows) -> list[str]:
    """GET every detail route with A's own values: each must answer, not 404 or 5xx."""
    failures = []
    for route in detail_routes(routes):
        url = route.url(a)
        response = caller.call(route, "GET", url)
        if response.status_code == 404 or response.status_code >= 500:
            failures.append(
                f"GET {url} ({route.rule}) answered {response.status_code} for A's own row: "
                "the generic row may need KNOWN_VALUES/ROW_OVERRIDES, or the route is broken"
            )
    return failures


def changed_tables(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


# --- Fixtures -----------------------------------------------------------------------------------


@dataclass
class TwoOrganisations:
    a: OrgRows
    b: OrgRows
    caller: Caller
    routes: list[Route]
    problems: list[str]


def set_up_two_organisations(app: Flask, session: Session, client: FlaskClient) -> TwoOrganisations:
    """A's admin signed in (cookie and token), and one row of every table in A and in B."""
    org_a = OrganisationFactory(name="Organisation A")
    org_b = OrganisationFactory(name=f"{MARKER}-organisation-name")
    admin = UserFactory(organisation=org_a, admin=True)
    a_rows = build_rows(session, org_a.id, "ORGA-ROW")
    b_rows = build_rows(session, org_b.id, MARKER)
    headers = api_headers(admin)
    sign_in(client, admin)
    openapi = client.get("/api/v1/openapi.json").get_json() or {}
    routes, problems = walked_routes(app)
    return TwoOrganisations(a_rows, b_rows, Caller(client, headers, openapi), routes, problems)


@pytest.fixture
def two_orgs(app: Flask, db_session: Session, client: FlaskClient) -> TwoOrganisations:
    return set_up_two_organisations(app, db_session, client)


# --- The tests ----------------------------------------------------------------------------------


def test_every_id_in_a_url_names_a_table(two_orgs: TwoOrganisations) -> None:
    assert not two_orgs.problems, "\n".join(two_orgs.problems)


def test_organisation_b_is_unreachable_from_organisation_a(
    two_orgs: TwoOrganisations, db_session: Session
) -> None:
    assert any(r.addresses_rows for r in two_orgs.routes), (
        "no app page or API route takes an id: the walk would prove nothing"
    )
    before = snapshot(db_session, exclude_organisation_id=two_orgs.a.organisation_id)

    failures = isolation_failures(two_orgs.caller, two_orgs.routes, two_orgs.b)

    changed = changed_tables(before, snapshot(db_session, two_orgs.a.organisation_id))
    assert not changed, f"rows outside organisation A changed in: {changed}\n" + "\n".join(failures)
    assert not failures, "\n".join(failures)


def test_lists_of_organisation_a_show_nothing_of_b(two_orgs: TwoOrganisations) -> None:
    failures = list_failures(two_orgs.caller, two_orgs.routes)
    assert not failures, "\n".join(failures)


def test_positive_control_a_reaches_its_own_rows(two_orgs: TwoOrganisations) -> None:
    assert detail_routes(two_orgs.routes), (
        "no detail page or API resource takes an id: the isolation walk is empty"
    )
    failures = control_failures(two_orgs.caller, two_orgs.routes, two_orgs.a)
    assert not failures, "\n".join(failures)


def test_openapi_lists_exactly_the_walked_api_routes(two_orgs: TwoOrganisations) -> None:
    documented = {
        (path, method.upper())
        for path, operations in two_orgs.caller.openapi.get("paths", {}).items()
        if re.search(r"\{\w+\}", path)
        for method in operations
        if method.upper() in ("GET", *WRITE_METHODS)
    }
    walked = {
        (route.openapi_path, method)
        for route in two_orgs.routes
        if route.is_api and route.addresses_rows
        for method in route.methods
    }
    assert documented - walked == set(), "documented but not walked (no id to fill?)"
    assert walked - documented == set(), "API routes missing from the OpenAPI document"


# --- The walk itself catches leaks ----------------------------------------------------------------


def _probe_blueprint() -> Blueprint:
    """Routes only this test registers: one scoped correctly, two that leak across organisations."""
    from panel.contacts.models import Contact
    from panel.core.extensions import db

    probe = Blueprint("isolation_probe", __name__)

    @probe.get("/app/isolation-probe/<int:contact_id>")
    @login_required
    def scoped(contact_id: int) -> Any:
        contact = db.session().get(Contact, contact_id)
        return contact.name if contact else abort(404)

    @probe.get("/app/isolation-probe/leaky/<int:contact_id>")
    @login_required
    def leaky_read(contact_id: int) -> Any:
        contact = db.session().scalar(
            sa.select(Contact)
            .where(Contact.id == contact_id)
            .execution_options(all_organisations=True)
        )
        return contact.name if contact else abort(404)

    @probe.post("/app/isolation-probe/leaky/<int:contact_id>/rename")
    @login_required
    def leaky_write(contact_id: int) -> Any:
        db.session().execute(
            sa.text("UPDATE contact SET name = 'renamed' WHERE id = :id"), {"id": contact_id}
        )
        db.session().commit()
        return "", 204

    return probe


@contextlib.contextmanager
def savepoint_session(app: Flask) -> Iterator[Session]:
    """Like the ``db_session`` fixture, for an app of this test's own."""
    from panel.core.extensions import db

    state = db.state(app)
    connection = state.engine.connect()
    outer = connection.begin()
    state.session_factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    try:
        with app.app_context():
            session = db.session()
            session.info[ALL_ORGS_KEY] = True  # the test sets up both organisations
            yield session
    finally:
        outer.rollback()
        connection.close()
        state.engine.dispose()


def test_the_walk_catches_a_leaky_route(make_app: Callable[..., Flask]) -> None:
    probe_app = make_app()
    probe_app.config["WTF_CSRF_ENABLED"] = False
    probe_app.register_blueprint(_probe_blueprint())
    with savepoint_session(probe_app) as session:
        orgs = set_up_two_organisations(probe_app, session, probe_app.test_client())
        probes = [r for r in orgs.routes if r.endpoint.startswith("isolation_probe.")]
        before = snapshot(session, exclude_organisation_id=orgs.a.organisation_id)

        failures = isolation_failures(orgs.caller, probes, orgs.b)

        assert not orgs.problems
        assert not control_failures(orgs.caller, probes, orgs.a)
        assert changed_tables(before, snapshot(session, orgs.a.organisation_id)) == ["contact"]
        assert any("shows organisation B's data" in f and "/leaky/" in f for f in failures)
        assert any("POST" in f and "answered 204" in f for f in failures)
        assert not any("/isolation-probe/<int:contact_id>)" in f for f in failures), failures


@pytest.mark.parametrize(
    ("rule", "variable", "bound"),
    [
        ("/api/v1/contacts/<int:contact_id>", "contact_id", ("contact", "id")),
        ("/app/team/<int:user_id>/role", "user_id", ("user_account", "id")),
        ("/app/tokens/<int:token_id>/revoke", "token_id", ("api_token", "id")),
        ("/api/v1/places/<int:id>", "id", ("place", "id")),
        ("/api/v1/action-items/<int:id>", "id", ("action_item", "id")),
        ("/api/v1/gadgets/<int:id>", "id", None),  # no such table: a problem
        ("/app/touchpoints/<slug>", "slug", ("touchpoint", "slug")),
        ("/api/v1/media/<public_id>", "public_id", ("media_file", "public_id")),
        ("/app/dev/outbox/mail/<filename>", "filename", None),  # a file name, not a row
        ("/app/things/<int:widget_id>", "widget_id", None),
    ],
)
def test_url_variables_are_bound_by_convention(
    rule: str, variable: str, bound: tuple[str, str] | None
) -> None:
    match = next(m for m in VARIABLE.finditer(rule) if m.group("name") == variable)
    var = Variable(variable, match.group("converter") or "default", match.group("args") or "")
    problems: list[str] = []

    bind_variable(var, rule, problems)

    assert ((var.table, var.column) if var.table else None) == bound
    is_id = variable == "id" or variable.endswith("_id")
    assert bool(problems) == (is_id and bound is None)


# --- Tasks and CLI commands stay in their organisation --------------------------------------------


def rows_of(session: Session, organisation_id: int) -> dict[str, list[str]]:
    """Every row of one organisation, as sorted strings (read past the ORM, unscoped)."""
    connection = session.connection()
    result = {}
    for table in Base.metadata.sorted_tables:
        if table.name == "organisation":
            query = sa.select(table).where(table.c.id == organisation_id)
        elif "organisation_id" in table.c:
            query = sa.select(table).where(table.c.organisation_id == organisation_id)
        else:
            continue
        rows = connection.execute(query).mappings().all()
        result[table.name] = sorted(json.dumps(dict(r), default=str, sort_keys=True) for r in rows)
    return result


# Task arguments that are not ids: where organisation A's value for them comes from.
VALUE_ARGUMENTS = {"email": ("user_account", "email")}


def task_arguments(task: Any, org: OrgRows) -> list[Any] | None:
    """The task's id arguments filled with ``org``'s rows (None when one names no table):
    ``<table>_id`` takes the row's id, ``<table>_ids`` a list of it (a batch)."""
    import inspect

    parameters = inspect.signature(task.run).parameters.values()
    # Optional arguments (a task's options, e.g. which languages) keep their defaults.
    names = [p.name for p in parameters if p.name != "self" and p.default is p.empty]
    values: list[Any] = []
    for name in names:
        if name in VALUE_ARGUMENTS:  # a value looked up in the task, e.g. an address
            table, column = VALUE_ARGUMENTS[name]
            values.append(org.rows[table][column])
            continue
        stem, _, suffix = name.rpartition("_")
        table = _table_for_stem(stem) if suffix in ("id", "ids") else None
        if table is None or table not in org.rows:
            return None
        row_id = org.rows[table]["id"]
        values.append([row_id] if suffix == "ids" else row_id)
    return values


def test_every_task_given_a_row_of_a_leaves_b_alone(app: Flask, db_session: Session) -> None:
    """Each registered task that takes ids runs, for real and in a session of its own (which
    fails closed), on organisation A's rows: it must succeed and leave B's rows as they were.
    Periodic sweeps act on every organisation by design; they must run without an unscoped
    access. A task added later is walked without editing this test."""
    a = build_rows(db_session, OrganisationFactory(name="Organisation A").id, "ORGA-ROW")
    b = build_rows(db_session, OrganisationFactory(name="Organisation B").id, MARKER)
    celery = app.extensions["celery"]
    rooms = ("panel.", "media.", "notifications.", "touchpoints.")  # not tests' own tasks
    ours = sorted(name for name in celery.tasks if name.startswith(rooms))
    periodic = {entry["task"] for entry in celery.conf.beat_schedule.values()}
    assert ours and periodic <= set(ours)

    walked, failures = [], []
    for name in ours:
        task = celery.tasks[name]
        args = [] if name in periodic else task_arguments(task, a)
        if args is None:
            failures.append(
                f"{name}: its arguments name no table (call ids <table>_id, lists <table>_ids)"
            )
            continue
        before = rows_of(db_session, b.organisation_id)
        result = task.apply(args=args)
        if result.failed():
            failures.append(f"{name}({args}) failed: {result.result!r}")
        elif name not in periodic and rows_of(db_session, b.organisation_id) != before:
            failures.append(f"{name}({args}) changed organisation B's rows")
        walked.append(name)

    assert not failures, "\n".join(failures)
    assert {"notifications.tasks.deliver_message", "media.tasks.process_media"} <= set(walked)


def test_scripting_commands_leave_other_organisations_alone(
    database_factory: Any, tmp_path: Any, make_app: Callable[..., Flask]
) -> None:
    """The `stoop` scripting commands, run in-process against a database holding A and B: what
    they do for A (or for a new organisation) never touches B, and naming B's account from A's
    side is refused."""
    from click.testing import CliRunner

    from panel.cli import main

    url = database_factory()
    cli_app = make_app(database_url=url)
    with cli_app.app_context():
        from tests.factories import system_session

        session = system_session()
        org_a = OrganisationFactory(name="Organisation A")
        b = build_rows(session, OrganisationFactory(name="Organisation B").id, MARKER)
        b_user = UserFactory(organisation_id=b.organisation_id)
        before = rows_of(session, b.organisation_id)
        slug_a, b_email = org_a.slug, b_user.email
        session.commit()

    env = {
        "STOOP_DATABASE_URL": url,
        "STOOP_INSTANCE_DIR": str(tmp_path / "cli-instance"),
        "STOOP_LOG_JSON": "0",
    }
    runner = CliRunner()
    password = "a long enough password"

    def user_create(email: str) -> list[str]:
        return ["user", "create", "--org", slug_a, "--email", email, "--role", "admin",
                "--password", password]  # fmt: skip

    runs = [
        runner.invoke(main, ["org", "create", "Organisation C"], env=env),
        runner.invoke(main, user_create("new@example.org"), env=env),
        runner.invoke(main, ["token", "create", "--email", "new@example.org"], env=env),
    ]
    refused = runner.invoke(main, user_create(b_email), env=env)

    assert [r.exit_code for r in runs] == [0, 0, 0], [r.output for r in runs]
    assert refused.exit_code != 0 and "Traceback" not in refused.output
    with cli_app.app_context():
        from tests.factories import system_session

        assert rows_of(system_session(), b.organisation_id) == before
