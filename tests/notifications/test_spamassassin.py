"""Every message template Stoop sends scores ≤ 0 with SpamAssassin's local rules
(``spamassassin -L -t``), as the exact bytes the SMTP server receives: realistic data (long
Swedish text, the organisation's name and colour), rendered and delivered through the real path
to the loopback SMTP server.

A new e-mail template gets a case in :data:`CASES`; :func:`test_every_e_mail_template_has_a_case`
fails until it has one.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from notifications import messages
from notifications.senders import configure_sender
from panel.accounts import emails
from tests.factories import ContactFactory, OrganisationFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
SPAMASSASSIN = shutil.which("spamassassin")
pytestmark = pytest.mark.skipif(
    SPAMASSASSIN is None,
    reason="spamassassin is not installed (Debian package spamassassin: make sysdeps)",
)
MAX_SCORE = 0.0

QUESTION_TEXT = [
    "Vi på Bostadsstiftelsen Ängsbacken planerar att rusta upp innergården mellan Gårdsvägen 3 "
    "och 5 under våren, och vi vill gärna höra vad du som bor här tycker innan vi bestämmer "
    "något. I den korta filmen berättar Märta Lindqvist från förvaltningen om de tre förslagen: "
    "fler bänkar och bord i solläget, en större lekplats med gungor för de minsta, eller "
    "odlingslådor som alla hyresgäster kan dela på.",
    "Du svarar direkt i webbläsaren med en kort video, ett ljudklipp eller några rader text, "
    "precis som det passar dig. Det tar ett par minuter. Vi läser alla svar och du får ett "
    "personligt svar från förvaltningen inom två veckor. Sista dag att svara är den 15 mars.",
]


def score(raw: bytes) -> tuple[float, str]:
    """SpamAssassin's score of ``raw`` with local rules only, and its report."""
    done = subprocess.run(
        [SPAMASSASSIN or "spamassassin", "-L", "-t"],
        input=raw,
        capture_output=True,
        timeout=120,
        check=True,
    )
    out = done.stdout.decode("utf-8", "replace")
    found = re.search(r"^X-Spam-Status: \w+, score=(-?\d+(?:\.\d+)?)", out, re.MULTILINE)
    assert found, out[:2000]
    report = out[out.find("Content analysis details") :]
    return float(found.group(1)), report


@pytest.fixture
def org(db_session, monkeypatch, settings):
    # Links as in production: https, no port (a port of its own costs points: WEIRD_PORT).
    monkeypatch.setattr(settings, "base_url", "https://stoop.angsbacken.se")
    org = OrganisationFactory(name="Bostadsstiftelsen Ängsbacken", slug="angsbacken")
    configure_sender(
        db_session,
        org.id,
        email_from_name="Bostadsstiftelsen Ängsbacken",
        email_from_address="hyresgaster@angsbacken.se",
        brand_colour="#7a1f3d",
    )
    db_session.commit()
    return org


def reset(db_session, org) -> None:
    user = UserFactory(
        organisation=org, name="Märta Lindqvist", email="marta.lindqvist@angsbacken.se", locale="sv"
    )
    emails.send_password_reset(db_session, user)


def invite(db_session, org) -> None:
    inviter = UserFactory(
        organisation=org, name="Göran Åberg", email="goran.aberg@angsbacken.se", locale="sv"
    )
    user = UserFactory(
        organisation=org, name="Sofia Öhman", email="sofia.ohman@angsbacken.se", locale="sv"
    )
    emails.send_invitation(db_session, user, inviter)


def invite_elsewhere(db_session, org) -> None:
    inviter = UserFactory(
        organisation=org, name="Göran Åberg", email="goran.aberg@angsbacken.se", locale="sv"
    )
    elsewhere = OrganisationFactory(name="Hyresbostäder i Norrköping")
    owner = UserFactory(
        organisation=elsewhere, name="Sofia Öhman", email="sofia.ohman@example.se", locale="sv"
    )
    emails.send_invitation_elsewhere(db_session, owner, inviter)


