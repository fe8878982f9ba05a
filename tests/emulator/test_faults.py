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


# --- crash faults (the kill matrix's SIGKILL points, tests/reliability) -----------------------

class _Killed(BaseException):
    """Stands in for SIGKILL: nothing after the kill point may run."""


def _crashing(tmp_path, clock, **faults):
    from agentctl.emulator.faults import CrashCounters

    cfg = EmulatorConfig(faults=FaultConfig(**faults))

    def kill() -> None:
        raise _Killed()

    injector = FaultInjector(cfg.faults, clock=clock, sleep=clock.sleep, kill=kill, counters=CrashCounters())
    return make_emulator(tmp_path / "s.db", clock, cfg, faults=injector)


def test_kill_after_mutation_kills_after_the_nth_mutating_call_committed(tmp_path, clock) -> None:
    emu = _crashing(tmp_path, clock, kill_after_mutation=2)
    c = emu.client(config=NO_RETRIES)
    new_agent(c, clock, "first")            # mutation 1
    c.list_agents()                         # reads do not count
    with pytest.raises(_Killed):
        new_agent(c, clock, "second")       # mutation 2: committed, then the process "dies"
    # The caller never got the response, but the change is in the state file and the call log.
    names = sorted(a["agentName"] for a in emu.client(config=NO_RETRIES).list_agents()["agentSummaries"])
    assert names == ["first", "second"]
    assert [x.operation for x in emu.calls() if x.operation == "CreateAgent"] == ["CreateAgent"] * 2
    emu.close()


def test_kill_after_mutation_ignores_refused_calls(tmp_path, clock) -> None:
    emu = _crashing(tmp_path, clock, kill_after_mutation=1)
    c = emu.client(config=NO_RETRIES)
    code, _, _ = error_of(lambda: c.prepare_agent(agentId="AAAAAAAAAA"))   # not found: no commit
    assert code == "ResourceNotFoundException"
    with pytest.raises(_Killed):
        new_agent(c, clock)
    emu.close()


def test_kill_when_status_kills_at_the_read_of_the_kth_agent_in_that_status(tmp_path, clock) -> None:
    emu = _crashing(tmp_path, clock, kill_when_status="CREATING", kill_when_status_occurrence=2)
    c = emu.client(config=NO_RETRIES)
    base = {"instruction": "You are a helpful test agent. Answer briefly and never make anything up.",
            "foundationModel": "anthropic.claude-3-5-sonnet-20241022-v2:0",
            "agentResourceRoleArn": "arn:aws:iam::123456789012:role/AgentRole"}
    first = c.create_agent(agentName="one", **base)["agent"]["agentId"]
    second = c.create_agent(agentName="two", **base)["agent"]["agentId"]
    c.get_agent(agentId=first)               # first agent seen CREATING
    c.get_agent(agentId=first)               # same agent again: not a new occurrence
    with pytest.raises(_Killed):
        c.get_agent(agentId=second)          # second agent seen CREATING: killed
    emu.close()


def test_crash_fault_settings_are_validated() -> None:
    from agentctl.emulator.config import EmulatorConfigError

    assert FaultConfig(kill_after_mutation=3).active
    assert EmulatorConfig.from_env({"AGENTCTL_EMULATOR_FAULTS": '{"kill_when_status": "PREPARING"}'}
                                   ).faults.kill_when_status == "PREPARING"
    for bad in ('{"kill_when_status": "PREPARNG"}', '{"kill_after_mutation": "x"}',
                '{"kill_when_status": 3}'):
        with pytest.raises(EmulatorConfigError):
            EmulatorConfig.from_env({"AGENTCTL_EMULATOR_FAULTS": bad})


# --- answers lost after the commit (the fault matrix's answer-lost cases) -----------------------

def _lost(tmp_path, clock, **fault):
    cfg = EmulatorConfig.from_mapping({"faults": {"error_after_commit": {"rate": 1.0, **fault}}})
    return make_emulator(tmp_path / "s.db", clock, cfg)


