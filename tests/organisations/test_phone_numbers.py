"""The organisation's phone numbers on its settings page: admins see the addresses to give Twilio,
add a number (written as people write it, read in the organisation's country), see what each
takes and which phone touchpoint answers it, and remove one unless a touchpoint answers it."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from notifications.models import SenderNumber
from notifications.senders import add_sender_number
from tests.factories import OrganisationFactory
from touchpoints.phone import create_voice_touchpoint

NUMBER = "+46812345670"
SHOWN = "+46 8 123 456 70"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def section(page: str) -> str:
    return re.search(r'<section class="card" id="phone-numbers".*?</section>', page, re.S).group(0)


def our_numbers(db_session, organisation) -> list[tuple[str, bool, bool]]:
    db_session.expire_all()
    return list(
        db_session.execute(
            sa.select(SenderNumber.phone_number, SenderNumber.sms, SenderNumber.voice)
            .where(SenderNumber.organisation_id == organisation.id)
            .execution_options(all_organisations=True)
        ).tuples()
    )


def test_admins_add_a_number_and_see_what_it_takes(admin_client, db_session, organisation, app):
    page = section(text(admin_client.get("/app/settings")))
    base = app.config["STOOP"].base_url
    assert "The numbers tenants text and call." in page
    assert f'<code class="hook-url" id="hook-sms">{base}/hooks/twilio/sms</code>' in page
    assert f'<code class="hook-url" id="hook-voice">{base}/hooks/twilio/voice</code>' in page
    assert 'data-copy="#hook-sms"' in page and 'data-copy="#hook-voice"' in page
    assert "No numbers yet" in page

    response = admin_client.post(
        "/app/settings/phone-numbers",
        data={"phone_number": "08-123 456 70", "sms": "y", "voice": "y"},
    )

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/app/settings#phone-numbers")
    assert our_numbers(db_session, organisation) == [(NUMBER, True, True)]
    page = text(admin_client.get("/app/settings"))
    assert f"Added {SHOWN}." in page
    listed = section(page)
    assert f'<span class="phone-number">{SHOWN}</span>' in listed
    assert ">SMS</span>" in listed and ">Calls</span>" in listed
    assert "No touchpoint yet" in listed
    assert "/app/touchpoints/new?kind=voice&phone_number=%2B46812345670" in listed


def test_a_number_for_sms_only_says_it_takes_no_calls(admin_client, db_session, organisation):
    response = admin_client.post(
        "/app/settings/phone-numbers", data={"phone_number": "+46 70 174 06 05", "sms": "y"}
    )

    assert response.status_code == 303
    assert our_numbers(db_session, organisation) == [("+46701740605", True, False)]
    listed = section(text(admin_client.get("/app/settings")))
    assert "Takes no calls" in listed and ">Calls</span>" not in listed


def test_a_number_another_organisation_has_is_refused_with_a_message(
    admin_client, db_session, organisation
):
    other = OrganisationFactory(name="Grannens Bostäder")
    add_sender_number(db_session, other.id, NUMBER, voice=True)
    db_session.commit()

    response = admin_client.post(
        "/app/settings/phone-numbers", data={"phone_number": SHOWN, "sms": "y", "voice": "y"}
    )

    assert response.status_code == 409
    page = section(text(response))
    assert f"{NUMBER} is already in use." in page
    assert f'value="{SHOWN}"' in page  # what was typed stays in the field
    assert our_numbers(db_session, organisation) == []
    # Our own number twice is refused the same way.
    add_sender_number(db_session, organisation.id, "+46701740605")
    db_session.commit()
    response = admin_client.post(
        "/app/settings/phone-numbers", data={"phone_number": "0701740605", "sms": "y"}
    )
    assert response.status_code == 409
    assert "+46701740605 is already in use." in text(response)


@pytest.mark.parametrize(
    ("typed", "ticked", "words"),
    [
        ("", {"sms": "y"}, "Write the phone number."),
        ("12", {"sms": "y"}, "“12” is not a"),
        ("hej hej", {"sms": "y"}, "“hej hej” is not a phone number"),
        ("+999 123 456", {"sms": "y"}, "is not a"),
        ("08-123 456 70", {}, "Tick what the number takes: SMS, calls or both."),
        ("+46" + "1" * 60, {"sms": "y"}, "it is too long"),
    ],
)
def test_what_is_not_a_number_is_refused_beside_the_field(
    admin_client, db_session, organisation, typed, ticked, words
):
    response = admin_client.post(
        "/app/settings/phone-numbers", data={"phone_number": typed, **ticked}
    )

    assert response.status_code == 422
    page = section(text(response))
    assert words in page
    assert 'id="phone_number-error"' in page and 'aria-invalid="true"' in page
    assert our_numbers(db_session, organisation) == []


def test_a_number_a_phone_touchpoint_answers_is_not_removed(
    admin_client, db_session, organisation, scoped
):
    add_sender_number(db_session, organisation.id, NUMBER, voice=True)
    add_sender_number(db_session, organisation.id, "+46701740605", sms=True)
    line = create_voice_touchpoint(scoped, {"name": "Telefonlinjen"}, NUMBER)
    scoped.commit()
    listed = section(text(admin_client.get("/app/settings")))
    assert f'<a href="/app/touchpoints/{line.id}">Telefonlinjen</a>' in listed
    used, spare = (n.id for n in db_session.scalars(sa.select(SenderNumber).order_by("id")))

    response = admin_client.post(f"/app/settings/phone-numbers/{used}/remove")

    assert response.status_code == 409
    assert (
        f"{SHOWN} answers calls for the touchpoint “Telefonlinjen”. Give that touchpoint "
        "another number, or none, first."
    ) in text(response)
    assert len(our_numbers(db_session, organisation)) == 2

    response = admin_client.post(f"/app/settings/phone-numbers/{spare}/remove")
    assert response.status_code == 303
    assert "Removed +46 70 174 06 05." in text(admin_client.get("/app/settings"))
    assert our_numbers(db_session, organisation) == [(NUMBER, True, True)]


def test_another_organisations_number_is_not_found(admin_client, db_session):
    other = OrganisationFactory(name="Grannens Bostäder")
    theirs = add_sender_number(db_session, other.id, NUMBER, voice=True)
    db_session.commit()

    assert admin_client.post(f"/app/settings/phone-numbers/{theirs.id}/remove").status_code == 404
    assert our_numbers(db_session, other) == [(NUMBER, True, True)]


def test_staff_who_are_not_admins_cannot_see_or_change_the_numbers(
    staff_client, db_session, organisation
):
    number = add_sender_number(db_session, organisation.id, NUMBER, voice=True)
    db_session.commit()

    assert staff_client.get("/app/settings").status_code == 403
    added = staff_client.post(
        "/app/settings/phone-numbers", data={"phone_number": "+46701740605", "sms": "y"}
    )
    assert added.status_code == 403
    assert staff_client.post(f"/app/settings/phone-numbers/{number.id}/remove").status_code == 403
    assert our_numbers(db_session, organisation) == [(NUMBER, True, True)]
