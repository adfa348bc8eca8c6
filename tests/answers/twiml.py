"""A checker of TwiML voice documents against what Twilio documents for its verbs.

Only the verbs Stoop's phone line may use are known (``Say``, ``Play``, ``Record``, ``Gather``,
``Hangup``, ``Redirect``, ``Pause``), each with its documented attributes, the values those
attributes allow, and the verbs it may contain (https://www.twilio.com/docs/voice/twiml). A
document that uses anything else, or a value Twilio would not take, is reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit
from xml.etree import ElementTree

Check = Callable[[str], bool]


def _url(value: str) -> bool:
    parts = urlsplit(value)
    return (parts.scheme in ("http", "https") and bool(parts.netloc)) or value.startswith("/")


def _whole(low: int, high: int) -> Check:
    return lambda value: value.isdigit() and low <= int(value) <= high


def _one_of(*allowed: str) -> Check:
    return lambda value: value in allowed


def _keys(value: str) -> bool:
    return bool(value) and all(key in "0123456789#*" for key in value)


def _events(value: str) -> bool:
    return all(event in ("in-progress", "completed", "absent") for event in value.split())


METHOD = _one_of("GET", "POST")
BOOLEAN = _one_of("true", "false")
# Languages <Say> documents, among them every one Stoop speaks.
SAY_LANGUAGES = frozenset(
    {"da-DK", "de-DE", "en-AU", "en-CA", "en-GB", "en-IN", "en-US", "es-ES", "es-MX", "fi-FI",
     "fr-CA", "fr-FR", "it-IT", "ja-JP", "ko-KR", "nb-NO", "nl-NL", "pl-PL", "pt-BR", "pt-PT",
     "ru-RU", "sv-SE", "zh-CN", "zh-HK", "zh-TW", "ar-AE", "tr-TR"}
)  # fmt: skip
VOICE = re.compile(r"^(man|woman|alice|Polly\.[A-Za-z-]+|Google\.[A-Za-z0-9.-]+)$")

TOP_LEVEL = frozenset({"Say", "Play", "Record", "Gather", "Hangup", "Redirect", "Pause"})
# verb → (its attributes and their checks, the verbs it may contain, whether it has text)
VERBS: dict[str, tuple[dict[str, Check], frozenset[str], bool]] = {
    "Response": ({}, TOP_LEVEL, False),
    "Say": (
        {
            "voice": lambda v: bool(VOICE.match(v)),
            "language": lambda v: v in SAY_LANGUAGES,
            "loop": _whole(0, 1000),
        },
        frozenset(),
        True,
    ),
    "Play": (
        {"loop": _whole(0, 1000), "digits": lambda v: bool(re.fullmatch(r"[0-9wW#*]+", v))},
        frozenset(),
        True,
    ),
    "Pause": ({"length": _whole(1, 600)}, frozenset(), False),
    "Hangup": ({}, frozenset(), False),
    "Redirect": ({"method": METHOD}, frozenset(), True),
    "Gather": (
        {
            "action": _url,
            "actionOnEmptyResult": BOOLEAN,
            "bargeIn": BOOLEAN,
            "debug": BOOLEAN,
            "dtmfDetection": BOOLEAN,
            "enhanced": BOOLEAN,
            "finishOnKey": lambda v: v == "" or (len(v) == 1 and _keys(v)),
            "hints": lambda v: True,
            "input": _one_of("dtmf", "speech", "dtmf speech", "speech dtmf"),
            "language": lambda v: bool(re.fullmatch(r"[a-z]{2}-[A-Z]{2}", v)),
            "method": METHOD,
            "numDigits": _whole(1, 1000),
            "partialResultCallback": _url,
            "partialResultCallbackMethod": METHOD,
            "profanityFilter": BOOLEAN,
            "speechModel": lambda v: bool(v),
            "speechTimeout": lambda v: v == "auto" or v.isdigit(),
            "timeout": _whole(1, 3600),
        },
        frozenset({"Say", "Play", "Pause"}),
        False,
    ),
    "Record": (
        {
            "action": _url,
            "method": METHOD,
            "timeout": _whole(0, 3600),
            "finishOnKey": _keys,
            "maxLength": _whole(2, 14400),
            "playBeep": BOOLEAN,
            "trim": _one_of("trim-silence", "do-not-trim"),
            "recordingStatusCallback": _url,
            "recordingStatusCallbackMethod": METHOD,
            "recordingStatusCallbackEvent": _events,
            "transcribe": BOOLEAN,
            "transcribeCallback": _url,
        },
        frozenset(),
        False,
    ),
}  # fmt: skip


def problems(document: str | bytes) -> list[str]:
    """What is wrong with a TwiML voice document (empty when Twilio documents all of it)."""
    try:
        root = ElementTree.fromstring(document)  # noqa: S314 - our own output, in a test
    except ElementTree.ParseError as exc:
        return [f"not XML: {exc}"]
    if root.tag != "Response":
        return [f"the root is <{root.tag}>, not <Response>"]
    return _check(root)


def _check(element: ElementTree.Element) -> list[str]:
    found: list[str] = []
    known = VERBS.get(element.tag)
    if known is None:
        return [f"<{element.tag}> is not a verb Stoop may use"]
    attributes, children, has_text = known
    for name, value in element.attrib.items():
        check = attributes.get(name)
        if check is None:
            found.append(f"<{element.tag}> has no documented attribute {name}")
        elif not check(value):
            found.append(f"<{element.tag} {name}={value!r}>: not a value Twilio takes")
    text = (element.text or "").strip()
    if has_text and not text:
        found.append(f"<{element.tag}> needs text")
    if not has_text and text:
        found.append(f"<{element.tag}> may hold no text, holds {text!r}")
    if element.tag in ("Play", "Redirect") and text and not _url(text):
        found.append(f"<{element.tag}> needs a URL, holds {text!r}")
    for child in element:
        if child.tag not in children:
            found.append(f"<{child.tag}> may not stand inside <{element.tag}>")
        found.extend(_check(child))
    return found


def verbs(document: str | bytes) -> list[str]:
    """The document's verbs in order, nested ones too (``["Say", "Gather", "Say", …]``)."""
    root = ElementTree.fromstring(document)  # noqa: S314 - our own output, in a test
    return [element.tag for element in root.iter() if element is not root]


def parse(document: str | bytes) -> ElementTree.Element:
    """The document as an element tree, to read attributes and texts."""
    return ElementTree.fromstring(document)  # noqa: S314 - our own output, in a test
