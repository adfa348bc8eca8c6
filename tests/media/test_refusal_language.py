"""A refusal is stored as a code with parameters and worded for whoever reads it: the Swedish
staff member reads Swedish on the question page, in the status the page polls and in the API;
an English colleague reads the same refusal in English."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from media.models import MediaStatus
from tests.factories import OrganisationFactory, UserFactory, api_headers, login
from tests.media.conftest import Clips, media_row
from tests.questions.conftest import make_question

TOO_LONG_SV = "Klippet är 7 s långt; gränsen är 5 s."
TOO_LONG_EN = "The clip is 7 s long; the limit is 5 s."
TEXT_SV = "Den här filen innehåller text, inte en video- eller ljudinspelning."


def _send(client: Any, path: Any, content_type: str) -> int:
    started = client.post(
        "/app/media/uploads",
        json={"filename": path.name, "content_type": content_type, "size": path.stat().st_size},
    )
    assert started.status_code == 201, started.get_json()
    body = started.get_json()
    sent = client.post(
        body["upload"]["url"], data=path.read_bytes(), headers={"Content-Type": content_type}
    )
    assert sent.status_code == 204, sent.get_json()
    return body["media_id"]


def test_a_swedish_staff_member_reads_why_a_file_was_refused_in_swedish(
    app: Flask, db_session: Session, clips: Clips
) -> None:
    organisation = OrganisationFactory(
        name="Bostäder Öst", default_language="sv", settings={"max_recording_seconds": 5}
    )
    asa = UserFactory(organisation=organisation, name="Åsa Öberg", locale="sv")
    ijsbrand = UserFactory(organisation=organisation, name="Ĳsbrand de Vries", locale="en")
    question = make_question(asa, title="Hur trivs du på gården?")
    swedish, english = app.test_client(), app.test_client()
    login(swedish, asa)
    login(english, ijsbrand)
    json = {"Accept": "application/json"}

    # Refused at once: a text file named .webm. The question keeps no video.
    text_id = _send(swedish, clips.text, "video/webm")
    refused = swedish.post(
        f"/app/questions/{question.id}/media", json={"media_id": text_id}, headers=json
    )
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "text"
    assert refused.get_json()["error"]["message"].startswith(TEXT_SV)
    polled = swedish.get(f"/app/media/{text_id}/status").get_json()
    assert polled["error"].startswith(TEXT_SV) and polled["error_code"] == "text"

    # Refused by the worker, after it became the question's video: 7 s against a 5 s limit.
    long_id = _send(swedish, clips.long, "video/webm")
    attached = swedish.post(
        f"/app/questions/{question.id}/media", json={"media_id": long_id}, headers=json
    )
    assert attached.status_code == 200, attached.get_json()
    stored = media_row(db_session, long_id)
    assert stored.status == MediaStatus.FAILED
    assert stored.error_code == "too_long" and stored.error_params["limit"] == 5
    assert round(stored.error_params["duration"]) == 7
    assert stored.error_text is None  # the words are made when read, not stored

    page = swedish.get(f"/app/questions/{question.id}").get_data(as_text=True)
    assert TOO_LONG_SV in page and TOO_LONG_EN not in page
    assert swedish.get(f"/app/media/{long_id}/status").get_json()["error"].startswith(TOO_LONG_SV)
    assert TOO_LONG_EN in english.get(f"/app/questions/{question.id}").get_data(as_text=True)

    headers = api_headers(asa)
    api_sv = app.test_client().get(
        f"/api/v1/questions/{question.id}", headers={**headers, "Accept-Language": "sv"}
    )
    media = api_sv.get_json()["media"]
    assert media["error"].startswith(TOO_LONG_SV)
    assert (media["error_code"], media["error_params"]) == ("too_long", stored.error_params)
    api_en = app.test_client().get(f"/api/v1/questions/{question.id}", headers=headers)
    assert api_en.get_json()["media"]["error"].startswith(TOO_LONG_EN)
