"""The JSON API under /api/v1: flask-smorest blueprints, bearer tokens, one error shape.

flask-smorest because it builds the OpenAPI 3 document from the same marshmallow schemas that
validate requests and serialise responses, and plugs into plain Flask blueprints and the app
factory (APIFlask would replace the Flask class; spectree validates but is thinner on docs).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request
from flask_smorest import Api

from panel.accounts.tokens import authenticate
from panel.api.schemas import ErrorSchema
from panel.errors import error_response
from panel.extensions import csrf, db
from panel.routing import DatabaseIdConverter, id_param_schema
from panel.scoping import scope_session

API_PREFIX = "/api/v1"
PUBLIC_API_PATHS = {f"{API_PREFIX}/openapi.json"}


class StoopApi(Api):
    """flask-smorest's Api, documenting our error body for every error response."""

    ERROR_SCHEMA = ErrorSchema


def init_api(app: Flask) -> Api:
    """Create the Api, its security scheme, and register every resource blueprint."""
    from panel.api.contacts import blp as contacts_blp
    from panel.api.places import blp as places_blp
    from panel.api.questions import blp as questions_blp

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
    for blp, path in (
        (places_blp, "places"),
        (contacts_blp, "contacts"),
        (questions_blp, "questions"),
    ):
        api.register_blueprint(blp, url_prefix=f"{API_PREFIX}/{path}")
        csrf.exempt(blp)
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
    user = authenticate(session, secret.strip())
    if user is None:
        return error_response(401, "unauthorized", "This API token is not valid or was revoked.")
    g.api_user = user
    scope_session(session, user.organisation_id)
    return None
