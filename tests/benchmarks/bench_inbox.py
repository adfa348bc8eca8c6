"""The inbox on a large organisation, each page beside the bare SQL it needs, on PostgreSQL.

200,000 threads with 1,000,000 comments (Swedish, Dutch and English words of a housing
company's tenants and staff; search text and vectors made of the answer and the comments, as
the service makes them), 12 owners in 3 teams, 30 questions, 156 places, 8 touchpoints, and read
marks for most threads; loaded with COPY into a fresh database (two to four minutes on two
cores, most of it making the rows and their search vectors; ``--threads``/``--comments`` for a
smaller one).

Then, through the Flask test client in this process (production settings), for each page: p50
and p99 of ``GET /app/inbox...`` over N requests and the CPU time of this process per request,
and beside each request the page's own query replayed bare (psycopg, the same SQL and
parameters, captured from the page), so the ratio page/SQL says what the app costs around its
query. ``EXPLAIN (ANALYZE, BUFFERS)`` of each page's query and of the menu's unread count show
which indexes answer them. Targets: p50 under 50 ms, p99 under 200 ms. Wall times include
waiting for a CPU: the load average is printed with them. The last lines are a table to paste
into a closing note.

    python -m tests.benchmarks.bench_inbox [--requests 200] [--threads N] [--comments N]
        [--keep] [--reuse URL] [--profile]
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

from tests.benchmarks.bench_busy_pages import PASSWORD, _settings, make_database

P50_TARGET_MS = 50.0
P99_TARGET_MS = 200.0
SEED = 20261201
OWNERS = 12
TEAMS = ("Område Norr", "Område Söder", "Kundcenter")
QUESTIONS = 30
AREAS, BUILDINGS, STAIRWELLS = 6, 5, 4
TOUCHPOINTS = 8
LANGUAGES = (("sv", 0.6), ("nl", 0.25), ("en", 0.15))
CHANNELS = (("web", 30), ("embed", 10), ("qr", 15), ("email", 20), ("sms", 20), ("voice", 5))
STATUSES = (("open", 20), ("replied", 50), ("closed", 30))
DAYS = 730  # threads over two years
SEARCH_WORD = "hissarna"  # Swedish "the lifts": stems to "hiss", found in "hissen", "hissar"
RARE_WORD = "råttor"  # rats: said in about 1 thread in 3,000
RARE = 1 / 3000
NULL = "\\N"  # COPY's NULL

# A housing company's words, most common first (drawn with Zipf weights: the first is said far
# more often than the last). Compounds of two make the long tail real Swedish and Dutch have.
WORDS = {
    "sv": (
        "och i att det som en på är av för med till den har inte om ett vi jag de men så "
        "kan när också vill bra tack hej mycket lägenheten trapphuset hissen tvättstugan "
        "dörren fönstret köket badrummet värmen elementet kallt varmt ljus lampan trasig "
        "trasiga fungerar fungerade igen länge veckor dagar månader grannar grannen buller "
        "ljud städning städningen soporna soprummet cykelrummet cyklar parkering gården "
        "lekplatsen förråd källaren vind vatten läcker kranen avloppet stopp hyresvärden "
        "felanmälan anmält väntat svar ringde mejlade tekniker kom aldrig snabbt trevlig "
        "personal fastighetsskötaren renovering renoveringen stambyte hyran dyr höjning "
        "trygghet belysning kameror inbrott lås nycklar porten porttelefonen brevlådan "
        "hissar trappan trapporna snö halka sandning gräset träden buskar uteplats balkong "
        "ventilation fukt mögel lukt dusch toalett spis kyl frys diskmaskin tvättmaskin "
        "torktumlare bokning tider söndag lördag kväll natt morgon barn hund katt rökning "
        "sopnedkastet"
    ),
    "nl": (
        "de het een en van in is dat op te zijn niet met voor er maar ook wij ik ze als "
        "kan graag goed dank hallo erg woning portiek lift wasruimte deur raam keuken "
        "badkamer verwarming radiator koud warm licht lamp kapot stuk werkt werkte weer "
        "lang weken dagen maanden buren buurman geluid overlast schoonmaak afval "
        "containers fietsenstalling fietsen parkeren binnenplaats speeltuin berging "
        "kelder zolder water lekt kraan afvoer verstopt verhuurder melding gemeld gewacht "
        "antwoord gebeld gemaild monteur kwam nooit snel vriendelijk personeel huismeester "
        "renovatie huur duur verhoging veiligheid verlichting camera inbraak slot sleutels "
        "voordeur intercom brievenbus liften trap trappen sneeuw gladheid gras bomen "
        "struiken tuin balkon ventilatie vocht schimmel stank douche toilet fornuis "
        "koelkast vriezer vaatwasser wasmachine droger reservering tijden zondag zaterdag "
        "avond nacht ochtend kinderen hond kat roken"
    ),
    "en": (
        "the and to a of in is it that for on we i they but so can when also would good "
        "thanks hello very flat stairwell lift elevator laundry door window kitchen "
        "bathroom heating radiator cold warm light lamp broken working worked again long "
        "weeks days months neighbours noise cleaning rubbish bins bike parking courtyard "
        "playground storage basement water leaking tap drain blocked landlord report "
        "reported waited answer called emailed engineer came never quickly friendly staff "
        "caretaker renovation rent expensive increase safety lighting cameras burglary "
        "lock keys entrance intercom mailbox lifts stairs snow ice grass trees garden "
        "balcony ventilation damp mould smell shower toilet cooker fridge freezer "
        "dishwasher washing dryer booking times sunday saturday evening night morning "
        "children dog cat smoking"
    ),
}
TAIL = 2500  # compounds per language after the base words


@dataclass
class Vocabulary:
    """The words of one language, drawn with Zipf weights ahead of time into one long pool that
    texts are cut from (one draw per text costs a call each: a million comments' worth)."""

    words: list[str]
    pool: list[str] = field(default_factory=list)
    at: int = 0

    @classmethod
    def of(cls, language: str, rng: random.Random, size: int) -> Vocabulary:
        base = WORDS[language].split()
        content = [w for w in base if len(w) > 4]
        tail = {rng.choice(content) + rng.choice(content) for _ in range(TAIL * 2)}
        words = base + sorted(tail - set(base))[:TAIL]
        weights = [1.0 / rank for rank in range(1, len(words) + 1)]
        return cls(words, rng.choices(words, weights=weights, k=size))

    def text(self, n: int) -> str:
        """``n`` words, the first capitalised (the pool starts over when it runs out)."""
        if self.at + n > len(self.pool):
            self.at = 0
        start, self.at = self.at, self.at + n
        return " ".join(self.pool[start : self.at]).capitalize()


# --- the organisation ----------------------------------------------------------------------------


@dataclass
class Org:
    id: int
    email: str  # the admin who is measured (owns a twelfth of the threads)
    owners: list[int]
    questions: list[int]
    areas: list[int]
    stairwells: list[int]
    touchpoints: list[int]
    loaded_in: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


def seed_organisation(database_url: str, instance: Path) -> Org:
    """The organisation, its people, questions, places and touchpoints (through the app)."""
    from panel.accounts.models import Role
    from panel.accounts.service import create_user
    from panel.app import create_app
    from panel.core.db import utcnow
    from panel.core.extensions import db
    from panel.core.scoping import scoped_to
    from panel.organisations.models import Organisation
    from panel.places.service import ensure_path
    from panel.questions.models import Question, QuestionStatus
    from touchpoints.service import create_touchpoint

    app = create_app(_settings(database_url, instance, env="development"), serving=False)
    with app.app_context():
        session = db.session()
        org = Organisation(name="Bostadsbolaget Ängsbacken", slug="angsbacken")
        session.add(org)
        session.flush()
        with scoped_to(session, org.id):
            people = []
            for n in range(OWNERS):
                role = Role.ADMIN if n == 0 else Role.STAFF
                email = "asa.oberg@example.org" if n == 0 else f"kollega{n}@example.org"
                # Only the measured admin logs in: a password hash costs a second here.
                password = PASSWORD if n == 0 else None
                user = create_user(session, org, email, role, password, name=f"Kollega {n}")
                user.team = TEAMS[n % len(TEAMS)]
                people.append(user)
            questions = [
                Question(
                    organisation_id=org.id,
                    owner_id=people[n % OWNERS].id,
                    title=f"Hur trivs du i trapphuset? Fråga {n + 1}",
                    prompt="Berätta gärna mer.",
                    language="sv",
                    answer_modes=["score", "text", "video"],
                    choices=[],
                    status=QuestionStatus.LIVE,
                    published_at=utcnow(),
                )
                for n in range(QUESTIONS)
            ]
            session.add_all(questions)
            areas, stairwells = [], []
            for a in range(AREAS):
                for b in range(BUILDINGS):
                    for s in range(STAIRWELLS):
                        names = [f"Område {a + 1}", f"Gatan {b + 1}", f"Trapphus {'ABCD'[s]}"]
                        place, _ = ensure_path(session, names)
                        stairwells.append(place.id)
                areas.append(place.area_id)
            session.flush()
            touchpoints = [
                create_touchpoint(
                    session,
                    {"name": f"Flygblad {n + 1}", "kind": "qr"},
                    [(questions[n].id, utcnow().date())],
                ).id
                for n in range(TOUCHPOINTS)
            ]
            session.commit()
            return Org(
                id=org.id,
                email=people[0].email,
                owners=[p.id for p in people],
                questions=[q.id for q in questions],
                areas=areas,
                stairwells=stairwells,
                touchpoints=touchpoints,
            )


# --- the bulk load -------------------------------------------------------------------------------


def _weighted(rng: random.Random, pairs: tuple[tuple[str, float], ...], k: int) -> list[str]:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs], k=k)


