"""Reading an answer out of the words of an SMS: a score, a choice, the text.

Tenants reply the way people text: "8", "åtta", "Acht!", "8 men hissen är trasig", "2", "bra".
A score question takes the first whole number from 1 to 10 in the message, as digits or as a
Swedish, Dutch or English word; a choice question takes a choice by its text (case does not
matter) or, when the question takes no score, by its number in the list. The whole message is
kept as the text when the question takes text and the message says more than the score or
choice it gave.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from panel.answers.service import Given
from panel.questions.models import AnswerMode, Question

NUMBER_WORDS = {
    # Swedish
    "en": 1, "ett": 1, "två": 2, "tre": 3, "fyra": 4, "fem": 5,
    "sex": 6, "sju": 7, "åtta": 8, "nio": 9, "tio": 10,
    # Dutch
    "een": 1, "één": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5,
    "zes": 6, "zeven": 7, "acht": 8, "negen": 9, "tien": 10,
    # English
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
# Number words that are everyday words too ("en"/"ett" and "een" are articles, "one" a
# pronoun, "sex" English): a score only when they are the whole message.
ALONE_ONLY = frozenset({"en", "ett", "een", "one", "sex"})
WORD = re.compile(r"[^\W_]+")
# Spaces and punctuation around a reply ("Bra!", "“Sådär”"), quotes and dashes of every kind.
EDGES = " \t\r\n.,;:!?\"'()[]«»“”\u2018\u2019-\u2013\u2014"


@dataclass(frozen=True)
class Reading:
    """What an SMS said: a score, a choice (as the question words it), the text to keep."""

    score: int | None = None
    choice: str | None = None
    text: str | None = None

    def given(self) -> Given:
        return Given(text=self.text, score=self.score, choice=self.choice)


def first_number(text: str) -> int | None:
    """The first whole number from 1 to 10 in ``text`` (digits or a number word), or None."""
    words = WORD.findall(text.casefold())
    for word in words:
        if word.isdigit():
            if word.isascii() and 1 <= int(word) <= 10 and not word.startswith("0"):
                return int(word)
            continue
        value = NUMBER_WORDS.get(word)
        if value is not None and (word not in ALONE_ONLY or len(words) == 1):
            return value
    return None


def match_choice(choices: list[str], text: str) -> str | None:
    """The choice ``text`` is (or starts with, followed by a pause), ignoring case; the
    longest when several fit."""
    said = text.strip(EDGES).casefold()
    found = None
    for choice in choices:
        wanted = choice.strip(EDGES).casefold()
        if not wanted:
            continue
        fits = said == wanted or (said.startswith(wanted) and not said[len(wanted)].isalnum())
        if fits and (found is None or len(choice) > len(found)):
            found = choice
    return found


def read_sms(question: Question, body: str) -> Reading:
    """What ``body`` answers to ``question``, by the question's modes."""
    modes = set(question.answer_modes or ())
    choices = list(question.choices or [])
    text = body.strip()
    number = first_number(text)
    score = number if AnswerMode.SCORE in modes else None
    choice = match_choice(choices, text) if AnswerMode.CHOICE in modes else None
    by_number = AnswerMode.CHOICE in modes and score is None and choice is None
    if by_number and number is not None and number <= len(choices):
        choice = choices[number - 1]
    used_number = score is not None or (choice is not None and by_number)
    kept = None
    if AnswerMode.TEXT in modes and text and not _only(text, used_number, choice):
        kept = text
    return Reading(score=score, choice=choice, text=kept)


def _only(text: str, used_number: bool, choice: str | None) -> bool:
    """True when the message is nothing but the number or the choice it gave."""
    said = text.strip(EDGES).casefold()
    if choice is not None and said == choice.strip(EDGES).casefold():
        return True
    return used_number and len(WORD.findall(said)) == 1
