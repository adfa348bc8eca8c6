"""The organisation's settings page (admins): its brand and sender (name, address, colour and
logo of its e-mails and tenant pages), its phone numbers (the numbers tenants text and call),
the websites allowed to embed its touchpoints, and the fatigue cap (at most N questions a month
per panel member). And the one public route of the
room: the logo's file, which e-mails and tenant pages show.

One page for the organisation-wide settings; each setting is a section of it.
"""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField

from media.images import ImageRejected, logo_picture, read_limited
from media.storage import StorageError, StorageUnavailable, current_storage
from notifications.brand import EMAIL_BOX, LOGO_RULE
from panel.core.errors import Conflict, Forbidden, NotFound, StoopError
from panel.core.extensions import db
from panel.organisations import brand, numbers
from panel.organisations.fatigue import MAX_CAP, MIN_CAP, set_fatigue_cap
from panel.organisations.models import Organisation
from panel.organisations.service import EMBED_ORIGINS_SETTING, clean_origins, find_organisation
from panel.privacy import audit

bp = Blueprint("organisations", __name__)


class EmbedOriginsForm(FlaskForm):
    """The websites (origins) that may show the organisation's touchpoints in a frame."""

    origins = TextAreaField(
        _l("Websites that may show your touchpoints"),
        description=_l(
            "One a line, as the browser's address bar shows it without the path, e.g. "
            "https://www.example.se. Other websites cannot show your questions in a frame."
        ),
    )


class BrandForm(FlaskForm):
    """Who the organisation's e-mails come from, and how they and its tenant pages look."""

    email_from_name = StringField(
        _l("Name e-mails come from"),
        description=_l("Tenants see it as the sender. Blank: the organisation's name."),
    )
    email_from_address = StringField(
        _l("Address e-mails come from"),
        description=_l(
            "Blank: Stoop's own sending address. Your own address needs your mail domain to "
            "allow Stoop to send for it (SPF and DKIM), or e-mails end up as spam."
        ),
    )
    brand_colour = StringField(
        _l("Brand colour"),
        description=_l("Colours the top of your e-mails. Written like #1f5f5b."),
    )
    logo = FileField(
        _l("Logo"),
        description=_l(
            "PNG, JPEG or WebP, at most 2 MB. It is redrawn at most 480 pixels wide and 120 "
            "tall; a logo on a white or transparent background looks best."
        ),
    )


LOGO_CACHE = "public, max-age=31536000, immutable"  # the URL changes with the file
BRAND_FORM_MAX_BYTES = 10 * 1024 * 1024


def _require_admin() -> None:
    if not current_user.is_admin:
        raise Forbidden(_("Only admins change the organisation's settings."))


def _organisation() -> Organisation:
    return db.session().get(Organisation, current_user.organisation_id)


@bp.get("/app/settings")
@login_required
def settings() -> Any:
    """The organisation's settings."""
    _require_admin()
    organisation = _organisation()
    return _page(organisation)


def _page(
    organisation: Organisation,
    form: FlaskForm | None = None,
    status: int = 200,
    *,
    brand_form: BrandForm | None = None,
    number_form: numbers.PhoneNumberForm | None = None,
    **fatigue: Any,
) -> Any:
    """The settings page. ``form``, ``brand_form`` and ``number_form`` are a section's form as
    sent (values and errors); ``fatigue`` overrides what the fatigue-cap section shows (a value
    that was refused, and why). Sections not given show what is saved."""
    if form is None:
        origins = organisation.setting(EMBED_ORIGINS_SETTING, []) or []
        form = EmbedOriginsForm(formdata=None, origins="\n".join(origins))
    if brand_form is None:
        sender = brand.current_sender(db.session(), organisation)
        brand_form = BrandForm(
            formdata=None,
            email_from_name=sender.name,
            email_from_address=sender.address,
            brand_colour=sender.colour,
        )
    if number_form is None:
        number_form = numbers.PhoneNumberForm(formdata=None)
    logo = brand.logo_of(organisation)
    section = {"value": organisation.fatigue_cap, "error": None, "min": MIN_CAP, "max": MAX_CAP}
    section.update(fatigue)
    page = render_template(
        "organisations/settings.html",
        organisation=organisation,
        form=form,
        brand_form=brand_form,
        logo=logo,
        preview_size=logo.fit(EMAIL_BOX) if logo else (0, 0),
        default_address=parseaddr(current_app.config["STOOP"].mail_from)[1],
        fatigue=section,
        number_form=number_form,
        phone_numbers=numbers.number_rows(db.session(), organisation.id),
        webhooks=numbers.webhook_urls(),
    )
    return page, status


