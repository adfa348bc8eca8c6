"""Answering on the web: the personal link and the touchpoint page take text, a score and a
choice in a plain form (no JavaScript), store one answer however often the form arrives, keep
what was typed when something is wrong, and lead to a thank-you page and the tenant's own page,
where the consent given with the answer can be changed."""

from __future__ import annotations

import re

import sqlalchemy as sa

from panel.answers.models import Answer
from panel.core.scoping import scoped_to
from panel.questions.models import QuestionStatus
from panel.sends.models import Invitation
from tests.factories import OrganisationFactory, system_session
from touchpoints.models import FunnelCount

SUBMISSION = re.compile(r'name="submission" value="([^"]+)"')
LONG_TEXT = (
    "Trapphuset är mycket bättre sedan renoveringen, men dörren till cykelrummet går fortfarande "
    "trögt och lampan på tredje våningen blinkar. Grannarna på plan två håller det rent. "
) * 8


def _fresh():
    """The test's session, forgetting what it loaded (the requests wrote in their own)."""
    session = system_session()
    session.expire_all()
    return session


def _answers() -> list[Answer]:
    return list(_fresh().scalars(sa.select(Answer).order_by(Answer.id)))


def _form(client, url: str) -> dict[str, str]:
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    (key,) = SUBMISSION.findall(page.get_data(as_text=True))
    return {"submission": key}


def test_a_text_score_and_choice_answer_through_a_personal_link(
    client, question, tenant, invitation_of, stairwell
):
    invitation = invitation_of(question, tenant, channel="sms")
    form = _form(client, f"/a/{invitation.token}")
    form.update(
        text=LONG_TEXT[:1900], score="8", choice="Sådär", consent_quote="1", consent_identity="1"
    )

    response = client.post(f"/a/{invitation.token}", data=form)

    assert response.status_code == 303
    (answer,) = _answers()
    assert (answer.score, answer.choice, answer.text) == (8, "Sådär", LONG_TEXT[:1900].strip())
    assert answer.channel == "sms" and answer.contact_id == tenant.id
    assert answer.place_id == stairwell.id and answer.language == "sv"
    assert (answer.consent_identity, answer.consent_quote, answer.consent_show_clip) == (
        True,
        True,
        False,
    )
    assert _fresh().get(Invitation, invitation.id).answered_at is not None

    thanks = client.get(response.headers["Location"])
    body = thanks.get_data(as_text=True)
    assert thanks.status_code == 200 and "Tack för ditt svar!" in body
    assert f"/me/{answer.me_token}" in body
    mine = client.get(f"/me/{answer.me_token}").get_data(as_text=True)
    assert question.title in mine and "Sådär" in mine and "8" in mine
    assert "Zeynep" in mine  # a known tenant is greeted by name

    # The link, opened again, goes to the answer rather than a second form.
    again = client.get(f"/a/{invitation.token}")
    assert again.status_code == 303 and answer.me_token in again.headers["Location"]


def test_the_same_form_twice_is_one_answer(client, question, tenant, invitation_of):
    invitation = invitation_of(question, tenant)
    form = _form(client, f"/a/{invitation.token}") | {"score": "3"}
    first = client.post(f"/a/{invitation.token}", data=form)
    second = client.post(f"/a/{invitation.token}", data=form)
    # A new form on the same link (another tab) still makes no second answer.
    third = client.post(f"/a/{invitation.token}", data={"submission": "x" * 24, "score": "9"})
    assert {first.status_code, second.status_code, third.status_code} == {303}
    assert len(_answers()) == 1 and _answers()[0].score == 3
    assert len({r.headers["Location"] for r in (first, second, third)}) == 1


