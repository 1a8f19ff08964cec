"""Evaluation of a practice call: offline rubric evaluator, LLM evaluator, report model.

``evaluate_offline(transcript, scenario)`` is pure; ``evaluate_with_llm`` (llm.py) talks to an
OpenAI-compatible endpoint and falls back to the offline report.
"""

from .offline import evaluate_offline
from .report import EvaluationReport, Flag, ReportError
from .transcript import Transcript, TranscriptError, TranscriptTurn, transcript_from_export, transcript_from_json

__all__ = [
    "EvaluationReport", "Flag", "ReportError", "Transcript", "TranscriptError", "TranscriptTurn",
    "evaluate_offline", "scenario_for", "transcript_from_export", "transcript_from_json",
]


def scenario_for(transcript: Transcript, scenario_id: str | None = None, imported=(), *, strict: bool = False):
    """The scenario to grade against: an explicit id wins, then the transcript's, else free practice.

    ``imported``: scenarios imported into the store (CSV), looked up after the bundled ones. Raises
    ``UnknownScenario`` for an explicit id that does not exist; an unknown id recorded in the
    transcript (a scenario since removed) falls back to free practice, unless ``strict``.
    """
    from ..scenarios import UnknownScenario, get_scenario

    def find(wanted: str):
        return get_scenario(wanted, imported)  # the error names every known id, imported ones too

    if scenario_id:
        return find(scenario_id)
    try:
        return find(transcript.scenario_id or "free")
    except UnknownScenario:
        if strict:
            raise
        return get_scenario("free")
