"""Timing policy for E-utilities: request pacing, retry backoff, ``Retry-After``."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

BACKOFF_BASE = 0.5
BACKOFF_FACTOR = 2.0
BACKOFF_CAP = 30.0
RETRY_AFTER_CAP = 60.0


class RateLimiter:
    """Keep at least ``1 / rate`` seconds between the starts of two requests.

    ``clock`` and ``sleep`` are injected so tests can use a fake clock.
    """

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate!r}")
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._last_start: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Block until the next request may start; return the seconds slept."""
        with self._lock:
            now = self._clock()
            delay = 0.0
            if self._last_start is not None:
                delay = self._last_start + self.interval - now
            if delay > 0:
                self._sleep(delay)
            else:
                delay = 0.0
            # A real sleep may overshoot; a fake clock may not move at all.
            self._last_start = max(self._clock(), now + delay)
            return delay


def backoff_delay(
    retry: int,
    rand: Callable[[], float] = random.random,
    *,
    base: float = BACKOFF_BASE,
    factor: float = BACKOFF_FACTOR,
    cap: float = BACKOFF_CAP,
) -> float:
    """Seconds to wait before retry number ``retry`` (1-based): exponential, capped, jittered.

    The delay is drawn from ``[d/2, d]`` with ``d = min(cap, base * factor**(retry-1))``.
    """
    ceiling = min(cap, base * factor ** max(retry - 1, 0))
    return ceiling / 2 + rand() * ceiling / 2


def parse_retry_after(value: str | None, *, cap: float = RETRY_AFTER_CAP) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds only), capped; None if unusable."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    if seconds != seconds or seconds < 0:  # NaN or negative
        return None
    return min(seconds, cap)
