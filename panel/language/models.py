"""MachineTranslation: a text translated by the offline model, kept so that it is made once.

A row is keyed by the SHA-256 of the source text and the language pair, so the same words in
two answers (or a page drawn twice) cost one translation. It is always shown marked as a
machine translation beside the original, which stays the record.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from panel.core.db import Base, intpk, timestamp
from panel.core.scoping import OrgScoped


class MachineTranslation(OrgScoped, Base):
    __tablename__ = "machine_translation"
    __table_args__ = (
        sa.UniqueConstraint(
            "organisation_id",
            "source_hash",
            "source_language",
            "target_language",
            name="uq_machine_translation_source",
        ),
    )

    id: Mapped[intpk]
    source_hash: Mapped[str] = mapped_column(sa.String(64))
    source_language: Mapped[str] = mapped_column(sa.String(5))
    target_language: Mapped[str] = mapped_column(sa.String(5))
    text: Mapped[str] = mapped_column(sa.Text)
    engine: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[timestamp]
