"""Conversation state fed with recorded server events (no sockets)."""

from proto_trainer_tui.realtime.conversation import Conversation


def caller_reply(item_id="item_c1", response_id="resp_1", pieces=("I just ", "can't sleep."), status="completed"):
    """Server events of one caller reply, in the order a realtime server sends them."""
    yield {"type": "response.created", "response": {"id": response_id, "status": "in_progress"}}
    yield {"type": "response.output_item.added", "response_id": response_id,
           "item": {"id": item_id, "type": "message", "role": "assistant", "content": []}}
    yield {"type": "conversation.item.added", "item": {"id": item_id, "type": "message", "role": "assistant"}}
    for piece in pieces:
        yield {"type": "response.output_audio_transcript.delta", "item_id": item_id, "delta": piece}
        yield {"type": "response.output_audio.delta", "item_id": item_id, "delta": "AAAA"}
    if status == "completed":
        yield {"type": "response.output_audio_transcript.done", "item_id": item_id, "transcript": "".join(pieces)}
    yield {"type": "response.done", "response": {"id": response_id, "status": status,
                                                  "output": [{"id": item_id}]}}


def feed(conversation, events):
    changed = []
    for event in events:
        changed.extend(conversation.apply(event))
    return changed


def test_typed_turn_is_not_duplicated_by_the_server_echo():
    conversation = Conversation()
    conversation.add_typed("Hello, crisis line.", "item_u1")
    echo = {"type": "conversation.item.added",
            "item": {"id": "item_u1", "type": "message", "role": "user",
                     "content": [{"type": "input_text", "text": "Hello, crisis line."}]}}
    assert conversation.apply(echo) == []
    assert [t.text for t in conversation.turns] == ["Hello, crisis line."]
    assert conversation.turns[0].typed


def test_caller_text_grows_with_deltas_then_finishes():
    conversation = Conversation()
    snapshots = []
    for event in caller_reply():
        for turn in conversation.apply(event):
            snapshots.append((turn.text, turn.status))
    assert snapshots[0] == ("", "partial")
    assert ("I just ", "partial") in snapshots
    assert snapshots[-1] == ("I just can't sleep.", "done")
    assert len(conversation.turns) == 1


def test_cancelled_response_leaves_an_interrupted_turn_with_text_so_far():
    conversation = Conversation()
    feed(conversation, caller_reply(pieces=("I was going to ",), status="cancelled"))
    turn = conversation.turns[0]
    assert (turn.text, turn.status) == ("I was going to ", "interrupted")


def test_delta_for_unannounced_item_is_kept():
    conversation = Conversation()
    changed = conversation.apply({"type": "response.output_audio_transcript.delta", "item_id": "ghost", "delta": "hi"})
    assert [(t.role, t.text) for t in changed] == [("caller", "hi")]


def test_spoken_counselor_turn_gets_its_transcript():
    conversation = Conversation()
    feed(conversation, [
        {"type": "conversation.item.added", "item": {"id": "item_u9", "type": "message", "role": "user",
                                                     "content": [{"type": "input_audio"}]}},
        {"type": "conversation.item.input_audio_transcription.completed", "item_id": "item_u9",
         "transcript": "Are you safe right now?"},
    ])
    turn = conversation.turns[0]
    assert (turn.role, turn.text, turn.status, turn.typed) == ("counselor", "Are you safe right now?", "done", False)


def test_disconnect_interrupts_only_unfinished_turns():
    conversation = Conversation()
    conversation.add_typed("Hi", "item_u1")
    events = list(caller_reply())
    feed(conversation, events[:4])  # the caller is mid-sentence
    changed = conversation.interrupt_open_turns()
    assert [t.item_id for t in changed] == ["item_c1"]
    assert [t.status for t in conversation.turns] == ["done", "interrupted"]


def test_events_after_a_turn_finished_change_nothing():
    conversation = Conversation()
    feed(conversation, caller_reply())
    late = {"type": "response.output_audio_transcript.delta", "item_id": "item_c1", "delta": " more"}
    assert conversation.apply(late) == []
    assert conversation.turns[0].text == "I just can't sleep."


def test_unknown_and_odd_events_are_ignored():
    conversation = Conversation()
    for event in [{"type": "rate_limits.updated"}, {"type": "conversation.item.added", "item": "nope"},
                  {"type": "response.done", "response": None}, {"type": "response.output_audio_transcript.delta"}]:
        assert conversation.apply(event) == []
    assert conversation.turns == []


def spoken_item(item_id: str) -> dict:
    """A spoken counselor turn, announced before its words are known."""
    return {"type": "conversation.item.added",
            "item": {"id": item_id, "type": "message", "role": "user",
                     "content": [{"type": "input_audio", "transcript": None}]}}


def test_speech_with_no_words_leaves_no_turn_and_later_turns_move_up():
    conversation = Conversation()
    feed(conversation, [spoken_item("item_u1"),
                        {"type": "conversation.item.input_audio_transcription.completed", "item_id": "item_u1",
                         "transcript": "Hello?"}])
    feed(conversation, [spoken_item("item_noise")])
    feed(conversation, caller_reply("item_c1"))  # a server may answer before its recogniser is done
    assert [t.item_id for t in conversation.turns] == ["item_u1", "item_noise", "item_c1"]
    changed = feed(conversation, [{"type": "conversation.item.input_audio_transcription.failed",
                                   "item_id": "item_noise", "error": {"code": "no_speech"}}])
    assert changed == []
    assert [t.item_id for t in conversation.take_removed()] == ["item_noise"]
    assert conversation.take_removed() == []  # said once
    assert [t.item_id for t in conversation.turns] == ["item_u1", "item_c1"]
    assert conversation.order_of("item_c1") == 2 and conversation.order_of("item_noise") is None


def test_an_empty_transcript_is_no_turn_either_but_a_failed_one_with_words_stays():
    conversation = Conversation()
    feed(conversation, [spoken_item("item_a"),
                        {"type": "conversation.item.input_audio_transcription.completed", "item_id": "item_a",
                         "transcript": "  "}])
    assert conversation.turns == [] and len(conversation.take_removed()) == 1
    typed = conversation.add_typed("Are you still there?", "item_t")
    feed(conversation, [{"type": "conversation.item.input_audio_transcription.failed", "item_id": "item_t"}])
    assert conversation.turns == [typed] and conversation.take_removed() == []
