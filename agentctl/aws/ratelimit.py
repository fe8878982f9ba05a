"""Client-side rate limiting: every bedrock-agent operation kept under its published TPS quota.

What it does:
- ``TokenBucket``: a thread-safe token bucket on an injected clock. ``reserve()`` takes a token
  and returns how long the caller must wait before using it (tokens may go negative: each
  caller reserves its place, so waiters are served in arrival order and never spin).
- ``OperationLimiter``: one operation's bucket at ``margin`` x its quota with a burst of
  ``burst_fraction`` x its quota, **adaptive**: a ThrottlingException that comes through anyway
  (another process or account user spends the same quota) cuts the rate by ``decrease``, and
  the rate then climbs back linearly to its ceiling over ``recovery`` seconds (additive
  increase, multiplicative decrease; botocore's own ``adaptive`` mode does this for a whole
  client, which would slow every operation for one operation's throttle).
- ``RateLimiter``: the per-operation limiters of one client (shared by every thread using it),
  quotas from ``agentctl.core.quotas.TPS_QUOTAS``, the table the emulator enforces too.
- ``install(client, limiter)``: hooks the limiter into botocore's ``before-send`` (every attempt,
  retries included, takes a token) and ``needs-retry`` (a throttled answer adapts the rate).
- **Interruptible waits**: ``RateLimiter.interrupt(abandon=False)`` (the executor calls it on
  Ctrl-C / SIGTERM) wakes every caller waiting for a token of a *mutating* operation at once
  with ``WaitCancelled``: nothing was sent, so the step that wanted it simply does not run. Reads
  (the polls of steps in flight, which the first interruption lets finish) keep waiting until
  ``interrupt(abandon=True)`` (the second Ctrl-C) cancels every wait. ``reset()`` re-arms it.

Why a margin and half a burst: the service's bucket (and the emulator's) starts full with one
second's worth of tokens; sending at most half of that at once and then slightly below the quota
leaves the service's bucket headroom for the jitter between when a request leaves and when the
service counts it (thread scheduling, network), so the quota is never exceeded in practice.

Must not: decide retries (botocore's retry handler does), wait other than on its interruption
event (or the injected ``sleep``), or print.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Mapping

from agentctl.core.quotas import TPS_QUOTAS
from agentctl.errors import AgentctlError

Clock = Callable[[], float]


class WaitCancelled(AgentctlError):
    """A call's wait for its token was cancelled by an interruption: the request was not sent."""

    def __init__(self, operation: str, waited: float):
        self.operation = operation
        super().__init__(f"{operation} was not sent: interrupted while waiting "
                         f"{waited:.1f}s for its turn under the TPS quota")


def is_read(operation: str) -> bool:
    """Get* / List* change nothing; everything else (Create, Update, Delete, Prepare, Tag,
    Associate, ...) would start a change."""
    return operation.startswith(("Get", "List"))


class TokenBucket:
    """``rate`` tokens per second, at most ``capacity`` stored; starts full."""

    def __init__(self, rate: float, capacity: float, *, clock: Clock):
        if rate <= 0 or capacity < 1:
            raise ValueError("a token bucket needs rate > 0 and capacity >= 1")
        self._clock = clock
        self._lock = threading.Lock()
        self._rate = float(rate)
        self._capacity = float(capacity)
        self._tokens = float(capacity)
        self._last = clock()

    @property
    def rate(self) -> float:
        return self._rate

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._last)
        self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)
        self._last = now

    def set_rate(self, rate: float) -> None:
        """Change the refill rate from now on (tokens accrued so far are kept)."""
        with self._lock:
            self._refill(self._clock())
            self._rate = max(1e-6, float(rate))

    def reserve(self) -> float:
        """Take one token; seconds the caller must wait before sending (0 when one was there)."""
        with self._lock:
            self._refill(self._clock())
            self._tokens -= 1.0
            if self._tokens >= 0:
                return 0.0
            return -self._tokens / self._rate


class OperationLimiter:
    """One operation's adaptive bucket (see the module docstring)."""

    def __init__(self, quota: float, *, clock: Clock, margin: float = 0.95,
                 burst_fraction: float = 0.5, decrease: float = 0.5, recovery: float = 10.0,
                 min_fraction: float = 0.05):
        self.quota = float(quota)
        self.ceiling = self.quota * margin
        self._floor = self.quota * min_fraction
        self._decrease, self._recovery = decrease, recovery
        self._clock = clock
        self._lock = threading.Lock()
        self._cut_to: float | None = None     # rate right after the last throttle
        self._cut_at = 0.0
        self.throttles = 0
        self.bucket = TokenBucket(self.ceiling, max(1.0, self.quota * burst_fraction),
                                  clock=clock)

    def current_rate(self) -> float:
        """The rate allowed now: the ceiling, or climbing back to it after a throttle."""
        with self._lock:
            return self._rate_at(self._clock())

    def _rate_at(self, now: float) -> float:
        if self._cut_to is None:
            return self.ceiling
        progress = (now - self._cut_at) / self._recovery if self._recovery > 0 else 1.0
        if progress >= 1.0:
            self._cut_to = None
            return self.ceiling
        return self._cut_to + (self.ceiling - self._cut_to) * max(0.0, progress)

    def reserve(self) -> float:
        with self._lock:
            rate = self._rate_at(self._clock())
        if rate != self.bucket.rate:
            self.bucket.set_rate(rate)
        return self.bucket.reserve()

    def throttled(self) -> None:
        """The service throttled this operation anyway: slow down (multiplicative decrease)."""
        with self._lock:
            now = self._clock()
            self.throttles += 1
            self._cut_to = max(self._floor, self._rate_at(now) * self._decrease)
            self._cut_at = now
        self.bucket.set_rate(self._cut_to)


