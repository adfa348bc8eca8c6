"""Configuration: one Settings class reading STOOP_* variables, with the embedded defaults.

Every other module reads configuration from ``app.config["STOOP"]`` (a :class:`Settings`), never
from the environment, so the whole surface is documented in one place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any

DEFAULT_SECRET_KEY = "stoop-insecure-development-key"  # noqa: S105 - refused in production


class ConfigError(RuntimeError):
    """Raised when a production start would be unsafe or a setting is malformed."""


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class Settings:
    """All of Stoop's settings. Field names map to ``STOOP_<NAME>`` environment variables."""

    env: str = "production"  # production | development | testing
    secret_key: str = DEFAULT_SECRET_KEY
    base_url: str = "http://127.0.0.1:5000"
    instance_dir: str = ""
    database_url: str = ""  # empty: SQLite file in the instance folder
    broker_url: str = ""  # empty: tasks run in-process
    redis_url: str = ""  # rate limits; defaults to broker_url when that is Redis
    media_backend: str = "local"
    media_dir: str = ""
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = "us-east-1"
    smtp_url: str = ""  # empty: e-mail is written as .eml files to the outbox folder
    mail_from: str = "Stoop <no-reply@stoop.localhost>"
    outbox_dir: str = ""
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from: str = ""
    twilio_api_base: str = ""
    inbound_email_secret: str = ""  # empty: /hooks/email/inbound is off (404)
    inbound_email_max_mb: int = 30  # the largest raw e-mail it takes (attachments included)
    claim_lease_seconds: int = 60  # a claimed batch (outbox) is another worker's once this runs out
    # SMS handed to Twilio per second per sender number, across all workers; 0: no cap.
    sms_per_second: float = 1.0
    proxy_count: int = 0  # reverse proxies in front that set X-Forwarded-For/-Proto/-Host
    allow_insecure: bool = False  # let a production start use SQLite or the default key
    max_upload_mb: int = 60  # request bodies other than media uploads (CSV imports)
    media_max_upload_mb: int = 500  # one audio or video upload
    media_max_duration_seconds: int = 120  # default limit of a clip; a caller may set its own
    media_keep_original: bool = False  # keep the uploaded original once the renditions are ready
    # Speech to text, offline: faster-whisper with the Whisper base model that installs with
    # Stoop (checked against its published hashes), or none. A bigger model (Whisper small, a
    # Swedish-tuned one) is a folder installed on this machine with its SHA256SUMS beside it.
    transcriber: str = "faster_whisper"  # faster_whisper | none
    transcriber_model_dir: str = ""  # empty: the bundled Whisper base
    models_dir: str = ""  # where bundled models are joined and checked; empty: <instance>/models
    speech_threads: int = 2  # CPU threads one transcription, translation or embedding uses
    # Themes in open answers: sentence embeddings of every answer with words (the multilingual
    # e5 model that installs with Stoop, checked against its pinned hash), or none; and
    # sentiment per answer from word lists, for the languages that have one.
    embedder: str = "e5_small"  # e5_small | none
    sentiment: bool = True
    # Machine translation, offline: a folder holding one OPUS-MT model per direction converted
    # for CTranslate2 (``sv-en``, ``en-sv``…), each with its SHA256SUMS; empty: no translation
    # models (pages say so). No model ships with Stoop: none is published on a package registry.
    translation_models_dir: str = ""
    # A session without a request for this long is logged out (not one kept by "Keep me logged
    # in", which the person chose on a device of their own); 0: never.
    session_idle_minutes: int = 60
    login_rate_limit: str = "10 per minute;50 per hour"  # failed attempts per address
    # Failed logins to one account from browsers that never logged in to it, all together.
    login_account_rate_limit: str = "10 per 15 minutes;30 per day"
    # Failed logins to one account from one browser that has logged in to it before.
    login_device_rate_limit: str = "10 per 15 minutes;30 per day"
    # How long a touchpoint's page is kept ready (0: drawn for every visit, as tests do).
    page_cache_seconds: int = 30
    # Answers sent from one address (a household or a building's Wi-Fi may share one).
    answer_rate_limit: str = "30 per minute;300 per hour"
    # Answers sent through one personal link (a second one is refused anyway; this stops floods).
    answer_link_rate_limit: str = "10 per minute"
    metrics_token: str = ""  # /metrics for `Authorization: Bearer <token>`
    metrics_networks: str = ""  # /metrics for these comma-separated networks (CIDR)
    default_language: str = "en"
    log_json: bool = True
    # A report's answers up to this many are exported within the request; more are prepared
    # as a file in the background (with a progress bar) and kept for a day.
    export_direct_rows: int = 10_000
    tasks_inline: bool = False  # run in-process tasks synchronously after commit (tests)
    # Outbound webhooks. Production always holds their addresses to https and public servers;
    # this applies the same rule in development and tests.
    webhook_strict_urls: bool = False
    webhook_timeout_seconds: float = 5.0  # one delivery attempt, connecting included
    webhook_retry_base_seconds: float = 60.0  # retries wait 1, 5, 30, 120, 360, 720 times this
    webhook_disable_after: int = 15  # deliveries failed for good in a row switch an endpoint off
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``STOOP_*`` variables, then apply keyword overrides."""
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = environ.get(f"STOOP_{f.name.upper()}")
            if raw is None:
                continue
            if f.type in ("bool", bool):
                values[f.name] = _bool(raw)
            elif f.type in ("int", int):
                try:
                    values[f.name] = int(raw)
                except ValueError as exc:
                    raise ConfigError(f"STOOP_{f.name.upper()} must be a whole number") from exc
            elif f.type in ("float", float):
                try:
                    values[f.name] = float(raw)
                except ValueError as exc:
                    raise ConfigError(f"STOOP_{f.name.upper()} must be a number") from exc
            else:
                values[f.name] = raw
        values.update(overrides)
        settings = cls(**values)
        settings.fill_defaults()
        return settings

    def fill_defaults(self) -> None:
        """Derive the embedded defaults (paths under the instance folder)."""
        instance = Path(self.instance_dir or Path.cwd() / "instance").resolve()
        self.instance_dir = str(instance)
        if not self.database_url:
            self.database_url = f"sqlite:///{instance / 'stoop.sqlite3'}"
        if self.database_url.startswith("postgresql://"):
            self.database_url = "postgresql+psycopg://" + self.database_url[len("postgresql://") :]
        if not self.media_dir:
            self.media_dir = str(instance / "media")
        if not self.outbox_dir:
            self.outbox_dir = str(instance / "outbox")
        if not self.redis_url and self.broker_url.startswith(("redis://", "rediss://")):
            self.redis_url = self.broker_url
        self.base_url = self.base_url.rstrip("/")

    def metrics_allowed_networks(self) -> list[IPv4Network | IPv6Network]:
        """The networks of STOOP_METRICS_NETWORKS (ConfigError when one is malformed)."""
        networks = []
        for part in self.metrics_networks.split(","):
            if not part.strip():
                continue
            try:
                networks.append(ip_network(part.strip(), strict=False))
            except ValueError as exc:
                raise ConfigError(
                    f"STOOP_METRICS_NETWORKS: {part.strip()!r} is not a network "
                    "(write e.g. 10.0.0.0/8,127.0.0.1)"
                ) from exc
        return networks

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def webhook_urls_strict(self) -> bool:
        """True when webhook addresses must be https and reach only public servers."""
        return self.is_production or self.webhook_strict_urls

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def email_outbox(self) -> bool:
        """True when e-mail goes to .eml files instead of SMTP."""
        return not self.smtp_url

    @property
    def sms_outbox(self) -> bool:
        """True when SMS and voice are recorded in the database instead of sent by Twilio."""
        return not (self.twilio_account_sid and self.twilio_auth_token)

    def validate(self, *, serving: bool = True) -> None:
        """Fail fast on settings that are malformed, or unsafe for a production start.

        ``serving`` is False for the scripting commands (``db upgrade``, ``org``/``user``/
        ``token create``): they serve no one, so they run against any database, the demo's
        included, while a web process, a worker or beat in production stays guarded.
        """
        if self.env not in {"production", "development", "testing"}:
            raise ConfigError("STOOP_ENV must be production, development or testing")
        if self.media_backend not in {"local", "s3"}:
            raise ConfigError("STOOP_MEDIA_BACKEND must be 'local' or 's3'")
        if self.media_backend == "s3" and not self.s3_bucket:
            raise ConfigError("STOOP_MEDIA_BACKEND=s3 needs STOOP_S3_BUCKET")
        if self.transcriber not in {"none", "faster_whisper"}:
            raise ConfigError("STOOP_TRANSCRIBER must be 'faster_whisper' or 'none'")
        if self.embedder not in {"none", "e5_small"}:
            raise ConfigError("STOOP_EMBEDDER must be 'e5_small' or 'none'")
        if not 1 <= self.speech_threads <= 64:
            raise ConfigError("STOOP_SPEECH_THREADS must be 1 to 64")
        if self.inbound_email_secret and len(self.inbound_email_secret) < 16:
            raise ConfigError("STOOP_INBOUND_EMAIL_SECRET must be at least 16 characters")
        if not 1 <= self.inbound_email_max_mb <= 200:
            raise ConfigError("STOOP_INBOUND_EMAIL_MAX_MB must be 1 to 200")
        if self.claim_lease_seconds < 5:
            raise ConfigError("STOOP_CLAIM_LEASE_SECONDS must be at least 5")
        if not 0 <= self.sms_per_second <= 1000:
            raise ConfigError("STOOP_SMS_PER_SECOND must be 0 (no cap) to 1000")
        if not 0.1 <= self.webhook_timeout_seconds <= 30:
            raise ConfigError("STOOP_WEBHOOK_TIMEOUT_SECONDS must be 0.1 to 30")
        if self.webhook_retry_base_seconds < 0:
            raise ConfigError("STOOP_WEBHOOK_RETRY_BASE_SECONDS must be 0 or more")
        if self.webhook_disable_after < 1:
            raise ConfigError("STOOP_WEBHOOK_DISABLE_AFTER must be at least 1")
        if self.export_direct_rows < 0:
            raise ConfigError("STOOP_EXPORT_DIRECT_ROWS must be 0 (always prepare) or more")
        if self.default_language not in {"en", "sv", "nl"}:
            raise ConfigError("STOOP_DEFAULT_LANGUAGE must be en, sv or nl")
        self.metrics_allowed_networks()  # malformed networks fail at start, not per scrape
        if self.metrics_token and len(self.metrics_token) < 16:
            raise ConfigError("STOOP_METRICS_TOKEN must be at least 16 characters")
        if not serving or not self.is_production or self.allow_insecure:
            return
        problems = []
        if self.secret_key == DEFAULT_SECRET_KEY or len(self.secret_key) < 32:
            problems.append("set STOOP_SECRET_KEY to a random value of at least 32 characters")
        if self.uses_sqlite:
            problems.append("set STOOP_DATABASE_URL to a PostgreSQL database")
        if problems:
            raise ConfigError(
                "Stoop refuses to start in production: "
                + "; ".join(problems)
                + ". For a local trial run `stoop demo` or set STOOP_ENV=development;"
                " to accept the risk set STOOP_ALLOW_INSECURE=1."
            )
