"""Shared parts of the small learned models (evaluation/coding_model.py, sim/guard_model.py): words and
word pairs hashed into a fixed number of buckets, and a logistic regression's probability over them.
Pure and deterministic (md5 of the token, not Python's salted hash)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence


def bucket(token: str, buckets: int) -> int:
    return int(hashlib.md5(token.encode()).hexdigest()[:8], 16) % buckets


def word_tokens(words: Sequence[str], first: int = 2) -> list[str]:
    """The words, each adjacent pair ("want_to"), and the first ``first`` words marked as such ("^i")."""
    return [*words, *(f"{a}_{b}" for a, b in zip(words, words[1:])), *(f"^{w}" for w in words[:first])]


def hashed(tokens: Iterable[str], buckets: int) -> dict[int, float]:
    """Sparse counts (bucket -> how often) of the tokens."""
    found: dict[int, float] = {}
    for token in tokens:
        index = bucket(token, buckets)
        found[index] = found.get(index, 0.0) + 1.0
    return found


def probability(vector: dict[int, float], weights: Sequence[float]) -> float:
    """The logistic regression's probability for one sparse vector (its logit clipped to +-30)."""
    logit = sum(weights[index] * value for index, value in vector.items())
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, logit))))
