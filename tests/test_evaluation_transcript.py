"""Reading session exports: good files parse, bad ones get a message naming what is wrong."""

from __future__ import annotations

import json

import pytest

from proto_trainer_tui.evaluation import TranscriptError, transcript_from_export, transcript_from_json

from .evaluation_helpers import caller, counselor, export


def good() -> dict:
    return export([counselor("Crisis line, this is Sam."), caller("Hi.")], "first-call-passive-thoughts")


def test_a_session_export_parses_with_timings():
    transcript = transcript_from_export(good())
    assert transcript.scenario_id == "first-call-passive-thoughts" and transcript.session_id == 7
    assert [t.role for t in transcript.turns] == ["counselor", "caller"]
    assert transcript.turns[0].seconds == pytest.approx(5 * 0.4)  # five words
    assert transcript.turns[0].started_at.tzinfo is not None


def test_turns_are_ordered_by_their_order_field():
    data = good()
    data["turns"].reverse()
    assert [t.order for t in transcript_from_export(data).turns] == [1, 2]


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("format"), "no 'format' field"),
    (lambda d: d.update(format="chat-log"), "'format' is 'chat-log', expected 'proto-trainer-session'"),
    (lambda d: d.update(version=2), "'version' is 2; this program reads version 1"),
    (lambda d: d.pop("turns"), "'turns' is missing"),
    (lambda d: d.update(turns={}), "'turns' must be a list, got an object"),
    (lambda d: d["turns"][1].update(role="assistant"), "turns[1].role is 'assistant'; expected 'counselor' or 'caller'"),
    (lambda d: d["turns"][0].update(text=None), "turns[0].text must be a string, got null"),
    (lambda d: d["turns"][0].update(order=0), "turns[0].order must be a positive integer"),
    (lambda d: d["turns"][1].update(order=1), "two turns have order 1"),
    (lambda d: d["turns"][0].update(started_at="yesterday"), "turns[0].started_at is not an ISO 8601 time"),
    (lambda d: d["turns"][0].update(started_at="2026-11-27T14:00:00"), "turns[0].started_at has no time zone"),
    (lambda d: d["turns"][0].update(status="lost"), "turns[0].status is 'lost'"),
    (lambda d: d["turns"][0].update(input="telepathy"), "turns[0].input is 'telepathy'"),
    (lambda d: d.update(session=[]), "'session' must be an object"),
])
def test_bad_exports_name_the_problem(change, message):
    data = good()
    change(data)
    with pytest.raises(TranscriptError) as error:
        transcript_from_export(data, "call.json")
    assert str(error.value).startswith("call.json: ")
    assert message in str(error.value)


def test_not_json_and_not_an_object():
    with pytest.raises(TranscriptError, match=r"call.json: not JSON \(line 1, column 1"):
        transcript_from_json("<html>", "call.json")
    with pytest.raises(TranscriptError, match="expected a JSON object .* got a list"):
        transcript_from_json(json.dumps([good()]), "call.json")