class RateLimiter:
    """The limiters of one client's operations; operations without a quota are not limited."""

    def __init__(self, quotas: Mapping[str, float] = TPS_QUOTAS, *, clock: Clock = time.monotonic,
                 sleep: Callable[[float], None] | None = None, **options: float):
        """``sleep``: tests inject a fake one; by default callers wait on the interruption event
        (``interrupt``), so a wait ends the moment it is cancelled."""
        self.quotas = dict(quotas)
        self._clock, self._sleep, self._options = clock, sleep, options
        self._lock = threading.Lock()
        self._ops: dict[str, OperationLimiter] = {}
        self._wake = threading.Event()
        self._level = 0     # 0: waits run their course; 1: mutating waits cancelled; 2: all
        self.waited = 0.0
        """Seconds callers spent waiting for tokens, in total (for benchmarks and progress)."""
        self.cancelled = 0
        """Waits cancelled by ``interrupt``."""

    # ------------------------------------------------------------------ interruption

    def interrupt(self, *, abandon: bool = False) -> None:
        """Cancel the waits of mutating operations now and refuse new ones (``abandon``: every
        wait, reads too); they raise ``WaitCancelled``."""
        with self._lock:
            self._level = max(self._level, 2 if abandon else 1)
        self._wake.set()

    def reset(self) -> None:
        """Back to normal (a later run in the same process waits again)."""
        with self._lock:
            self._level = 0
        self._wake.clear()

    def _cancelled_for(self, operation: str) -> bool:
        level = self._level
        return level >= 2 or (level == 1 and not is_read(operation))

    def _wait(self, operation: str, delay: float) -> None:
        """Wait ``delay`` seconds for ``operation``'s token, unless an interruption cancels it."""
        if self._cancelled_for(operation):
            self._cancel(operation, 0.0)
        start = self._clock()
        if self._sleep is not None:
            self._sleep(delay)
        else:
            deadline = time.monotonic() + delay
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                if self._wake.is_set():
                    # Interrupted, but not for this wait (a read during the first interruption):
                    # the event stays set, so wait in short slices, watching for the second.
                    time.sleep(min(left, 0.1))
                else:
                    self._wake.wait(left)
                if self._cancelled_for(operation):
                    break
        if self._cancelled_for(operation):
            self._cancel(operation, self._clock() - start)

    def _cancel(self, operation: str, waited: float) -> None:
        with self._lock:
            self.cancelled += 1
        raise WaitCancelled(operation, waited)

    def limiter(self, operation: str) -> OperationLimiter | None:
        quota = self.quotas.get(operation)
        if not quota:
            return None
        with self._lock:
            op = self._ops.get(operation)
            if op is None:
                op = self._ops[operation] = OperationLimiter(quota, clock=self._clock,
                                                             **self._options)
            return op

    def acquire(self, operation: str) -> float:
        """Wait until ``operation`` may be sent; the seconds waited. Raises ``WaitCancelled``
        when an interruption cancels the wait (see ``interrupt``)."""
        op = self.limiter(operation)
        if op is None:
            return 0.0
        delay = op.reserve()
        if delay > 0:
            with self._lock:
                self.waited += delay
            self._wait(operation, delay)
        elif self._cancelled_for(operation):
            self._cancel(operation, 0.0)
        return delay

    def throttled(self, operation: str) -> None:
        op = self.limiter(operation)
        if op is not None:
            op.throttled()

    def throttle_counts(self) -> dict[str, int]:
        with self._lock:
            return {name: op.throttles for name, op in self._ops.items() if op.throttles}


_UNIQUE_ID = "agentctl-rate-limit"


def install(client: Any, limiter: RateLimiter) -> RateLimiter:
    """Make every request ``client`` sends (each attempt, retries included) wait for its
    operation's token, and every throttled answer slow that operation down."""
    from botocore.retries import standard

    name = client.meta.service_model.service_id.hyphenize()
    detector = standard.ThrottlingErrorDetector(standard.RetryEventAdapter())

    def before_send(event_name: str = "", **_: Any) -> None:
        # event_name is "before-send.<service>.<Operation>"; returning None lets the request go.
        limiter.acquire(event_name.rsplit(".", 1)[-1])

    def needs_retry(event_name: str = "", **kwargs: Any) -> None:
        if detector.is_throttling_error(**kwargs):
            limiter.throttled(event_name.rsplit(".", 1)[-1])

    events = client.meta.events
    for event, handler in ((f"before-send.{name}", before_send),
                           (f"needs-retry.{name}", needs_retry)):
        unique_id = f"{_UNIQUE_ID}-{event}"  # botocore's unique ids are per emitter, not per event
        events.unregister(event, unique_id=unique_id)
        # First: the embedded emulator answers from its own before-send hook, and the token must
        # be taken before the request is "sent" to it.
        events.register_first(event, handler, unique_id=unique_id)
    return limiter