def _copy(cursor: Any, table: str, columns: str, lines: list[str]) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        buffer = io.StringIO()
        for n, line in enumerate(lines, 1):
            buffer.write(line)
            if n % 20000 == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())


def _ts(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(moment)) + "+00"


def load(database_url: str, org: Org, threads: int, comments: int) -> None:
    """Answers, threads, comments and read marks, by COPY; then indexes, VACUUM, ANALYZE."""
    import psycopg

    began = time.perf_counter()
    rng = random.Random(SEED)
    # About 15 words an answer and 14 a comment, in each language's share of the threads.
    words_needed = threads * 15 + comments * 14
    vocab = {
        language: Vocabulary.of(language, rng, int(words_needed * share * 1.05) + 1000)
        for language, share in LANGUAGES
    }
    now = time.time()
    languages = _weighted(rng, LANGUAGES, threads)
    channels = _weighted(rng, CHANNELS, threads)
    statuses = _weighted(rng, STATUSES, threads)
    # How many comments each thread has: about comments/threads on average, some none.
    per_thread = [0] * threads
    for index in rng.choices(range(threads), k=comments):
        per_thread[index] += 1
    answers, thread_rows, comment_rows, reads = [], [], [], []
    comment_id = 0
    for n in range(threads):
        tid = n + 1
        language = languages[n]
        words = vocab[language]
        created = now - rng.random() * DAYS * 86400
        text = words.text(rng.randint(4, 30)) if rng.random() < 0.85 else None
        if text and rng.random() < RARE:
            text = f"{text} {RARE_WORD} i källaren"
        score = rng.randint(1, 10) if rng.random() < 0.5 else None
        video = text is None or rng.random() < 0.08
        place = rng.choice(org.stairwells) if rng.random() < 0.9 else None
        touchpoint = rng.choice(org.touchpoints) if channels[n] in ("qr", "embed") else None
        question = rng.choice(org.questions)
        owner = org.owners[tid % OWNERS]
        parts = [text or ""]
        last = created
        for _ in range(per_thread[n]):
            comment_id += 1
            last = last + rng.random() * 3 * 86400
            body = words.text(rng.randint(3, 25))
            parts.append(body)
            kind = (
                "reply" if rng.random() < 0.5 else ("note" if rng.random() < 0.5 else "follow_up")
            )
            author = owner if kind != "follow_up" else NULL
            comment_rows.append(
                f"{comment_id}\t{tid}\t{org.id}\t{kind}\t{author}\t{body}\t{language}\t"
                f"{_ts(last)}\t{{}}\n"
            )
        last = min(last, now)
        status = statuses[n]
        waiting = _ts(last) if status == "open" else NULL
        answers.append(
            f"{tid}\t{org.id}\t{question}\t{channels[n]}\t{language}\t"
            f"{text if text is not None else NULL}\t{score if score else NULL}\t"
            f"{'video' if video else NULL}\t{place or NULL}\t"
            f"{touchpoint or NULL}\tf\t{'t' if rng.random() < 0.4 else 'f'}\tf\tf\t"
            f"bench{tid:08d}\t{_ts(created)}\n"
        )
        search_text = "\n".join(p for p in parts if p)
        config = {"sv": "swedish", "nl": "dutch", "en": "english"}[language]
        roll = rng.random()
        read = _ts(last) if roll < 0.85 else (_ts(created) if roll < 0.95 else None)
        if read:  # 85 % read since the last activity, 10 % something new since, 5 % never
            reads.append(f"{tid}\t{owner}\t{read}\n")
        thread_rows.append(
            f"{tid}\t{org.id}\t{tid}\t{owner}\t{status}\tbench-token-{tid:08d}\t{question}\t"
            f"{touchpoint or NULL}\t{place or NULL}\t{channels[n]}\t"
            f"{'t' if video else 'f'}\t{language}\t{_ts(created)}\t{_ts(last)}\t{waiting}\t"
            f"{read or NULL}\t{search_text.replace(chr(10), chr(92) + 'n')}\t{config}\n"
        )
    org.counts = {
        "threads": threads,
        "comments": comment_id,
        "reads": len(reads),
        "mine": sum(1 for n in range(threads) if org.owners[(n + 1) % OWNERS] == org.owners[0]),
    }
    print(f"  rows made in Python: {time.perf_counter() - began:.0f} s", flush=True)
    url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SET session_replication_role = replica")  # no FK triggers while loading
        with _phase("answers, threads (search vectors), comments, read marks"):
            indexes = _drop_indexes(cur, LOADED_TABLES)
            _copy(cur, "answer", ANSWER_COLUMNS, answers)
            cur.execute(STAGING)
            _copy(cur, "bench_thread", STAGED_COLUMNS, thread_rows)
            # to_tsvector is the costly part: one half of the threads on each of two connections.
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(lambda half: _insert_threads(url, half), (0, 1)))
            cur.execute("DROP TABLE bench_thread")
            _copy(cur, "thread_comment", COMMENT_COLUMNS, comment_rows)
            _copy(cur, "thread_read", "thread_id, user_id, read_at", reads)
        with _phase("indexes (GIN of the search vectors and the rest)"):
            cur.execute("SET maintenance_work_mem = '512MB'")
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(lambda sql: _run(url, sql), indexes))
        for table in ("answer", "thread", "thread_comment"):
            # The names are the three above, not input.
            cur.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")  # noqa: S608
        with _phase("VACUUM ANALYZE"):
            cur.execute("VACUUM ANALYZE answer, thread, thread_comment, thread_read")


