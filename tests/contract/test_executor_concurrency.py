"""Executor behaviour across agents (threads): cross-agent ``$ref`` waits, independent agents
continuing after another fails, dependants not run, crashes re-raised, cycles refused. A tiny
thread-safe fake client stands in for boto3 here (Stubber's single global queue cannot express
two agents running concurrently)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from agentctl.apply import executor as apply
from agentctl.aws.client import Clients, Timing
from agentctl.errors import AgentctlError
from agentctl.core.model import Ref, Target
from agentctl.plan.model import Plan, Step

ARN = "arn:aws:bedrock:us-east-1:123456789012"


class FakeBedrock:
    """Answers the handful of operations these plans use; everything settles immediately."""

    def __init__(self, fail: set[str] = frozenset()):
        self.lock = threading.Lock()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.tag_reads: list[str] = []
        self.fail = fail
        self.n = 0

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n:0{10 - len(prefix)}d}"

    def __getattr__(self, method: str):
        def handler(**params):
            with self.lock:
                if method == "list_tags_for_resource":
                    # The executor's ownership read, before an agent's first change: kept apart,
                    # these tests pin the order of the changes.
                    self.tag_reads.append(params["resourceArn"])
                    return self._list_tags_for_resource(**params)
                self.calls.append((method, params))
                if method in self.fail:
                    import botocore.exceptions
                    raise botocore.exceptions.ClientError(
                        {"Error": {"Code": "ValidationException", "Message": f"{method} bad"}},
                        method)
                return getattr(self, "_" + method)(**params)
        return handler

    def _create_agent(self, agentName, **_):
        aid = self._id("AG")
        return {"agent": {"agentId": aid, "agentName": agentName, "agentStatus": "CREATING",
                          "agentArn": f"{ARN}:agent/{aid}"}}

    def _get_agent(self, agentId):
        return {"agent": {"agentId": agentId, "agentStatus": "PREPARED"}}

    def _prepare_agent(self, agentId):
        return {"agentId": agentId, "agentStatus": "PREPARING"}

    def _create_agent_alias(self, agentId, agentAliasName, **_):
        alias_id = self._id("AL")
        return {"agentAlias": {"agentId": agentId, "agentAliasId": alias_id,
                               "agentAliasName": agentAliasName,
                               "agentAliasArn": f"{ARN}:agent-alias/{agentId}/{alias_id}"}}

    def _get_agent_alias(self, agentId, agentAliasId):
        return {"agentAlias": {"agentId": agentId, "agentAliasId": agentAliasId,
                               "agentAliasStatus": "PREPARED",
                               "agentAliasArn": f"{ARN}:agent-alias/{agentId}/{agentAliasId}",
                               "routingConfiguration": [{"agentVersion": "1"}]}}

    def _list_tags_for_resource(self, resourceArn):
        # Every agent here belongs to project "p" (the executor checks before changing one).
        return {"tags": {"agentctl:managed-by": "agentctl", "agentctl:project": "p"}}

    def _associate_agent_collaborator(self, agentId, collaboratorName, agentDescriptor, **_):
        return {"agentCollaborator": {"collaboratorId": self._id("CO"),
                                      "agentDescriptor": agentDescriptor}}


def clients_for(fake: FakeBedrock) -> Clients:
    return Clients(agent=fake, target=Target("aws", "us-east-1", "123456789012"),
                   timing=Timing(poll_initial=0, poll_max=0, retries=0, sleep=lambda s: None,
                                 jitter=False))


def ref(address: str, key: str) -> Ref:
    return Ref(address, key)


def plan_of(*steps: Step) -> Plan:
    return Plan(format_version=1, project="p", environment="e", target={}, spec_digest="",
                live_fingerprint={}, changes=(), lifecycle=(), steps=tuple(steps),
                plan_id="x" * 64, created_at="t")


def supervisor_plan() -> Plan:
    # The supervisor's steps come first in the plan, but its collaborator needs billing's alias.
    return plan_of(
        Step("CreateAgent", {"agentName": "supervisor"}, "agent.supervisor", "create",
             wait_for="agent:NOT_PREPARED|PREPARED"),
        Step("AssociateAgentCollaborator", {
            "agentId": ref("agent.supervisor", "agentId"), "agentVersion": "DRAFT",
            "collaboratorName": "billing", "collaborationInstruction": "billing questions",
            "agentDescriptor": {"aliasArn": ref("agent.billing.alias.PROD", "agentAliasArn")}},
             "agent.supervisor.collaborator.billing", "associate"),
        Step("CreateAgent", {"agentName": "billing"}, "agent.billing", "create"),
        Step("PrepareAgent", {"agentId": ref("agent.billing", "agentId")}, "agent.billing",
             "prepare", wait_for="agent:PREPARED"),
        Step("CreateAgentAlias", {"agentId": ref("agent.billing", "agentId"),
                                  "agentAliasName": "PROD"}, "agent.billing.alias.PROD", "cut"),
    )


def test_cross_agent_ref_waits_for_the_producer():
    fake = FakeBedrock()
    result = apply.execute(supervisor_plan(), clients_for(fake))
    assert result.ok
    methods = [m for m, _ in fake.calls]
    assert methods.index("associate_agent_collaborator") > methods.index("create_agent_alias")
    assoc = next(p for m, p in fake.calls if m == "associate_agent_collaborator")
    prod_arn = result.outputs["agent.billing.alias.PROD"]["agentAliasArn"]
    assert assoc["agentDescriptor"]["aliasArn"] == prod_arn
    assert assoc["agentId"] == result.outputs["agent.supervisor"]["agentId"]
    assert len(assoc["clientToken"]) == 64


def test_failure_of_the_producer_leaves_dependants_not_run_and_others_done():
    fake = FakeBedrock(fail={"prepare_agent"})
    result = apply.execute(supervisor_plan(), clients_for(fake))
    assert not result.ok
    assert result.failed.step.address == "agent.billing"
    assert "PrepareAgent failed: ValidationException" in result.failed.error
    assert {s.address for s in result.not_run} == {"agent.supervisor.collaborator.billing",
                                                   "agent.billing.alias.PROD"}
    assert {r.step.address for r in result.completed} == {"agent.supervisor", "agent.billing"}


class Crash(BaseException):
    pass


def test_a_crash_after_a_step_propagates_after_threads_stop():
    fake = FakeBedrock()
    done: list[str] = []

    def after(step, response):
        done.append(step.operation)
        if step.operation == "PrepareAgent":
            raise Crash()

    before = set(threading.enumerate())
    with pytest.raises(Crash):
        apply.execute(supervisor_plan(), clients_for(fake), after_step=after)
    assert "PrepareAgent" in done
    # Raised only once every agent thread has stopped, and nothing ran past the crash.
    assert [t.name for t in set(threading.enumerate()) - before
            if t.name.startswith("apply-")] == []
    assert "create_agent_alias" not in [m for m, _ in fake.calls]


def test_reference_cycles_are_refused_before_any_call():
    fake = FakeBedrock()
    plan = plan_of(
        Step("PrepareAgent", {"agentId": ref("agent.b", "agentId")}, "agent.a", "x"),
        Step("PrepareAgent", {"agentId": ref("agent.a", "agentId")}, "agent.b", "y"),
    )
    with pytest.raises(AgentctlError, match="cycle"):
        apply.execute(plan, clients_for(fake))
    assert fake.calls == []


def test_version_cut_detection():
    assert apply.is_version_cut(Step("UpdateAgentAlias", {"agentAliasName": "S"}, "agent.a", ""))
    assert not apply.is_version_cut(Step("UpdateAgentAlias", {
        "routingConfiguration": [{"agentVersion": "3"}]}, "agent.a", ""))
    assert not apply.is_version_cut(Step("PrepareAgent", {}, "agent.a", ""))


def test_serial_mode_runs_one_agent_after_another_in_plan_order():
    fake = FakeBedrock()
    plan = plan_of(
        Step("PrepareAgent", {"agentId": "AGENTAAAAA"}, "agent.a", "x"),
        Step("PrepareAgent", {"agentId": "AGENTBBBBB"}, "agent.b", "y"),
        Step("PrepareAgent", {"agentId": "AGENTAAAAA"}, "agent.a", "z"),
    )
    result = apply.execute(plan, clients_for(fake), serial=True)
    assert result.ok
    assert [p["agentId"] for _, p in fake.calls] == ["AGENTAAAAA", "AGENTAAAAA", "AGENTBBBBB"]


def test_serial_mode_stops_starting_agents_after_a_crash():
    fake = FakeBedrock()
    plan = plan_of(Step("PrepareAgent", {"agentId": "AGENTAAAAA"}, "agent.a", "x"),
                   Step("PrepareAgent", {"agentId": "AGENTBBBBB"}, "agent.b", "y"))

    def boom(step, response):
        raise Crash()

    with pytest.raises(Crash):
        apply.execute(plan, clients_for(fake), serial=True, after_step=boom)
    assert [p["agentId"] for _, p in fake.calls] == ["AGENTAAAAA"]


def test_stop_request_leaves_the_rest_not_run_and_marks_the_result_interrupted():
    fake = FakeBedrock()
    stop = threading.Event()
    plan = plan_of(Step("PrepareAgent", {"agentId": "AGENTAAAAA"}, "agent.a", "x"),
                   Step("PrepareAgent", {"agentId": "AGENTAAAAA"}, "agent.a", "y"))
    result = apply.execute(plan, clients_for(fake), stop=stop,
                           after_step=lambda step, response: stop.set())
    assert result.interrupted and not result.ok
    assert [s.description for s in result.not_run] == ["y"]
    assert len(fake.calls) == 1


def test_serial_mode_still_runs_producers_before_consumers():
    fake = FakeBedrock()
    result = apply.execute(supervisor_plan(), clients_for(fake), serial=True)
    assert result.ok
    names = [p.get("agentName") for m, p in fake.calls if m == "create_agent"]
    assert names == ["billing", "supervisor"]


# ----------------------------------------------------------------------- Step.after


class GatedBedrock(FakeBedrock):
    """The supervisor's first call waits (briefly) for any call of the other agent, so an
    executor that ignored ``after`` would let DeleteAgentAlias through first, every time."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.other_called = threading.Event()

    def __getattr__(self, method: str):
        inner = super().__getattr__(method)

        def handler(**params):
            if params.get("agentId") == "BILLING001":
                self.other_called.set()
            elif method == "disassociate_agent_collaborator":
                self.other_called.wait(timeout=0.3)
            return inner(**params)
        return handler

    def _disassociate_agent_collaborator(self, **_):
        return {}

    def _delete_agent_alias(self, agentId, agentAliasId):
        return {"agentId": agentId, "agentAliasId": agentAliasId}

    def _delete_agent(self, agentId, **_):
        return {"agentId": agentId, "agentStatus": "DELETING"}


