"""Contacts: the rules for their fields, creating and editing one, the consent log, and search.

Every way a contact comes in (the app's form, the API, a CSV import, a bulk upsert) cleans its
fields with :func:`clean_contact`, so an e-mail address or a phone number means the same thing
whichever door it came through: e-mail lower-cased and checked by email-validator (no DNS),
phone numbers in E.164, read in the organisation's home region when written without a country
code.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from panel.contacts.models import ConsentEvent, Contact
from panel.contacts.phones import PhoneNumberError, normalise_phone, region_for_language
from panel.contacts.reach import honour_withdrawals
from panel.core.errors import Conflict, NotFound, ValidationError
from panel.core.i18n import LazyText
from panel.core.i18n import lazy_text as _l
from panel.core.routing import parse_id
from panel.organisations.models import Organisation
from panel.places.service import PlaceLookup

LANGUAGES = ("sv", "nl", "en")
AGE_BANDS = ("16-29", "30-44", "45-64", "65-79", "80+")
CONSENT_BASES = ("consent", "contract", "legitimate_interest")
CONSENT_CHANNELS = ("any", "email", "sms")
CONSENT_METHODS = ("app", "api", "csv", "join", "touchpoint")
MAX_NAME = 200
MAX_EMAIL = 254
MAX_TAGS = 20
MAX_TAG = 40
MAX_EXTERNAL_REF = 120
MAX_CONSENT_TEXT = 5_000
MAX_TEXT_VERSION = 40
EDITABLE = ("name", "email", "phone", "language", "place_id", "tags", "age_band", "external_ref")


class FieldInvalid(ValueError):
    """One field's value is not acceptable; ``text`` says why, for a person (translated where
    it is shown)."""

    def __init__(self, text: LazyText) -> None:
        super().__init__(text)
        self.text = text


# What the messages call each field; the sentences start with it.
LABELS = {
    "name": _l("The name"),
    "email": _l("The e-mail address"),
    "phone": _l("The phone number"),
    "language": _l("The language"),
    "tag": _l("A tag"),
    "age_band": _l("The age band"),
    "external_ref": _l("The external reference"),
    "consent_basis": _l("The consent basis"),
    "consent_channel": _l("The consent channel"),
    "text_version": _l("The consent text version"),
}


@dataclass(frozen=True)
class ConsentInput:
    """What a contact agreed to (or withdrew), on what basis, with which text."""

    basis: str
    text: str = ""
    text_version: str | None = None
    channel: str = "any"
    granted: bool = True


@dataclass
class CleanContact:
    """Cleaned fields (only those given; None clears a field) and an optional consent."""

    values: dict[str, Any]
    consent: ConsentInput | None
    problems: list[tuple[str, LazyText]]


def _text(value: Any, field: str, limit: int) -> str | None:
    if value is None:
        return None
    label = LABELS[field]
    if not isinstance(value, str):
        raise FieldInvalid(_l("%(field)s must be text.", field=label))
    text = " ".join(value.split())
    if "\x00" in text:
        raise FieldInvalid(_l("%(field)s contains a NUL character.", field=label))
    if len(text) > limit:
        raise FieldInvalid(
            _l("%(field)s can be at most %(limit)s characters.", field=label, limit=limit)
        )
    return text or None


def clean_email(value: Any) -> str | None:
    """A lower-cased, syntactically valid address (no DNS look-up); blank means none."""
    text = _text(value, "email", MAX_EMAIL)
    if text is None:
        return None
    try:
        # test_environment: the .test domain is an address's syntax too (integrators' tests).
        return validate_email(text, test_environment=True).normalized.lower()
    except EmailNotValidError as exc:
        raise FieldInvalid(
            _l("“%(email)s” is not a valid e-mail address.", email=text, reason=str(exc))
        ) from exc


def clean_phone(value: Any, region: str) -> str | None:
    """The number in E.164; blank means none."""
    text = _text(value, "phone", 60)
    if text is None:
        return None
    try:
        return normalise_phone(text, region)
    except PhoneNumberError as exc:
        raise FieldInvalid(exc.args[0]) from exc


def clean_language(value: Any) -> str | None:
    """sv, nl or en (any case); blank means "the organisation's default"."""
    text = _text(value, "language", 20)
    if text is None:
        return None
    if text.lower() not in LANGUAGES:
        raise FieldInvalid(_l("The language must be sv, nl or en, not “%(value)s”.", value=text))
    return text.lower()


def clean_age_band(value: Any) -> str | None:
    """One of :data:`AGE_BANDS` ("65-79"); blank means unknown. "65 - 79" (and an en dash) is
    read as "65-79" too."""
    text = _text(value, "age_band", 20)
    if text is None:
        return None
    band = text.replace("\u2013", "-").replace(" ", "")
    if band not in AGE_BANDS:
        raise FieldInvalid(
            _l(
                "The age band must be one of %(bands)s, not “%(value)s”.",
                bands=", ".join(AGE_BANDS),
                value=text,
            )
        )
    return band


def clean_tags(value: Any) -> list[str]:
    """Short lower-case labels, each once. Text is split on commas, semicolons or '|'."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.replace(";", ",").replace("|", ",").split(",")
    if not isinstance(value, list | tuple):
        raise FieldInvalid(_l("The tags must be a list of short texts."))
    tags: list[str] = []
    for raw in value:
        tag = _text(raw, "tag", MAX_TAG)
        if tag and tag.lower() not in tags:
            tags.append(tag.lower())
    if len(tags) > MAX_TAGS:
        raise FieldInvalid(_l("A contact can have at most %(limit)s tags.", limit=MAX_TAGS))
    return tags


