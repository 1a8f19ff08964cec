"""The per-utterance MITI 4.2 coder: many phrasings, with and without punctuation, and its phrase data."""

from __future__ import annotations

import re
import tomllib
from importlib import resources

import pytest

from proto_trainer_tui.evaluation.coding import CODES, code_clause, code_turn, load_phrases, split_clauses, turn_codes


def codes(counselor: str, caller: str = "") -> list[str]:
    return turn_codes(code_turn(counselor, caller))


@pytest.mark.parametrize(("caller", "counselor", "expected"), [
    # Plain restatements are reflections (issue 13's examples).
    ("I just don't want them to suffer.", "You care about them.", "complex_reflection"),
    ("My friend talked me into trying some pills.", "So with his encouragement, you tried some drugs.", "reflection"),
    ("I feel so slow these days.", "So you feel slow.", "simple_reflection"),
    ("I just feel stuck.", "Stuck.", "simple_reflection"),
    ("i feel so slow these days", "so you feel slow", "simple_reflection"),
    # A rising "?" on a restatement is still a reflection.
    ("I got so scared of it that I stopped using.", "The risks were so scary then that you were able to stop?",
     "reflection"),
    ("I haven't told anyone about the pills.", "You've been holding this completely on your own?",
     "complex_reflection"),
    # Fact-seeking wh-questions are closed; a declarative "?" that brings up something new is a question.
    ("We got a puppy last week.", "What kind of dog?", "closed_question"),
    ("My son is two.", "When will he turn three?", "closed_question"),
    ("I don't have anyone.", "Okay, so you know some people?", "closed_question"),
    ("", "What's your name?", "closed_question"),
    ("", "How old are you?", "closed_question"),
    ("", "You're not suicidal, are you?", "closed_question"),
    # Open questions, also unpunctuated and after a lead-in.
    ("I don't know.", "What's been going on for you tonight?", "open_question"),
    ("I don't know", "whats been going on for you tonight", "open_question"),
    ("", "Before we end, how are you feeling now?", "open_question"),
    ("", "Can you tell me more about that?", "open_question"),
    ("I'm anxious all the time.", "When do you notice it most?", "open_question"),
    # Screening questions are closed, statements are not questions.
    ("", "Are you thinking about killing yourself?", "closed_question"),
    ("", "are you thinking about killing yourself", "closed_question"),
    ("", "I ask everyone who calls: are you having any thoughts of suicide?", "closed_question"),
    ("", "When people hurt this much, they think about suicide.", "not a question"),
    # The other MITI behaviours.
    ("I called you instead of doing anything.", "You've been really brave tonight.", "affirmation"),
    ("", "It's up to you.", "emphasizing_autonomy"),
    ("", "You should see a therapist.", "persuade"),
    ("", "you need to stop drinking", "persuade"),
    ("", "Can I share something that helps some people? You could try writing it down.", "persuade_with_permission"),
    ("", "Let's figure out together what might get you through the next hour.", "seeking_collaboration"),
    ("She's being ridiculous.", "You're just being defensive.", "confront"),
    ("", "Here is the number for a counselling service near you, and you can call us back.", "giving_information"),
    ("", "Thank you for calling, I'm Sam.", "other"),
    ("", "Hi, yes, you've reached the crisis line, my name is Dana.", "other"),
])
def test_codes_decided_with_the_callers_words(caller, counselor, expected):
    found = codes(counselor, caller)
    if expected == "reflection":  # simple or complex is a judgement call here; a reflection it is
        assert any(code.endswith("_reflection") for code in found), found
    elif expected == "not a question":
        assert not any(code.endswith("_question") for code in found), found
    else:
        assert expected in found


def test_a_greeting_is_never_a_reflection_or_a_skill():
    for line in ("Thank you for calling, I'm Sam.", "Hello, crisis line.", "Take care. Goodbye."):
        assert codes(line) == ["other"]


def test_unpunctuated_speech_is_split_into_clauses():
    assert split_clauses("it sounds like youve been carrying this alone are you thinking about suicide") == [
        "it sounds like youve been carrying this alone", "are you thinking about suicide"]
    assert split_clauses("that sounds really hard what happened next") == ["that sounds really hard",
                                                                          "what happened next"]
    # "I know what you mean" and "tell me how" are one clause.
    assert len(split_clauses("i know what you mean")) == 1
    # Punctuated text is split on its sentences only.
    assert split_clauses("So cigarettes are how you get through the pressure at work?") == [
        "So cigarettes are how you get through the pressure at work?"]
    coded = turn_codes(code_turn("that sounds really hard what happened next", "it's been awful"))
    assert coded[0].endswith("reflection") and coded[-1] == "open_question"


def test_turn_codes_keep_order_and_drop_other_when_something_else_was_found():
    assert codes("Okay. What happened?") == ["open_question"]
    assert codes("Hi, this is Sam. It sounds really hard. What happened?", "It's been so hard.") == [
        "simple_reflection", "open_question"]


def test_every_code_is_a_miti_code():
    lines = ["Hi.", "What happened?", "You feel alone.", "You should leave.", "It's up to you.", "Calm down."]
    for line in lines:
        for clause in code_turn(line):
            assert set(clause.codes) <= set(CODES)
    assert code_clause("") == ("other",)


def test_every_phrase_entry_compiles_and_the_data_loads():
    for name in ("coding.toml", "feedback.toml", "checklist.toml"):
        text = resources.files("proto_trainer_tui.evaluation").joinpath(f"data/{name}").read_text(encoding="utf-8")
        data = tomllib.loads(text)
        entries = []

        def walk(value):
            if isinstance(value, str):
                entries.append(value)
            elif isinstance(value, list):
                for item in value:
                    walk(item)
            elif isinstance(value, dict):
                for item in value.values():
                    walk(item)

        walk(data)
        assert entries, name
        for entry in entries:
            re.compile(entry)
    load_phrases(resources.files("proto_trainer_tui.evaluation").joinpath("data/coding.toml").read_text())


def test_the_shipped_model_refines_the_rules():
    from proto_trainer_tui.evaluation import coding_model

    model = coding_model.weights()
    assert model is not None and set(model) == set(coding_model.MODEL_CODES)
    assert all(len(w) == coding_model.feature_count(CODES) for w in model.values())
    # Rules alone still code; the model decides only question and reflection kinds, or adds one where the
    # rules found neither; a greeting stays "other".
    line, caller = "You feel alone.", "I feel so alone."
    assert turn_codes(code_turn(line, caller, use_model=False)) == ["simple_reflection"]
    assert turn_codes(code_turn(line, caller))[0].endswith("_reflection")
    assert codes("Thank you for calling, I'm Sam.") == ["other"]
    probabilities = dict.fromkeys(coding_model.MODEL_CODES, 0.1) | {"complex_reflection": 0.9}
    assert coding_model.combine(("simple_reflection",), probabilities) == ("complex_reflection",)
    assert coding_model.combine(("persuade",), probabilities) == ("persuade",)
    assert coding_model.combine(("other",), probabilities) == ("complex_reflection",)
    assert coding_model.combine(("other",), dict.fromkeys(coding_model.MODEL_CODES, 0.1)) == ("other",)
    assert codes("So you feel slow.", "I feel so slow.") == ["simple_reflection"]  # the caller's words, restated
