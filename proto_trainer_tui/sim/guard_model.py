"""The reply guard's learned second layer (pure; the weights are data, loaded once).

The phrase guard (reply_guard.py) knows the words it was given; a reply that gives a withheld fact away
in other words ("everyone'd be happier if I wasn't around", "I burn my arm when it gets loud") passes it.
This layer is a logistic regression per guarded topic (thoughts, plan, means, timeline, past attempts,
self-harm, homicidal) and one for ``meta`` (admitting to be an AI, talking about the role-play, grading or
coaching the counselor), over hashed words and word pairs of a sentence, words in a denial's reach marked
as denied ("dont want to be here" is not "want to be here"). Each sentence of a reply and the whole reply
are scored; a topic the caller has not disclosed yet whose probability passes its threshold blocks the
reply, and ``meta`` always does. Trained by ``python -m benchmarks.guard_model --write`` on the
development sets (benchmarks/guard_set/) and the offline caller's own lines, never the held-out sets;
the weights and the thresholds (chosen by cross-validation) ship as data/guard_model.json.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ..hashed_model import hashed, probability, word_tokens
from .moves import tokens

META = "meta"
BUCKETS = 4096
NEGATION_REACH = 3  # words after a negator that it denies ("i dont really want")
SENTENCE = re.compile(r"(?<=[.!?\u2026])\s+")


def feature_count() -> int:
    return BUCKETS + 1  # the last one is the bias


def _denial_marked(words: list[str], negators: Collection[str]) -> list[str]:
    """The words, those within reach after a negator prefixed with ``not_``."""
    marked, reach = [], 0
    for word in words:
        if word in negators:
            marked.append(word)
            reach = NEGATION_REACH
        elif reach:
            marked.append(f"not_{word}")
            reach -= 1
        else:
            marked.append(word)
    return marked


def features(text: str, negators: Collection[str]) -> dict[int, float]:
    """Sparse feature vector (index -> value) of a sentence or a reply."""
    vector = hashed(word_tokens(_denial_marked(tokens(text), negators)), BUCKETS)
    vector[BUCKETS] = 1.0
    return vector


def sentences(reply: str) -> list[str]:
    return [part for part in SENTENCE.split(reply.strip()) if part]


@dataclass(frozen=True)
class GuardModel:
    weights: Mapping[str, tuple[float, ...]]  # topic -> one weight per feature
    thresholds: Mapping[str, float]  # topic -> the probability above which it blocks

    def scores(self, reply: str, negators: Collection[str]) -> dict[str, float]:
        """Per topic, the highest probability of any sentence of the reply or the whole of it."""
        parts = sentences(reply)
        vectors = [features(part, negators) for part in ([reply, *parts] if len(parts) > 1 else [reply])]
        return {topic: max(probability(v, w) for v in vectors) for topic, w in self.weights.items()}

    def blocks(self, reply: str, withheld: Iterable[str], negators: Collection[str]) -> tuple[str, float] | None:
        """The topic (and its probability) that stops the reply: ``meta``, or one not yet disclosed."""
        guarded = {*withheld, META}
        found = [(p, topic) for topic, p in self.scores(reply, negators).items()
                 if topic in guarded and p > self.thresholds[topic]]
        if not found:
            return None
        p, topic = max(found)
        return topic, p


def parse_model(text: str) -> GuardModel:
    """A model from the JSON text of ``guard_model.json`` (ValueError if it is malformed)."""
    data = json.loads(text)
    if data.get("buckets") != BUCKETS:
        raise ValueError(f"guard model has {data.get('buckets')} buckets, not {BUCKETS}")
    weights = {topic: tuple(float(w) for w in values) for topic, values in data["weights"].items()}
    thresholds = {topic: float(t) for topic, t in data["thresholds"].items()}
    if set(thresholds) != set(weights) or any(len(w) != feature_count() for w in weights.values()):
        raise ValueError("guard model: every topic needs a threshold and one weight per feature")
    return GuardModel(weights, thresholds)


@cache
def default_model() -> GuardModel | None:
    """The shipped model, or None when no model file is packaged (the phrase guard then decides alone)."""
    path = resources.files(__package__).joinpath("data/guard_model.json")
    return parse_model(path.read_text(encoding="utf-8")) if path.is_file() else None
