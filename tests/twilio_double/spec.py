"""Twilio's own OpenAPI document of the 2010-04-01 API, read (never copied) to keep the double
honest: which form parameters "create a message" accepts and of what type, and which
properties a message resource has.

The document lives beside the repository in ``shared/data/twilio-oai/`` (CI has ``shared/``
next to the checkout; a worktree finds the nearest one further up).
"""

from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path
from typing import Any

import jsonschema

REPO = Path(__file__).resolve().parents[2]
OAI_FILE = Path("shared") / "data" / "twilio-oai" / "twilio_api_v2010.json"
# Beside the checkout (CI), or beside a folder of worktrees: the nearest ``shared/`` upwards.
DOCUMENT = next(
    (folder / OAI_FILE for folder in REPO.parents if (folder / OAI_FILE).is_file()),
    REPO.parent / OAI_FILE,
)
MESSAGES_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
MESSAGE_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json"
RECORDING_PATH = "/2010-04-01/Accounts/{AccountSid}/Recordings/{Sid}.json"
MEDIA_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}/Media/{Sid}.json"
FORM = "application/x-www-form-urlencoded"


@functools.cache
def document() -> dict[str, Any]:
    """The parsed OpenAPI document (read once per test session)."""
    if not DOCUMENT.is_file():
        raise FileNotFoundError(
            f"Twilio's OpenAPI document is expected at {DOCUMENT} "
            "(the shared/ folder beside the repository)"
        )
    return json.loads(DOCUMENT.read_text(encoding="utf-8"))


def _resolve(node: Any, doc: dict[str, Any]) -> Any:
    """Inline every ``#/components/...`` reference, so jsonschema needs no resolver."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = doc
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return _resolve(target, doc)
        return {key: _resolve(value, doc) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(item, doc) for item in node]
    return node


@functools.cache
def create_message_schema() -> dict[str, Any]:
    """The CreateMessageRequest schema, references inlined, unknown parameters refused."""
    doc = document()
    body = doc["paths"][MESSAGES_PATH]["post"]["requestBody"]["content"][FORM]["schema"]
    schema = copy.deepcopy(_resolve(body, doc))
    schema["additionalProperties"] = False
    return schema


@functools.cache
def message_schema() -> dict[str, Any]:
    """The ``api.v2010.account.message`` resource schema, references inlined."""
    doc = document()
    return _resolve(doc["components"]["schemas"]["api.v2010.account.message"], doc)


@functools.cache
def path_parameter_pattern(path: str, name: str) -> re.Pattern[str]:
    """The documented pattern of path parameter ``name`` of the GET at ``path`` (a
    recording's ``Sid`` is ``^RE[0-9a-fA-F]{32}$``)."""
    for parameter in document()["paths"][path]["get"]["parameters"]:
        if parameter["name"] == name and parameter["in"] == "path":
            return re.compile(parameter["schema"]["pattern"])
    raise KeyError(f"{path} documents no path parameter {name}")


def matches_sid(path: str, name: str, value: str) -> bool:
    """True when ``value`` is shaped as the document says path parameter ``name`` is."""
    return bool(path_parameter_pattern(path, name).fullmatch(value))


def message_properties() -> frozenset[str]:
    """The property names every message resource carries."""
    return frozenset(message_schema()["properties"])


def coerce_form(form: dict[str, list[str]]) -> dict[str, Any]:
    """Form fields as the JSON types the schema declares (all form values arrive as text).

    A value that does not convert stays a string, so the schema check reports it.
    """
    properties = create_message_schema()["properties"]
    coerced: dict[str, Any] = {}
    for name, values in form.items():
        kind = properties.get(name, {}).get("type")
        if kind == "array":
            coerced[name] = list(values)
            continue
        value = values[-1]
        if kind == "integer" and value.lstrip("-").isdigit():
            coerced[name] = int(value)
        elif kind == "number":
            try:
                coerced[name] = float(value)
            except ValueError:
                coerced[name] = value
        elif kind == "boolean" and value.lower() in ("true", "false"):
            coerced[name] = value.lower() == "true"
        else:
            coerced[name] = value
    return coerced


def schema_errors(form: dict[str, list[str]]) -> list[str]:
    """What is wrong with a create-message form by the document's schema (empty: nothing)."""
    validator = jsonschema.Draft7Validator(create_message_schema())
    return [error.message for error in validator.iter_errors(coerce_form(form))]


def validate_message_resource(resource: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` when a message body breaks the documented shape."""
    schema = _nullable_to_json_schema(message_schema())
    jsonschema.Draft7Validator(schema).validate(resource)


def _nullable_to_json_schema(node: Any) -> Any:
    # OpenAPI 3.0 says "nullable: true"; JSON Schema says type [..., "null"].
    if isinstance(node, dict):
        result = {key: _nullable_to_json_schema(value) for key, value in node.items()}
        if result.pop("nullable", False):
            if "type" in result:
                result["type"] = [result["type"], "null"]
            if "enum" in result:
                result["enum"] = [*result["enum"], None]
        return result
    if isinstance(node, list):
        return [_nullable_to_json_schema(item) for item in node]
    return node
