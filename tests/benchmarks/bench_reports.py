"""A report over 1,000,000 answers in 9,000 stairwells, on PostgreSQL.

A housing company with 30 areas x 30 buildings x 10 stairwells, 12 score questions, a composite
index, sends with invitations and their messages, and action items, its answers made in SQL
with ``generate_series`` (seconds, not minutes). First 100,000 answers, then 1,000,000.

At each size:

- the time to compute every figure of a report through :func:`panel.reports.figures.compute`
  (a year's answers of every question, the year before as the previous period, monthly trend,
  the index, the breakdown of all 9,000 stairwells; median of 5 runs after a warm-up; the
  totals, scores and trend read the answers' rollup, which the triggers kept while the answers
  were made and the periodic merge has merged, as in production), beside
  the one hand-written grouping query for the per-stairwell means over the same answers
  (``SELECT place_id, avg(score) ... GROUP BY place_id``), and the ratio. Targets: under 1 s,
  at most 2x.
- the peak memory (VmHWM) of a web process serving ``GET /api/v1/reports/<id>/figures``: a
  fresh process builds the app (production settings), serves one request to warm up, resets its
  peak counter, serves the figures, and reports its peak RSS. Target: flat between the sizes.

    python -m tests.benchmarks.bench_reports [--answers 1000000] [--small 100000] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.benchmarks.bench_busy_pages import ROOT, _environ, _settings, make_database

AREAS, BUILDINGS, STAIRWELLS = 30, 30, 10  # 9,000 stairwells
QUESTIONS = 12
TIME_TARGET_S = 1.0
RATIO_TARGET = 2.0
DAYS = 365  # the report's year; the answers are spread over it
SENDS, INVITED = 10, 2000


def seed_organisation(url: str) -> dict[str, Any]:
    """The organisation, a user with an API token, places, questions, an index, sends."""
    from panel.accounts.models import Role
    from panel.accounts.service import create_user
    from panel.accounts.tokens import create_token
    from panel.app import create_app
    from panel.core.extensions import db
    from panel.core.scoping import scoped_to
    from panel.organisations.models import Organisation
    from panel.reports.models import CompositeIndex, IndexComponent

    app = create_app(
        _settings(url, Path(tempfile.mkdtemp(prefix="stoop-bench-")), env="development"),
        serving=False,
    )
    with app.app_context():
        session = db.session()
        organisation = Organisation(
            name="Bostadsbolaget Benchmark", slug="bench", settings={"report_min_group": 5}
        )
        session.add(organisation)
        session.flush()
        org = organisation.id
        with scoped_to(session, org):
            user = create_user(
                session, organisation, "bench@example.se", Role.ADMIN, "bench-password-1234"
            )
            session.flush()
            _token, secret = create_token(session, user, "bench")
            session.commit()
        seed_sql(session, org, user.id)
        with scoped_to(session, org):
            questions = session.scalars(
                sa.text("SELECT id FROM question WHERE organisation_id = :o ORDER BY id"),
                {"o": org},
            ).all()
            index = CompositeIndex(organisation_id=org, name="Serviceindex", target_mean=7.0)
            index.target_share = 80.0
            index.benchmark_key = "service"
            for n, qid in enumerate(questions[:4]):
                index.components.append(
                    IndexComponent(organisation_id=org, question_id=qid, weight=1.0 + n)
                )
            session.add(index)
            session.commit()
            return {"organisation_id": org, "token": secret, "index_id": index.id}


def seed_sql(session: Any, org: int, user_id: int) -> None:
    """Places, questions, a panel with sends, invitations and messages, action items."""
    statements = [
        """INSERT INTO place (organisation_id, kind, name, path, created_at, updated_at)
           SELECT :o, 'area', 'Område ' || a, 'Område ' || a, now(), now()
           FROM generate_series(1, :areas) a""",
        """INSERT INTO place (organisation_id, kind, name, path, parent_id, area_id,
                              created_at, updated_at)
           SELECT :o, 'building', 'Gatan ' || b, p.path || ' / Gatan ' || b, p.id, p.id,
                  now(), now()
           FROM place p, generate_series(1, :buildings) b
           WHERE p.organisation_id = :o AND p.kind = 'area'""",
        """INSERT INTO place (organisation_id, kind, name, path, parent_id, area_id, building_id,
                              created_at, updated_at)
           SELECT :o, 'stairwell', 'Trapphus ' || s, p.path || ' / Trapphus ' || s, p.id,
                  p.area_id, p.id, now(), now()
           FROM place p, generate_series(1, :stairwells) s
           WHERE p.organisation_id = :o AND p.kind = 'building'""",
        """INSERT INTO question (organisation_id, owner_id, title, prompt, language,
                                 answer_modes, choices, status, created_at, updated_at)
           SELECT :o, :u, 'Fråga ' || q, '', 'sv', '["score", "text"]', '[]', 'live',
                  now(), now()
           FROM generate_series(1, :questions) q""",
        """INSERT INTO panel (organisation_id, name, description, slug, is_open, created_at,
                              updated_at)
           VALUES (:o, 'Panelen', '', 'bench-panel', true, now(), now())""",
        """INSERT INTO contact (organisation_id, name, language, tags, created_at, updated_at,
                                email)
           SELECT :o, 'Hyresgäst ' || c, 'sv', '[]', now(), now(), 'h' || c || '@example.se'
           FROM generate_series(1, :invited) c""",
        """INSERT INTO send (organisation_id, question_id, panel_id, channels, status,
                             scheduled_at, started_at, invited, skipped, max_reminders,
                             created_at, updated_at)
           SELECT :o, (SELECT min(id) FROM question WHERE organisation_id = :o) + s % 4,
                  (SELECT id FROM panel WHERE organisation_id = :o), '["email"]', 'sent',
                  now() - s * interval '20 days', now() - s * interval '20 days', :invited,
                  '{}', 0, now(), now()
           FROM generate_series(1, :sends) s""",
        """INSERT INTO invitation (organisation_id, token, question_id, contact_id, send_id,
                                   channel, created_at, expires_at, answered_at, reminders_sent)
           SELECT :o, md5(s.id || '-' || c.id), s.question_id, c.id, s.id, 'email',
                  s.started_at, s.started_at + interval '30 days',
                  CASE WHEN random() < 0.4 THEN s.started_at + interval '1 day' END, 0
           FROM send s, contact c WHERE s.organisation_id = :o AND c.organisation_id = :o""",
        """INSERT INTO outbound_message (organisation_id, channel, purpose, dedupe_key,
                                         recipient, contact_id, ref, language, subject,
                                         body_text, headers, state, attempts, created_at)
           SELECT :o, 'email', 'send-invitation', 'send-' || i.send_id || '-' || i.contact_id,
                  'h' || i.contact_id || '@example.se', i.contact_id, 'send:' || i.send_id,
                  'sv', '', '', '{}',
                  (ARRAY['delivered', 'sent', 'undelivered', 'failed'])[1 + (i.id % 10) / 7],
                  1, now()
           FROM invitation i WHERE i.organisation_id = :o""",
        """INSERT INTO action_item (organisation_id, title, description, place_id, status,
                                    created_at, updated_at)
           SELECT :o, 'Åtgärd', '', id, 'planned', now(), now()
           FROM place WHERE organisation_id = :o AND id % 37 = 0""",
    ]
    values = {
        "o": org,
        "u": user_id,
        "areas": AREAS,
        "buildings": BUILDINGS,
        "stairwells": STAIRWELLS,
        "questions": QUESTIONS,
        "invited": INVITED,
        "sends": SENDS,
    }
    for statement in statements:
        session.execute(sa.text(statement), values)
    session.commit()
    # As autovacuum would have by the time anyone reads a report: the planner's statistics.
    session.execute(sa.text("ANALYZE"))
    session.commit()


def add_answers(url: str, org: int, count: int, start: int) -> float:
    """``count`` more answers (numbered from ``start``) over the last year; seconds taken."""
    began = time.perf_counter()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                """
                WITH q AS (SELECT array_agg(id ORDER BY id) AS ids FROM question
                           WHERE organisation_id = :o),
                     p AS (SELECT array_agg(id ORDER BY id) AS ids FROM place
                           WHERE organisation_id = :o AND kind = 'stairwell')
                INSERT INTO answer (organisation_id, question_id, channel, language, score,
                                    place_id, may_contact, consent_identity, consent_quote,
                                    consent_show_clip, me_token, created_at)
                SELECT :o,
                       q.ids[1 + (n * 7919) % array_length(q.ids, 1)],
                       (ARRAY['web', 'embed', 'qr', 'email', 'sms', 'voice'])[1 + n % 6],
                       'sv',
                       CASE WHEN n % 10 = 0 THEN NULL ELSE 1 + (n * 31 + n / 7) % 10 END,
                       p.ids[1 + (n * 104729) % array_length(p.ids, 1)],
                       false, false, false, false,
                       md5('answer-' || n),
                       now() - ((n * 2654435761) % (:days * 86400)) * interval '1 second'
                FROM q, p, generate_series(CAST(:start AS bigint), CAST(:stop AS bigint)) n
                """
            ),
            {"o": org, "start": start, "stop": start + count - 1, "days": DAYS},
        )
        conn.execute(sa.text("ANALYZE answer"))
    engine.dispose()
    return time.perf_counter() - began


def merge_rollup(url: str) -> tuple[float, int]:
    """What the periodic ``reports-compact-rollup`` does between answers and a report: the
    rollup's rows of changes merged; seconds taken and the rollup's rows after it."""
    from panel.reports.rollup import compact

    engine = sa.create_engine(url)
    began = time.perf_counter()
    with Session(engine) as session:
        compact(session)
    took = time.perf_counter() - began
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE answer_rollup"))
        rows = conn.execute(sa.text("SELECT count(*) FROM answer_rollup")).scalar_one()
    engine.dispose()
    return took, rows


def report_filter(org: int) -> Any:
    import datetime as dt

    from panel.reports.figures import ReportFilter

    today = dt.date.today()
    return ReportFilter(
        organisation_id=org,
        starts_on=today - dt.timedelta(days=DAYS),
        ends_on=today,
        period="month",
    )


def time_compute(url: str, seeded: dict[str, Any], runs: int) -> tuple[float, Any]:
    """The median seconds of ``compute`` (through the app's session), and the figures."""
    from panel.app import create_app
    from panel.core.extensions import db
    from panel.core.scoping import scoped_to
    from panel.reports.figures import compute

    app = create_app(_settings(url, Path(tempfile.mkdtemp(prefix="stoop-bench-"))))
    org = seeded["organisation_id"]
    chosen = report_filter(org)
    times = []
    with app.app_context():
        session = db.session()
        with scoped_to(session, org):
            figures = compute(session, chosen, (seeded["index_id"],))  # warm-up
            for _ in range(runs):
                began = time.perf_counter()
                figures = compute(session, chosen, (seeded["index_id"],))
                times.append(time.perf_counter() - began)
                session.rollback()
    return statistics.median(times), figures


def time_bare(url: str, org: int, runs: int, parallel: bool = True) -> float:
    """The median seconds of the one hand-written grouping query for the per-stairwell means
    over the same answers (psycopg, no ORM); ``parallel=False``: in one process, as the
    figures' GROUPING SETS statement runs (PostgreSQL does not split grouping sets over
    workers)."""
    from panel.reports.filters import time_window, zone_named

    chosen = report_filter(org)
    since, until = time_window(chosen.starts_on, chosen.ends_on, zone_named(None))
    engine = sa.create_engine(url)
    query = sa.text(
        "SELECT place_id, avg(score), count(*) FROM answer WHERE organisation_id = :o "
        "AND created_at >= :since AND created_at < :until GROUP BY place_id"
    )
    times = []
    with engine.connect() as conn:
        if not parallel:
            conn.execute(sa.text("SET max_parallel_workers_per_gather = 0"))
        conn.execute(query, {"o": org, "since": since, "until": until}).all()
        for _ in range(runs):
            began = time.perf_counter()
            conn.execute(query, {"o": org, "since": since, "until": until}).all()
            times.append(time.perf_counter() - began)
    engine.dispose()
    return statistics.median(times)


def explain(url: str, seeded: dict[str, Any]) -> str:
    """EXPLAIN ANALYZE of the statements of compute that read the answers or their rollup."""
    from panel.app import create_app
    from panel.core.extensions import db
    from panel.core.scoping import scoped_to
    from panel.reports.figures import compute

    app = create_app(_settings(url, Path(tempfile.mkdtemp(prefix="stoop-bench-"))))
    captured: list[tuple[str, Any]] = []
    with app.app_context():
        session = db.session()
        engine = session.get_bind()

        def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
            if "GROUP BY" in statement and ("FROM answer" in statement or "GROUPING" in statement):
                captured.append((statement, params))

        sa.event.listen(engine, "before_cursor_execute", capture)
        with scoped_to(session, seeded["organisation_id"]):
            compute(session, report_filter(seeded["organisation_id"]), (seeded["index_id"],))
        sa.event.remove(engine, "before_cursor_execute", capture)
        raw = session.connection().connection.driver_connection
        plans = []
        with raw.cursor() as cursor:
            for statement, params in captured:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
                plans.append(statement.split("\n")[0][:100])
                plans.extend("    " + row[0] for row in cursor.fetchall())
        return "\n".join(plans) or "(no grouped statement captured)"


def peak_memory(url: str, seeded: dict[str, Any], report_id: int) -> dict[str, float]:
    """The web process's peak RSS serving the figures (a fresh process, see ``--serve``)."""
    instance = tempfile.mkdtemp(prefix="stoop-bench-")
    env = {**os.environ, **_environ(url, Path(instance)), "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.bench_reports",
            "--serve",
            str(report_id),
            "--token",
            seeded["token"],
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def serve(report_id: int, token: str) -> None:
    """In the child: build the app, warm up, reset the peak, serve the figures, print RSS."""
    from panel.app import create_app
    from panel.core.config import Settings
    from tests.benchmarks.bench_upload_memory import reset_peak, status_kib

    app = create_app(Settings.from_env())
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/reports/{report_id}", headers=headers).status_code == 200
    pid = os.getpid()
    before = status_kib(pid, "VmRSS")
    reset = reset_peak(pid)
    began = time.perf_counter()
    response = client.get(f"/api/v1/reports/{report_id}/figures", headers=headers)
    seconds = time.perf_counter() - began
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    body = response.get_json()
    print(
        json.dumps(
            {
                "rss_before_mib": before / 1024,
                "peak_mib": status_kib(pid, "VmHWM") / 1024,
                "peak_reset": reset,
                "seconds": seconds,
                "answers": body["answers"]["value"],
                "places": len(body["places"]),
            }
        )
    )


def create_report(url: str, seeded: dict[str, Any]) -> int:
    from panel.app import create_app
    from panel.core.extensions import db
    from panel.core.scoping import scoped_to
    from panel.reports.service import create_report as create

    chosen = report_filter(seeded["organisation_id"])
    app = create_app(_settings(url, Path(tempfile.mkdtemp(prefix="stoop-bench-"))))
    with app.app_context():
        session = db.session()
        with scoped_to(session, seeded["organisation_id"]):
            report = create(
                session,
                organisation_id=seeded["organisation_id"],
                created_by_id=None,
                title="Året som gått",
                starts_on=chosen.starts_on,
                ends_on=chosen.ends_on,
                period="month",
                index_ids=[seeded["index_id"]],
            )
            session.commit()
            return report.id


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--serve", type=int)
    parser.add_argument("--token")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.token)
        return 0

    url, drop = make_database()
    if not url.startswith("postgresql"):
        print("bench_reports needs PostgreSQL (STOOP_BENCH_DATABASE_URL); skipped")
        drop()
        return 0
    results = []
    try:
        seeded = seed_organisation(url)
        report_id = create_report(url, seeded)
        made = 0
        for size in (args.small, args.answers):
            took = add_answers(url, seeded["organisation_id"], size - made, made + 1)
            made = size
            merged, rollup_rows = merge_rollup(url)
            print(
                f"{size:>9,} answers made in {took:5.1f} s (with the rollup's triggers); "
                f"rollup merged in {merged:4.2f} s: {rollup_rows:,} rows",
                flush=True,
            )
            seconds, figures = time_compute(url, seeded, args.runs)
            bare = time_bare(url, seeded["organisation_id"], args.runs)
            serial = time_bare(url, seeded["organisation_id"], args.runs, parallel=False)
            memory = peak_memory(url, seeded, report_id)
            stairwells = sum(1 for p in figures.places if p.kind == "stairwell")
            results.append((size, seconds, bare, memory, figures.answers.value, stairwells, serial))
            print(
                f"  compute {seconds * 1000:7.1f} ms   bare GROUP BY {bare * 1000:7.1f} ms   "
                f"ratio {seconds / bare:4.2f}×   (bare in one process {serial * 1000:7.1f} ms, "
                f"ratio {seconds / serial:4.2f}×)   web peak RSS {memory['peak_mib']:6.1f} MiB "
                f"(before {memory['rss_before_mib']:6.1f} MiB, reset {memory['peak_reset']})",
                flush=True,
            )
        print("\nThe grouped statements at the largest size:")
        print(explain(url, seeded))
    finally:
        if not args.keep:
            drop()
        else:
            print(f"kept {url}")

    print(
        "\nanswers   | in report | stairwells | compute | bare SQL | ratio | bare, 1 process "
        "| ratio | web peak RSS"
    )
    print(
        "----------|-----------|------------|---------|----------|-------|-----------------"
        "|-------|-------------"
    )
    for size, seconds, bare, memory, answers, stairwells, serial in results:
        print(
            f"{size:>9,} | {answers:>9,} | {stairwells:>10,} | {seconds * 1000:5.0f} ms | "
            f"{bare * 1000:6.0f} ms | {seconds / bare:4.2f}× | {serial * 1000:12.0f} ms "
            f"| {seconds / serial:4.2f}× | {memory['peak_mib']:7.1f} MiB"
        )
    largest = results[-1]
    print(
        f"targets: compute < {TIME_TARGET_S:.0f} s: "
        f"{'met' if largest[1] < TIME_TARGET_S else 'MISSED'}; ratio ≤ {RATIO_TARGET:.0f}×: "
        f"{'met' if largest[1] / largest[2] <= RATIO_TARGET else 'MISSED'}; memory flat: "
        f"{results[-1][3]['peak_mib'] - results[0][3]['peak_mib']:+.1f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