def bulk_question(db_session, org) -> None:
    contact = ContactFactory(
        organisation=org, name="Åsa Öberg", email="asa.oberg@example.se", language="sv"
    )
    messages.queue_bulk(
        db_session,
        organisation_id=org.id,
        template="notifications/personal",
        purpose="question",
        list_key="panel-12",
        recipients=[
            messages.Recipient(
                address=contact.email,
                dedupe_key=f"question:1:{contact.id}",
                language="sv",
                values={"name": contact.name, "link": "https://stoop.example/a/kR4p9xQ2mZ7tLw"},
                contact_id=contact.id,
            )
        ],
        context={
            "subject": "Hur vill du att innergården ska bli?",
            "paragraphs": QUESTION_TEXT,
            "button": "Svara på frågan",
            "footer": "Du får det här mejlet eftersom du är med i hyresgästpanelen Tillsammans.",
        },
    )


def question_to_a_panel(template: str) -> Callable[..., None]:
    """A send's invitation or reminder, rendered as the sends room renders it (its context:
    title, prompt, poster image, closing date) through the same bulk path."""

    def queue(db_session, org) -> None:
        contact = ContactFactory(
            organisation=org, name="Åsa Öberg", email="asa.oberg@example.se", language="sv"
        )
        messages.queue_bulk(
            db_session,
            organisation_id=org.id,
            template=template,
            purpose="send_invitation",
            list_key="panel-12",
            recipients=[
                messages.Recipient(
                    address=contact.email,
                    dedupe_key=f"send-1-{contact.id}",
                    language="sv",
                    values={
                        "name": contact.name,
                        "link": "https://stoop.angsbacken.se/a/kR4p9xQ2mZ7tLwVb3nYd8s",
                    },
                    contact_id=contact.id,
                )
            ],
            context={
                "question_title": "Hur vill du att innergården ska bli?",
                "question_prompt": " ".join(QUESTION_TEXT),
                "poster": "https://stoop.angsbacken.se/media/7fK2pQ/poster.jpg",
                "closes_at": dt.datetime(2027, 3, 15, 12, tzinfo=dt.UTC),
            },
            ref="send:1",
        )

    return queue


def join_confirmation(db_session, org) -> None:
    """The double opt-in e-mail of a panel's join page, as the join service queues it."""
    from tests.factories import make_panel

    panel = make_panel(org, name="Tillsammans", description="Hyresgäster som vill tycka till.")
    messages.queue(
        db_session,
        organisation_id=org.id,
        template="panels/email/join_confirm",
        purpose="panel_join",
        recipients=[
            messages.Recipient(
                address="asa.oberg@example.se", dedupe_key="panel_join:1:abc", language="sv"
            )
        ],
        context={
            "panel": panel,
            "name": "Åsa Öberg",
            "link": f"https://stoop.angsbacken.se/join/{panel.slug}/confirm/kR4p9xQ2mZ7tLwVb3nYd8s",
            "days": 7,
        },
        ref=f"panel:{panel.id}",
    )


ANSWER_WORDS = (
    "Hissen i trapphus B har stått still sedan i måndags och min mamma som bor på femte våningen "
    "kommer inte ut. Vi har ringt felanmälan två gånger men ingen har hört av sig ännu."
)
THREAD_LINK = "https://stoop.angsbacken.se/app/threads/4711"
ANSWER = {
    "text": ANSWER_WORDS,
    "score": 3,
    "choice": None,
    "clip": "video",
    "who": "Zeynep Yılmaz",
    "channel": "SMS",
}


def staff_message(template: str, **context: object) -> Callable[..., None]:
    """A message to a staff member of the organisation (a notice, a digest, an alert), queued
    with the context the threads and webhooks rooms give it."""

    def queue(db_session, org) -> None:
        user = UserFactory(
            organisation=org,
            name="Märta Lindqvist",
            email="marta.lindqvist@angsbacken.se",
            locale="sv",
        )
        messages.queue(
            db_session,
            organisation_id=org.id,
            template=template,
            purpose="thread-notice",
            recipients=[
                messages.Recipient(address=user.email, dedupe_key=f"{template}:1", language="sv")
            ],
            context={"question_title": "Hur fungerar hissen i ert trapphus?", **context},
            ref="thread:4711",
        )

    return queue