@bp.post("/app/settings/embed-origins")
@login_required
def save_embed_origins() -> Any:
    """Save the list of websites allowed to embed touchpoints."""
    _require_admin()
    session = db.session()
    organisation = _organisation()
    form = EmbedOriginsForm()
    if form.validate_on_submit():
        try:
            origins = clean_origins(form.origins.data or "")
        except StoopError as exc:
            form.origins.errors = [exc.message]
        else:
            # A new dict: the JSON column notices reassignment, not changes in place.
            organisation.settings = {
                **(organisation.settings or {}),
                EMBED_ORIGINS_SETTING: origins,
            }
            audit.record_changes(session, "settings.change", organisation, section="embedding")
            session.commit()
            flash(_("Saved the websites that may show your touchpoints."), "success")
            return redirect(url_for(".settings", _anchor="embedding"), 303)
    return _page(organisation, form, 422)


@bp.post("/app/settings/phone-numbers")
@login_required
def add_phone_number() -> Any:
    """Add a number tenants text and call (what it takes: SMS, calls or both)."""
    _require_admin()
    session = db.session()
    organisation = _organisation()
    form = numbers.PhoneNumberForm()
    if not form.validate_on_submit():
        return _page(organisation, number_form=form, status=400)
    try:
        added = numbers.add_number(
            session,
            organisation,
            form.phone_number.data or "",
            sms=bool(form.sms.data),
            voice=bool(form.voice.data),
        )
    except StoopError as exc:
        session.rollback()
        form.phone_number.errors = [exc.message]
        return _page(_organisation(), number_form=form, status=exc.status)
    audit.record(
        session,
        "settings.change",
        target_type="sender_number",
        target_id=added,
        details={"section": "phone_numbers", "added": True},
    )
    session.commit()
    flash(_("Added %(number)s.", number=numbers.display_phone(added)), "success")
    return redirect(url_for(".settings", _anchor="phone-numbers"), 303)


@bp.post("/app/settings/phone-numbers/<int:sender_number_id>/remove")
@login_required
def remove_phone_number(sender_number_id: int) -> Any:
    """Remove a number, unless a voice touchpoint answers it."""
    _require_admin()
    session = db.session()
    try:
        removed = numbers.remove_number(session, current_user.organisation_id, sender_number_id)
    except Conflict as exc:
        session.rollback()
        flash(exc.message, "error")
        return _page(_organisation(), status=exc.status)
    audit.record(
        session,
        "settings.change",
        target_type="sender_number",
        target_id=sender_number_id,
        details={"section": "phone_numbers", "removed": True},
    )
    session.commit()
    flash(_("Removed %(number)s.", number=numbers.display_phone(removed)), "success")
    return redirect(url_for(".settings", _anchor="phone-numbers"), 303)


@bp.post("/app/settings/fatigue-cap")
@login_required
def save_fatigue_cap() -> Any:
    """Save "at most N questions a month per panel member" (blank: no limit)."""
    _require_admin()
    session = db.session()
    organisation = _organisation()
    value = (request.form.get("fatigue_cap") or "").strip()
    try:
        cap = set_fatigue_cap(organisation, value)
    except StoopError as exc:
        return _page(organisation, None, 422, value=value[:10], error=exc.message)
    audit.record_changes(session, "settings.change", organisation, section="fatigue")
    session.commit()
    if cap is None:
        flash(_("Saved: no limit on questions a month."), "success")
    else:
        flash(_("Saved: at most %(num)s questions a month per member.", num=cap), "success")
    return redirect(url_for(".settings", _anchor="fatigue"), 303)


