"""Newsletters ("you said, we did"): writing a draft, who it reaches, and sending it.

A draft names its audience (a panel, one of its segments, or the contacts of a place at any
level), its channels, its language, the communicator's text and what it carries from a report
(figure keys, quote and clip answer ids, action item ids). :func:`plan` says who gets it on
which channel and who is skipped, and why; the confirmation page shows that before anything
goes out.

Sending is claimed by a guarded UPDATE (``draft`` → ``sending``), so pressing "Send" twice
sends once; the messages are then written to the outbox by a task after the commit
(:mod:`panel.newsletters.tasks`), in batches of :data:`BATCH`, each batch its own transaction.
Every message has the dedupe key ``newsletter-<id>-<contact>``: a task that runs twice, or
dies half-way and is run again, never writes a second message for anyone.

The rules, as for sends (:mod:`panel.sends.service`):

- Each contact gets the newsletter once, on the first of its channels (in the order chosen)
  they have an address on and did not opt out of.
- Opt-outs and unsubscribes hold (``queue_bulk``); a panel's newsletter goes out on the panel's
  own list (``panel-<id>``), so its unsubscribe link is the one of the panel's questions.
- The fatigue cap (questions a month) is honoured by holding the newsletter back from those
  who reached it this month; a newsletter is not a question, so it does not count toward it.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from notifications.messages import Recipient, queue_bulk
from notifications.models import Channel, DeliveryState, OutboundMessage
from notifications.optouts import suppressed
from panel.accounts.models import User
from panel.actions.models import ActionItem, ActionStatus
from panel.answers.models import Answer
from panel.contacts.models import Contact
from panel.core.celery import enqueue_after_commit
from panel.core.db import utcnow
from panel.core.errors import Conflict, NotFound, ValidationError
from panel.core.i18n import TENANT_LANGUAGES
from panel.core.i18n import lazy_text as _l
from panel.core.routing import parse_id
from panel.newsletters.models import Newsletter
from panel.organisations.models import Organisation
from panel.panels.models import Panel, Segment
from panel.panels.segments import criteria_filters, recipient_contact_ids
from panel.places.models import Place
from panel.reports.figures import compute
from panel.reports.models import Report
from panel.reports.service import filter_of
from panel.sends.service import Person, clean_channels, questions_this_month

PURPOSE = "newsletter"
TEMPLATES = {"email": "newsletters/email", "sms": "newsletters/sms"}
MAX_TITLE = 200
MAX_BODY = 20_000
MAX_FIGURES = 8
MAX_QUOTES = 8
MAX_ACTIONS = 15
BATCH = 500
FIGURE_KEY = re.compile(r"^(answers|(mean|share|index)-[1-9][0-9]{0,9})$")
AUDIENCES = ("panel", "place")


class Status:
    DRAFT = "draft"
    SENDING = "sending"
    SENT = "sent"


def _invalid(field_name: str, message: Any) -> ValidationError:
    return ValidationError(message, details={field_name: [message]})


def new_token() -> str:
    """The web version's token: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def web_link(newsletter: Newsletter) -> str:
    """The absolute address of the web version ``/n/<token>`` (in e-mails and SMS)."""
    base = current_app.config["STOOP"].base_url.rstrip("/")
    return f"{base}/n/{newsletter.token}"


def content_of(newsletter: Newsletter) -> dict[str, Any]:
    """What it carries (an empty dict for anything but a JSON object)."""
    return newsletter.content if isinstance(newsletter.content, dict) else {}


def channels_of(newsletter: Newsletter) -> list[str]:
    """Its channels, in the order chosen (only known ones)."""
    channels = newsletter.channels if isinstance(newsletter.channels, list) else []
    return [c for c in channels if c in ("email", "sms")]


def skipped_of(newsletter: Newsletter) -> dict[str, int]:
    """How many were skipped, by reason."""
    skipped = newsletter.skipped if isinstance(newsletter.skipped, dict) else {}
    return {str(k): v for k, v in skipped.items() if isinstance(v, int)}


