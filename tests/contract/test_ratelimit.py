"""The client-side rate limiter (agentctl.aws.ratelimit): pure tests on an injected clock, then
the botocore hooks against the embedded emulator's own TPS buckets on a shared manual clock.
No timing assertions: every clock here is a fake one."""

from __future__ import annotations

import threading

import boto3
import pytest
from botocore.config import Config

from agentctl.aws import ratelimit
from agentctl.core.quotas import TPS_QUOTAS
from agentctl.emulator import Emulator, EmulatorConfig, FaultConfig
from agentctl.emulator.clock import ManualClock


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_bucket_starts_full_then_reserves_places_in_order():
    clock = Clock()
    bucket = ratelimit.TokenBucket(rate=4, capacity=2, clock=clock)
    delays = [bucket.reserve() for _ in range(5)]
    # Two stored tokens, then each caller waits one more quarter second than the previous one.
    assert delays == pytest.approx([0, 0, 0.25, 0.5, 0.75])


def test_bucket_refills_at_its_rate_up_to_its_capacity():
    clock = Clock()
    bucket = ratelimit.TokenBucket(rate=10, capacity=3, clock=clock)
    assert [bucket.reserve() for _ in range(3)] == [0, 0, 0]
    clock.now += 0.2                                  # two tokens back
    assert [bucket.reserve() for _ in range(2)] == [0, 0]
    assert bucket.reserve() == pytest.approx(0.1)
    clock.now += 100                                  # never more than the capacity
    assert [bucket.reserve() for _ in range(3)] == [0, 0, 0]
    assert bucket.reserve() > 0


def test_bucket_refuses_a_useless_configuration():
    with pytest.raises(ValueError):
        ratelimit.TokenBucket(rate=0, capacity=1, clock=Clock())
    with pytest.raises(ValueError):
        ratelimit.TokenBucket(rate=1, capacity=0.5, clock=Clock())


def test_operation_limiter_stays_below_the_quota_with_half_a_burst():
    clock = Clock()
    op = ratelimit.OperationLimiter(20, clock=clock)
    assert op.current_rate() == pytest.approx(19.0)          # 0.95 x quota
    assert [op.reserve() for _ in range(10)] == [0] * 10       # burst = half the quota
    assert op.reserve() == pytest.approx(1 / 19.0)
    # Over any long run, fewer than quota x seconds calls go out.
    clock.now = 10.0
    sent = sum(1 for _ in range(1000) if op.reserve() <= 0)
    assert sent < 20 * 10


def test_operation_limiter_halves_on_a_throttle_and_recovers_linearly():
    clock = Clock()
    op = ratelimit.OperationLimiter(10, clock=clock, recovery=10.0)
    op.throttled()
    assert op.throttles == 1
    assert op.current_rate() == pytest.approx(4.75)          # 9.5 / 2
    clock.now = 5.0
    assert op.current_rate() == pytest.approx(4.75 + 4.75 / 2)
    op.reserve()
    assert op.bucket.rate == pytest.approx(7.125)            # the bucket follows the rate
    clock.now = 10.0
    assert op.current_rate() == pytest.approx(9.5)
    # Repeated throttles keep cutting, down to a floor (never zero).
    for _ in range(50):
        op.throttled()
    assert op.current_rate() == pytest.approx(10 * 0.05)


def test_rate_limiter_limits_only_operations_with_a_quota_each_on_its_own_bucket():
    clock = Clock()
    limiter = ratelimit.RateLimiter({"PrepareAgent": 2, "GetAgent": 15}, clock=clock,
                                    sleep=clock.sleep)
    for _ in range(100):
        assert limiter.acquire("ListTagsForResource") == 0       # no published quota
    assert limiter.acquire("PrepareAgent") == 0                  # burst of max(1, 2 x 0.5)
    waited = limiter.acquire("PrepareAgent")
    assert waited == pytest.approx(1 / 1.9)
    assert clock.slept == [waited]                               # through the injected sleep
    assert limiter.acquire("GetAgent") == 0                      # its own bucket
    limiter.throttled("PrepareAgent")
    limiter.throttled("ListTagsForResource")                     # unlimited: nothing to adapt
    assert limiter.throttle_counts() == {"PrepareAgent": 1}
    assert limiter.waited == pytest.approx(waited)


def test_rate_limiter_is_shared_safely_by_threads():
    # Each thread reserves its own place: N reservations yield N distinct delays, evenly spaced.
    clock = Clock()
    limiter = ratelimit.RateLimiter({"CreateAgentAlias": 2}, clock=clock, sleep=lambda s: None)
    delays: list[float] = []
    lock = threading.Lock()

    def worker():
        for _ in range(25):
            d = limiter.acquire("CreateAgentAlias")
            with lock:
                delays.append(d)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(delays) == 200
    step = 1 / 1.9
    assert sorted(delays) == pytest.approx([max(0.0, (i) * step) for i in range(200)], abs=1e-6)


