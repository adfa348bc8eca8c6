"""Panel, its consent text versions, PanelMember and Segment."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.contacts.models import Contact
from panel.core.db import Base, TimestampMixin, intpk, str120, timestamp
from panel.core.scoping import OrgScoped


class MemberStatus(enum.StrEnum):
    """A member is ``pending`` until they confirm a join, ``active`` while they take part, and
    ``left`` once they leave (kept, so the consent log and earlier answers still have a row)."""

    PENDING = "pending"
    ACTIVE = "active"
    LEFT = "left"


class MemberSource(enum.StrEnum):
    """How a member came in."""

    CONTACTS = "contacts"
    CSV = "csv"
    API = "api"
    JOIN = "join"


def _enum(kind: type[enum.Enum]) -> sa.Enum:
    return sa.Enum(
        kind, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
    )


class Panel(OrgScoped, TimestampMixin, Base):
    """An opt-in group of contacts. ``slug`` names its public join page ``/join/<slug>``, so it
    is unique across all organisations."""

    __tablename__ = "panel"

    id: Mapped[intpk]
    name: Mapped[str120]
    description: Mapped[str] = mapped_column(sa.Text, default="")
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    is_open: Mapped[bool] = mapped_column(default=True)

    consent_versions: Mapped[list[PanelConsentVersion]] = relationship(
        back_populates="panel",
        order_by="PanelConsentVersion.version",
        cascade="all, delete-orphan",
    )


class PanelConsentVersion(OrgScoped, Base):
    """One version of a panel's consent text. A new row whenever staff change the text; never
    edited, so the consent log can say exactly which words a member agreed to."""

    __tablename__ = "panel_consent_version"
    __table_args__ = (sa.UniqueConstraint("panel_id", "version"),)

    id: Mapped[intpk]
    panel_id: Mapped[int] = mapped_column(sa.ForeignKey("panel.id", ondelete="CASCADE"))
    version: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[timestamp]
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    panel: Mapped[Panel] = relationship(back_populates="consent_versions")

    @property
    def label(self) -> str:
        """How the consent log names this version: "<panel slug> v<n>"."""
        return f"{self.panel.slug} v{self.version}"[:40]


class PanelMember(OrgScoped, Base):
    """A contact's membership of one panel.

    ``me_token`` (≥ 128 bits) opens the member's own page ``/me/<token>``. A join waiting for
    its double opt-in keeps the hash of its e-mail link token or of its SMS code here, with the
    attempts left and an expiry; they are cleared once confirmed.
    """

    __tablename__ = "panel_member"
    __table_args__ = (
        sa.UniqueConstraint("panel_id", "contact_id"),
        sa.Index("ix_panel_member_panel_id_status", "panel_id", "status"),
    )

    id: Mapped[intpk]
    panel_id: Mapped[int] = mapped_column(sa.ForeignKey("panel.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[MemberStatus] = mapped_column(_enum(MemberStatus), default=MemberStatus.ACTIVE)
    source: Mapped[MemberSource] = mapped_column(_enum(MemberSource))
    created_at: Mapped[timestamp]
    joined_at: Mapped[dt.datetime | None]
    left_at: Mapped[dt.datetime | None]
    me_token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    consent_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("panel_consent_version.id", ondelete="SET NULL")
    )
    confirm_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    confirm_code_hash: Mapped[str | None] = mapped_column(sa.String(64))
    confirm_attempts: Mapped[int] = mapped_column(default=0)
    confirm_expires_at: Mapped[dt.datetime | None]

    panel: Mapped[Panel] = relationship(lazy="joined")
    contact: Mapped[Contact] = relationship(lazy="joined")


class Segment(OrgScoped, TimestampMixin, Base):
    """A named part of a panel: members at a place (or anywhere below it), speaking one of the
    languages, in one of the age bands, carrying one of the tags. Empty criteria match all."""

    __tablename__ = "segment"

    id: Mapped[intpk]
    panel_id: Mapped[int] = mapped_column(sa.ForeignKey("panel.id", ondelete="CASCADE"), index=True)
    name: Mapped[str120]
    place_id: Mapped[int | None] = mapped_column(sa.ForeignKey("place.id", ondelete="SET NULL"))
    languages: Mapped[list[str]] = mapped_column(default=list)
    age_bands: Mapped[list[str]] = mapped_column(default=list)
    tags: Mapped[list[str]] = mapped_column(default=list)

    panel: Mapped[Panel] = relationship()