def get_newsletter(session: Session, newsletter_id: Any) -> Newsletter:
    """A newsletter of the session's organisation, or NotFound."""
    found = None
    if (nid := parse_id(newsletter_id)) is not None:
        found = session.get(Newsletter, nid)
    if found is None:
        raise NotFound(_l("There is no such newsletter. It may have been deleted."))
    return found


def get_report(session: Session, report_id: Any) -> Report:
    """A report of the session's organisation, or NotFound."""
    found = None
    if (rid := parse_id(report_id)) is not None:
        found = session.get(Report, rid)
    if found is None:
        raise NotFound(_l("There is no such report. It may have been deleted."))
    return found


def find_by_token(session: Session, token: str) -> Newsletter | None:
    """A sent (or sending) newsletter by its web token, any organisation: drafts have no page."""
    if not token or len(token) > 64 or not token.replace("-", "").replace("_", "").isalnum():
        return None
    return session.scalar(
        sa.select(Newsletter)
        .where(Newsletter.token == token, Newsletter.status != Status.DRAFT)
        .execution_options(all_organisations=True)
    )


# --- writing a draft ---------------------------------------------------------------------------


@dataclass
class Draft:
    """What a communicator typed and picked, as the form gives it (ids still unchecked)."""

    title: str = ""
    body: str = ""
    language: str = "sv"
    audience: str = "panel"
    panel_id: Any = None
    segment_id: Any = None
    place_id: Any = None
    channels: Sequence[str] = ("email", "sms")
    report_id: Any = None
    join_panel_id: Any = None
    figures: Sequence[str] = ()
    quotes: Sequence[Any] = ()
    clip: Any = None
    actions: Sequence[Any] = ()

    @classmethod
    def of(cls, newsletter: Newsletter) -> Draft:
        """The draft a saved newsletter holds (to fill the form again)."""
        content = content_of(newsletter)
        return cls(
            title=newsletter.title,
            body=newsletter.body,
            language=newsletter.language,
            audience="place" if newsletter.place_id else "panel",
            panel_id=newsletter.panel_id,
            segment_id=newsletter.segment_id,
            place_id=newsletter.place_id,
            channels=channels_of(newsletter),
            report_id=newsletter.report_id,
            join_panel_id=newsletter.join_panel_id,
            figures=list(content.get("figures") or []),  # type: ignore[arg-type]
            quotes=list(content.get("quotes") or []),  # type: ignore[arg-type]
            clip=content.get("clip"),
            actions=list(content.get("actions") or []),  # type: ignore[arg-type]
        )


def _one(session: Session, model: Any, value: Any, field_name: str, message: Any) -> Any:
    """The row of ``model`` with id ``value`` in the organisation (None for no value)."""
    if value in (None, "", 0, "0"):
        return None
    row_id = parse_id(value)
    row = session.get(model, row_id) if row_id is not None else None
    if row is None:
        raise NotFound(message, details={field_name: [message]})
    return row


def _ids(values: Iterable[Any], field_name: str, most: int) -> list[int]:
    ids: list[int] = []
    for value in values:
        row_id = parse_id(value)
        if row_id is None:
            raise _invalid(field_name, _l("That is not something you can pick."))
        if row_id not in ids:
            ids.append(row_id)
    if len(ids) > most:
        raise _invalid(field_name, _l("Pick at most %(n)s.", n=most))
    return ids