def test_the_script_gets_json_and_an_announced_clip_is_awaited(
    client, question, tenant, invitation_of
):
    invitation = invitation_of(question, tenant)
    form = _form(client, f"/a/{invitation.token}") | {"text": "Se min video", "clip_kind": "video"}
    response = client.post(
        f"/a/{invitation.token}", data=form, headers={"Accept": "application/json"}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["awaits_clip"] is True and body["thanks"].startswith("/thanks/")
    (answer,) = _answers()
    assert answer.clip_kind == "video" and answer.media_id is None and answer.text == "Se min video"
    replay = client.post(
        f"/a/{invitation.token}", data=form, headers={"Accept": "application/json"}
    )
    assert replay.status_code == 200 and replay.get_json()["answer"] == answer.id


def test_mistakes_come_back_with_what_was_typed(client, question, tenant, invitation_of):
    invitation = invitation_of(question, tenant)
    url = f"/a/{invitation.token}"
    cases = [
        ({"score": "11", "text": "Lampan blinkar"}, "Välj ett betyg från 1 till 10."),
        ({"score": "åtta"}, "Välj ett betyg från 1 till 10."),
        ({"choice": "Jättebra"}, "Välj ett av svaren som visas."),
        ({"text": "x" * 2001}, "Korta gärna ditt svar till 2000 tecken."),
        ({"text": "   "}, "Ditt svar är tomt."),
        ({"clip_kind": "picture"}, "tar inte emot sådana inspelningar"),
    ]
    for data, message in cases:
        response = client.post(url, data=_form(client, url) | data)
        body = response.get_data(as_text=True)
        assert response.status_code == 422, (data, body[:300])
        assert message in body, data
        if "text" in data and data["text"].strip():
            assert data["text"][:50] in body  # nothing typed is lost
    assert _answers() == []


def test_a_question_that_does_not_take_the_mode_refuses_it(client, staff, tenant, invitation_of):
    from tests.questions.conftest import make_question

    scores_only = make_question(staff, status=QuestionStatus.LIVE, answer_modes=["score"])
    invitation = invitation_of(scores_only, tenant)
    url = f"/a/{invitation.token}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="text"' not in page and 'name="choice"' not in page
    response = client.post(url, data=_form(client, url) | {"text": "Hej", "score": "5"})
    assert response.status_code == 422
    assert "tar inte emot skrivna svar" in response.get_data(as_text=True)


def test_a_closed_question_says_so_and_takes_nothing(
    client, question, tenant, invitation_of, scoped
):
    invitation = invitation_of(question, tenant)
    url = f"/a/{invitation.token}"
    form = _form(client, url) | {"score": "7"}
    question = scoped.merge(question)
    question.status = QuestionStatus.CLOSED
    scoped.commit()
    page = client.get(url)
    assert page.status_code == 200 and "Frågan är stängd" in page.get_data(as_text=True)
    refused = client.post(url, data=form)
    assert refused.status_code == 409
    assert "Frågan är stängd" in refused.get_data(as_text=True)
    assert _answers() == []


def test_an_answer_on_a_qr_flyer_carries_its_stairwell_and_counts(
    client, touchpoint_factory, stairwell
):
    touchpoint = touchpoint_factory(place_id=stairwell.id)
    url = f"/t/{touchpoint.slug}?src=qr"
    page = client.get(url).get_data(as_text=True)
    assert 'name="place"' not in page  # the flyer's place is known
    form = _form(client, url) | {
        "score": "9",
        "text": "Fint städat!",
        "name": "Wojciech Wróblewski",
        "phone": "070-123 45 67",
        "may_contact": "1",
    }
    response = client.post(url, data=form)
    assert response.status_code == 303
    (answer,) = _answers()
    assert answer.channel == "qr" and answer.source == "qr"
    assert answer.touchpoint_id == touchpoint.id and answer.place_id == stairwell.id
    assert answer.respondent_name == "Wojciech Wróblewski"
    assert answer.respondent_phone == "+46701234567" and answer.may_contact is True
    assert answer.contact_id is None
    counts = {
        (row.source, row.event): row.count for row in _fresh().scalars(sa.select(FunnelCount))
    }
    assert counts[("qr", "view")] == 2 and counts[("qr", "answer")] == 1
    # The anonymous tenant's page shows this answer only.
    mine = client.get(f"/me/{answer.me_token}").get_data(as_text=True)
    assert "Fint städat!" in mine


def test_a_touchpoint_without_a_place_offers_the_tree_and_ignores_foreign_places(
    client, touchpoint_factory, stairwell, db_session
):
    touchpoint = touchpoint_factory(kind="link")
    url = f"/t/{touchpoint.slug}"
    page = client.get(url).get_data(as_text=True)
    assert "Ängsbacken / Ängsbacksvägen 3 / Trappuppgång B" in page
    client.post(url, data=_form(client, url) | {"score": "6", "place": str(stairwell.id)})
    other = OrganisationFactory(name="Annat bolag")
    from panel.places.models import Place

    with scoped_to(db_session, other.id):
        foreign = Place(organisation_id=other.id, kind="area", name="Främmande", path="Främmande")
        db_session.add(foreign)
        db_session.commit()
    client.post(url, data=_form(client, url) | {"score": "6", "place": str(foreign.id)})
    client.post(url, data=_form(client, url) | {"score": "6", "place": "99999999999999999999"})
    places = [a.place_id for a in _answers()]
    assert places == [stairwell.id, None, None]
    assert all(a.channel == "web" for a in _answers())


def test_bad_contact_details_on_a_touchpoint_keep_the_answer_in_the_form(
    client, touchpoint_factory
):
    touchpoint = touchpoint_factory(kind="link")
    url = f"/t/{touchpoint.slug}"
    response = client.post(
        url, data=_form(client, url) | {"text": "Hissen är trasig", "email": "inte en adress"}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "E-postadressen ser inte rätt ut" in body and "Hissen är trasig" in body
    assert _answers() == []


def test_the_honeypot_stores_nothing(client, touchpoint_factory):
    touchpoint = touchpoint_factory(kind="link")
    url = f"/t/{touchpoint.slug}"
    response = client.post(
        url, data=_form(client, url) | {"score": "10", "website": "http://spam.example"}
    )
    assert response.status_code == 200 and "Tack" in response.get_data(as_text=True)
    assert _answers() == []


def test_consent_is_changed_from_the_tenants_page(client, question, tenant, invitation_of):
    invitation = invitation_of(question, tenant)
    url = f"/a/{invitation.token}"
    client.post(url, data=_form(client, url) | {"score": "5", "clip_kind": "audio"})
    (answer,) = _answers()
    assert not answer.consent_quote
    saved = client.post(
        f"/me/{answer.me_token}/answers/{answer.id}/consent",
        data={"consent_quote": "1", "consent_show_clip": "1"},
    )
    assert saved.status_code == 303
    answer = _fresh().get(Answer, answer.id)
    assert (answer.consent_identity, answer.consent_quote, answer.consent_show_clip) == (
        False,
        True,
        True,
    )
    assert answer.consent_changed_at is not None
    assert "Sparat" in client.get(saved.headers["Location"]).get_data(as_text=True)


def test_tokens_open_only_their_own_answers(
    client, question, tenant, invitation_of, touchpoint_factory
):
    invitation = invitation_of(question, tenant)
    url = f"/a/{invitation.token}"
    client.post(url, data=_form(client, url) | {"score": "5"})
    touchpoint = touchpoint_factory(kind="link")
    tp_url = f"/t/{touchpoint.slug}"
    client.post(tp_url, data=_form(client, tp_url) | {"text": "Anonymt svar"})
    mine, anonymous = _answers()
    # The anonymous token cannot change the known tenant's answer, nor see it.
    forged = client.post(
        f"/me/{anonymous.me_token}/answers/{mine.id}/consent", data={"consent_quote": "1"}
    )
    assert forged.status_code == 404
    assert "Anonymt svar" not in client.get(f"/me/{mine.me_token}").get_data(as_text=True)
    for bad in ("/me/" + "x" * 40, "/thanks/" + "x" * 40, "/me/%00", "/thanks/" + "y" * 500):
        assert client.get(bad).status_code in (400, 404)


def test_a_flood_through_one_link_is_stopped_politely(client, question, tenant, invitation_of):
    invitation = invitation_of(question, tenant)
    url = f"/a/{invitation.token}"
    statuses = [
        client.post(url, data={"submission": f"key-{n:02d}-" + "k" * 16, "score": "5"}).status_code
        for n in range(12)
    ]
    assert statuses[:10] == [303] * 10 and statuses[10:] == [429, 429]
    refused = client.post(url, data={"submission": "another-" + "k" * 16, "score": "5"})
    page = refused.get_data(as_text=True)
    # A tenant's page: in their browser's language here (Swedish), no way into the staff app.
    assert refused.status_code == 429 and "tenant-card" in page and "/login" not in page
    assert len(_answers()) == 1
