"""Codes: an organisation's own tags, put on answers by hand ("repair promised", "quote for the
board"). A code belongs to the organisation and is used across questions and touchpoints; finding
themes again never touches them. Nothing here commits: the caller does."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.answers.models import Answer
from panel.core.db import utcnow
from panel.core.errors import Conflict, NotFound, ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.routing import parse_id
from panel.themes.models import AnswerCode, Code
from panel.themes.scopes import Scope

MAX_NAME = 80


@dataclass(frozen=True)
class CodeCount:
    """A code and how many answers carry it: in the scope shown, and in all."""

    code: Code
    here: int
    everywhere: int


def get_code(session: Session, code_id: object) -> Code:
    """A code of the organisation, or NotFound."""
    parsed = parse_id(code_id)
    code = session.get(Code, parsed) if parsed is not None else None
    if code is None:
        raise NotFound(_l("There is no such code. It may have been removed."))
    return code


def create_code(session: Session, name: str) -> Code:
    """A new code; names are the organisation's own and unique whatever their case."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(_l("Write a name for the code."), details={"name": [_l("Required.")]})
    if len(name) > MAX_NAME:
        raise ValidationError(
            _l("A code's name can be at most %(num)s characters.", num=MAX_NAME),
            details={"name": [_l("Too long.")]},
        )
    taken = session.scalar(sa.select(Code).where(sa.func.lower(Code.name) == name.lower()))
    if taken is not None:
        raise Conflict(_l("There is a code called “%(name)s” already.", name=taken.name))
    code = Code(name=name)
    session.add(code)
    session.flush()
    return code


def tag(session: Session, answer: Answer, code: Code, user_id: int | None) -> bool:
    """Put ``code`` on ``answer``; False when it was there already."""
    if _tagged(session, answer.id, code.id) is not None:
        return False
    session.add(
        AnswerCode(
            organisation_id=answer.organisation_id,
            answer_id=answer.id,
            code_id=code.id,
            created_by_id=user_id,
            created_at=utcnow(),
        )
    )
    session.flush()
    return True


def untag(session: Session, answer: Answer, code: Code) -> bool:
    """Take ``code`` off ``answer``; False when it was not on it."""
    found = _tagged(session, answer.id, code.id)
    if found is None:
        return False
    session.delete(found)
    session.flush()
    return True


def codes_with_counts(session: Session, scope: Scope) -> list[CodeCount]:
    """Every code of the organisation, with how many answers carry it here and in all."""
    here = dict(
        session.execute(
            sa.select(AnswerCode.code_id, sa.func.count())
            .join(Answer, Answer.id == AnswerCode.answer_id)
            .where(scope.condition())
            .group_by(AnswerCode.code_id)
        ).all()
    )
    everywhere = dict(
        session.execute(
            sa.select(AnswerCode.code_id, sa.func.count()).group_by(AnswerCode.code_id)
        ).all()
    )
    return [
        CodeCount(code, here.get(code.id, 0), everywhere.get(code.id, 0))
        for code in session.scalars(sa.select(Code).order_by(sa.func.lower(Code.name), Code.id))
    ]


def codes_of(session: Session, answer_ids: list[int]) -> dict[int, list[Code]]:
    """The codes on each of these answers, by name."""
    found: dict[int, list[Code]] = {answer_id: [] for answer_id in answer_ids}
    if not answer_ids:
        return found
    rows = session.execute(
        sa.select(AnswerCode.answer_id, Code)
        .join(Code, Code.id == AnswerCode.code_id)
        .where(AnswerCode.answer_id.in_(answer_ids))
        .order_by(sa.func.lower(Code.name))
    ).all()
    for answer_id, code in rows:
        found[answer_id].append(code)
    return found


def _tagged(session: Session, answer_id: int, code_id: int) -> AnswerCode | None:
    return session.scalar(
        sa.select(AnswerCode).where(
            AnswerCode.answer_id == answer_id, AnswerCode.code_id == code_id
        )
    )
