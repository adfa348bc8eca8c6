"""The demo's action plan: on the area that has the stairwell furthest below target (in the
breakdown of the organisation's report), tied to the organisation's report when
there is one (the reports room seeds it first), five actions in Swedish in every status with
the demo's staff responsible, due dates around today, and a few comments."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.accounts.models import User
from panel.actions.models import ActionComment, ActionItem, ActionStatus
from panel.answers.models import Answer
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.organisations.models import Organisation
from panel.places.models import Place, PlaceKind
from panel.reports.figures import MIN_GROUP, SCORE_TARGET, compute
from panel.reports.models import Report
from panel.reports.service import filter_of

# (title, description, where: "stairwell" | "building" | "area", status, days from today, who)
PLAN = (
    (
        "Byta belysning i trapphuset {stairwell}",
        "Flera svar nämner att det är mörkt i trapphuset på kvällarna. Byt till LED-armaturer "
        "med närvarogivare på alla våningsplan.",
        "stairwell",
        ActionStatus.DOING,
        5,
        "staff",
    ),
    (
        "Städning av källargången",
        "Källargången upplevs som skräpig och otrygg. Extra storstädning och tätare "
        "städschema under vintern.",
        "building",
        ActionStatus.DONE,
        -6,
        "staff",
    ),
    (
        "Infomöte om stambyte",
        "Hyresgästerna vill veta mer om stambytet nästa år. Bjud in till ett möte i "
        "lokalen, med tolk på arabiska och somaliska.",
        "area",
        ActionStatus.PLANNED,
        12,
        "communicator",
    ),
    (
        "Laga porten på {stairwell} som inte går i lås",
        "Porten glider upp och går inte i lås. Felanmält till entreprenören.",
        "stairwell",
        ActionStatus.PLANNED,
        -2,
        "admin",
    ),
    (
        "Berätta i nyhetsbrevet vad vi har gjort",
        "Ett kort ”Ni sa, vi gjorde” till alla i området när belysningen är klar.",
        "area",
        ActionStatus.PLANNED,
        24,
        "communicator",
    ),
)
COMMENTS = (
    (0, "staff", "Elektrikern kommer på tisdag. Armaturerna är beställda."),
    (0, "communicator", "Bra! Säg till när det är klart så tar vi med det i nyhetsbrevet."),
    (1, "staff", "Klart. Städfirman har lagt in källargången varannan vecka fram till mars."),
)


def stairwell_below_target(
    session: Session, organisation: Organisation, report: Report | None = None
) -> Place | None:
    """The stairwell furthest below target: in the report's breakdown when there is a report
    (so its page shows the plan beside that stairwell), else by the score answers of all time
    grouped per stairwell in SQL; None when no stairwell with enough answers is below it."""
    if report is not None:
        rows = [
            row
            for row in compute(session, filter_of(report)).places
            if row.kind == PlaceKind.STAIRWELL and row.below_target
        ]
        if rows:
            worst = min(rows, key=lambda row: (row.share_at_target or 0.0, row.place_id))
            return session.scalar(sa.select(Place).where(Place.id == worst.place_id))
    target = organisation.setting(*SCORE_TARGET)
    min_group = organisation.setting(*MIN_GROUP)
    at_target = sa.func.sum(sa.case((Answer.score >= target, 1), else_=0))
    scored = sa.func.count(Answer.score)
    row = session.execute(
        sa.select(Place.id, (100.0 * at_target / scored).label("share"))
        .join(Answer, Answer.place_id == Place.id)
        .where(Place.kind == PlaceKind.STAIRWELL, Answer.score.is_not(None))
        .group_by(Place.id)
        .having(scored >= min_group)
        .order_by(sa.text("share"), Place.id)
        .limit(1)
    ).first()
    if row is None:
        return None
    return session.scalar(sa.select(Place).where(Place.id == row.id))


def _label(stairwell: Place, building: Place | None) -> str:
    """ "Björkvägen 3B" for the demo's "Trapphus B" of "Björkvägen 3"."""
    letter = stairwell.name.removeprefix("Trapphus ").strip()
    if building is None:
        return stairwell.name
    return f"{building.name}{letter}" if len(letter) == 1 else f"{building.name}, {stairwell.name}"


def _staff(session: Session) -> dict[str, User]:
    people: dict[str, User] = {}
    for user in session.scalars(sa.select(User).order_by(User.id)):
        people.setdefault(user.role.value, user)
    return people


def seed_demo_actions(session: Session, organisation: Organisation) -> None:
    """Seed the action plan (nothing without a stairwell with enough score answers)."""
    with scoped_to(session, organisation.id):
        report = session.scalar(sa.select(Report).order_by(Report.id.desc()).limit(1))
        stairwell = stairwell_below_target(session, organisation, report)
        if stairwell is None:
            return
        building = session.scalar(sa.select(Place).where(Place.id == stairwell.parent_id))
        area = session.scalar(sa.select(Place).where(Place.id == stairwell.area_id))
        people = _staff(session)
        author = people.get("communicator") or next(iter(people.values()), None)
        places = {"stairwell": stairwell, "building": building or stairwell, "area": area}
        label = _label(stairwell, building)
        today = dt.date.today()
        items = []
        for title, description, where, status, days, who in PLAN:
            responsible = people.get(who) or author
            item = ActionItem(
                organisation_id=organisation.id,
                title=title.format(stairwell=label),
                description=description,
                place_id=(places[where] or stairwell).id,
                report_id=report.id if report else None,
                responsible_id=responsible.id if responsible else None,
                created_by_id=author.id if author else None,
                due_on=today + dt.timedelta(days=days),
                status=status.value,
                done_at=utcnow() - dt.timedelta(days=3) if status == ActionStatus.DONE else None,
            )
            session.add(item)
            items.append(item)
        session.flush()
        for position, who, body in COMMENTS:
            writer = people.get(who) or author
            session.add(
                ActionComment(
                    organisation_id=organisation.id,
                    item_id=items[position].id,
                    author_id=writer.id if writer else None,
                    body=body,
                )
            )
        session.flush()