LOADED_TABLES = ("answer", "thread", "thread_comment", "thread_read")
ANSWER_COLUMNS = (
    "id, organisation_id, question_id, channel, language, text, score, clip_kind, place_id, "
    "touchpoint_id, may_contact, consent_identity, consent_quote, consent_show_clip, me_token, "
    "created_at"
)
THREAD_COLUMNS = (
    "id, organisation_id, answer_id, owner_id, status, token, question_id, touchpoint_id, "
    "place_id, channel, has_video, language, created_at, last_activity_at, waiting_since, "
    "owner_read_at, search_text"
)
STAGED_COLUMNS = THREAD_COLUMNS + ", config"
STAGING = (
    "CREATE UNLOGGED TABLE bench_thread (id int, organisation_id int, answer_id int, "
    "owner_id int, status text, token text, question_id int, touchpoint_id int, place_id int, "
    "channel text, has_video bool, language text, created_at timestamptz, "
    "last_activity_at timestamptz, waiting_since timestamptz, owner_read_at timestamptz, "
    "search_text text, config text)"
)
COMMENT_COLUMNS = (
    "id, thread_id, organisation_id, kind, author_id, body, language, created_at, data"
)


@contextmanager
def _phase(what: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    print(f"  {what}: {time.perf_counter() - started:.0f} s", flush=True)


def _drop_indexes(cur: Any, tables: tuple[str, ...]) -> list[str]:
    """Drop the tables' indexes that back no constraint; their definitions, to build after."""
    cur.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) "
        "AND i.indexname NOT IN (SELECT conname FROM pg_constraint)",
        (list(tables),),
    )
    found = cur.fetchall()
    for name, _definition in found:
        cur.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in found]