def test_quota_table_is_the_one_the_emulator_enforces():
    from agentctl.emulator import faults

    assert faults.TPS_QUOTAS is TPS_QUOTAS
    assert TPS_QUOTAS["PrepareAgent"] == 2 and TPS_QUOTAS["GetAgentActionGroup"] == 20


# ----------------------------------------------------------------- the botocore hooks

def _client(emulator_clock: ManualClock, tps: dict[str, float] | None = None):
    emu = Emulator(config=EmulatorConfig(faults=FaultConfig(throttle="tps", tps=tps or {})),
                   clock=emulator_clock, sleep=emulator_clock.sleep)
    client = boto3.client("bedrock-agent", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x",
                          config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
    emu.attach(client)
    return emu, client


def _throttled(emu) -> int:
    return sum(1 for c in emu.calls() if c.outcome == "ThrottlingException")


def test_without_the_limiter_a_burst_is_throttled_by_the_emulator():
    clock = ManualClock()
    emu, client = _client(clock)
    try:
        for _ in range(30):
            try:
                client.list_agents()
            except client.exceptions.ThrottlingException:
                pass
        assert _throttled(emu) == 20          # ListAgents: 10/s, a burst of 10, no time passes
    finally:
        emu.close()


def test_with_the_limiter_every_call_waits_its_turn_and_none_is_throttled():
    clock = ManualClock()
    emu, client = _client(clock)
    # The limiter and the emulator share one fake clock: waiting for a token advances it.
    limiter = ratelimit.install(client, ratelimit.RateLimiter(clock=clock, sleep=clock.sleep))
    try:
        for _ in range(30):
            client.list_agents()
        assert _throttled(emu) == 0
        assert limiter.waited > 0
    finally:
        emu.close()


def test_a_throttle_that_comes_through_anyway_slows_that_operation_down():
    clock = ManualClock()
    # The endpoint allows 1 ListAgents/s, the limiter believes 10: the first throttles adapt it.
    emu, client = _client(clock, tps={"ListAgents": 1})
    limiter = ratelimit.install(client, ratelimit.RateLimiter(clock=clock, sleep=clock.sleep))
    try:
        for _ in range(10):
            try:
                client.list_agents()
            except client.exceptions.ThrottlingException:
                pass
        counts = limiter.throttle_counts()
        assert counts.get("ListAgents", 0) >= 1
        assert limiter.limiter("ListAgents").current_rate() < 9.5
        assert set(counts) == {"ListAgents"}
    finally:
        emu.close()


def _waiting(limiter: ratelimit.RateLimiter, operation: str) -> tuple[threading.Thread, list]:
    """A thread that takes ``operation``'s second token (the first is the bucket's burst), i.e.
    waits for its turn; what it ended with lands in the list."""
    limiter.acquire(operation)
    outcome: list = []

    def wait() -> None:
        try:
            outcome.append(limiter.acquire(operation))
        except ratelimit.WaitCancelled as e:
            outcome.append(e)

    t = threading.Thread(target=wait, daemon=True)
    t.start()
    return t, outcome


def test_an_interruption_cancels_the_token_waits_of_mutating_calls_at_once():
    # Quotas so small that a token is ~1000 s away: only the interruption can end the wait.
    limiter = ratelimit.RateLimiter({"CreateAgent": 0.001, "GetAgent": 0.001})
    create, created = _waiting(limiter, "CreateAgent")
    get, got = _waiting(limiter, "GetAgent")
    limiter.interrupt()
    create.join(timeout=30)
    assert not create.is_alive() and isinstance(created[0], ratelimit.WaitCancelled)
    assert "CreateAgent was not sent" in created[0].what
    # A read (the poll of a step in flight) keeps its turn after the first interruption...
    get.join(timeout=0.3)
    assert get.is_alive() and got == []
    with pytest.raises(ratelimit.WaitCancelled):   # ...no new mutating call is let through...
        limiter.acquire("CreateAgent")
    limiter.interrupt(abandon=True)                 # ...until the second one abandons it too.
    get.join(timeout=30)
    assert not get.is_alive() and isinstance(got[0], ratelimit.WaitCancelled)
    assert limiter.cancelled == 3
    limiter.reset()
    assert limiter.acquire("ListAgents") == 0.0     # not limited, and no longer interrupted
