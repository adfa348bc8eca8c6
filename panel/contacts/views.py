"""The contacts pages: the list (search, filters, pages), one contact with its consent log,
a new contact, and the CSV import with its report."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from panel.contacts import csv_import, reach, service
from panel.contacts.forms import ConsentForm, ContactForm, ContactImportForm, NewContactForm
from panel.contacts.models import Contact
from panel.contacts.phones import display_phone
from panel.core.errors import StoopError
from panel.core.extensions import db
from panel.core.import_page import import_page
from panel.core.pagination import decode_cursor, encode_cursor
from panel.core.routing import parse_id
from panel.places.models import Place
from panel.places.service import PlaceLookup
from panel.privacy.erasure import open_request

bp = Blueprint("contacts", __name__)
PAGE_SIZE = 50


def _organisation() -> Any:
    return g.get("organisation") or current_user.organisation


def _places(session: sa.orm.Session) -> list[tuple[int, str]]:
    return list(session.execute(sa.select(Place.id, Place.path).order_by(Place.path)).tuples())


# --- the list --------------------------------------------------------------------------------


def _filters() -> dict[str, Any]:
    return {
        "q": (request.args.get("q") or "").strip()[:200],
        "place": parse_id(request.args.get("place")),
        "tag": (request.args.get("tag") or "").strip()[:40],
    }


def _page(session: sa.orm.Session, query: sa.Select[Any]) -> tuple[list[Contact], dict[str, Any]]:
    """Newest first, a keyset page: ``after`` goes to older contacts, ``before`` to newer."""
    before = decode_cursor(request.args.get("before"))
    after = decode_cursor(request.args.get("after"))
    if before is not None:
        rows = list(
            session.scalars(
                query.where(Contact.id > before).order_by(Contact.id.asc()).limit(PAGE_SIZE + 1)
            ).unique()
        )
        has_newer, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE][::-1]
        has_older = True
    else:
        if after is not None:
            query = query.where(Contact.id < after)
        rows = list(
            session.scalars(query.order_by(Contact.id.desc()).limit(PAGE_SIZE + 1)).unique()
        )
        has_older, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
        has_newer = after is not None
    links = {
        "older": encode_cursor(rows[-1].id) if rows and has_older else None,
        "newer": encode_cursor(rows[0].id) if rows and has_newer else None,
    }
    return rows, links


@bp.get("/app/contacts")
@login_required
def index() -> Any:
    """Contacts, newest first, searchable by name, e-mail and phone; filtered by place and tag."""
    session = db.session()
    filters = _filters()
    clauses = service.contact_filters(
        session,
        q=filters["q"],
        place_id=filters["place"],
        tag=filters["tag"],
        region=service.region_of(_organisation()),
    )
    contacts, links = _page(session, sa.select(Contact).where(*clauses))
    total = session.scalar(sa.select(sa.func.count(Contact.id)).where(*clauses)) or 0
    everyone = total if not clauses else session.scalar(sa.select(sa.func.count(Contact.id)))
    return render_template(
        "contacts/index.html",
        contacts=contacts,
        links=links,
        total=total,
        everyone=everyone,
        filters=filters,
        filtered=bool(clauses),
        places=_places(session),
        tags=service.all_tags(session),
    )


# --- one contact -------------------------------------------------------------------------------


def _form_values(form: ContactForm) -> dict[str, Any]:
    place = form.place_id.data
    return {
        "name": form.name.data,
        "email": form.email.data,
        "phone": form.phone.data,
        "language": form.language.data,
        "place_id": int(place) if place and place.isdigit() else None,
        "tags": form.tags.data or "",
        "age_band": form.age_band.data or None,
    }


def _show_problems(form: ContactForm, problems: list[tuple[str, str]]) -> None:
    for field_name, message in problems:
        field = getattr(form, field_name, None) or form.email
        field.errors = [*field.errors, message]


def _apply(form: ContactForm, save: Any) -> Any:
    """Clean the form's values and pass them to ``save``; show problems on the form."""
    session = db.session()
    cleaned = service.clean_contact(
        _form_values(form),
        region=service.region_of(_organisation()),
        places=PlaceLookup.load(session),
    )
    if cleaned.problems:
        _show_problems(form, cleaned.problems)
        return None
    try:
        result = save(cleaned)
    except StoopError as exc:
        session.rollback()
        details = exc.details if isinstance(exc.details, dict) else {}
        field = next((k for k in details if hasattr(form, k)), "email")
        _show_problems(form, [(field, exc.message)])
        return None
    session.commit()
    return result


