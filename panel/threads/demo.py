"""The demo's conversations: a thread for every seeded answer, and some of them carried on —
replies by SMS and e-mail, notes that mention a colleague, a tenant who wrote back, a thread
handed over, closed ones, and a few left waiting long enough to be flagged.

The other rooms' demos write answers as rows (they seed months of history at once), so this
room, seeded after all of them, opens their threads in one pass without notices.
"""

from __future__ import annotations

import datetime as dt
import random

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.accounts.models import Role, User
from panel.answers.models import Answer
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.organisations.models import Organisation
from panel.questions.models import Question
from panel.threads import service
from panel.threads.models import SavedReply, Thread, ThreadStatus

REPLIES = {
    "sv": [
        "Tack för att du hör av dig! Vi har beställt bättre belysning vid entrén, den sätts upp "
        "nästa vecka.",
        "Tack! Vi tar upp det med områdesgruppen på torsdag och återkommer.",
        "Hej, vi har pratat med fastighetsskötaren och porten lagas i morgon.",
    ],
    "nl": ["Bedankt voor je reactie! We bekijken het samen met de wijkbeheerder."],
    "en": ["Thank you for telling us. We are looking into it with the caretaker this week."],
}
NOTES = [
    "@kim kan vi ta med det här i rapporten om tryggheten?",
    "Samma sak som i trapphus B förra månaden. Felanmält till entreprenören.",
]
SAVED_REPLIES = [
    (
        "Tack, vi tittar på det",
        "sv",
        "Tack för att du hör av dig! Vi tittar på det och återkommer inom en vecka.",
    ),
    (
        "Skickat till fastighetsskötaren",
        "sv",
        "Tack! Vi har skickat det vidare till fastighetsskötaren, som hör av sig till dig.",
    ),
    (
        "Felanmälan",
        "sv",
        "Tack! Gör gärna en felanmälan på Mina sidor eller ring 08-123 456 70, så kommer någon ut.",
    ),
    (
        "Bedankt, we kijken ernaar",
        "nl",
        "Bedankt voor je reactie! We kijken ernaar en laten binnen een week iets weten.",
    ),
    (
        "Thank you, we are on it",
        "en",
        "Thank you for telling us! We are looking into it and will get back to you within a week.",
    ),
]
FOLLOW_UPS = [
    "Tack för svaret! Lampan vid cykelrummet är också trasig.",
    "Det är fortfarande mörkt vid porten på kvällarna.",
]


def seed_demo_threads(session: Session, organisation: Organisation) -> None:
    """Open the demo answers' threads, then play out a few conversations in them."""
    rng = random.Random(15)
    with scoped_to(session, organisation.id):
        open_missing_threads(session)
        session.add_all(
            SavedReply(organisation_id=organisation.id, title=title, language=lang, body=body)
            for title, lang, body in SAVED_REPLIES
        )
        staff = {u.role: u for u in session.scalars(sa.select(User).order_by(User.id))}
        asker, colleague = staff.get(Role.STAFF), staff.get(Role.COMMUNICATOR)
        if asker is None:
            return
        threads = []
        for channel in ("sms", "email", "web", "qr", "voice"):
            threads += session.scalars(
                sa.select(Thread)
                .join(Answer, Answer.id == Thread.answer_id)
                .where(Thread.channel == channel, Thread.owner_id == asker.id)
                .where(Answer.text.is_not(None) | (Thread.channel == "voice"))
                .order_by(Thread.last_activity_at.desc())
                .limit(4)
            ).all()
        _converse(session, rng, threads, asker, colleague)
        session.flush()


def open_missing_threads(session: Session) -> int:
    """A thread for every answer without one (owned by its question's owner), no notices."""
    rows = session.execute(
        sa.select(Answer, Question.owner_id)
        .join(Question, Question.id == Answer.question_id)
        .outerjoin(Thread, Thread.answer_id == Answer.id)
        .where(Thread.id.is_(None))
        .order_by(Answer.id)
    ).all()
    session.add_all(service.new_thread(answer, owner_id) for answer, owner_id in rows)
    session.flush()
    if rows and session.get_bind().dialect.name == "postgresql":
        service.reindex(session, session.scalars(sa.select(Thread)))
    return len(rows)


def _converse(
    session: Session,
    rng: random.Random,
    threads: list[Thread],
    asker: User,
    colleague: User | None,
) -> None:
    now = utcnow()
    for index, thread in enumerate(threads):
        at = min(
            max(thread.created_at, now - dt.timedelta(days=9)) + dt.timedelta(hours=3),
            now - dt.timedelta(hours=1),
        )
        if index % 3 == 0 and colleague is not None:
            service.note(session, thread, asker, rng.choice(NOTES), now=at)
        if index % 4 == 3:
            continue  # left waiting: flagged once old enough
        language = thread.language if thread.language in REPLIES else "sv"
        service.reply(session, thread, asker, rng.choice(REPLIES[language]), now=at)
        if index % 5 == 1:
            later = min(at + dt.timedelta(hours=rng.randint(2, 30)), now)
            service.follow_up(session, thread, rng.choice(FOLLOW_UPS), channel="web", now=later)
        elif index % 5 == 2:
            service.set_status(session, thread, asker, ThreadStatus.CLOSED)
        if index == 6 and colleague is not None:
            service.hand_over(session, thread, asker, colleague, "Kim samlar trygghetsfrågorna.")
    # The asker has read what is older than two days: the menu's count is the recent news.
    for thread in session.scalars(sa.select(Thread).where(Thread.owner_id == asker.id)):
        if thread.last_activity_at < now - dt.timedelta(days=2):
            service.mark_read(session, thread, asker, thread.last_activity_at)
