"""Settings: read from STOOP_* variables with the embedded defaults; unsafe starts refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from panel.core.config import DEFAULT_SECRET_KEY, ConfigError, Settings

GOOD_KEY = "k" * 40
PG = "postgresql://stoop@db.internal/stoop"


def settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env(environ={"STOOP_INSTANCE_DIR": str(tmp_path), **env})


def test_embedded_defaults_live_in_the_instance_folder(tmp_path: Path) -> None:
    s = settings(tmp_path)

    assert s.env == "production"
    assert s.database_url == f"sqlite:///{tmp_path.resolve() / 'stoop.sqlite3'}"
    assert s.media_dir == str(tmp_path.resolve() / "media")
    assert s.outbox_dir == str(tmp_path.resolve() / "outbox")
    assert s.broker_url == "" and s.media_backend == "local"
    assert s.email_outbox and s.sms_outbox and s.uses_sqlite


def test_variables_are_read_and_typed(tmp_path: Path) -> None:
    s = settings(
        tmp_path,
        STOOP_ENV="development",
        STOOP_SECRET_KEY=GOOD_KEY,
        STOOP_BASE_URL="https://panel.example.org/",
        STOOP_DATABASE_URL=PG,
        STOOP_BROKER_URL="redis://127.0.0.1:6379/3",
        STOOP_MEDIA_BACKEND="s3",
        STOOP_S3_BUCKET="clips",
        STOOP_SMTP_URL="smtp://127.0.0.1:2525",
        STOOP_TWILIO_ACCOUNT_SID="AC123",
        STOOP_TWILIO_AUTH_TOKEN="secret",
        STOOP_MAX_UPLOAD_MB="12",
        STOOP_ALLOW_INSECURE="yes",
        STOOP_LOG_JSON="0",
    )

    assert s.env == "development" and s.secret_key == GOOD_KEY
    assert s.base_url == "https://panel.example.org"  # trailing slash dropped
    assert s.database_url == "postgresql+psycopg://stoop@db.internal/stoop"  # psycopg 3 driver
    assert s.redis_url == "redis://127.0.0.1:6379/3"  # rate limits follow a Redis broker
    assert s.media_backend == "s3" and s.s3_bucket == "clips"
    assert not s.email_outbox and not s.sms_outbox and not s.uses_sqlite
    assert s.max_upload_mb == 12
    assert s.allow_insecure is True and s.log_json is False


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("TRUE", True), ("on", True), ("0", False), ("no", False), ("", False)],
)
def test_booleans(tmp_path: Path, raw: str, expected: bool) -> None:
    assert settings(tmp_path, STOOP_TASKS_INLINE=raw).tasks_inline is expected


def test_a_rabbitmq_broker_does_not_become_the_rate_limit_store(tmp_path: Path) -> None:
    s = settings(tmp_path, STOOP_BROKER_URL="amqp://guest@127.0.0.1:5672//")
    assert s.redis_url == ""


def test_overrides_win_over_the_environment(tmp_path: Path) -> None:
    s = Settings.from_env(
        environ={"STOOP_ENV": "production", "STOOP_INSTANCE_DIR": str(tmp_path)}, env="testing"
    )
    assert s.env == "testing"


def test_a_bad_number_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="STOOP_MAX_UPLOAD_MB must be a whole number"):
        settings(tmp_path, STOOP_MAX_UPLOAD_MB="lots")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"STOOP_ENV": "staging"}, "STOOP_ENV must be production, development or testing"),
        ({"STOOP_MEDIA_BACKEND": "ftp"}, "STOOP_MEDIA_BACKEND must be 'local' or 's3'"),
        ({"STOOP_MEDIA_BACKEND": "s3"}, "STOOP_MEDIA_BACKEND=s3 needs STOOP_S3_BUCKET"),
        ({"STOOP_DEFAULT_LANGUAGE": "de"}, "STOOP_DEFAULT_LANGUAGE must be en, sv or nl"),
    ],
)
def test_malformed_settings_are_refused(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings(tmp_path, **{"STOOP_ENV": "development", **env}).validate()


def test_production_refuses_the_default_key_and_sqlite(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path).validate()

    message = str(caught.value)
    assert "refuses to start in production" in message
    assert "STOOP_SECRET_KEY" in message and "PostgreSQL" in message
    assert "STOOP_ALLOW_INSECURE=1" in message  # says how to proceed anyway


def test_production_refuses_a_short_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="STOOP_SECRET_KEY"):
        settings(tmp_path, STOOP_SECRET_KEY="short", STOOP_DATABASE_URL=PG).validate()


def test_production_with_a_real_key_and_postgresql_starts(tmp_path: Path) -> None:
    settings(tmp_path, STOOP_SECRET_KEY=GOOD_KEY, STOOP_DATABASE_URL=PG).validate()


def test_allow_insecure_lets_production_start(tmp_path: Path) -> None:
    s = settings(tmp_path, STOOP_ALLOW_INSECURE="1")
    assert s.secret_key == DEFAULT_SECRET_KEY and s.uses_sqlite
    s.validate()


@pytest.mark.parametrize("env", ["development", "testing"])
def test_development_and_testing_accept_the_embedded_defaults(tmp_path: Path, env: str) -> None:
    settings(tmp_path, STOOP_ENV=env).validate()
