"""The themes pages of a question and of a touchpoint, as staff use them: the cards (size,
words, three examples as far as consent allows, mean score, sentiment), the empty state, and
every action a communicator has (find, rename, merge, split, move, codes), each with the
refusals a person may run into; staff read but do not change; another organisation's rows are
not found."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from panel.answers.models import Answer
from panel.answers.service import Consent
from panel.core.scoping import scoped_to
from panel.questions.models import QuestionStatus
from panel.themes.models import AnswerCode, AnswerTheme, Code, Theme
from tests.factories import OrganisationFactory, UserFactory, login
from tests.questions.conftest import make_question
from tests.themes.conftest import CORPUS, Made, placements, sample, themes

pytestmark = pytest.mark.usefixtures("db_session")


def url(question: Any, action: str = "") -> str:
    return f"/app/questions/{question.id}/themes" + (f"/{action}" if action else "")


@pytest.fixture
def themed(client: FlaskClient, db_session: Session, question: Any, communicator: Any, record: Any):
    """60 answers read, themes found by a communicator who stays logged in."""
    answers = record(question, sample(10))
    login(client, communicator)
    response = client.post(url(question, "find"))
    assert response.status_code == 303
    return answers


def cards(page: str) -> list[str]:
    return re.findall(r'<li class="card theme-card" id="theme-(\d+)">', page)


def test_the_question_page_leads_to_its_themes(
    client: FlaskClient, question: Any, communicator: Any
) -> None:
    login(client, communicator)

    page = client.get(f"/app/questions/{question.id}").text

    assert f'href="/app/questions/{question.id}/themes"' in page


def test_too_few_answers_show_an_empty_state_and_finding_is_refused(
    client: FlaskClient, question: Any, communicator: Any, record: Any
) -> None:
    record(question, CORPUS[:4])
    login(client, communicator)

    page = client.get(url(question))
    refused = client.post(url(question, "find"))

    assert page.status_code == 200
    assert "No themes yet" in page.text
    assert "at least 10 answers with words have been read; 4 have been so far" in page.text
    assert re.search(r"<button type=\"submit\" disabled[^>]*>Find themes</button>", page.text)
    assert refused.status_code == 422
    assert "Themes need at least 10 answers with words; 4 have been read so far." in refused.text


def test_themes_are_cards_with_size_words_examples_score_and_sentiment(
    client: FlaskClient, db_session: Session, question: Any, themed: list[Any]
) -> None:
    page = client.get(url(question))

    assert page.status_code == 200
    shown = cards(page.text)
    found = themes(db_session, "question", question.id)
    assert shown == [str(t.id) for t in found], "largest first"
    counts = [int(n) for n in re.findall(r'<span class="small">(\d+) answers?', page.text)]
    assert sum(counts) == 60 and counts == sorted(counts, reverse=True)
    assert page.text.count('class="theme-bar"') == len(found)
    assert '<rect class="bar-fill" width="100.0"' in page.text, "the largest theme's bar is full"
    for theme in found:
        assert theme.keywords and theme.label == ", ".join(theme.keywords[:3])
        assert f'<li dir="auto">{theme.keywords[0]}</li>' in page.text
    assert page.text.count('<ul class="theme-examples">') == len(found)
    examples = re.findall(r'<ul class="theme-examples">(.*?)</ul>', page.text, re.S)
    assert all(1 <= chunk.count("<blockquote") <= 3 for chunk in examples)
    assert "Mean score" in page.text and "/10</dd>" in page.text
    assert re.search(r"\d+ positive · \d+ neutral · \d+ negative", page.text)
    assert "60 answers with words" in page.text and "60 read" in page.text


def test_examples_are_the_nearest_answers_shown_as_their_consent_allows(
    client: FlaskClient, db_session: Session, question: Any, communicator: Any, record: Any
) -> None:
    record(question, sample(2), consent=Consent(identity=False, quote=False))
    record(question, sample(2, start=100), consent=Consent(identity=True, quote=True))
    login(client, communicator)
    client.post(url(question, "find"))

    page = client.get(url(question)).text

    assert "Name hidden" in page and "Do not quote" in page
    texts = {a.id: a.text for a in db_session.scalars(sa.select(Answer))}
    for theme in themes(db_session, "question", question.id):
        card = page.split(f'id="theme-{theme.id}"', 1)[1]
        chunk = card.split('<ul class="theme-examples">', 1)[1].split("</ul>", 1)[0]
        shown = re.findall(
            r'<blockquote class="answer-text" dir="auto">(.*?)</blockquote>', chunk, re.S
        )
        nearest = sorted(
            (
                p
                for p in placements(db_session, "question", question.id).values()
                if p.theme_id == theme.id
            ),
            key=lambda p: (-p.similarity, p.answer_id),
        )[:3]
        assert [html.unescape(text) for text in shown] == [texts[p.answer_id] for p in nearest]


def test_staff_read_the_themes_but_only_communicators_and_admins_change_them(
    client: FlaskClient, question: Any, themed: list[Any], organisation: Any
) -> None:
    colleague = UserFactory(organisation=organisation, name="Bengt Lind")
    client.post("/logout")
    login(client, colleague)

    page = client.get(url(question)).text
    refused = client.post(url(question, "find"))

    assert cards(page) and "Rename, merge or split" not in page and "New code" not in page
    assert refused.status_code == 403
    assert "Only communicators and admins can change themes and codes." in refused.text


def test_a_theme_is_renamed_and_keeps_its_name(
    client: FlaskClient, db_session: Session, question: Any, themed: list[Any]
) -> None:
    theme = themes(db_session, "question", question.id)[0]

    response = client.post(
        url(question, "rename"), data={"theme_id": theme.id, "label": "  Hissen   står still "}
    )

    assert response.status_code == 303
    page = client.get(response.headers["Location"]).text
    assert "Renamed to “Hissen står still”." in page
    assert "Hissen står still</h2>" in page and "named by hand" in page
    client.post(url(question, "find"))
    assert "Hissen står still" in [t.label for t in themes(db_session, "question", question.id)]


@pytest.mark.parametrize(
    ("label", "message"),
    [("   ", "Write a name for the theme."), ("x" * 201, "at most 200 characters")],
)
def test_a_theme_needs_a_name_of_reasonable_length(
    client: FlaskClient,
    db_session: Session,
    question: Any,
    themed: list[Any],
    label: str,
    message: str,
) -> None:
    theme = themes(db_session, "question", question.id)[0]

    response = client.post(url(question, "rename"), data={"theme_id": theme.id, "label": label})

    assert response.status_code == 422
    assert message in response.text and 'role="alert"' in response.text
    assert themes(db_session, "question", question.id)[0].label == theme.label


def test_two_themes_are_merged(
    client: FlaskClient, db_session: Session, question: Any, themed: list[Any]
) -> None:
    before = themes(db_session, "question", question.id)
    first, second = before[0].id, before[1].id

    response = client.post(url(question, "merge"), data={"theme_id": second, "into_id": first})

    assert response.status_code == 303
    left = themes(db_session, "question", question.id)
    assert len(left) == len(before) - 1 and second not in {t.id for t in left}
    placed = placements(db_session, "question", question.id)
    assert {p.theme_id for p in placed.values()} == {t.id for t in left}
    assert len(placed) == 60
    assert "Merged into" in client.get(response.headers["Location"]).text


def test_a_theme_is_not_merged_with_itself_nor_with_anothers(
    client: FlaskClient,
    db_session: Session,
    question: Any,
    themed: list[Any],
    staff: Any,
) -> None:
    theme = themes(db_session, "question", question.id)[0]
    other_question = make_question(staff, title="Parkeringen", status=QuestionStatus.LIVE)
    elsewhere = Theme(
        organisation_id=question.organisation_id,
        scope_kind="question",
        scope_id=other_question.id,
        label="Parkering",
    )
    db_session.add(elsewhere)
    db_session.commit()

    itself = client.post(url(question, "merge"), data={"theme_id": theme.id, "into_id": theme.id})
    other = client.post(
        url(question, "merge"), data={"theme_id": theme.id, "into_id": elsewhere.id}
    )
    garbage = client.post(url(question, "merge"), data={"theme_id": theme.id, "into_id": "tre"})

    assert itself.status_code == 422
    assert "Choose another theme to merge this one with." in itself.text
    assert other.status_code == 404 and garbage.status_code == 404
    assert "There is no such theme here." in other.text


def test_a_theme_is_split_in_two(
    client: FlaskClient, db_session: Session, question: Any, themed: list[Any]
) -> None:
    before = themes(db_session, "question", question.id)

    response = client.post(url(question, "split"), data={"theme_id": before[0].id})

    assert response.status_code == 303
    after = themes(db_session, "question", question.id)
    assert len(after) == len(before) + 1
    placed = placements(db_session, "question", question.id)
    assert len(placed) == 60
    halves = [p for p in placed.values() if p.by_hand]
    assert {p.theme_id for p in halves} <= {t.id for t in after} and len(
        {p.theme_id for p in halves}
    ) == 2
    assert "Split in two." in client.get(response.headers["Location"]).text


def test_a_theme_of_three_answers_is_not_split(
    client: FlaskClient, db_session: Session, question: Any, themed: list[Any]
) -> None:
    small = Theme(
        organisation_id=question.organisation_id,
        scope_kind="question",
        scope_id=question.id,
        label="Liten",
    )
    db_session.add(small)
    db_session.flush()
    db_session.execute(
        sa.update(AnswerTheme)
        .where(AnswerTheme.answer_id.in_([a.id for a in themed[:3]]))
        .values(theme_id=small.id)
    )
    db_session.commit()

    response = client.post(url(question, "split"), data={"theme_id": small.id})

    assert response.status_code == 422
    assert "A theme needs at least 4 read answers to be split." in response.text


def test_an_answer_is_moved_by_hand_and_shows_it(
    client: FlaskClient, db_session: Session, question: Any, themed: list[Any]
) -> None:
    found = themes(db_session, "question", question.id)
    answer = themed[0]
    placed = placements(db_session, "question", question.id)[answer.id]
    target = next(t for t in found if t.id != placed.theme_id)

    response = client.post(
        url(question, "move"),
        data={"answer_id": answer.id, "theme_id": target.id, "theme": target.id},
    )

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/themes?theme={target.id}")
    moved = placements(db_session, "question", question.id)[answer.id]
    assert moved.theme_id == target.id and moved.by_hand
    listing = client.get(response.headers["Location"]).text
    assert f'id="answer-{answer.id}"' in listing
    assert "Placed by hand: it stays in this theme when themes are found again." in listing


def test_only_this_questions_answers_are_moved(
    client: FlaskClient,
    db_session: Session,
    question: Any,
    themed: list[Any],
    staff: Any,
    record: Any,
) -> None:
    other_question = make_question(staff, title="Parkeringen", status=QuestionStatus.LIVE)
    [elsewhere] = record(other_question, [CORPUS[5]], read=False)
    theme = themes(db_session, "question", question.id)[0]

    response = client.post(
        url(question, "move"), data={"answer_id": elsewhere.id, "theme_id": theme.id}
    )
    bad = client.post(url(question, "move"), data={"answer_id": "", "theme_id": theme.id})

    assert response.status_code == 404 and bad.status_code == 404
    assert "There is no such answer among these answers." in response.text


def test_codes_are_created_put_on_answers_counted_and_taken_off(
    client: FlaskClient, db_session: Session, question: Any, themed: list[Any]
) -> None:
    answer = themed[1]
    theme_id = placements(db_session, "question", question.id)[answer.id].theme_id

    created = client.post(url(question, "create-code"), data={"name": " Lovad åtgärd "})
    code = db_session.scalar(sa.select(Code).where(Code.name == "Lovad åtgärd"))
    tagged = client.post(
        url(question, "tag"), data={"answer_id": answer.id, "code_id": code.id, "theme": theme_id}
    )
    again = client.post(url(question, "tag"), data={"answer_id": answer.id, "code_id": code.id})

    assert created.status_code == tagged.status_code == again.status_code == 303
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AnswerCode)) == 1
    listing = client.get(f"{url(question)}?theme={theme_id}").text
    assert '<ul class="code-chips"' in listing and "<span>Lovad åtgärd</span>" in listing
    overview = client.get(url(question)).text
    assert "Lovad åtgärd</a>" in overview and "1 answer here · 1 in all" in overview
    by_code = client.get(f"{url(question)}?code={code.id}").text
    assert "Tagged “Lovad åtgärd”" in by_code and f'id="answer-{answer.id}"' in by_code

    untagged = client.post(
        url(question, "untag"), data={"answer_id": answer.id, "code_id": code.id}
    )

    assert untagged.status_code == 303
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AnswerCode)) == 0
    assert "0 answers here · 0 in all" in client.get(url(question)).text


def test_a_code_is_created_and_put_on_an_answer_at_once(
    client: FlaskClient, db_session: Session, question: Any, themed: list[Any]
) -> None:
    response = client.post(
        url(question, "create-code"),
        data={"name": "Citat till styrelsen", "answer_id": themed[2].id},
    )

    assert response.status_code == 303
    code = db_session.scalar(sa.select(Code).where(Code.name == "Citat till styrelsen"))
    assert (
        db_session.scalar(sa.select(AnswerCode).where(AnswerCode.code_id == code.id)).answer_id
        == themed[2].id
    )


@pytest.mark.parametrize(
    ("name", "status", "message"),
    [
        ("", 422, "Write a name for the code."),
        ("x" * 81, 422, "A code&#39;s name can be at most 80 characters."),
        ("lovad ÅTGÄRD", 409, "There is a code called “Lovad åtgärd” already."),
    ],
)
def test_a_code_needs_a_new_name_of_reasonable_length(
    client: FlaskClient,
    db_session: Session,
    question: Any,
    themed: list[Any],
    name: str,
    status: int,
    message: str,
) -> None:
    client.post(url(question, "create-code"), data={"name": "Lovad åtgärd"})

    response = client.post(url(question, "create-code"), data={"name": name})

    assert response.status_code == status
    assert message in response.text
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Code)) == 1


def test_tagging_needs_a_code(client: FlaskClient, question: Any, themed: list[Any]) -> None:
    response = client.post(url(question, "tag"), data={"answer_id": themed[0].id, "code_id": ""})

    assert response.status_code == 422
    assert "Choose a code to put on the answer." in response.text


def test_another_organisations_question_theme_and_code_are_not_found(
    client: FlaskClient, db_session: Session, question: Any, themed: list[Any]
) -> None:
    other = OrganisationFactory(name="Hyresbolaget Norr")
    owner = UserFactory(organisation=other)
    their_question = make_question(owner, status=QuestionStatus.LIVE)
    with scoped_to(db_session, other.id):
        their_theme = Theme(scope_kind="question", scope_id=question.id, label="Deras")
        their_code = Code(name="Deras kod")
        db_session.add_all([their_theme, their_code])
        db_session.commit()
    mine = themes(db_session, "question", question.id)[0]

    assert client.get(url(their_question)).status_code == 404
    assert client.post(url(their_question, "find")).status_code == 404
    assert client.get(f"{url(question)}?theme={their_theme.id}").status_code == 404
    assert client.get(f"{url(question)}?code={their_code.id}").status_code == 404
    renamed = client.post(
        url(question, "rename"), data={"theme_id": their_theme.id, "label": "Vår"}
    )
    merged = client.post(
        url(question, "merge"), data={"theme_id": mine.id, "into_id": their_theme.id}
    )
    tagged = client.post(
        url(question, "tag"), data={"answer_id": themed[0].id, "code_id": their_code.id}
    )
    assert (renamed.status_code, merged.status_code, tagged.status_code) == (404, 404, 404)
    db_session.expire_all()
    assert db_session.get(Theme, their_theme.id).label == "Deras"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AnswerCode)) == 0


def test_answers_not_yet_read_wait_outside_the_themes(
    client: FlaskClient, question: Any, themed: list[Any], record: Any
) -> None:
    late = record(
        question, [Made("Hej, parkeringen är full varje kväll.", "sv", "other", 5)], read=False
    )

    page = client.get(url(question)).text
    listing = client.get(f"{url(question)}?unplaced=1").text

    assert "61 answers with words" in page and "60 read" in page
    assert "1 answer is in no theme yet" in page
    assert "Answers cannot be read for themes on this installation." in page, (
        "the test app reads none"
    )
    assert "Answers not in a theme" in listing and f'id="answer-{late[0].id}"' in listing


def test_languages_without_a_sentiment_model_are_named(
    client: FlaskClient, question: Any, communicator: Any, record: Any
) -> None:
    record(question, sample(2))
    record(
        question,
        [
            Made("المصعد معطل مرة أخرى منذ أسبوعين", "ar", "lift", 2),
            Made("Wiishka mar kale ayuu jabay", "so", "lift", 3),
        ],
    )
    login(client, communicator)

    page = client.get(url(question)).text

    named = "answers in <bdi>العربية</bdi> (1), <bdi>Soomaali</bdi> (1): there is no sentiment"
    assert named in page


def test_a_touchpoints_answers_have_themes_of_their_own(
    client: FlaskClient,
    db_session: Session,
    question: Any,
    communicator: Any,
    record: Any,
    touchpoint_factory: Any,
) -> None:
    touchpoint = touchpoint_factory(name="QR i tvättstugan")
    record(question, sample(3), touchpoint_id=touchpoint.id)
    record(question, sample(3, start=200))
    login(client, communicator)
    base = f"/app/touchpoints/{touchpoint.id}/themes"

    assert f'href="{base}"' in client.get(f"/app/touchpoints/{touchpoint.id}").text
    response = client.post(f"{base}/find")

    assert response.status_code == 303
    page = client.get(base).text
    assert "QR i tvättstugan" in page and "18 answers with words" in page
    assert len(placements(db_session, "touchpoint", touchpoint.id)) == 18
    assert not placements(db_session, "question", question.id), "the question's own are apart"
    assert client.get("/app/touchpoints/2000000000/themes").status_code == 404
