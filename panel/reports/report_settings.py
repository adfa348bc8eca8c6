"""The organisation's report settings (admins, on the settings page), in
``Organisation.settings``: the score target (a score at or above it is "at target", 1-10), the
share at target a place must reach (0-100 %), the smallest group shown (1-100 answers), and
whether the organisation takes part in the anonymous benchmark across organisations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from panel.core.errors import ValidationError
from panel.core.i18n import lazy_text as _l
from panel.organisations.models import Organisation
from panel.reports.figures import MIN_GROUP, SCORE_TARGET, TARGET_SHARE

BENCHMARK_OPT_IN = "benchmark_opt_in"
LIMITS = {
    SCORE_TARGET[0]: (1, 10),
    TARGET_SHARE[0]: (0, 100),
    MIN_GROUP[0]: (1, 100),
}
MESSAGES = {
    SCORE_TARGET[0]: _l("The score target is a whole number from 1 to 10."),
    TARGET_SHARE[0]: _l("The share at target is a percentage from 0 to 100."),
    MIN_GROUP[0]: _l("The smallest group shown is a whole number of answers from 1 to 100."),
}


@dataclass(frozen=True)
class ReportSettings:
    score_target: int
    target_share: float
    min_group: int
    benchmark_opt_in: bool


def current(organisation: Organisation) -> ReportSettings:
    """The saved settings, with their defaults."""

    def read(key: tuple[str, Any], kind: type) -> Any:
        try:
            value = kind(organisation.setting(key[0], key[1]))
        except (TypeError, ValueError):
            return key[1]
        low, high = LIMITS[key[0]]
        return value if low <= value <= high else key[1]

    return ReportSettings(
        score_target=read(SCORE_TARGET, int),
        target_share=read(TARGET_SHARE, float),
        min_group=read(MIN_GROUP, int),
        benchmark_opt_in=bool(organisation.setting(BENCHMARK_OPT_IN, False)),
    )


def _number(values: Mapping[str, Any], key: str, whole: bool) -> int | float:
    raw = str(values.get(key) or "").strip().replace(",", ".")
    low, high = LIMITS[key]
    try:
        number: float = float(raw)
    except ValueError:
        number = float("nan")
    if not (low <= number <= high) or (whole and not number.is_integer()):
        raise ValidationError(MESSAGES[key], details={key: [MESSAGES[key]]})
    return int(number) if whole else round(number, 1)


def save(organisation: Organisation, values: Mapping[str, Any]) -> ReportSettings:
    """Check and store the settings from a form's values (a ValidationError names the first
    field that is wrong; nothing is stored then). Not committed."""
    cleaned = {
        SCORE_TARGET[0]: _number(values, SCORE_TARGET[0], whole=True),
        TARGET_SHARE[0]: _number(values, TARGET_SHARE[0], whole=False),
        MIN_GROUP[0]: _number(values, MIN_GROUP[0], whole=True),
        BENCHMARK_OPT_IN: str(values.get(BENCHMARK_OPT_IN) or "") in ("on", "1", "true", "yes"),
    }
    # A new dict: the JSON column notices reassignment, not changes in place.
    organisation.settings = {**(organisation.settings or {}), **cleaned}
    return current(organisation)
