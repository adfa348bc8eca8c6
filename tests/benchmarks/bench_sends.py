"""Benchmark: a send to a panel, from "send" to the last message handed over, beside the bare
loops the providers' clients make.

Run with ``make bench`` or ``python -m tests.benchmarks.bench_sends``. On SQLite and on
PostgreSQL (``STOOP_BENCH_DATABASE_URL``, default the Makefile's; skipped when unreachable):

1. **e-mail**: a live question sent to a panel of 10,000 members with e-mail addresses: the
   send is written and committed, then started and delivered by 2 worker threads (the
   in-process executor, as ``stoop worker -c 2``), until the SMTP server (a process of its own)
   has accepted all 10,000; beside a **plain smtplib loop** sending the same 10,000 messages
   (the bytes Stoop sent) over one connection to the same server. Target: smtplib's time ÷
   the send's ≥ 0.7. Also the peak memory the process grew by during the send.
2. **SMS**: the same for 2,000 members with mobile numbers against the Twilio double (a
   process of its own), the throughput cap lifted, beside a **plain loop of the twilio
   client** creating the same 2,000 messages. The ratio is printed.

Options: ``--emails N`` (10,000), ``--sms N`` (2,000), ``--only sqlite|postgres``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import sqlalchemy as sa

from tests.benchmarks.bench_outbox import (
    DEFAULT_PG,
    THREADS,
    Sink,
    make_app,
    postgres_database,
    prepared_messages,
    smtplib_loop,
    sqlite_database,
)

NAMES = ["Åsa Öberg", "Ĳsbrand de Vries", "Zeynep Yılmaz", "Wojciech Wróblewski"]
DOUBLE = """
import sys
from tests.twilio_double.double import TwilioDouble
double = TwilioDouble().start()
print(double.url, double.account_sid, double.auth_token, double.phone_number, flush=True)
sys.stdin.read()
"""


class Double:
    """The Twilio API double in a process of its own."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", DOUBLE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.url, self.sid, self.token, self.number = self.process.stdout.readline().split()

    def settings(self) -> dict[str, str]:
        return {
            "twilio_account_sid": self.sid,
            "twilio_auth_token": self.token,
            "twilio_from": self.number,
            "twilio_api_base": self.url,
        }

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed(app: Any, count: int, channel: str, number: int) -> tuple[int, int, int, int]:
    """An organisation with a live question and a panel of ``count`` members reachable on
    ``channel``: (organisation, user, question, panel) ids."""
    from panel.accounts.models import Role
    from panel.accounts.service import create_user
    from panel.contacts.bulk import UpsertItem, upsert_contacts
    from panel.core.db import utcnow
    from panel.core.extensions import db
    from panel.core.scoping import scoped_to
    from panel.organisations.service import create_organisation
    from panel.panels.service import add_members, create_panel
    from panel.questions.models import Question, QuestionStatus

    with app.app_context():
        session = db.session()
        organisation = create_organisation(session, f"Bostadsbolaget Ĳssel {number}", language="sv")
        with scoped_to(session, organisation.id):
            user = create_user(
                session,
                organisation,
                f"anna{number}@example.org",
                Role.STAFF,
                "stairwell-lantern-meadow",
            )
            question = Question(
                organisation_id=organisation.id,
                owner_id=user.id,
                title="Hur trivs du i ditt trapphus? En kort fråga från din hyresvärd",
                prompt="Hej! Hur trivs du i ditt trapphus? Ge ett betyg och berätta gärna varför.",
                language="sv",
                answer_modes=["score", "text"],
                choices=[],
                status=QuestionStatus.LIVE,
                published_at=utcnow(),
            )
            session.add(question)
            address = (
                (lambda n: {"email": f"hyresgast{n}@example.se"})
                if channel == "email"
                else (lambda n: {"phone": f"+4670{n:07d}"})
            )
            items = [
                UpsertItem(
                    {"name": NAMES[n % 4], "language": "svsvnlen"[2 * (n % 4) :][:2]} | address(n)
                )
                for n in range(count)
            ]
            ids = upsert_contacts(session, organisation, items, method="api").ids
            panel = create_panel(
                session,
                organisation,
                name="Tillsammans",
                description="",
                consent_text="Jag vill vara med.",
            )
            add_members(session, panel, [i for i in ids if i], source="contacts")
            session.commit()
            return organisation.id, user.id, question.id, panel.id


def send(app: Any, ids: tuple[int, int, int, int], channel: str) -> int:
    """Write the send and commit: it starts (and delivers) on the worker threads."""
    from panel.accounts.models import User
    from panel.core.extensions import db
    from panel.core.scoping import scoped_to
    from panel.panels.models import Panel
    from panel.questions.models import Question
    from panel.sends.service import create_send

    organisation_id, user_id, question_id, panel_id = ids
    with app.app_context():
        session = db.session()
        with scoped_to(session, organisation_id):
            made = create_send(
                session,
                session.get(User, user_id),
                session.get(Question, question_id),
                session.get(Panel, panel_id),
                channels=[channel],
            )
            session.commit()
            return made.id


