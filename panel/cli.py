"""The ``stoop`` command: demo, serve, worker, beat, db upgrade, org/user/token create."""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from flask import Flask

from panel.core.errors import StoopError
from panel.core.scoping import scoped_to


def _app(*, serving: bool = True, **overrides: Any) -> Flask:
    """The app for a command; ``serving=False`` for scripting commands, which serve no one and
    so run against any database (the demo's too) without the production start checks."""
    from panel.app import create_app
    from panel.core.config import ConfigError

    try:
        return create_app(overrides, serving=serving)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


# The speech and language models that install with Stoop ("module:Manifest").
BUNDLED_MODELS = ("media.transcribe:WHISPER_BASE", "panel.themes.embeddings:E5_SMALL")


def _settings_url(app: Flask) -> str:
    return app.config["STOOP"].database_url


@click.group()
def main() -> None:
    """Stoop: video-question panels for housing companies."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Migrate and seed, then exit.")
def demo(host: str, port: int, no_serve: bool) -> None:
    """Migrate, seed the demo organisation (once), print its logins and serve."""
    from panel.core.migrate import upgrade
    from panel.seed import DEMO_LOGINS, seed_demo

    env = os.environ.get("STOOP_ENV", "development")
    app = _app(env=env, base_url=os.environ.get("STOOP_BASE_URL", f"http://{host}:{port}"))
    upgrade(_settings_url(app))
    with app.app_context():
        created = seed_demo()
    click.echo("")
    click.echo("Stoop demo " + ("seeded" if created else "already seeded") + ". Log in with:")
    for role, email, password in DEMO_LOGINS:
        click.echo(f"  {role:<13} {email:<32} password: {password}")
    click.echo(f"\nOpen http://{host}:{port}/login\n")
    sys.stdout.flush()
    if not no_serve:
        with app.app_context():
            from media.tasks import queue_waiting_transcripts

            # The seeded clips' transcripts are written while the demo serves, and the seeded
            # answers are read for their themes.
            queue_waiting_transcripts()
            _read_seeded_answers()
        _serve(app, host, port)


def _read_seeded_answers() -> None:
    """Hand every seeded answer with words to the speech worker for its themes (the demo seed
    stores answers without the task the answer form queues)."""
    import sqlalchemy as sa

    from panel.answers.models import Answer
    from panel.core.celery import dispatch
    from panel.core.db import get_session
    from panel.core.scoping import all_organisations
    from panel.themes import analysis
    from panel.themes.models import AnswerAnalysis
    from panel.themes.tasks import analyse_answer

    if not analysis.is_on(current_settings()):
        return
    session = get_session()
    with all_organisations(session):
        unread = session.scalars(
            sa.select(Answer.id)
            .outerjoin(AnswerAnalysis, AnswerAnalysis.answer_id == Answer.id)
            .where(AnswerAnalysis.answer_id.is_(None))
            .order_by(Answer.id)
        ).all()
    for answer_id in unread:
        dispatch(analyse_answer, answer_id)


def current_settings() -> Any:
    from flask import current_app

    return current_app.config["STOOP"]


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the app with a threaded development server (production: gunicorn, see Procfile)."""
    _serve(_app(), host, port)


def _serve(app: Flask, host: str, port: int) -> None:
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True, use_reloader=False)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def worker(ctx: click.Context) -> None:
    """Run a Celery worker (extra arguments go to Celery, e.g. ``-c 8``)."""
    app = _app()
    if not app.config["STOOP"].broker_url:
        raise click.ClickException(
            "STOOP_BROKER_URL is not set: tasks run inside the web process, no worker is needed."
        )
    celery = app.extensions["celery"]
    args = ["worker", "--loglevel=INFO", "-P", "threads", "-c", "8", *ctx.args]
    celery.worker_main(args)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def beat(ctx: click.Context) -> None:
    """Run Celery beat, the scheduler of periodic jobs (run exactly one)."""
    app = _app()
    if not app.config["STOOP"].broker_url:
        raise click.ClickException("STOOP_BROKER_URL is not set: beat needs a broker.")
    schedule = os.path.join(app.config["STOOP"].instance_dir, "celerybeat-schedule")
    app.extensions["celery"].start(["beat", "--loglevel=INFO", "-s", schedule, *ctx.args])