def _clean(session: Session, draft: Draft) -> dict[str, Any]:
    """The newsletter's columns from a draft; ValidationError or NotFound saying what is
    wrong (another organisation's panel, segment, place, report or answer is not found)."""
    title = " ".join((draft.title or "").split())
    if not title:
        raise _invalid("title", _l("Give the newsletter a title."))
    if len(title) > MAX_TITLE:
        raise _invalid("title", _l("The title is at most %(n)s characters.", n=MAX_TITLE))
    body = (draft.body or "").replace("\r\n", "\n").strip()
    if len(body) > MAX_BODY:
        raise _invalid("body", _l("The text is at most %(n)s characters.", n=MAX_BODY))
    if draft.language not in TENANT_LANGUAGES:
        raise _invalid("language", _l("Pick one of the languages tenants read."))
    channels = clean_channels(list(draft.channels or []))
    if draft.audience not in AUDIENCES:
        raise _invalid("audience", _l("Send it to a panel or to the contacts of a place."))
    panel = segment = place = None
    if draft.audience == "panel":
        panel = _one(session, Panel, draft.panel_id, "panel_id", _l("There is no such panel."))
        if panel is None:
            raise _invalid("panel_id", _l("Pick the panel it goes to."))
        segment = _one(
            session, Segment, draft.segment_id, "segment_id", _l("There is no such segment.")
        )
        if segment is not None and segment.panel_id != panel.id:
            raise _invalid("segment_id", _l("That segment belongs to another panel."))
    else:
        place = _one(session, Place, draft.place_id, "place_id", _l("There is no such place."))
        if place is None:
            raise _invalid("place_id", _l("Pick the place whose contacts get it."))
    report = _one(session, Report, draft.report_id, "report_id", _l("There is no such report."))
    join_panel = _one(
        session, Panel, draft.join_panel_id, "join_panel_id", _l("There is no such panel.")
    )
    figures = []
    for key in draft.figures or ():
        if not isinstance(key, str) or not FIGURE_KEY.match(key):
            raise _invalid("figures", _l("That is not a figure of the report."))
        if key not in figures:
            figures.append(key)
    if len(figures) > MAX_FIGURES:
        raise _invalid("figures", _l("Pick at most %(n)s.", n=MAX_FIGURES))
    if figures and report is None:
        raise _invalid("figures", _l("Figures come from a report: pick the report first."))
    quotes = _ids(draft.quotes or (), "quotes", MAX_QUOTES)
    for answer_id in quotes:
        answer = _one(session, Answer, answer_id, "quotes", _l("There is no such answer to pick."))
        if not answer.consent_quote:
            raise _invalid("quotes", _l("Only words the tenant allowed to be quoted can be shown."))
    clip = parse_id(draft.clip) if draft.clip not in (None, "", "0", 0) else None
    if draft.clip not in (None, "", "0", 0):
        answer = _one(session, Answer, draft.clip, "clip", _l("There is no such answer to pick."))
        if answer.media_id is None or not answer.consent_show_clip:
            raise _invalid(
                "clip", _l("Only a recording the tenant allowed to be shown can be used.")
            )
    actions = _ids(draft.actions or (), "actions", MAX_ACTIONS)
    for item_id in actions:
        _one(session, ActionItem, item_id, "actions", _l("There is no such action."))
    return {
        "title": title,
        "body": body,
        "language": draft.language,
        "channels": channels,
        "panel_id": panel.id if panel else None,
        "segment_id": segment.id if segment else None,
        "place_id": place.id if place else None,
        "report_id": report.id if report else None,
        "join_panel_id": join_panel.id if join_panel else None,
        "content": {"figures": figures, "quotes": quotes, "clip": clip, "actions": actions},
    }


def create_newsletter(session: Session, user: User, draft: Draft) -> Newsletter:
    """Write a draft; the caller commits."""
    values = _clean(session, draft)
    newsletter = Newsletter(
        organisation_id=user.organisation_id,
        created_by_id=user.id,
        token=new_token(),
        status=Status.DRAFT,
        skipped={},
        **values,
    )
    session.add(newsletter)
    session.flush()
    return newsletter


def update_newsletter(session: Session, newsletter: Newsletter, draft: Draft) -> Newsletter:
    """Change a draft (a newsletter sent is kept as it went out); the caller commits."""
    if newsletter.status != Status.DRAFT:
        raise Conflict(_l("This newsletter has been sent and can no longer be changed."))
    for name, value in _clean(session, draft).items():
        setattr(newsletter, name, value)
    session.flush()
    return newsletter


def delete_draft(session: Session, newsletter: Newsletter) -> None:
    """Delete a draft that was never sent."""
    if newsletter.status != Status.DRAFT:
        raise Conflict(_l("A newsletter that was sent is kept."))
    session.delete(newsletter)


