"""The organisation setting "at most N questions a month per member": admins set it (1-31, or
blank for none) on the settings page; the panel page shows it."""

from __future__ import annotations

from tests.factories import make_panel


def text(response):
    return response.get_data(as_text=True)


def test_admins_set_and_clear_the_cap(admin_client, db_session, organisation):
    page = text(admin_client.get("/app/settings"))
    assert "Questions a month per panel member" in page
    response = admin_client.post("/app/settings/fatigue-cap", data={"fatigue_cap": "4"})
    assert response.status_code == 303
    db_session.refresh(organisation)
    assert organisation.fatigue_cap == 4
    assert 'value="4"' in text(admin_client.get("/app/settings"))
    panel = make_panel(organisation)
    assert "At most 4 questions a month" in text(admin_client.get(f"/app/panels/{panel.id}"))

    assert (
        admin_client.post("/app/settings/fatigue-cap", data={"fatigue_cap": ""}).status_code == 303
    )
    db_session.refresh(organisation)
    assert organisation.fatigue_cap is None


def test_out_of_range_is_refused_with_a_message(admin_client, db_session, organisation):
    for value in ("0", "32", "tre", "2.5", "-1"):
        response = admin_client.post("/app/settings/fatigue-cap", data={"fatigue_cap": value})
        assert response.status_code == 422, value
        assert "from 1 to 31" in text(response)
    db_session.refresh(organisation)
    assert organisation.fatigue_cap is None


def test_staff_cannot_change_it(staff_client, db_session, organisation):
    assert staff_client.get("/app/settings").status_code == 403
    response = staff_client.post("/app/settings/fatigue-cap", data={"fatigue_cap": "2"})
    assert response.status_code == 403
    db_session.refresh(organisation)
    assert organisation.fatigue_cap is None
