"""Does a small learned model beat the rule-based MITI coder? Train it, and decide on cross-validation.

``python -m benchmarks.coder_model``: five folds by a hash of the id inside the development fold of
benchmarks/coding_set/ (the held-out fold is never read), κ per code for the rules alone and for the rules
with the model deciding question and reflection codes (evaluation/coding_model.py).
``python -m benchmarks.coder_model --write``: train on the whole development fold and write
proto_trainer_tui/evaluation/data/coding_model.json, which coding.py then uses.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from proto_trainer_tui.evaluation import coding, coding_model
from proto_trainer_tui.evaluation.coding import CODES, code_turn, turn_codes

from .logistic import dense
from .logistic import train as train_logistic
from .utterance_coding import held_out, kappa, load

FOLDS = 5
L2, STEPS, RATE = 1e-3, 400, 0.5
OUT = Path(coding_model.__file__).parent / "data" / "coding_model.json"


def _rules_only(item: dict) -> list[str]:
    return turn_codes(code_turn(item["counselor"], item["caller"], use_model=False))


def matrix(items: list[dict]) -> np.ndarray:
    return dense([coding_model.features(item["counselor"], item["caller"], _rules_only(item), CODES)
                  for item in items], coding_model.feature_count(CODES))


def train(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return train_logistic(x, y, L2, STEPS, RATE)


def fit(items: list[dict]) -> dict[str, list[float]]:
    x = matrix(items)
    return {code: [round(float(w), 5) for w in train(x, np.array([code in i["codes"] for i in items], dtype=float))]
            for code in coding_model.MODEL_CODES}


def _fold(item: dict) -> int:
    """By the caller's line, so a contrast pair (one caller line, several replies) stays in one fold."""
    return int(hashlib.sha256(("cv" + " ".join(item["caller"].lower().split())).encode()).hexdigest(), 16) % FOLDS


def cross_validate(items: list[dict]) -> None:
    predicted: dict[str, list[str]] = {}
    for k in range(FOLDS):
        model = fit([i for i in items if _fold(i) != k])
        for item in (i for i in items if _fold(i) == k):
            predicted[item["id"]] = turn_codes(code_turn(item["counselor"], item["caller"], model=model))
    rules = {item["id"]: _rules_only(item) for item in items}
    print(f"rules alone vs rules + model, {FOLDS}-fold cross-validation on the development fold ({len(items)})")
    print(f"  {'code':26} {'rules':>6} {'model':>6}")
    groups = {code: (code,) for code in CODES} | {"questions": coding.QUESTION_CODES,
                                                  "reflections": coding.REFLECTION_CODES}
    for name, group in groups.items():
        want = [any(c in item["codes"] for c in group) for item in items]
        figures = [kappa(list(zip(want, [any(c in got[item["id"]] for c in group) for item in items])))
                   for got in (rules, predicted)]
        print(f"  {name:26} " + " ".join("   n/a" if f is None else f"{f:6.2f}" for f in figures))
    for title, got in (("rules", rules), ("model", predicted)):
        exact = sum(set(item["codes"]) == set(got[item["id"]]) for item in items) / len(items)
        print(f"  all codes exactly right ({title}) {exact:.2f}")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    items = [item for item in load() if not held_out(item)]
    if "--write" in argv:
        OUT.write_text(json.dumps({"trained_on": f"{len(items)} development utterances of benchmarks/coding_set/",
                                   "codes": list(CODES), "buckets": coding_model.BUCKETS,
                                   "weights": fit(items)}) + "\n", encoding="utf-8")
        print(f"wrote {OUT} ({len(items)} utterances)")
        return
    cross_validate(items)


if __name__ == "__main__":
    main()