def defaults_from_report(report: Report | None, organisation: Organisation) -> Draft:
    """A new draft's starting point: the report's title, place and text."""
    draft = Draft(language=organisation.default_language or "sv")
    if report is not None:
        draft.title = report.title
        draft.report_id = report.id
        texts = report.texts if isinstance(report.texts, dict) else {}
        draft.body = str(texts.get("intro") or "")
        if report.place_id:
            draft.audience, draft.place_id = "place", report.place_id
    return draft


# --- what it carries ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One figure as the newsletter shows it: ``kind`` answers | mean | share | index."""

    key: str
    kind: str
    name: str
    value: float | None
    previous: float | None = None
    target: float | None = None  # the score target (share), or the index's target mean

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "name": self.name,
            "value": self.value,
            "previous": self.previous,
            "target": self.target,
        }


def available_figures(session: Session, report: Report | None) -> list[Figure]:
    """The figures a newsletter can carry from a report: its answers, each score question's
    mean and share at target, and each index (none without the figures, or without a report)."""
    if report is None:
        return []
    computed = compute(session, filter_of(report), tuple(report.index_ids or ()))
    found = [Figure("answers", "answers", "", computed.answers.value, computed.answers.previous)]
    for score in computed.scores:
        found.append(
            Figure(
                f"mean-{score.question_id}",
                "mean",
                score.title,
                score.mean.value,
                score.mean.previous,
            )
        )
        found.append(
            Figure(
                f"share-{score.question_id}",
                "share",
                score.title,
                score.share_at_target.value,
                score.share_at_target.previous,
                float(computed.score_target),
            )
        )
    for index in computed.indices:
        found.append(
            Figure(
                f"index-{index.index_id}",
                "index",
                index.name,
                index.mean.value,
                index.mean.previous,
                index.target_mean,
            )
        )
    return found


def shown_figures(session: Session, newsletter: Newsletter) -> list[dict[str, Any]]:
    """The figures it carries: as they were when it was sent (kept then), else as now."""
    content = content_of(newsletter)
    if newsletter.status != Status.DRAFT and "shown_figures" in content:
        return list(content["shown_figures"] or [])  # type: ignore[arg-type]
    keys = list(content.get("figures") or [])  # type: ignore[arg-type]
    if not keys:
        return []
    by_key = {f.key: f for f in available_figures(session, newsletter.report)}
    return [by_key[key].as_dict() for key in keys if key in by_key]


def _answer_words(answer: Answer) -> str:
    if answer.text and answer.text.strip():
        return answer.text.strip()
    media = answer.media
    return (media.transcript or "").strip() if media is not None else ""


def _quote(answer: Answer) -> dict[str, Any]:
    return {
        "words": _answer_words(answer),
        "place": answer.place.name if answer.place is not None else None,
        "month": answer.created_at,
    }


