"""The rules of action items: who may do what, what a valid item is, and the changes.

Everyone on the staff reads action plans. Communicators and admins write them: create, change
every field, delete. The person responsible for an item (whatever their role) moves it along
(status) and writes comments on it; so may whoever created it. The pages and the API go
through the functions here, so both keep the same rules.

A place, report or responsible person named in a change must be the organisation's own
(:class:`~panel.core.errors.ValidationError` otherwise, for a form; the API turns it into a
409, as its other resources do for rows a body names).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.accounts.models import Role, User
from panel.actions.models import ActionComment, ActionItem, ActionStatus
from panel.core.db import utcnow
from panel.core.errors import Forbidden, NotFound, ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.routing import parse_id
from panel.organisations.models import Organisation
from panel.places.models import Place
from panel.reports.models import Report

MAX_TITLE = 200
MAX_DESCRIPTION = 5000
MAX_COMMENT = 5000
# Due dates further than this from today are typing mistakes (year 2206), not plans.
MAX_YEARS_AHEAD = 10
REMINDER_SETTING = ("action_reminder_days", 3)  # Organisation.settings key, default
MAX_REMINDER_DAYS = 60
DEFAULT_TIMEZONE = "Europe/Stockholm"
WRITERS = (Role.ADMIN, Role.COMMUNICATOR)
STATUSES = tuple(s.value for s in ActionStatus)
FIELDS = ("title", "description", "place_id", "report_id", "responsible_id", "due_on", "status")


def organisation_today(organisation: Organisation) -> dt.date:
    """Today in the organisation's time zone (a due date is a day there)."""
    try:
        zone = ZoneInfo(str(organisation.setting("timezone", DEFAULT_TIMEZONE)))
    except (KeyError, ValueError):
        zone = ZoneInfo(DEFAULT_TIMEZONE)
    return utcnow().astimezone(zone).date()


def reminder_days(organisation: Organisation) -> int:
    """How many days before its due date the responsible person is reminded of an item."""
    value = organisation.setting(*REMINDER_SETTING)
    if isinstance(value, bool) or not isinstance(value, int):
        return REMINDER_SETTING[1]
    return min(max(value, 0), MAX_REMINDER_DAYS)


def set_reminder_days(organisation: Organisation, days: Any) -> int:
    """Store the number of days (0 to 60); ValidationError for anything else."""
    number = days if isinstance(days, int) and not isinstance(days, bool) else None
    if isinstance(days, str) and days.strip().isascii() and days.strip().isdigit():
        number = int(days.strip()) if len(days.strip()) <= 3 else None
    if number is None or not 0 <= number <= MAX_REMINDER_DAYS:
        message = _l("Give a whole number of days from 0 to %(max)s.", max=MAX_REMINDER_DAYS)
        raise ValidationError(message, code="invalid_days", details={"days": [message]})
    organisation.settings = {**(organisation.settings or {}), REMINDER_SETTING[0]: number}
    return number


# --- who may do what --------------------------------------------------------------------------


def can_write(user: Any) -> bool:
    """Communicators and admins create, change and delete action items."""
    return getattr(user, "role", None) in WRITERS


def can_move(user: Any, item: ActionItem) -> bool:
    """Whether ``user`` may change the item's status and comment on it: writers, the person
    responsible and the one who created it."""
    user_id = getattr(user, "id", None)
    return can_write(user) or user_id in (item.responsible_id, item.created_by_id)


def require_writer(user: Any) -> None:
    if not can_write(user):
        raise Forbidden(
            _l("Only communicators and admins create and change action items."),
            code="writers_only",
        )


def require_mover(user: Any, item: ActionItem) -> None:
    if not can_move(user, item):
        raise Forbidden(
            _l(
                "Only the person responsible, whoever created the item, communicators and "
                "admins can move it along or comment on it."
            ),
            code="not_involved",
        )


# --- reading -----------------------------------------------------------------------------------


def get_item(session: Session, item_id: Any) -> ActionItem:
    """The organisation's action item, or NotFound."""
    item = None
    if parse_id(item_id) is not None:
        item = session.scalar(sa.select(ActionItem).where(ActionItem.id == item_id))
    if item is None:
        raise NotFound(_l("There is no such action item. It may have been deleted."))
    return item


