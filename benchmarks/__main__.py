"""Run every benchmark: ``./dev bench`` (or ``python -m benchmarks``)."""

import asyncio

from . import evaluation_quality
from .typed_turns import main

asyncio.run(main())
evaluation_quality.main()