def _run(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        conn.execute(sql)


def _insert_threads(url: str, half: int) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            f"INSERT INTO thread ({THREAD_COLUMNS}, search_vector) "  # noqa: S608 (constants)
            f"SELECT {THREAD_COLUMNS}, to_tsvector(config::regconfig, search_text) "
            "FROM bench_thread WHERE id %% 2 = %s",
            (half,),
        )


# --- measuring -----------------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    path: str
    page_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # this process's CPU for the page
    sql_ms: list[float] = field(default_factory=list)
    sql: tuple[str, Any] | None = None  # the page's own query, as the page sent it
    queries: int = 0
    rows: int = 0


def scenarios(org: Org, cursor: str) -> list[Scenario]:
    area = org.areas[1]
    return [
        Scenario("first page, mine", "/app/inbox"),
        Scenario("first page, all", "/app/inbox?scope=all"),
        Scenario(
            "filtered: open + SMS + area",
            f"/app/inbox?scope=all&status=open&channel=sms&place={area}",
        ),
        Scenario(f"search one word ({SEARCH_WORD})", f"/app/inbox?scope=all&q={SEARCH_WORD}"),
        Scenario(f"search a rare word ({RARE_WORD})", f"/app/inbox?scope=all&q={quote(RARE_WORD)}"),
        Scenario("page 41, all (keyset)", f"/app/inbox?scope=all&after={cursor}"),
        Scenario("unread only, mine", "/app/inbox?unread=1"),
    ]