def clean_place_id(value: Any, places: PlaceLookup) -> int | None:
    """The id of one of the organisation's places; None means no place."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldInvalid(_l("The place must be given by its id (a whole number)."))
    if value not in places.ids:
        raise FieldInvalid(_l("There is no place with id %(id)s.", id=value))
    return value


def clean_consent(value: Any) -> ConsentInput | None:
    """A consent entry from ``{"basis", "text", "text_version", "channel", "granted"}``."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise FieldInvalid(_l("The consent must be an object with at least a “basis”."))
    basis = _text(value.get("basis"), "consent_basis", 30)
    text = value.get("text") or ""
    if not isinstance(text, str) or len(text) > MAX_CONSENT_TEXT or "\x00" in text:
        raise FieldInvalid(
            _l("The consent text can be at most %(limit)s characters.", limit=MAX_CONSENT_TEXT)
        )
    if basis is None:
        if text.strip():
            raise FieldInvalid(
                _l(
                    "Say on what basis the consent text applies: consent, contract or "
                    "legitimate_interest."
                )
            )
        return None
    if basis.lower() not in CONSENT_BASES:
        raise FieldInvalid(
            _l(
                "The consent basis must be consent, contract or legitimate_interest, not "
                "“%(value)s”.",
                value=basis,
            )
        )
    channel = (_text(value.get("channel"), "consent_channel", 10) or "any").lower()
    if channel not in CONSENT_CHANNELS:
        raise FieldInvalid(
            _l("The consent channel must be any, email or sms, not “%(value)s”.", value=channel)
        )
    granted = value.get("granted", True)
    if not isinstance(granted, bool):
        raise FieldInvalid(_l("“granted” must be true or false."))
    return ConsentInput(
        basis=basis.lower(),
        text=text.strip(),
        text_version=_text(value.get("text_version"), "text_version", MAX_TEXT_VERSION),
        channel=channel,
        granted=granted,
    )


def clean_contact(raw: Mapping[str, Any], *, region: str, places: PlaceLookup) -> CleanContact:
    """Clean the fields present in ``raw``; problems are (field, message) pairs, not raised."""
    values: dict[str, Any] = {}
    problems: list[tuple[str, LazyText]] = []
    cleaners: dict[str, Any] = {
        "name": lambda v: _text(v, "name", MAX_NAME),
        "email": clean_email,
        "phone": lambda v: clean_phone(v, region),
        "language": clean_language,
        "place_id": lambda v: clean_place_id(v, places),
        "tags": clean_tags,
        "age_band": clean_age_band,
        "external_ref": lambda v: _text(v, "external_ref", MAX_EXTERNAL_REF),
    }
    for field, cleaner in cleaners.items():
        if field not in raw:
            continue
        try:
            values[field] = cleaner(raw[field])
        except FieldInvalid as exc:
            problems.append((field, exc.text))
    if "language" in values and values["language"] is None:
        del values["language"]  # blank: the default on create, unchanged on update
    consent = None
    try:
        consent = clean_consent(raw.get("consent"))
    except FieldInvalid as exc:
        problems.append(("consent", exc.text))
    return CleanContact(values, consent, problems)