def reply_to_tenant(db_session, org) -> None:
    """A staff member's reply to a tenant's answer, with the thread's own Reply-To."""
    contact = ContactFactory(
        organisation=org, name="Åsa Öberg", email="asa.oberg@example.se", language="sv"
    )
    messages.queue(
        db_session,
        organisation_id=org.id,
        template="threads/email/reply",
        purpose="thread-reply",
        recipients=[
            messages.Recipient(
                address=contact.email,
                dedupe_key="thread-reply:1",
                language="sv",
                contact_id=contact.id,
            )
        ],
        context={
            "question_title": "Hur fungerar hissen i ert trapphus?",
            "body": "Hej Åsa! Tack för att du hörde av dig. Hissteknikern kommer i morgon "
            "förmiddag och vi ringer dig när hissen går igen. Hälsningar, Märta på förvaltningen.",
            "has_video": True,
            "link": "https://stoop.angsbacken.se/me/kR4p9xQ2mZ7tLwVb3nYd8s",
        },
        ref="thread:4711",
        headers={"Reply-To": "reply+kR4p9xQ2mZ7tLwVb3nYd8sQ@svar.angsbacken.se"},
    )


def newsletter_to_tenants(db_session, org) -> None:
    """A "you said, we did" newsletter to a tenant, as the newsletter's task writes it."""
    from panel.newsletters import service as newsletters
    from panel.newsletters.models import Newsletter

    contact = ContactFactory(
        organisation=org, name="Åsa Öberg", email="asa.oberg@example.se", language="sv"
    )
    newsletter = Newsletter(
        organisation_id=org.id,
        title="Ni sa, vi gjorde: belysningen på gården",
        body="Tack till alla som svarade på våra frågor i höstas! Många av er skrev om "
        "belysningen på gården och om hur det känns att gå hem på kvällen.\n\nNu har vi bytt "
        "armaturerna vid entréerna och längs gångvägen, och fler lampor kommer i januari.",
        language="sv",
        channels=["email"],
        token="kR4p9xQ2mZ7tLwVb3nYd8sQf2LmN5pXa",
        content={},
    )
    db_session.add(newsletter)
    db_session.flush()
    messages.queue_bulk(
        db_session,
        organisation_id=org.id,
        template="newsletters/email",
        purpose="newsletter",
        list_key=f"newsletter-{newsletter.id}",
        recipients=[
            messages.Recipient(
                address=contact.email,
                dedupe_key=f"newsletter-{newsletter.id}-{contact.id}",
                language="sv",
                contact_id=contact.id,
            )
        ],
        context=newsletters.view(db_session, newsletter),
        ref=f"newsletter:{newsletter.id}",
    )


