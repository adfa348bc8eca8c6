"""The panels' staff pages: the list, a panel with its figures, creating and editing one,
its members (paged, searchable), adding members from contacts or a CSV file, and segments with
a live count of the members they match."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from panel.contacts import csv_import
from panel.contacts.models import Contact
from panel.contacts.service import (
    AGE_BANDS,
    LANGUAGES,
    all_tags,
    contact_filters,
    region_of,
    search_filter,
)
from panel.core.errors import NotFound, StoopError
from panel.core.extensions import db
from panel.core.i18n import lazy_text as _l
from panel.core.import_page import import_page
from panel.core.pagination import decode_cursor, encode_cursor
from panel.core.routing import parse_id
from panel.panels import segments, service
from panel.panels.forms import PanelForm
from panel.panels.models import MemberSource, MemberStatus, Panel, PanelMember, Segment
from panel.places.forms import ImportForm
from panel.places.models import Place

bp = Blueprint("panels", __name__)
PAGE_SIZE = 50


def _organisation() -> Any:
    return g.get("organisation") or current_user.organisation


def _places(session: sa.orm.Session) -> list[tuple[int, str]]:
    return list(session.execute(sa.select(Place.id, Place.path).order_by(Place.path)).tuples())


# --- the list and one panel ------------------------------------------------------------------


@bp.get("/app/panels")
@login_required
def index() -> Any:
    """The organisation's panels with their active members."""
    session = db.session()
    active = (
        sa.select(PanelMember.panel_id, sa.func.count().label("n"))
        .where(PanelMember.status == MemberStatus.ACTIVE.value)
        .group_by(PanelMember.panel_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(Panel, sa.func.coalesce(active.c.n, 0))
        .outerjoin(active, active.c.panel_id == Panel.id)
        .order_by(Panel.name)
    ).all()
    return render_template("panels/index.html", panels=rows)


def _save_panel(form: PanelForm, save: Any) -> Any:
    session = db.session()
    try:
        panel = save()
    except StoopError as exc:
        session.rollback()
        details = exc.details if isinstance(exc.details, dict) else {}
        field = next((k for k in details if hasattr(form, k)), "name")
        getattr(form, field).errors = [*getattr(form, field).errors, exc.message]
        return None
    session.commit()
    return panel


@bp.route("/app/panels/new", methods=["GET", "POST"])
@login_required
def new() -> Any:
    """Create a panel."""
    session = db.session()
    form = PanelForm()
    if form.validate_on_submit():
        panel = _save_panel(
            form,
            lambda: service.create_panel(
                session,
                _organisation(),
                name=form.name.data,
                description=form.description.data or "",
                consent_text=form.consent_text.data or "",
                is_open=form.is_open.data,
                user_id=current_user.id,
            ),
        )
        if panel is not None:
            flash(_("Created the panel %(name)s.", name=panel.name), "success")
            return redirect(url_for(".show", panel_id=panel.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("panels/form.html", form=form, panel=None), status


@bp.route("/app/panels/<int:panel_id>/edit", methods=["GET", "POST"])
@login_required
def edit(panel_id: int) -> Any:
    """Change a panel's name, description, consent text (a new version) or openness."""
    session = db.session()
    panel = service.get_panel(session, panel_id)
    consent = service.current_consent(session, panel)
    form = PanelForm(
        obj=panel,
        consent_text=consent.text if consent else "",
    )
    if form.validate_on_submit():
        saved = _save_panel(
            form,
            lambda: service.update_panel(
                session,
                panel,
                name=form.name.data,
                description=form.description.data or "",
                consent_text=form.consent_text.data or "",
                is_open=form.is_open.data,
                user_id=current_user.id,
            ),
        )
        if saved is not None:
            flash(_("Saved."), "success")
            return redirect(url_for(".show", panel_id=panel.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("panels/form.html", form=form, panel=panel, consent=consent), status


@bp.get("/app/panels/<int:panel_id>")
@login_required
def show(panel_id: int) -> Any:
    """A panel: member counts, growth over 12 weeks, join link, consent text, segments."""
    session = db.session()
    panel = service.get_panel(session, panel_id)
    growth = service.weekly_growth(session, panel)
    return render_template(
        "panels/show.html",
        panel=panel,
        counts=service.member_counts(session, panel),
        growth=growth,
        growth_max=max([n for _, n in growth] + [1]),
        consent=service.current_consent(session, panel),
        segments=segments.segments_of(session, panel),
        join_url=url_for("panels_public.join", slug=panel.slug, _external=True),
    )


# --- members -----------------------------------------------------------------------------------


def _member_page(
    session: sa.orm.Session, query: sa.Select[Any]
) -> tuple[list[Any], dict[str, str | None]]:
    """Newest first, a keyset page: ``after`` goes to older members, ``before`` to newer."""
    before = decode_cursor(request.args.get("before"))
    after = decode_cursor(request.args.get("after"))
    if before is not None:
        rows = session.execute(
            query.where(PanelMember.id > before).order_by(PanelMember.id.asc()).limit(PAGE_SIZE + 1)
        ).all()
        has_newer, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE][::-1]
        has_older = True
    else:
        if after is not None:
            query = query.where(PanelMember.id < after)
        rows = session.execute(query.order_by(PanelMember.id.desc()).limit(PAGE_SIZE + 1)).all()
        has_older, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
        has_newer = after is not None
    return rows, {
        "older": encode_cursor(rows[-1][0].id) if rows and has_older else None,
        "newer": encode_cursor(rows[0][0].id) if rows and has_newer else None,
    }


@bp.get("/app/panels/<int:panel_id>/members")
@login_required
def members(panel_id: int) -> Any:
    """The panel's members, newest first; search by name, e-mail or phone; filter by status."""
    session = db.session()
    panel = service.get_panel(session, panel_id)
    q = (request.args.get("q") or "").strip()[:200]
    status = request.args.get("status") or ""
    query = (
        sa.select(PanelMember, Contact)
        .join(Contact, Contact.id == PanelMember.contact_id)
        .where(PanelMember.panel_id == panel.id)
    )
    if q:
        query = query.where(search_filter(q, region_of(_organisation())))
    if status in {s.value for s in MemberStatus}:
        query = query.where(PanelMember.status == status)
    else:
        status = ""
    rows, links = _member_page(session, query)
    return render_template(
        "panels/members.html",
        panel=panel,
        rows=rows,
        links=links,
        q=q,
        status=status,
        counts=service.member_counts(session, panel),
    )


@bp.post("/app/panels/<int:panel_id>/members/<int:member_id>/remove")
@login_required
def remove_member(panel_id: int, member_id: int) -> Any:
    """Take a member out of the panel (recorded as a withdrawal made by staff)."""
    session = db.session()
    panel = service.get_panel(session, panel_id)
    member = service.get_member(session, panel, member_id)
    service.leave(session, member, method="app")
    session.commit()
    flash(_("Removed from the panel."), "success")
    return redirect(url_for(".members", panel_id=panel.id), 303)


def _contact_criteria() -> dict[str, Any]:
    return {
        "place": parse_id(request.values.get("place")),
        "tag": (request.values.get("tag") or "").strip()[:40],
        "language": request.values.get("language")
        if request.values.get("language") in LANGUAGES
        else "",
    }


def _candidates(session: sa.orm.Session, panel: Panel, criteria: dict[str, Any]) -> sa.Select[Any]:
    """Contacts matching the filter who are not yet active members of the panel."""
    clauses = contact_filters(session, place_id=criteria["place"], tag=criteria["tag"])
    if criteria["language"]:
        clauses.append(Contact.language == criteria["language"])
    active = sa.select(PanelMember.contact_id).where(
        PanelMember.panel_id == panel.id, PanelMember.status == MemberStatus.ACTIVE.value
    )
    return sa.select(Contact.id).where(*clauses, Contact.id.not_in(active))


@bp.route("/app/panels/<int:panel_id>/members/add", methods=["GET", "POST"])
@login_required
def add_from_contacts(panel_id: int) -> Any:
    """Add contacts by place, tag and language; the page counts them before adding."""
    session = db.session()
    panel = service.get_panel(session, panel_id)
    criteria = _contact_criteria()
    query = _candidates(session, panel, criteria)
    if request.method == "POST":
        ids = list(session.scalars(query))
        # Staff adding a contact who left earlier is a deliberate "bring them back".
        added = service.add_members(
            session, panel, ids, source=MemberSource.CONTACTS, reactivate=True
        )
        session.commit()
        flash(
            ngettext("Added %(num)s member.", "Added %(num)s members.", added),
            "success",
        )
        return redirect(url_for(".show", panel_id=panel.id), 303)
    count = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    return render_template(
        "panels/add.html",
        panel=panel,
        criteria=criteria,
        count=count,
        places=_places(session),
        tags=all_tags(session),
        languages=LANGUAGES,
    )


@bp.route("/app/panels/<int:panel_id>/members/import", methods=["GET", "POST"])
@login_required
def import_members(panel_id: int) -> Any:
    """Upload a CSV of contacts: each row is upserted as a contact, then added to the panel."""
    session = db.session()
    panel = service.get_panel(session, panel_id)
    g.panel = panel
    g.panel_added = 0

    def add(ids: list[int]) -> None:
        g.panel_added += service.add_members(session, panel, ids, source=MemberSource.CSV)

    return import_page(
        "panels/import.html",
        ImportForm,
        csv_import.EXAMPLE,
        lambda stream: csv_import.import_contacts(
            session, _organisation(), stream, user_id=current_user.id, on_batch=add
        ),
    )


# --- segments ----------------------------------------------------------------------------------


def _segment_input() -> dict[str, Any]:
    values = request.values
    return {
        "place_id": values.get("place_id") or None,
        "languages": values.getlist("languages"),
        "age_bands": values.getlist("age_bands"),
        "tags": values.get("tags") or "",
    }


@bp.route("/app/panels/<int:panel_id>/segments", methods=["GET", "POST"])
@login_required
def segments_page(panel_id: int) -> Any:
    """The panel's segments and a form for a new one, with a live count of the members it
    matches (``?count=1`` answers the count as JSON for the page's script)."""
    session = db.session()
    panel = service.get_panel(session, panel_id)
    raw = _segment_input()
    error = None
    try:
        criteria = segments.clean_criteria(session, **raw)
    except StoopError as exc:
        criteria, error = None, exc
    if request.args.get("count"):
        if criteria is None:
            return jsonify(count=None, message=str(error.message) if error else ""), 422
        count = segments.count_matching(session, panel, **criteria)
        return jsonify(
            count=count,
            message=ngettext("%(num)s member matches", "%(num)s members match", count),
        )
    name = (request.form.get("name") or "").strip()
    if request.method == "POST" and criteria is not None:
        try:
            segment = segments.create_segment(session, panel, name, **criteria)
        except StoopError as exc:
            session.rollback()
            error = exc
        else:
            session.commit()
            flash(_("Created the segment %(name)s.", name=segment.name), "success")
            return redirect(url_for(".segments_page", panel_id=panel.id), 303)
    existing = segments.segments_of(session, panel)
    counts = {
        s.id: segments.count_matching(session, panel, **segments.segment_criteria(s))
        for s in existing
    }
    matching = segments.count_matching(session, panel, **(criteria or {})) if criteria else None
    places = _places(session)
    status = 422 if error is not None and request.method == "POST" else 200
    return (
        render_template(
            "panels/segments.html",
            panel=panel,
            segments=existing,
            counts=counts,
            place_paths=dict(places),
            raw=raw,
            name=name,
            error=error,
            matching=matching,
            places=places,
            languages=LANGUAGES,
            age_bands=AGE_BANDS,
        ),
        status,
    )


@bp.post("/app/panels/<int:panel_id>/segments/<int:segment_id>/delete")
@login_required
def delete_segment(panel_id: int, segment_id: int) -> Any:
    """Delete a segment (members stay in the panel)."""
    session = db.session()
    panel = service.get_panel(session, panel_id)
    segment = session.scalar(
        sa.select(Segment).where(Segment.id == segment_id, Segment.panel_id == panel.id)
    )
    if segment is None:
        raise NotFound(_l("There is no such segment of this panel."))
    session.delete(segment)
    session.commit()
    flash(_("Deleted the segment."), "success")
    return redirect(url_for(".segments_page", panel_id=panel.id), 303)