class Capture:
    """Every statement the app sends while on."""

    def __init__(self, engine: sa.Engine) -> None:
        self.statements: list[tuple[str, Any]] = []
        self.on = False
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, params: Any, *_rest: Any) -> None:
        if self.on:
            self.statements.append((statement, params))


def _page_query(statements: list[tuple[str, Any]]) -> tuple[str, Any]:
    return next(s for s in statements if "ORDER BY thread.last_activity_at DESC" in s[0])


def _badge_query(statements: list[tuple[str, Any]]) -> tuple[str, Any]:
    return next(s for s in statements if "count(*)" in s[0] and "owner_read_at" in s[0])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def deep_cursor(database_url: str, org: Org, offset: int) -> str:
    from panel.threads.inbox_filters import encode_cursor

    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT last_activity_at, id FROM thread WHERE organisation_id = :org "
                "ORDER BY last_activity_at DESC, id DESC OFFSET :n LIMIT 1"
            ),
            {"org": org.id, "n": offset},
        ).one()
    engine.dispose()
    return encode_cursor(row[0], row[1])


def measure(
    database_url: str, instance: Path, org: Org, requests: int
) -> tuple[list[Scenario], Any]:
    """Each scenario: the page through the test client, and its query replayed bare."""
    import psycopg

    from panel.app import create_app
    from panel.core.extensions import db

    app = create_app(_settings(database_url, instance))
    app.config["WTF_CSRF_ENABLED"] = False
    logging.getLogger("stoop.request").setLevel(logging.WARNING)
    browser = app.test_client()
    response = browser.post("/login", data={"email": org.email, "password": PASSWORD})
    assert response.status_code == 303, response.status_code
    with app.app_context():
        capture = Capture(db.engine)
    listed = scenarios(org, deep_cursor(database_url, org, 40 * 50))
    bare = psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://", 1))
    for scenario in listed:
        capture.statements, capture.on = [], True
        response = browser.get(scenario.path)
        capture.on = False
        assert response.status_code == 200, (scenario.path, response.status_code)
        scenario.queries = len(capture.statements)
        scenario.sql = _page_query(capture.statements)
        scenario.rows = response.get_data(as_text=True).count('class="inbox-row')
        badge = _badge_query(capture.statements)
    with bare.cursor() as cur:
        for _ in range(20):  # warm both sides up
            for scenario in listed:
                browser.get(scenario.path)
                cur.execute(*scenario.sql)
                cur.fetchall()
        for _ in range(requests):
            for scenario in listed:  # side by side: a page, then its query bare
                started, cpu = time.perf_counter(), time.thread_time()
                browser.get(scenario.path)
                scenario.page_ms.append((time.perf_counter() - started) * 1000)
                scenario.cpu_ms.append((time.thread_time() - cpu) * 1000)
                started = time.perf_counter()
                cur.execute(*scenario.sql)
                cur.fetchall()
                scenario.sql_ms.append((time.perf_counter() - started) * 1000)
    bare.close()
    return listed, badge


