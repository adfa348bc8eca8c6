"""``/api/v1/answers``: newest first, a page at a time, every filter narrowing what it says;
one answer with its consent and clip; who answered only when the tenant allowed it."""

from __future__ import annotations

import datetime as dt

import pytest

from panel.answers.models import Answer
from panel.core.db import utcnow
from panel.places.service import ensure_path
from tests.factories import api_headers, system_session
from tests.questions.conftest import make_media


@pytest.fixture
def headers(staff):
    return api_headers(staff)


def _answer(question, n, **values):
    defaults = dict(
        organisation_id=question.organisation_id,
        question_id=question.id,
        channel="web",
        language="sv",
        score=(n % 10) + 1,
        text=f"Svar nummer {n}: hissen på Ängsbacksvägen är trög",
        me_token=f"token-{question.id}-{n}-" + "x" * 16,
        created_at=utcnow() - dt.timedelta(hours=n),
    )
    defaults.update(values)
    answer = Answer(**defaults)
    system_session().add(answer)
    return answer


def test_the_list_walks_every_answer_newest_first(client, question, headers):
    for n in range(130):
        _answer(question, n)
    system_session().commit()
    seen, after = [], None
    while True:
        query = {"limit": 50} | ({"after": after} if after else {})
        page = client.get("/api/v1/answers/", query_string=query, headers=headers).get_json()
        seen += [item["id"] for item in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert len(seen) == 130 and seen == sorted(seen, reverse=True)


def test_filters(client, question, headers, scoped, stairwell, tenant):
    other_building, _ = ensure_path(scoped, ["Ängsbacken", "Ängsbacksvägen 5"])
    scoped.commit()
    media = make_media(question.organisation_id, renditions={"mp4": "a.mp4", "poster": "a.jpg"})
    at_stairwell = _answer(question, 1, place_id=stairwell.id, channel="sms", contact_id=tenant.id)
    with_clip = _answer(
        question, 2, place_id=other_building.id, clip_kind="video", media_id=media.id
    )
    old = _answer(question, 3, created_at=utcnow() - dt.timedelta(days=40))
    system_session().commit()

    def ids(**query):
        response = client.get("/api/v1/answers/", query_string=query, headers=headers)
        assert response.status_code == 200, response.get_json()
        return {item["id"] for item in response.get_json()["items"]}

    area = stairwell.area_id
    assert ids(place_id=area) == {at_stairwell.id, with_clip.id}
    assert ids(place_id=stairwell.building_id) == {at_stairwell.id}
    assert ids(channel="sms") == {at_stairwell.id}
    assert ids(has_media="true") == {with_clip.id}
    assert ids(has_media="false") == {at_stairwell.id, old.id}
    assert ids(since=(utcnow() - dt.timedelta(days=7)).date().isoformat()) == {
        at_stairwell.id,
        with_clip.id,
    }
    assert ids(until=(utcnow() - dt.timedelta(days=30)).date().isoformat()) == {old.id}
    assert ids(question_id=question.id + 1000) == set()
    for bad in ({"channel": "fax"}, {"has_media": "yes"}, {"since": "igår"}, {"place_id": "-1"}):
        response = client.get("/api/v1/answers/", query_string=bad, headers=headers)
        assert response.status_code == 422 and "error" in response.get_json()


def test_one_answer_shows_consent_and_hides_who_unless_allowed(client, question, headers, tenant):
    hidden = _answer(question, 1, contact_id=tenant.id)
    shown = _answer(question, 2, contact_id=tenant.id, consent_identity=True, consent_quote=True)
    system_session().commit()
    first = client.get(f"/api/v1/answers/{hidden.id}", headers=headers).get_json()
    assert first["respondent"] is None and "Zeynep" not in str(first)
    assert first["consent"]["identity"] is False and first["transcript"] is None
    second = client.get(f"/api/v1/answers/{shown.id}", headers=headers).get_json()
    assert second["respondent"]["name"] == "Zeynep Yılmaz"
    assert second["consent"] == {
        "identity": True,
        "quote": True,
        "show_clip": False,
        "changed_at": None,
    }
    assert client.get("/api/v1/answers/2000000000", headers=headers).status_code == 404
