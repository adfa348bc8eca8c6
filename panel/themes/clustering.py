"""Grouping answers by what they are about: numpy only, the same answers always give the same
groups (a fixed seed).

The answers' embeddings come in with the language taken out already
(:func:`panel.themes.embeddings.embed`). Every embedding of the model shares a large common
part, so the scope's mean is taken away first and what is left is compared by angle.

How many themes: from 2 to 12, fewer for few answers (about the square root of half their
number). For each number, k-means on the answers each averaged with their nearest neighbours
(which lets the groups stand out of the noise of small talk and detail); the silhouette says how
well each number separates them, and the *fewest* themes that score within 5 % of the best are
taken: on our tests the score rises up to the true number of topics and then stays flat, and a
communicator splits a theme more readily than merging four. Past :data:`SAMPLE` answers the
number and the groups are found on a sample, then every answer joins its nearest group and the
groups are refined on all of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

MIN_ANSWERS = 10  # fewer answers than this make no themes worth reading
MAX_THEMES = 12
SAMPLE = 1500  # answers the number of themes is chosen on (memory and time grow with its square)
TOLERANCE = 0.05  # the fewest themes whose silhouette is within this share of the best
RESTARTS = 5
ITERATIONS = 40
REFINE = 2  # k-means steps on every answer once all have joined a group
SEED = 16


@dataclass(frozen=True)
class Grouping:
    """Which group each answer is in (``labels``, 0 to ``count - 1``, largest group first) and
    the mean the answers were centred on."""

    labels: np.ndarray
    count: int
    mean: np.ndarray


def normalised(vectors: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (a zero row stays zero)."""
    lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(lengths, 1e-12)


def most_themes(count: int) -> int:
    """The most themes ``count`` answers are split into."""
    return max(2, min(MAX_THEMES, int(math.sqrt(count / 2))))


def group(vectors: np.ndarray, *, seed: int = SEED) -> Grouping:
    """Group answers' embeddings (one per row) into themes. Needs :data:`MIN_ANSWERS` rows."""
    if len(vectors) < MIN_ANSWERS:
        raise ValueError(f"at least {MIN_ANSWERS} answers are needed, not {len(vectors)}")
    # The products here are of small matrices, many times over: BLAS's threads cost more to
    # wake than they save (twelve times slower on a busy two-core machine), and a web process
    # serving other requests has no cores to spare.
    with threadpool_limits(limits=1, user_api="blas"):
        return _group(vectors, seed)


def _group(vectors: np.ndarray, seed: int) -> Grouping:
    data = np.asarray(vectors, dtype=np.float32)
    mean = data.mean(axis=0)
    centred = normalised(data - mean)
    rng = np.random.default_rng(seed)
    if len(centred) > SAMPLE:
        chosen = np.sort(rng.choice(len(centred), SAMPLE, replace=False))
    else:
        chosen = np.arange(len(centred))
    sample = centred[chosen]
    smoothed = neighbourhood_means(sample, neighbours=int(np.clip(round(len(sample) / 60), 5, 20)))
    labels = _fewest_that_separate(smoothed, rng)
    count = int(labels.max()) + 1
    centroids = normalised(_means(sample, labels, count))
    everyone = (centred @ centroids.T).argmax(axis=1)
    for _ in range(REFINE):
        centroids = normalised(_means(centred, everyone, count, fallback=centroids))
        everyone = (centred @ centroids.T).argmax(axis=1)
    return Grouping(_by_size(everyone), len(np.unique(everyone)), mean)


def split_in_two(vectors: np.ndarray, mean: np.ndarray, *, seed: int = SEED) -> np.ndarray:
    """Two groups (0, the larger, and 1) of one theme's answers, centred on the scope's mean."""
    if len(vectors) < 2:
        raise ValueError("two answers at least are needed to split")
    centred = normalised(np.asarray(vectors, dtype=np.float32) - mean)
    with threadpool_limits(limits=1, user_api="blas"):
        labels, _ = kmeans(centred, 2, np.random.default_rng(seed))
    if len(np.unique(labels)) < 2:  # all alike: the farthest from the rest goes alone
        labels = np.zeros(len(centred), dtype=np.int64)
        labels[int((centred @ centred.mean(axis=0)).argmin())] = 1
    return _by_size(labels)


def nearest(vector: np.ndarray, centroids: np.ndarray, sizes: np.ndarray) -> tuple[int, float]:
    """The theme nearest an answer (index, cosine), themes given by the mean of their answers'
    embeddings and their number of answers (together they give the scope's mean)."""
    sizes = np.asarray(sizes, dtype=np.float64)
    weights = np.maximum(sizes, 1.0)
    mean = (centroids * weights[:, None]).sum(axis=0) / weights.sum()
    answer = normalised((vector - mean)[None, :])[0]
    similarity = normalised(centroids - mean) @ answer
    best = int(similarity.argmax())
    return best, float(similarity[best])


