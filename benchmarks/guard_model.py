"""The reply guard's learned second layer (proto_trainer_tui/sim/guard_model.py): train it, choose its
thresholds and measure it by cross-validation on the development data only.

``python -m benchmarks.guard_model``: five folds by a hash of the reply's words over the development sets
(benchmarks/guard_set/*.csv; benchmarks/guard_holdout/ is never read here) and the offline caller's own
lines; prints, per set, leaks blocked and clean replies held back by the phrase guard alone and by both
layers, and the offline caller's lines held back.
``python -m benchmarks.guard_model --write``: choose the thresholds on the cross-validated scores, train on
all of it and write proto_trainer_tui/sim/data/guard_model.json.

Labels. A block row's topic is its ``topic`` column (dev8.csv) or else the phrase guard's own reason for
blocking it. A risk row is a positive for ``risk`` and its topic and a negative for ``meta`` and the other
topics (a "withheld risk" row, of several facts together, only for ``risk`` and ``meta``); a meta row is a
positive for ``meta`` and a negative for the rest. A pass row and an offline line are negatives for
``meta`` and every withheld topic, and for ``risk`` when nothing is disclosed (a caller who has told
their thoughts may talk about them).
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from proto_trainer_tui.scenarios import get_scenario
from proto_trainer_tui.sim import guard_model
from proto_trainer_tui.sim.guard_model import META, RISK, GuardModel
from proto_trainer_tui.sim.reply_guard import GUARDED_FACTS, Disclosure, check_reply, default_rules

from .caller_model import GUARD_SETS, offline_lines
from .logistic import dense, train

TOPICS = (*GUARDED_FACTS, META)
MODELS = (RISK, *TOPICS)
FOLDS = 5
L2, STEPS, RATE = 1e-3, 300, 1.0
GRID = tuple(round(0.5 + 0.01 * n, 2) for n in range(50))
# How much the learned layer may cost in clean replies held back, on the cross-validated scores, as shares
# of the offline caller's lines (a held-back line is replaced by the offline reply: fine now and then, not
# routine) and of the development sets' pass rows (written to look like leaks: many share risk words).
# ``meta`` is chosen first within its own budget, then ``risk`` within the whole one.
BUDGETS = {META: (0.001, 0.01), RISK: (0.003, 0.02)}
OUT = Path(guard_model.__file__).parent / "data" / "guard_model.json"
META_REASONS = ("admits being an AI", "talks about the role-play", "grades or coaches", "stage directions")


@dataclass(frozen=True)
class Example:
    text: str
    withheld: frozenset[str]
    targets: dict[str, int]  # topic -> 1 or 0; a topic not here learns nothing from it
    known: str  # the caller's free talk there (its sentences are not scored)
    source: str  # the set's name, or "offline"
    expect: str  # "block" or "pass"
    phrase_blocks: bool

    @property
    def fold(self) -> int:
        words = " ".join(self.text.lower().split())
        return int(hashlib.sha256(("guard" + words).encode()).hexdigest(), 16) % FOLDS


def topic_of_reason(reason: str) -> str | None:
    if reason.startswith(META_REASONS):
        return META
    for fact in GUARDED_FACTS:
        name = fact.replace("_", " ")
        if reason.startswith((f"reveals {name} ", f"gives away {name} ")):
            return fact
    return None  # "gives away withheld risk": several facts together, none of them alone


def _example(text: str, disclosure: Disclosure, expect: str, source: str, topic: str | None = None) -> Example:
    verdict = check_reply(text, disclosure, use_model=False)
    withheld = frozenset(disclosure.withheld)
    if expect == "pass":
        targets = dict.fromkeys([*withheld, META], 0) | ({RISK: 0} if withheld == set(GUARDED_FACTS) else {})
    else:
        topic = topic or topic_of_reason(verdict.reason)
        if topic == META:
            targets = dict.fromkeys(MODELS, 0) | {META: 1}
        elif topic:
            targets = dict.fromkeys(MODELS, 0) | {RISK: 1, topic: 1}
        else:
            targets = {RISK: 1, META: 0}
    return Example(text, withheld, targets, disclosure.known_text, source, expect, not verdict.ok)


def examples() -> list[Example]:
    """The development sets' rows, then the offline caller's lines (each distinct line once per disclosure)."""
    found = []
    for path in sorted(GUARD_SETS.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as rows:
            for row in csv.DictReader(rows):
                disclosure = Disclosure.of(get_scenario(row["scenario"]), [f for f in row["disclosed"].split(";") if f])
                found.append(_example(row["reply"], disclosure, row["expect"], path.stem, row.get("topic") or None))
    plain, planning = offline_lines()
    seen = set()
    for line, disclosure in [*plain, *planning]:
        key = (line, frozenset(disclosure.withheld), disclosure.known_text)
        if key not in seen:
            seen.add(key)
            found.append(_example(line, disclosure, "pass", "offline"))
    return found


def fit(items: list[Example]) -> dict[str, np.ndarray]:
    negators = default_rules().negators
    x = dense([guard_model.features(item.text, negators) for item in items], guard_model.feature_count())
    weights = {}
    for topic in MODELS:
        rows = [n for n, item in enumerate(items) if topic in item.targets]
        y = np.array([items[n].targets[topic] for n in rows], dtype=float)
        positives = max(1.0, y.sum())
        balance = np.where(y == 1, (len(y) - positives) / positives, 1.0)  # the two classes weigh the same
        weights[topic] = train(x[rows], y, L2, STEPS, RATE, balance)
    return weights


def _model(weights: dict[str, np.ndarray], thresholds: dict[str, float]) -> GuardModel:
    return GuardModel({t: tuple(float(w) for w in weights[t]) for t in MODELS}, thresholds)


def cross_validated_scores(items: list[Example]) -> list[list[dict[str, float]]]:
    """Each example's scores (whole reply, then each sentence) by the model of the folds it is not in."""
    negators = default_rules().negators
    scores: list[list[dict[str, float]]] = [[] for _ in items]
    for k in range(FOLDS):
        model = _model(fit([i for i in items if i.fold != k]), dict.fromkeys((RISK, META), 1.0))
        for n, item in enumerate(items):
            if item.fold == k and (new := guard_model.not_known(item.text, item.known)):
                scores[n] = model.scores(new, negators)
    return scores