THREAD_CASES: dict[str, Callable[..., None]] = {
    "threads/email/reply": reply_to_tenant,
    "threads/email/new_answer": staff_message(
        "threads/email/new_answer", link=THREAD_LINK, answer=ANSWER
    ),
    "threads/email/follow_up": staff_message(
        "threads/email/follow_up",
        link=THREAD_LINK,
        answer=ANSWER,
        follow_up="Tack för svaret! Hissen stannade igen i kväll mellan plan 3 och 4.",
        follow_up_channel="sms",
    ),
    "threads/email/mention": staff_message(
        "threads/email/mention",
        link=THREAD_LINK,
        answer=ANSWER,
        author="Göran Åberg",
        note="@marta kan du ringa hisservice? Det är tredje gången den här månaden.",
    ),
    "threads/email/handed_over": staff_message(
        "threads/email/handed_over",
        link=THREAD_LINK,
        answer=ANSWER,
        author="Göran Åberg",
        reason="Du har hand om hissarna i Ängsbacken sedan december.",
    ),
    "threads/email/forward": staff_message(
        "threads/email/forward",
        author="Göran Åberg",
        message="Hej! Den här gäller hissen i trapphus B, kan ni åka dit i morgon?",
        place="Ängsbacken / Gårdsvägen 3 / Trapphus B",
        answered_at=dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC),
        channel="SMS",
        score=3,
        choice=None,
        has_words=True,
        words={"text": ANSWER_WORDS, "transcript": None},
        identity_shared=True,
        who={"name": "Zeynep Yılmaz", "email": None, "phone": "+46 70 123 45 67"},
        clip_kind="video",
        clip_link="https://stoop.angsbacken.se/clips/kR4p9xQ2mZ7tLwVb3nYd8s",
        clip_days=14,
        link=THREAD_LINK,
        to_colleague=True,
    ),
    "threads/email/digest": staff_message(
        "threads/email/digest",
        threads=[
            {
                "question_title": "Hur fungerar hissen i ert trapphus?",
                "link": THREAD_LINK,
                "new_answer": True,
                "answer": ANSWER,
                "follow_ups": ["Den stannade igen i kväll."],
            },
            {
                "question_title": "Tvättstugans nya tider",
                "link": "https://stoop.angsbacken.se/app/threads/4712",
                "new_answer": False,
                "answer": {**ANSWER, "text": "Kvällstiderna passar oss mycket bättre."},
                "follow_ups": [None],
            },
        ],
        answers=1,
        follow_ups=2,
        count=2,
        more=0,
        inbox_link="https://stoop.angsbacken.se/app/inbox",
    ),
    "threads/email/reassigned": staff_message(
        "threads/email/reassigned",
        author="Göran Åberg",
        days=3,
        count=2,
        threads=[
            {
                "question_title": "Hur fungerar hissen i ert trapphus?",
                "link": THREAD_LINK,
                "days": 5,
                "answer": ANSWER,
            },
            {
                "question_title": "Tvättstugans nya tider",
                "days": 4,
                "answer": ANSWER,
                "link": "https://stoop.angsbacken.se/app/threads/4712",
            },
        ],
        inbox_link="https://stoop.angsbacken.se/app/inbox",
    ),
    "webhooks/email/disabled": staff_message(
        "webhooks/email/disabled",
        url="https://crm.angsbacken.se/hooks/stoop",
        reason="failed_deliveries",
        streak=15,
        days=3,
        link="https://stoop.angsbacken.se/app/settings/webhooks/3",
    ),
}


ACTION_LINK = "https://stoop.angsbacken.se/app/actions/31"
REPORT_TOKEN = "kR4p9xQ2mZ7tLwVb3nYd8sQf2LmN5pXa"
INSIGHT_CASES: dict[str, Callable[..., None]] = {
    "actions/email/reminder": staff_message(
        "actions/email/reminder",
        title="Byta belysning i trapphuset Klövervägen 21B",
        description="Flera svar nämner att det är mörkt i trapphuset på kvällarna. Byt till "
        "LED-armaturer med närvarogivare på alla våningsplan, och kontrollera porttelefonen.",
        where="Norra Ängby / Klövervägen 21 / Trapphus B",
        due_on=dt.date(2026, 12, 4),
        days_left=3,
        name="Märta Lindqvist",
        link=ACTION_LINK,
        list_link="https://stoop.angsbacken.se/app/actions/?mine=1",
    ),
    "actions/email/comment": staff_message(
        "actions/email/comment",
        title="Byta belysning i trapphuset Klövervägen 21B",
        author="Göran Åberg",
        body="Elektrikern kommer på tisdag förmiddag. Armaturerna är beställda och levereras "
        "till fastighetskontoret på måndag; jag lämnar nyckeln till källaren i receptionen.",
        link=f"{ACTION_LINK}#comment-7",
    ),
    "reports/email/report": staff_message(
        "reports/email/report",
        title="Trivsel och trygghet, december 2026",
        dates="2 nov. 2026 – 1 dec. 2026",
        author="Kim Holm",
        message="Hej! Här är månadens rapport inför mötet på områdeskontoret på torsdag. "
        "Titta särskilt på Klövervägen 21, där trivseln har gått ned.",
        answers=317,
        answers_before=99,
        score_target=7,
        target_share=65.0,
        scores=[
            {
                "title": "Hur trivs du i ditt trapphus?",
                "answers": 141,
                "mean": 7.8,
                "mean_before": 6.9,
                "share": 79,
                "share_before": 58,
            }
        ],
        indices=[{"name": "Serviceindex", "mean": 7.9, "share": 81, "meets_target": False}],
        places=[
            {
                "path": "Norra Ängby / Klövervägen 21 / Trapphus B",
                "answers": 19,
                "share": 42,
                "below": True,
            }
        ],
        images=[
            {
                "url": f"https://stoop.angsbacken.se/r/{REPORT_TOKEN}/charts/trend.png",
                "alt": "Svar och medelbetyg per vecka",
                "desc": "Antal svar per vecka och medelbetyget, som steg från 7,3 till 7,8.",
            }
        ],
        link="https://stoop.angsbacken.se/app/reports/1",
        share_link=f"https://stoop.angsbacken.se/r/{REPORT_TOKEN}",
        share_days=90,
    ),
    "newsletters/email": newsletter_to_tenants,
}


