"""Segments: who in a panel a send reaches. A segment matches members at a place or anywhere
below it, speaking one of its languages, in one of its age bands, carrying one of its tags;
criteria left empty match everyone.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.contacts.models import Contact
from panel.contacts.service import AGE_BANDS, LANGUAGES, clean_tags
from panel.core.errors import NotFound, ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.routing import parse_id
from panel.panels.models import MemberStatus, Panel, PanelMember, Segment
from panel.places.models import Place


def _tags_any(session: Session, tags: list[str]) -> sa.ColumnElement[bool]:
    """Contacts carrying any of ``tags`` (the JSON list read per dialect)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB, array

        return sa.cast(Contact.tags, JSONB).op("?|")(array(tags))
    values = sa.func.json_each(Contact.tags).table_valued("value")
    return sa.exists(sa.select(1).select_from(values).where(values.c.value.in_(tags)))


def criteria_filters(
    session: Session,
    organisation_id: int,
    *,
    place_id: int | None = None,
    languages: list[str] | None = None,
    age_bands: list[str] | None = None,
    tags: list[str] | None = None,
) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses on :class:`Contact` for the criteria given."""
    clauses: list[sa.ColumnElement[bool]] = []
    if place_id is not None:
        below = sa.select(Place.id).where(
            Place.organisation_id == organisation_id,
            sa.or_(Place.id == place_id, Place.area_id == place_id, Place.building_id == place_id),
        )
        clauses.append(Contact.place_id.in_(below))
    if languages:
        clauses.append(Contact.language.in_(languages))
    if age_bands:
        clauses.append(Contact.age_band.in_(age_bands))
    if tags:
        clauses.append(_tags_any(session, tags))
    return clauses


def member_contacts(
    session: Session,
    panel_id: int,
    organisation_id: int,
    *,
    status: MemberStatus | None = MemberStatus.ACTIVE,
    **criteria: Any,
) -> sa.Select[Any]:
    """``SELECT contact.id`` of the panel's members (of ``status``) matching the criteria.

    The organisation is filtered explicitly on every table, so the statement is safe in any
    session, scoped or not, and inside bulk INSERT ... SELECT statements.
    """
    query = (
        sa.select(Contact.id)
        .join(PanelMember, PanelMember.contact_id == Contact.id)
        .where(
            PanelMember.organisation_id == organisation_id,
            PanelMember.panel_id == panel_id,
            Contact.organisation_id == organisation_id,
            *criteria_filters(session, organisation_id, **criteria),
        )
    )
    if status is not None:
        query = query.where(PanelMember.status == status.value)
    return query


def segment_criteria(segment: Segment) -> dict[str, Any]:
    """A segment's criteria as keyword arguments of :func:`criteria_filters`."""
    return {
        "place_id": segment.place_id,
        "languages": list(segment.languages or []),
        "age_bands": list(segment.age_bands or []),
        "tags": list(segment.tags or []),
    }


def recipient_contact_ids(
    session: Session, panel_id: int, segment_id: int | None = None
) -> sa.Select[Any]:
    """``SELECT contact.id`` of the panel's ACTIVE members (matching the segment when given).

    The panel (and segment) are looked up across organisations here, and the statement then
    filters by the panel's organisation explicitly: it can be run by a task, in a bulk INSERT
    ... SELECT, without a scoped session. NotFound when the panel or segment is not there (or
    the segment is another panel's).
    """
    organisation_id = session.scalar(
        sa.select(Panel.organisation_id)
        .where(Panel.id == panel_id)
        .execution_options(all_organisations=True)
    )
    if organisation_id is None:
        raise NotFound(_l("There is no such panel. It may have been deleted."))
    criteria: dict[str, Any] = {}
    if segment_id is not None:
        segment = session.scalar(
            sa.select(Segment)
            .where(
                Segment.id == segment_id,
                Segment.panel_id == panel_id,
                Segment.organisation_id == organisation_id,
            )
            .execution_options(all_organisations=True)
        )
        if segment is None:
            raise NotFound(_l("There is no such segment of this panel."))
        criteria = segment_criteria(segment)
    return member_contacts(session, panel_id, organisation_id, **criteria)


def count_matching(session: Session, panel: Panel, **criteria: Any) -> int:
    """How many active members of the panel match the criteria."""
    query = member_contacts(session, panel.id, panel.organisation_id, **criteria)
    return session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def clean_criteria(
    session: Session,
    *,
    place_id: Any = None,
    languages: Any = None,
    age_bands: Any = None,
    tags: Any = None,
) -> dict[str, Any]:
    """Checked criteria: a place of the session's organisation, known languages and bands."""
    pid = parse_id(place_id) if place_id not in (None, "") else None
    if place_id not in (None, "") and (
        pid is None or session.scalar(sa.select(Place.id).where(Place.id == pid)) is None
    ):
        raise ValidationError(
            _l("There is no such place. Choose one from the list."),
            code="place_not_found",
            details={"place_id": [_l("No such place in your organisation.")]},
        )
    languages = [v for v in (languages or []) if v]
    age_bands = [v for v in (age_bands or []) if v]
    if any(v not in LANGUAGES for v in languages):
        raise ValidationError(
            _l("The languages must be among sv, nl and en."),
            details={"languages": [_l("Unknown language.")]},
        )
    if any(v not in AGE_BANDS for v in age_bands):
        raise ValidationError(
            _l("The age bands must be among %(bands)s.", bands=", ".join(AGE_BANDS)),
            details={"age_bands": [_l("Unknown age band.")]},
        )
    try:
        tag_list = clean_tags(tags)
    except ValueError as exc:
        raise ValidationError(exc.args[0], details={"tags": [exc.args[0]]}) from exc
    return {
        "place_id": pid,
        "languages": sorted(set(languages)),
        "age_bands": sorted(set(age_bands), key=AGE_BANDS.index),
        "tags": tag_list,
    }


def create_segment(session: Session, panel: Panel, name: str, **criteria: Any) -> Segment:
    """A new segment of the panel from cleaned criteria."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(_l("Give the segment a name."), details={"name": [_l("Required.")]})
    if len(name) > 120:
        raise ValidationError(
            _l("The name can be at most %(limit)s characters.", limit=120),
            details={"name": [_l("Too long.")]},
        )
    segment = Segment(
        organisation_id=panel.organisation_id, panel_id=panel.id, name=name, **criteria
    )
    session.add(segment)
    session.flush()
    return segment


def segments_of(session: Session, panel: Panel) -> list[Segment]:
    """The panel's segments by name."""
    return list(
        session.scalars(
            sa.select(Segment).where(Segment.panel_id == panel.id).order_by(Segment.name)
        )
    )