def explain(database_url: str, statement: tuple[str, Any]) -> str:
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement[0], statement[1]).fetchall()
    return "\n".join(row[0] for row in rows)


def time_bare(database_url: str, statement: tuple[str, Any], n: int) -> list[float]:
    import psycopg

    times = []
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        for _ in range(n):
            started = time.perf_counter()
            conn.execute(*statement).fetchall()
            times.append((time.perf_counter() - started) * 1000)
    return times


def profile(database_url: str, instance: Path, org: Org, requests: int) -> None:
    """Where a page's time goes: cProfile of each page through the test client."""
    import cProfile
    import pstats

    from panel.app import create_app

    app = create_app(_settings(database_url, instance))
    app.config["WTF_CSRF_ENABLED"] = False
    logging.getLogger("stoop.request").setLevel(logging.WARNING)
    browser = app.test_client()
    browser.post("/login", data={"email": org.email, "password": PASSWORD})
    for scenario in scenarios(org, deep_cursor(database_url, org, 40 * 50))[:2]:
        for _ in range(10):
            browser.get(scenario.path)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            browser.get(scenario.path)
        profiler.disable()
        print(f"\n===== {scenario.name}: {requests} requests")
        for order, lines in (("cumulative", 50), ("tottime", 30)):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(lines)
            print("\n".join(out.getvalue().splitlines()[2:]))


# --- reporting -----------------------------------------------------------------------------------


