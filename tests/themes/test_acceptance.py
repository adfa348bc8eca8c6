"""Acceptance of issue #16 (themes): on 600 short answers in Swedish, Dutch and English about six
known topics, the themes recover the topics: adjusted Rand index at least 0.6 (printed).

The answers are recorded as the web form records them, read by the real model that installs
with Stoop, and grouped when a communicator presses "Find themes"; the index compares the themes
the answers ended in with the topics they were written about.
"""

from __future__ import annotations

from collections import Counter
from math import comb
from typing import Any

import numpy as np
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from panel.themes import clustering
from tests.factories import login
from tests.themes.conftest import CORPUS, CachedEmbedder, placements, themes, topic_of
from tests.themes.corpus import LANGUAGES, TOPICS

WANTED = 0.6


def adjusted_rand_index(truth: list[str], found: list[int]) -> float:
    """Hubert and Arabie's adjusted Rand index of two labellings of the same items."""
    pairs = Counter(zip(truth, found, strict=True))
    together = sum(comb(n, 2) for n in pairs.values())
    truth_pairs = sum(comb(n, 2) for n in Counter(truth).values())
    found_pairs = sum(comb(n, 2) for n in Counter(found).values())
    expected = truth_pairs * found_pairs / comb(len(truth), 2)
    best = (truth_pairs + found_pairs) / 2
    return (together - expected) / (best - expected)


def test_the_index_is_one_for_the_same_grouping_and_near_zero_for_chance() -> None:
    truth = [t for t in TOPICS for _ in range(50)]
    assert adjusted_rand_index(truth, [TOPICS.index(t) + 7 for t in truth]) == 1.0
    shuffled = np.random.default_rng(1).permutation(len(truth)) % 6
    assert abs(adjusted_rand_index(truth, [int(x) for x in shuffled])) < 0.05


def test_the_600_answers_are_six_topics_in_three_languages_all_different() -> None:
    assert len(CORPUS) == 600 and len({made.text for made in CORPUS}) == 600
    cells = Counter((made.language, made.topic) for made in CORPUS)
    assert set(cells) == {(language, topic) for language in LANGUAGES for topic in TOPICS}
    assert min(cells.values()) >= 33


def test_grouping_the_embeddings_recovers_the_topics(embedder: CachedEmbedder) -> None:
    vectors = embedder.embed([made.text for made in CORPUS])

    grouping = clustering.group(vectors)

    index = adjusted_rand_index([made.topic for made in CORPUS], list(grouping.labels))
    print(f"\nadjusted Rand index, 600 answers grouped from their embeddings: {index:.3f}")
    print(f"themes: {grouping.count}")
    assert index >= WANTED


def test_themes_found_on_the_page_recover_the_six_topics(
    client: FlaskClient,
    db_session: Session,
    question: Any,
    communicator: Any,
    record: Any,
) -> None:
    answers = record(question, CORPUS)
    login(client, communicator)

    response = client.post(f"/app/questions/{question.id}/themes/find")

    assert response.status_code == 303
    placed = placements(db_session, "question", question.id)
    assert len(placed) == 600
    truth = [topic_of(answer.text) for answer in answers]
    found = [placed[answer.id].theme_id for answer in answers]
    index = adjusted_rand_index(truth, found)
    found_themes = themes(db_session, "question", question.id)
    print(f"\nadjusted Rand index, 600 answers in sv, nl and en, six topics: {index:.3f}")
    for theme in found_themes:
        members = [t for t, f in zip(truth, found, strict=True) if f == theme.id]
        print(f"  {len(members):4d}  {theme.label:40s} {dict(Counter(members).most_common(2))}")
    assert index >= WANTED
    page = client.get(f"/app/questions/{question.id}/themes").text
    assert page.count('class="card theme-card"') == len(found_themes)
    assert "600 answers with words" in page
