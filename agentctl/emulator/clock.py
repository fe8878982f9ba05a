"""A manual clock for driving the emulator's asynchronous transitions in tests.

``Emulator(clock=ManualClock())`` makes every CREATING / PREPARING / VERSIONING transition wait
until the test calls ``advance``; nothing sleeps. Pure: no I/O.
"""

from __future__ import annotations


class ManualClock:
    def __init__(self, start: float = 1_700_000_000.0):
        self.now = float(start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now

    def sleep(self, seconds: float) -> None:
        """A ``sleep`` that advances the clock instead of waiting (for fault latency)."""
        self.advance(seconds)
