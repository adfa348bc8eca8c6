"""The report pages as a communicator and a colleague see them: the list and its empty state,
the builder's refusals (another organisation's ids included), the report with every section
and its known figures, texts saved, and quotes and clips added, ordered and refused without
consent."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from panel.answers.models import Answer
from panel.core.scoping import scoped_to
from panel.places.service import ensure_path
from panel.questions.models import QuestionStatus
from panel.reports.models import CompositeIndex, IndexComponent, Report, ReportItem
from tests.factories import OrganisationFactory, UserFactory, login, system_session
from tests.questions.conftest import make_media, make_question

DAY = dt.date(2026, 10, 15)


@dataclass
class World:
    org: Any
    communicator: Any
    staff: Any
    question_id: int
    area_id: int
    stairwell_low: int
    report_id: int
    quotable: int  # answer ids
    unquotable: int
    clip: int
    hidden_clip: int
    other_question: int


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


@pytest.fixture
def world(db_session: Any) -> World:
    org = OrganisationFactory(
        settings={"report_score_target": 8, "report_target_share": 80, "report_min_group": 3}
    )
    communicator = UserFactory(organisation=org, communicator=True, name="Kim Kommunikatör")
    staff = UserFactory(organisation=org)
    other = UserFactory()
    session = system_session()
    with scoped_to(session, org.id):
        good = ensure_path(session, ["Norra", "Hus 1", "Uppgång A"])[0]
        low = ensure_path(session, ["Norra", "Hus 1", "Uppgång B"])[0]
        lonely = ensure_path(session, ["Norra", "Hus 2", "Uppgång C"])[0]
        session.flush()
        question = make_question(communicator, status=QuestionStatus.LIVE, title="Hur nöjd?")
        ids = {}

        def answer(score: int, place: Any, day: dt.date, **values: Any) -> Answer:
            row = Answer(
                organisation_id=org.id,
                question_id=question.id,
                channel=values.pop("channel", "sms"),
                language="sv",
                score=score,
                place_id=place.id,
                me_token=f"t{len(ids)}-{score}-{day}-{place.id}-{values.get('text', '')[:3]}",
                created_at=at(day),
                **values,
            )
            session.add(row)
            session.flush()
            ids[len(ids)] = row.id
            return row

        for score in (9, 9, 10, 8):  # Uppgång A: 4 answers, all at target
            answer(score, good, DAY)
        for score in (3, 4, 9):  # Uppgång B: 3 answers, one at target
            answer(score, low, DAY, channel="web")
        answer(9, lonely, DAY)  # Uppgång C: 1 answer, too few to show
        answer(5, good, DAY - dt.timedelta(days=40))  # the previous period
        quotable = answer(9, good, DAY, text="Städningen är jättebra!", consent_quote=True)
        unquotable = answer(4, low, DAY, text="Hemligt klagomål", consent_quote=False)
        media = make_media(org.id)
        clip = answer(8, good, DAY, clip_kind="video", media_id=media.id, consent_show_clip=True)
        hidden_media = make_media(org.id)
        hidden = answer(7, good, DAY, clip_kind="video", media_id=hidden_media.id)
        index = CompositeIndex(
            organisation_id=org.id, name="Serviceindex", target_mean=7.0, target_share=85.0
        )
        index.components.append(
            IndexComponent(organisation_id=org.id, question_id=question.id, weight=1.0)
        )
        session.add(index)
        session.flush()
        report = Report(
            organisation_id=org.id,
            title="Hösten 2026",
            created_by_id=communicator.id,
            question_ids=[question.id],
            starts_on=dt.date(2026, 10, 1),
            ends_on=dt.date(2026, 10, 31),
            period="month",
            index_ids=[index.id],
            texts={"intro": "Hej styrelsen! Här är hösten."},
        )
        session.add(report)
        session.commit()
        area_id = good.area_id
    with scoped_to(session, other.organisation_id):
        other_question = make_question(other)
    return World(
        org, communicator, staff, question.id, area_id, low.id, report.id,
        quotable.id, unquotable.id, clip.id, hidden.id, other_question.id,
    )  # fmt: skip


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_empty_list_explains_and_staff_cannot_build(client: Any, db_session: Any) -> None:
    org = OrganisationFactory()
    login(client, UserFactory(organisation=org, communicator=True))
    page = text(client.get("/app/reports/"))
    assert "No reports yet" in page and "A report gathers what tenants answered" in page
    assert 'href="/app/reports/new"' in page
    client.post("/logout")
    login(client, UserFactory(organisation=org))
    page = text(client.get("/app/reports/"))
    assert "Communicators and admins make reports." in page
    assert client.get("/app/reports/new").status_code == 403


def test_builder_refuses_with_reasons_beside_the_fields(client: Any, world: World) -> None:
    login(client, world.communicator)
    assert client.get("/app/reports/new").status_code == 200
    response = client.post(
        "/app/reports/new",
        data={"title": "", "starts_on": "2026-10-10", "ends_on": "2026-10-01", "period": "month"},
    )
    assert response.status_code == 422
    assert "Give the report a title." in text(response)
    response = client.post(
        "/app/reports/new",
        data={"title": "X", "starts_on": "2026-10-10", "ends_on": "2026-10-01"},
    )
    assert response.status_code == 422 and "cannot end before it starts" in text(response)
    # Another organisation's question: refused, saying which, and nothing saved.
    response = client.post(
        "/app/reports/new",
        data={"title": "X", "question_ids": [str(world.other_question)], "period": "month"},
    )
    assert response.status_code == 422
    assert f"There is no question with id {world.other_question}." in text(response)
    # A quick pick fills the dates without saving.
    response = client.post("/app/reports/new", data={"title": "Y", "quick": "year"})
    assert response.status_code == 200 and f'value="{dt.date.today().year}-01-01"' in text(response)
    count = system_session().scalar(
        sa.select(sa.func.count(Report.id)).where(Report.organisation_id == world.org.id)
    )
    assert count == 1
    response = client.post(
        "/app/reports/new",
        data={
            "title": "Norra i höst",
            "question_ids": [str(world.question_id)],
            "place_id": str(world.area_id),
            "starts_on": "2026-10-01",
            "ends_on": "2026-10-31",
            "period": "week",
        },
    )
    assert response.status_code == 303
    assert "Norra i höst" in text(client.get("/app/reports/"))
    # Another organisation's report is not found.
    other = UserFactory(communicator=True)
    client.post("/logout")
    login(client, other)
    assert client.get(f"/app/reports/{world.report_id}").status_code == 404
    assert client.get(f"/app/reports/{world.report_id}/edit").status_code == 404


def test_report_shows_every_section_with_its_figures(client: Any, world: World) -> None:
    login(client, world.staff)
    response = client.get(f"/app/reports/{world.report_id}")
    assert response.status_code == 200
    page = text(response)
    for key in ("intro", "figures", "trend", "scores", "indices", "breakdown", "themes",
                "quotes", "closing"):  # fmt: skip
        assert f'id="section-{key}"' in page
    assert "Hej styrelsen! Här är hösten." in page
    # 12 answers in October (one in September is the previous period's).
    assert re.search(r'stat-value">12<', page)
    assert "fewer than 3 answers" in page  # Uppgång C
    assert "below target" in page and f"/app/actions?place={world.stairwell_low}" in page
    assert "Serviceindex" in page
    assert page.count('role="img"') >= 3 and "<desc" in page
    assert "<form" not in page.split('class="report-body"')[1].split("section-themes")[0]


def test_texts_saved_per_section(client: Any, world: World) -> None:
    login(client, world.communicator)
    url = f"/app/reports/{world.report_id}"
    response = client.post(f"{url}/texts", data={"section": "breakdown", "text": "Uppgång B!"})
    assert response.status_code == 303 and response.location.endswith("#section-breakdown")
    assert "Uppgång B!" in text(client.get(url))
    assert client.post(f"{url}/texts", data={"section": "nope", "text": "x"}).status_code == 422
    client.post("/logout")
    login(client, world.staff)
    assert client.post(f"{url}/texts", data={"section": "intro", "text": "x"}).status_code == 403


def test_quotes_and_clips_added_ordered_and_refused(client: Any, world: World) -> None:
    login(client, world.communicator)
    url = f"/app/reports/{world.report_id}/items"
    page = text(client.get(url))
    assert "Städningen är jättebra!" in page and "The tenant did not allow quoting." in page
    assert "The tenant did not allow the clip to be shown." in page

    def add(answer_id: int, kind: str) -> Any:
        return client.post(f"{url}/add", data={"answer_id": answer_id, "kind": kind})

    assert add(world.quotable, "quote").status_code == 303
    assert add(world.clip, "clip").status_code == 303
    refused = add(world.unquotable, "quote")
    assert refused.status_code == 422 and "cannot be quoted" in text(refused)
    assert add(world.hidden_clip, "clip").status_code == 422
    assert add(world.quotable, "quote").status_code == 409
    assert add(2**31 - 1, "quote").status_code == 404
    session = system_session()
    items = session.scalars(
        sa.select(ReportItem).where(ReportItem.report_id == world.report_id)
        .order_by(ReportItem.position)
    ).all()  # fmt: skip
    assert [i.kind for i in items] == ["quote", "clip"]
    client.post(f"{url}/{items[1].id}/move", data={"direction": "up"})
    session.expire_all()
    assert [i.kind for i in sorted(items, key=lambda i: i.position)] == ["clip", "quote"]
    report = text(client.get(f"/app/reports/{world.report_id}"))
    assert report.index("<video") < report.index("Städningen är jättebra!")
    assert "Play highlight reel" in report
    # Consent withdrawn: the quote leaves the report at once.
    session.get(Answer, world.quotable).consent_quote = False
    session.commit()
    assert "Städningen är jättebra!" not in text(client.get(f"/app/reports/{world.report_id}"))
    client.post(f"{url}/{items[0].id}/remove")
    assert session.scalar(sa.select(sa.func.count(ReportItem.id)).where(
        ReportItem.report_id == world.report_id)) == 1  # fmt: skip
