"""The action plan pages as people use them: a communicator writes an item (also from a
report's page, prefilled), the list per area office filters and marks overdue ones, the person
responsible moves it along and comments; others may read but not write; bad input is refused
beside its field and changes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from notifications.models import OutboundMessage
from panel.actions.models import ActionComment, ActionItem
from tests.actions.conftest import days
from tests.factories import login, system_session


def text(response):
    return response.get_data(as_text=True)


def items():
    return system_session().scalars(sa.select(ActionItem).order_by(ActionItem.id)).all()


def form(tree, report, staff, **values):
    data = {
        "title": "  Byta   belysning i trapphuset Björkvägen 3B ",
        "description": "Det är mörkt på kvällarna.",
        "place_id": str(tree["stairwell"].id),
        "report_id": str(report.id),
        "responsible_id": str(staff.id),
        "due_on": days(10).isoformat(),
        "status": "planned",
    }
    data.update(values)
    return data


def test_a_communicator_plans_an_action_from_a_report(client, communicator, staff, tree, report):
    login(client, communicator)
    page = text(client.get(f"/app/actions/new?report={report.id}&place={tree['stairwell'].id}"))
    assert f'<option selected value="{report.id}">' in page
    assert f'<option selected value="{tree["stairwell"].id}">' in page

    response = client.post("/app/actions/", data=form(tree, report, staff))
    assert response.status_code == 303
    [item] = items()
    assert item.title == "Byta belysning i trapphuset Björkvägen 3B"
    assert (item.place_id, item.report_id, item.responsible_id) == (
        tree["stairwell"].id,
        report.id,
        staff.id,
    )
    assert item.created_by_id == communicator.id and item.done_at is None

    shown = text(client.get(response.headers["Location"]))
    for words in ("Ängsbacken / Björkvägen 3 / Trapphus B", "Anna Berg", report.title):
        assert words in shown

    # The list per area office shows what is below the area, and not the other area's.
    area = text(client.get(f"/app/actions/?place={tree['area'].id}"))
    assert item.title in area and "poster.pdf?area=" in area
    assert item.title not in text(client.get(f"/app/actions/?place={tree['other_area'].id}"))
    assert item.title in text(client.get(f"/app/actions/?report={report.id}"))
    assert item.title not in text(client.get("/app/actions/?status=done"))


def test_the_person_responsible_moves_it_along_and_comments(
    client, db_session, communicator, staff, bystander, make_item
):
    item = make_item(responsible_id=staff.id, due_on=days(-1))
    login(client, staff)
    mine = text(client.get("/app/actions/?mine=1"))
    assert item.title in mine and "pill-overdue" in mine  # past its due date, not done

    assert client.post(f"/app/actions/{item.id}/status", data={"status": "done"}).status_code == 303
    db_session.refresh(item)
    assert item.status == "done" and item.done_at is not None
    assert "pill-overdue" not in text(client.get("/app/actions/?mine=1"))
    client.post(f"/app/actions/{item.id}/status", data={"status": "doing"})
    db_session.refresh(item)
    assert item.status == "doing" and item.done_at is None

    client.post(f"/app/actions/{item.id}/comments", data={"body": "Elektrikern kommer tisdag."})
    assert "Elektrikern kommer tisdag." in text(client.get(f"/app/actions/{item.id}"))
    # The creator hears of it; the writer does not.
    [notice] = (
        system_session()
        .scalars(sa.select(OutboundMessage).where(OutboundMessage.purpose == "action-comment"))
        .all()
    )
    assert notice.recipient == communicator.email
    assert "Elektrikern kommer tisdag." in notice.body_text
    # Only communicators and admins change the rest, or create.
    assert client.get(f"/app/actions/{item.id}/edit").status_code == 403
    assert client.post("/app/actions/", data={"title": "x"}).status_code == 403

    client.post("/logout")
    login(client, bystander)
    page = text(client.get(f"/app/actions/{item.id}"))
    assert item.title in page and "/comments" not in page  # reads, does not write
    assert client.post(f"/app/actions/{item.id}/status", data={"status": "done"}).status_code == 403
    response = client.post(f"/app/actions/{item.id}/comments", data={"body": "Hej"})
    assert response.status_code == 403
    assert client.post(f"/app/actions/{item.id}/delete").status_code == 403
    assert len(system_session().scalars(sa.select(ActionComment)).all()) == 1


def test_bad_input_is_refused_beside_its_field(client, communicator, staff, tree, report, stranger):
    login(client, communicator)
    cases = {
        "place_id": str(stranger["place"].id),
        "report_id": str(stranger["report"].id),
        "responsible_id": str(stranger["user"].id),
        "due_on": "2026-13-45",
        "title": "x" * 201,
        "description": "ord " * 2000,
        "status": "finished",
    }
    for name, value in cases.items():
        response = client.post("/app/actions/", data=form(tree, report, staff, **{name: value}))
        assert response.status_code == 422, name
        assert 'class="error"' in text(response), name
        assert "ORGB" not in text(response), name
    response = client.post("/app/actions/", data=form(tree, report, staff, due_on="9999-01-01"))
    assert response.status_code == 422 and "within 10 years" in text(response)
    response = client.post("/app/actions/", data=form(tree, report, staff, title="   "))
    assert response.status_code == 422 and "Say what is to be done." in text(response)
    assert items() == []
    # Nonsense in the list's address is ignored, not an error; the link without the slash
    # (as report pages write it) leads to the list.
    response = client.get(f"/app/actions?place={tree['area'].id}")
    assert response.status_code == 308 and f"place={tree['area'].id}" in response.location
    assert client.get("/app/actions/?status=nope&responsible=abc&mine=2").status_code == 200
    assert client.get(f"/app/actions/?place={stranger['place'].id}").status_code == 404


def test_empty_states(client, communicator, bystander, tree):
    login(client, communicator)
    page = text(client.get("/app/actions/"))
    assert "No action plan yet" in page and "/app/actions/new" in page
    assert "No action items here" in text(client.get("/app/actions/?mine=1"))
    client.post("/logout")
    login(client, bystander)
    page = text(client.get("/app/actions/"))
    assert "Communicators and admins write action plans." in page


def test_admins_set_the_reminder_days(client, db_session, organisation, communicator):
    from tests.factories import UserFactory

    admin = UserFactory(organisation=organisation, admin=True)
    login(client, communicator)
    assert client.post("/app/actions/settings", data={"days": "5"}).status_code == 403
    client.post("/logout")
    login(client, admin)
    client.post("/app/actions/settings", data={"days": "5"})
    db_session.refresh(organisation)
    assert organisation.settings["action_reminder_days"] == 5
    client.post("/app/actions/settings", data={"days": "-1"})
    db_session.refresh(organisation)
    assert organisation.settings["action_reminder_days"] == 5