@main.command()
@click.option(
    "--models-dir", help="Where to join them (default: STOOP_MODELS_DIR or the instance's models/)."
)
def models(models_dir: str | None) -> None:
    """Join the bundled speech and language models and check every file against its published
    SHA-256 (the workers do the same before loading one; this does it ahead of time)."""
    from pathlib import Path

    from panel.core.config import Settings
    from panel.core.model_files import ModelRefused, materialise
    from panel.core.model_files import models_dir as default_models_dir
    from panel.core.rooms import resolve

    settings = Settings.from_env()
    folder = Path(models_dir) if models_dir else default_models_dir(settings)
    for target in BUNDLED_MODELS:
        manifest = resolve(target)
        try:
            path = materialise(manifest, folder)
        except ModelRefused as exc:
            raise click.ClickException(str(exc)) from exc
        size = sum(f.size for f in manifest.files.values()) / 1e6
        click.echo(
            f"{manifest.name}: {len(manifest.files)} files, {size:.0f} MB, match {manifest.source} "
            f"({path})"
        )
    _check_translation_models(settings)


def _check_translation_models(settings: Any) -> None:
    """Check and load every translation direction an IT person installed (docs/translation.md),
    as the app does before using one; a folder that fails stops the command with the reason."""
    from panel.core.model_files import ModelRefused
    from panel.language import engine

    installed = engine.directions(settings)
    if not installed:
        click.echo(
            "translation: no models installed (STOOP_TRANSLATION_MODELS_DIR); pages say so "
            "beside every answer in another language. See docs/translation.md."
        )
        return
    for (source, target), folder in sorted(installed.items()):
        try:
            engine.load(folder, settings.speech_threads)
        except ModelRefused as exc:
            raise click.ClickException(str(exc)) from exc
        size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file()) / 1e6
        click.echo(f"{source}-{target}: {size:.1f} MB, matches its SHA256SUMS, loads ({folder})")


@main.group()
def db() -> None:
    """Database commands."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from panel.core.migrate import upgrade

    app = _app(serving=False)
    upgrade(_settings_url(app), revision)
    click.echo(f"Database at {revision}.", err=True)


@main.group()
def org() -> None:
    """Organisations."""


@org.command("create")
@click.argument("name")
@click.option("--language", type=click.Choice(["sv", "nl", "en"]), default="sv")
def org_create(name: str, language: str) -> None:
    """Create an organisation and print its slug."""
    from panel.core.extensions import db as database
    from panel.organisations.service import create_organisation

    app = _app(serving=False)
    with app.app_context():
        session = database.session()
        try:
            organisation = create_organisation(session, name, language)
        except StoopError as exc:
            raise click.ClickException(exc.message) from exc
        session.commit()
        click.echo(organisation.slug)


@main.group()
def user() -> None:
    """Staff accounts."""


@user.command("create")
@click.option("--org", "org_slug", required=True, help="The organisation's slug.")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(["admin", "staff", "communicator"]), required=True)
@click.option("--name", default="")
@click.option("--password", default=None, help="Prompted for when not given.")
def user_create(org_slug: str, email: str, role: str, name: str, password: str | None) -> None:
    """Create a staff account in an organisation."""
    from panel.accounts.service import create_user
    from panel.core.extensions import db as database
    from panel.organisations.service import find_organisation

    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    app = _app(serving=False)
    with app.app_context():
        session = database.session()
        organisation = find_organisation(session, org_slug)
        if organisation is None:
            raise click.ClickException(f"No organisation with the slug '{org_slug}'.")
        with scoped_to(session, organisation.id):
            try:
                account = create_user(session, organisation, email, role, password, name=name)
            except StoopError as exc:
                raise click.ClickException(exc.message) from exc
            session.commit()
        click.echo(
            f"Created {account.role.value} {account.email} in {organisation.slug}.", err=True
        )


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.option("--email", required=True, help="The staff account the token acts as.")
@click.option("--name", default="cli", help="A label to recognise the token by.")
@click.option("--days", default=90, show_default=True, help="Days until it expires; 0: never.")
def token_create(email: str, name: str, days: int) -> None:
    """Create an API token and print it (and nothing else)."""
    from panel.accounts.service import find_user_by_email
    from panel.accounts.tokens import create_token
    from panel.core.extensions import db as database

    app = _app(serving=False)
    with app.app_context():
        session = database.session()
        account = find_user_by_email(session, email)
        if account is None or not account.is_active:
            raise click.ClickException(f"No active account for {email}.")
        with scoped_to(session, account.organisation_id):
            _row, secret = create_token(session, account, name, days=max(days, 0))
            session.commit()
    click.echo(secret)


if __name__ == "__main__":  # pragma: no cover
    main()
