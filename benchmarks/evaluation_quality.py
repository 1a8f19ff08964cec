"""Agreement of the offline evaluator with a trainer's labels (benchmarks/evaluation_set/).

Prints: risk-inquiry detection agreement (target >= 95 %), grade within one letter (target >= 90 %),
exact grade agreement, expected critical flags found (target: all), unexpected critical flags,
and the recall of every expected flag. Labels were written before the evaluator was tuned.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from proto_trainer_tui.evaluation import evaluate_offline, scenario_for, transcript_from_json
from proto_trainer_tui.evaluation.consistency import contradictions
from proto_trainer_tui.evaluation.report import grade_index

SET = Path(__file__).parent / "evaluation_set"


def main(verbose: bool = False) -> dict[str, float]:
    labels = json.loads((SET / "labels.json").read_text())
    separation(labels)
    calibration = {name: label for name, label in labels.items() if not label.get("held_out")}
    held_out = {name: label for name, label in labels.items() if label.get("held_out")}
    figures = agreement(calibration, "calibration set (labels written first; grade bands calibrated on it)", verbose)
    if held_out:
        agreement(held_out, "held-out set (labelled after calibration; its first, untuned run is in docs/evaluation.md)", verbose)
    return figures


def auc(good: list[float], poor: list[float]) -> float | None:
    """Probability that a good call scores above a poor one (ties count half)."""
    if not good or not poor:
        return None
    wins = sum((g > p) + 0.5 * (g == p) for g in good for p in poor)
    return wins / (len(good) * len(poor))


def separation(labels: dict[str, dict]) -> None:
    """How well the MITI measures from the coded turns separate the trainer's good calls (A, B) from poor ones
    (D, F): AUC over all labelled calls."""
    by_grade: dict[str, list] = {"good": [], "poor": []}
    for name, label in sorted(labels.items()):
        group = "good" if label["grade"] in "AB" else "poor" if label["grade"] in "DF" else None
        if group:
            transcript = transcript_from_json((SET / f"{name}.json").read_text(), name)
            by_grade[group].append(evaluate_offline(transcript, scenario_for(transcript)).measures)
    print(f"MITI measures from the coded turns, trainer's A/B calls ({len(by_grade['good'])}) vs D/F calls "
          f"({len(by_grade['poor'])}), AUC:")
    for name, value in (("reflection : question", lambda m: m.reflection_to_question or 0.0),
                        ("reflections per counselor turn", lambda m: m.reflections / max(1, m.counselor_turns)),
                        ("% complex reflections", lambda m: m.complex_reflection_share or 0.0),
                        ("% open questions", lambda m: m.open_question_share or 0.0)):
        figure = auc([value(m) for m in by_grade["good"]], [value(m) for m in by_grade["poor"]])
        print(f"  {name:32} {figure:.2f}" if figure is not None else f"  {name:32} n/a")


def agreement(labels: dict[str, dict], title: str, verbose: bool) -> dict[str, float]:
    risk_ok = within_one = exact = 0
    critical_expected = critical_found = unexpected_critical = 0
    flags_expected = flags_found = 0
    rows, seconds, problems = [], [], []
    for name, label in sorted(labels.items()):
        transcript = transcript_from_json((SET / f"{name}.json").read_text(), name)
        started = time.perf_counter()
        report = evaluate_offline(transcript, scenario_for(transcript))
        seconds.append(time.perf_counter() - started)
        problems += [f"{name}: {problem}" for problem in contradictions(report)]
        risk_ok += report.risk.asked_directly == label["risk_asked_directly"]
        distance = abs(grade_index(report.grade) - grade_index(label["grade"]))
        within_one += distance <= 1
        exact += distance == 0
        found = {(f.kind, f.severity) for f in report.flags}
        expected = {(f["kind"], f["severity"]) for f in label["expected_flags"]}
        flags_expected += len(expected)
        flags_found += len(expected & found)
        critical = {f for f in expected if f[1] == "critical"}
        critical_expected += len(critical)
        critical_found += len(critical & found)
        unexpected_critical += len({f for f in found if f[1] == "critical"} - critical)
        rows.append((name, label["grade"], report.grade, report.score, label["risk_asked_directly"],
                     report.risk.asked_directly, sorted(expected - found), sorted(found - expected)))
    total = len(labels)
    figures = {
        "risk_inquiry_agreement": risk_ok / total,
        "grade_within_one": within_one / total,
        "grade_exact": exact / total,
        "critical_flags_found": critical_found / critical_expected if critical_expected else 1.0,
        "contradictions": len(problems),
    }
    if verbose:
        for name, want, got, score, want_risk, got_risk, missing, extra in rows:
            mark = "" if abs(grade_index(got) - grade_index(want)) <= 1 else "  <-- grade"
            print(f"  {name:<24} want {want} got {got} ({score:.2f}) risk {want_risk!s:5}/{got_risk!s:5}"
                  f" missing {missing} extra {extra}{mark}")
    print(f"offline evaluator vs trainer labels, {title}: {total} transcripts")
    print(f"  risk inquiry detected correctly  {risk_ok:3d}/{total}  {figures['risk_inquiry_agreement']:6.1%}  (target >= 95 %)")
    print(f"  grade within one letter          {within_one:3d}/{total}  {figures['grade_within_one']:6.1%}  (target >= 90 %)")
    print(f"  grade exact                      {exact:3d}/{total}  {figures['grade_exact']:6.1%}")
    print(f"  expected critical flags found    {critical_found:3d}/{critical_expected}  (target: all)")
    print(f"  unexpected critical flags        {unexpected_critical:3d}")
    print(f"  expected flags found (all kinds) {flags_found:3d}/{flags_expected}")
    print(f"  feedback contradicting the call's own coding {len(problems):3d}  (target: none)")
    for problem in problems:
        print(f"    {problem}")
    print(f"  offline evaluation time per call {1000 * sum(seconds) / total:6.1f} ms (max {1000 * max(seconds):.1f} ms)")
    return figures


if __name__ == "__main__":
    main(verbose="-v" in sys.argv)
