"""Helpers for the evaluation tests: transcripts built from lines, and a fake chat endpoint on loopback."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from proto_trainer_tui.evaluation import Transcript, transcript_from_export, transcript_from_json

EVALUATION_SET = Path(__file__).parent.parent / "benchmarks" / "evaluation_set"
START = datetime(2026, 11, 27, 14, 0, tzinfo=timezone.utc)


def labelled(name: str) -> Transcript:
    return transcript_from_json((EVALUATION_SET / f"{name}.json").read_text(), name)


def export(lines: list[tuple[str, str]], scenario_id: str = "plan-and-means", *, spoken: bool = True,
           gap: float = 1.0, seconds_per_word: float = 0.4, status: str = "complete") -> dict:
    """A session export from (role, text) lines, with timings: each turn lasts words * seconds_per_word."""
    turns, moment = [], START
    for order, (role, text) in enumerate(lines, 1):
        moment += timedelta(seconds=gap)
        length = timedelta(seconds=len(text.split()) * seconds_per_word)
        turns.append({
            "order": order, "role": role, "text": text, "status": "done",
            "input": ("spoken" if spoken else "typed") if role == "counselor" else None,
            "started_at": moment.isoformat(), "ended_at": (moment + length).isoformat(),
        })
        moment += length
    return {
        "format": "proto-trainer-session", "version": 1,
        "session": {"id": 7, "scenario_id": scenario_id, "scenario_title": "t", "server": "embedded",
                    "mode": "voice" if spoken else "typed", "started_at": START.isoformat(),
                    "ended_at": moment.isoformat(), "status": status, "recording": None},
        "turns": turns, "evaluation": None,
    }


def transcript(lines: list[tuple[str, str]], scenario_id: str = "plan-and-means", **options) -> Transcript:
    return transcript_from_export(export(lines, scenario_id, **options))


def counselor(text: str) -> tuple[str, str]:
    return ("counselor", text)


def caller(text: str) -> tuple[str, str]:
    return ("caller", text)


class FakeChatEndpoint:
    """A tiny OpenAI-compatible ``/v1/chat/completions`` server on 127.0.0.1.

    Each request takes the next planned answer: ("json", dict) a good completion, ("text", str) a
    completion with that content, ("slow", seconds) no answer for that long, ("status", code) an error.
    """

    def __init__(self, answers: list[tuple[str, object]]) -> None:
        self.answers = list(answers)
        self.requests: list[dict] = []
        self.headers: list[dict[str, str]] = []
        self._server: asyncio.base_events.Server | None = None

    @property
    def url(self) -> str:
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}/v1"

    async def __aenter__(self) -> FakeChatEndpoint:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc_info) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.headers.append(headers)
            self.requests.append(json.loads(body))
            kind, value = self.answers.pop(0) if self.answers else ("status", 500)
            if kind == "slow":
                await asyncio.sleep(value)
                kind, value = "json", {}
            if kind == "status":
                payload = json.dumps({"error": {"message": "fake failure sk-secret-in-error", "type": "x"}}).encode()
                status = f"{value} Error"
            else:
                content = json.dumps(value) if kind == "json" else value
                payload = json.dumps({
                    "id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": "fake-model",
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content, "refusal": None}}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }).encode()
                status = "200 OK"
            writer.write(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
                         f"x-should-retry: {'true' if status.startswith('5') else 'false'}\r\n"
                         "Connection: close\r\n\r\n".encode() + payload)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


def judgement(grade: str = "B", **changes) -> dict:
    data = {
        "grade": grade,
        "rubric_rationale": "Asked directly at turn 3; planning was thin.",
        "summary": "A solid call with a direct question about suicide.",
        "key_learning_objective": "Make the safety plan together.",
        "recommendations": [
            {"advice": "Reflect before asking.", "instead_of": "Do you have a plan?", "try_saying": "It sounds like...",
             "turn": 5},
            {"advice": "Close warmly.", "instead_of": "", "try_saying": "You can call back any time.", "turn": None},
        ],
        "reflection_prompts": ["What did the caller need most?"],
    }
    data.update(changes)
    return data
