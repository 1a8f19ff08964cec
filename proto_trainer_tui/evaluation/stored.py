"""Adapter: evaluate a session saved in the store, and save the report with it.

Used by ``proto-trainer evaluate SESSION_ID`` and by the app (press ``e`` after a call). The
evaluator itself stays pure; this module is the only part of ``evaluation`` that touches the store.
"""

from __future__ import annotations

from .report import EvaluationReport
from .transcript import Transcript, transcript_from_export


def load_stored_session(store, session_id: int) -> tuple[Transcript, list]:
    """The session as a transcript, and the store's imported scenarios (the session may use one).

    Raises ``StoreError`` (unknown id, unreadable store) or ``TranscriptError``.
    """
    from ..store.export import session_json

    session = store.get_session(session_id)
    export = session_json(session, store.turns(session_id), None)
    return transcript_from_export(export, f"session {session_id}"), store.imported_scenarios()


async def evaluate_stored_session(
    store, session_id: int, *, scenario_id: str | None = None, llm_settings=None, use_llm: bool = False,
    save: bool = True,
) -> EvaluationReport:
    """Grade a saved session (offline, or with the LLM when ``use_llm`` and settings are given) and save it.

    ``llm_settings``: an ``LlmSettings``; with ``use_llm`` and None, the LLM evaluator reports that no
    endpoint is configured and the offline report is used. Raises ``StoreError``, ``TranscriptError``
    or ``UnknownScenario`` (an explicit ``scenario_id`` that does not exist).
    """
    from . import evaluate_offline, scenario_for

    transcript, imported = load_stored_session(store, session_id)
    scenario = scenario_for(transcript, scenario_id, imported)
    if use_llm:
        from .llm import evaluate_with_llm

        report = await evaluate_with_llm(transcript, scenario, llm_settings)
    else:
        report = evaluate_offline(transcript, scenario)
    if save:
        store.save_evaluation(session_id, report.to_dict(), grade=report.grade, evaluator=report.evaluator)
    return report