RELEASE = ("agent.sup", "agent.sup.collaborator.billing")


def release_plan(after=RELEASE) -> Plan:
    # Plan order puts the collaborator's deletion first: only ``after`` orders it.
    return plan_of(
        Step("DeleteAgentAlias", {"agentId": "BILLING001", "agentAliasId": "PROD000000"},
             "agent.billing.alias.PROD", "delete alias PROD", after=after),
        Step("DisassociateAgentCollaborator", {"agentId": "SUPERVISOR", "agentVersion": "DRAFT",
                                               "collaboratorId": "COLLAB0001"},
             "agent.sup.collaborator.billing", "disassociate"),
        Step("PrepareAgent", {"agentId": "SUPERVISOR"}, "agent.sup", "prepare",
             wait_for="agent:PREPARED"),
    )


def test_after_makes_a_step_wait_for_another_agents_steps():
    fake = GatedBedrock()
    result = apply.execute(release_plan(), clients_for(fake))
    assert result.ok
    methods = [m for m, _ in fake.calls if m != "get_agent"]
    assert methods == ["disassociate_agent_collaborator", "prepare_agent", "delete_agent_alias"]


def test_without_after_the_agents_run_concurrently():
    # The control for the test above: the gate really lets the other agent go first.
    fake = GatedBedrock()
    assert apply.execute(release_plan(after=()), clients_for(fake)).ok
    assert [m for m, _ in fake.calls][0] == "delete_agent_alias"


