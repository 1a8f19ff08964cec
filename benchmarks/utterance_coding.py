"""Agreement of the per-utterance MITI coder with hand-labelled counselor utterances.

Data: benchmarks/coding_set/*.jsonl, one utterance a line: {id, caller, counselor, codes, punctuated,
setting}. The split is fixed by a hash of the id: a quarter of the utterances is held out, and the
phrase data, rules and the learned model are never tuned on it (the subset whose caller line is unseen in
development is reported too, as the data has contrast pairs) (``-v`` prints the development misses only;
``--held-out-misses`` prints the held-out ones, for the report, never for tuning).

Prints, for the development and the held-out fold: Cohen's kappa per code (presence in the
utterance), for questions and reflections as groups (targets: questions >= 0.85, reflections
>= 0.6), open/closed accuracy on utterances both call a question (target >= 0.85), simple/complex
accuracy on utterances both call a reflection (target >= 0.7), with and without punctuation. Then kappa
for the rarer codes on benchmarks/coding_set/rare_check/ (written before those codes were tuned; never
tuned on, never trained on).
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

from proto_trainer_tui.evaluation.coding import (
    CODES,
    QUESTION_CODES,
    REFLECTION_CODES,
    code_turn,
    normalise,
    turn_codes,
)

SET = Path(__file__).parent / "coding_set"
HELD_OUT_EVERY = 4  # one utterance in four, by hash of its id
TARGETS = {"questions": 0.85, "reflections": 0.6, "open_closed": 0.85, "simple_complex": 0.7}


RARE_CHECK = SET / "rare_check"
RARE_CODES = ("affirmation", "emphasizing_autonomy", "seeking_collaboration", "persuade_with_permission", "confront")


def held_out(item: dict) -> bool:
    """One utterance in four by hash of its id, except batches marked ``"fold": "development"`` (written
    later for the rare codes, so adding them leaves the held-out fold as it was)."""
    if item.get("fold") == "development":
        return False
    return int(hashlib.sha256(item["id"].encode()).hexdigest(), 16) % HELD_OUT_EVERY == 0


def load(folder: Path = SET) -> list[dict]:
    items = []
    for path in sorted(folder.glob("*.jsonl")):
        items += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return items


def kappa(pairs: list[tuple[bool, bool]]) -> float | None:
    """Cohen's kappa for two binary raters; None when chance agreement is total."""
    n = len(pairs)
    if not n:
        return None
    observed = sum(a == b for a, b in pairs) / n
    p_label = sum(a for a, _ in pairs) / n
    p_coder = sum(b for _, b in pairs) / n
    expected = p_label * p_coder + (1 - p_label) * (1 - p_coder)
    return None if expected == 1 else (observed - expected) / (1 - expected)


def _has(codes, group) -> bool:
    return any(code in group for code in codes)


def _kind(codes, group) -> str | None:
    found = [code for code in codes if code in group]
    return found[0] if len(found) == 1 else None


