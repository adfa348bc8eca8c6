"""One recording-length rule: the recorder page, the staff uploader and the API read an
organisation's ``max_recording_seconds`` the same way, and the worker enforces that limit."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from tests.factories import OrganisationFactory, UserFactory, api_headers, login
from tests.media.conftest import media_row
from tests.questions.conftest import make_question

DECLARED = {"filename": "fråga.webm", "content_type": "video/webm", "size": 4096}


@pytest.mark.parametrize(
    ("setting", "limit"),
    [(90, 90), (900, 900), ("lots", 120), (2, 120), (3600, 120), (True, 120), (None, 120)],
)
def test_the_page_the_uploader_and_the_api_agree(
    app: Flask, db_session: Session, setting: Any, limit: int
) -> None:
    settings = {} if setting is None else {"max_recording_seconds": setting}
    organisation = OrganisationFactory(settings=settings)
    staff = UserFactory(organisation=organisation, name="Zeynep Yılmaz")
    question = make_question(staff)
    client = app.test_client()
    login(client, staff)

    page = client.get(f"/app/questions/{question.id}/video").get_data(as_text=True)
    from_page = client.post("/app/media/uploads", json=DECLARED).get_json()["media_id"]
    from_api = (
        app.test_client()
        .post(f"/api/v1/questions/{question.id}/media", json=DECLARED, headers=api_headers(staff))
        .get_json()["media_id"]
    )

    assert re.search(r'data-max-seconds="(\d+)"', page).group(1) == str(limit)
    assert media_row(db_session, from_page).max_duration_seconds == limit
    assert media_row(db_session, from_api).max_duration_seconds == limit