def test_a_failed_prerequisite_leaves_the_waiting_step_not_run():
    fake = GatedBedrock(fail={"prepare_agent"})
    lines: list[str] = []
    result = apply.execute(release_plan(), clients_for(fake), progress=lines.append)
    assert not result.ok
    assert result.failed.step.operation == "PrepareAgent"
    assert [s.operation for s in result.not_run] == ["DeleteAgentAlias"]
    assert "delete_agent_alias" not in [m for m, _ in fake.calls]
    assert any("must run after agent.sup" in ln and "did not complete" in ln for ln in lines)


def test_after_cycles_are_refused_before_any_call():
    fake = FakeBedrock()
    plan = plan_of(
        Step("PrepareAgent", {"agentId": "AGENTAAAAA"}, "agent.a", "x",
             after=("agent.b.alias.X",)),
        Step("PrepareAgent", {"agentId": "AGENTBBBBB"}, "agent.b", "y", after=("agent.a",)),
        Step("PrepareAgent", {"agentId": "AGENTBBBBB"}, "agent.b.alias.X", "z"),
    )
    with pytest.raises(AgentctlError, match="cycle") as info:
        apply.execute(plan, clients_for(fake))
    assert "PrepareAgent agent.a waits for" in str(info.value)
    assert fake.calls == []


def test_a_ref_and_an_after_in_opposite_directions_form_a_cycle():
    # b's only step needs a's alias ARN; a's alias is created only after b: a deadlock.
    fake = FakeBedrock()
    plan = plan_of(
        Step("CreateAgentAlias", {"agentId": "AGENTAAAAA", "agentAliasName": "PROD"},
             "agent.a.alias.PROD", "cut", after=("agent.b",)),
        Step("PrepareAgent", {"agentId": ref("agent.a.alias.PROD", "agentAliasArn")},
             "agent.b", "y"),
    )
    with pytest.raises(AgentctlError, match="cycle"):
        apply.execute(plan, clients_for(fake))
    assert fake.calls == []


def test_after_naming_no_step_of_the_plan_is_refused_before_any_call():
    fake = FakeBedrock()
    with pytest.raises(AgentctlError, match="agent.nope, which no step of the plan has"):
        apply.execute(release_plan(after=("agent.nope",)), clients_for(fake))
    assert fake.calls == []


def test_serial_mode_orders_agents_by_after():
    fake = GatedBedrock()
    result = apply.execute(release_plan(), clients_for(fake), serial=True)
    assert result.ok
    assert [m for m, _ in fake.calls if m != "get_agent"][-1] == "delete_agent_alias"
