"""A theme's most telling words: class-based TF-IDF over the words of its answers.

A word tells of a theme when many of the theme's answers use it and few answers of the other
themes do. Each word counts once per answer (a tenant who writes "cold, cold, cold" is one
answer), only in two answers or more of the theme, and never when it is a stop word
(:mod:`panel.themes.stopwords`). Words of every language stand side by side: a theme about the
lift reads "hissen, lift, elevator".
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from panel.themes.stopwords import STOP_WORDS

WORD = re.compile(r"[^\W\d_]{3,}")  # letters of any script, three or more
KEYWORDS = 6
IN_LABEL = 3


def words_of(text: str) -> set[str]:
    """The distinct words of ``text`` worth counting, in lower case."""
    return {word for word in WORD.findall(text.lower()) if word not in STOP_WORDS}


def telling_words(groups: Sequence[Iterable[str]], *, keep: int = KEYWORDS) -> list[list[str]]:
    """For each group of answers' texts, its most telling words, most telling first."""
    per_group = [Counter(word for text in texts for word in words_of(text)) for texts in groups]
    everywhere: Counter[str] = Counter()
    for counts in per_group:
        everywhere.update(counts)
    sizes = [sum(counts.values()) for counts in per_group]
    average = (sum(sizes) / len(sizes)) if sizes else 0.0
    result = []
    for counts, size in zip(per_group, sizes, strict=True):
        scored = [
            (count / size * math.log(1 + average / everywhere[word]), word)
            for word, count in counts.items()
            if count >= 2
        ]
        scored.sort(key=lambda item: (-item[0], item[1]))
        result.append([word for _, word in scored[:keep]])
    return result


def label_from(words: Sequence[str]) -> str:
    """A theme's name from its words, until a communicator gives it one."""
    return ", ".join(words[:IN_LABEL])
