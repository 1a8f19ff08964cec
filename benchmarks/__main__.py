"""Run every benchmark: ``./dev bench`` (or ``python -m benchmarks``)."""

import asyncio

from . import evaluation_quality, spoken_turns, voice_streaming
from .typed_turns import main

asyncio.run(main())
asyncio.run(spoken_turns.main())
asyncio.run(voice_streaming.main([]))
evaluation_quality.main()