@bp.route("/app/contacts/new", methods=["GET", "POST"])
@login_required
def new() -> Any:
    """Add one contact by hand."""
    session = db.session()
    organisation = _organisation()
    form = NewContactForm(language=service.default_language(organisation))
    form.set_places(_places(session))
    if form.validate_on_submit():
        consent = None
        if form.consent_basis.data:
            consent = service.ConsentInput(
                basis=form.consent_basis.data, text=(form.consent_text.data or "").strip()
            )

        def save(cleaned: service.CleanContact) -> Contact:
            return service.create_contact(
                session,
                organisation,
                cleaned.values,
                consent,
                method="app",
                user_id=current_user.id,
            )

        contact = _apply(form, save)
        if contact is not None:
            flash(_("Added %(who)s.", who=_who(contact)), "success")
            return redirect(url_for(".show", contact_id=contact.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("contacts/new.html", form=form), status


def _who(contact: Contact) -> str:
    return contact.name or contact.email or display_phone(contact.phone)


def _detail_page(
    contact: Contact, form: ContactForm, consent_form: ConsentForm, status: int = 200
) -> Any:
    session = db.session()
    return (
        render_template(
            "contacts/show.html",
            contact=contact,
            form=form,
            consent_form=consent_form,
            consents=service.consent_log(session, contact.id),
            recorders=_recorders(session, contact),
            opt_outs=reach.opt_outs(session, contact),
            answer_consents=_answer_consents(session, contact),
            who=_who(contact),
            erasure=open_request(session, contact.id),
        ),
        status,
    )


def _answer_consents(session: sa.orm.Session, contact: Contact) -> list[Any]:
    """What the tenant allowed with each answer (show who, quote, show the clip), newest first:
    part of their consent, as the answer's page keeps it."""
    from panel.answers.models import Answer

    return list(
        session.scalars(
            sa.select(Answer)
            .where(Answer.contact_id == contact.id)
            .order_by(Answer.created_at.desc(), Answer.id.desc())
            .limit(50)
        )
    )


def _recorders(session: sa.orm.Session, contact: Contact) -> dict[int, str]:
    from panel.accounts.models import User

    ids = {e.recorded_by_id for e in contact.consents if e.recorded_by_id}
    if not ids:
        return {}
    users = session.scalars(sa.select(User).where(User.id.in_(ids)))
    return {u.id: u.display_name for u in users}


def _edit_form(contact: Contact, formdata: Any = None) -> ContactForm:
    form = ContactForm(
        formdata=formdata,
        name=contact.name,
        email=contact.email,
        phone=display_phone(contact.phone),
        language=contact.language,
        place_id=str(contact.place_id or ""),
        tags=", ".join(contact.tags or []),
        age_band=contact.age_band or "",
    )
    form.set_places(_places(db.session()))
    return form


@bp.get("/app/contacts/<int:contact_id>")
@login_required
def show(contact_id: int) -> Any:
    """One contact: details to edit, and the consent log."""
    contact = service.get_contact(db.session(), contact_id)
    return _detail_page(contact, _edit_form(contact), ConsentForm())


@bp.post("/app/contacts/<int:contact_id>")
@login_required
def update(contact_id: int) -> Any:
    """Save the edited details (a blank field clears it)."""
    session = db.session()
    contact = service.get_contact(session, contact_id)
    form = _edit_form(contact, request.form)
    if form.validate_on_submit():

        def save(cleaned: service.CleanContact) -> Contact:
            return service.update_contact(
                session, contact, cleaned.values, method="app", user_id=current_user.id
            )

        if _apply(form, save) is not None:
            flash(_("Saved."), "success")
            return redirect(url_for(".show", contact_id=contact.id), 303)
        session.refresh(contact)
    return _detail_page(contact, form, ConsentForm(formdata=None), 422)


@bp.post("/app/contacts/<int:contact_id>/consent")
@login_required
def record_consent(contact_id: int) -> Any:
    """Add an entry to the contact's consent log."""
    session = db.session()
    contact = service.get_contact(session, contact_id)
    form = ConsentForm()
    if not form.validate_on_submit():
        return _detail_page(contact, _edit_form(contact), form, 422)
    consent = service.ConsentInput(
        basis=form.basis.data,
        text=(form.text.data or "").strip(),
        text_version=(form.text_version.data or "").strip() or None,
        channel=form.channel.data,
        granted=form.granted.data == "1",
    )
    service.record_consent(session, contact, consent, method="app", user_id=current_user.id)
    session.commit()
    flash(_("Added to the consent log."), "success")
    return redirect(url_for(".show", contact_id=contact.id, _anchor="consent"), 303)


# --- import --------------------------------------------------------------------------------


@bp.route("/app/contacts/import", methods=["GET", "POST"])
@login_required
def import_csv() -> Any:
    """Upload a CSV of contacts; show what was created, updated and skipped, row by row."""
    return import_page(
        "contacts/import.html",
        ContactImportForm,
        csv_import.EXAMPLE,
        lambda stream: csv_import.import_contacts(
            db.session(),
            _organisation(),
            stream,
            user_id=current_user.id,
            default_consent=_import_consent(),
        ),
    )


def _import_consent() -> service.ConsentInput | None:
    """The basis the import page asked for, for the rows that state none (the form checked
    the choice)."""
    basis = request.form.get("consent_basis") or ""
    if basis not in service.CONSENT_BASES:
        return None
    return service.ConsentInput(
        basis=basis,
        text=(request.form.get("consent_text") or "").strip()[: service.MAX_CONSENT_TEXT],
        text_version=(request.form.get("consent_text_version") or "").strip()[
            : service.MAX_TEXT_VERSION
        ]
        or None,
    )
