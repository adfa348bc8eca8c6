"""The places pages: the tree (add, rename, delete) and the CSV import.

Everyone in the organisation sees the tree; only admins change it (the SPEC gives places to
admins), and the page says so instead of showing buttons that would be refused.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from panel.core.errors import Forbidden, StoopError
from panel.core.extensions import db
from panel.core.import_page import import_page
from panel.core.routing import parse_id
from panel.places import csv_import, service
from panel.places.forms import DeleteForm, ImportForm, PlaceForm, RenameForm
from panel.places.models import PlaceKind

bp = Blueprint("places", __name__)


def _require_admin() -> None:
    if not current_user.is_admin:
        raise Forbidden(_("Only admins change places. Ask an admin of your organisation."))


def _first_error(form: Any) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return _("Check the form and try again.")


@bp.get("/app/places")
@login_required
def index() -> Any:
    """The tree, with each node's number of contacts."""
    session = db.session()
    tree = service.place_tree(session)
    nodes = service.flatten(tree)
    counts = {kind.value: sum(1 for n in nodes if n.place.kind == kind) for kind in PlaceKind}
    return render_template(
        "places/index.html",
        tree=tree,
        counts=counts,
        form=PlaceForm(),
        can_edit=current_user.is_admin,
        open_ids=_open_ids(parse_id(request.args.get("open")), nodes),
    )


def _open_ids(place_id: int | None, nodes: list[service.TreeNode]) -> set[int]:
    """The places whose <details> start open: the one just changed and its ancestors."""
    for node in nodes:
        if node.place.id == place_id:
            place = node.place
            return {i for i in (place.id, place.area_id, place.building_id) if i}
    return set()


@bp.post("/app/places")
@login_required
def create() -> Any:
    """Add an area, or a building or stairwell under the form's parent."""
    _require_admin()
    session = db.session()
    form = PlaceForm()
    if not form.validate_on_submit():
        flash(_first_error(form), "error")
        return redirect(url_for(".index"), 303)
    parent = None
    if form.parent_id.data:
        if not form.parent_id.data.isdigit():
            flash(_("That place no longer exists."), "error")
            return redirect(url_for(".index"), 303)
        parent = service.get_place(session, int(form.parent_id.data))
    try:
        place = service.create_place(session, form.name.data or "", parent, form.code.data)
    except StoopError as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".index", open=parent.id if parent else None), 303)
    session.commit()
    flash(_("Added %(path)s.", path=place.path), "success")
    return redirect(url_for(".index", open=place.id, _anchor=f"place-{place.id}"), 303)


@bp.post("/app/places/<int:place_id>/rename")
@login_required
def rename(place_id: int) -> Any:
    """Rename a place (and change its code); the paths below it follow."""
    session = db.session()
    place = service.get_place(session, place_id)
    _require_admin()
    form = RenameForm()
    if not form.validate_on_submit():
        flash(_first_error(form), "error")
        return redirect(url_for(".index", open=place.id), 303)
    try:
        service.rename_place(session, place, form.name.data or "", form.code.data)
    except StoopError as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".index", open=place_id), 303)
    session.commit()
    flash(_("Saved %(path)s.", path=place.path), "success")
    return redirect(url_for(".index", open=place.id, _anchor=f"place-{place.id}"), 303)


@bp.post("/app/places/<int:place_id>/delete")
@login_required
def delete(place_id: int) -> Any:
    """Delete an empty place; a place with places or contacts under it is refused."""
    session = db.session()
    place = service.get_place(session, place_id)
    _require_admin()
    if not DeleteForm().validate_on_submit():
        flash(_("The form expired. Try again."), "error")
        return redirect(url_for(".index"), 303)
    path, parent_id = place.path, place.parent_id
    try:
        service.delete_place(session, place)
    except StoopError as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".index", open=place_id), 303)
    session.commit()
    flash(_("Deleted %(path)s.", path=path), "success")
    return redirect(url_for(".index", open=parent_id), 303)


@bp.route("/app/places/import", methods=["GET", "POST"])
@login_required
def import_csv() -> Any:
    """Upload a CSV of areas, buildings and stairwells; show what happened row by row."""
    _require_admin()
    return import_page(
        "places/import.html",
        ImportForm,
        csv_import.EXAMPLE,
        lambda stream: csv_import.import_places(db.session(), stream),
    )