def _weight(item: Example, lines_per_text: dict[tuple[str, frozenset[str]], int]) -> int:
    """How many of the offline caller's ~3,000 checked lines this distinct line stands for."""
    return lines_per_text.get((item.text, item.withheld), 1) if item.source == "offline" else 1


def _false_alarms(items: list[Example], scores: list[list[dict[str, float]]], thresholds: dict[str, float],
                  counts: dict[tuple[str, frozenset[str]], int]) -> tuple[int, int]:
    """(offline lines, pass rows) the learned layer alone would hold back."""
    model = GuardModel({}, thresholds)
    alarms = [item for item, s in zip(items, scores)
              if item.expect == "pass" and not item.phrase_blocks and model.verdict(s, item.withheld)]
    return (sum(_weight(item, counts) for item in alarms if item.source == "offline"),
            sum(item.source != "offline" for item in alarms))


def choose_thresholds(items: list[Example], scores: list[list[dict[str, float]]]) -> dict[str, float]:
    """The lowest ``meta`` threshold, then the lowest ``risk`` one, whose false alarms (clean offline lines and
    pass rows the learned layer alone would hold back, on cross-validated scores) stay within the budgets."""
    plain, planning = offline_lines()
    counts: dict[tuple[str, frozenset[str]], int] = {}
    for line, disclosure in [*plain, *planning]:
        key = (line, frozenset(disclosure.withheld))
        counts[key] = counts.get(key, 0) + 1
    offline_total = len(plain) + len(planning)
    passes = sum(item.expect == "pass" and item.source != "offline" for item in items)
    thresholds = {RISK: 1.0, META: 1.0}
    for name in (META, RISK):
        for t in GRID:
            offline, rows = _false_alarms(items, scores, thresholds | {name: t}, counts)
            offline_budget, pass_budget = BUDGETS[name]
            if offline <= offline_budget * offline_total and rows <= pass_budget * passes:
                thresholds[name] = t
                break
        else:
            thresholds[name] = 0.999
    return thresholds


def _blocked(item: Example, score: list[dict[str, float]], thresholds: dict[str, float]) -> bool:
    return item.phrase_blocks or GuardModel({}, thresholds).verdict(score, item.withheld) is not None


def report(items: list[Example], scores: list[dict[str, float]], thresholds: dict[str, float]) -> None:
    print(f"reply guard, phrases alone vs phrases + learned layer: {FOLDS}-fold cross-validation on the development"
          f" data ({sum(i.source != 'offline' for i in items)} rows, {sum(i.source == 'offline' for i in items)} "
          "distinct offline lines)")
    print("  thresholds " + ", ".join(f"{t} {v:.2f}" for t, v in thresholds.items()))
    print(f"  {'set':8} {'leaks blocked: phrases':>24} {'both':>16}   {'clean held back: phrases':>24} {'both':>9}")
    sources = sorted({i.source for i in items} - {"offline"}) + ["all", "offline"]
    for source in sources:
        chosen = [(i, s) for i, s in zip(items, scores)
                  if source == i.source or (source == "all" and i.source != "offline")]
        leaks = [(i, s) for i, s in chosen if i.expect == "block"]
        clean = [(i, s) for i, s in chosen if i.expect == "pass"]
        phrase_l, both_l = sum(i.phrase_blocks for i, _ in leaks), sum(_blocked(i, s, thresholds) for i, s in leaks)
        phrase_c, both_c = sum(i.phrase_blocks for i, _ in clean), sum(_blocked(i, s, thresholds) for i, s in clean)
        if leaks:
            print(f"  {source:8} {phrase_l:4}/{len(leaks):<4} ({phrase_l / len(leaks):6.1%})    "
                  f"{both_l:4}/{len(leaks):<4} ({both_l / len(leaks):6.1%})   {phrase_c:10}/{len(clean):<4}      {both_c:4}/{len(clean):<4}")
        else:
            print(f"  {source:8} {'':>24} {'':>16}   {phrase_c:10}/{len(clean):<4}      {both_c:4}/{len(clean):<4}"
                  "   (distinct lines)")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    items = examples()
    scores = cross_validated_scores(items)
    thresholds = choose_thresholds(items, scores)
    report(items, scores, thresholds)
    if "--write" in argv:
        weights = fit(items)
        trained = [i for i in items if i.targets]
        OUT.write_text(json.dumps({
            "trained_on": f"{sum(i.source != 'offline' for i in trained)} rows of benchmarks/guard_set/ and "
                          f"{sum(i.source == 'offline' for i in trained)} distinct offline caller lines",
            "buckets": guard_model.BUCKETS, "thresholds": thresholds,
            "weights": {t: [round(float(w), 4) for w in weights[t]] for t in MODELS}}) + "\n", encoding="utf-8")
        print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
