"""A realistic organisation on the live server, and every staff page of it, for the tests
that look at all of them (phones, accessibility).

The pages are found by walking the URL map, so a page added later is visited without editing
the tests: its URL variables are filled from the rows made here (every question in every
state, a contact, an e-mail in the outbox).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from media.models import MediaStatus
from notifications import mailbox, optouts
from notifications.dispatch import queue_email, queue_sms
from notifications.models import Channel
from notifications.senders import add_sender_number
from panel.answers.service import Consent, Given, record_answer
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.newsletters.models import Newsletter
from panel.panels.segments import create_segment
from panel.panels.service import add_members
from panel.places.service import ensure_path
from panel.questions.models import QuestionStatus
from panel.reports.models import CompositeIndex, Report, ReportExport
from panel.sends.service import create_send
from panel.threads.models import SavedReply
from panel.threads.service import thread_of_answer
from panel.webhooks import service as webhooks
from tests.factories import (
    PASSWORD,
    ContactFactory,
    OrganisationFactory,
    UserFactory,
    api_headers,
    make_panel,
)
from tests.questions.conftest import make_media, make_question
from touchpoints import funnel
from touchpoints.phone import create_voice_touchpoint
from touchpoints.service import create_touchpoint

LONG_ORG = "Bostadsstiftelsen Ängsbacken & Söner Fastighetsförvaltning AB"
VTT = "WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nHej och välkommen till Ängsbacken\n"
VARIABLE = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?(?P<name>\w+)>")


@dataclass
class StaffSite:
    """The organisation made on the live server: who logs in, and the rows pages show."""

    email: str
    questions: dict[str, int]
    contact_id: int
    mail_name: str
    panel_id: int = 0
    touchpoint_id: int = 0
    touchpoint_slug: str = ""
    voice_touchpoint_id: int = 0
    send_id: int = 0
    thread_id: int = 0
    saved_reply_id: int = 0
    webhook_id: int = 0
    action_item_id: int = 0
    report_id: int = 0
    composite_index_id: int = 0
    newsletter_id: int = 0
    urls: list[str] = field(default_factory=list)


def _long_html(name: str) -> str:
    rows = "".join(
        f"<tr><td style='padding:8px'>Rad {i}: {name} har svarat på frågan om trapphuset "
        f"i Ängsbacken och vill gärna bli kontaktad om tvättstugans nya tider.</td></tr>"
        for i in range(40)
    )
    return f"<html><body><table width='600'>{rows}</table></body></html>"


def seed_staff_site(server: Any) -> StaffSite:
    """Make the organisation, and return where its pages are."""
    with server.app_context() as session:
        org = OrganisationFactory(name=LONG_ORG, default_language="sv")
        admin = UserFactory(
            organisation=org, admin=True, name="Maria Lindqvist-Åkerström", locale="en"
        )
        staff = UserFactory(organisation=org, name="Ĳsbrand van der Meulen-Özdemir")
        UserFactory(organisation=org, name="Zeynep Yılmaz", password_hash=None)  # invited
        api_headers(admin, name="Fastighetssystemet (Vitec) – nattlig export av kontakter")
        with scoped_to(session, org.id):
            stairwell, _ = ensure_path(
                session,
                ["Norra Ängbyområdet med Kvarteret Björken", "Ängsbacksvägen 112 B", "Trapphus C"],
                code="NAB-112B-C",
            )
            session.commit()
        contacts = [
            ContactFactory(
                organisation=org,
                name=f"Margareta Johansson-Eriksson {i}",
                email=f"margareta.johansson-eriksson.{i}@bostadsstiftelsen-angsbacken.example.se",
                tags=["styrelsen", "trapphus-c", "nyinflyttad-2026"],
                place_id=stairwell.id,
            )
            for i in range(25)
        ]
        # The first said STOP by SMS and unsubscribed from e-mail: both badges on their page.
        contacts[0].phone = "+46709876543"
        with scoped_to(session, org.id):
            for channel, address, method, detail in (
                (Channel.SMS, contacts[0].phone, "sms_keyword", "STOPP"),
                (Channel.EMAIL, contacts[0].email, "one_click", "panel-12"),
            ):
                optouts.opt_out(
                    session,
                    org.id,
                    channel,
                    address,
                    contact_id=contacts[0].id,
                    method=method,
                    detail=detail,
                )
            session.commit()
        prompt = "Hej! Jag heter Anna. Hur trivs du i ditt trapphus, och vad kan vi göra bättre?"
        ready = make_media(org.id, captions_vtt=VTT)
        questions = {
            "draft": make_question(staff, title="Cykelrummet på Storgatan", prompt=prompt),
            "processing": make_question(
                staff,
                title="Tvättstugans nya tider",
                media_id=make_media(org.id, MediaStatus.PROCESSING, progress=40).id,
            ),
            "failed": make_question(
                staff,
                title="Gårdsfesten i juni",
                media_id=make_media(org.id, MediaStatus.FAILED, error="Not a video.").id,
            ),
            "live": make_question(
                staff,
                title="Hur trivs du i ditt trapphus på Ängsbacksvägen 112 B?",
                media_id=ready.id,
                answer_modes=["score", "text", "choice", "video", "audio"],
                choices=["Mycket bra", "Ganska bra", "Varken bra eller dåligt", "Dåligt"],
                status=QuestionStatus.LIVE,
                published_at=utcnow(),
            ),
            "closed": make_question(
                staff,
                title="Belysningen i källargången",
                media_id=make_media(org.id, captions_vtt=VTT).id,
                status=QuestionStatus.CLOSED,
                closed_at=utcnow(),
            ),
        }
        panel = make_panel(
            org,
            name="Tillsammans – hyresgästpanelen för Norra Ängbyområdet med Kvarteret Björken",
            description="Vi frågar ungefär en gång i månaden om livet i ditt trapphus. " * 3,
        )
        with scoped_to(session, org.id):
            add_members(session, panel, [c.id for c in contacts], source="contacts")
            create_segment(
                session,
                panel,
                "Seniorer i Ängsbacksvägen 112 B med tvättstugeansvar",
                place_id=stairwell.id,
                tags=["styrelsen", "trapphus-c"],
                age_bands=["65-79", "80+"],
            )
            session.commit()
        long_subject = "Påminnelse: " + "tvättstugans nya tider och bokningsregler " * 4
        queue_email(
            session,
            organisation_id=org.id,
            to=contacts[0].email,
            subject=long_subject[:200],
            text="Hej Margareta!\n\n" + "Länk: https://stoop.example/a/" + "x" * 120,
            html=_long_html(contacts[0].name),
            purpose="test",
            dedupe_key="staff-site-mail",
        )
        queue_sms(
            session,
            organisation_id=org.id,
            to="+46701234567",
            text="Hej! Vad tycker du om trapphuset? Svara här: https://stoop.example/a/" + "y" * 40,
            purpose="test",
            dedupe_key="staff-site-sms",
        )
        with scoped_to(session, org.id):
            touchpoint = create_touchpoint(
                session,
                {
                    "name": "Flygblad i trapphus C, Ängsbacksvägen 112 B (vinterkampanjen 2026)",
                    "kind": "embed",
                    "place_id": stairwell.id,
                },
                [
                    (questions["closed"].id, dt.date(2026, 1, 1)),
                    (questions["live"].id, dt.date(2026, 3, 1)),
                    (questions["draft"].id, dt.date(2099, 1, 1)),
                ],
            )
            funnel.record(session, touchpoint.id, "qr", "view")
            funnel.record(session, touchpoint.id, "embed", "view")
            # The organisation's numbers: one a phone touchpoint answers, one for SMS only.
            add_sender_number(session, org.id, "+46812345670", voice=True)
            add_sender_number(session, org.id, "+46701740605", voice=False)
            phone_line = create_voice_touchpoint(
                session,
                {
                    "name": "Telefonlinjen för Ängsbacksvägen 112 B (dygnet runt, svenska)",
                    "place_id": stairwell.id,
                },
                "+46812345670",
                [(questions["live"].id, dt.date(2026, 3, 1))],
            )
            send = create_send(
                session,
                admin,
                questions["live"],
                session.merge(panel),
                channels=["email", "sms"],
                remind_after_days=3,
                max_reminders=2,
            )
        session.commit()
        with scoped_to(session, org.id):
            # An answer with its thread, and a saved reply to offer on it.
            answer = record_answer(
                session,
                questions["live"],
                Given(
                    text="Hissen i trapphus C har stått still i två veckor. " * 4,
                    score=3,
                    choice="Dåligt",
                    consent=Consent(identity=True, quote=True),
                ),
                channel="web",
                language="sv",
                contact_id=contacts[1].id,
                place_id=stairwell.id,
            ).answer
            saved_reply = SavedReply(
                organisation_id=org.id,
                title="Tack, vi har skickat det vidare till fastighetsskötaren",
                language="sv",
                body="Tack för att du hörde av dig! Vi har skickat det vidare.",
            )
            session.add(saved_reply)
            session.commit()
            thread_id = thread_of_answer(session, answer.id).id
            saved_reply_id = saved_reply.id
        webhook_id = _seed_webhook(session, org.id, admin)
        action_item_id = _seed_action_item(session, org.id, admin, staff, stairwell.id)
        with scoped_to(session, org.id):
            report = Report(organisation_id=org.id, title="Trygghet i Ängsbacken")
            index = CompositeIndex(organisation_id=org.id, name="Serviceindex", target_mean=7.5)
            newsletter = Newsletter(
                organisation_id=org.id,
                title="Ni sa, vi gjorde: belysningen i trapphus C",
                body="Tack för era svar! Nu har vi bytt belysningen. " * 6,
                language="sv",
                panel_id=panel.id,
                channels=["email", "sms"],
                token=secrets.token_urlsafe(32),
            )
            session.add_all([report, index, newsletter])
            session.flush()
            # Prepared exports in two states: the share page lists them (a bar, a download).
            session.add_all(
                ReportExport(
                    organisation_id=org.id,
                    report_id=report.id,
                    format=file_format,
                    state=state,
                    progress=progress,
                    rows=rows,
                    total=12_400,
                    storage_key=None,
                )
                for file_format, state, progress, rows in (
                    ("xlsx", "writing", 40, 5_000),
                    ("csv", "failed", 0, 0),
                )
            )
            session.commit()
            report_id, composite_index_id = report.id, index.id
            newsletter_id = newsletter.id
        outbox = server.app.config["STOOP"].outbox_dir
        mail_name = next(m.name for m in mailbox.list_mail(outbox) if m.to == contacts[0].email)
        site = StaffSite(
            email=admin.email,
            questions={state: q.id for state, q in questions.items()},
            contact_id=contacts[0].id,
            mail_name=mail_name,
            panel_id=panel.id,
            touchpoint_id=touchpoint.id,
            touchpoint_slug=touchpoint.slug,
            voice_touchpoint_id=phone_line.id,
            send_id=send.id,
            thread_id=thread_id,
            saved_reply_id=saved_reply_id,
            webhook_id=webhook_id,
            action_item_id=action_item_id,
            report_id=report_id,
            composite_index_id=composite_index_id,
            newsletter_id=newsletter_id,
        )
    site.urls = staff_page_urls(server.app, site)
    return site


def _seed_action_item(
    session: Any, organisation_id: int, admin: Any, staff: Any, place_id: int
) -> int:
    """An overdue action item with a long title, a comment, at the stairwell."""
    from panel.actions.models import ActionComment, ActionItem

    with scoped_to(session, organisation_id):
        item = ActionItem(
            organisation_id=organisation_id,
            title="Byta belysning i trapphuset och vid cykelrummet på Ängsbacksvägen 112 B "
            "(LED-armaturer med närvarogivare på alla våningsplan)",
            description="Flera svar nämner att det är mörkt på kvällarna.",
            place_id=place_id,
            responsible_id=staff.id,
            created_by_id=admin.id,
            due_on=dt.date.today() - dt.timedelta(days=3),
            status="doing",
        )
        session.add(item)
        session.flush()
        session.add(
            ActionComment(
                organisation_id=organisation_id,
                item_id=item.id,
                author_id=staff.id,
                body="Elektrikern kommer på tisdag. Armaturerna är beställda.",
            )
        )
        session.commit()
        return item.id


def _seed_webhook(session: Any, organisation_id: int, admin: Any) -> int:
    """A webhook with a long address whose first delivery failed (nothing listens there)."""
    with scoped_to(session, organisation_id):
        webhook, _ = webhooks.create_webhook(
            session,
            admin,
            url="http://127.0.0.1:9/integrations/stoop/angsbacken-arendesystem-produktion"
            "/webhooks/inkommande?kalla=stoop&miljo=produktion",
            events=["answer.created", "thread.replied", "comment.created", "send.finished"],
            description="Ärendesystemet (Vitec) – produktionsmiljön i Norrköping",
        )
        session.commit()
        webhooks.emit(session, organisation_id, "answer.created", {"answer": {"id": 1}})
        session.commit()
    return webhook.id


def staff_page_urls(app: Any, site: StaffSite) -> list[str]:
    """Every GET page of the staff app, with its variables filled (each question state)."""
    urls: list[str] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/app/") or "GET" not in (rule.methods or ()):
            continue
        if rule.endpoint.startswith("media.") or rule.rule.endswith("/html"):
            continue  # JSON for the uploader, and an e-mail's own HTML (shown in an iframe)
        if rule.rule.endswith((".pdf", ".csv", ".xlsx")):
            continue  # a file to print or open elsewhere (a PDF, an export), not a page
        names = [m.group("name") for m in VARIABLE.finditer(rule.rule)]
        if names == ["question_id"]:
            urls += [
                rule.rule.replace("<int:question_id>", str(i)) for i in site.questions.values()
            ]
        elif names == ["contact_id"]:
            urls.append(rule.rule.replace("<int:contact_id>", str(site.contact_id)))
        elif names == ["panel_id"]:
            urls.append(rule.rule.replace("<int:panel_id>", str(site.panel_id)))
        elif names == ["send_id"]:
            if rule.endpoint != "sends.progress":  # the progress view's JSON
                urls.append(rule.rule.replace("<int:send_id>", str(site.send_id)))
        elif names == ["touchpoint_id"]:
            urls += [
                rule.rule.replace("<int:touchpoint_id>", str(i))
                for i in (site.touchpoint_id, site.voice_touchpoint_id)
            ]
        elif names == ["thread_id"]:
            urls.append(rule.rule.replace("<int:thread_id>", str(site.thread_id)))
        elif names == ["saved_reply_id"]:
            urls.append(rule.rule.replace("<int:saved_reply_id>", str(site.saved_reply_id)))
        elif names == ["webhook_id"]:
            urls.append(rule.rule.replace("<int:webhook_id>", str(site.webhook_id)))
        elif names == ["action_item_id"]:
            urls.append(rule.rule.replace("<int:action_item_id>", str(site.action_item_id)))
        elif names == ["report_id"]:
            urls.append(rule.rule.replace("<int:report_id>", str(site.report_id)))
        elif names == ["composite_index_id"]:
            urls.append(rule.rule.replace("<int:composite_index_id>", str(site.composite_index_id)))
        elif names == ["newsletter_id"]:
            # Not the progress figures (JSON) nor the e-mail itself (an e-mail's own layout,
            # shown in a frame on the preview page).
            if rule.endpoint not in ("newsletters.progress", "newsletters.preview_email"):
                urls.append(rule.rule.replace("<int:newsletter_id>", str(site.newsletter_id)))
        elif names[:1] == ["report_id"] and rule.endpoint.startswith("reels."):
            continue  # a clip's captions, a render's status (JSON) and its MP4: no pages
        elif names == ["report_id", "report_export_id"]:
            continue  # a prepared export's status (JSON) and its file: no pages
        elif names == ["filename"]:
            urls.append(rule.rule.replace("<filename>", site.mail_name))
        elif not names:
            urls.append(rule.rule)
        else:
            raise AssertionError(f"{rule.rule}: teach tests/browser/staff_site.py its variables")
    return urls


def log_in(page: Any, email: str) -> None:
    """Log in through the form."""
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit]")
