"""Exponential backoff with full jitter (never a hot loop), and a duty
cycle for recurring work whose cost grows with the fabric."""

from __future__ import annotations

import random
import time


class Backoff:
    def __init__(self, initial: float, maximum: float, *, rng: random.Random | None = None) -> None:
        self.initial = initial
        self.maximum = maximum
        self.attempt = 0
        self._rng = rng or random.Random()

    def next(self) -> float:
        """The next delay: uniform in [cap/2, cap] with cap doubling up to the maximum."""
        cap = min(self.maximum, self.initial * 2.0**self.attempt)
        self.attempt += 1
        return float(cap / 2 + self._rng.random() * cap / 2)

    def reset(self) -> None:
        self.attempt = 0


class Duty:
    """At most ``1/factor`` of the time on a recurring job: after a run that
    cost ``c`` seconds, the next may start ``factor * c`` seconds after it
    ended (a cheap run: at once; a costly one: spaced out)."""

    def __init__(self, factor: float) -> None:
        self.factor = factor
        self._next = 0.0  # monotonic time before which no run starts

    def ran(self, started: float, ended: float) -> None:
        """A run took place (``time.monotonic()`` values)."""
        self._next = ended + self.factor * (ended - started)

    def wait(self) -> float:
        """Seconds until the next run may start (0: now)."""
        return max(0.0, self._next - time.monotonic())
