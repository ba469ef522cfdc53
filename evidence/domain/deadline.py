"""A time budget for a whole command (``refresh --deadline 20m``), and durations in words.

A :class:`Deadline` is started once and handed to whatever must stop in time: the refresh
checks it between steps, the E-utilities client before each request, each retry and each
wait, and caps its timeouts by what is left.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from evidence.domain.errors import DeadlineExceededError

_NUMBER = r"\d+(?:\.\d+)?"
_DURATION = re.compile(rf"(?:(?P<h>{_NUMBER})h)?(?:(?P<m>{_NUMBER})m)?(?:(?P<s>{_NUMBER})s?)?")


def parse_duration(text: str) -> float:
    """Seconds from ``90``, ``90s``, ``20m``, ``1h``, ``1h30m``; ValueError otherwise."""
    cleaned = text.strip().lower()
    match = _DURATION.fullmatch(cleaned)
    if not cleaned or match is None or not any(match.groupdict().values()):
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 20m, 1h)")
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    seconds = parts.get("h", 0.0) * 3600 + parts.get("m", 0.0) * 60 + parts.get("s", 0.0)
    if seconds <= 0:
        raise ValueError(f"a duration must be positive: {text!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """``90s``, ``20m``, ``1h30m``: how messages name a duration."""
    whole = round(seconds)
    if whole < 120 or whole % 60:
        return f"{seconds:g}s"
    hours, minutes = divmod(whole // 60, 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")


@dataclass(frozen=True)
class Deadline:
    """``seconds`` from the moment it was started, on ``clock`` (monotonic by default)."""

    seconds: float
    ends_at: float
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)

    @classmethod
    def start(cls, seconds: float, clock: Callable[[], float] = time.monotonic) -> Deadline:
        """A deadline ``seconds`` from now."""
        return cls(seconds, clock() + seconds, clock)

    @property
    def label(self) -> str:
        """``the deadline (20m)``: how messages name it."""
        return f"the deadline ({format_duration(self.seconds)})"

    def remaining(self) -> float:
        """Seconds left (0 when it has run out)."""
        return max(0.0, self.ends_at - self.clock())

    @property
    def expired(self) -> bool:
        """True once the time is up."""
        return self.clock() >= self.ends_at

    def check(self, doing: str) -> None:
        """Raise DeadlineExceededError (saying what was about to happen) once it has run out."""
        if self.expired:
            raise DeadlineExceededError(f"{self.label} ran out before {doing}")
