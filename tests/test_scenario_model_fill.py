"""The optional model fill of a caller profile, against a fake OpenAI-compatible endpoint on loopback."""

from __future__ import annotations

import json

from proto_trainer_tui.cli import main
from proto_trainer_tui.evaluation.llm import LlmSettings
from proto_trainer_tui.scenarios.model_fill import ProposedProfile, fill_profile, merge
from proto_trainer_tui.scenarios.reader import read_profile

from .evaluation_helpers import FakeChatEndpoint

KEY = "sk-test-not-a-real-key-123456"
TEXT = "You are Sam. Deny SI/self-harm. You lost your job and your partner left; you are drinking more."


def proposal(**changes) -> dict:
    values = dict(caller_name="Sam", age=None, pronouns="they/them", caller="self", role=None, about=None,
                  about_risk="not_stated", opening="speaks", risk="active", plan=None, means=None,
                  past_attempts=None, self_harm=False, homicidal=None, homicidal_target=None)
    values.update(changes)
    return values


def test_the_text_wins_and_the_model_fills_only_what_it_left_unstated():
    read = read_profile(TEXT)
    merged, notes = merge(read, ProposedProfile(**proposal(homicidal=False)))
    assert (merged.risk, merged.source("risk")) == ("none", "text")  # the model's "active" is not applied
    assert any(note.startswith("risk: the text says 'none', the model said 'active'") for note in notes)
    assert (merged.pronouns, merged.source("pronouns")) == ("they/them", "model")
    assert (merged.homicidal, merged.source("homicidal")) == (False, "model")
    assert merged.source("plan") == "not_stated"  # null from the model fills nothing


async def test_fill_through_the_sdk_and_a_failing_endpoint_falls_back():
    async with FakeChatEndpoint([("json", proposal()), ("status", 500)]) as endpoint:
        settings = LlmSettings(model="fake-model", base_url=endpoint.url, api_key=KEY, timeout=5.0, max_retries=0)
        merged, notes = await fill_profile(TEXT, read_profile(TEXT), settings)
        assert merged.source("pronouns") == "model" and merged.risk == "none"
        schema = endpoint.requests[0]["response_format"]["json_schema"]
        assert "<brief>" in endpoint.requests[0]["messages"][1]["content"] and schema["strict"] is True
        fallback, notes = await fill_profile(TEXT, read_profile(TEXT), settings)
    assert fallback == read_profile(TEXT) and notes == ["model fill not used: the endpoint answered HTTP 500"]
    assert KEY not in json.dumps(notes)


def test_show_with_model_and_no_endpoint_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("PROTO_TRAINER_EVAL_URL", raising=False)
    assert main(["--data-dir", str(tmp_path), "scenarios", "show", "plan-and-means", "--model", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["profile"]["caller_name"] == "Daniel" and "no model endpoint configured" in err
