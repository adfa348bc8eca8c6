"""Composite indices: an organisation's own weighted sets of score questions with targets
(e.g. a service index: mean at least 7.0 and at least 85 % at target), and which national kind
of index each is for the benchmark across organisations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.core.errors import NotFound, ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.routing import parse_id
from panel.core.scoping import required_organisation
from panel.questions.models import Question
from panel.reports.models import CompositeIndex, IndexComponent

BENCHMARK_KEYS = ("service", "product", "safety", "overall")
MAX_NAME = 120
MAX_DESCRIPTION = 2000
MAX_WEIGHT = 100.0


def benchmark_labels() -> dict[str, Any]:
    """The benchmark kinds, as people read them."""
    return {
        "service": _l("Service"),
        "product": _l("Product (the home and building)"),
        "safety": _l("Safety"),
        "overall": _l("Overall satisfaction"),
    }


def list_indices(session: Session) -> list[CompositeIndex]:
    """The organisation's indices, by name."""
    return list(session.scalars(sa.select(CompositeIndex).order_by(CompositeIndex.name)))


def get_index(session: Session, index_id: Any) -> CompositeIndex:
    """The index with this id in the session's organisation, or NotFound."""
    index = None
    if (iid := parse_id(index_id)) is not None:
        index = session.scalar(sa.select(CompositeIndex).where(CompositeIndex.id == iid))
    if index is None:
        raise NotFound(_l("There is no such index. It may have been deleted."))
    return index


def score_questions(session: Session) -> list[Question]:
    """The organisation's questions that take a score, newest first (what an index is made of)."""
    questions = session.scalars(sa.select(Question).order_by(Question.id.desc())).all()
    return [q for q in questions if "score" in (q.answer_modes or [])]


def _text(values: Mapping[str, Any], key: str) -> str:
    return " ".join(str(values.get(key) or "").split())


def _optional_number(
    values: Mapping[str, Any], key: str, low: float, high: float, message: Any
) -> float | None:
    raw = str(values.get(key) or "").strip().replace(",", ".")
    if not raw:
        return None
    try:
        number = float(raw)
    except ValueError:
        number = float("nan")
    if not low <= number <= high:
        raise ValidationError(message, details={key: [message]})
    return round(number, 2)


def clean(session: Session, values: Mapping[str, Any], index_id: int | None = None) -> dict:
    """The index's fields from a form's values (``weight-<question id>`` for each component,
    blank for a question left out), or a ValidationError naming the field."""
    errors: dict[str, list[Any]] = {}
    name = _text(values, "name")
    if not name:
        errors["name"] = [_l("Give the index a name.")]
    elif len(name) > MAX_NAME or "\x00" in name:
        errors["name"] = [_l("Use at most %(limit)s characters.", limit=MAX_NAME)]
    else:
        taken = session.scalar(
            sa.select(CompositeIndex.id).where(
                sa.func.lower(CompositeIndex.name) == name.lower(),
                CompositeIndex.id != (index_id or 0),
            )
        )
        if taken:
            errors["name"] = [_l("Another index is called that already.")]
    description = str(values.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION or "\x00" in description:
        errors["description"] = [_l("Use at most %(limit)s characters.", limit=MAX_DESCRIPTION)]
    fields: dict[str, Any] = {}
    for key, low, high, message in (
        ("target_mean", 1, 10, _l("The target mean is a number from 1 to 10, or blank.")),
        ("target_share", 0, 100, _l("The target share is a percentage from 0 to 100, or blank.")),
    ):
        try:
            fields[key] = _optional_number(values, key, low, high, message)
        except ValidationError as exc:
            errors.update(exc.details)
    key = str(values.get("benchmark_key") or "").strip() or None
    if key is not None and key not in BENCHMARK_KEYS:
        errors["benchmark_key"] = [_l("Choose one of the kinds listed, or none.")]
    components: list[tuple[int, float]] = []
    allowed = {q.id for q in score_questions(session)}
    for field, raw in values.items():
        if not str(field).startswith("weight-") or not str(raw or "").strip():
            continue
        question_id = parse_id(str(field).removeprefix("weight-"))
        try:
            weight = float(str(raw).strip().replace(",", "."))
        except ValueError:
            weight = float("nan")
        if question_id not in allowed:
            errors["components"] = [_l("Choose among your organisation's score questions.")]
        elif not 0 < weight <= MAX_WEIGHT:
            errors.setdefault(str(field), []).append(
                _l("A weight is a number above 0 and at most %(max)s.", max=int(MAX_WEIGHT))
            )
        else:
            components.append((question_id, weight))
    if not components and "components" not in errors:
        errors["components"] = [_l("Give at least one score question a weight.")]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationError(first, details=errors)
    return {
        "name": name,
        "description": description,
        "target_mean": fields["target_mean"],
        "target_share": fields["target_share"],
        "benchmark_key": key,
        "components": sorted(components),
    }


def save_index(
    session: Session, values: Mapping[str, Any], index: CompositeIndex | None = None
) -> CompositeIndex:
    """Create the index (``index`` None) or change it, every field checked. Not committed."""
    organisation_id = required_organisation(session, "Saving an index")
    cleaned = clean(session, values, index.id if index else None)
    components = cleaned.pop("components")
    if index is None:
        index = CompositeIndex(organisation_id=organisation_id, **cleaned)
        session.add(index)
    else:
        for key, value in cleaned.items():
            setattr(index, key, value)
    wanted = dict(components)
    for component in list(index.components):
        if component.question_id not in wanted:
            index.components.remove(component)
        else:
            component.weight = wanted.pop(component.question_id)
    for question_id, weight in wanted.items():
        index.components.append(
            IndexComponent(organisation_id=organisation_id, question_id=question_id, weight=weight)
        )
    session.flush()
    return index


def delete_index(session: Session, index: CompositeIndex) -> None:
    """Delete the index (its components go with it; reports naming it no longer show it)."""
    session.delete(index)
    session.flush()
