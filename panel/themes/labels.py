"""A theme's most telling words: the words its answers use far more often than the other
themes' answers do.

For each word, the share of the theme's answers that use it is set against the share of the
other answers that do (one more in each, so that a word no other theme uses still compares);
the score is that share times the log of the ratio, as in a relative entropy. Answers near the
theme's centre count more than answers at its edge (their nearness squared), so that the words
say what the theme is about rather than what its strays are about. A word counts once per answer
(a tenant who writes "cold, cold, cold" is one answer), only in two answers or more of the
theme, and never when it is a stop word (:mod:`panel.themes.stopwords`). Words of every language
stand side by side: a theme about the lift reads "lift, hissen, elevator".
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from panel.themes.stopwords import STOP_WORDS

WORD = re.compile(r"[^\W\d_]{3,}")  # letters of any script, three or more
KEYWORDS = 6
IN_LABEL = 3


def words_of(text: str) -> set[str]:
    """The distinct words of ``text`` worth counting, in lower case."""
    return {word for word in WORD.findall(text.lower()) if word not in STOP_WORDS}


def telling_words(
    groups: Sequence[Sequence[str]],
    weights: Sequence[Sequence[float]] | None = None,
    *,
    keep: int = KEYWORDS,
) -> list[list[str]]:
    """For each group of answers' texts (with how central each answer is, 0 to 1), its most
    telling words, most telling first."""
    if weights is None:
        weights = [[1.0] * len(texts) for texts in groups]
    answer_words = [[words_of(text) for text in texts] for texts in groups]
    counts = [Counter(word for words in group for word in words) for group in answer_words]
    everywhere: Counter[str] = Counter()
    for group_counts in counts:
        everywhere.update(group_counts)
    total = sum(len(group) for group in answer_words)
    result = []
    for group, group_counts, group_weights in zip(answer_words, counts, weights, strict=True):
        weighted: Counter[str] = Counter()
        for words, weight in zip(group, group_weights, strict=True):
            for word in words:
                weighted[word] += weight
        mass = sum(group_weights) or 1.0
        others = total - len(group)
        scored = []
        for word, count in group_counts.items():
            if count < 2:
                continue
            inside = weighted[word] / mass
            outside = (everywhere[word] - count + 1) / (others + 2)
            if inside > outside:
                scored.append((inside * math.log(inside / outside), word))
        scored.sort(key=lambda item: (-item[0], item[1]))
        result.append([word for _, word in scored[:keep]])
    return result


def label_from(words: Sequence[str]) -> str:
    """A theme's name from its words, until a communicator gives it one."""
    return ", ".join(words[:IN_LABEL])
