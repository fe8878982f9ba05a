"""``Step.after``: the planner's explicit cross-agent ordering, and its place in saved plans.

A live supervisor's collaborator holds another agent's alias ARN until the supervisor is prepared
without it (service-behaviour.md §2.2; Terraform's ``prepareSupervisorToReleaseCollaborator``). When
the same plan deletes that alias, or prunes its agent, those deletions must run after the
supervisor's collaborator step and its PrepareAgent; the executor runs different agents
concurrently, so the planner states it in ``Step.after``.
"""

from __future__ import annotations

import dataclasses
import json

from agentctl.core.model import TRACK_LATEST, Ref
from agentctl.plan import codec
from agentctl.plan.planner import build_plan

from . import builders as B
from .fake_aws import FakeBedrock
from .test_invariants import apply_and_replan, assert_empty

SUP = "agent.support-bot"
RELEASE = [SUP, "agent.support-bot.collaborator.billing"]


def billing(*, aliases=("PROD",)):
    return B.config("billing-agent", agent=B.agent_members(agentName="billing-agent"),
                    aliases={a: B.alias(a, TRACK_LATEST) for a in aliases})


def supervisor(collaborators=("billing",), alias="PROD", **members):
    if not collaborators:
        return B.config(agent=B.agent_members(**members))
    return B.config(agent=B.agent_members(agentCollaboration="SUPERVISOR", **members), collaborators={
        c: {"agentDescriptor": {"aliasArn": Ref(f"agent.billing-agent.alias.{alias}",
                                                "agentAliasArn")},
            "collaborationInstruction": "Route billing questions here."}
        for c in collaborators})


def converged() -> FakeBedrock:
    fake = FakeBedrock()
    _, again = apply_and_replan(fake, {"support-bot": supervisor(), "billing-agent": billing()})
    assert_empty(again)
    return fake


def plan_of(fake, desired, **kw):
    return build_plan(desired, fake.live_state(), project="support", environment="local", **kw)


def afters(plan) -> dict[tuple[str, str], list[str]]:
    return {(s.address, s.operation): list(s.after) for s in plan.steps if s.after}


def test_deleting_the_alias_a_dropped_collaborator_used_waits_for_the_supervisor():
    fake = converged()
    plan = plan_of(fake, {"support-bot": supervisor(()), "billing-agent": billing(aliases=())})
    assert afters(plan) == {("agent.billing-agent.alias.PROD", "DeleteAgentAlias"): RELEASE}
    # Listed in the order it runs: the supervisor's release before the deletion.
    ops = [(s.address, s.operation) for s in plan.steps]
    assert ops.index((SUP, "PrepareAgent")) < ops.index(("agent.billing-agent.alias.PROD",
                                                         "DeleteAgentAlias"))
    fake.apply(plan)
    assert_empty(plan_of(fake, {"support-bot": supervisor(()),
                                "billing-agent": billing(aliases=())}))


def test_pruning_the_collaborator_agent_waits_for_the_supervisor():
    fake = converged()
    plan = plan_of(fake, {"support-bot": supervisor(())}, prune=True)
    assert afters(plan) == {("agent.billing-agent.alias.PROD", "DeleteAgentAlias"): RELEASE,
                            ("agent.billing-agent", "DeleteAgent"): RELEASE}


def test_repointing_the_collaborator_to_another_alias_releases_the_old_one_first():
    fake = FakeBedrock()
    apply_and_replan(fake, {"support-bot": supervisor(alias="LIVE"),
                            "billing-agent": billing(aliases=("PROD", "LIVE"))})
    plan = plan_of(fake, {"support-bot": supervisor(alias="PROD"), "billing-agent": billing()})
    assert ("agent.support-bot.collaborator.billing", "UpdateAgentCollaborator") in \
        [(s.address, s.operation) for s in plan.steps]
    assert afters(plan) == {("agent.billing-agent.alias.LIVE", "DeleteAgentAlias"): RELEASE}


def test_pruned_supervisor_is_deleted_before_its_pruned_collaborator():
    fake = converged()
    plan = plan_of(fake, {}, prune=True)
    assert afters(plan) == {("agent.billing-agent.alias.PROD", "DeleteAgentAlias"): [SUP],
                            ("agent.billing-agent", "DeleteAgent"): [SUP]}
    first = [s.address.split(".")[1] for s in plan.steps][0]
    assert first == "support-bot"


def test_deleting_an_alias_no_collaborator_uses_adds_no_dependency():
    fake = FakeBedrock()
    apply_and_replan(fake, {"support-bot": supervisor(),
                            "billing-agent": billing(aliases=("PROD", "LIVE"))})
    plan = plan_of(fake, {"support-bot": supervisor(description="Changed."),
                          "billing-agent": billing()})
    ops = [(s.address, s.operation) for s in plan.steps]
    assert (SUP, "UpdateAgent") in ops
    assert ("agent.billing-agent.alias.LIVE", "DeleteAgentAlias") in ops
    assert afters(plan) == {}


def test_after_is_saved_shown_and_part_of_the_plan_identity():
    fake = converged()
    plan = plan_of(fake, {"support-bot": supervisor(()), "billing-agent": billing(aliases=())})
    text = codec.dumps(plan)
    assert codec.loads(text) == plan
    steps = json.loads(text)["steps"]
    assert all("after" in s for s in steps)
    assert [s["after"] for s in steps if s["after"]] == [RELEASE]
    without = dataclasses.replace(plan, steps=tuple(dataclasses.replace(s, after=())
                                                    for s in plan.steps))
    assert codec.compute_plan_id(without) != plan.plan_id


def test_plans_saved_before_after_existed_still_load_with_the_same_id():
    plan = build_plan({"support-bot": B.config()}, B.state(), project="support",
                      environment="local")
    doc = json.loads(codec.dumps(plan))
    for step in doc["steps"]:
        assert step.pop("after") == []
    again = codec.loads(json.dumps(doc))
    assert again == plan and again.plan_id == plan.plan_id


def test_repointing_to_a_new_alias_that_replaces_the_old_one_leaves_no_cycle():
    """The supervisor waits for the new alias's ARN ($ref) and the old alias's deletion waits
    for the supervisor (after): the deletion moves after the agent's alias creates, so the
    executor's dependency check finds no cycle and the plan runs."""
    from agentctl.apply import executor as apply

    fake = converged()
    plan = plan_of(fake, {"support-bot": supervisor(alias="LIVE"),
                          "billing-agent": billing(aliases=("LIVE",))})
    assert afters(plan) == {("agent.billing-agent.alias.PROD", "DeleteAgentAlias"): RELEASE}
    ops = [(s.address, s.operation) for s in plan.steps]
    assert ops.index(("agent.billing-agent.alias.LIVE", "CreateAgentAlias")) < \
        ops.index(("agent.billing-agent.alias.PROD", "DeleteAgentAlias"))
    apply.check_plan(plan)  # the check execute() makes before any call; raises on a cycle


def test_alias_deletions_stay_first_when_the_supervisor_does_not_wait_for_the_agent():
    fake = FakeBedrock()
    apply_and_replan(fake, {"support-bot": supervisor(),
                            "billing-agent": billing(aliases=("PROD", "LIVE"))})
    plan = plan_of(fake, {"support-bot": supervisor(()),
                          "billing-agent": billing(aliases=("LIVE", "NEW"))})
    billing_ops = [s.operation for s in plan.steps if s.address.startswith("agent.billing-agent")]
    assert billing_ops.index("DeleteAgentAlias") < billing_ops.index("CreateAgentAlias")
