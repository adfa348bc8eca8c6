"""``/api/v1/action-items``: create, list with filters, read, change and delete; the same
rules as the pages (writers write; the person responsible only moves the status); another
organisation's place, report or colleague in a body is a 409 that says which, its items 404."""

from __future__ import annotations

from tests.actions.conftest import days
from tests.factories import UserFactory, api_headers

URL = "/api/v1/action-items/"


def test_create_list_change_and_delete(client, organisation, staff, tree, report, stranger):
    writer = api_headers(UserFactory(organisation=organisation, communicator=True))
    body = {
        "title": "Infomöte om stambyte",
        "place_id": tree["area"].id,
        "report_id": report.id,
        "responsible_id": staff.id,
        "due_on": days(7).isoformat(),
    }
    created = client.post(URL, json=body, headers=writer)
    assert created.status_code == 201, created.get_json()
    item = created.get_json()
    assert item["status"] == "planned" and item["place_path"] == "Ängsbacken"
    assert item["url"].endswith(f"/app/actions/{item['id']}") and item["overdue"] is False

    for query, found in (
        (f"place_id={tree['area'].id}", 1),
        (f"place_id={tree['other_area'].id}", 0),
        (f"report_id={report.id}&status=planned", 1),
        (f"responsible_id={staff.id}&status=done", 0),
    ):
        listed = client.get(f"{URL}?{query}", headers=writer).get_json()
        assert len(listed["items"]) == found, query

    changed = client.patch(
        f"{URL}{item['id']}", json={"status": "done", "due_on": None}, headers=writer
    )
    assert changed.status_code == 200
    assert changed.get_json()["done_at"] is not None and changed.get_json()["due_on"] is None

    for field in ("place_id", "report_id", "responsible_id"):
        value = stranger["user"].id if field == "responsible_id" else stranger[field[:-3]].id
        refused = client.patch(f"{URL}{item['id']}", json={field: value}, headers=writer)
        assert refused.status_code == 409, field
        error = refused.get_json()["error"]
        assert field in error["details"] and "your organisation" in error["message"]

    bad = client.post(
        URL, json={**body, "due_on": "2026-13-45", "title": "x" * 201}, headers=writer
    )
    assert bad.status_code == 422 and {"due_on", "title"} <= set(
        bad.get_json()["error"]["details"]["json"]
    )

    theirs = api_headers(stranger["user"])
    assert client.get(f"{URL}{item['id']}", headers=theirs).status_code == 404
    assert client.get(URL, headers=theirs).get_json()["items"] == []

    assert client.delete(f"{URL}{item['id']}", headers=writer).status_code == 204
    assert client.get(f"{URL}{item['id']}", headers=writer).status_code == 404


def test_the_person_responsible_moves_only_the_status(client, staff, bystander, make_item):
    item = make_item(responsible_id=staff.id)
    mine = api_headers(staff)
    moved = client.patch(f"{URL}{item.id}", json={"status": "doing"}, headers=mine)
    assert moved.status_code == 200 and moved.get_json()["status"] == "doing"
    refused = client.patch(f"{URL}{item.id}", json={"title": "Annat"}, headers=mine)
    assert refused.status_code == 403
    assert client.post(URL, json={"title": "Nytt"}, headers=mine).status_code == 403
    other = api_headers(bystander)
    assert (
        client.patch(f"{URL}{item.id}", json={"status": "done"}, headers=other).status_code == 403
    )
    assert client.delete(f"{URL}{item.id}", headers=mine).status_code == 403