@dataclass(frozen=True)
class ItemFilter:
    """What a list of action items shows. ``place_id``: at that place or anywhere below it."""

    status: str | None = None
    place_id: int | None = None
    exact_place_id: int | None = None
    report_id: int | None = None
    responsible_id: int | None = None
    overdue_on: dt.date | None = None  # only items due before this day and not done


def under_place(place_id: int) -> sa.ColumnElement[bool]:
    """Items at the place or at a place below it."""
    below = sa.select(Place.id).where(
        sa.or_(Place.id == place_id, Place.area_id == place_id, Place.building_id == place_id)
    )
    return ActionItem.place_id.in_(below)


def item_filters(wanted: ItemFilter) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses of a list of items."""
    clauses: list[sa.ColumnElement[bool]] = []
    if wanted.status:
        clauses.append(ActionItem.status == wanted.status)
    if wanted.place_id is not None:
        clauses.append(under_place(wanted.place_id))
    if wanted.exact_place_id is not None:
        clauses.append(ActionItem.place_id == wanted.exact_place_id)
    if wanted.report_id is not None:
        clauses.append(ActionItem.report_id == wanted.report_id)
    if wanted.responsible_id is not None:
        clauses.append(ActionItem.responsible_id == wanted.responsible_id)
    if wanted.overdue_on is not None:
        clauses.append(ActionItem.due_on < wanted.overdue_on)
        clauses.append(ActionItem.status != ActionStatus.DONE.value)
    return clauses


def ordered() -> tuple[Any, ...]:
    """Open items first, the soonest due first (no due date last), then the newest."""
    done_last = sa.case((ActionItem.status == ActionStatus.DONE.value, 1), else_=0)
    no_date_last = sa.case((ActionItem.due_on.is_(None), 1), else_=0)
    return (done_last, no_date_last, ActionItem.due_on, ActionItem.id.desc())


def is_overdue(item: ActionItem, today: dt.date) -> bool:
    return (
        item.status != ActionStatus.DONE.value and item.due_on is not None and item.due_on < today
    )


def staff_members(session: Session) -> list[User]:
    """The organisation's active staff, who may be made responsible, by name."""
    users = session.scalars(sa.select(User).where(User.is_active.is_(True))).all()
    return sorted(users, key=lambda u: u.display_name.casefold())


def reports(session: Session) -> list[Report]:
    """The organisation's reports, newest first."""
    return list(session.scalars(sa.select(Report).order_by(Report.id.desc()).limit(500)))


# --- checking values ----------------------------------------------------------------------------


def _refuse(field: str, message: Any, code: str) -> ValidationError:
    return ValidationError(message, code=code, details={field: [message]})


def _clean_text(value: Any, field: str, limit: int, *, required: bool) -> str:
    text = value if isinstance(value, str) else ""
    text = text.replace("\x00", "").replace("\r\n", "\n").strip()
    if field == "title":
        text = " ".join(text.split())
    if required and not text:
        raise _refuse(field, _l("Say what is to be done."), "title_required")
    if len(text) > limit:
        message = _l(
            "At most %(max)s characters (this is %(length)s).", max=limit, length=len(text)
        )
        raise _refuse(field, message, "too_long")
    return text


def check_place(session: Session, place_id: Any) -> int | None:
    if place_id in (None, ""):
        return None
    pid = parse_id(place_id)
    if pid is None or session.scalar(sa.select(Place.id).where(Place.id == pid)) is None:
        raise _refuse(
            "place_id", _l("There is no such place in your organisation."), "place_not_found"
        )
    return pid


def check_report(session: Session, report_id: Any) -> int | None:
    if report_id in (None, ""):
        return None
    rid = parse_id(report_id)
    if rid is None or session.scalar(sa.select(Report.id).where(Report.id == rid)) is None:
        raise _refuse(
            "report_id", _l("There is no such report in your organisation."), "report_not_found"
        )
    return rid


def check_responsible(session: Session, user_id: Any) -> int | None:
    if user_id in (None, ""):
        return None
    uid = parse_id(user_id)
    found = None
    if uid is not None:
        found = session.scalar(sa.select(User).where(User.id == uid))
    if found is None or not found.is_active:
        raise _refuse(
            "responsible_id",
            _l("Choose an active colleague of your organisation."),
            "user_not_found",
        )
    return uid


