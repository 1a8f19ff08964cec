"""The reply guard's learned second layer (pure; the weights are data, loaded once).

The phrase guard (reply_guard.py) knows the words it was given; a reply that gives a withheld fact away
in other words ("everyone'd be happier if I wasn't around", "I burn my arm when it gets loud") passes it.
This layer is three kinds of logistic regression over hashed stems and stem pairs of a sentence, words
in a denial's reach marked as denied ("dont want to be here" is not "want to be here"): ``risk`` (does
it talk about risk at all), one per guarded topic (thoughts, plan, means, timeline, past attempts,
self-harm, homicidal: which one), and ``meta`` (admitting to be an AI, talking about the role-play,
grading or coaching the counselor). Each sentence of a reply and the whole reply are scored (not the
sentences that are word for word the caller's own free talk); one blocks when its ``risk`` passes its
threshold and its likeliest topic is one the caller has not disclosed yet, or when its ``meta`` passes
its threshold. Trained by ``python -m benchmarks.guard_model --write`` on the development sets
(benchmarks/guard_set/) and the offline caller's own lines, never the held-out sets; the weights and
the thresholds (chosen by cross-validation) ship as data/guard_model.json.
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
RISK = "risk"
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
    from .reply_guard import stem  # the phrase guard's light stemmer (it imports this module)

    words = _denial_marked([stem(word) for word in tokens(text)], negators)
    vector = hashed(word_tokens(words, first=0), BUCKETS)
    vector[BUCKETS] = 1.0
    return vector


def sentences(reply: str) -> list[str]:
    return [part for part in SENTENCE.split(reply.strip()) if part]


def not_known(reply: str, known: str) -> str:
    """The sentences of a reply that are not, word for word, in ``known``."""
    said = f" {' '.join(tokens(known))} "
    return " ".join(part for part in sentences(reply) if f" {' '.join(tokens(part))} " not in said)


@dataclass(frozen=True)
class GuardModel:
    weights: Mapping[str, tuple[float, ...]]  # risk, meta and each topic -> one weight per feature
    thresholds: Mapping[str, float]  # risk and meta -> the probability above which they block

    def scores(self, reply: str, negators: Collection[str]) -> list[dict[str, float]]:
        """Probabilities of the whole reply, then of each of its sentences (if more than one)."""
        parts = sentences(reply)
        return [{name: probability(vector, w) for name, w in self.weights.items()}
                for vector in (features(part, negators) for part in ([reply, *parts] if len(parts) > 1 else [reply]))]

    def verdict(self, scores: list[dict[str, float]], withheld: Iterable[str]) -> tuple[str, float] | None:
        """What stops a reply with these scores (``meta`` or a withheld topic, with its probability), if any."""
        withheld = set(withheld)
        for part in scores:
            if part[META] > self.thresholds[META]:
                return META, part[META]
            topic = max((name for name in part if name not in (RISK, META)), key=part.__getitem__)
            if part[RISK] > self.thresholds[RISK] and topic in withheld:
                return topic, part[RISK]
        return None

    def blocks(self, reply: str, withheld: Iterable[str], negators: Collection[str],
               known: str = "") -> tuple[str, float] | None:
        """The topic (and its probability) that stops the reply: ``meta``, or one not yet disclosed. Sentences
        of the caller's own free talk (``known``: its story, facts told) are the caller's to say and not scored."""
        new = not_known(reply, known)
        return self.verdict(self.scores(new, negators), withheld) if new else None


def parse_model(text: str) -> GuardModel:
    """A model from the JSON text of ``guard_model.json`` (ValueError if it is malformed)."""
    data = json.loads(text)
    if data.get("buckets") != BUCKETS:
        raise ValueError(f"guard model has {data.get('buckets')} buckets, not {BUCKETS}")
    weights = {topic: tuple(float(w) for w in values) for topic, values in data["weights"].items()}
    thresholds = {topic: float(t) for topic, t in data["thresholds"].items()}
    if set(thresholds) != {RISK, META} or not {RISK, META} < set(weights) or \
            any(len(w) != feature_count() for w in weights.values()):
        raise ValueError("guard model: risk, meta and topics, one weight per feature; thresholds for risk and meta")
    return GuardModel(weights, thresholds)


@cache
def default_model() -> GuardModel | None:
    """The shipped model, or None when no model file is packaged (the phrase guard then decides alone)."""
    path = resources.files(__package__).joinpath("data/guard_model.json")
    return parse_model(path.read_text(encoding="utf-8")) if path.is_file() else None
