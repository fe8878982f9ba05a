"""Fault injection for the emulator: latency, throttling, internal errors, prepare failures.

All faults are off by default (``FaultConfig()``); they come from the emulator config file or
``AGENTCTL_EMULATOR_FAULTS`` (JSON). Random decisions use one ``random.Random(seed)`` per emulator,
so a given seed and call sequence always produce the same faults. Throttling in ``tps`` mode is
a token bucket per operation at the real control-plane TPS quotas (bedrock-semantics §7), on the
injected clock, so the SDK's retry/backoff path is exercised deterministically.

Token buckets live in memory: each emulator instance (process) throttles its own callers.

Must not: touch storage or HTTP; sleeping goes through the injected ``sleep``.
"""

from __future__ import annotations

import random
import threading
from typing import Callable

from agentctl.emulator.backend import PrepareOutcome
from agentctl.emulator.config import FaultConfig
from agentctl.emulator.errors import ServiceError, internal, throttling

# §7 control-plane request-rate quotas (requests per second, not adjustable). Operations not in
# the published table are not throttled in ``tps`` mode unless ``FaultConfig.tps`` names them.
TPS_QUOTAS: dict[str, float] = {
    "CreateAgent": 6, "UpdateAgent": 4, "DeleteAgent": 2, "PrepareAgent": 2,
    "CreateAgentActionGroup": 12, "UpdateAgentActionGroup": 6, "DeleteAgentActionGroup": 2,
    "CreateAgentAlias": 2, "UpdateAgentAlias": 2, "DeleteAgentAlias": 2,
    "GetAgent": 15, "GetAgentActionGroup": 20, "GetAgentAlias": 10, "GetAgentKnowledgeBase": 15,
    "GetAgentVersion": 10, "ListAgents": 10, "ListAgentActionGroups": 10, "ListAgentAliases": 10,
    "ListAgentKnowledgeBases": 10, "ListAgentVersions": 10, "AssociateAgentKnowledgeBase": 6,
    "UpdateAgentKnowledgeBase": 4, "DisassociateAgentKnowledgeBase": 4, "DeleteAgentVersion": 2,
}


class FaultInjector:
    def __init__(self, config: FaultConfig, *, clock: Callable[[], float],
                 sleep: Callable[[float], None]):
        self.config = config
        self._clock = clock
        self._sleep = sleep
        self._rng = random.Random(config.seed)
        self._buckets: dict[str, tuple[float, float]] = {}   # op -> (tokens, last refill time)
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

    def prepare_outcome(self) -> PrepareOutcome:
        cfg = self.config
        fail = None
        with self._lock:
            if cfg.prepare_failure_probability and self._rng.random() < cfg.prepare_failure_probability:
                fail = cfg.prepare_failure_reason
        return PrepareOutcome(fail_reason=fail, extra_seconds=cfg.slow_prepare_seconds)