def invalid(problems: list[tuple[str, LazyText]]) -> ValidationError:
    """One ValidationError for a list of field problems, with details per field: its message is
    the first problem, and how many more there are."""
    details: dict[str, list[LazyText]] = {}
    for field, message in problems:
        details.setdefault(field, []).append(message)
    first = problems[0][1]
    if len(problems) == 1:
        return ValidationError(first, details=details)
    more = len(problems) - 1
    return ValidationError(
        _l("%(first)s (and %(more)s more, see details)", first=first, more=more), details=details
    )


def region_of(organisation: Organisation) -> str:
    """Where a phone number written without a country code is read."""
    return region_for_language(organisation.default_language)


def default_language(organisation: Organisation) -> str:
    """The language of a contact whose language was not given."""
    language = organisation.default_language
    return language if language in LANGUAGES else "sv"


def get_contact(session: Session, contact_id: int) -> Contact:
    """The contact with this id in the session's organisation, or NotFound."""
    # A query, not session.get(): the identity map would skip the organisation criteria.
    contact = None
    if parse_id(contact_id) is not None:
        contact = session.scalar(sa.select(Contact).where(Contact.id == contact_id))
    if contact is None:
        raise NotFound(_l("There is no such contact. It may have been deleted."))
    return contact


def _check_unique(
    session: Session, email: str | None, phone: str | None, contact_id: int | None = None
) -> None:
    for column, value in ((Contact.email, email), (Contact.phone, phone)):
        if value is None:
            continue
        query = sa.select(Contact.id).where(column == value)
        if contact_id is not None:
            query = query.where(Contact.id != contact_id)
        if (other := session.scalar(query.limit(1))) is not None:
            if column is Contact.email:
                message = _l(
                    "Contact #%(id)s already has the e-mail address %(value)s.",
                    id=other,
                    value=value,
                )
            else:
                message = _l(
                    "Contact #%(id)s already has the phone number %(value)s.", id=other, value=value
                )
            raise Conflict(
                message,
                code="duplicate_contact",
                details={
                    column.key: [_l("Already used by contact #%(id)s.", id=other)],
                    "contact_id": other,
                },
            )


def _require_reachable(email: str | None, phone: str | None, *, stored: bool = False) -> None:
    """A contact needs an e-mail address or a phone number. Refusing a new one is about what
    was sent (422); an update that would leave a stored one unreachable conflicts with it
    (409)."""
    if email or phone:
        return
    error = Conflict if stored else ValidationError
    raise error(
        _l(
            "Give an e-mail address or a phone number (or both): a contact needs a way to be "
            "reached."
        ),
        code="unreachable",
        details={"email": [_l("E-mail or phone is required.")]},
    )


def create_contact(
    session: Session,
    organisation: Organisation,
    values: Mapping[str, Any],
    consent: ConsentInput | None = None,
    *,
    method: str = "app",
    user_id: int | None = None,
) -> Contact:
    """A new contact from cleaned values; Conflict when its e-mail or phone is taken."""
    email, phone = values.get("email"), values.get("phone")
    _require_reachable(email, phone)
    _check_unique(session, email, phone)
    contact = Contact(
        organisation_id=organisation.id, language=default_language(organisation), tags=[]
    )
    for field in EDITABLE:
        if field in values:
            setattr(contact, field, values[field] if field != "tags" else values[field] or [])
    session.add(contact)
    session.flush()
    if consent is not None:
        record_consent(session, contact, consent, method=method, user_id=user_id)
    return contact


def update_contact(
    session: Session,
    contact: Contact,
    values: Mapping[str, Any],
    consent: ConsentInput | None = None,
    *,
    method: str = "app",
    user_id: int | None = None,
) -> Contact:
    """Change the given fields (None clears one); the contact must stay reachable.

    Everything is checked before anything is changed, so a refused update leaves the contact
    as it was.
    """
    email = values.get("email", contact.email)
    phone = values.get("phone", contact.phone)
    _require_reachable(email, phone, stored=True)
    _check_unique(session, email, phone, contact.id)
    for field in EDITABLE:
        if field in values:
            setattr(contact, field, values[field] if field != "tags" else values[field] or [])
    session.flush()
    if "place_id" in values:
        session.expire(contact, ["place"])  # reload the place the new id points to
    if consent is not None and consent_differs(latest_consent(session, contact.id), consent):
        record_consent(session, contact, consent, method=method, user_id=user_id)
    return contact


