"""Spoken turns against the real simulated caller on loopback: VAD, recognition, push-to-talk, barge-in."""

from __future__ import annotations

import itertools
import time

from proto_trainer_tui.audio.pcm import decode_b64
from proto_trainer_tui.realtime import events
from proto_trainer_tui.scenarios import get_scenario
from proto_trainer_tui.sim.recognizer import Recognizer

from .conftest import TOKEN
from .sim_talk import SILENCE_FRAME, open_client, spoken

PLAN = get_scenario("plan-and-means")


def between(types: list[str], first: str, then: str) -> bool:
    return first in types and then in types and types.index(first) < types.index(then)


async def test_spoken_suicide_question_gets_the_scenarios_disclosure(sim_server):
    client = await open_client(sim_server.url, TOKEN, PLAN.caller_instructions())
    try:
        await client.say("Hi, this is Sam at the crisis line. What's going on tonight?")
        await client.until("response.done")
        client.received.clear()
        await client.say("Are you thinking of killing yourself?")
        done = await client.until("response.done")
    finally:
        await client.ws.close()
    types = client.types()
    started = next(e for e in client.received if e["type"] == "input_audio_buffer.speech_started")
    stopped = next(e for e in client.received if e["type"] == "input_audio_buffer.speech_stopped")
    committed = next(e for e in client.received if e["type"] == "input_audio_buffer.committed")
    assert started["item_id"] == stopped["item_id"] == committed["item_id"]
    # The line is ~1.9 s long and followed by 0.8 s of silence; silence_duration_ms is 500.
    assert 1500 <= stopped["audio_end_ms"] - started["audio_start_ms"] <= 3200
    order = ["input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
             "input_audio_buffer.committed", "conversation.item.added",
             "conversation.item.input_audio_transcription.completed", "response.created",
             "response.output_audio.delta", "response.done"]
    assert all(between(types, a, b) for a, b in itertools.pairwise(order)), types
    transcript = next(e for e in client.received
                      if e["type"] == "conversation.item.input_audio_transcription.completed")
    assert "killing yourself" in transcript["transcript"]
    assert transcript["item_id"] == started["item_id"]
    said = done["response"]["output"][0]["content"][0]["transcript"]
    assert PLAN.risk.thoughts in said
    assert PLAN.risk.plan not in said  # the plan waits for its own question


async def test_push_to_talk_commit_then_response_create(sim_server):
    client = await open_client(sim_server.url, TOKEN, PLAN.caller_instructions(), turn_detection=None)
    try:
        await client.send(events.audio_commit())
        assert (await client.until("error"))["error"]["code"] == "input_audio_buffer_commit_empty"
        await client.say("Hello, you've reached the crisis line.", silence_ms=100)
        await client.send(events.audio_commit())
        await client.until("conversation.item.input_audio_transcription.completed")
        await client.send(events.response_create())
        await client.until("response.done")
        client.received.clear()
        await client.say("Do you have a plan for how you would do it?", silence_ms=100)
        await client.send(events.audio_commit())
        completed = await client.until("conversation.item.input_audio_transcription.completed")
        await client.send(events.response_create())
        done = await client.until("response.done")
    finally:
        await client.ws.close()
    assert "speech_started" not in " ".join(client.types())  # no VAD in push-to-talk
    assert "plan" in completed["transcript"]
    assert PLAN.risk.plan in done["response"]["output"][0]["content"][0]["transcript"]


async def test_clear_drops_the_buffered_turn(sim_server):
    client = await open_client(sim_server.url, TOKEN, PLAN.caller_instructions(), turn_detection=None)
    try:
        await client.say("Are you thinking of killing yourself?", silence_ms=0)
        await client.send(events.audio_clear())
        await client.until("input_audio_buffer.cleared")
        await client.send(events.audio_commit())
        error = await client.until("error")
    finally:
        await client.ws.close()
    assert error["error"]["code"] == "input_audio_buffer_commit_empty"


async def test_barge_in_cancels_the_reply_and_truncate_keeps_what_was_heard(sim_server):
    client = await open_client(sim_server.url, TOKEN, PLAN.caller_instructions())
    try:
        # A typed opener starts a long caller reply (the opening is three sentences).
        await client.send(events.user_text_item("Hello, crisis line."))
        await client.send(events.response_create())
        first_audio = await client.until("response.output_audio.delta")
        item_id = first_audio["item_id"]
        heard_bytes = len(decode_b64(first_audio["delta"]))
        while heard_bytes < 24_000 * 2 // 2:  # half a second of the caller has arrived (and "played")
            heard_bytes += len(decode_b64((await client.until("response.output_audio.delta"))["delta"]))
        await client.say("Can you tell me more?")  # the counselor talks over the caller
        cancelled = await client.until("response.done")
        await client.send(events.item_truncate(item_id, 400))
        truncated = await client.until("conversation.item.truncated")
        await client.until("response.done")  # the reply to the barge-in
    finally:
        await client.ws.close()
    types = client.types()
    assert between(types, "input_audio_buffer.speech_started", "response.done"), str([t for t in types if "delta" not in t])
    assert cancelled["response"]["status"] == "cancelled"
    assert cancelled["response"]["status_details"]["reason"] == "turn_detected"
    assert truncated["item_id"] == item_id and truncated["audio_end_ms"] == 400
    heard_words = cancelled["response"]["output"][0]["content"][0]["transcript"].split()
    assert len(heard_words) < len(PLAN.opening.split())


