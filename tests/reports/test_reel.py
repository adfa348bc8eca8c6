"""The highlight reel's plan and pages: cards before each question's clips, only clips whose
tenants allow showing them, each clip's captions cut to its in/out points, trimming checked
against the clip, an empty state that says why, and another organisation's report not found."""

from __future__ import annotations

from media.models import TranscriptState
from panel.core.scoping import scoped_to
from panel.reports.reel import Card, build_plan
from tests.factories import OrganisationFactory, UserFactory, login
from tests.reports.conftest import make_reel

JSON = {"Accept": "application/json"}


def test_the_plan_has_a_card_before_each_question_and_only_clips_that_may_be_shown(
    staff, storage, reel_files, db_session
):
    reel = make_reel(
        storage,
        reel_files,
        staff,
        [
            {"question": "Kvällen"},
            {"question": "Kvällen", "consent": False},
            {"question": "Kvällen", "in": 0.4},
            {"question": "Bussen", "kind": "audio", "out": 1.5},
        ],
    )
    with scoped_to(db_session, staff.organisation_id):
        plan = build_plan(reel.report, reel.items, colour="#1f5f5b")
        again = build_plan(reel.report, reel.items, colour="#1f5f5b")

    shown = [p.title if isinstance(p, Card) else p.item_id for p in plan.pieces]
    assert shown == [
        reel.report.title,
        "Kvällen",
        reel.items[0].id,
        reel.items[2].id,
        "Bussen",
        reel.items[3].id,
    ]
    assert plan.without_consent == 1 and plan.picked == 4
    assert plan.duration == 3 * 3.0 + 2.0 + 1.6 + 1.5
    assert plan.hash == again.hash
    reel.items[2].starts_at = 0.5
    with scoped_to(db_session, staff.organisation_id):
        assert build_plan(reel.report, reel.items, colour="#1f5f5b").hash != plan.hash


def test_captions_follow_the_in_point_and_a_correction(staff_client, staff, storage, reel_files):
    reel = make_reel(storage, reel_files, staff, [{"words": "Mörkt vid garagen.", "in": 0.5}])
    item = reel.items[0]

    vtt = staff_client.get(f"/app/reports/{reel.report.id}/reel/{item.id}.vtt")

    assert vtt.status_code == 200 and vtt.mimetype == "text/vtt"
    assert "00:00:00.500 --> 00:00:02.000\nMörkt vid garagen." in vtt.get_data(as_text=True)

    media = reel.answers[0].media
    media.transcript, media.transcript_state = "Mörkt vid garaget.", TranscriptState.CORRECTED
    from tests.factories import system_session

    system_session().commit()
    corrected = staff_client.get(f"/app/reports/{reel.report.id}/reel/{item.id}.vtt")
    assert "00:00:00.500 --> 00:00:02.000\nMörkt vid garaget." in corrected.get_data(as_text=True)


def test_the_player_page_and_trimming(staff_client, staff, storage, reel_files):
    reel = make_reel(storage, reel_files, staff, [{}, {"kind": "audio"}])
    item = reel.items[0]
    url = f"/app/reports/{reel.report.id}/reel"

    page = staff_client.get(url).get_data(as_text=True)
    assert "data-reel-plan" in page and f"/media/{reel.answers[0].media.public_id}/mp4" in page

    saved = staff_client.post(f"{url}/{item.id}/trim", json={"starts_at": 0.3, "ends_at": "1.8"})
    assert saved.status_code == 200 and saved.get_json() == {"starts_at": 0.3, "ends_at": 1.8}

    for body, words in [
        ({"starts_at": 1.5, "ends_at": 1.0}, "before the out point"),
        ({"starts_at": 0, "ends_at": 9}, "after the end of the clip"),
        ({"starts_at": -1}, "before the start"),
        ({"starts_at": "soon"}, "numbers of seconds"),
    ]:
        refused = staff_client.post(f"{url}/{item.id}/trim", json=body, headers=JSON)
        assert refused.status_code == 422, body
        assert words in refused.get_json()["error"]["message"]

    by_form = staff_client.post(f"{url}/{item.id}/trim", data={"starts_at": "", "ends_at": "9"})
    assert by_form.status_code == 303
    assert "after the end of the clip" in staff_client.get(url).get_data(as_text=True)


def test_empty_states_say_why_and_nothing_is_rendered(staff_client, staff, storage, reel_files):
    nothing = make_reel(storage, reel_files, staff, [])
    refused = make_reel(storage, reel_files, staff, [{"consent": False}])

    page = staff_client.get(f"/app/reports/{nothing.report.id}/reel").get_data(as_text=True)
    assert "No video or sound answers are picked" in page and "data-reel-plan" not in page
    page = staff_client.get(f"/app/reports/{refused.report.id}/reel").get_data(as_text=True)
    assert "has not allowed it to be shown" in page and "data-reel-plan" not in page
    for reel in (nothing, refused):
        response = staff_client.post(f"/app/reports/{reel.report.id}/reel/render", headers=JSON)
        assert response.status_code == 422
        assert "nothing to render" in response.get_json()["error"]["message"]


def test_another_organisations_reel_is_not_found(client, storage, reel_files, db_session):
    theirs_owner = UserFactory(organisation=OrganisationFactory())
    theirs = make_reel(storage, reel_files, theirs_owner, [{}])
    login(client, UserFactory(organisation=OrganisationFactory()))
    base = f"/app/reports/{theirs.report.id}/reel"
    item = theirs.items[0].id

    assert client.get(base).status_code == 404
    assert client.get(f"{base}/{item}.vtt").status_code == 404
    assert client.post(f"{base}/{item}/trim", json={"starts_at": 1}).status_code == 404
    assert client.post(f"{base}/render", headers=JSON).status_code == 404
    assert client.get(f"{base}/renders/1").status_code == 404
    assert client.get(f"{base}/renders/1/reel.mp4").status_code == 404
