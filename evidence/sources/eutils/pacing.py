"""Timing policy for E-utilities: request pacing, retry backoff, ``Retry-After``."""

from __future__ import annotations

import fcntl
import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("evidence.pubmed")

BACKOFF_BASE = 0.5
BACKOFF_FACTOR = 2.0
BACKOFF_CAP = 30.0
RETRY_AFTER_CAP = 60.0
# Real requests reach the server a little late, each by its own delay; a server counting
# arrivals in a sliding second sees four in it when the first of four was the later one.
# Shared (real-time) pacing keeps this much under the limit to absorb that jitter.
PACING_MARGIN = 0.05
FUTURE_TOLERANCE = 5.0  # seconds: a shared stamp further ahead than this is ignored
_REAL_CLOCKS = (time.monotonic, time.time, time.perf_counter)


class RateLimiter:
    """Keep at least ``(1 + margin) / rate`` seconds between the starts of two requests.

    ``clock`` and ``sleep`` are injected so tests can use a fake clock.
    """

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        *,
        margin: float = 0.0,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate!r}")
        if margin < 0:
            raise ValueError(f"margin must not be negative, got {margin!r}")
        self.interval = (1.0 + margin) / rate
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

    @staticmethod
    def across_processes(
        rate: float,
        path: Path,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> RateLimiter:
        """Pace with every process using ``path`` when time is real, else in this process.

        The shared file holds wall-clock times; an injected clock or sleep (a test's fake
        time) has no meaning to other processes, so it gets a limiter of its own.
        """
        if clock in _REAL_CLOCKS and sleep is time.sleep:
            return SharedRateLimiter(rate, path)
        return RateLimiter(rate, clock, sleep)


class SharedRateLimiter(RateLimiter):
    """A :class:`RateLimiter` whose budget is shared by every process using one file.

    The file holds the wall-clock start time of the last request. ``wait`` takes an
    exclusive ``flock`` on it, reads the time, sleeps until one interval after it, writes
    the new start and releases the lock, so processes take turns. A missing, empty
    or corrupt file means no previous request; a time more than ``FUTURE_TOLERANCE``
    seconds ahead is ignored and no wait exceeds one interval (clock steps). If the file
    cannot be used, pacing falls back to this process alone (and says so once). The
    interval is ``(1 + PACING_MARGIN) / rate``: real arrival times jitter.
    """

    def __init__(
        self,
        rate: float,
        path: Path,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        *,
        margin: float = PACING_MARGIN,
    ) -> None:
        super().__init__(rate, clock, sleep, margin=margin)
        self.path = path
        self._warned = False

    def wait(self) -> float:
        """Block until the next request may start here and elsewhere; return the seconds slept."""
        with self._lock:
            fd = self._open_locked()
            if fd is None:
                return self._pace(None, None)
            try:
                return self._pace(fd, _read_stamp(fd))
            finally:
                os.close(fd)  # releases the lock

    def _open_locked(self) -> int | None:
        """The rate file, opened and exclusively locked; None (with a warning) if unusable."""
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(self.path, flags, 0o600)
        except OSError as exc:
            self._warn(exc)
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as exc:  # e.g. a file system without locks
            os.close(fd)
            self._warn(exc)
            return None
        return fd

    def _pace(self, fd: int | None, shared: float | None) -> float:
        """Sleep after the later of the shared and own last starts; record the new start."""
        now = self._clock()
        stamps = [t for t in (shared, self._last_start) if t is not None]
        stamps = [t for t in stamps if t <= now + FUTURE_TOLERANCE]
        delay = 0.0
        if stamps:
            delay = min(max(stamps) + self.interval - now, self.interval)
        if delay > 0:
            self._sleep(delay)
        else:
            delay = 0.0
        self._last_start = max(self._clock(), now + delay)
        if fd is not None:
            try:
                _write_stamp(fd, self._last_start)
            except OSError as exc:
                self._warn(exc)
        return delay

    def _warn(self, exc: OSError) -> None:
        if not self._warned:
            self._warned = True
            log.warning(
                "cannot share the request budget through %s (%s): pacing this process only",
                self.path,
                exc.strerror or exc,
            )


def _read_stamp(fd: int) -> float | None:
    """The time in the rate file; None when it is empty or not a finite number."""
    try:
        value = float(os.pread(fd, 64, 0).decode("ascii").strip())
    except (OSError, ValueError):  # UnicodeDecodeError is a ValueError
        return None
    return value if math.isfinite(value) else None


def _write_stamp(fd: int, stamp: float) -> None:
    data = f"{stamp!r}\n".encode("ascii")  # repr: exact round trip
    os.pwrite(fd, data, 0)
    os.ftruncate(fd, len(data))


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