# template → how to make Stoop send it
CASES: dict[str, Callable[..., None]] = {
    "sends/invitation_email": question_to_a_panel("sends/invitation_email"),
    "sends/reminder_email": question_to_a_panel("sends/reminder_email"),
    "accounts/email/reset": reset,
    "accounts/email/invite": invite,
    "accounts/email/invite_elsewhere": invite_elsewhere,
    "notifications/personal": bulk_question,
    "panels/email/join_confirm": join_confirmation,
    **THREAD_CASES,
    **INSIGHT_CASES,
}


@pytest.mark.parametrize("template", sorted(CASES))
def test_the_message_scores_at_most_zero(db_session, org, use_smtp, template):
    CASES[template](db_session, org)
    db_session.commit()  # delivered after the commit, to the loopback SMTP server

    [received] = use_smtp.received
    value, report = score(received.raw)
    assert value <= MAX_SCORE, f"{template} scored {value}:\n{report}"


# "invite_elsewhere" speaks for another organisation (made in the case), which has no logo.
@pytest.mark.parametrize("template", sorted(set(CASES) - {"accounts/email/invite_elsewhere"}))
def test_with_a_logo_the_message_scores_at_most_zero(db_session, org, use_smtp, template):
    """The organisation's logo in the header costs no points.

    SpamAssassin's HTML_IMAGE_ONLY_04…32 add up to 2.8 points to any HTML part with an <img>
    and at most 3,200 characters of HTML source, whatever its text says. The layout's head
    (Outlook, dark-mode and phone settings) keeps even the shortest e-mail (a password reset)
    above that; this test notices if a change to a template brings one back under it.
    """
    from media.images import logo_picture
    from media.storage import current_storage
    from panel.organisations.brand import store_logo
    from panel.organisations.demo import demo_logo_png

    picture = logo_picture(demo_logo_png(org.name, "#7a1f3d"))
    store_logo(current_storage(), org, picture)
    db_session.commit()
    CASES[template](db_session, org)
    db_session.commit()

    [received] = use_smtp.received
    html = received.message.get_body(("html",)).get_content()
    assert f'src="https://stoop.angsbacken.se/o/angsbacken/logo-{picture.digest}.png"' in html
    value, report = score(received.raw)
    assert value <= MAX_SCORE, f"{template} with a logo scored {value}:\n{report}"


def test_the_check_sees_a_message_without_date_and_message_id(db_session, org, use_smtp):
    """The harness works: the same message without the headers Stoop sets scores above 0."""
    reset(db_session, org)
    db_session.commit()
    [received] = use_smtp.received
    lines = received.raw.split(b"\r\n")
    stripped = b"\r\n".join(
        line for line in lines if not line.startswith((b"Date:", b"Message-ID:"))
    )

    value, _report = score(stripped)

    assert value > MAX_SCORE


def test_every_e_mail_template_has_a_case():
    """Every message template with a subject and an HTML part (an e-mail) is in :data:`CASES`."""
    names = set()
    for room in ("panel", "notifications", "touchpoints"):
        for text in (ROOT / room).rglob("*.txt"):
            parts = text.relative_to(ROOT).parts
            if "templates" not in parts or not text.with_suffix(".html").exists():
                continue
            if "{% block subject %}" in text.read_text(encoding="utf-8"):
                inside = parts[parts.index("templates") + 1 :]
                names.add(str(Path(*inside).with_suffix("")))
    assert names, "found no e-mail templates"
    assert names <= set(CASES), f"add a case for {sorted(names - set(CASES))}"
