"""The demo panel "Tillsammans": 240 active members of Demo Bostäder's tenants (more tenants are
added if the directory has too few), joined over the last six months so the growth chart has a
shape, a few who left or are still to confirm, age bands on the members, two segments.

Deterministic (a seeded ``random.Random``), so every demo shows the same panel.
"""

from __future__ import annotations

import datetime as dt
import random

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.contacts.bulk import UpsertItem, upsert_contacts
from panel.contacts.demo import EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, _ascii
from panel.contacts.models import ConsentEvent, Contact
from panel.contacts.service import AGE_BANDS
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.organisations.models import Organisation
from panel.panels import segments, service
from panel.panels.models import MemberSource, MemberStatus, Panel, PanelMember
from panel.places.models import Place, PlaceKind

PANEL_NAME = "Tillsammans"
DESCRIPTION = (
    "Tillsammans är Demo Bostäders hyresgästpanel. Ungefär en gång i månaden får du en kort "
    "fråga om ditt boende, ditt trapphus eller ditt område, som video med text. Du svarar när "
    "det passar dig, med text, ett betyg eller en egen video, och vi berättar vad vi gör av "
    "svaren."
)
CONSENT = (
    "Jag vill vara med i Tillsammans, Demo Bostäders hyresgästpanel. Jag får korta frågor via "
    "e-post eller sms, högst några gånger i månaden. Mina svar används för att förbättra "
    "boendet och kan citeras utan mitt namn. Jag kan när som helst lämna panelen via länken i "
    "varje meddelande, och då raderas mina kontaktuppgifter från panelen."
)
ACTIVE = 240
LEFT = 7
PENDING = 4
WEEKS = 26
# Most tenants of working age, fewer of the youngest and oldest, as in a housing register.
AGE_WEIGHTS = (12, 26, 30, 22, 10)


def _joined_times(rng: random.Random, count: int, now: dt.datetime) -> list[dt.datetime]:
    """Join moments over the last 26 weeks, more in recent weeks (the panel is growing)."""
    weights = [1 + week * 0.12 for week in range(WEEKS)]
    times = []
    for _ in range(count):
        week = rng.choices(range(WEEKS), weights=weights)[0]
        moment = now - dt.timedelta(weeks=WEEKS - 1 - week, seconds=rng.randint(0, 6 * 86_400))
        times.append(min(moment, now))
    return sorted(times)


def _extra_tenants(rng: random.Random, count: int, taken: set[str]) -> list[UpsertItem]:
    items = []
    while len(items) < count:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{_ascii(first)}.{_ascii(last)}{rng.randint(100, 999)}@{rng.choice(EMAIL_DOMAINS)}"
        if email in taken:
            continue
        taken.add(email)
        items.append(UpsertItem({"name": f"{first} {last}", "email": email, "language": "sv"}))
    return items


def _contact_ids(session: Session, organisation: Organisation, rng: random.Random) -> list[int]:
    """The directory's contacts, with enough added to fill the panel."""
    wanted = ACTIVE + LEFT + PENDING
    ids = list(session.scalars(sa.select(Contact.id).order_by(Contact.id)))
    if len(ids) < wanted:
        taken = set(session.scalars(sa.select(Contact.email).where(Contact.email.is_not(None))))
        items = _extra_tenants(rng, wanted - len(ids), taken)
        result = upsert_contacts(session, organisation, items, method="join")
        ids += [i for i in result.ids if i is not None]
    rng.shuffle(ids)
    return ids[:wanted]


def _give_age_bands(session: Session, organisation: Organisation, rng: random.Random) -> None:
    table = Contact.__table__
    rows = [
        {"match_id": contact_id, "band": rng.choices(AGE_BANDS, weights=AGE_WEIGHTS)[0]}
        for contact_id in session.scalars(
            sa.select(Contact.id).where(Contact.age_band.is_(None)).order_by(Contact.id)
        )
    ]
    if rows:
        session.execute(
            sa.update(table)
            .where(
                table.c.id == sa.bindparam("match_id"),
                table.c.organisation_id == organisation.id,
            )
            .values(age_band=sa.bindparam("band")),
            rows,
        )


def seed_demo_panel(session: Session, organisation: Organisation) -> Panel:
    """The panel "Tillsammans" with its members and segments (in the session's transaction)."""
    rng = random.Random(1312)
    now = utcnow()
    with scoped_to(session, organisation.id):
        panel = service.create_panel(
            session, organisation, name=PANEL_NAME, description=DESCRIPTION, consent_text=CONSENT
        )
        version = service.current_consent(session, panel)
        assert version is not None
        ids = _contact_ids(session, organisation, rng)
        _give_age_bands(session, organisation, rng)
        active, left, pending = ids[:ACTIVE], ids[ACTIVE : ACTIVE + LEFT], ids[ACTIVE + LEFT :]
        service.add_members(session, panel, active + left, source=MemberSource.CONTACTS)
        joined = _joined_times(rng, len(active) + len(left), now)
        table = PanelMember.__table__
        session.execute(
            sa.update(table)
            .where(
                table.c.organisation_id == organisation.id,
                table.c.panel_id == panel.id,
                table.c.contact_id == sa.bindparam("match_contact"),
            )
            .values(
                joined_at=sa.bindparam("joined"),
                created_at=sa.bindparam("joined"),
                consent_version_id=version.id,
                source=sa.bindparam("how"),
            ),
            [
                {
                    "match_contact": contact_id,
                    "joined": moment,
                    "how": rng.choice((MemberSource.JOIN.value, MemberSource.CONTACTS.value)),
                }
                for contact_id, moment in zip(active + left, joined, strict=True)
            ],
        )
        session.execute(
            sa.insert(ConsentEvent),
            [
                {
                    "organisation_id": organisation.id,
                    "contact_id": contact_id,
                    "channel": "any",
                    "granted": True,
                    "basis": "consent",
                    "method": "join",
                    "text": version.text,
                    "text_version": version.label,
                    "recorded_at": moment,
                }
                for contact_id, moment in zip(active + left, joined, strict=True)
            ],
        )
        members = {
            m.contact_id: m
            for m in session.scalars(sa.select(PanelMember).where(PanelMember.panel_id == panel.id))
        }
        session.expire_all()
        for contact_id in left:
            service.leave(session, members[contact_id], method="me")
        for contact_id in pending:
            session.add(
                PanelMember(
                    organisation_id=organisation.id,
                    panel_id=panel.id,
                    contact_id=contact_id,
                    status=MemberStatus.PENDING,
                    source=MemberSource.JOIN,
                    me_token=service.new_token(),
                    consent_version_id=version.id,
                    created_at=now - dt.timedelta(hours=rng.randint(1, 48)),
                )
            )
        area = session.scalar(
            sa.select(Place).where(Place.kind == PlaceKind.AREA).order_by(Place.name).limit(1)
        )
        if area is not None:
            segments.create_segment(session, panel, f"Boende i {area.name}", place_id=area.id)
        segments.create_segment(session, panel, "Seniorer 65+", age_bands=["65-79", "80+"])
        session.flush()
    return panel
