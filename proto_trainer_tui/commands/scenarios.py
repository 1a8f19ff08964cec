"""``proto-trainer scenarios list | show ID [--format json] | import FILE.csv | export [-o FILE]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..text import one_line
from . import ConfigError, add_data_dir, fail, open_store


def add_parser(commands) -> None:
    scenarios = commands.add_parser("scenarios", help="list, import or export practice scenarios")
    add_data_dir(scenarios)
    actions = scenarios.add_subparsers(dest="scenarios_command", metavar="ACTION", required=True)
    add_data_dir(actions.add_parser("list", help="print scenario ids, categories and titles"))
    show = actions.add_parser("show", help="print one scenario and its caller profile (where each fact came from)")
    show.add_argument("scenario_id", metavar="ID")
    show.add_argument("--format", choices=("markdown", "json"), default="markdown", help="default: markdown")
    show.add_argument("--model", action="store_true",
                      help="let the configured model endpoint (as for evaluate --llm) fill facts the text leaves "
                      "unstated; stated facts are kept and disagreements noted")
    add_data_dir(show)
    importing = actions.add_parser(
        "import", help="add scenarios from a CSV file (title,prompt,description,evaluator_context,mode,category, "
        "and optional profile columns such as caller_name,risk,plan,means,homicidal,opening)")
    importing.add_argument("file", metavar="FILE.csv")
    add_data_dir(importing)
    export = actions.add_parser("export", help="write all scenarios in the same CSV format")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    add_data_dir(export)


def run(args: argparse.Namespace) -> int:
    from ..store import StoreError

    try:
        if args.scenarios_command == "import":
            return import_csv(args)
        scenarios = all_scenarios(args)
        if args.scenarios_command == "show":
            return show_scenario(scenarios, args.scenario_id, args.format, args.model)
        if args.scenarios_command == "export":
            return export_csv(scenarios, args.output)
        from ..store.programme import assignment_label

        for scenario, assignment in scenarios_with_assignments(args, scenarios):
            # Imported scenario files are untrusted: no escapes reach the terminal.
            print(one_line(f"{scenario.id:<36} {scenario.category:<20} {scenario.title}"))
            if assignment is not None:
                notes = f" · {assignment.notes}" if assignment.notes else ""
                print(one_line(f"{'':<36} {assignment_label(assignment)}{notes}"))
        return 0
    except (StoreError, ConfigError) as exc:
        return fail(str(exc))


def all_scenarios(args: argparse.Namespace) -> list:
    """The bundled and imported scenarios, then free practice: what the app offers."""
    from ..scenarios import get_scenario, load_library

    with open_store(args) as store:
        imported = store.imported_scenarios()
    return [*load_library(imported), get_scenario("free")]


def scenarios_with_assignments(args: argparse.Namespace, scenarios: list) -> list:
    """Assigned scenarios first, each with its assignment (see store.programme.assigned_first)."""
    from ..store.programme import assigned_first

    with open_store(args) as store:
        return assigned_first(scenarios, store.my_assignments())


def import_csv(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from ..scenarios import load_library
    from ..scenarios.csv_io import CsvFileError, distinct_id, parse_scenarios_csv

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return fail(f"cannot read {path}: {exc.strerror or exc}")
    try:
        parsed = parse_scenarios_csv(data, bundled=load_library())
    except CsvFileError as exc:
        return fail(f"{path}: {exc}")
    if parsed.ignored_columns:
        print(one_line(f"note: ignored column(s) the app does not know: {', '.join(parsed.ignored_columns)}"))
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    with open_store(args) as store:
        titles = {s.id: s.title for s in store.imported_scenarios()}
        for line, scenario in zip(parsed.lines, parsed.scenarios):
            taken = titles.get(scenario.id)
            if taken is not None and taken != scenario.title:
                # Same id, different scenario: never replace it; keep both.
                new_id = distinct_id(scenario.id, scenario.title)
                print(one_line(f"line {line}: id {scenario.id} belongs to a different scenario ({taken}); "
                               f"not replaced, this one is {new_id}"))
                scenario = replace(scenario, id=new_id)
            outcome = store.save_scenario(scenario)
            titles[scenario.id] = scenario.title
            counts[outcome] += 1
            print(one_line(f"line {line}: {outcome} {scenario.id}  ({scenario.title})"))
            print(one_line(f"  profile: {scenario.profile.summary()}"))
    for problem in parsed.problems:
        print(one_line(f"{path}:{problem.line}: skipped: {problem.reason}"), file=sys.stderr)
    summary = (f"{counts['added']} added, {counts['updated']} updated, {counts['unchanged']} unchanged, "
               f"{len(parsed.problems)} skipped")
    if parsed.already_bundled:
        summary += f", {parsed.already_bundled} already bundled"
    print(summary)
    return 1 if parsed.problems else 0


def export_csv(scenarios: list, output: str | None) -> int:
    from ..scenarios.csv_io import scenarios_to_csv

    text = scenarios_to_csv(s for s in scenarios if not s.is_free_practice)
    if output is None:
        sys.stdout.write(text)
        return 0
    try:
        # newline="" keeps the CSV's CRLF line ends as they are.
        with open(output, "w", encoding="utf-8", newline="") as file:
            file.write(text)
    except OSError as exc:
        return fail(f"cannot write {output}: {exc.strerror or exc}")
    print(f"{len(scenarios) - 1} scenarios written to {output}", file=sys.stderr)
    return 0


def show_scenario(scenarios: list, scenario_id: str, form: str, model: bool = False) -> int:
    from ..scenarios.show import scenario_json, scenario_markdown

    chosen = next((s for s in scenarios if s.id == scenario_id), None)
    if chosen is None:
        return fail(f"unknown scenario {scenario_id!r}; known ids: {', '.join(s.id for s in scenarios)}")
    if model:
        chosen = _model_filled(chosen)
    if form == "json":
        print(json.dumps(scenario_json(chosen), ensure_ascii=False, indent=2))
    else:
        print(scenario_markdown(chosen))
    return 0


def _model_filled(scenario):
    import asyncio
    from dataclasses import replace

    from ..evaluation.llm import LlmSettings
    from ..scenarios.model_fill import fill_profile

    settings = LlmSettings.from_env()
    if settings is None:
        print("note: no model endpoint configured (OPENAI_API_KEY or PROTO_TRAINER_EVAL_URL); "
              "showing the text's reading only", file=sys.stderr)
        return scenario
    text = "\n\n".join(part for part in (scenario.prompt, scenario.description) if part)
    profile, notes = asyncio.run(fill_profile(text, scenario.profile, settings))
    for note in notes:
        print(one_line(f"note: {note}"), file=sys.stderr)
    return replace(scenario, profile=profile)