def figures(rows: list[tuple[dict, list[str]]]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for code in CODES:
        out[code] = kappa([(code in item["codes"], code in got) for item, got in rows])
    out["questions"] = kappa([(_has(item["codes"], QUESTION_CODES), _has(got, QUESTION_CODES)) for item, got in rows])
    out["reflections"] = kappa([(_has(item["codes"], REFLECTION_CODES), _has(got, REFLECTION_CODES))
                                for item, got in rows])
    for name, group in (("open_closed", QUESTION_CODES), ("simple_complex", REFLECTION_CODES)):
        both = [(_kind(item["codes"], group), _kind(got, group)) for item, got in rows]
        both = [(a, b) for a, b in both if a and b]
        out[name] = sum(a == b for a, b in both) / len(both) if both else None
        out[name + "_n"] = len(both)
    out["exact"] = sum(set(item["codes"]) == set(got) for item, got in rows) / len(rows) if rows else None
    return out


def _fmt(value: float | None) -> str:
    return "   n/a" if value is None else f"{value:6.2f}"


def report(title: str, rows: list[tuple[dict, list[str]]]) -> dict[str, float | None]:
    result = figures(rows)
    punctuated = figures([r for r in rows if r[0].get("punctuated", True)])
    bare = figures([r for r in rows if not r[0].get("punctuated", True)])
    print(f"{title}: {len(rows)} utterances ({sum(r[0].get('punctuated', True) for r in rows)} punctuated)")
    print(f"  {'':28} {'all':>6} {'punct':>6} {'bare':>6}  target")
    for name in ("questions", "reflections", "open_closed", "simple_complex"):
        label = {"questions": "kappa questions", "reflections": "kappa reflections",
                 "open_closed": f"open/closed accuracy (n={result['open_closed_n']})",
                 "simple_complex": f"simple/complex accuracy (n={result['simple_complex_n']})"}[name]
        mark = "" if result[name] is None or result[name] >= TARGETS[name] else "  <-- below"
        print(f"  {label:28} {_fmt(result[name])} {_fmt(punctuated[name])} {_fmt(bare[name])}  >= {TARGETS[name]}"
              f"{mark}")
    print(f"  {'all codes exactly right':28} {_fmt(result['exact'])} {_fmt(punctuated['exact'])} {_fmt(bare['exact'])}")
    for code in CODES:
        count = sum(code in item["codes"] for item, _ in rows)
        print(f"  kappa {code:22} {_fmt(result[code])}   ({count} labelled)")
    return result


def rare_report(rows: list[tuple[dict, list[str]]]) -> dict[str, float | None]:
    """Kappa per rare code on the separate rare-code check (written before tuning, never tuned on)."""
    result = figures(rows)
    print(f"rare-code check (benchmarks/coding_set/rare_check/, never tuned on): {len(rows)} utterances")
    for code in RARE_CODES:
        labelled = sum(code in item["codes"] for item, _ in rows)
        found = sum(code in got for _, got in rows)
        hits = sum(code in item["codes"] and code in got for item, got in rows)
        print(f"  kappa {code:26} {_fmt(result[code])}   recall {hits}/{labelled}, {found} coded")
    return result


def misses(title: str, rows: list[tuple[dict, list[str]]]) -> None:
    wrong = [(item, got) for item, got in rows if set(item["codes"]) != set(got)]
    print(f"{title}: {len(wrong)} utterances coded differently from the label")
    for item, got in wrong:
        print(f"  {item['id']}: want {','.join(item['codes'])} got {','.join(got)}")
        print(f"      caller: {item['caller'][:100]}")
        print(f"      counselor: {item['counselor'][:140]}")


def main(argv: list[str] | None = None) -> dict[str, float | None]:
    argv = sys.argv[1:] if argv is None else argv
    items = load()
    if not items:
        print("utterance coding: no data in benchmarks/coding_set/")
        return {}
    started = time.perf_counter()
    rows = [(item, turn_codes(code_turn(item["counselor"], item["caller"]))) for item in items]
    seconds = time.perf_counter() - started
    development = [r for r in rows if not held_out(r[0])]
    held = [r for r in rows if held_out(r[0])]
    print("per-utterance MITI 4.2 coding vs hand labels (benchmarks/coding_set/)")
    report("development fold (rules written and tuned on it)", development)
    result = report("held-out fold (never tuned on)", held)
    # The data has contrast pairs (one caller line, several replies); the split is by id, so some pairs
    # straddle it. The held-out items whose caller line never appears in the development fold:
    seen = {normalise(item["caller"]) for item, _ in development}
    report("held-out, caller line unseen in development", [r for r in held if normalise(r[0]["caller"]) not in seen])
    print(f"  coding time per utterance {1000 * seconds / len(rows):.2f} ms")
    rare = [(item, turn_codes(code_turn(item["counselor"], item["caller"]))) for item in load(RARE_CHECK)]
    if rare:
        rare_report(rare)
    if "-v" in argv:
        misses("development misses", development)
    if "--held-out-misses" in argv:
        misses("held-out misses", held)
        misses("rare-code check misses", rare)
    return result


if __name__ == "__main__":
    main()