@bp.post("/app/settings/brand")
@login_required
def save_brand() -> Any:
    """Save the sender's name and address, the brand colour and (when one is chosen) a new
    logo. Nothing is saved unless all of it is good: a refused logo keeps the old one."""
    _require_admin()
    # A logo over 2 MB gets its message beside the field; a body far beyond that (the app's
    # limit is for videos) is refused before it is read: 413, "That file is too large".
    request.max_content_length = BRAND_FORM_MAX_BYTES
    session = db.session()
    organisation = _organisation()
    form = BrandForm()
    if not form.validate_on_submit():
        return _page(organisation, brand_form=form, status=400)
    try:
        picture = _uploaded_logo(form)
        brand.save_sender(
            session,
            organisation,
            name=form.email_from_name.data or "",
            address=form.email_from_address.data or "",
            colour=form.brand_colour.data or "",
        )
        replaced = brand.store_logo(current_storage(), organisation, picture) if picture else None
    except ImageRejected as exc:
        session.rollback()
        form.logo.errors = [exc.message]
        return _page(_organisation(), brand_form=form, status=exc.status)
    except StoopError as exc:
        session.rollback()
        _show_field_errors(form, exc)
        return _page(_organisation(), brand_form=form, status=exc.status)
    except (StorageUnavailable, StorageError):
        session.rollback()
        form.logo.errors = [_("The logo could not be stored just now. Try again in a while.")]
        return _page(_organisation(), brand_form=form, status=503)
    audit.record_changes(session, "settings.change", organisation, section="brand")
    session.commit()
    brand.discard_logo_file(current_storage(), replaced)
    flash(_("Saved the brand and sender."), "success")
    return redirect(url_for(".settings", _anchor="brand"), 303)


@bp.post("/app/settings/brand/remove-logo")
@login_required
def remove_logo() -> Any:
    """Remove the logo: e-mails and tenant pages show the organisation's name again."""
    _require_admin()
    session = db.session()
    removed = brand.remove_logo(organisation := _organisation())
    audit.record_changes(session, "settings.change", organisation, section="brand")
    session.commit()
    brand.discard_logo_file(current_storage(), removed)
    flash(_("Removed the logo. E-mails and tenant pages show your name instead."), "success")
    return redirect(url_for(".settings", _anchor="brand"), 303)


def _uploaded_logo(form: BrandForm) -> Any:
    """The logo chosen in the form, redrawn; None when no file was chosen (a file chosen but
    empty is refused, like any other file that is no picture)."""
    upload = form.logo.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    return logo_picture(read_limited(upload.stream))


def _show_field_errors(form: BrandForm, exc: StoopError) -> None:
    """Put a refusal's message beside the field it names (or the first field)."""
    names = list(exc.details) if isinstance(exc.details, dict) else []
    field = getattr(form, names[0], None) if names else None
    target = field if field is not None else form.email_from_name
    target.errors = [exc.message]


@bp.get(LOGO_RULE)
def logo(slug: str, digest: str) -> Response:
    """The organisation's logo (PNG), for e-mails and tenant pages; no login.

    Served from here in S3 mode too, not redirected to the bucket: e-mails keep their image
    URLs for years, and a presigned URL lapses; the bucket stays private; and the file is a
    few kilobytes that browsers and mail proxies cache for a year, so the app rarely sends it.
    A digest that is not the current logo's is a 404: the hash makes the URL immutable.
    """
    found = brand.logo_of(find_organisation(db.session(), slug))
    if found is None or found.digest != digest:
        raise NotFound(_("There is no such logo."))
    try:
        data = current_storage().read(found.key)
    except FileNotFoundError as exc:
        raise NotFound(_("There is no such logo.")) from exc
    except (StorageUnavailable, StorageError):
        response = Response(_("The logo cannot be fetched just now."), 503, mimetype="text/plain")
        response.headers["Retry-After"] = "60"
        return response
    response = Response(data, mimetype="image/png")
    response.headers["Cache-Control"] = LOGO_CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # Webmail shows it from another origin.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.set_etag(digest)
    return response.make_conditional(request)
