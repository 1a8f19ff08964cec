"""The caller's words from an OpenAI-compatible chat-completions endpoint.

OpenAI, or a model server on the organisation's own machines (Ollama, llama.cpp's
server, vLLM). Tokens stream in through the official ``openai`` SDK and leave as
sentences, each checked by the reply guard before it is voiced. When the model's
reply fails the guard, or the endpoint errors or is slow, the offline engine's
reply is voiced instead (or the reply stops after what was already voiced), and
the problem is logged and told to the client once per call (``sim/endpoints.py``):
the call always goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

from ..text import printable
from .caller_prompt import SentenceSplitter
from .endpoints import ProblemOnce, check_base_url, endpoint_key, sdk_client
from .reply_guard import Disclosure, check_reply

log = logging.getLogger(__name__)

CALLER_KEY_ENV = "PROTO_TRAINER_CALLER_API_KEY"
FIRST_TOKEN_TIMEOUT = 2.0  # seconds from asking to the first words, else the offline reply
STALL_TIMEOUT = 3.0  # seconds between streamed pieces before the reply is ended there
MAX_REPLY_TOKENS = 160


def caller_key(env: Mapping[str, str] | None = None) -> str | None:
    return endpoint_key(CALLER_KEY_ENV, env)


@dataclass(frozen=True)
class CallerModelSettings:
    model: str
    base_url: str | None = None  # None: OpenAI's own endpoint
    api_key: str | None = field(default=None, repr=False)  # never printed or logged
    first_token_timeout: float = FIRST_TOKEN_TIMEOUT
    stall_timeout: float = STALL_TIMEOUT

    def __post_init__(self) -> None:
        if not self.model.strip():
            raise ValueError("the caller model needs a name")
        check_base_url(self.base_url, "caller")

    def client(self):
        return sdk_client(self.api_key, self.base_url, timeout=max(10.0, self.stall_timeout * 4))


class ModelCaller:
    """One call's model-backed caller voice; shares the server's HTTP client."""

    def __init__(self, settings: CallerModelSettings, client) -> None:
        self.settings = settings
        self.client = client
        self.problem = ProblemOnce(log, f"caller model {printable(settings.model)}", "the caller's language model",
                                   "the offline caller fills in")
        self.guard_blocks = 0  # replies (or their ends) replaced or cut by the guard
        self.fallbacks = 0  # replies the offline engine gave instead of the model

    async def _tokens(self, messages: list[dict[str, str]]) -> AsyncIterator[str]:
        stream = await self.client.chat.completions.create(
            model=self.settings.model, messages=messages, stream=True,
            max_tokens=MAX_REPLY_TOKENS, temperature=0.8,
        )
        try:
            async for chunk in stream:
                for choice in chunk.choices or ():
                    text = getattr(choice.delta, "content", None)
                    if text:
                        yield text
        finally:
            await stream.close()

    async def sentences(self, messages: list[dict[str, str]], disclosure: Disclosure,
                        fallback: list[str]) -> AsyncIterator[str]:
        """The reply, sentence by sentence; ``fallback`` (the engine's) if nothing safe came first."""
        splitter, voiced = SentenceSplitter(), []
        tokens = self._tokens(messages)
        try:
            while True:
                wait = self.settings.stall_timeout if voiced else self.settings.first_token_timeout
                pieces, done = await self._next_pieces(tokens, splitter, wait)
                for piece in pieces:
                    verdict = check_reply(" ".join([*voiced, piece]), disclosure)
                    if not verdict.ok:
                        self.guard_blocks += 1
                        log.info("caller model reply held back: %s", verdict.reason)
                        done = True
                        break
                    voiced.append(piece)
                    yield piece
                if done:
                    break
        except TimeoutError:
            self.problem.say("the endpoint is slow" if not voiced else "the reply stalled")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the SDK's errors, malformed streams, refused connections
            self.problem.say(exc)
        finally:
            await tokens.aclose()
        if not voiced:
            self.fallbacks += 1
            for sentence in fallback:
                yield sentence

    async def _next_pieces(self, tokens: AsyncIterator[str], splitter: SentenceSplitter,
                           wait: float) -> tuple[list[str], bool]:
        """Read tokens until at least one piece is whole (or the stream ends) within ``wait`` seconds."""
        async with asyncio.timeout(wait):
            while True:
                try:
                    token = await anext(tokens)
                except StopAsyncIteration:
                    return splitter.finish(), True
                pieces = splitter.feed(token)
                if pieces:
                    return pieces, False
