"""Where themes are found: a scope is a set of answers with themes of its own.

An answer belongs to the scope of its question, to that of its touchpoint when it came through
one, and to any report that takes it in; its themes in one scope do not move it in another.
``question`` and ``touchpoint`` scopes name their answers by a column of the answer; a
``report`` scope is given its answers' ids (reports choose them by questions, dates and places).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import sqlalchemy as sa

from panel.answers.models import Answer

QUESTION = "question"
TOUCHPOINT = "touchpoint"
REPORT = "report"
KINDS = (QUESTION, TOUCHPOINT, REPORT)


@dataclass(frozen=True)
class Scope:
    """A set of answers with themes: a question's, a touchpoint's, or a report's."""

    kind: str
    id: int
    answer_ids: frozenset[int] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"no scope kind {self.kind!r}")
        if self.kind == REPORT and self.answer_ids is None:
            raise ValueError("a report's scope is given its answers' ids")

    def condition(self) -> sa.ColumnElement[bool]:
        """Which answers are in the scope, as a condition on :class:`Answer`."""
        if self.kind == QUESTION:
            return Answer.question_id == self.id
        if self.kind == TOUCHPOINT:
            return Answer.touchpoint_id == self.id
        return Answer.id.in_(sorted(self.answer_ids or ()))


def of_question(question_id: int) -> Scope:
    return Scope(QUESTION, question_id)


def of_touchpoint(touchpoint_id: int) -> Scope:
    return Scope(TOUCHPOINT, touchpoint_id)


def of_report(report_id: int, answer_ids: Collection[int]) -> Scope:
    return Scope(REPORT, report_id, frozenset(answer_ids))


def scopes_of(answer: Answer) -> list[Scope]:
    """The question and touchpoint scopes an answer is in (reports place answers themselves)."""
    found = [of_question(answer.question_id)]
    if answer.touchpoint_id is not None:
        found.append(of_touchpoint(answer.touchpoint_id))
    return found
