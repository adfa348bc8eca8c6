"""How a person hears of answers (their profile), and which team they are in (the team page,
admins only)."""

from __future__ import annotations

import pytest

from tests.factories import OrganisationFactory, UserFactory, login


def test_the_profile_offers_the_three_choices_with_the_current_one_ticked(client, staff):
    login(client, staff)

    page = client.get("/app/profile").get_data(as_text=True)

    assert "When an answer or a follow-up arrives in my conversations:" in page
    assert 'id="notify-instant" name="notify_mode" value="instant" checked' in page
    assert 'value="digest"' in page and 'value="none"' in page


@pytest.mark.parametrize("mode", ["digest", "none", "instant"])
def test_a_person_chooses_how_they_hear_of_answers(db_session, client, staff, mode):
    login(client, staff)

    response = client.post("/app/profile/notifications", data={"notify_mode": mode})

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/app/profile#notifications")
    db_session.refresh(staff)
    assert staff.notify_mode == mode


@pytest.mark.parametrize("given", [{}, {"notify_mode": "hourly"}, {"notify_mode": "DIGEST"}])
def test_an_unknown_choice_is_refused_in_words(db_session, client, staff, given):
    login(client, staff)

    response = client.post("/app/profile/notifications", data=given)

    assert response.status_code == 422
    assert "Choose how you hear of answers" in response.get_data(as_text=True)
    db_session.refresh(staff)
    assert staff.notify_mode == "instant"


def test_an_admin_puts_a_colleague_in_a_team(db_session, client, admin, colleague):
    login(client, admin)

    response = client.post(f"/app/team/{colleague.id}/team", data={"team": "  Område   Norr "})

    assert response.status_code == 303
    db_session.refresh(colleague)
    assert colleague.team == "Område Norr"
    page = client.get("/app/team").get_data(as_text=True)
    assert '<option value="Område Norr"></option>' in page  # the datalist of team names
    assert f'id="team-{colleague.id}" name="team" list="team-names"' in page

    client.post(f"/app/team/{colleague.id}/team", data={"team": " "})
    db_session.refresh(colleague)
    assert colleague.team is None


def test_a_team_name_too_long_is_refused(db_session, client, admin, colleague):
    login(client, admin)

    response = client.post(f"/app/team/{colleague.id}/team", data={"team": "x" * 81})

    assert response.status_code == 422
    assert "under 80 characters" in response.get_data(as_text=True)
    db_session.refresh(colleague)
    assert colleague.team is None


def test_only_admins_set_teams_and_only_in_their_organisation(
    app, db_session, client, admin, staff, colleague
):
    stranger = UserFactory(organisation=OrganisationFactory())
    login(client, admin)
    assert client.post(f"/app/team/{stranger.id}/team", data={"team": "A"}).status_code == 404

    as_staff = app.test_client()
    login(as_staff, staff)
    assert as_staff.post(f"/app/team/{colleague.id}/team", data={"team": "A"}).status_code == 403
    db_session.refresh(colleague)
    assert colleague.team is None
