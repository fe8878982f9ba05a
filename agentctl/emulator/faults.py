"""Fault injection for the emulator: latency, throttling, internal errors, prepare failures,
answers lost after the commit, and process kills for crash tests.

All faults are off by default (``FaultConfig()``); they come from the emulator config file or
``AGENTCTL_EMULATOR_FAULTS`` (JSON). Random decisions use one ``random.Random(seed)`` per emulator,
so a given seed and call sequence always produce the same faults. Throttling in ``tps`` mode is
a token bucket per operation at the real control-plane TPS quotas (docs/service-behaviour.md §7), on the
injected clock, so the SDK's retry/backoff path is exercised deterministically.

Token buckets live in memory: each emulator instance (process) throttles its own callers.

Crash faults (``kill_after_mutation``, ``kill_when_status``) SIGKILL the current process from
``after``, which runs once an operation's transaction has committed and before its response is
serialized: the state changed, the caller never hears about it. Their counters are per process
(module-level), so they count the calls of one agentctl command however many emulator objects it
opens.

``error_after_commit`` (``after_commit``) runs at the same moment: the change committed, then
the caller gets a 500 (or a dropped connection) instead of its answer, once per distinct
request, so the SDK's retry of the very same request meets what the service then says
(ResourceNotFound for a repeated delete, the original answer for a Create* with the same
clientToken, a second version for a repeated version-cutting UpdateAgentAlias).

Must not: touch storage or HTTP; sleeping goes through the injected ``sleep``; killing goes
through the injected ``kill``.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import threading
from typing import Any, Callable, Mapping

# §7 control-plane request-rate quotas: one table, shared with the client-side rate limiter
# (agentctl.aws.ratelimit). Operations not in it are not throttled in ``tps`` mode unless
# ``FaultConfig.tps`` names them.
from agentctl.core.quotas import TPS_QUOTAS
from agentctl.emulator.control.base import PrepareOutcome
from agentctl.emulator.config import FaultConfig
from agentctl.emulator.errors import AnswerLost, ServiceError, internal, throttling


class CrashCounters:
    """What the crash faults count: mutating calls served, and the agents a read showed in
    ``kill_when_status`` (in the order first seen)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.mutations = 0
        self.seen_in_status: list[str] = []


# One per process: "the N-th mutating call this process served", however many emulators it opens.
PROCESS_COUNTERS = CrashCounters()


def _sigkill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class FaultInjector:
    def __init__(self, config: FaultConfig, *, clock: Callable[[], float],
                 sleep: Callable[[float], None], kill: Callable[[], None] | None = None,
                 counters: CrashCounters | None = None):
        self.config = config
        self._clock = clock
        self._sleep = sleep
        self._kill = kill or _sigkill_self
        self._counters = counters or PROCESS_COUNTERS
        self._rng = random.Random(config.seed)
        self._buckets: dict[str, tuple[float, float]] = {}   # op -> (tokens, last refill time)
        self._lost: set[str] = set()
        """Digests of the requests whose answer ``after_commit`` already lost (once each)."""
        self.answers_lost = 0
        # The server is threaded: decisions are serialized (the RNG sequence stays reproducible
        # for a given call order) but latency sleeps are not, so one slow call blocks no other.
        self._lock = threading.Lock()

    def _applies(self, operation: str) -> bool:
        return not self.config.operations or operation in self.config.operations

    def before(self, operation: str) -> ServiceError | None:
        """Run before an operation: sleep the configured latency, then return the error to answer
        with instead of running it (throttling or internal error), if any."""
        cfg = self.config
        delay = cfg.latency.get(operation, cfg.latency.get("*", 0.0))
        if delay > 0:
            self._sleep(delay)
        with self._lock:
            return self._decide(operation)

    def _decide(self, operation: str) -> ServiceError | None:
        cfg = self.config
        if cfg.throttle == "tps":
            if not self._take_token(operation):
                return throttling()
        elif cfg.throttle == "probability" and self._applies(operation):
            if self._rng.random() < cfg.throttle_probability:
                return throttling()
        if cfg.internal_error_probability and self._applies(operation):
            if self._rng.random() < cfg.internal_error_probability:
                return internal()
        return None

    def _take_token(self, operation: str) -> bool:
        rate = self.config.tps.get(operation, TPS_QUOTAS.get(operation))
        if not rate:
            return True
        now = self._clock()
        tokens, last = self._buckets.get(operation, (rate, now))
        # Refill at ``rate`` per second up to a burst of ``rate`` (one second's worth).
        tokens = min(rate, tokens + max(0.0, now - last) * rate)
        if tokens >= 1.0:
            self._buckets[operation] = (tokens - 1.0, now)
            return True
        self._buckets[operation] = (tokens, now)
        return False

    def after(self, operation: str, result: Mapping[str, Any], *, mutating: bool) -> None:
        """Run after ``operation`` committed successfully with ``result``: kill the process if a
        crash fault says this is the moment."""
        cfg = self.config
        if not (cfg.kill_after_mutation or cfg.kill_when_status):
            return
        kill = False
        n = self._counters
        with n.lock:
            if mutating and cfg.kill_after_mutation:
                n.mutations += 1
                kill = n.mutations == cfg.kill_after_mutation
            if operation == "GetAgent" and cfg.kill_when_status:
                agent = result.get("agent") or {}
                if agent.get("agentStatus") == cfg.kill_when_status \
                        and agent.get("agentId") not in n.seen_in_status:
                    # Counted per agent, not per poll: occurrence K is "while waiting for the
                    # K-th agent seen in that status", wherever the agents' threads are.
                    n.seen_in_status.append(agent.get("agentId"))
                    kill = kill or len(n.seen_in_status) == cfg.kill_when_status_occurrence
        if kill:
            self._kill()

    def after_commit(self, operation: str, params: Mapping[str, Any], *, mutating: bool) -> None:
        """Run after ``operation`` committed: raise the ``error_after_commit`` fault's answer
        (an InternalServerException, or ``AnswerLost`` for a dropped connection) instead of
        letting the result go back, for the first attempt of a request it picks."""
        fault = self.config.error_after_commit
        if not (mutating and fault.rate) or (fault.operations and operation not in fault.operations):
            return
        digest = hashlib.sha256(json.dumps([operation, params], sort_keys=True,
                                           default=str).encode()).hexdigest()
        with self._lock:
            if digest in self._lost or self._rng.random() >= fault.rate:
                return
            self._lost.add(digest)
            self.answers_lost += 1
        if fault.answer == "connection":
            raise AnswerLost(operation)
        raise internal("[emulator fault injection] The request was processed, but the service "
                       "failed before it could answer.")

    def prepare_outcome(self) -> PrepareOutcome:
        cfg = self.config
        fail = None
        with self._lock:
            if cfg.prepare_failure_probability and self._rng.random() < cfg.prepare_failure_probability:
                fail = cfg.prepare_failure_reason
        return PrepareOutcome(fail_reason=fail, extra_seconds=cfg.slow_prepare_seconds)
