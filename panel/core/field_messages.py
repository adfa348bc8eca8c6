"""The API's per-field messages in our own words, and in the language of the request.

marshmallow (through webargs) words its messages in English, its own way ("Missing data for
required field.", "Length must be between 1 and 200."). Before an API error goes out, each
message it knows is replaced by ours, as a LazyText translated where it is shown; a message it
does not know (one of ours already, or a new one) is passed through as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from panel.core.i18n import LazyText
from panel.core.i18n import lazy_text as _l

_NUMBER = r"(-?\d+(?:\.\d+)?)"
_FIXED: dict[str, LazyText] = {
    "Missing data for required field.": _l("Required."),
    "Field may not be null.": _l("Cannot be null."),
    "Unknown field.": _l("Not a field this request takes."),
    "Invalid input type.": _l("Must be an object."),
    "Invalid value.": _l("Not a valid value."),
    "Not a valid string.": _l("Must be text."),
    "Not a valid integer.": _l("Must be a whole number."),
    "Not a valid number.": _l("Must be a number."),
    "Number too large.": _l("The number is too large."),
    "Not a valid boolean.": _l("Must be true or false."),
    "Not a valid list.": _l("Must be a list."),
    "Not a valid mapping type.": _l("Must be an object."),
    "Not a valid datetime.": _l("Must be a date and time, e.g. 2030-05-31T18:00:00+02:00."),
    "Not a valid aware datetime.": _l(
        "Must be a date and time with its time zone, e.g. 2030-05-31T18:00:00+02:00."
    ),
    "Invalid JSON body.": _l("The body is not valid JSON."),
}


def _between(m: re.Match[str]) -> LazyText:
    return _l("From %(min)s to %(max)s characters.", min=m[1], max=m[2])


_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], LazyText]]] = [
    (re.compile(r"Length must be between (\d+) and (\d+)\."), _between),
    (
        re.compile(r"Shorter than minimum length (\d+)\."),
        lambda m: _l("At least %(min)s characters or items.", min=m[1]),
    ),
    (
        re.compile(r"Longer than maximum length (\d+)\."),
        lambda m: _l("At most %(max)s characters or items.", max=m[1]),
    ),
    (
        re.compile(
            rf"Must be greater than or equal to {_NUMBER} and less than or equal to {_NUMBER}\."
        ),
        lambda m: _l("Must be from %(min)s to %(max)s.", min=m[1], max=m[2]),
    ),
    (
        re.compile(rf"Must be greater than or equal to {_NUMBER}\."),
        lambda m: _l("Must be at least %(min)s.", min=m[1]),
    ),
    (
        re.compile(rf"Must be less than or equal to {_NUMBER}\."),
        lambda m: _l("Must be at most %(max)s.", max=m[1]),
    ),
    (
        re.compile(r"Must be one of: (.*)\.", re.DOTALL),
        lambda m: _l("Must be one of: %(choices)s.", choices=m[1]),
    ),
]


def in_our_words(message: Any) -> Any:
    """One message: ours (a LazyText) when it is one of marshmallow's, else as it was."""
    if not isinstance(message, str):
        return message
    if message in _FIXED:
        return _FIXED[message]
    for pattern, ours in _PATTERNS:
        if match := pattern.fullmatch(message):
            return ours(match)
    return message


def field_messages_in_our_words(messages: Any) -> Any:
    """webargs' nested messages ({location: {field: [message]}}) with every message ours."""
    if isinstance(messages, dict):
        return {key: field_messages_in_our_words(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [field_messages_in_our_words(value) for value in messages]
    return in_our_words(messages)
