"""Phone numbers: parsed with ``phonenumbers``, stored in E.164, refused with the reason why.

A number written without a country code ("070-123 45 67") is read in the organisation's home
region, which follows its default language: Swedish → Sweden, Dutch → the Netherlands,
English → the United Kingdom.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

REGION_BY_LANGUAGE = {"sv": "SE", "nl": "NL", "en": "GB"}
MAX_INPUT_LENGTH = 40

_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "the country code is not one we know",
    NumberParseException.NOT_A_NUMBER: "it is not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "it is too short",
    NumberParseException.TOO_SHORT_NSN: "it is too short",
    NumberParseException.TOO_LONG: "it is too long",
}
_POSSIBLE_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "the country code is not one we know",
    ValidationResult.TOO_SHORT: "it is too short",
    ValidationResult.TOO_LONG: "it is too long",
    ValidationResult.INVALID_LENGTH: "it has the wrong number of digits",
}


class PhoneNumberError(ValueError):
    """The text is not a valid phone number; ``str(exc)`` says why, for a person."""


def region_for_language(language: str | None) -> str:
    """The region a number without a country code is read in (default: Sweden)."""
    return REGION_BY_LANGUAGE.get((language or "").lower(), "SE")


def normalise_phone(raw: str, region: str) -> str:
    """``raw`` in E.164 (``+46701234567``), or :class:`PhoneNumberError` with the reason."""
    text = raw.strip()
    if len(text) > MAX_INPUT_LENGTH:
        raise PhoneNumberError(f"'{text[:MAX_INPUT_LENGTH]}…' is not a phone number: too long")
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        reason = _PARSE_REASONS.get(exc.error_type, "it could not be read")
        raise PhoneNumberError(f"'{text}' is not a phone number: {reason}") from exc
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    # Only an invalid number pays for finding out why.
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible not in (ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        reason = _POSSIBLE_REASONS.get(possible, "it could not be read")
        raise PhoneNumberError(f"'{text}' is not a valid phone number: {reason}")
    where = phonenumbers.region_code_for_number(number) or region
    raise PhoneNumberError(
        f"'{text}' is not a valid phone number in {where}; "
        "write it with its country code, e.g. +46 70 123 45 67"
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
