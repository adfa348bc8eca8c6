"""Demo places and contacts for "Demo Bostäder": three areas of a Swedish town, their buildings
and stairwells, and 300 tenants with Swedish names, e-mail addresses, +46 mobile numbers,
languages, tags and a consent entry each.

Deterministic (a seeded ``random.Random``), so every demo shows the same people. E-mail
addresses use the example.* domains, so no demo message can reach a real inbox.
"""

from __future__ import annotations

import random
import unicodedata

import sqlalchemy as sa
from sqlalchemy.orm import Session

from notifications import optouts
from notifications.models import Channel
from panel.contacts.bulk import UpsertItem, upsert_contacts
from panel.contacts.models import Contact
from panel.contacts.service import ConsentInput
from panel.core.scoping import scoped_to
from panel.organisations.models import Organisation
from panel.places.models import Place
from panel.places.service import create_place

AREAS = {
    "Norra Ängby": ("Ängbyplan 3", "Bergslagsvägen 112", "Sorterargatan 8", "Klövervägen 21"),
    "Centrum": ("Storgatan 4", "Drottninggatan 17", "Kyrkogatan 9", "Torggatan 2"),
    "Sjöstaden": ("Hammarby allé 31", "Lugnets allé 12", "Sickla kaj 5", "Hammarby kaj 18"),
}
STAIRWELLS = ("Trapphus A", "Trapphus B", "Trapphus C")
FIRST_NAMES = (
    "Anna", "Maria", "Karin", "Sara", "Emma", "Elin", "Ida", "Linnea", "Sofia", "Maja",
    "Ingrid", "Birgitta", "Margareta", "Eva", "Kerstin", "Lena", "Astrid", "Ebba", "Alice",
    "Wilma", "Erik", "Lars", "Karl", "Anders", "Johan", "Per", "Nils", "Mikael", "Oskar",
    "Lucas", "Hugo", "William", "Liam", "Elias", "Gustav", "Olof", "Bengt", "Sven", "Ali",
    "Fatima", "Yusuf", "Amina", "Mohammed", "Leyla", "Noah", "Ella", "Freja", "Axel", "Vera",
)  # fmt: skip
LAST_NAMES = (
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
    "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson",
    "Bengtsson", "Lindqvist", "Lindberg", "Lindström", "Berg", "Holm", "Sandberg", "Forsberg",
    "Sjöberg", "Wallin", "Engström", "Lundgren", "Ekström", "Åberg", "Öberg", "Hassan",
    "Ahmed", "Yilmaz", "Nguyen", "de Vries", "Smith",
)  # fmt: skip
MOBILE_PREFIXES = ("70", "72", "73", "76", "79")
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
CONSENT_TEXT = (
    "Jag vill vara med i Demo Bostäders hyresgästpanel och få korta frågor via e-post och sms. "
    "Jag kan lämna panelen när jag vill."
)
CONTACTS = 300


def seed_places(session: Session) -> list[Place]:
    """3 areas of 4 buildings of 3 stairwells; returns the stairwells (where tenants live)."""
    stairwells = []
    for area_number, (area_name, streets) in enumerate(AREAS.items(), start=1):
        area = create_place(session, area_name, code=f"{area_number}0")
        for building_number, street in enumerate(streets, start=1):
            code = f"{area_number}{building_number:02d}"
            building = create_place(session, street, area, code=code)
            for stairwell in STAIRWELLS:
                stairwells.append(
                    create_place(session, stairwell, building, code=f"{code}-{stairwell[-1]}")
                )
    return stairwells


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return plain.lower().replace(" ", "")


def _tags(rng: random.Random) -> list[str]:
    tags = []
    for tag, share in (
        ("panel", 0.45),
        ("senior", 0.15),
        ("ny hyresgäst", 0.1),
        ("styrelse", 0.03),
    ):
        if rng.random() < share:
            tags.append(tag)
    return tags


def demo_contacts(rng: random.Random, stairwell_ids: list[int]) -> list[UpsertItem]:
    """300 tenants spread over the stairwells, each with a consent entry."""
    items: list[UpsertItem] = []
    emails: set[str] = set()
    phones: set[str] = set()
    while len(items) < CONTACTS:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{_ascii(first)}.{_ascii(last)}@{rng.choice(EMAIL_DOMAINS)}"
        if email in emails:
            email = email.replace("@", f"{rng.randint(2, 99)}@")
        phone = f"+46{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 9_999_999):07d}"
        if email in emails or phone in phones:
            continue
        emails.add(email)
        phones.add(phone)
        language = rng.choices(("sv", "en", "nl"), weights=(85, 10, 5))[0]
        values = {
            "name": f"{first} {last}",
            # A few tenants are reachable by one channel only, as in real registers.
            "email": email if rng.random() > 0.06 else None,
            "phone": phone if rng.random() > 0.12 else None,
            "language": language,
            "place_id": stairwell_ids[len(items) % len(stairwell_ids)],
            "tags": _tags(rng),
        }
        if not values["email"] and not values["phone"]:
            values["email"] = email
        values = {k: v for k, v in values.items() if v is not None}
        consent = ConsentInput(basis="consent", text=CONSENT_TEXT, text_version="2026-01")
        items.append(UpsertItem(values, consent))
    return items


def seed_directory(session: Session, organisation: Organisation) -> None:
    """Places and contacts of the demo organisation (in the session's transaction)."""
    rng = random.Random(2611)
    with scoped_to(session, organisation.id):
        stairwells = seed_places(session)
        items = demo_contacts(rng, [p.id for p in stairwells])
        # Most came from the landlord's register, the rest joined on the panel page.
        upsert_contacts(session, organisation, items[:220], method="csv")
        upsert_contacts(session, organisation, items[220:], method="join")
        seed_opt_outs(session, organisation)


def seed_opt_outs(session: Session, organisation: Organisation) -> None:
    """Two tenants said no more: one replied STOPP to an SMS, one used an e-mail's one-click
    unsubscribe (their pages show it; sends leave them out)."""
    first = (
        sa.select(Contact).where(Contact.organisation_id == organisation.id).order_by(Contact.id)
    )
    by_sms = session.scalar(first.where(Contact.phone.is_not(None)).limit(1))
    by_email = session.scalar(
        first.where(Contact.email.is_not(None), Contact.id != (by_sms.id if by_sms else 0)).limit(1)
    )
    if by_sms is not None and by_sms.phone:
        optouts.opt_out(
            session,
            organisation.id,
            Channel.SMS,
            by_sms.phone,
            contact_id=by_sms.id,
            method="sms_keyword",
            detail="STOPP",
        )
    if by_email is not None and by_email.email:
        optouts.opt_out(
            session,
            organisation.id,
            Channel.EMAIL,
            by_email.email,
            contact_id=by_email.id,
            method="one_click",
            detail="panel-1",
        )