def neighbourhood_means(vectors: np.ndarray, *, neighbours: int) -> np.ndarray:
    """Each row replaced by the mean of itself and its ``neighbours`` nearest rows."""
    neighbours = min(neighbours, len(vectors) - 1)
    if neighbours < 1:
        return vectors
    similarity = vectors @ vectors.T
    nearest_rows = np.argpartition(-similarity, neighbours, axis=1)[:, : neighbours + 1]
    return normalised(vectors[nearest_rows].mean(axis=1))


def kmeans(
    vectors: np.ndarray,
    count: int,
    rng: np.random.Generator,
    *,
    restarts: int = RESTARTS,
    iterations: int = ITERATIONS,
) -> tuple[np.ndarray, np.ndarray]:
    """Spherical k-means (rows of length 1, compared by angle) with k-means++ starts; the best
    of ``restarts`` runs. Returns (labels, centroids)."""
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for _ in range(restarts):
        centroids = _plus_plus(vectors, count, rng)
        labels = (vectors @ centroids.T).argmax(axis=1)
        for _ in range(iterations):
            centroids = normalised(_means(vectors, labels, count, fallback=centroids))
            moved = (vectors @ centroids.T).argmax(axis=1)
            if np.array_equal(moved, labels):
                break
            labels = moved
        fit = float((vectors * centroids[labels]).sum())
        if best is None or fit > best[0]:
            best = (fit, labels, centroids)
    assert best is not None
    return best[1], best[2]


def silhouette(vectors: np.ndarray, labels: np.ndarray) -> float:
    """The mean silhouette of rows of length 1 under cosine distance."""
    groups = int(labels.max()) + 1
    if groups < 2:
        return -1.0
    members = np.zeros((len(vectors), groups), dtype=np.float32)
    members[np.arange(len(vectors)), labels] = 1.0
    sizes = members.sum(axis=0)
    # Sum of distances to each group = size - sum of similarities.
    distance_sums = sizes[None, :] - (vectors @ (vectors.T @ members))
    rows = np.arange(len(vectors))
    own_size = sizes[labels]
    inside = distance_sums[rows, labels] / np.maximum(own_size - 1, 1)
    means = distance_sums / np.maximum(sizes[None, :], 1)
    means[rows, labels] = np.inf
    means[:, sizes == 0] = np.inf
    outside = means.min(axis=1)
    score = (outside - inside) / np.maximum(np.maximum(inside, outside), 1e-12)
    score[own_size <= 1] = 0.0
    return float(score.mean())


def _fewest_that_separate(smoothed: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    tried: list[tuple[float, np.ndarray]] = []
    for count in range(2, most_themes(len(smoothed)) + 1):
        labels, _ = kmeans(smoothed, count, rng)
        tried.append((silhouette(smoothed, labels), labels))
    best = max(score for score, _ in tried)
    return next(labels for score, labels in tried if score >= best - abs(best) * TOLERANCE)


def _plus_plus(vectors: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    chosen = [int(rng.integers(len(vectors)))]
    distance = np.full(len(vectors), np.inf, dtype=np.float32)
    for _ in range(count - 1):
        distance = np.minimum(distance, 1.0 - vectors @ vectors[chosen[-1]])
        weights = np.maximum(distance, 0.0).astype(np.float64)
        total = weights.sum()
        pick = (
            rng.choice(len(vectors), p=weights / total) if total > 0 else rng.integers(len(vectors))
        )
        chosen.append(int(pick))
    return vectors[chosen].copy()


def _means(
    vectors: np.ndarray,
    labels: np.ndarray,
    count: int,
    fallback: np.ndarray | None = None,
) -> np.ndarray:
    members = np.zeros((count, len(vectors)), dtype=vectors.dtype)
    members[labels, np.arange(len(vectors))] = 1.0
    sizes = members.sum(axis=1, keepdims=True)
    means = (members @ vectors) / np.maximum(sizes, 1.0)
    if fallback is not None:
        empty = sizes[:, 0] == 0
        means[empty] = fallback[empty]
    return means


def _by_size(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered 0, 1, … from the largest group down (ties: the earlier label first)."""
    values, counts = np.unique(labels, return_counts=True)
    order = values[np.lexsort((values, -counts))]
    renumber = np.empty(int(labels.max()) + 1, dtype=np.int64)
    renumber[order] = np.arange(len(order))
    return renumber[labels]
