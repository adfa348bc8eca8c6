"""The demo's report: "Trivsel och trygghet" over the last 30 days in Demo Bostäder, with a
"Serviceindex", the communicator's own words in every section, quotes and clips picked with
the tenants' consent, and the breakdown showing :data:`panel.answers.demo.LOW_STAIRWELL` below
target (the demo's action plan takes it on).

The themes are not found here: the seeded answers are read for themes once the demo serves, and
"Find themes" in the report groups them. Deterministic apart from today's date.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from babel.dates import format_date
from sqlalchemy.orm import Session, selectinload

from media.models import MediaStatus
from panel.accounts.models import Role, User
from panel.answers.demo import EVENING, LOW_STAIRWELL, STAIRWELL
from panel.answers.models import Answer
from panel.core.scoping import scoped_to
from panel.organisations.models import Organisation
from panel.places.models import Place
from panel.questions.models import Question
from panel.reports.figures import MIN_GROUP, SCORE_TARGET, TARGET_SHARE
from panel.reports.models import CompositeIndex, IndexComponent, Report, ReportItem

INDEX_NAME = "Serviceindex"
DAYS = 30

TEXTS = {
    "intro": (
        "Hej alla! Här är månadens sammanställning av vad hyresgästerna tycker om trivseln i "
        "trapphusen och tryggheten i området på kvällen. Svaren kommer från vår hyresgästpanel "
        "via sms och e-post, från QR-lapparna i entréerna och från telefonlinjen.\n\n"
        "Kort sagt: de flesta trivs, och tryggheten har blivit bättre sedan belysningen byttes. "
        "Men i ett trapphus på Klövervägen behöver vi göra mer, och det snabbt."
    ),
    "figures": (
        "Betydligt fler har svarat än förra månaden, mycket tack vare utskicket till panelen. "
        "Webben och sms ger ungefär lika många svar, och var fjärde svar kom via länken i "
        "e-posten."
    ),
    "trend": (
        "De flesta svaren kom veckan efter utskicket till panelen. Medelbetyget har stigit "
        "lite under perioden och ligger nu runt 8."
    ),
    "scores": (
        "Vi räknar den som ger 7 eller mer som nöjd. Båda frågorna ligger över förra "
        "månaden, och trivseln i trapphusen har gått fram mest."
    ),
    "indices": (
        "Serviceindex väger ihop trivseln i trapphuset och tryggheten på kvällen. Målet är ett "
        "medelbetyg på minst 7,0 och att minst 85 procent är nöjda. Medelbetyget når vi med "
        "god marginal, men andelen nöjda ligger fortfarande några procentenheter under målet."
    ),
    "breakdown": (
        "Trapphus B på Klövervägen 21 sticker ut: de flesta som svarat där är missnöjda med "
        "porten som inte går i lås, trasig belysning och skräp vid soprummet. Vi har lagt en "
        "åtgärdsplan tillsammans med fastighetsskötaren.\n\n"
        "Trapphus med färre än fem svar visas inte, så att ingen hyresgäst kan pekas ut."
    ),
    "themes": (
        "Det här är vad hyresgästerna själva tar upp när de skriver eller pratar in ett svar, "
        "grupperat efter vad de menar och inte bara vilka ord de använder."
    ),
    "quotes": (
        "Några röster ur svaren, med hyresgästernas tillåtelse. Klippen kan också visas som en "
        "sammanhängande film på styrelsemötet."
    ),
    "closing": (
        "Tack till alla som tog sig tid att svara! Nästa rapport kommer i början av nästa "
        "månad. Frågor om rapporten? Hör av dig till Kim på kommunikationsavdelningen."
    ),
}


def seed_demo_report(session: Session, organisation: Organisation) -> None:
    """One full report in the demo organisation (nothing when its questions are missing)."""
    with scoped_to(session, organisation.id):
        questions = {q.title: q for q in session.scalars(sa.select(Question))}
        scored = [questions[t] for t in (STAIRWELL, EVENING) if t in questions]
        if not scored:
            return
        settings = dict(organisation.settings or {})
        settings.setdefault(SCORE_TARGET[0], 7)
        settings.setdefault(TARGET_SHARE[0], 65.0)
        settings.setdefault(MIN_GROUP[0], 5)
        organisation.settings = settings

        index = CompositeIndex(
            organisation_id=organisation.id,
            name=INDEX_NAME,
            description="Trivsel i trapphuset och trygghet på kvällen, lika tungt vägda.",
            target_mean=7.0,
            target_share=85.0,
            benchmark_key="service",
        )
        for question in scored:
            index.components.append(
                IndexComponent(organisation_id=organisation.id, question_id=question.id)
            )
        session.add(index)
        session.flush()

        author = session.scalar(
            sa.select(User).where(User.role == Role.COMMUNICATOR).order_by(User.id)
        )
        today = dt.date.today()
        starts_on = today - dt.timedelta(days=DAYS - 1)
        month = format_date(today, "LLLL yyyy", locale="sv")
        report = Report(
            organisation_id=organisation.id,
            title=f"Trivsel och trygghet, {month}",
            created_by_id=author.id if author else None,
            question_ids=[q.id for q in scored],
            touchpoint_ids=[],
            segment_ids=[],
            starts_on=starts_on,
            ends_on=today,
            period="week",
            index_ids=[index.id],
            texts=dict(TEXTS),
        )
        session.add(report)
        session.flush()
        since = dt.datetime.combine(starts_on, dt.time(), tzinfo=dt.UTC)
        _pick(session, report, [q.id for q in scored], since)
        session.flush()


def _pick(session: Session, report: Report, question_ids: list[int], since: dt.datetime) -> None:
    """Two or three clips and four quotes, the unhappy stairwell's voice among them."""
    answers = session.scalars(
        sa.select(Answer)
        .where(Answer.question_id.in_(question_ids), Answer.created_at >= since)
        .options(selectinload(Answer.media), selectinload(Answer.place))
        .order_by(Answer.created_at.desc(), Answer.id)
    ).all()
    clips = [
        a
        for a in answers
        if a.clip_kind
        and a.consent_show_clip
        and a.media is not None
        and a.media.status == MediaStatus.READY
    ][:3]
    low_place = session.scalar(sa.select(Place.id).where(Place.path == LOW_STAIRWELL))
    with_words = [a for a in answers if (a.text or "").strip()]
    quotes: list[Answer] = []
    seen: set[str] = set()

    def take(candidates: list[Answer], count: int) -> None:
        for answer in candidates:
            if len([q for q in quotes if q in candidates]) >= count:
                return
            if answer.text in seen:
                continue
            if not answer.consent_quote:
                # The demo's tenants who said the telling things agreed to be quoted.
                answer.consent_quote = True
            seen.add(answer.text or "")
            quotes.append(answer)

    take([a for a in with_words if a.place_id == low_place and low_place], 1)
    take([a for a in with_words if (a.score or 0) >= 9 and a.language == "sv"], 2)
    take([a for a in with_words if 5 <= (a.score or 0) <= 7 and a.language == "sv"], 1)
    # The story: a happy voice, the problem in its own words, the clips, and the middle ground.
    order = quotes[1:2] + quotes[:1] + clips + quotes[2:]
    for position, answer in enumerate(order):
        kind = "clip" if answer in clips else "quote"
        session.add(
            ReportItem(
                organisation_id=report.organisation_id,
                report_id=report.id,
                answer_id=answer.id,
                kind=kind,
                position=position,
            )
        )