async def test_truncate_of_an_unknown_item_and_malformed_audio_are_errors_not_crashes(sim_server):
    client = await open_client(sim_server.url, TOKEN, PLAN.caller_instructions())
    try:
        await client.send(events.item_truncate("item_nope", 100))
        assert (await client.until("error"))["error"]["code"] == "item_truncate_invalid_item_id"
        await client.send({"type": "input_audio_buffer.append", "audio": "not base64!!"})
        assert "bad audio" in (await client.until("error"))["error"]["message"]
        await client.send({"type": "conversation.item.truncate", "item_id": 5, "audio_end_ms": "x"})
        assert (await client.until("error"))["type"] == "error"
        await client.send({"type": "session.update", "session": {"audio": {"input": {"turn_detection": {
            "type": "server_vad", "silence_duration_ms": "soon"}}}}})
        assert (await client.until("error"))["type"] == "error"
        await client.send(events.user_text_item("Are you still there?"))
        await client.send(events.response_create())
        assert (await client.until("response.done"))["response"]["status"] == "completed"
    finally:
        await client.ws.close()


async def test_silence_alone_starts_no_turn(sim_server):
    client = await open_client(sim_server.url, TOKEN, PLAN.caller_instructions())
    try:
        for _ in range(100):
            await client.send(events.audio_append(events_b64(SILENCE_FRAME)))
        await client.send(events.user_text_item("Hello?"))
        await client.send(events.response_create())
        await client.until("response.done")
    finally:
        await client.ws.close()
    assert not [t for t in client.types() if t.startswith("input_audio_buffer.speech")]


def events_b64(pcm: bytes) -> str:
    from proto_trainer_tui.audio.pcm import encode_b64

    return encode_b64(pcm)


def test_spoken_lines_are_cached_and_real_audio():
    assert len(spoken("Hello.")) > 24_000 * 2 * 0.2
    assert spoken("Hello.") is spoken("Hello.")


async def test_text_modality_answers_in_text_without_audio(sim_server):
    client = await open_client(sim_server.url, TOKEN, PLAN.caller_instructions())
    try:
        await client.send({"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text"]}})
        updated = await client.until("session.updated")
        await client.send(events.user_text_item("Hello, crisis line."))
        await client.send(events.response_create())
        done = await client.until("response.done")
        # One response may ask for audio even when the session is text.
        await client.send(events.user_text_item("Tell me more."))
        await client.send({"type": "response.create", "response": {"output_modalities": ["audio"]}})
        spoken_reply = await client.until("response.done")
    finally:
        await client.ws.close()
    assert updated["session"]["output_modalities"] == ["text"]
    text_part = done["response"]["output"][0]["content"][0]
    assert text_part["type"] == "output_text" and text_part["text"] == PLAN.opening
    types = client.types()
    assert "response.output_text.delta" in types
    assert types.index("response.output_audio.delta") > types.index("response.output_text.done")
    assert spoken_reply["response"]["output"][0]["content"][0]["type"] == "output_audio"


class SlowRecognizer(Recognizer):
    """The real recogniser, made slow: each chunk takes 80 ms more to decode."""

    def feed(self, pcm: bytes) -> None:
        time.sleep(0.08)
        super().feed(pcm)


async def test_a_slow_decode_in_one_session_does_not_stall_another(sim_server):
    sim_server.server.recognizers.factory = SlowRecognizer
    talker = await open_client(sim_server.url, TOKEN, PLAN.caller_instructions())
    typist = await open_client(sim_server.url, TOKEN, PLAN.caller_instructions())
    try:
        # ~2.5 s of speech in 20 ms chunks takes the slow recogniser ~13 s to get through.
        await talker.say("Are you thinking of killing yourself?")
        await talker.until("input_audio_buffer.speech_stopped")
        await typist.send(events.user_text_item("Hello, crisis line."))
        await typist.send(events.response_create())
        await typist.until("response.done")
        # The other session's whole reply went out while this one was still decoding.
        assert "conversation.item.input_audio_transcription.completed" not in talker.types()
        completed = await talker.until("conversation.item.input_audio_transcription.completed", timeout=60)
    finally:
        await talker.ws.close()
        await typist.ws.close()
    assert "killing yourself" in completed["transcript"]


async def test_the_scenarios_people_can_be_heard_by_name(sim_server):
    # Emma is in no counselor sentence: only plan-and-means's own words make her name hearable.
    client = await open_client(sim_server.url, TOKEN, PLAN.caller_instructions())
    try:
        await client.say("How old is Emma?")
        completed = await client.until("conversation.item.input_audio_transcription.completed")
    finally:
        await client.ws.close()
    assert "emma" in completed["transcript"]
