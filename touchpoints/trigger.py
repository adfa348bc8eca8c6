"""``POST /api/v1/touchpoints/{id}/trigger``: ask one tenant the touchpoint's current question
at the right moment, by SMS or e-mail, from another system (a repair order closed, a move-out
done). The contact is found or added by phone or e-mail; ``external_ref`` (the order number)
stays with the invitation and, later, the answer. An ``Idempotency-Key`` header makes a retried
call return the first result and send nothing again.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy.exc import IntegrityError

from panel.contacts.bulk import UpsertItem, upsert_contacts
from panel.contacts.models import Contact
from panel.contacts.schemas import ContactCreateSchema
from panel.contacts.service import (
    CONSENT_BASES,
    ConsentInput,
    clean_contact,
    invalid,
    record_consent,
    region_of,
)
from panel.core.api import Blueprint
from panel.core.api.schemas import Id, Text, error_responses
from panel.core.errors import Conflict, ValidationError
from panel.core.extensions import db
from panel.core.i18n import lazy_text as _l
from panel.organisations.models import Organisation
from panel.places.service import PlaceLookup
from panel.sends.service import answer_link, invite_one
from touchpoints.service import current_question, get_touchpoint

blp = Blueprint(
    "api_touchpoint_triggers",
    __name__,
    description="Triggers: ask one tenant a touchpoint's current question at the right moment.",
)
MAX_KEY = 120
MAX_REF = 120


class TriggerContactSchema(ContactCreateSchema):
    """Who to ask: found by phone or e-mail, added when new (without consent: the trigger's
    caller has its own relationship with the tenant)."""

    class Meta:
        exclude = ("consent", "tags", "age_band", "external_ref")


class TriggerInSchema(Schema):
    contact = fields.Nested(TriggerContactSchema, required=True)
    basis = fields.String(
        load_default="legitimate_interest",
        validate=validate.OneOf(CONSENT_BASES),
        metadata={
            "description": "The legal basis on which you ask this tenant, written to the consent "
            "log of a contact the trigger adds (default: legitimate_interest, e.g. asking about "
            "their own repair order). A contact that exists keeps its log as it is."
        },
    )
    channel = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(["sms", "email"]),
        metadata={"description": "How to ask; default: SMS when there is a phone, else e-mail"},
    )
    place_id = Id(
        load_default=None,
        allow_none=True,
        metadata={"description": "Where the tenant lives (a place of your organisation)"},
    )
    external_ref = Text(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=MAX_REF),
        metadata={
            "description": "Your reference, e.g. the repair order number",
            "example": "AO-2026-1187",
        },
    )


class TriggerSchema(Schema):
    invitation_id = fields.Integer()
    contact_id = fields.Integer()
    question_id = fields.Integer()
    channel = fields.String()
    external_ref = fields.String(allow_none=True)
    link = fields.String(metadata={"description": "The tenant's personal link"})
    sent = fields.Boolean(metadata={"description": "False when the tenant opted out of it"})
    skipped = fields.String(allow_none=True, metadata={"enum": ["opted_out", None]})
    replayed = fields.Boolean(
        metadata={"description": "True when the Idempotency-Key was used before: nothing sent"}
    )


class TriggerHeadersSchema(Schema):
    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        validate=validate.Length(1, MAX_KEY),
        metadata={"description": "Any unique string per event: a retry with it sends nothing"},
    )


def _cleaned(session: Any, organisation: Organisation, data: dict[str, Any]) -> UpsertItem:
    raw = dict(data["contact"])
    if data["place_id"] is not None:
        raw["place_id"] = data["place_id"]
    places = PlaceLookup.load(session)
    if raw.get("place_id") is not None and raw["place_id"] not in places.ids:
        # A valid id that names no place of ours: a conflict with what is stored, as elsewhere.
        raise Conflict(
            _l("There is no place with id %(id)s.", id=raw["place_id"]),
            code="place_not_found",
            details={"place_id": [_l("No such place in your organisation.")]},
        )
    cleaned = clean_contact(raw, region=region_of(organisation), places=places)
    if cleaned.problems:
        raise invalid(cleaned.problems)
    return UpsertItem(cleaned.values)


def _contact(
    session: Any, organisation: Organisation, item: UpsertItem, basis: str = "legitimate_interest"
) -> Contact:
    result = upsert_contacts(session, organisation, [item], method="api")
    if result.errors:
        # One item, checked by the schema already: what is left conflicts with stored contacts
        # (the e-mail address is one contact's, the phone number another's).
        _index, field_name, message = result.errors[0]
        raise Conflict(message, code="contacts_differ", details={field_name: [message]})
    if not result.ids or result.ids[0] is None:
        raise Conflict(_l("This e-mail address and phone number belong to two different contacts."))
    contact = session.get(Contact, result.ids[0])
    assert contact is not None
    if result.outcomes[0] == "created":
        # Every way a contact comes in says on what basis: the trigger's caller states it.
        record_consent(session, contact, ConsentInput(basis=basis), method="api")
    return contact


def _channel(requested: str | None, contact: Contact) -> str:
    channel = requested or ("sms" if contact.phone else "email")
    if (channel == "sms" and not contact.phone) or (channel == "email" and not contact.email):
        raise ValidationError(
            _l("The contact has no address for the channel asked for."),
            details={"channel": [_l("The contact has no address for the channel asked for.")]},
        )
    return channel


@blp.route("/<int:touchpoint_id>/trigger")
class Trigger(MethodView):
    @blp.arguments(TriggerHeadersSchema, location="headers")
    @blp.arguments(TriggerInSchema)
    @blp.response(201, TriggerSchema)
    @blp.alt_response(200, schema=TriggerSchema, description="The Idempotency-Key was used before")
    @error_responses(blp, 404, 409, 413, 422)
    def post(self, headers: dict[str, Any], data: dict[str, Any], touchpoint_id: int) -> Any:
        """Ask one tenant the touchpoint's current question now, by SMS or e-mail."""
        session = db.session()
        touchpoint = get_touchpoint(session, touchpoint_id)
        key = headers.get("idempotency_key")
        organisation = session.get(Organisation, touchpoint.organisation_id)
        item = _cleaned(session, organisation, data)
        question = current_question(session, touchpoint)
        if question is None:
            raise Conflict(
                _l("The touchpoint has no live question today: put one on its schedule."),
                code="no_current_question",
            )
        contact = _contact(session, organisation, item, data["basis"])
        try:
            done = invite_one(
                session,
                question=question,
                contact=contact,
                channel=_channel(data["channel"], contact),
                touchpoint_id=touchpoint.id,
                external_ref=data["external_ref"],
                idempotency_key=key,
                list_key=f"touchpoint-{touchpoint.id}",
            )
            session.commit()
        except IntegrityError:
            # The same key in a call running at the same moment: that call's result stands.
            session.rollback()
            done = invite_one(
                session,
                question=question,
                contact=contact,
                channel=_channel(data["channel"], contact),
                touchpoint_id=touchpoint.id,
                external_ref=data["external_ref"],
                idempotency_key=key,
                list_key=f"touchpoint-{touchpoint.id}",
            )
            session.commit()
        invitation = done.invitation
        body = {
            "invitation_id": invitation.id,
            "contact_id": invitation.contact_id,
            "question_id": invitation.question_id,
            "channel": invitation.channel,
            "external_ref": invitation.external_ref,
            "link": answer_link(invitation.token),
            "sent": done.skipped is None,
            "skipped": done.skipped,
            "replayed": not done.created,
        }
        return body, 201 if done.created else 200
