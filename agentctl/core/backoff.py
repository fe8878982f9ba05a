"""agentctl's own backoff: capped exponential with full jitter, in one place.

The delay before retry ``n`` (1-based) is uniform in ``[0, min(cap, base * 2 ** (n - 1))]``
("full jitter", as in AWS's architecture blog post "Exponential Backoff And Jitter" and
botocore's standard retry mode): many clients that failed together spread out instead of
retrying in lock-step, and no client waits longer than ``cap``. Used by the AWS calls' retries
(``agentctl.aws.client.FullJitter``: botocore's retries and agentctl's own), the wait for a
remote lock and the records' conditional appends (``agentctl.locks``).

Must not: sleep (callers do, through their injected sleep), do I/O.
"""

from __future__ import annotations

import random
from typing import Callable


def ceiling(attempt: int, base: float, cap: float) -> float:
    """The largest delay before retry ``attempt`` (1-based): ``min(cap, base * 2 ** (n - 1))``."""
    return min(cap, base * (2 ** max(0, attempt - 1)))


def full_jitter(attempt: int, base: float, cap: float,
                rand: Callable[[], float] = random.random) -> float:
    """A delay uniform in ``[0, ceiling(attempt, base, cap)]`` (``rand`` in [0, 1))."""
    return rand() * ceiling(attempt, base, cap)
