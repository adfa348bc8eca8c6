"""Sharing a report: read-only links (logged out, personal data hidden or shown, revoked,
expired), the PDF (rendered to PNG: the charts are drawn), the CSV and XLSX of the answers
(exact rows, formula-looking texts made harmless), the e-mail to colleagues (reaches the SMTP
server with the summary, the link and a PNG that loads), and bad input.

One organisation is seeded once for the module: 320 answers in the report's dates (long texts
with newlines and commas, non-ASCII, texts that look like formulas), 15 outside them, a tenant
with a non-ASCII name, an e-mail address and a phone number who allowed being named and quoted,
and another organisation with a report and a colleague of its own.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy
import pytest
import sqlalchemy as sa
from flask import Flask
from PIL import Image

from notifications.models import OutboundMessage
from panel.accounts.models import User
from panel.answers.models import Answer
from panel.contacts.models import Contact
from panel.core.scoping import scoped_to
from panel.places.service import ensure_path
from panel.questions.models import Question, QuestionStatus
from panel.reports.models import Report, ReportItem, ShareLink
from tests.conftest import savepoint_binding
from tests.factories import OrganisationFactory, UserFactory, login

STARTS, ENDS = dt.date(2026, 9, 1), dt.date(2026, 11, 30)
TENANT = "Zoë Ångström-Øberg"
TENANT_EMAIL = "zoe.angstrom@example.se"
TENANT_PHONE = "+46701234567"
QUOTE = "Tack för den nya belysningen i trapphuset, nu känns det tryggt på kvällen."
LONG = (
    "Hissen, som har stått still i två veckor, är trasig igen.\n"
    'Vi har ringt felanmälan tre gånger, "ingen" har kommit.\r\nSnälla, gör något!'
)
FORMULAS = ['=HYPERLINK("http://evil.example","klick")', "+46 70 123", "-2+3", "@SUM(A1)"]
TEXTS = [LONG, "Bra städning, men soprummet luktar.", "Çok güzel, teşekkürler", "", None]


@dataclass(frozen=True)
class Staff:
    """A staff account's plain values (the module's rows outlive their session)."""

    id: int
    email: str

    @classmethod
    def of(cls, user: User) -> Staff:
        return cls(user.id, user.email)


@dataclass
class World:
    org_id: int
    org_name: str
    report_id: int
    other_report_id: int
    me: Staff
    colleague: Staff
    staff: Staff
    stranger: Staff
    in_range: dict[int, dict[str, Any]]  # answer id → what was written


@pytest.fixture(scope="module")
def world(app: Flask) -> Iterator[World]:
    with savepoint_binding(app) as session:
        yield seed(session)


def seed(session: Any) -> World:
    rng = random.Random(4)
    org = OrganisationFactory(name="Bostäder Ängsbacken & Söner", settings={"report_min_group": 3})
    other = OrganisationFactory(name="Grannbolaget")
    me = UserFactory(organisation=org, communicator=True, name="Maja Kommunikatör")
    colleague = UserFactory(organisation=org, name="Bengt Lind", email="bengt.lind@example.se")
    staff = UserFactory(organisation=org, name="Sara Personal")
    stranger = UserFactory(organisation=other, communicator=True)
    in_range: dict[int, dict[str, Any]] = {}
    with scoped_to(session, org.id):
        places = [
            ensure_path(session, ["Ängsbacken", "Ängsbacksvägen 3", f"Trappuppgång {c}"])[0]
            for c in "ABÖ"
        ]
        question = Question(
            owner_id=me.id,
            title="Hur trivs du i trapphuset?",
            answer_modes=["score", "text"],
            status=QuestionStatus.LIVE,
            organisation_id=org.id,
        )
        session.add(question)
        contact = Contact(
            name=TENANT, email=TENANT_EMAIL, phone=TENANT_PHONE, organisation_id=org.id
        )
        session.add(contact)
        session.flush()

        def answer(day: dt.date, n: int, **values: Any) -> Answer:
            row = Answer(
                organisation_id=org.id,
                question_id=question.id,
                channel=rng.choice(["web", "qr", "sms", "email"]),
                language=rng.choice(["sv", "tr", "ar"]),
                score=rng.randint(1, 10),
                place_id=rng.choice(places).id,
                me_token=secrets.token_urlsafe(32),
                created_at=dt.datetime.combine(day, dt.time(9, 30), tzinfo=dt.UTC)
                + dt.timedelta(minutes=n % 600),
                **values,
            )
            session.add(row)
            return row

        span = (ENDS - STARTS).days
        rows = []
        for n in range(320):
            text = FORMULAS[(n // 40) % 4] if n % 40 == 0 else TEXTS[n % len(TEXTS)]
            identity = n % 7 == 0
            rows.append(
                answer(
                    STARTS + dt.timedelta(days=n % (span + 1)),
                    n,
                    text=text,
                    consent_identity=identity,
                    consent_quote=n % 3 == 0,
                    respondent_name=f"Hyresgäst {n}" if n % 2 else None,
                    respondent_email=f"h{n}@example.se" if n % 2 else None,
                )
            )
        named = answer(
            ENDS,
            999,
            text=QUOTE,
            contact_id=contact.id,
            consent_identity=True,
            consent_quote=True,
            respondent_name=TENANT,
            respondent_email=TENANT_EMAIL,
            respondent_phone=TENANT_PHONE,
        )
        rows.append(named)
        for n in range(15):
            answer(STARTS - dt.timedelta(days=200 + n), n, text="Utanför perioden")
        session.flush()
        for row in rows:
            in_range[row.id] = {"text": row.text, "identity": row.consent_identity}
        report = Report(
            organisation_id=org.id,
            title="Trivsel i trapphusen hösten 2026",
            created_by_id=me.id,
            question_ids=[question.id],
            starts_on=STARTS,
            ends_on=ENDS,
            texts={"intro": "Så här tycker hyresgästerna."},
        )
        session.add(report)
        session.flush()
        session.add(
            ReportItem(
                organisation_id=org.id, report_id=report.id, answer_id=named.id, kind="quote"
            )
        )
    with scoped_to(session, other.id):
        other_report = Report(organisation_id=other.id, title="Grannarnas rapport")
        session.add(other_report)
    session.commit()
    return World(
        org_id=org.id,
        org_name=org.name,
        report_id=report.id,
        other_report_id=other_report.id,
        me=Staff.of(me),
        colleague=Staff.of(colleague),
        staff=Staff.of(staff),
        stranger=Staff.of(stranger),
        in_range=in_range,
    )


@pytest.fixture
def signed_in(app: Flask, world: World) -> Any:
    client = app.test_client()
    login(client, world.me)
    return client


def share(client: Any, world: World, **form: str) -> str:
    """Make a link through the form; its token."""
    response = client.post(f"/app/reports/{world.report_id}/share", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    return link_token(response.headers["Location"])


def link_token(location: str) -> str:
    from tests.factories import system_session

    link_id = int(location.split("new=")[1].split("#")[0])
    return system_session().get(ShareLink, link_id).token


# --- share links ------------------------------------------------------------------------------


def test_a_link_opens_logged_out_and_hides_personal_data(app, world, signed_in):
    hidden = share(signed_in, world, label="Styrelsen", hide_personal="1")
    shown = share(signed_in, world, label="Förvaltningen")
    anonymous = app.test_client()

    page = anonymous.get(f"/r/{hidden}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert (
        "Trivsel i trapphusen hösten 2026" in text and world.org_name.replace("&", "&amp;") in text
    )
    assert QUOTE in text  # the tenant allowed quoting
    for personal in (TENANT, TENANT_EMAIL, TENANT_PHONE, "070-123"):
        assert personal not in text
    assert page.headers["Cache-Control"].startswith("no-store")
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in page.headers["X-Robots-Tag"] and 'content="noindex' in text

    with_names = anonymous.get(f"/r/{shown}").get_data(as_text=True)
    assert TENANT in with_names and QUOTE in with_names

    listing = signed_in.get(f"/app/reports/{world.report_id}/share").get_data(as_text=True)
    assert "Styrelsen" in listing and hidden in listing and "1 time" in listing


def test_a_revoked_or_expired_link_says_so_and_an_unknown_one_is_404(app, world, signed_in):
    token = share(signed_in, world, label="Revisorn", hide_personal="1")
    anonymous = app.test_client()
    assert anonymous.get(f"/r/{token}").status_code == 200
    link = _link(token)
    signed_in.post(f"/app/reports/{world.report_id}/share/{link.id}/revoke")

    gone = anonymous.get(f"/r/{token}")
    assert gone.status_code == 410 and "switched off" in gone.get_data(as_text=True)
    assert gone.headers["Referrer-Policy"] == "no-referrer"
    assert anonymous.get(f"/r/{token}/report.pdf").status_code == 410

    # Tomorrow by UTC's calendar: never before today on the organisation's clock (Stockholm's
    # day starts an hour or two before UTC's, when "today" in UTC is already in the past).
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    expiring = share(signed_in, world, label="Snart", expires_on=tomorrow.isoformat())
    assert anonymous.get(f"/r/{expiring}").status_code == 200
    from tests.factories import system_session

    session = system_session()
    _link(expiring).expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    session.commit()
    expired = anonymous.get(f"/r/{expiring}")
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)

    assert anonymous.get("/r/" + secrets.token_urlsafe(32)).status_code == 404
    assert anonymous.get("/r/short").status_code == 404


def _link(token: str) -> ShareLink:
    from tests.factories import system_session

    session = system_session()
    session.expire_all()
    return session.scalar(sa.select(ShareLink).where(ShareLink.token == token))


def test_bad_input_is_a_clear_4xx(app, world, signed_in):
    base = f"/app/reports/{world.report_id}"
    past = signed_in.post(f"{base}/share", data={"expires_on": "2020-01-01"})
    assert past.status_code == 422 and "cannot be in the past" in past.get_data(as_text=True)
    assert signed_in.post(f"{base}/share", data={"label": "x" * 5000}).status_code == 422
    assert signed_in.post(f"{base}/share", data={"expires_on": "31/12"}).status_code == 422
    theirs = f"/app/reports/{world.other_report_id}"
    for path in ("/share", "/report.pdf", "/answers.csv", "/answers.xlsx"):
        assert signed_in.get(theirs + path).status_code == 404, path
    assert signed_in.post(f"{theirs}/share", data={"label": "x"}).status_code == 404
    stranger = signed_in.post(f"{base}/share/email", data={"to": str(world.stranger.id)})
    assert stranger.status_code == 422 and "no colleague" in stranger.get_data(as_text=True)
    assert signed_in.post(f"{base}/share/email", data={"to": "abc"}).status_code == 422
    assert signed_in.post(f"{base}/share/999999/revoke").status_code == 404

    plain = app.test_client()
    login(plain, world.staff)
    assert plain.get(f"{base}/answers.csv").status_code == 403
    assert plain.post(f"{base}/share", data={"label": "x"}).status_code == 403
    assert app.test_client().get(f"{base}/answers.csv").status_code in (302, 401)


# --- PDF --------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils")
def test_the_pdf_renders_with_its_charts(world, signed_in, tmp_path: Path):
    response = signed_in.get(f"/app/reports/{world.report_id}/report.pdf")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "Trivsel-i-trapphusen-h" in response.headers["Content-Disposition"]
    (tmp_path / "report.pdf").write_bytes(response.data)
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", str(tmp_path / "report.pdf"), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages
    brand = sum(  # pixels of the charts' bars and lines (#1f5f5b, #9cc5bf)
        int(near(pixels, colour, by).sum())
        for page in pages
        for pixels in [numpy.asarray(Image.open(page).convert("RGB"), dtype=numpy.int16)]
        for colour, by in (((0x1F, 0x5F, 0x5B), 30), ((0x9C, 0xC5, 0xBF), 20))
    )
    assert brand > 400, brand
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "report.pdf"), "-"], capture_output=True, text=True
    ).stdout
    assert "Trivsel i trapphusen hösten 2026" in text and "Bostäder Ängsbacken" in text
    assert re.search(rf"\b1\s*/\s*{len(pages)}\b", text)


def near(pixels: Any, colour: tuple[int, int, int], by: int) -> Any:
    """Which pixels of an RGB array are within ``by`` of ``colour`` in every channel."""
    return (numpy.abs(pixels - numpy.array(colour, dtype=numpy.int16)) < by).all(axis=-1)


# --- CSV and XLSX -----------------------------------------------------------------------------


def test_csv_has_exactly_the_reports_answers(world, signed_in):
    response = signed_in.get(f"/app/reports/{world.report_id}/answers.csv")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Answer id", "Date", "Question"]
    by_id = {int(row[0]): row for row in body}
    assert len(body) == len(by_id) == len(world.in_range) == 321
    assert set(by_id) == set(world.in_range)
    text_col, name_col, email_col = (
        header.index("Text"),
        header.index("Name"),
        header.index("E-mail"),
    )
    for answer_id, written in world.in_range.items():
        row = by_id[answer_id]
        expected = (written["text"] or "").replace("\r\n", "\n")
        shown = row[text_col].replace("\r\n", "\n")
        if expected[:1] in ("=", "+", "-", "@"):
            assert shown == "'" + expected
        else:
            assert shown == expected
        if not written["identity"]:
            assert row[name_col] == row[email_col] == ""
    named = next(row for row in body if row[text_col] == QUOTE)
    assert named[name_col] == TENANT and named[email_col] == TENANT_EMAIL
    assert named[header.index("Phone")] == "'" + TENANT_PHONE  # shown as text, + kept


def test_xlsx_opens_with_the_same_rows_and_no_formulas(world, signed_in):
    from openpyxl import load_workbook

    response = signed_in.get(f"/app/reports/{world.report_id}/answers.xlsx")

    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert len(body) == 321 and {row[0] for row in body} == set(world.in_range)
    text_col = header.index("Text")
    texts = {row[0]: row[text_col] for row in body}
    for answer_id, written in world.in_range.items():
        # Exactly, formulas as text (XML reads every line end as \n).
        assert (texts[answer_id] or "") == (written["text"] or "").replace("\r\n", "\n")
    assert isinstance(body[0][1], dt.datetime)
    cells = {
        c.value: c.data_type for row in sheet.iter_rows() for c in row[text_col : text_col + 1]
    }
    assert all(cells[f] == "s" for f in FORMULAS)


# --- e-mail to colleagues ---------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="needs librsvg2-bin")
def test_the_email_reaches_colleagues_once_with_summary_link_and_a_png(
    app, world, signed_in, smtp_server, monkeypatch
):
    monkeypatch.setattr(app.config["STOOP"], "smtp_url", smtp_server.url)
    form = {
        "to": str(world.colleague.id),
        "message": "Läs före mötet på torsdag.",
        "form_key": "k" * 24,
    }
    base = f"/app/reports/{world.report_id}/share/email"

    assert signed_in.post(base, data=form).status_code == 303
    again = signed_in.post(base, data=form, follow_redirects=True)
    assert "not sent again" in again.get_data(as_text=True)

    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == world.colleague.email
    assert "Trivsel i trapphusen hösten 2026" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Läs före mötet på torsdag." in text and "321" in text
    assert f"/app/reports/{world.report_id}" in text
    assert TENANT not in text + html and TENANT_EMAIL not in text + html
    src = html.split('<img src="')[-1].split('"')[0]
    assert "/charts/" in src and src.endswith(".png")
    path = src.split("127.0.0.1:5000", 1)[1]
    image = app.test_client().get(path)  # logged out, as an e-mail client
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert Image.open(io.BytesIO(image.data)).size[0] >= 560
    from tests.factories import system_session

    sent = (
        system_session()
        .scalars(sa.select(OutboundMessage).where(OutboundMessage.purpose == "report-email"))
        .all()
    )
    assert len(sent) == 1
