"""The demo's action plan: on the area of the stairwell furthest below target, tied to the
organisation's report, five items in Swedish in every status, with comments."""

from __future__ import annotations

import sqlalchemy as sa

from panel.actions.demo import seed_demo_actions
from panel.actions.models import ActionComment, ActionItem
from tests.factories import system_session


def test_the_demo_plan(db_session, organisation, communicator, staff, tree, report, answered):
    seed_demo_actions(db_session, organisation)
    db_session.commit()
    session = system_session()
    items = session.scalars(sa.select(ActionItem).order_by(ActionItem.id)).all()
    assert len(items) == 5
    assert items[0].title == "Byta belysning i trapphuset Björkvägen 3B"
    assert items[0].place_id == tree["stairwell"].id  # 3 of 12 at target: below 80 %
    assert {i.status for i in items} == {"planned", "doing", "done"}
    assert {i.report_id for i in items} == {report.id}
    assert all(i.place.area_id in (None, tree["area"].id) for i in items)
    assert {i.responsible_id for i in items} >= {staff.id, communicator.id}
    assert len(session.scalars(sa.select(ActionComment)).all()) == 3
