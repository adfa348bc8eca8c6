"""The JSON API under /api/v1: flask-smorest blueprints, bearer tokens, one error shape.

flask-smorest because it builds the OpenAPI 3 document from the same marshmallow schemas that
validate requests and serialise responses, and plugs into plain Flask blueprints and the app
factory (APIFlask would replace the Flask class; spectree validates but is thinner on docs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, current_app, g, request
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from sqlalchemy.orm import Session
from webargs.core import missing
from webargs.flaskparser import FlaskParser

from panel.core.api.schemas import ErrorSchema, SchemaRulesPlugin, nullable_nested
from panel.core.errors import StoopError, Unauthorized, error_response
from panel.core.extensions import csrf, db
from panel.core.i18n import lazy_text as _l
from panel.core.rooms import ApiBlueprint, resolve
from panel.core.routing import DatabaseIdConverter, id_param_schema
from panel.core.scoping import scope_session

API_PREFIX = "/api/v1"
PUBLIC_API_PATHS = {f"{API_PREFIX}/openapi.json"}


class StoopApi(Api):
    """flask-smorest's Api, documenting our error body for every error response.

    No catch-all ``default`` response: each operation lists the statuses it can answer.
    """

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None


class JsonBodyParser(FlaskParser):
    """webargs' parser, except that an operation that takes a JSON body needs one: no body
    (or one sent as another type) is a 400, not an empty object that a PATCH would accept."""

    def load_json(self, req: Any, schema: Any) -> Any:
        data = super().load_json(req, schema)
        if data is missing:
            raise StoopError(
                _l("Send a JSON body with the header Content-Type: application/json."),
                code="json_body_required",
            )
        return data


class Blueprint(SmorestBlueprint):
    """The blueprint every API resource uses (a flask-smorest Blueprint that needs bodies)."""

    ARGUMENTS_PARSER = JsonBodyParser()


def init_api(
    app: Flask,
    blueprints: Iterable[ApiBlueprint],
    authenticate: Callable[[Session, str], Any],
) -> Api:
    """Create the Api and its security scheme, mount every room's API blueprint, and check
    each request's bearer token with ``authenticate(session, secret)`` (a user or None)."""
    api = StoopApi(
        app,
        spec_kwargs={
            "info": {
                "description": "Stoop's API. Authenticate with `Authorization: Bearer <token>`; "
                "create a token under Settings → API tokens or with `stoop token create`. "
                'Errors are `{"error": {"code": "...", "message": "...", "details": {...}}}` '
                "with a 4xx status: 401 a missing, unknown or revoked token (`unauthorized`) or "
                "an expired one (`token_expired`: tokens last 30, 90 or 365 days, or for ever, "
                "as chosen when made), "
                "400 a request that cannot be read, 422 one this document "
                "forbids, 404 a URL naming nothing of yours, 409 one that conflicts with what "
                "is stored. `code` is stable; `message` and `details` are for people, in the "
                "language of `Accept-Language` (en, sv, nl; English without one). Ids are "
                "whole numbers from 1 to 2147483647."
            },
            "servers": [{"url": "/"}],
            "extra_plugins": [SchemaRulesPlugin()],
        },
    )
    api.ma_plugin.converter.add_attribute_function(nullable_nested)
    api.register_converter(DatabaseIdConverter, id_param_schema)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearerAuth": []}]
    for declared in blueprints:
        blp = resolve(declared.target)
        api.register_blueprint(blp, url_prefix=f"{API_PREFIX}/{declared.prefix}")
        csrf.exempt(blp)
    app.extensions["stoop.api_authenticate"] = authenticate
    app.before_request(_authenticate_api_request)
    app.extensions["stoop.api"] = api
    return api


def _authenticate_api_request() -> Any:
    if not request.path.startswith(API_PREFIX + "/") or request.path in PUBLIC_API_PATHS:
        return None
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return _unauthorized(
            _l(
                "Send an API token as “Authorization: Bearer <token>”. "
                "Create one under Settings → API tokens."
            )
        )
    session = db.session()
    try:
        user = current_app.extensions["stoop.api_authenticate"](session, secret.strip())
    except Unauthorized as exc:  # e.g. an expired token: its own code and message
        return _unauthorized(exc.text, exc.code)
    if user is None:
        return _unauthorized(_l("This API token is not valid or was revoked."))
    g.api_user = user
    scope_session(session, user.organisation_id)
    return None


def _unauthorized(message: Any, code: str = "unauthorized") -> Any:
    response = error_response(401, code, message)
    response.headers["WWW-Authenticate"] = "Bearer"
    return response