def _answers(session: Session, ids: Sequence[int]) -> list[Answer]:
    if not ids:
        return []
    found = {a.id: a for a in session.scalars(sa.select(Answer).where(Answer.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def shown_quotes(session: Session, newsletter: Newsletter) -> list[dict[str, Any]]:
    """The quotes, checked again now: only answers whose tenant still allows quoting, with
    their words, place and month, never a name."""
    ids = list(content_of(newsletter).get("quotes") or [])  # type: ignore[arg-type]
    return [_quote(a) for a in _answers(session, ids) if a.consent_quote and _answer_words(a)]


def shown_clip(session: Session, newsletter: Newsletter) -> dict[str, Any] | None:
    """The clip picked, as the newsletter carries it: the recording's words (its transcript,
    or the answer's text), only while the tenant allows both showing the recording and quoting
    their words. The recording itself is not played to everyone who opens a newsletter: the
    tenant agreed to it being "shown to colleagues or at a workshop", not published."""
    clip_id = content_of(newsletter).get("clip")
    if not isinstance(clip_id, int):
        return None
    found = _answers(session, [clip_id])
    if not found:
        return None
    answer = found[0]
    if not (answer.consent_show_clip and answer.consent_quote and _answer_words(answer)):
        return None
    return _quote(answer)


ACTION_ORDER = {ActionStatus.DONE.value: 0, ActionStatus.DOING.value: 1}


def shown_actions(session: Session, newsletter: Newsletter) -> list[dict[str, Any]]:
    """The actions picked, done ones first, with their status and place."""
    ids = list(content_of(newsletter).get("actions") or [])  # type: ignore[arg-type]
    if not ids:
        return []
    items = session.scalars(sa.select(ActionItem).where(ActionItem.id.in_(ids))).all()
    items = sorted(items, key=lambda i: (ACTION_ORDER.get(i.status, 2), ids.index(i.id)))
    return [
        {
            "title": item.title,
            "description": item.description or "",
            "status": item.status,
            "place": item.place.name if item.place is not None else None,
            "done_at": item.done_at,
        }
        for item in items
    ]


def join_link(session: Session, newsletter: Newsletter) -> str | None:
    """The absolute join link ``/join/<slug>`` of the panel it invites to, if any."""
    if newsletter.join_panel_id is None:
        return None
    slug = session.scalar(sa.select(Panel.slug).where(Panel.id == newsletter.join_panel_id))
    if not slug:
        return None
    return current_app.config["STOOP"].base_url.rstrip("/") + f"/join/{slug}"


def view(session: Session, newsletter: Newsletter) -> dict[str, Any]:
    """What the e-mail, the SMS and the web page show (shared by every recipient)."""
    paragraphs = [p.strip() for p in (newsletter.body or "").split("\n\n") if p.strip()]
    title = newsletter.title
    return {
        "newsletter_title": title,
        "paragraphs": paragraphs,
        "content_language": newsletter.language,
        "content_dir": "rtl" if newsletter.language == "ar" else "ltr",
        "figures": shown_figures(session, newsletter),
        "quotes": shown_quotes(session, newsletter),
        "clip": shown_clip(session, newsletter),
        "actions": shown_actions(session, newsletter),
        "join_link": join_link(session, newsletter),
        "web_link": web_link(newsletter),
        # An SMS holds a short title: the whole message aims at one GSM-7 segment.
        "sms_title": title if len(title) <= 60 else title[:58].rstrip() + "…",
    }


# --- choices for the form ---------------------------------------------------------------------


def quote_choices(session: Session, report: Report | None, limit: int = 30) -> list[Answer]:
    """Answers that may be quoted: the report's own quotes, then newer ones of its questions
    whose tenant allowed quoting (words only; never a name)."""
    if report is None:
        return []
    picked = [i.answer for i in report.items if i.kind == "quote" and i.answer.consent_quote]
    query = sa.select(Answer).where(Answer.consent_quote.is_(True), Answer.text.is_not(None))
    if report.question_ids:
        query = query.where(Answer.question_id.in_(report.question_ids))
    more = session.scalars(query.order_by(Answer.created_at.desc()).limit(limit)).all()
    seen = {a.id for a in picked}
    return (picked + [a for a in more if a.id not in seen and (a.text or "").strip()])[:limit]


def clip_choices(session: Session, report: Report | None, limit: int = 20) -> list[Answer]:
    """Answers with a recording the tenant allowed to be shown (the report's clips first)."""
    if report is None:
        return []
    picked = [
        i.answer
        for i in report.items
        if i.kind == "clip" and i.answer.consent_show_clip and i.answer.media_id
    ]
    query = sa.select(Answer).where(
        Answer.consent_show_clip.is_(True), Answer.media_id.is_not(None)
    )
    if report.question_ids:
        query = query.where(Answer.question_id.in_(report.question_ids))
    more = session.scalars(query.order_by(Answer.created_at.desc()).limit(limit)).all()
    seen = {a.id for a in picked}
    return (picked + [a for a in more if a.id not in seen])[:limit]


def places_below(session: Session, place_id: int) -> sa.Select[Any]:
    """``SELECT place.id`` of the place and every place below it."""
    return sa.select(Place.id).where(
        sa.or_(Place.id == place_id, Place.area_id == place_id, Place.building_id == place_id)
    )


def action_choices(
    session: Session, report: Report | None, place_id: int | None
) -> list[ActionItem]:
    """Action items of the report, or of the place (and below): done ones first."""
    clauses = []
    if report is not None:
        clauses.append(ActionItem.report_id == report.id)
        if report.place_id:
            clauses.append(ActionItem.place_id.in_(places_below(session, report.place_id)))
    if place_id:
        clauses.append(ActionItem.place_id.in_(places_below(session, place_id)))
    if not clauses:
        return []
    items = session.scalars(
        sa.select(ActionItem).where(sa.or_(*clauses)).order_by(ActionItem.id.desc()).limit(50)
    ).all()
    return sorted(items, key=lambda i: ACTION_ORDER.get(i.status, 2))


# --- who gets it -------------------------------------------------------------------------------


def _people(session: Session, newsletter: Newsletter) -> list[Person]:
    columns = (Contact.id, Contact.name, Contact.email, Contact.phone, Contact.language)
    if newsletter.panel_id is not None:
        query = recipient_contact_ids(
            session, newsletter.panel_id, newsletter.segment_id
        ).with_only_columns(*columns)
    elif newsletter.place_id is not None:
        query = sa.select(*columns).where(
            Contact.organisation_id == newsletter.organisation_id,
            *criteria_filters(session, newsletter.organisation_id, place_id=newsletter.place_id),
        )
    else:
        return []
    rows = session.execute(query.order_by(Contact.id)).all()
    return [Person(r.id, r.name or "", r.email, r.phone, r.language or "sv") for r in rows]


@dataclass
class Plan:
    """Who gets it on which channel, and how many are skipped by reason."""

    chosen: dict[str, list[Person]]
    skipped: Counter[str] = field(default_factory=Counter)

    @property
    def counts(self) -> dict[str, int]:
        return {channel: len(people) for channel, people in self.chosen.items()}

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def plan(session: Session, newsletter: Newsletter, now: dt.datetime | None = None) -> Plan:
    """Each member of the audience on the first chosen channel they can be reached on and did
    not opt out of; skipped: no address for the channels, opted out, at the fatigue cap."""
    now = now or utcnow()
    people = _people(session, newsletter)
    skipped: Counter[str] = Counter()
    cap = session.scalar(
        sa.select(Organisation.fatigue_cap).where(Organisation.id == newsletter.organisation_id)
    )
    if cap and people:
        counted = questions_this_month(
            session, newsletter.organisation_id, [p.contact_id for p in people], now
        )
        kept = [p for p in people if counted.get(p.contact_id, 0) < cap]
        if len(kept) != len(people):
            skipped["fatigue"] += len(people) - len(kept)
        people = kept
    channels = channels_of(newsletter)
    held = {c: suppressed(session, newsletter.organisation_id, Channel(c)) for c in channels}
    chosen: dict[str, list[Person]] = {c: [] for c in channels}
    for person in people:
        reachable = [c for c in channels if person.address(c)]
        allowed = [c for c in reachable if not held[c].holds(person.contact_id, person.address(c))]
        if allowed:
            chosen[allowed[0]].append(person)
        elif reachable:
            skipped["opted_out"] += 1
        else:
            skipped["no_channel"] += 1
    return Plan(chosen, skipped)


def list_key(newsletter: Newsletter) -> str:
    """The list it goes out on: the panel's own (unsubscribing leaves the panel, as from its
    questions), or the place's."""
    if newsletter.panel_id is not None:
        return f"panel-{newsletter.panel_id}"
    return f"place-{newsletter.place_id}"


# --- sending -----------------------------------------------------------------------------------


def check_sendable(newsletter: Newsletter) -> None:
    """Conflict when it cannot be sent as it is."""
    if newsletter.status != Status.DRAFT:
        raise Conflict(_l("This newsletter has been sent already."), code="already_sent")
    if newsletter.panel_id is None and newsletter.place_id is None:
        raise Conflict(_l("The panel or place it went to has been deleted. Pick another."))
    if not newsletter.channels:
        raise Conflict(_l("Choose at least one channel: e-mail, SMS or both."))


def start_sending(session: Session, newsletter: Newsletter) -> bool:
    """Claim the draft for sending (``draft`` → ``sending``, once) and queue the task that
    writes its messages after the commit. False when it was claimed before (a second press of
    "Send"): nothing happens again. The figures are kept as they are now."""
    check_sendable(newsletter)
    planned = plan(session, newsletter)
    content = dict(content_of(newsletter))
    content["shown_figures"] = shown_figures(session, newsletter)
    content["planned"] = planned.total
    claimed = session.execute(
        sa.update(Newsletter)
        .where(
            Newsletter.id == newsletter.id,
            Newsletter.organisation_id == newsletter.organisation_id,
            Newsletter.status == Status.DRAFT,
        )
        .values(status=Status.SENDING, sent_at=utcnow(), content=content)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(newsletter)
    if not claimed:
        return False
    from panel.newsletters.tasks import deliver

    enqueue_after_commit(session, deliver, newsletter.id)
    return True


def batches(people: list[Person], size: int = BATCH) -> Iterator[list[Person]]:
    for start in range(0, len(people), size):
        yield people[start : start + size]


def queue_batch(
    session: Session, newsletter: Newsletter, channel: str, people: list[Person], view_: dict
) -> int:
    """Write one batch's messages to the outbox; how many were held back (opted out since)."""
    queued = queue_bulk(
        session,
        organisation_id=newsletter.organisation_id,
        template=TEMPLATES[channel],
        purpose=PURPOSE,
        list_key=list_key(newsletter),
        recipients=[
            Recipient(
                address=person.address(channel) or "",
                dedupe_key=f"newsletter-{newsletter.id}-{person.contact_id}",
                language=person.language,
                contact_id=person.contact_id,
            )
            for person in people
        ],
        context=view_,
        channel=Channel(channel),
        ref=ref(newsletter),
    )
    return queued.skipped


def ref(newsletter: Newsletter) -> str:
    return f"newsletter:{newsletter.id}"


def written(session: Session, newsletter: Newsletter) -> int:
    """How many messages of the newsletter are in the outbox (the truth of ``recipients``)."""
    table = OutboundMessage.__table__
    return (
        session.scalar(
            sa.select(sa.func.count()).where(
                table.c.organisation_id == newsletter.organisation_id,
                table.c.ref == ref(newsletter),
                table.c.purpose == PURPOSE,
            )
        )
        or 0
    )


def finish(session: Session, newsletter: Newsletter, skipped: Counter[str]) -> None:
    """Mark it sent with its figures; the caller commits."""
    newsletter.recipients = written(session, newsletter)
    newsletter.skipped = {k: v for k, v in skipped.items() if v}
    newsletter.status = Status.SENT


STATES = ("queued", "sent", "delivered", "failed", "unknown", "suppressed")


def progress(session: Session, newsletter: Newsletter) -> dict[str, Any]:
    """The figures of its progress: planned, written to the outbox, and by delivery state."""
    table = OutboundMessage.__table__
    by_state: Counter[str] = Counter()
    for state, count in session.execute(
        sa.select(table.c.state, sa.func.count())
        .where(
            table.c.organisation_id == newsletter.organisation_id,
            table.c.ref == ref(newsletter),
            table.c.purpose == PURPOSE,
        )
        .group_by(table.c.state)
    ):
        by_state[_bucket(DeliveryState(state))] += count
    planned = int(content_of(newsletter).get("planned") or 0)  # type: ignore[arg-type]
    total = sum(by_state.values())
    handed = total - by_state["queued"]
    base = max(planned, total)
    skipped = skipped_of(newsletter)
    return {
        "status": newsletter.status,
        "planned": planned,
        "written": total,
        "recipients": newsletter.recipients if newsletter.status == Status.SENT else total,
        "skipped": skipped,
        "skipped_total": sum(skipped.values()),
        **{state: by_state[state] for state in STATES},
        "done_percent": round(100 * handed / base) if base else 100,
        "finished": newsletter.status == Status.SENT and by_state["queued"] == 0,
    }


def _bucket(state: DeliveryState) -> str:
    if state in (DeliveryState.QUEUED, DeliveryState.CLAIMED, DeliveryState.SENDING):
        return "queued"
    if state == DeliveryState.UNDELIVERED:
        return "failed"
    return state.value
