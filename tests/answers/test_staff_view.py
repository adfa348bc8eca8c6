"""A question's page shows its answers to staff as far as each tenant allowed: who answered
only with consent to be seen, a clip to colleagues only with consent to show it."""

from __future__ import annotations

from panel.answers.models import Answer
from panel.core.db import utcnow
from tests.factories import UserFactory, login, system_session
from tests.questions.conftest import make_media


def _answer(question, **values):
    answer = Answer(
        organisation_id=question.organisation_id,
        question_id=question.id,
        channel="sms",
        language="sv",
        me_token="t" * 20 + str(len(values)) + str(values.get("score", "")),
        created_at=utcnow(),
        **values,
    )
    system_session().add(answer)
    system_session().commit()
    return answer


def test_the_question_page_shows_answers_as_consent_allows(client, question, staff, tenant):
    media = make_media(question.organisation_id, renditions={"mp4": "a.mp4", "poster": "a.jpg"})
    _answer(question, score=9, text="Fint i trapphuset", contact_id=tenant.id)
    _answer(
        question,
        score=4,
        text="Lampan är trasig",
        contact_id=tenant.id,
        consent_identity=True,
        consent_quote=True,
    )
    _answer(question, score=5, clip_kind="video", media_id=media.id, consent_show_clip=False)

    login(client, staff)
    owner_view = client.get(f"/app/questions/{question.id}").get_data(as_text=True)
    assert "3 answers" in owner_view and "mean score 6" in owner_view
    assert "Fint i trapphuset" in owner_view and "Lampan är trasig" in owner_view
    assert owner_view.count("Zeynep Yılmaz") == 1  # only where the tenant allowed it
    assert "Name hidden" in owner_view and "May be quoted" in owner_view
    assert f"/media/{media.public_id}/" in owner_view  # the asker may watch the clip

    colleague = UserFactory(organisation=staff.organisation, name="Kim Holm")
    client.post("/logout")
    login(client, colleague)
    colleague_view = client.get(f"/app/questions/{question.id}").get_data(as_text=True)
    assert f"/media/{media.public_id}/" not in colleague_view
    assert "only the asker may watch" in colleague_view
