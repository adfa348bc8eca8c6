"""Phone numbers: parsed with ``phonenumbers``, stored in E.164, refused with the reason why.

A number written without a country code ("070-123 45 67") is read in the organisation's home
region, which follows its default language: Swedish → Sweden, Dutch → the Netherlands,
English → the United Kingdom.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

from panel.core.i18n import lazy_text as _l

REGION_BY_LANGUAGE = {"sv": "SE", "nl": "NL", "en": "GB"}
MAX_INPUT_LENGTH = 40

_UNKNOWN_COUNTRY = _l("the country code is not one we know")
_TOO_SHORT = _l("it is too short")
_TOO_LONG = _l("it is too long")
_UNREADABLE = _l("it could not be read")
_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: _UNKNOWN_COUNTRY,
    NumberParseException.NOT_A_NUMBER: _l("it is not a phone number"),
    NumberParseException.TOO_SHORT_AFTER_IDD: _TOO_SHORT,
    NumberParseException.TOO_SHORT_NSN: _TOO_SHORT,
    NumberParseException.TOO_LONG: _TOO_LONG,
}
_POSSIBLE_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: _UNKNOWN_COUNTRY,
    ValidationResult.TOO_SHORT: _TOO_SHORT,
    ValidationResult.TOO_LONG: _TOO_LONG,
    ValidationResult.INVALID_LENGTH: _l("it has the wrong number of digits"),
}


class PhoneNumberError(ValueError):
    """The text is not a valid phone number; ``str(exc)`` says why, for a person (its first
    argument is a LazyText, translated where it is shown)."""


def region_for_language(language: str | None) -> str:
    """The region a number without a country code is read in (default: Sweden)."""
    return REGION_BY_LANGUAGE.get((language or "").lower(), "SE")


def normalise_phone(raw: str, region: str) -> str:
    """``raw`` in E.164 (``+46701234567``), or :class:`PhoneNumberError` with the reason."""
    text = raw.strip()
    if len(text) > MAX_INPUT_LENGTH:
        raise PhoneNumberError(
            _l(
                "“%(number)s…” is not a phone number: %(reason)s",
                number=text[:MAX_INPUT_LENGTH],
                reason=_TOO_LONG,
            )
        )
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        reason = _PARSE_REASONS.get(exc.error_type, _UNREADABLE)
        raise PhoneNumberError(
            _l("“%(number)s” is not a phone number: %(reason)s", number=text, reason=reason)
        ) from exc
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    # Only an invalid number pays for finding out why.
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible not in (ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        reason = _POSSIBLE_REASONS.get(possible, _UNREADABLE)
        raise PhoneNumberError(
            _l("“%(number)s” is not a valid phone number: %(reason)s", number=text, reason=reason)
        )
    where = phonenumbers.region_code_for_number(number) or region
    raise PhoneNumberError(
        _l(
            "“%(number)s” is not a valid phone number in %(region)s; write it with its country "
            "code, e.g. +46 70 123 45 67",
            number=text,
            region=where,
        )
    )


def display_phone(e164: str | None) -> str:
    """An E.164 number written for people: ``+46 70 123 45 67``."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
