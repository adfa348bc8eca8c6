"""Place: one node of an organisation's area → building → stairwell tree."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.core.db import Base, TimestampMixin, intpk, str120
from panel.core.scoping import OrgScoped


class PlaceKind(enum.StrEnum):
    """The three levels of the tree, top down."""

    AREA = "area"
    BUILDING = "building"
    STAIRWELL = "stairwell"

    @property
    def child(self) -> PlaceKind | None:
        order = list(PlaceKind)
        index = order.index(self)
        return order[index + 1] if index + 1 < len(order) else None

    @property
    def parent(self) -> PlaceKind | None:
        order = list(PlaceKind)
        index = order.index(self)
        return order[index - 1] if index else None


class Place(OrgScoped, TimestampMixin, Base):
    """A node of the tree. ``path`` ("Area / Building / Stairwell") is unique per organisation
    and makes imports idempotent; reports group by the ancestor ids kept on every node."""

    __tablename__ = "place"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "path"),)

    id: Mapped[intpk]
    kind: Mapped[PlaceKind] = mapped_column(
        sa.Enum(
            PlaceKind, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
        )
    )
    name: Mapped[str120]
    code: Mapped[str | None] = mapped_column(sa.String(60))
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("place.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(sa.String(400))
    area_id: Mapped[int | None] = mapped_column(sa.ForeignKey("place.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(sa.ForeignKey("place.id"), index=True)

    parent: Mapped[Place | None] = relationship(
        remote_side="Place.id", foreign_keys=[parent_id], back_populates="children"
    )
    children: Mapped[list[Place]] = relationship(
        foreign_keys=[parent_id], back_populates="parent", order_by="Place.name"
    )