def report(org: Org, listed: list[Scenario], badge_ms: list[float]) -> int:
    load = " / ".join(f"{n:.1f}" for n in os.getloadavg())
    print(
        f"\n{org.counts['threads']:,} threads, {org.counts['comments']:,} comments, "
        f"{org.counts['reads']:,} read marks; the measured admin owns {org.counts['mine']:,}; "
        f"loaded in {org.loaded_in:.0f} s; load average {load} on {os.cpu_count()} CPUs"
    )
    head = (
        f"| {'page':36} | rows | queries | p50 ms | p99 ms | app CPU ms | SQL p50 ms | page/SQL |"
    )
    lines = [head, "|" + "|".join("-" * len(c) for c in head.split("|")[1:-1]) + "|"]
    failed = 0
    for s in listed:
        p50, p99 = statistics.median(s.page_ms), _percentile(s.page_ms, 0.99)
        sql50 = statistics.median(s.sql_ms)
        failed += p50 > P50_TARGET_MS or p99 > P99_TARGET_MS
        lines.append(
            f"| {s.name:36} | {s.rows:4} | {s.queries:7} | {p50:6.1f} | {p99:6.1f} | "
            f"{statistics.median(s.cpu_ms):10.1f} | {sql50:10.2f} | {p50 / sql50:7.1f}x |"
        )
    lines.append(
        f"| {'menu badge: unread count, SQL alone':36} |    1 |       1 | "
        f"{statistics.median(badge_ms):6.2f} | {_percentile(badge_ms, 0.99):6.2f} |"
        f"            |            |          |"
    )
    verdict = "met" if not failed else f"NOT met by {failed} page(s)"
    print("\n".join(lines))
    print(f"targets p50 < {P50_TARGET_MS:.0f} ms, p99 < {P99_TARGET_MS:.0f} ms: {verdict}")
    return 0


def found_organisation(database_url: str) -> Org:
    """The organisation an earlier run loaded and kept (``--reuse``)."""
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        one = lambda sql, **p: [row[0] for row in conn.execute(sa.text(sql), p)]  # noqa: E731
        org = Org(
            id=one("SELECT id FROM organisation ORDER BY id LIMIT 1")[0],
            email="asa.oberg@example.org",
            owners=one("SELECT id FROM user_account ORDER BY id"),
            questions=one("SELECT id FROM question ORDER BY id"),
            areas=one("SELECT id FROM place WHERE kind = 'area' ORDER BY id"),
            stairwells=one("SELECT id FROM place WHERE kind = 'stairwell' ORDER BY id"),
            touchpoints=one("SELECT id FROM touchpoint ORDER BY id"),
        )
        org.counts = {
            "threads": one("SELECT count(*) FROM thread")[0],
            "comments": one("SELECT count(*) FROM thread_comment")[0],
            "reads": one("SELECT count(*) FROM thread_read")[0],
            "mine": one("SELECT count(*) FROM thread WHERE owner_id = :o", o=org.owners[0])[0],
        }
    engine.dispose()
    return org


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="per page")
    parser.add_argument("--threads", type=int, default=200_000)
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--profile", action="store_true", help="profile the pages instead")
    parser.add_argument("--keep", action="store_true", help="keep the database (prints its URL)")
    parser.add_argument("--reuse", metavar="URL", help="measure a database a --keep run left")
    args = parser.parse_args()
    if args.reuse:
        database_url, drop = args.reuse, lambda: None
    else:
        database_url, drop = make_database()
    instance = Path(tempfile.mkdtemp(prefix="stoop-bench-instance-"))
    try:
        if not database_url.startswith("postgresql"):
            print(
                "bench_inbox measures PostgreSQL (full-text search, GIN): none reachable, skipped"
            )
            return 0
        if args.reuse:
            org = found_organisation(database_url)
        else:
            started = time.perf_counter()
            org = seed_organisation(database_url, instance)
            load(database_url, org, args.threads, args.comments)
            org.loaded_in = time.perf_counter() - started
            print(f"loaded in {org.loaded_in:.0f} s", flush=True)
        if args.keep:
            print(f"kept: --reuse {database_url}", flush=True)
        if args.profile:
            profile(database_url, instance, org, args.requests)
            return 0
        listed, badge = measure(database_url, instance, org, args.requests)
        for scenario in listed:
            print(f"\n----- EXPLAIN (ANALYZE, BUFFERS): {scenario.name}  GET {scenario.path}")
            print(explain(database_url, scenario.sql))
        print("\n----- EXPLAIN (ANALYZE, BUFFERS): the menu's unread count")
        print(explain(database_url, badge))
        return report(org, listed, time_bare(database_url, badge, args.requests))
    finally:
        if not args.keep:
            drop()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
