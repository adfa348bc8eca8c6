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
from sqlalchemy.orm import Session

from panel.core.api.schemas import ErrorSchema
from panel.core.errors import error_response
from panel.core.extensions import csrf, db
from panel.core.rooms import ApiBlueprint, resolve
from panel.core.routing import DatabaseIdConverter, id_param_schema
from panel.core.scoping import scope_session

API_PREFIX = "/api/v1"
PUBLIC_API_PATHS = {f"{API_PREFIX}/openapi.json"}


class StoopApi(Api):
    """flask-smorest's Api, documenting our error body for every error response."""

    ERROR_SCHEMA = ErrorSchema


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
                'Errors are `{"error": {"code": "...", "message": "..."}}` with a 4xx status.'
            },
            "servers": [{"url": "/"}],
        },
    )
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
        return error_response(
            401,
            "unauthorized",
            "Send an API token as 'Authorization: Bearer <token>'. "
            "Create one under Settings → API tokens.",
        )
    session = db.session()
    user = current_app.extensions["stoop.api_authenticate"](session, secret.strip())
    if user is None:
        return error_response(401, "unauthorized", "This API token is not valid or was revoked.")
    g.api_user = user
    scope_session(session, user.organisation_id)
    return None
