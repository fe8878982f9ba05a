"""agentctl's own backoff (agentctl/core/backoff.py): capped exponential with full jitter. Pure,
with a seeded RNG: no sleeping, no timing."""

from __future__ import annotations

import random

import pytest

from agentctl.aws import client as aws
from agentctl.core import backoff


def test_the_ceiling_doubles_from_the_base_and_stops_at_the_cap():
    assert [backoff.ceiling(n, 0.5, 20.0) for n in range(1, 9)] == [
        0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 20.0, 20.0]
    assert backoff.ceiling(0, 0.5, 20.0) == 0.5      # attempt numbers start at 1
    assert backoff.ceiling(60, 0.5, 20.0) == 20.0    # no overflow, however many retries


def test_full_jitter_is_uniform_below_the_ceiling_and_repeatable_with_a_seed():
    rng = random.Random(1234)
    draws = [backoff.full_jitter(n, 0.5, 20.0, rng.random) for n in range(1, 11) for _ in range(200)]
    again = random.Random(1234)
    assert draws == [backoff.full_jitter(n, 0.5, 20.0, again.random)
                     for n in range(1, 11) for _ in range(200)]
    for i, n in enumerate(range(1, 11)):
        mine = draws[i * 200:(i + 1) * 200]
        top = backoff.ceiling(n, 0.5, 20.0)
        assert all(0.0 <= d < top for d in mine)
        # Full jitter, not "equal jitter": the whole range is used, down to almost nothing.
        assert min(mine) < 0.1 * top and max(mine) > 0.9 * top
        assert sum(mine) / len(mine) == pytest.approx(top / 2, rel=0.15)


def test_the_aws_retries_use_it_at_their_timing():
    t = aws.Timing(backoff_base=0.5, backoff_max=3.0)
    rng = random.Random(7)
    expected = random.Random(7)
    jitter = aws.FullJitter(t, rand=rng.random)
    assert [jitter.delay(n) for n in range(1, 7)] == [
        backoff.full_jitter(n, 0.5, 3.0, expected.random) for n in range(1, 7)]
    fixed = aws.FullJitter(aws.Timing(backoff_base=0.5, backoff_max=3.0, jitter=False))
    assert [fixed.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_the_remote_lock_waits_with_full_jitter_up_to_its_cap(tmp_path, monkeypatch):
    from agentctl import locks

    class Held:
        """An object store whose lock object someone else holds (never expires)."""

        def __init__(self) -> None:
            info = locks.LockInfo(id="other", operation="apply", who="ci", when="now",
                                  expires="2999-01-01T00:00:00Z")
            self.body = info.to_json().encode()

        def describe(self, key):
            return f"s3://b/{key}"

        def get(self, key):
            return (self.body, "etag")

        def put_if_absent(self, key, body):
            return None

        def put_if_match(self, key, body, etag):
            return None

        def delete_if_match(self, key, etag):
            return False

    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    rng = random.Random(99)
    monkeypatch.setattr(locks, "full_jitter",
                        lambda n, base, cap: backoff.full_jitter(n, base, cap, rng.random))
    backend = locks.ObjectBackend(Held(), "p", root=tmp_path, sleep=sleep, clock=lambda: now[0])
    with pytest.raises(locks.LockTimeout):
        with backend.lock("apply", timeout=60):
            pass
    assert len(slept) > 12 and now[0] >= 60
    for n, pause in enumerate(slept[:-1], start=1):
        assert 0.01 <= pause <= max(0.01, backoff.ceiling(n, locks.BACKOFF_FIRST, locks.BACKOFF_CAP))
    assert max(slept) <= locks.BACKOFF_CAP
