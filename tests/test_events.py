"""The protocol subset: building client events and parsing server frames."""


import pytest

from proto_trainer_tui.realtime import events


def test_parse_maps_beta_names_to_ga():
    event = events.parse_event('{"type": "response.audio_transcript.delta", "delta": "hi"}')
    assert event["type"] == "response.output_audio_transcript.delta"
    assert events.parse_event('{"type":"conversation.item.created"}')["type"] == "conversation.item.added"
    assert events.parse_event('{"type":"response.audio.delta"}')["type"] == "response.output_audio.delta"


def test_parse_keeps_unknown_types():
    assert events.parse_event('{"type": "something.new", "x": 1}') == {"type": "something.new", "x": 1}


@pytest.mark.parametrize(
    "frame, reason",
    [
        (b"\x00\x01", "binary frame"),
        ("{not json", "invalid JSON"),
        ("[1, 2]", "string 'type'"),
        ('{"type": 5}', "string 'type'"),
        ('"just a string"', "string 'type'"),
    ],
)
def test_parse_rejects_malformed_frames(frame, reason):
    with pytest.raises(events.MalformedEvent, match=reason):
        events.parse_event(frame)


def test_session_update_asks_for_pcm16_24k_both_ways():
    update = events.session_update("Be Alex.", voice="en-us", turn_detection=None)
    session = update["session"]
    assert update["type"] == "session.update"
    assert session["instructions"] == "Be Alex."
    assert session["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}
    assert session["audio"]["output"]["format"] == {"type": "audio/pcm", "rate": 24000}
    assert session["audio"]["input"]["turn_detection"] is None
    assert session["audio"]["output"]["voice"] == "en-us"
    assert events.session_instructions(update) == "Be Alex."


def test_user_text_item_round_trips_through_json():
    event = events.user_text_item("Hello [bold]there[/bold]", item_id="item_1")
    decoded = events.parse_event(events.dump_event(event))
    assert decoded["type"] == "conversation.item.create"
    assert decoded["event_id"].startswith("event_")
    assert decoded["item"]["id"] == "item_1"
    assert events.item_text(decoded["item"]) == "Hello [bold]there[/bold]"


def test_dump_keeps_unicode_readable():
    assert "café" in events.dump_event({"type": "x", "text": "café"})


def test_truncate_never_negative():
    assert events.item_truncate("item_9", -5)["audio_end_ms"] == 0
    assert events.item_truncate("item_9", 1234.7)["audio_end_ms"] == 1234


def test_error_message_is_one_readable_line():
    frame = {"type": "error", "error": {"type": "invalid_request_error", "code": "bad", "message": "No."}}
    assert events.error_message(frame) == "No. (bad)"
    assert events.error_message({"type": "error"}) == "server error (no details)"


def test_new_ids_are_unique_and_short():
    ids = {events.new_id("item") for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) <= 32 for i in ids)