def sent_rows(app: Any, send_id: int) -> int:
    from notifications.models import DeliveryState, OutboundMessage
    from panel.core.extensions import db

    with app.app_context():
        session = db.session()
        found = session.scalar(
            sa.select(sa.func.count())
            .where(
                OutboundMessage.ref == f"send:{send_id}",
                OutboundMessage.state == DeliveryState.SENT,
            )
            .execution_options(all_organisations=True)
        )
        session.commit()
        return found or 0


def email_round(url: str, count: int) -> dict[str, float]:
    sink = Sink()
    try:
        with TemporaryDirectory() as folder:
            app = make_app(url, Path(folder), f"smtp://127.0.0.1:{sink.port}")
            ids = seed(app, count, "email", 1)
            rss, peak = _rss_mib(), _peak_mib()
            started = time.perf_counter()
            send_id = send(app, ids, "email")
            sink.wait_for(count)
            total = time.perf_counter() - started
            app.extensions["stoop.executor"].drain(timeout=600)
            grew = max(_peak_mib() - peak, 0.0)
            if sent_rows(app, send_id) != count:
                raise SystemExit(
                    f"not every e-mail of the send was sent: {sent_rows(app, send_id)}"
                )
            prepared = prepared_messages(app, ids[0])
            loop = smtplib_loop(sink.port, prepared)
    finally:
        sink.stop()
    return {"total": total, "loop": loop, "grew": grew, "rss": rss}


def sms_round(url: str, count: int) -> dict[str, float]:
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    double = Double()
    try:
        with TemporaryDirectory() as folder:
            app = make_app(url, Path(folder), "smtp://127.0.0.1:1")
            for name, value in double.settings().items():
                setattr(app.config["STOOP"], name, value)
            app.config["STOOP"].sms_per_second = 0
            ids = seed(app, count, "sms", 2)
            started = time.perf_counter()
            send_id = send(app, ids, "sms")
            deadline = time.monotonic() + 600
            while sent_rows(app, send_id) < count:
                if time.monotonic() > deadline:
                    raise SystemExit("the SMS send did not finish in 10 minutes")
                time.sleep(0.05)
            total = time.perf_counter() - started
            app.extensions["stoop.executor"].drain(timeout=60)
            bodies = _sms_bodies(app, send_id)

            class Local(TwilioHttpClient):
                def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
                    path = url.split("://", 1)[1].split("/", 1)[1]
                    return super().request(method, f"{double.url}/{path}", *args, **kwargs)

            client = Client(double.sid, double.token, http_client=Local(timeout=10))
            loop_started = time.perf_counter()
            for to, body in bodies:
                client.messages.create(to=to, from_=double.number, body=body)
            loop = time.perf_counter() - loop_started
    finally:
        double.stop()
    return {"total": total, "loop": loop}


def _sms_bodies(app: Any, send_id: int) -> list[tuple[str, str]]:
    from notifications.models import OutboundMessage
    from panel.core.extensions import db

    with app.app_context():
        rows = db.session().execute(
            sa.select(OutboundMessage.recipient, OutboundMessage.body_text)
            .where(OutboundMessage.ref == f"send:{send_id}")
            .execution_options(all_organisations=True)
        )
        return [(to, body) for to, body in rows]


def databases(only: str | None) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if only in (None, "sqlite"):
        found.append(("SQLite", sqlite_database))
    if only in (None, "postgres"):
        admin = os.environ.get("STOOP_BENCH_DATABASE_URL", DEFAULT_PG)
        try:
            sa.create_engine(admin, connect_args={"connect_timeout": 3}).connect().close()
        except sa.exc.OperationalError:
            print("PostgreSQL is not reachable: skipped")
        else:
            found.append(("PostgreSQL", lambda: postgres_database(admin)))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--sms", type=int, default=2_000)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    figures: dict[str, Any] = {}
    for label, database in databases(args.only):
        with database() as url:
            mail = email_round(url, args.emails)
        with database() as url:
            sms = sms_round(url, args.sms)
        print(
            f"\n{label}: a send to {args.emails:,} by e-mail and to {args.sms:,} by SMS, "
            f"{THREADS} worker threads"
        )
        print(f"  e-mail: send to last accepted    {mail['total']:7.2f} s")
        print(f"  e-mail: plain smtplib loop       {mail['loop']:7.2f} s")
        print(f"  smtplib ÷ send = {mail['loop'] / mail['total']:.2f}  (target ≥ 0.7)")
        print(
            f"  peak memory grew by {mail['grew']:.0f} MiB during the send "
            f"(from {mail['rss']:.0f} MiB)"
        )
        print(f"  SMS: send to last handed over    {sms['total']:7.2f} s")
        print(f"  SMS: plain twilio client loop    {sms['loop']:7.2f} s")
        print(f"  twilio loop ÷ send = {sms['loop'] / sms['total']:.2f}")
        figures[label] = {"email": mail, "sms": sms}
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
