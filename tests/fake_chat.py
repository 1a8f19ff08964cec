"""A loopback fake of an OpenAI-compatible chat-completions endpoint that streams server-sent events.

A real HTTP server on 127.0.0.1 (asyncio streams, no framework), so the openai SDK's own
HTTP client, SSE parser and error handling are what the tests exercise. Each request is
answered by the current ``mode``:

- ``good``: ``reply`` (or ``reply_for(messages)``) streamed word by word, after
  ``first_token_s`` and ``token_interval_s`` apart, then ``data: [DONE]``;
- ``slow``: headers, then nothing until the request is given up;
- ``malformed``: a 200 stream of lines that are not JSON;
- ``error``: HTTP 500 with an OpenAI-style JSON error body.

``POST .../audio/transcriptions`` (a transcription endpoint) answers ``{"text": transcript}``
in ``good`` mode, and fails the same ways otherwise.

Leaking replies are just ``good`` replies with a planted fact.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class ChatRequest:
    path: str
    authorization: str
    raw: bytes

    @property
    def body(self) -> dict:
        return json.loads(self.raw or b"{}")

    @property
    def messages(self) -> list[dict]:
        return self.body.get("messages", [])


@dataclass
class FakeChatEndpoint:
    mode: str = "good"
    reply: str = "Yeah. It's been a really rough couple of months, honestly."
    reply_for: Callable[[list[dict]], str] | None = None
    transcript: str = "are you thinking about suicide"
    first_token_s: float = 0.0
    token_interval_s: float = 0.0
    token_chars: int | None = None  # None: a word per token; 4 is about an OpenAI token
    # Stream this many tokens, then wait for ``resume`` (to see a sentence voiced before the reply ends).
    pause_after: int | None = None
    resume: asyncio.Event = field(default_factory=asyncio.Event)
    requests: list[ChatRequest] = field(default_factory=list)
    base_url: str = ""
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)
    _handlers: set[asyncio.Task] = field(default_factory=set)  # owned here: cancelled and awaited on stop

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self.base_url

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            for handler in list(self._handlers):
                handler.cancel()  # one parked on `resume` is not woken by closing its writer
            await asyncio.gather(*self._handlers, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> FakeChatEndpoint:
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        handler = asyncio.current_task()
        self._handlers.add(handler)
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            request_line, *header_lines = head.split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines if h)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            request = ChatRequest(request_line.split()[1], headers.get("authorization", ""), body)
            self.requests.append(request)
            await self._answer(request, reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._writers.discard(writer)
            self._handlers.discard(handler)
            writer.close()

    async def _answer(self, request: ChatRequest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "error":
            body = json.dumps({"error": {"message": "the model crashed", "type": "server_error", "code": None}})
            writer.write(f"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}".encode())
            await writer.drain()
            return
        if request.path.endswith("/audio/transcriptions") and self.mode == "good":
            body = json.dumps({"text": self.transcript})
            writer.write(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                         f"Connection: close\r\n\r\n{body}".encode())
            await writer.drain()
            return
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                     b"Connection: close\r\n\r\n")
        await writer.drain()
        if self.mode == "slow":
            await reader.read()  # b"" once the client gives up and hangs up
            return
        if self.mode == "malformed":
            writer.write(b"data: {this is not json\n\ndata: [[[\n\n")
            await writer.drain()
            return
        text = self.reply_for(request.messages) if self.reply_for else self.reply
        await asyncio.sleep(self.first_token_s)
        pattern = r"\S+\s*" if self.token_chars is None else rf"\S{{1,{self.token_chars}}}\s*"
        for index, token in enumerate(re.findall(pattern, text)):
            if index == self.pause_after:
                await self.resume.wait()
            if index and self.token_interval_s:
                await asyncio.sleep(self.token_interval_s)
            writer.write(sse_chunk(token))
            await writer.drain()
        writer.write(sse_chunk(None, finish="stop") + b"data: [DONE]\n\n")
        await writer.drain()


def sse_chunk(content: str | None, finish: str | None = None) -> bytes:
    delta = {"role": "assistant", "content": content} if content is not None else {}
    chunk = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": "fake-caller",
             "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(chunk)}\n\n".encode()

