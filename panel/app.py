"""The app factory: configuration, extensions, Celery, and every room wired in.

``ROOMS`` is the one list of features. Each names a package that declares what it brings
(:class:`panel.core.rooms.Room`); ``create_app`` collects their models, blueprints, API
blueprints, tasks, periodic jobs and navigation. This is the only place where ``panel`` names
``touchpoints``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, g, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from notifications.calls import register_call_responder
from notifications.inbound import register_handler
from panel.accounts.passwords import use_cheap_hashing
from panel.accounts.session import init_login
from panel.accounts.tokens import authenticate
from panel.answers.inbound import handle_message
from panel.answers.phone import respond_to_call
from panel.core.api import init_api
from panel.core.assets import init_assets
from panel.core.boundary import init_boundary
from panel.core.celery import celery_init_app
from panel.core.compression import init_compression
from panel.core.config import Settings
from panel.core.errors import register_error_handlers
from panel.core.extensions import babel, csrf, db, limiter, login_manager
from panel.core.i18n import init_template_gettext, select_locale
from panel.core.navigation import init_navigation
from panel.core.rooms import (
    Room,
    beat_schedule,
    import_models,
    load_rooms,
    resolve,
    set_up,
    task_modules,
)
from panel.core.routing import init_routing
from panel.core.scoping import scope_session

HERE = Path(__file__).parent
REMEMBER_DAYS = 30

ROOMS = (
    "panel.organisations",
    "panel.accounts",
    "panel.home",
    "panel.places",
    "panel.contacts",
    "panel.panels",
    "panel.sends",
    "panel.answers",
    "panel.questions",
    "panel.webhooks",
    "panel.language",
    "panel.themes",
    "panel.dev",
    "media",
    "notifications",
    "touchpoints",
    # After every room that seeds answers: its demo opens the threads of every answer.
    "panel.threads",
    # After every answer and thread exists: the demo's report, action plan and newsletter.
    "panel.reports",
    "panel.actions",
    "panel.newsletters",
    "panel.privacy",
)


def create_app(config: Settings | dict[str, Any] | None = None, *, serving: bool = True) -> Flask:
    """Build the Stoop app. ``config`` is a Settings, or overrides of the STOOP_* settings.

    ``serving=False`` builds it for a scripting command, which skips the production start
    checks (see :meth:`Settings.validate`).
    """
    settings = config if isinstance(config, Settings) else Settings.from_env(**(config or {}))
    settings.validate(serving=serving)

    if settings.env == "testing":
        use_cheap_hashing()
    app = Flask("panel", instance_path=settings.instance_dir, instance_relative_config=False)
    _configure_flask(app, settings)
    init_compression(app)  # first: its after-request hook then runs last
    if settings.proxy_count:
        # Behind a load balancer: take the client's address (rate limits, logs) and the
        # scheme from the proxy's headers, trusting exactly as many hops as are configured.
        n = settings.proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    init_routing(app)
    init_boundary(app)
    Path(settings.instance_dir).mkdir(parents=True, exist_ok=True)
    rooms = load_rooms(ROOMS)
    import_models(rooms)

    db.init_app(app, settings.database_url)
    login_manager.init_app(app)
    init_login(login_manager)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    init_template_gettext(app)
    limiter.init_app(app)
    celery_init_app(
        app, settings, task_modules=task_modules(rooms), beat_schedule=beat_schedule(rooms)
    )

    from panel.core.ops.logging import init_request_logging
    from panel.core.ops.metrics import init_metrics

    init_request_logging(app, settings)
    init_metrics(app)
    init_navigation(app, rooms)
    _register_blueprints(app, rooms)
    init_assets(app)  # after the blueprints: it hashes their static folders too
    # An inbound SMS or call recording becomes an answer; a caller hears the question.
    register_handler(app, handle_message)
    register_call_responder(app, respond_to_call)
    set_up(app, rooms)
    # After the blueprints: flask-smorest installs its own HTTPException handler; ours wins.
    register_error_handlers(app)
    _register_request_hooks(app)
    return app


def _configure_flask(app: Flask, settings: Settings) -> None:
    production = settings.is_production
    app.config.update(
        STOOP=settings,
        SECRET_KEY=settings.secret_key,
        TESTING=settings.env == "testing",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        REMEMBER_COOKIE_SECURE=production,
        REMEMBER_COOKIE_HTTPONLY=True,
        # "Keep me logged in" is a credential of its own: same-site only, and for a month,
        # not Flask-Login's default year.
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_DURATION=dt.timedelta(days=REMEMBER_DAYS),
        PERMANENT_SESSION_LIFETIME=60 * 60 * 12,
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE=settings.default_language,
        BABEL_TRANSLATION_DIRECTORIES=str(HERE / "translations"),
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        RATELIMIT_STRATEGY="moving-window",
        RATELIMIT_ENABLED=True,
        # Redis down must not mean "no one can log in": count in this process's memory until
        # it is back (flask-limiter checks again with a growing back-off), and log any other
        # failure of the storage instead of answering 500.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_SWALLOW_ERRORS=True,
        RATELIMIT_STORAGE_OPTIONS=rate_limit_storage_options(settings.redis_url),
        API_TITLE="Stoop API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        PREFERRED_URL_SCHEME="https" if settings.base_url.startswith("https") else "http",
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def rate_limit_storage_options(redis_url: str) -> dict[str, Any]:
    """Options for the rate limits' Redis client: a Redis that hangs (rather than refusing the
    connection) costs a request at most about a second before the in-memory fallback."""
    if not redis_url.startswith(("redis://", "rediss://")):
        return {}
    return {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def _register_blueprints(app: Flask, rooms: list[Room]) -> None:
    from panel.core.ops.views import bp as ops_bp
    from panel.core.pages import init_pages

    init_pages(app)
    app.register_blueprint(ops_bp)
    for room in rooms:
        for target in room.blueprints:
            app.register_blueprint(resolve(target))
        for target in room.csrf_exempt:
            csrf.exempt(resolve(target))
    init_api(app, [blp for room in rooms for blp in room.api], authenticate)


def _register_request_hooks(app: Flask) -> None:
    @app.before_request
    def _scope_to_user_organisation() -> None:
        # Every logged-in page is scoped to the user's organisation before its view runs.
        if request.path.startswith(("/api/", "/static/")):
            return
        if current_user.is_authenticated:
            scope_session(db.session(), current_user.organisation_id)
            g.organisation = current_user.organisation

    policy = content_security_policy(app.config["STOOP"])

    @app.after_request
    def _security_headers(response: Any) -> Any:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Content-Security-Policy", policy)
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def content_security_policy(settings: Settings) -> str:
    """The pages' CSP: no inline script (pages load their scripts as files from /static).
    In s3 mode browsers also talk to the bucket: uploads (presigned POST)
    and the presigned GETs that posters and videos redirect to."""
    bucket = ""
    if settings.media_backend == "s3":
        endpoint = urlsplit(settings.s3_endpoint_url)
        origin = f"{endpoint.scheme}://{endpoint.netloc}" if endpoint.netloc else ""
        bucket = " " + (origin or "https://*.amazonaws.com")
    # script-src is said outright (not left to default-src): scripts only from our own files,
    # never inline ones or event-handler attributes.
    return (
        f"default-src 'self'; script-src 'self'; connect-src 'self'{bucket}; "
        f"img-src 'self' data: blob:{bucket}; "
        f"media-src 'self' blob: https:{bucket}; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    )
