"""``proto-trainer evaluate SESSION_ID`` and ``proto-trainer evaluate --transcript FILE.json``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from . import ConfigError, add_data_dir, fail, open_store


def add_parser(commands) -> None:
    evaluate = commands.add_parser(
        "evaluate",
        help="grade a practice call and print the feedback",
        description="Grade a saved session (by id) or a session export file (--transcript) and print the "
        "report as Markdown or JSON. The offline rubric evaluator is used unless --llm is given and an "
        "endpoint is configured (OPENAI_API_KEY, PROTO_TRAINER_EVAL_URL, PROTO_TRAINER_EVAL_MODEL); "
        "if the LLM fails, the offline report is printed with a note saying why.",
    )
    evaluate.add_argument("session_id", nargs="?", type=int, metavar="SESSION_ID",
                          help="a saved session ('sessions list' shows ids); its evaluation is saved with it")
    evaluate.add_argument("--transcript", metavar="FILE", help="a session export JSON file (see docs/data.md)")
    evaluate.add_argument("--scenario", metavar="ID", help="grade against this scenario's criteria "
                          "(default: the one named in the transcript)")
    evaluate.add_argument("--format", choices=("md", "json", "text"), default=None,
                          help="md (Markdown source; the default when output goes to a file or pipe), text (rendered "
                          "for the terminal, no Markdown escapes; the default on a terminal) or json")
    evaluate.add_argument("--llm", action="store_true", help="use the LLM evaluator when an endpoint is configured")
    evaluate.add_argument("--no-save", action="store_true", help="do not save the evaluation with the session")
    add_data_dir(evaluate)


def run(args: argparse.Namespace) -> int:
    from ..evaluation import TranscriptError
    from ..scenarios import UnknownScenario

    if (args.session_id is None) == (args.transcript is None):
        return fail("evaluate: give either a SESSION_ID or --transcript FILE.json (not both)")
    try:
        if args.transcript is not None:
            report, title = _evaluate_file(args)
        else:
            report, title = _evaluate_session(args)
    except (TranscriptError, UnknownScenario, _CannotLoad) as exc:
        return fail(f"evaluate: {exc}")
    output = args.format or ("text" if sys.stdout.isatty() else "md")
    if output == "json":
        sys.stdout.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
        return 0
    from ..evaluation.markdown import render_markdown

    markdown = render_markdown(report, title)
    if output == "md":
        sys.stdout.write(markdown)
    else:  # Rich renders the Markdown, so its escapes ("\\(") never reach the terminal
        from rich.console import Console
        from rich.markdown import Markdown

        Console(file=sys.stdout, soft_wrap=False).print(Markdown(markdown))
    return 0


class _CannotLoad(Exception):
    pass


def _llm_settings(args: argparse.Namespace):
    if not args.llm:
        return None
    from ..evaluation.llm import LlmSettings

    return LlmSettings.from_env()


def _evaluate_file(args: argparse.Namespace):
    from ..evaluation import evaluate_offline, scenario_for, transcript_from_json

    transcript = transcript_from_json(_read(args.transcript), args.transcript)
    # Imported scenarios are graded too; an id nobody knows is an error naming the known ones.
    scenario = scenario_for(transcript, args.scenario, _imported(args), strict=True)
    if args.llm:
        from ..evaluation.llm import evaluate_with_llm

        report = asyncio.run(evaluate_with_llm(transcript, scenario, _llm_settings(args)))
    else:
        report = evaluate_offline(transcript, scenario)
    return report, transcript.scenario_title or scenario.title


def _imported(args: argparse.Namespace) -> list:
    from ..store import StoreError

    try:
        with open_store(args) as store:
            return store.imported_scenarios()
    except (StoreError, ConfigError):
        return []  # no store to read: the bundled scenarios still are known


def _evaluate_session(args: argparse.Namespace):
    from ..evaluation.stored import evaluate_stored_session
    from ..store import StoreError

    try:
        with open_store(args) as store:
            report = asyncio.run(evaluate_stored_session(
                store, args.session_id, scenario_id=args.scenario, llm_settings=_llm_settings(args),
                use_llm=args.llm, save=not args.no_save,
            ))
            title = store.get_session(args.session_id).scenario_title
    except (StoreError, ConfigError) as exc:
        raise _CannotLoad(str(exc)) from None
    return report, title


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _CannotLoad(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise _CannotLoad(f"{path}: not a UTF-8 text file (a session export is JSON)") from None
    except OSError as exc:
        raise _CannotLoad(f"{path}: {exc.strerror or exc}") from None