def check_due(value: Any, today: dt.date | None) -> dt.date | None:
    """A due date from a date or ISO text; within ten years of ``today`` (None: any date, as
    the API takes: its document states no range)."""
    if value in (None, ""):
        return None
    day = value
    if isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            day = None
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise _refuse("due_on", _l("Give the due date as a date, e.g. 2026-12-31."), "bad_date")
    if today is not None and abs((day - today).days) > MAX_YEARS_AHEAD * 366:
        message = _l("Give a due date within %(years)s years of today.", years=MAX_YEARS_AHEAD)
        raise _refuse("due_on", message, "date_out_of_range")
    return day


def check_status(value: Any) -> str:
    if value not in STATUSES:
        raise _refuse("status", _l("The status is planned, doing or done."), "bad_status")
    return str(value)


def clean(session: Session, values: dict[str, Any], today: dt.date | None) -> dict[str, Any]:
    """The given fields checked and tidied (only those present in ``values``)."""
    cleaned: dict[str, Any] = {}
    if "title" in values:
        cleaned["title"] = _clean_text(values["title"], "title", MAX_TITLE, required=True)
    if "description" in values:
        cleaned["description"] = _clean_text(
            values["description"], "description", MAX_DESCRIPTION, required=False
        )
    if "place_id" in values:
        cleaned["place_id"] = check_place(session, values["place_id"])
    if "report_id" in values:
        cleaned["report_id"] = check_report(session, values["report_id"])
    if "responsible_id" in values:
        cleaned["responsible_id"] = check_responsible(session, values["responsible_id"])
    if "due_on" in values:
        cleaned["due_on"] = check_due(values["due_on"], today)
    if "status" in values:
        cleaned["status"] = check_status(values["status"])
    return cleaned


# --- changing ----------------------------------------------------------------------------------


def _apply_status(item: ActionItem, status: str) -> None:
    if status == item.status:
        return
    item.status = status
    item.done_at = utcnow() if status == ActionStatus.DONE.value else None


def _apply(item: ActionItem, cleaned: dict[str, Any]) -> None:
    for name, value in cleaned.items():
        if name == "status":
            _apply_status(item, value)
        elif name == "due_on":
            if value != item.due_on:
                item.due_on = value
                item.reminded_at = None  # a new date: remind again before it
        else:
            setattr(item, name, value)


def create_item(
    session: Session, user: User, values: dict[str, Any], today: dt.date | None
) -> ActionItem:
    """A new action item (writers only); the caller commits."""
    require_writer(user)
    cleaned = clean(session, {"title": "", **values}, today)
    item = ActionItem(title=cleaned.pop("title"), description="", status=ActionStatus.PLANNED.value)
    item.created_by_id = user.id
    _apply(item, cleaned)
    session.add(item)
    session.flush()
    return item


def update_item(
    session: Session,
    user: User,
    item: ActionItem,
    values: dict[str, Any],
    today: dt.date | None,
) -> ActionItem:
    """Change the given fields. Writers change any; the person responsible and the creator
    only the status (ValidationError/Forbidden otherwise). The caller commits."""
    fields = {k: v for k, v in values.items() if k in FIELDS}
    if set(fields) - {"status"}:
        require_writer(user)
    else:
        require_mover(user, item)
    _apply(item, clean(session, fields, today))
    session.flush()
    return item


def set_status(session: Session, user: User, item: ActionItem, status: Any) -> ActionItem:
    """Move the item to ``status`` (planned, doing, done); done records when."""
    require_mover(user, item)
    _apply_status(item, check_status(status))
    session.flush()
    return item


def add_comment(session: Session, user: User, item: ActionItem, body: Any) -> ActionComment:
    """A comment on the item by ``user``; the caller commits."""
    require_mover(user, item)
    text = body if isinstance(body, str) else ""
    text = text.replace("\x00", "").strip()
    if not text:
        raise _refuse("body", _l("Write something first."), "body_required")
    if len(text) > MAX_COMMENT:
        message = _l(
            "At most %(max)s characters (this is %(length)s).", max=MAX_COMMENT, length=len(text)
        )
        raise _refuse("body", message, "too_long")
    comment = ActionComment(item_id=item.id, author_id=user.id, body=text)
    session.add(comment)
    session.flush()
    return comment


def delete_item(session: Session, user: User, item: ActionItem) -> None:
    """Delete the item and its comments (writers only); the caller commits."""
    require_writer(user)
    session.delete(item)
    session.flush()
