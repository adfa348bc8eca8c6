"""Contact and ConsentEvent."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.core.db import Base, TimestampMixin, intpk, timestamp
from panel.core.scoping import OrgScoped
from panel.places.models import Place


class Contact(OrgScoped, TimestampMixin, Base):
    """A tenant we may reach. E-mail is stored lower-cased, phone in E.164; each is unique per
    organisation so imports and the API can upsert by either."""

    __tablename__ = "contact"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "email"),
        sa.UniqueConstraint("organisation_id", "phone"),
    )

    id: Mapped[intpk]
    name: Mapped[str | None] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    language: Mapped[str] = mapped_column(sa.String(2), default="sv")
    place_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("place.id", ondelete="SET NULL"), index=True
    )
    tags: Mapped[list[str]] = mapped_column(default=list)
    age_band: Mapped[str | None] = mapped_column(sa.String(10))  # see service.AGE_BANDS
    external_ref: Mapped[str | None] = mapped_column(sa.String(120))

    place: Mapped[Place | None] = relationship(lazy="joined")
    consents: Mapped[list[ConsentEvent]] = relationship(
        back_populates="contact", order_by="ConsentEvent.recorded_at", cascade="all, delete-orphan"
    )


class ConsentEvent(OrgScoped, Base):
    """One entry of a contact's consent log: what was agreed or withdrawn, when, how, on what
    legal basis and with which text. Append-only."""

    __tablename__ = "consent_event"

    id: Mapped[intpk]
    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(sa.String(10))  # email | sms | any
    granted: Mapped[bool] = mapped_column(default=True)
    basis: Mapped[str] = mapped_column(sa.String(30))  # consent | contract | legitimate_interest
    method: Mapped[str] = mapped_column(sa.String(20))  # csv | api | app | join | touchpoint
    text: Mapped[str] = mapped_column(sa.Text, default="")
    text_version: Mapped[str | None] = mapped_column(sa.String(40))
    recorded_at: Mapped[timestamp]
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    contact: Mapped[Contact] = relationship(back_populates="consents")
