"""The fatigue cap: at most N questions a month reach one panel member (an organisation
setting; sends honour it, skipping members who reached it)."""

from __future__ import annotations

from typing import Any

from panel.core.errors import ValidationError
from panel.core.i18n import lazy_text as _l
from panel.organisations.models import Organisation

MIN_CAP = 1
MAX_CAP = 31


def clean_fatigue_cap(value: Any) -> int | None:
    """A whole number from 1 to 31, or None (blank) for no cap."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        cap = int(str(value).strip())
    except ValueError:
        cap = None
    if cap is None or isinstance(value, bool) or not MIN_CAP <= cap <= MAX_CAP:
        raise ValidationError(
            _l(
                "Write a whole number from %(min)s to %(max)s, or leave it blank for no limit.",
                min=MIN_CAP,
                max=MAX_CAP,
            ),
            code="invalid_fatigue_cap",
            details={"fatigue_cap": [_l("From %(min)s to %(max)s.", min=MIN_CAP, max=MAX_CAP)]},
        )
    return cap


def set_fatigue_cap(organisation: Organisation, value: Any) -> int | None:
    """Store the organisation's cap (cleaned; None removes it). Not committed."""
    organisation.fatigue_cap = clean_fatigue_cap(value)
    return organisation.fatigue_cap
