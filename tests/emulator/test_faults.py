"""Fault injection: off by default, deterministic with a seed, and seen through botocore's retries."""

from __future__ import annotations

import pytest
from botocore.config import Config

from agentctl.emulator import EmulatorConfig, FaultConfig
from agentctl.emulator.clock import ManualClock
from agentctl.emulator.faults import TPS_QUOTAS, FaultInjector

from .conftest import NO_RETRIES, error_of, make_emulator, new_agent, status


def _outcomes(cfg: FaultConfig, n: int = 200) -> list[str | None]:
    clock = ManualClock()
    inj = FaultInjector(cfg, clock=clock, sleep=clock.sleep)
    return [(e.code if (e := inj.before("GetAgent")) else None) for _ in range(n)]


def test_faults_are_off_by_default() -> None:
    assert not FaultConfig().active
    assert set(_outcomes(FaultConfig())) == {None}


def test_same_seed_same_faults_different_seed_different_faults() -> None:
    cfg = FaultConfig(seed=42, throttle="probability", throttle_probability=0.2, internal_error_probability=0.1)
    first, second = _outcomes(cfg), _outcomes(cfg)
    assert first == second
    assert {"ThrottlingException", "InternalServerException", None} == set(first)
    other = _outcomes(FaultConfig(seed=43, throttle="probability", throttle_probability=0.2,
                                  internal_error_probability=0.1))
    assert other != first


def test_probabilistic_faults_only_hit_listed_operations() -> None:
    clock = ManualClock()
    inj = FaultInjector(FaultConfig(seed=1, internal_error_probability=1.0, operations=("PrepareAgent",)),
                        clock=clock, sleep=clock.sleep)
    assert inj.before("GetAgent") is None
    assert inj.before("PrepareAgent").code == "InternalServerException"


def test_tps_token_bucket_uses_the_quota_table_and_refills_with_time() -> None:
    clock = ManualClock()
    inj = FaultInjector(FaultConfig(throttle="tps"), clock=clock, sleep=clock.sleep)
    burst = int(TPS_QUOTAS["PrepareAgent"])
    assert [inj.before("PrepareAgent") for _ in range(burst)] == [None] * burst
    assert inj.before("PrepareAgent").code == "ThrottlingException"
    clock.advance(1 / TPS_QUOTAS["PrepareAgent"])
    assert inj.before("PrepareAgent") is None
    assert inj.before("GetAgent") is None   # buckets are per operation


def test_latency_sleeps_through_the_injected_sleep() -> None:
    clock = ManualClock()
    inj = FaultInjector(FaultConfig(latency={"GetAgent": 0.25, "*": 0.01}), clock=clock, sleep=clock.sleep)
    start = clock.now
    inj.before("GetAgent")
    inj.before("ListAgents")
    assert clock.now - start == pytest.approx(0.26)


def test_throttling_goes_through_botocore_retries(tmp_path, clock) -> None:
    cfg = EmulatorConfig(faults=FaultConfig(throttle="tps", tps={"ListAgents": 1}))
    emu = make_emulator(tmp_path / "s.db", clock, cfg)
    no_retry = emu.client(config=NO_RETRIES)
    no_retry.list_agents()
    code, _, http = error_of(no_retry.list_agents)
    assert (code, http) == ("ThrottlingException", 429)
    retrying = emu.client(config=Config(retries={"mode": "standard", "total_max_attempts": 2}))
    # The SDK's backoff sleeps in real time, but the manual clock does not move: both attempts fail.
    code, _, _ = error_of(retrying.list_agents)
    assert code == "ThrottlingException"
    assert [c.outcome for c in emu.calls("ListAgents")] == ["ok"] + ["ThrottlingException"] * 3
    emu.close()


def test_internal_errors_are_retried_by_the_sdk(tmp_path, clock) -> None:
    cfg = EmulatorConfig(faults=FaultConfig(seed=3, internal_error_probability=0.5))
    emu = make_emulator(tmp_path / "s.db", clock, cfg)
    client = emu.client(config=Config(retries={"mode": "standard", "total_max_attempts": 10}))
    r = client.list_agents()
    outcomes = [c.outcome for c in emu.calls("ListAgents")]
    # Seed 3 fails the first attempt(s): the SDK retried, and the retries are in the call log.
    assert outcomes[0] == "InternalServerException" and outcomes[-1] == "ok"
    assert r["ResponseMetadata"]["RetryAttempts"] == len(outcomes) - 1 >= 1
    emu.close()


def test_prepare_failure_and_slow_prepare(tmp_path, clock) -> None:
    cfg = EmulatorConfig(faults=FaultConfig(prepare_failure_probability=1.0, prepare_failure_reason="injected",
                                            slow_prepare_seconds=5))
    emu = make_emulator(tmp_path / "s.db", clock, cfg)
    client = emu.client(config=NO_RETRIES)
    agent_id = new_agent(client, clock)
    client.prepare_agent(agentId=agent_id)
    clock.advance(5.4)
    assert status(client, agent_id) == "PREPARING"
    clock.advance(0.2)
    agent = client.get_agent(agentId=agent_id)["agent"]
    assert (agent["agentStatus"], agent["failureReasons"]) == ("FAILED", ["injected"])
    emu.close()
