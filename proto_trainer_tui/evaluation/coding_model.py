"""A small learned model for the question and reflection codes, on top of the rules in coding.py.

Pure and deterministic: a logistic regression per code (open question, closed question, simple and complex
reflection) over hashed words and word pairs of the clause, the rule coder's own codes, and features of
the caller's preceding line. Trained by ``python -m benchmarks.coder_model --write`` on the development
fold of benchmarks/coding_set/ (never the held-out fold); the weights ship as data/coding_model.json.
It is used because it beats the rules on cross-validation (docs/evaluation.md); without the file the
rules decide alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import cache
from importlib import resources

from ..hashed_model import hashed, probability, word_tokens

MODEL_CODES = ("open_question", "closed_question", "simple_reflection", "complex_reflection")
BUCKETS = 2048
_EXTRA = ("shared", "new", "asks", "wh", "aux", "second_person", "length", "bias")


def feature_count(codes: Sequence[str]) -> int:
    return BUCKETS + len(codes) + len(_EXTRA)


def features(clause: str, caller: str, rule_codes: Sequence[str], all_codes: Sequence[str]) -> dict[int, float]:
    """Sparse feature vector (index -> value) of one clause."""
    from .coding import content_stems, core, normalise, phrases

    text = core(clause)
    words = re.findall(r"[a-z']+", text)
    found = hashed(word_tokens(words), BUCKETS)
    for code in rule_codes:
        found[BUCKETS + all_codes.index(code)] = 1.0
    mine, theirs = content_stems(text), content_stems(caller)
    extra = BUCKETS + len(all_codes)
    values = (
        len(mine & theirs) / max(1, len(mine)),
        len(mine - theirs) / max(1, len(mine)),
        float(normalise(clause).rstrip().endswith("?")),
        float(bool(phrases().wh_start.match(text))),
        float(bool(phrases().aux_start.match(text))),
        float(bool(re.match(r"(?:you|you're|you've|your)\b", text))),
        min(len(words), 30) / 30,
        1.0,
    )
    for offset, value in enumerate(values):
        if value:
            found[extra + offset] = value
    return found


@cache
def weights() -> dict[str, list[float]] | None:
    """The shipped weights per code, or None when no model file is packaged."""
    path = resources.files(__package__).joinpath("data/coding_model.json")
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["weights"]


def scores(vector: dict[int, float], model: dict[str, list[float]]) -> dict[str, float]:
    """Probability per model code."""
    return {code: probability(vector, w) for code, w in model.items()}


def decide(probabilities: dict[str, float]) -> tuple[str, ...]:
    """At most one question code and one reflection code; the likelier of the two kinds when both pass 0.5."""
    question = max(("open_question", "closed_question"), key=lambda c: probabilities[c])
    reflection = max(("simple_reflection", "complex_reflection"), key=lambda c: probabilities[c])
    chosen = [code for code in (question, reflection) if probabilities[code] > 0.5]
    if len(chosen) == 2:
        chosen = [max(chosen, key=lambda c: probabilities[c])]
    return tuple(chosen)


# A clause that praises, hands back the choice, proposes working together, advises or confronts is coded by
# the rules alone: the model adds no question or reflection to it.
_RULES_DECIDE = frozenset({"affirmation", "emphasizing_autonomy", "seeking_collaboration", "persuade",
                           "persuade_with_permission", "confront"})


def combine(rule_codes: Sequence[str], probabilities: dict[str, float]) -> tuple[str, ...]:
    """Rules and model together. Where the rules found a question or a reflection, the model says which kind
    (open or closed, simple or complex); where they found neither, the model may find one, unless the clause
    praises, hands back the choice, proposes working together, gives advice or confronts (those are the rules'
    codes alone). (Cross-validation chose this over letting the model decide alone.)"""
    if any(code in MODEL_CODES for code in rule_codes):
        return tuple(_likelier_kind(code, probabilities) if code in MODEL_CODES else code for code in rule_codes)
    others = [code for code in rule_codes if code != "other"]
    if _RULES_DECIDE & set(others):
        return tuple(others)
    return tuple(list(decide(probabilities)) + others) or ("other",)


def _likelier_kind(code: str, probabilities: dict[str, float]) -> str:
    pair = ("simple_reflection", "complex_reflection") if code.endswith("_reflection") else \
        ("open_question", "closed_question")
    return max(pair, key=lambda c: probabilities[c])
