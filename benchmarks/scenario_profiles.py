"""Reading trainers' scenario rows into caller profiles, and the caller playing them.

The labelled set (benchmarks/profile_set/, 111 rows written by hand by another engineer, without
looking at the reader; its README says how each label was decided) is imported through the
real CSV import. Prints per-field agreement of the read profile with the labels (targets: 100 %
on stated negations and names, >= 95 % on the risk level), then a probe of the offline caller
per row: it is asked the direct suicide question, the plan question and the name question, and
each answer must be the one the *labelled* profile calls for (target >= 95 %).

``python -m benchmarks.scenario_profiles [-v]`` (-v lists every miss).
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from proto_trainer_tui.scenarios.csv_io import parse_scenarios_csv
from proto_trainer_tui.scenarios.profile import Profile
from proto_trainer_tui.sim.caller import CallerEngine, profile_answer_key, profile_lines

SET = Path(__file__).parent / "profile_set"
OPENINGS = {"first_line": "speaks", "silence": "silent", "hang_up": "hang_up", "transfer": "transfer"}
QUESTIONS = (("suicide", "Are you thinking about killing yourself?"), ("plan", "Do you have a plan?"),
             ("name", "Can I ask your name?"))


def _name_key(name: str | None) -> str | None:
    if not name:
        return None
    name = re.sub(r"^(?:mrs?|ms|miss|dr|officer|deputy)\.?\s+", "", name.strip().lower())
    return re.sub(r"[^\w ]", "", name)


def same_name(expected: str | None, found: str | None) -> bool:
    """Case-insensitive, title optional (the set's README asks for a lenient comparison)."""
    return _name_key(expected) == _name_key(found)


def _means_access(profile: Profile) -> bool | None:
    if not profile.stated("means"):
        return None
    return profile.means is not None


def found_fields(profile: Profile, mode: str) -> dict:
    """The read profile in the labels' vocabulary."""
    return {
        "caller_name": profile.caller_name, "age": profile.age, "pronouns": profile.pronouns,
        "caller_role": profile.caller, "about_person": profile.about if profile.caller != "self" else None,
        "about_person_risk": profile.about_risk if profile.caller != "self" else None,
        "opening": profile.opening, "risk": profile.risk, "plan": profile.plan, "means": profile.means,
        "means_access": _means_access(profile), "self_harm": profile.self_harm, "homicidal": profile.homicidal,
        "homicidal_target": profile.homicidal_target, "past_attempts": profile.past_attempts,
        "substances": ", ".join(profile.substances) if profile.substances else None,
        "mode": "chat" if mode in ("chat", "text") else "phone",
    }


def _agrees(field: str, expected, found) -> bool:
    if field == "caller_name":
        return same_name(expected, found)
    if field == "opening":
        return OPENINGS[expected] == found
    if field == "about_person_risk":
        return (expected or "not_stated") == (found or "not_stated")
    if field in ("plan", "means", "about_person", "homicidal_target", "substances"):
        return (expected is None) == (found is None)  # short descriptions: compared for presence
    return expected == found


def _negation_held(field: str, profile: Profile) -> bool:
    """Is the labelled negation of ``field`` read as a stated absence?"""
    if field == "risk":
        return profile.risk == "none"
    if field in ("self_harm", "homicidal", "past_attempts"):
        return getattr(profile, field) is False
    if field == "plan":
        return profile.stated("plan") and profile.plan is None
    if field == "substances":
        return profile.substances == ()
    if field in ("means_access", "means"):
        return profile.stated("means") and profile.means is None
    if field == "about_person_risk":
        return profile.about_risk == "none"
    return False


def expected_profile(label: dict) -> Profile:
    """A Profile holding exactly the labels, to ask the engine's own rule what it should answer."""
    stated = {"caller_name": label["caller_name"], "caller": label["caller_role"], "risk": label["risk"],
              "about_risk": label["about_person_risk"] or "not_stated", "about": label["about_person"]}
    if label["plan"] is not None or "plan" in label["negations"]:
        stated["plan"] = label["plan"]
    if label["means"] is not None or label["means_access"] is False:
        stated["means"] = label["means"]
    for name in ("self_harm", "homicidal", "past_attempts"):
        if label[name] is not None:
            stated[name] = label[name]
    return Profile().with_fields("column", **{k: v for k, v in stated.items()
                                              if v is not None or k in ("plan", "means")})


def probe(scenario, label: dict) -> dict[str, tuple[bool, str, str]]:
    """Ask the three questions in one call; per question: (plays the labels?, asked key, reply)."""
    caller = CallerEngine(scenario, seed=1)
    reply = caller.reply("Hello, crisis line, this is Sam.")
    for _ in range(3):  # a silent caller speaks once gently invited
        if reply:
            break
        reply = caller.reply("I'm here whenever you're ready. Take your time.")
    # A transferring professional hands over: the person transferred answers from then on.
    wanted = expected_profile(label)
    if label["opening"] == "transfer" and label["caller_role"] == "professional":
        wanted = wanted.with_fields("column", caller="self", risk=label["about_person_risk"] or "not_stated",
                                    caller_name=None, about=None, about_risk="not_stated")
    results = {}
    for topic, question in QUESTIONS:
        reply = caller.reply(question)
        table, key = profile_answer_key(wanted, topic)
        if topic == "name" and key in ("stated", "professional_stated"):
            ok = _name_key(wanted.caller_name) in _name_key(reply)
        else:
            lines = [caller._fill(line) for line in profile_lines()[table][key]]
            ok = any(reply.endswith(line) for line in lines)
        results[topic] = (ok, f"{table}.{key}", reply)
    return results


def main(verbose: bool = False) -> dict[str, float]:
    labels = json.loads((SET / "expected.json").read_text())
    parsed = parse_scenarios_csv((SET / "rows.csv").read_bytes())
    by_title = {s.title: s for s in parsed.scenarios}
    print(f"scenario profiles: {len(labels)} labelled rows, {len(parsed.scenarios)} imported, "
          f"{len(parsed.problems)} refused, ignored columns: {', '.join(parsed.ignored_columns) or 'none'}")
    agree: dict[str, list[bool]] = defaultdict(list)
    misses: list[str] = []
    negations = names = 0
    negations_ok = names_ok = 0
    probes: dict[str, list[bool]] = defaultdict(list)
    for label in labels:
        scenario = by_title.get(label["title"])
        if scenario is None:
            misses.append(f"{label['title']}: not imported")
            for field in ("risk", "caller_name"):
                agree[field].append(False)
            continue
        found = found_fields(scenario.profile, scenario.mode)
        for field, value in found.items():
            ok = _agrees(field, label[field], value)
            agree[field].append(ok)
            if not ok:
                misses.append(f"{label['title']}: {field} expected {label[field]!r}, read {value!r}")
        for field in label["negations"]:
            negations += 1
            held = _negation_held(field, scenario.profile)
            negations_ok += held
            if not held:
                misses.append(f"{label['title']}: negation of {field} not read")
        if label["name_stated"]:
            names += 1
            names_ok += same_name(label["caller_name"], scenario.profile.caller_name)
        for topic, (ok, key, reply) in probe(scenario, label).items():
            probes[topic].append(ok)
            if not ok:
                misses.append(f"{label['title']}: probe {topic} wanted {key}, said {reply!r}")
    figures = {field: 100 * sum(v) / len(v) for field, v in agree.items()}
    figures["negations"] = 100 * negations_ok / max(1, negations)
    figures["stated names"] = 100 * names_ok / max(1, names)
    all_probes = [ok for v in probes.values() for ok in v]
    for topic, results in probes.items():
        figures[f"probe {topic}"] = 100 * sum(results) / len(results)
    figures["probe (all answers)"] = 100 * sum(all_probes) / max(1, len(all_probes))
    print("  field agreement with the labels (%):")
    for field in found_fields(Profile(), "phone"):
        print(f"    {field:<20} {figures[field]:5.1f}")
    print(f"  stated negations read as negations: {negations_ok}/{negations} ({figures['negations']:.1f} %, target 100)")
    print(f"  stated names read: {names_ok}/{names} ({figures['stated names']:.1f} %, target 100)")
    print(f"  risk level: {figures['risk']:.1f} % (target >= 95)")
    print("  caller probe, answer plays the labelled profile (%, target >= 95):")
    for topic, _ in QUESTIONS:
        print(f"    {topic:<8} {figures[f'probe {topic}']:5.1f}")
    print(f"    all      {figures['probe (all answers)']:5.1f}")
    if verbose:
        print("  misses:")
        for miss in misses:
            print(f"    {miss}")
    else:
        print(f"  {len(misses)} misses (-v lists them)")
    return figures


if __name__ == "__main__":
    main(verbose="-v" in sys.argv[1:])
