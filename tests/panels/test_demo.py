"""The demo panel "Tillsammans": 240 active members joined over six months, a few who left or
wait to confirm, the consent log, two segments that match members."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from panel.contacts.demo import seed_directory
from panel.contacts.models import ConsentEvent, Contact
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.panels import segments, service
from panel.panels.demo import seed_demo_panel
from panel.panels.models import PanelMember


def test_the_demo_panel(db_session, organisation):
    seed_directory(db_session, organisation)
    panel = seed_demo_panel(db_session, organisation)
    db_session.commit()
    with scoped_to(db_session, organisation.id):
        assert panel.name == "Tillsammans"
        assert service.member_counts(db_session, panel) == {"active": 240, "pending": 4, "left": 7}
        growth = service.weekly_growth(db_session, panel)
        assert sum(n for _, n in growth) > 100 and sum(1 for _, n in growth if n) >= 10
        first = db_session.scalar(sa.select(sa.func.min(PanelMember.joined_at)))
        assert utcnow() - first > dt.timedelta(weeks=20)
        names = db_session.scalars(
            sa.select(Contact.name)
            .join(PanelMember, PanelMember.contact_id == Contact.id)
            .where(PanelMember.status == "active")
        ).all()
        assert len(names) == 240 and any("ö" in n or "å" in n or "ä" in n for n in names)
        joins = db_session.scalar(
            sa.select(sa.func.count(ConsentEvent.id)).where(
                ConsentEvent.method == "join", ConsentEvent.text_version == f"{panel.slug} v1"
            )
        )
        assert joins == 247
        made = segments.segments_of(db_session, panel)
        assert len(made) == 2
        for segment in made:
            assert (
                0
                < segments.count_matching(db_session, panel, **segments.segment_criteria(segment))
                < 240
            )


def test_the_demo_panel_adds_tenants_when_the_directory_is_small(db_session, organisation):
    panel = seed_demo_panel(db_session, organisation)
    db_session.commit()
    with scoped_to(db_session, organisation.id):
        assert service.member_counts(db_session, panel)["active"] == 240
