"""Wrong-password throttling for the desk's sign-in, in memory per server process.

Each account name gets ``NAME_TRIES`` free wrong passwords, each client address
``ADDRESS_TRIES`` (higher: behind a reverse proxy every browser shares the proxy's address);
after that each new try must wait ``BASE_DELAY`` seconds, doubling with every further
failure up to ``MAX_DELAY``. While a wait runs every try is refused (429), the right password
too. A success clears the name's count; counts are forgotten ``FORGET_AFTER`` seconds after
their last failure. Restarting the server clears everything, and two server processes count
apart: run one.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

NAME_TRIES = 5
ADDRESS_TRIES = 20
BASE_DELAY = 15.0
MAX_DELAY = 900.0
FORGET_AFTER = 3600.0
MAX_KEYS = 10_000  # bounds the memory a flood of made-up names can take
MAX_KEY = 200


@dataclass
class _Count:
    failures: int
    last: float


class LoginThrottle:
    """Counts wrong passwords per name and per client address; says how long to wait."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], _Count] = {}

    def wait(self, name: str, address: str) -> int:
        """Seconds before ``name`` may try again from ``address`` (0: now)."""
        now = self._clock()
        with self._lock:
            waits = [
                self._wait(("name", name[:MAX_KEY]), NAME_TRIES, now),
                self._wait(("address", address[:MAX_KEY]), ADDRESS_TRIES, now),
            ]
        return math.ceil(max(waits))

    def failed(self, name: str, address: str) -> None:
        """Count a wrong name or password."""
        now = self._clock()
        with self._lock:
            self._forget_old(now)
            for key in (("name", name[:MAX_KEY]), ("address", address[:MAX_KEY])):
                count = self._counts.get(key)
                if count is None or now - count.last > FORGET_AFTER:
                    self._counts[key] = _Count(1, now)
                else:
                    count.failures += 1
                    count.last = now

    def succeeded(self, name: str) -> None:
        """A right password: the name starts afresh (the address keeps its count)."""
        with self._lock:
            self._counts.pop(("name", name[:MAX_KEY]), None)

    def _wait(self, key: tuple[str, str], free: int, now: float) -> float:
        count = self._counts.get(key)
        if count is None or count.failures < free or now - count.last > FORGET_AFTER:
            return 0.0
        delay = min(BASE_DELAY * 2.0 ** (count.failures - free), MAX_DELAY)
        return max(0.0, count.last + delay - now)

    def _forget_old(self, now: float) -> None:
        if len(self._counts) < MAX_KEYS:
            return
        for key in [k for k, c in self._counts.items() if now - c.last > FORGET_AFTER]:
            del self._counts[key]
        while len(self._counts) >= MAX_KEYS:  # still full: drop the oldest
            del self._counts[min(self._counts, key=lambda k: self._counts[k].last)]