def record_consent(
    session: Session,
    contact: Contact,
    consent: ConsentInput,
    *,
    method: str,
    user_id: int | None = None,
) -> ConsentEvent:
    """Append one entry to the contact's consent log."""
    event = ConsentEvent(
        organisation_id=contact.organisation_id,
        contact_id=contact.id,
        channel=consent.channel,
        granted=consent.granted,
        basis=consent.basis,
        method=method,
        text=consent.text,
        text_version=consent.text_version,
        recorded_by_id=user_id,
    )
    session.add(event)
    session.flush()
    if not consent.granted:
        withdrawal = (contact.id, contact.email, contact.phone, consent.channel)
        honour_withdrawals(session, contact.organisation_id, [withdrawal], method=method)
    return event


def latest_consent(session: Session, contact_id: int) -> ConsentEvent | None:
    """The newest entry of a contact's consent log."""
    return session.scalar(
        sa.select(ConsentEvent)
        .where(ConsentEvent.contact_id == contact_id)
        .order_by(ConsentEvent.id.desc())
        .limit(1)
    )


def consent_differs(event: Any, consent: ConsentInput) -> bool:
    """True when ``consent`` says something the log's latest entry (or a row) does not."""
    if event is None:
        return True
    return (event.granted, event.basis, event.channel, event.text, event.text_version) != (
        consent.granted,
        consent.basis,
        consent.channel,
        consent.text,
        consent.text_version,
    )


def consent_log(session: Session, contact_id: int) -> list[ConsentEvent]:
    """A contact's consent log, newest first."""
    return list(
        session.scalars(
            sa.select(ConsentEvent)
            .where(ConsentEvent.contact_id == contact_id)
            .order_by(ConsentEvent.recorded_at.desc(), ConsentEvent.id.desc())
        )
    )


def all_tags(session: Session, limit: int = 200) -> list[str]:
    """The tags in use, for filters and suggestions (read from a sample of contacts)."""
    seen: set[str] = set()
    for tags in session.scalars(sa.select(Contact.tags).order_by(Contact.id.desc()).limit(5000)):
        seen.update(tags or [])
    return sorted(seen)[:limit]


def tag_filter(session: Session, tag: str) -> sa.ColumnElement[bool]:
    """A WHERE clause for contacts carrying ``tag`` (the JSON list is read per dialect)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB

        return sa.cast(Contact.tags, JSONB).contains([tag])
    values = sa.func.json_each(Contact.tags).table_valued("value")
    return sa.exists(sa.select(1).select_from(values).where(values.c.value == tag))


def place_filter(place_id: int) -> sa.ColumnElement[bool]:
    """A WHERE clause for contacts at the place or anywhere below it."""
    from panel.places.models import Place

    below = sa.select(Place.id).where(
        sa.or_(Place.id == place_id, Place.area_id == place_id, Place.building_id == place_id)
    )
    return Contact.place_id.in_(below)


def search_filter(text: str, region: str) -> sa.ColumnElement[bool]:
    """A WHERE clause matching name, e-mail or phone (a phone also in the way it is written)."""
    text = text.strip()
    clauses = [
        Contact.name.icontains(text, autoescape=True),
        Contact.email.icontains(text, autoescape=True),
    ]
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) >= 3:
        with contextlib.suppress(PhoneNumberError):
            clauses.append(Contact.phone == normalise_phone(text, region))
        clauses.append(Contact.phone.contains(digits.lstrip("0"), autoescape=True))
    return sa.or_(*clauses)


def contact_filters(
    session: Session,
    *,
    q: str | None = None,
    place_id: int | None = None,
    tag: str | None = None,
    region: str = "SE",
) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses of a contact list filtered by text, place (any level) and tag."""
    clauses: list[sa.ColumnElement[bool]] = []
    if q and q.strip():
        clauses.append(search_filter(q, region))
    if place_id is not None:
        clauses.append(place_filter(place_id))
    if tag and tag.strip():
        clauses.append(tag_filter(session, tag.strip().lower()))
    return clauses
