"""A contact's opt-outs (an SMS STOP, an unsubscribe link) on the contact page, as a badge that
says when and how, and in the contacts API; each is in the consent log too."""

from __future__ import annotations

import datetime as dt

import pytest

from notifications import optouts
from notifications.models import Channel
from panel.core.scoping import scoped_to
from tests.factories import ContactFactory, UserFactory, api_headers

PHONE = "+46709876543"


@pytest.fixture
def åsa(db_session, organisation):
    return ContactFactory(
        organisation=organisation,
        name="Åsa Öberg",
        email="asa.oberg@example.se",
        phone=PHONE,
        language="sv",
    )


def stop(db_session, organisation, contact, *, channel=Channel.SMS, method="sms_keyword"):
    address = contact.phone if channel == Channel.SMS else contact.email
    detail = "STOPP" if method == "sms_keyword" else "panel-12"
    with scoped_to(db_session, organisation.id):
        optouts.opt_out(
            db_session,
            organisation.id,
            channel,
            address,
            contact_id=contact.id,
            method=method,
            detail=detail,
        )
    db_session.commit()


def test_the_contact_page_shows_each_opt_out_and_the_consent_log_entry(
    admin_client, admin, db_session, organisation, åsa
):
    admin.locale = "en"
    db_session.commit()
    stop(db_session, organisation, åsa)
    stop(db_session, organisation, åsa, channel=Channel.EMAIL, method="one_click")
    today = dt.datetime.now(dt.UTC)

    page = admin_client.get(f"/app/contacts/{åsa.id}").get_data(as_text=True)

    day = f"{today:%b} {today.day}, {today.year}"
    assert f"No SMS (replied STOPP on {day})" in page
    assert f"No bulk e-mail (unsubscribed on {day})" in page
    assert page.count('<span class="badge danger">Withdrew</span>') == 2
    assert "by SMS" in page and "with the unsubscribe link" in page


def test_a_contact_without_opt_outs_shows_no_badge(admin_client, db_session, åsa):
    page = admin_client.get(f"/app/contacts/{åsa.id}").get_data(as_text=True)
    assert "data-opt-out" not in page


def test_the_api_lists_opt_outs_on_one_contact_and_on_a_page(client, db_session, organisation, åsa):
    other = ContactFactory(organisation=organisation, name="Berit Ek", phone="+46701112233")
    stop(db_session, organisation, åsa)
    headers = api_headers(UserFactory(organisation=organisation))

    one = client.get(f"/api/v1/contacts/{åsa.id}", headers=headers).json
    page = client.get("/api/v1/contacts/", headers=headers).json

    [opt_out] = one["opt_outs"]
    assert (opt_out["channel"], opt_out["method"], opt_out["detail"]) == (
        "sms",
        "sms_keyword",
        "STOPP",
    )
    assert opt_out["opted_out_at"]
    by_id = {item["id"]: item["opt_outs"] for item in page["items"]}
    assert by_id[åsa.id] == [opt_out]
    assert by_id[other.id] == []
    assert [(c["channel"], c["granted"], c["method"]) for c in one["consents"]] == [
        ("sms", False, "sms")
    ]


def test_an_opt_out_of_the_number_shows_on_the_contact_who_has_it(client, db_session, organisation):
    # The number said STOP before it was anyone's contact.
    with scoped_to(db_session, organisation.id):
        optouts.opt_out(db_session, organisation.id, Channel.SMS, PHONE, method="sms_keyword")
    db_session.commit()
    later = ContactFactory(organisation=organisation, name="Ny Hyresgäst", phone=PHONE)
    headers = api_headers(UserFactory(organisation=organisation))

    body = client.get(f"/api/v1/contacts/{later.id}", headers=headers).json

    assert [o["channel"] for o in body["opt_outs"]] == ["sms"]


def bulk_email(db_session, organisation, contacts, key):
    from notifications import messages

    queued = messages.queue_bulk(
        db_session,
        organisation_id=organisation.id,
        template="notifications/personal",
        purpose="question",
        list_key="panel-1",
        recipients=[
            messages.Recipient(
                address=c.email,
                dedupe_key=f"{key}:{c.id}",
                values={"name": c.name, "link": "https://stoop.example/a/x"},
                contact_id=c.id,
            )
            for c in contacts
        ],
        context={"subject": "Gården", "paragraphs": ["Vad tycker du?"], "button": "Svara"},
    )
    db_session.commit()
    return queued


def test_a_withdrawal_staff_record_in_the_log_holds_back_sends_once_in_the_log(
    admin_client, db_session, organisation, åsa
):
    response = admin_client.post(
        f"/app/contacts/{åsa.id}/consent",
        data={
            "granted": "0",
            "basis": "consent",
            "channel": "any",
            "text": "Ringde in: inga utskick",
        },
        follow_redirects=True,
    )

    page = response.get_data(as_text=True)
    assert page.count('<span class="badge danger">Withdrew</span>') == 1  # not twice
    assert 'data-opt-out="sms"' in page and 'data-opt-out="email"' in page
    assert bulk_email(db_session, organisation, [åsa], "first").skipped == 1

    # Consent given again in the log does not lift the opt-out: only the tenant does that.
    admin_client.post(
        f"/app/contacts/{åsa.id}/consent",
        data={"granted": "1", "basis": "consent", "channel": "any", "text": "Vill vara med"},
    )
    assert bulk_email(db_session, organisation, [åsa], "second").skipped == 1


def test_a_withdrawal_in_a_bulk_upsert_is_an_opt_out(client, db_session, organisation):
    headers = api_headers(UserFactory(organisation=organisation))
    body = {
        "items": [
            {
                "name": "Karin Ström",
                "email": "karin.strom@example.se",
                "consent": {"basis": "consent", "channel": "email", "granted": False},
            },
            {"name": "Nils Berg", "email": "nils.berg@example.se"},
        ]
    }
    response = client.post("/api/v1/contacts/bulk", json=body, headers=headers)
    assert response.status_code == 200, response.json
    karin, nils = response.json["ids"]

    one = client.get(f"/api/v1/contacts/{karin}", headers=headers).json
    assert [(o["channel"], o["method"]) for o in one["opt_outs"]] == [("email", "api")]
    from panel.contacts.models import Contact

    contacts = [db_session.get(Contact, karin), db_session.get(Contact, nils)]
    queued = bulk_email(db_session, organisation, contacts, "third")
    assert (queued.skipped, queued.skipped_contact_ids) == (1, frozenset({karin}))
