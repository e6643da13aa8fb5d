"""Exponential backoff with full jitter (never a hot loop)."""

from __future__ import annotations

import random


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
