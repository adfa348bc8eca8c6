"""A withdrawal in the consent log holds on its channel only: a send reaches the tenant on the
channel whose consent stands, never on the one withdrawn."""

from __future__ import annotations

import io

import sqlalchemy as sa

from panel.contacts.models import Contact
from panel.contacts.service import ConsentInput, record_consent
from panel.core.scoping import scoped_to
from panel.sends import service
from tests.sends import conftest as sending
from tests.sends.conftest import tenants

# The send tests' fixtures (a fixture is found by its name in this module).
settings = sending.settings
mail_and_sms = sending.mail_and_sms
organisation = sending.organisation
staff = sending.staff
scoped = sending.scoped
live_question = sending.live_question
panel_of = sending.panel_of


def test_a_send_skips_the_channel_whose_consent_was_withdrawn_and_uses_the_other(
    scoped, organisation, staff, live_question, panel_of, mail_and_sms
):
    smtp, twilio = mail_and_sms
    no_email, no_sms, both = tenants(organisation, 3)
    contacts = {c.id: c for c in scoped.scalars(sa.select(Contact))}
    for contact_id in (no_email, no_sms, both):
        granted = ConsentInput(basis="consent", text="Ja, e-post och sms.", text_version="1")
        record_consent(scoped, contacts[contact_id], granted, method="app")
    withdrawn = {no_email: "email", no_sms: "sms"}
    for contact_id, channel in withdrawn.items():
        withdrawal = ConsentInput(basis="consent", channel=channel, granted=False)
        record_consent(scoped, contacts[contact_id], withdrawal, method="app")
    scoped.commit()

    # E-mail first: the one who withdrew e-mail consent gets an SMS instead; the one who
    # withdrew SMS consent (and the one who withdrew nothing) an e-mail.
    send = service.create_send(
        scoped, staff, live_question, panel_of([no_email, no_sms, both]), channels=["email", "sms"]
    )
    scoped.commit()
    assert sorted(m["To"] for m in smtp.messages) == sorted(
        [contacts[no_sms].email, contacts[both].email]
    )
    assert [m.to for m in twilio.messages] == [contacts[no_email].phone]
    scoped.refresh(send)
    assert send.invited == 3


def test_an_sms_only_send_leaves_out_who_withdrew_sms_consent(
    scoped, organisation, staff, live_question, panel_of, mail_and_sms
):
    smtp, twilio = mail_and_sms
    no_sms, both = tenants(organisation, 2)
    contact = scoped.get(Contact, no_sms)
    record_consent(scoped, contact, ConsentInput(basis="consent", text="Ja."), method="join")
    record_consent(
        scoped, contact, ConsentInput(basis="consent", channel="sms", granted=False), method="api"
    )
    scoped.commit()
    send = service.create_send(
        scoped, staff, live_question, panel_of([no_sms, both]), channels=["sms"]
    )
    scoped.commit()
    assert [m.to for m in twilio.messages] == [scoped.get(Contact, both).phone]
    assert smtp.messages == []
    scoped.refresh(send)
    assert send.skipped == {"opted_out": 1}


def test_a_csv_import_records_the_basis_the_page_asked_for(client, db_session):
    from panel.contacts.models import ConsentEvent
    from tests.factories import OrganisationFactory, UserFactory, login

    user = UserFactory(organisation=OrganisationFactory())
    login(client, user)
    csv = (
        "name;email;consent_basis;consent_text\n"
        "Åsa Öberg;asa@example.se;;\n"
        "Joop de Vries;joop@example.nl;consent;Ja, panelen.\n"
    ).encode()
    response = client.post(
        "/app/contacts/import",
        data={
            "file": (io.BytesIO(csv), "hyresgaster.csv"),
            "consent_basis": "contract",
            "consent_text": "Hyresavtalet § 12",
            "consent_text_version": "2026-01",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    with scoped_to(db_session, user.organisation_id):
        rows = db_session.execute(
            sa.select(Contact.email, ConsentEvent.basis, ConsentEvent.text_version)
            .join(ConsentEvent, ConsentEvent.contact_id == Contact.id)
            .order_by(Contact.email)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("asa@example.se", "contract", "2026-01"),
        ("joop@example.nl", "consent", None),
    ]
    bad = client.post(
        "/app/contacts/import",
        data={"file": (io.BytesIO(csv), "h.csv"), "consent_basis": "because"},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422


def test_a_trigger_records_the_basis_of_a_contact_it_adds(client, db_session, app, mail_and_sms):
    from panel.contacts.models import ConsentEvent
    from tests.factories import OrganisationFactory, UserFactory, api_headers
    from tests.touchpoints.test_trigger import _touchpoint, _trigger

    organisation = OrganisationFactory(default_language="sv")
    user = UserFactory(organisation=organisation)
    touchpoint, _question = _touchpoint(organisation, user)
    headers = api_headers(user)
    assert _trigger(client, touchpoint, headers, basis="contract").status_code == 201
    assert _trigger(client, touchpoint, headers).status_code == 201  # the same tenant again
    assert _trigger(client, touchpoint, headers, basis="whim").status_code == 422
    other = {"email": "annan@example.se"}
    assert _trigger(client, touchpoint, headers, contact=other).status_code == 201
    # The e-mail is one contact's, the phone another's: a conflict with what is stored.
    both = {"email": "annan@example.se", "phone": "070-174 06 05"}
    refused = _trigger(client, touchpoint, headers, contact=both)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "contacts_differ"
    db_session.expire_all()
    with scoped_to(db_session, organisation.id):
        log = db_session.execute(sa.select(ConsentEvent.basis, ConsentEvent.method)).all()
    assert [tuple(r) for r in log] == [("contract", "api"), ("legitimate_interest", "api")]
