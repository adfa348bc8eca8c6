"""Domain errors, and the one place that turns errors into responses.

API requests (under ``/api/``) get ``{"error": {"code", "message"}}`` with a 4xx status; pages get
a friendly error page. Nothing a client sends may produce a 500.

A :class:`StoopError` carries a stable ``code`` for programs and a message for people. The
message is a :class:`~panel.core.i18n.LazyText` (``_l(...)``): its id and parameters are kept,
and it is translated where it is shown, in the language of that request (a staff member's own;
the API's ``Accept-Language``, English by default).
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import refresh
from werkzeug.exceptions import HTTPException

from panel.core.field_messages import field_messages_in_our_words
from panel.core.i18n import LANGUAGES, TENANT_LANGUAGES, LazyText, is_tenant_page, rendered

log = logging.getLogger(__name__)


class StoopError(Exception):
    """Base of errors a person should read. ``status`` is the HTTP status they map to.

    ``message`` is text (or a LazyText, translated when read); ``details`` maps fields to their
    messages (LazyText too); ``params`` are the message's parameters, for programs.
    """

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str | LazyText, *, code: str | None = None, details: Any = None
    ) -> None:
        super().__init__(message)
        self.text = message
        if code:
            self.code = code
        self.details = details

    @property
    def message(self) -> str:
        """The message in the language in force where it is read."""
        return str(self.text)

    @message.setter
    def message(self, value: str | LazyText) -> None:
        self.text = value

    @property
    def params(self) -> dict[str, Any]:
        """The message's parameters (empty for a plain-text message)."""
        return dict(self.text.params) if isinstance(self.text, LazyText) else {}

    def __str__(self) -> str:
        return self.message


class ValidationError(StoopError):
    status = 422
    code = "invalid"


class NotFound(StoopError):
    status = 404
    code = "not_found"


class Conflict(StoopError):
    status = 409
    code = "conflict"


class Unauthorized(StoopError):
    """The request's credentials are missing, wrong or no longer valid (an expired API token)."""

    status = 401
    code = "unauthorized"


class Forbidden(StoopError):
    status = 403
    code = "forbidden"


def wants_json() -> bool:
    """True for API routes and clients that ask for JSON."""
    if request.path.startswith(("/api/", "/hooks/")):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_response(
    status: int, code: str, message: str | LazyText, details: Any = None
) -> Response:
    """The JSON error body every API route uses (messages translated for this request)."""
    body: dict[str, Any] = {"code": code, "message": str(message)}
    if details:
        body["details"] = rendered(details)
    response = jsonify({"error": body})
    response.status_code = status
    return response


HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    422: "invalid",
    429: "rate_limited",
    503: "unavailable",
}

# Seconds a client is asked to wait when the database cannot be reached.
RETRY_AFTER_SECONDS = 30


def _friendly_message(exc: HTTPException) -> str:
    messages = {
        400: _("The request could not be understood. Check the form and try again."),
        401: _("Please log in first."),
        403: _("You do not have access to this."),
        404: _("We could not find that page. It may have been moved or removed."),
        405: _("That action is not possible here."),
        413: _("That file or request is too large."),
        429: _("Too many attempts. Wait a minute and try again."),
    }
    return messages.get(exc.code or 500, exc.description or _("Something went wrong."))


def summarise_field_errors(messages: Any, limit: int = 3) -> str:
    """webargs' nested messages as one line: "email: Not a valid string. limit: Must be…"."""
    found: list[str] = []

    def walk(value: Any, path: list[str]) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                # The first level names where the value was (json, query): not worth saying.
                walk(inner, path if not path and key in LOCATIONS else [*path, str(key)])
        elif isinstance(value, list) and all(isinstance(v, str | LazyText) for v in value):
            found.append(f"{'.'.join(path) or 'body'}: {' '.join(str(v) for v in value)}")
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(inner, [*path, str(index)])
        else:
            found.append(f"{'.'.join(path) or 'body'}: {value}")

    walk(messages, [])
    if not found:
        return _("see details.")
    more = len(found) - limit
    summary = " ".join(found[:limit])
    return summary + " " + _("(and %(more)s more, see details)", more=more) if more > 0 else summary


