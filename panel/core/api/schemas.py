"""Schemas every API resource shares: the error body, safe text, and documented error responses.

Resources document their errors with :func:`error_responses`, so the OpenAPI document says,
for each operation, which 4xx answers it gives and that each has the one error shape
``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields

ERROR_DESCRIPTIONS = {
    400: "The request could not be read.",
    401: "No API token, or a token that is not valid.",
    403: "The token's user may not do this.",
    404: "No such resource in your organisation.",
    409: "The change conflicts with what is stored (e.g. a duplicate).",
    413: "The request body is too large.",
    422: "A field is missing or not valid; `details` says which.",
}


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


class Text(fields.String):
    """A string that refuses NUL characters (PostgreSQL cannot store them)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("Must not contain NUL characters.")
        return text


def error_responses(blp: Blueprint, *statuses: int) -> Callable[[Any], Any]:
    """Document the given error statuses (and 401, which every API call can answer)."""

    def decorate(view: Any) -> Any:
        for status in sorted({401, *statuses}, reverse=True):
            view = blp.alt_response(
                status, schema=ErrorSchema, description=ERROR_DESCRIPTIONS[status]
            )(view)
        return view

    return decorate
