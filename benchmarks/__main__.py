"""Run every benchmark: ``./dev bench`` (or ``python -m benchmarks``)."""

import asyncio

from .typed_turns import main

asyncio.run(main())