def _json_http_error(exc: HTTPException, status: int) -> Response:
    messages = {
        404: _("Not found."),
        405: _("This method is not allowed here; the Allow header lists those that are."),
        413: _("The request body is too large."),
    }
    message = messages.get(status, exc.description or "")
    data = getattr(exc, "data", None)
    details = None
    if isinstance(data, dict) and "messages" in data:
        details = field_messages_in_our_words(data["messages"])
        message = _(
            "The request is not valid: %(problems)s", problems=summarise_field_errors(details)
        )
    return error_response(status, HTTP_CODES.get(status, "error"), message, details)


LOCATIONS = {"json", "query", "querystring", "form", "files", "headers", "cookies", "view_args"}


# The pages tenants see (no login): their errors keep the tenant pages' plain look, and offer
# no way into the staff app.
TENANT_BLUEPRINTS = frozenset(
    {"sends_public", "touchpoints_public", "answers_public", "panels_public", "unsubscribe"}
)


def _error_page(status: int, message: Any) -> str:
    tenant = request.blueprint in TENANT_BLUEPRINTS
    return render_template("error.html", status=status, message=message, tenant=tenant)


def register_error_handlers(app: Flask) -> None:
    """Install the handlers that keep every error a clear 4xx (or a logged 500)."""

    @app.errorhandler(StoopError)
    def _stoop_error(exc: StoopError) -> Any:
        if wants_json():
            return error_response(exc.status, exc.code, exc.message, exc.details)
        return _error_page(exc.status, exc.message), exc.status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        if wants_json():
            response = _json_http_error(exc, status)
        else:
            page = _error_page(status, _friendly_message(exc))
            response = app.make_response((page, status))
        # What the exception says in headers stays (Allow on a 405, Retry-After on a 429).
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(sa.exc.DBAPIError)
    @app.errorhandler(sa.exc.TimeoutError)
    def _database_error(exc: Exception) -> Any:
        if not database_unavailable(exc):
            return _unexpected(exc)
        # One line, no traceback: during an outage every request would log the same one.
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        log.error("database unavailable: %s", reason[0] if reason else type(exc).__name__)
        return unavailable_response()

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        log.exception("unhandled error")
        if wants_json():
            return error_response(500, "server_error", _("Something went wrong on our side."))
        message = _("Something went wrong on our side. Please try again in a moment.")
        return _error_page(500, message), 500


def database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says the database cannot be reached or used right now (down, dropped,
    unreadable, out of connections, locked), rather than that our SQL is wrong."""
    if isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)):
        return True
    return isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated


def unavailable_response() -> Any:
    """503 with Retry-After: JSON for API clients, else a page that needs no database.

    The page shows no navigation and takes the language from the browser, because the
    logged-in header and the user's own language would both ask the database again.
    """
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    # Flask-Login loads the user again wherever ``current_user`` is read (every template's
    # context): settle it as anonymous for the rest of this request, so the page renders.
    # The session cookie is left alone: the person is still logged in once the database is back.
    login_manager = getattr(current_app, "login_manager", None)
    if login_manager is not None and "_login_user" not in g:
        g._login_user = login_manager.anonymous_user()
    if "locale" not in g:
        default = current_app.config["STOOP"].default_language
        languages = TENANT_LANGUAGES if is_tenant_page() else LANGUAGES
        g.locale = request.accept_languages.best_match(languages) or default
        refresh()
    message = _("The service is briefly unavailable. Please try again in a minute.")
    if wants_json():
        response = error_response(503, "unavailable", message)
        response.headers.update(headers)
        return response
    retry_url = request.full_path.rstrip("?") if request.method == "GET" else None
    html = render_template("unavailable.html", message=message, retry_url=retry_url)
    return html, 503, headers
