"""Schemas every API resource shares: the error body, safe text, ids, and documented errors.

Resources document their errors with :func:`error_responses`, so the OpenAPI document says,
for each operation, which 4xx answers it gives and that each has the one error shape
``{"error": {"code", "message", "details"}}``.

Every rule a field has is in the document: :class:`Text` states that it takes no NUL
character (and any other pattern it checks), :class:`Id` the range of an id. A request the
document calls valid is then refused only for what it says about stored data (404, 409).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from apispec import BasePlugin
from email_validator import EmailNotValidError, validate_email
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate

from panel.core.i18n import LazyText
from panel.core.i18n import lazy_text as _l
from panel.core.routing import MAX_DB_ID

ERROR_DESCRIPTIONS = {
    400: "The request could not be read: not JSON, or a NUL character in it.",
    401: "No API token, or a token that is not valid.",
    403: "The token's user may not do this.",
    404: "No such resource in your organisation.",
    409: "The request conflicts with what is stored: a duplicate, a state that does not allow "
    "it, or a row it names (in its body) that is not there.",
    413: "The request body is too large.",
    422: "A field is missing or not valid; `details` says which.",
    503: "The service is briefly unavailable (e.g. its database); try again shortly.",
}
# What any operation may answer: a request that cannot be read, no token, a brief outage.
ALWAYS = (400, 401, 503)
NO_NUL = "^[^\\u0000]*$"
NUL_ERROR = _l("Must not contain NUL characters.")
# Every character Python's str.split() or ECMAScript's \s takes for a space, written out so
# that a pattern means the same to the document's readers and to the checks here.
SPACES = (
    "\\t\\n\\u000b\\u000c\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
)
# Some character that is not a space (nor NUL).
VISIBLE = f"^[^\\u0000]*[^{SPACES}\\u0000][^\\u0000]*$"
# Words separated by single spaces: text that tidying whitespace leaves as it is.
TIDY = f"^[^{SPACES}\\u0000]+( [^{SPACES}\\u0000]+)*$"


class ErrorBodySchema(Schema):
    code = fields.String(
        required=True, metadata={"description": "A stable, machine-readable code, e.g. not_found"}
    )
    message = fields.String(
        required=True, metadata={"description": "What went wrong, for a person to read"}
    )
    details = fields.Raw(
        metadata={"description": "Per-field messages, where the error is about fields"}
    )


class ErrorSchema(Schema):
    """The body of every 4xx answer of the API."""

    error = fields.Nested(ErrorBodySchema, required=True)


class Pattern(validate.Regexp):
    """A regular expression a text must match, with a message that is translated."""

    def __init__(self, regex: str, error: LazyText) -> None:
        super().__init__(regex)
        self.message = error

    def __call__(self, value: str) -> str:
        if self.regex.match(value) is None:
            raise ValidationError([self.message])
        return value


class Text(fields.String):
    """A string without NUL characters (PostgreSQL cannot store them); ``pattern`` adds a rule.

    The pattern is both checked and written into the document, so they cannot disagree. Write
    it for both Python's and ECMAScript's regular expressions: classes of explicit characters
    and anchors (``\\s`` differs between them; use :data:`SPACES`).
    """

    def __init__(
        self,
        *,
        pattern: str = NO_NUL,
        pattern_error: LazyText = NUL_ERROR,
        **kwargs: Any,
    ) -> None:
        rules = _as_list(kwargs.pop("validate", None))
        super().__init__(validate=[Pattern(pattern, pattern_error), *rules], **kwargs)


class Formatted(fields.String):
    """A string of a named ``format`` whose rules the format says (``phone``): documented as
    ``{"type": "string", "format": ...}`` alone, so that a client (or a fuzzer) generates
    values of the format. NUL and a length past ``max_length`` are refused here; the format
    itself is checked where its meaning lives (a phone number, in the organisation's region).
    """

    def __init__(self, *, format: str, max_length: int, **kwargs: Any) -> None:
        metadata = {"format": format, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)
        self.max_length = max_length

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text or not text or len(text) > self.max_length:
            raise ValidationError([_l("Not in the form this field takes.")])
        return text


class Email(fields.String):
    """An e-mail address (``format: email``), as email-validator reads one: without DNS, and
    taking the ``.test`` domain, so integrators can test with made-up addresses."""

    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        metadata = {"format": "email", "maxLength": max_length, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)
        self.max_length = max_length

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            if len(text) > self.max_length:
                raise EmailNotValidError("too long")
            validate_email(text, test_environment=True)
        except EmailNotValidError:
            raise ValidationError([_l("Not a valid e-mail address.")]) from None
        return text


class Flag(fields.Boolean):
    """true or false, and nothing else (marshmallow's Boolean also takes 1, "yes", "on"…)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def _as_list(rules: Any) -> list[Any]:
    if rules is None:
        return []
    return list(rules) if isinstance(rules, list | tuple) else [rules]


class WholeNumber(fields.Integer):
    """An integer: a JSON integer in a body; ASCII digits in a query string (``query=True``),
    where ``int()`` would also read other scripts' digits and a sign."""

    def __init__(self, *, query: bool = False, **kwargs: Any) -> None:
        super().__init__(strict=not query, **kwargs)
        self.query = query

    def _validated(self, value: Any) -> int:
        if self.query and isinstance(value, str):
            if not (value.isascii() and value.isdigit()):
                raise self.make_error("invalid", input=value)
            # More digits than any id has: out of range, and int() never reads 10,000 of them.
            return int(value) if len(value) <= len(str(MAX_DB_ID)) else MAX_DB_ID + 1
        return super()._validated(value)


class Id(WholeNumber):
    """A row id, 1 to 2**31 - 1 (:mod:`panel.core.routing`)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.Range(1, MAX_DB_ID))
        super().__init__(**kwargs)


def error_responses(blp: Blueprint, *statuses: int) -> Callable[[Any], Any]:
    """Document the given error statuses (and those of :data:`ALWAYS`)."""

    def decorate(view: Any) -> Any:
        for status in sorted({*ALWAYS, *statuses}, reverse=True):
            view = blp.alt_response(
                status, schema=ErrorSchema, description=ERROR_DESCRIPTIONS[status]
            )(view)
        return view

    return decorate


class SchemaRulesPlugin(BasePlugin):
    """Writes a schema's rules across fields (its ``OPENAPI_RULES``, e.g. an ``anyOf``) into
    its component, next to the fields; the schema checks them itself (``@validates_schema``)."""

    def schema_helper(self, name: str, definition: dict, **kwargs: Any) -> dict | None:
        schema = kwargs.get("schema")
        schema_class = schema if isinstance(schema, type) else type(schema)
        return getattr(schema_class, "OPENAPI_RULES", None)


def nullable_nested(converter: Any, field: fields.Field, ret: dict, **kwargs: Any) -> dict:
    """A nullable nested schema as ``{"allOf": [ref], "nullable": true}``.

    apispec writes ``anyOf: [{"type": "object", "nullable": true}, ref]`` for OpenAPI 3.0,
    whose first branch lets any object through; the request is then refused by the schema.
    An apispec attribute function (``converter`` is apispec's OpenAPIConverter).
    """
    branches = ret.get("anyOf")
    loose = {"type": "object", "nullable": True}
    if field.allow_none and isinstance(branches, list) and loose in branches:
        ret.pop("anyOf")
        return {"allOf": [b for b in branches if b != loose], "nullable": True}
    return {}