def test_error_after_commit_answers_500_once_per_request_after_the_change_happened(tmp_path, clock):
    emu = _lost(tmp_path, clock, operations=["CreateAgent"])
    no_retry = emu.client(config=NO_RETRIES)
    params = dict(agentName="lost-answer", instruction="You are a helpful test agent. Be brief, always.",
                  foundationModel="anthropic.claude-3-5-sonnet-20241022-v2:0",
                  agentResourceRoleArn="arn:aws:iam::123456789012:role/AgentRole",
                  clientToken="t" * 40)
    code, _, http = error_of(no_retry.create_agent, **params)
    assert (code, http) == ("InternalServerException", 500)
    # ...although the agent was created: the answer, not the change, was lost.
    assert [a["agentName"] for a in no_retry.list_agents()["agentSummaries"]] == ["lost-answer"]
    # The same request again (the SDK's retry) is answered: the clientToken returns the original.
    again = no_retry.create_agent(**params)["agent"]["agentId"]
    assert [a["agentId"] for a in no_retry.list_agents()["agentSummaries"]] == [again]
    assert [c.outcome for c in emu.calls("CreateAgent")] == [
        "ok", "InternalServerException after commit", "ok"]
    emu.close()


def test_error_after_commit_is_seen_through_the_sdks_retry(tmp_path, clock):
    emu = _lost(tmp_path, clock, operations=["DeleteAgent"])
    client = emu.client(config=Config(retries={"mode": "standard", "total_max_attempts": 3}))
    agent_id = new_agent(client, clock)
    # The SDK retries the 500; the agent is already DELETING or gone, which the retry meets.
    try:
        client.delete_agent(agentId=agent_id)
    except Exception as e:  # noqa: BLE001 - either answer is the service's, not the fault's
        assert getattr(e, "response", {}).get("Error", {}).get("Code") in (
            "ResourceNotFoundException", "ValidationException", "ConflictException")
    outcomes = [c.outcome for c in emu.calls("DeleteAgent")]
    assert outcomes[:2] == ["ok", "InternalServerException after commit"] and len(outcomes) >= 3
    emu.close()


def test_a_dropped_connection_after_the_commit_is_a_connection_error_for_botocore(tmp_path, clock):
    from botocore.exceptions import ConnectionClosedError

    emu = _lost(tmp_path, clock, operations=["CreateAgentActionGroup"], answer="connection")
    no_retry = emu.client(config=NO_RETRIES)
    agent_id = new_agent(no_retry, clock)
    group = dict(agentId=agent_id, agentVersion="DRAFT", actionGroupName="Tools",
                 actionGroupExecutor={"customControl": "RETURN_CONTROL"},
                 functionSchema={"functions": [{"name": "f", "description": "A function."}]})
    with pytest.raises(ConnectionClosedError):
        no_retry.create_agent_action_group(**group)
    groups = no_retry.list_agent_action_groups(agentId=agent_id, agentVersion="DRAFT")
    assert [g["actionGroupName"] for g in groups["actionGroupSummaries"]] == ["Tools"]
    assert [c.outcome for c in emu.calls("CreateAgentActionGroup")] == [
        "ok", "connection dropped after commit"]
    emu.close()


def test_error_after_commit_leaves_reads_and_refused_calls_alone(tmp_path, clock):
    emu = _lost(tmp_path, clock)
    client = emu.client(config=NO_RETRIES)
    client.list_agents()
    code, _, _ = error_of(client.get_agent, agentId="NOSUCHAGNT")
    assert code == "ResourceNotFoundException"   # a refused call committed nothing
    assert [c.outcome for c in emu.calls()] == ["ok", "ResourceNotFoundException"]
    emu.close()


def test_error_after_commit_settings_are_validated():
    from agentctl.emulator.config import EmulatorConfigError

    for bad in ({"rate": 2}, {"answer": "timeout"}, {"rate": 0.5, "typo": 1}):
        with pytest.raises(EmulatorConfigError):
            EmulatorConfig.from_mapping({"faults": {"error_after_commit": bad}})
    assert EmulatorConfig.from_mapping(
        {"faults": {"error_after_commit": {"rate": 0.5}}}).faults.active
