"""When to try again after an unexpected close: exponential backoff with full jitter."""

from __future__ import annotations

import random
from collections.abc import Callable

DEFAULT_TRIES = 5
BASE_SECONDS = 0.5
CAP_SECONDS = 8.0


def backoff_delay(attempt: int, *, rng: Callable[[], float] = random.random) -> float:
    """Seconds to wait before try ``attempt`` (1-based): uniform in [0, 0.5 * 2**(attempt-1)], capped at 8.

    Full jitter spreads out many clients that lost the same server at once.
    """
    if attempt < 1:
        raise ValueError(f"attempts count from 1, got {attempt}")
    return rng() * min(CAP_SECONDS, BASE_SECONDS * 2 ** (attempt - 1))
