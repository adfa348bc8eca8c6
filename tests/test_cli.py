"""The real `stoop` command, run as a subprocess against a temporary SQLite database."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from panel.accounts.models import Role, User
from panel.accounts.passwords import verify_password
from panel.core.extensions import db
from tests.conftest import free_port

STOOP = str(Path(sys.executable).parent / "stoop")
PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a fresh instance: development, SQLite in a temporary folder."""
    instance = tmp_path_factory.mktemp("cli") / "instance"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOOP_")}
    env.update(
        STOOP_ENV="development",
        STOOP_INSTANCE_DIR=str(instance),
        STOOP_DATABASE_URL=f"sqlite:///{instance / 'stoop.sqlite3'}",
        STOOP_LOG_JSON="0",
    )
    return env


def stoop(
    *args: str, env: dict[str, str], stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `stoop ARGS` without a terminal (so prompts read stdin); returns the finished run."""
    return subprocess.run(
        [STOOP, *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        start_new_session=True,  # no controlling terminal: getpass falls back to stdin
        check=False,
    )


def ok(run: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert run.returncode == 0, f"exit {run.returncode}\nstdout: {run.stdout}\nstderr: {run.stderr}"
    return run


@pytest.fixture(scope="module")
def org_slug(cli_env: dict[str, str]) -> str:
    """`stoop db upgrade`, then `stoop org create "Test Hus"` on the new database."""
    ok(stoop("db", "upgrade", env=cli_env))
    run = ok(stoop("org", "create", "Test Hus", env=cli_env))
    return run.stdout.strip()


def test_org_create_prints_only_the_slug(org_slug: str, cli_env: dict[str, str]) -> None:
    assert org_slug == "test-hus"
    again = ok(stoop("org", "create", "Test Hus", env=cli_env))
    assert re.fullmatch(r"test-hus-[0-9a-f]{4}\n", again.stdout), again.stdout


def _user(app: Flask, email: str) -> User | None:
    with app.app_context():
        return db.session().scalar(
            sa.select(User).where(User.email == email).execution_options(all_organisations=True)
        )


@pytest.fixture
def cli_app(cli_env: dict[str, str], make_app: Callable[..., Flask]) -> Flask:
    """An app on the CLI's database, to look at what the commands wrote."""
    return make_app(database_url=cli_env["STOOP_DATABASE_URL"])


def test_user_create_with_password(org_slug: str, cli_env: dict[str, str], cli_app: Flask) -> None:
    run = ok(
        stoop(
            "user", "create", "--org", org_slug, "--email", "Admin@Example.org",
            "--role", "admin", "--password", PASSWORD,
            env=cli_env,
        )
    )  # fmt: skip

    assert run.stdout == ""
    user = _user(cli_app, "admin@example.org")
    assert user is not None and user.role == Role.ADMIN
    assert verify_password(user.password_hash, PASSWORD)


def test_user_create_prompts_for_the_password(
    org_slug: str, cli_env: dict[str, str], cli_app: Flask
) -> None:
    email = "staff@example.org"
    run = ok(
        stoop(
            "user", "create", "--org", org_slug, "--email", email, "--role", "staff",
            env=cli_env, stdin=f"{PASSWORD}\n{PASSWORD}\n",
        )
    )  # fmt: skip

    assert "Password" in run.stdout + run.stderr
    user = _user(cli_app, email)
    assert user is not None and user.role == Role.STAFF
    assert verify_password(user.password_hash, PASSWORD)


def test_user_create_in_unknown_org_fails_clearly(cli_env: dict[str, str]) -> None:
    run = stoop(
        "user", "create", "--org", "no-such-org", "--email", "x@example.org",
        "--role", "staff", "--password", PASSWORD,
        env=cli_env,
    )  # fmt: skip

    assert run.returncode != 0
    assert "No organisation with the slug 'no-such-org'" in run.stderr
    assert "Traceback" not in run.stderr


def test_user_create_refuses_a_short_password(org_slug: str, cli_env: dict[str, str]) -> None:
    run = stoop(
        "user", "create", "--org", org_slug, "--email", "short@example.org",
        "--role", "staff", "--password", "short",
        env=cli_env,
    )  # fmt: skip

    assert run.returncode != 0
    assert "at least" in run.stderr and "Traceback" not in run.stderr


def test_token_create_prints_a_working_token(
    org_slug: str, cli_env: dict[str, str], cli_app: Flask
) -> None:
    email = "api@example.org"
    ok(
        stoop(
            "user", "create", "--org", org_slug, "--email", email, "--role", "admin",
            "--password", PASSWORD, env=cli_env,
        )
    )  # fmt: skip

    run = ok(stoop("token", "create", "--email", email, env=cli_env))

    assert re.fullmatch(r"stp_[A-Za-z0-9_-]{20,}\n", run.stdout), run.stdout
    secret = run.stdout.strip()
    client = cli_app.test_client()
    good = client.get("/api/v1/places/", headers={"Authorization": f"Bearer {secret}"})
    bad = client.get("/api/v1/places/", headers={"Authorization": "Bearer stp_wrong"})
    assert good.status_code != 401, good.get_data(as_text=True)
    assert bad.status_code == 401


def test_token_create_for_unknown_account_fails_clearly(cli_env: dict[str, str]) -> None:
    run = stoop("token", "create", "--email", "nobody@example.org", env=cli_env)

    assert run.returncode != 0
    assert run.stdout == ""
    assert "No active account for nobody@example.org" in run.stderr


def test_worker_without_broker_says_why(cli_env: dict[str, str]) -> None:
    run = stoop("worker", env=cli_env)

    assert run.returncode != 0
    assert "STOOP_BROKER_URL is not set" in run.stderr
    assert "Traceback" not in run.stderr


def test_production_start_with_default_secret_refuses(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "STOOP_ENV": "production"}

    run = stoop("serve", "--port", str(free_port()), env=env)

    assert run.returncode != 0
    assert "refuses to start in production" in run.stderr
    assert "STOOP_SECRET_KEY" in run.stderr
    assert "Traceback" not in run.stderr


def test_production_start_allowed_when_insecure_is_accepted(cli_env: dict[str, str]) -> None:
    port = free_port()
    env = {**cli_env, "STOOP_ENV": "production", "STOOP_ALLOW_INSECURE": "1"}
    process = subprocess.Popen(
        [STOOP, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert _serves(f"http://127.0.0.1:{port}/healthz", process), (
            process.stderr.read() if process.poll() is not None and process.stderr else ""
        )
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


def _serves(url: str, process: subprocess.Popen[str], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except OSError:
            time.sleep(0.2)
    return False


def _readme_scripting_commands() -> list[str]:
    """The commands of the README's "Scripting" block, as a reader would copy them."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    block = readme.split("### Scripting", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


@pytest.mark.once
def test_readme_scripting_commands_work_next_to_the_demo(tmp_path: Path) -> None:
    """`make demo` runs `stoop demo` in the checkout; the README's commands then run there as
    written, with no STOOP_ENV, while a production start in the same folder stays guarded."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOOP_")}
    env["STOOP_LOG_JSON"] = "0"
    # The demo's clips would be transcribed before the command exits: not what this is about.
    env["STOOP_TRANSCRIBER"] = "none"

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [STOOP, *args], cwd=tmp_path, env=env, input=stdin, capture_output=True,
            text=True, timeout=120, start_new_session=True, check=False,
        )  # fmt: skip

    ok(run("demo", "--no-serve"))
    commands = _readme_scripting_commands()
    assert [c.split()[:3] for c in commands] == [
        ["stoop", "org", "create"],
        ["stoop", "user", "create"],
        ["stoop", "token", "create"],
    ]
    outputs = [
        ok(run(*shlex.split(command)[1:], stdin=f"{PASSWORD}\n{PASSWORD}\n")).stdout
        for command in commands
    ]

    slug, secret = outputs[0].strip(), outputs[2].strip()
    assert slug in commands[1], "the README's user create names the slug org create prints"
    assert re.fullmatch(r"stp_[A-Za-z0-9_-]{20,}", secret)
    guarded = run("serve", "--port", str(free_port()))
    assert guarded.returncode != 0 and "refuses to start in production" in guarded.stderr
