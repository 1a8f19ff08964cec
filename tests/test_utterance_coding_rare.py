"""The rarer MITI codes (affirmation, emphasizing autonomy, seeking collaboration, persuade with permission,
confront) decided in context: negation, whose view it is, the caller's own words, the rest of the turn."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from proto_trainer_tui.evaluation import coding_model
from proto_trainer_tui.evaluation.coding import CODES, code_turn, phrases, said_by_counselor, turn_codes

SET = Path(__file__).resolve().parent.parent / "benchmarks" / "coding_set"
RARE = ("affirmation", "emphasizing_autonomy", "seeking_collaboration", "persuade_with_permission", "confront")


def codes(counselor: str, caller: str = "") -> list[str]:
    return turn_codes(code_turn(counselor, caller))


@pytest.mark.parametrize(("caller", "counselor", "expected"), [
    # Praise of an act, punctuated or not.
    ("I threw the bottles out.", "Getting rid of them took real determination.", "affirmation"),
    ("i threw the bottles out", "that was a really wise choice", "affirmation"),
    # The choice handed back.
    ("Should I go?", "That's entirely up to you.", "emphasizing_autonomy"),
    ("i dont want to talk about it", "we only go there if and when you choose", "emphasizing_autonomy"),
    # Proposals to work together are collaboration, not closed questions; asking for ideas is both.
    ("I don't know what to do.", "Could we work out a plan for tonight?", "seeking_collaboration"),
    ("I want to stop.", "What ideas do you have about where to start?", "seeking_collaboration"),
    # Advice after asking, or beside a permission marker, also in one unpunctuated clause.
    ("I can't sleep.", "Can I share an idea? Some people keep the phone out of the bedroom.",
     "persuade_with_permission"),
    ("i cant sleep", "can i suggest something you could leave the phone in the kitchen overnight",
     "persuade_with_permission"),
    ("I drink to relax.", "It's your call, but you might try a walk after work first.", "persuade_with_permission"),
    # Confrontation, also as a rhetorical question.
    ("I took a few extra last night.", "Why would you do something so stupid?", "confront"),
    ("It's not a problem.", "You're kidding yourself.", "confront"),
])
def test_rare_codes(caller, counselor, expected):
    assert expected in codes(counselor, caller)


def test_a_proposal_is_not_also_a_closed_question():
    assert codes("Shall we make a plan together?", "I don't know.") == ["seeking_collaboration"]


def test_negation_and_reported_views_are_not_the_counselors_stance():
    # Negated: not confrontation; someone else's view or the caller's feeling, reflected: not praise or blame.
    assert "confront" not in codes("I don't think you're overreacting.", "Am I overreacting?")
    assert "affirmation" not in codes("Your friend thinks you're really brave.", "My friend says I'm brave.")
    assert "confront" not in codes("You feel like you're being selfish.", "I'm so selfish.")
    assert "emphasizing_autonomy" not in codes("It's not up to you.", "")


def test_the_callers_own_words_echoed_are_a_reflection_not_a_confrontation():
    assert "confront" not in codes("You're fine.", "I'm fine, really.")
    assert "confront" in codes("You're fine.", "I can't breathe, I'm panicking.")


def test_said_by_counselor_reads_the_context():
    confront = phrases().confront
    assert said_by_counselor(confront, "that's not true", "nobody cares")
    assert not said_by_counselor(confront, "i don't think that's not true", "")
    assert not said_by_counselor(confront, "she says you're overreacting", "")


def test_plain_reflections_stay_reflections():
    for caller, counselor in (("We were together three years.", "Three years together."),
                              ("My heart pounds every morning.", "Your body is bracing before the day starts.")):
        found = codes(counselor, caller)
        assert any(code.endswith("_reflection") for code in found), found
        assert not set(RARE) & set(found), found


def test_the_model_adds_nothing_to_a_rare_code():
    probabilities = dict.fromkeys(coding_model.MODEL_CODES, 0.9)
    for code in RARE:
        assert coding_model.combine((code,), probabilities) == (code,)


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_rare_code_check_has_at_least_15_of_each_and_valid_entries():
    items = _lines(SET / "rare_check" / "rare-01.jsonl")
    for code in RARE:
        assert sum(code in item["codes"] for item in items) >= 15, code
    _check_entries(items, "rare_check")


def test_the_development_only_batch_is_marked_and_never_held_out():
    from benchmarks.utterance_coding import held_out

    items = _lines(SET / "batch-10.jsonl")
    _check_entries(items, "development")
    assert not any(held_out(item) for item in items)
    # The older batches are split by id as before; the marker alone keeps an item out of the held-out fold.
    assert held_out({"id": "b01-013"}) and not held_out({"id": "b01-013", "fold": "development"})


def _check_entries(items: list[dict], fold: str) -> None:
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids))
    for item in items:
        assert item["fold"] == fold
        assert item["codes"] and set(item["codes"]) <= set(CODES), item
        assert item["setting"] in ("crisis_line", "general_counselling")
        assert item["punctuated"] == any(mark in item["counselor"] for mark in ".,?!"), item
        assert item["caller"].strip() and item["counselor"].strip()
