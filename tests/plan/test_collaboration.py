"""Multi-agent collaboration in the planner (service-behaviour.md §2.2 "SUPERVISOR agents").

PrepareAgent of a SUPERVISOR / SUPERVISOR_ROUTER agent with no collaborators fails; AWS's
disable-collaboration page says to disassociate every collaborator before disabling
collaboration; the multi-agent page says to make the agent a supervisor before associating
collaborators. The planner therefore refuses a desired supervisor without collaborators and,
when a supervisor is switched to DISABLED, disassociates its collaborators before the
UpdateAgent. Every transition is also executed by ``FakeBedrock``, which enforces those three
rules in their strictest reading and records the agent's mode and collaborator count at each
PrepareAgent.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from agentctl.errors import SpecInvalid
from agentctl.core.model import TRACK_LATEST, AgentConfig, Ref
from agentctl.plan.planner import build_plan

from . import builders as B
from .fake_aws import FakeBedrock
from .test_invariants import apply_and_replan, assert_empty

ARN_ONE = f"arn:aws:bedrock:{B.REGION}:{B.ACCOUNT}:agent-alias/BILLING001/PROD000000"
ARN_TWO = f"arn:aws:bedrock:{B.REGION}:{B.ACCOUNT}:agent-alias/SHIPPING01/PROD000000"


def collab(arn: str = ARN_ONE, text: str = "Route billing questions here.") -> dict[str, Any]:
    return {"agentDescriptor": {"aliasArn": arn}, "collaborationInstruction": text}


def agent(mode: str | None, collaborators: dict[str, Any] | None = None, **members: Any) -> AgentConfig:
    """support-bot with ``agentCollaboration`` = ``mode`` (None: left out, i.e. DISABLED)."""
    return B.config(agent=B.agent_members(agentCollaboration=mode, **members),
                    collaborators=dict(collaborators or {}))


def plan_for(desired: dict[str, AgentConfig], live, **kw):
    return build_plan(desired, live, project="support", environment="local", **kw)


def ops(plan) -> list[str]:
    return [s.operation for s in plan.steps]


# ---------------------------------------------------------------------- a supervisor needs collaborators


@pytest.mark.parametrize("mode", ["SUPERVISOR", "SUPERVISOR_ROUTER"])
@pytest.mark.parametrize("exists", [False, True], ids=["new", "live"])
def test_desired_supervisor_without_collaborators_is_refused(mode, exists):
    live_cfg = agent(mode, {"one": collab()})
    live = B.state(B.live_agent(live_cfg)) if exists else B.state()
    with pytest.raises(SpecInvalid) as info:
        plan_for({"support-bot": agent(mode)}, live)
    (problem,) = info.value.problems
    assert problem.code == "collaboration.no-collaborators"  # the validator's code for the same rule
    assert str(problem.location) == "agent.support-bot"
    assert problem.path == "collaboration.mode"
    assert mode in problem.message
    assert "collaborators" in (problem.hint or "")


def test_refusal_names_every_offending_agent_and_only_agents_in_scope():
    desired = {"support-bot": agent("SUPERVISOR"),
               "billing-agent": B.config("billing-agent", agent=B.agent_members(
                   agentName="billing-agent", agentCollaboration="SUPERVISOR_ROUTER"))}
    with pytest.raises(SpecInvalid) as info:
        plan_for(desired, B.state())
    assert [str(p.location) for p in info.value.problems] == ["agent.billing-agent",
                                                             "agent.support-bot"]
    # Outside the selected agents nothing is planned, so nothing is refused.
    ok = dict(desired, **{"support-bot": agent("SUPERVISOR", {"one": collab()})})
    plan = plan_for(ok, B.state(), only_agents=["support-bot"])
    assert {s.address.split(".")[1] for s in plan.steps} == {"support-bot"}


def test_a_disabled_agent_without_collaborators_is_fine():
    for mode in (None, "DISABLED"):
        plan = plan_for({"support-bot": agent(mode)}, B.state())
        assert "AssociateAgentCollaborator" not in ops(plan)


# ---------------------------------------------------------------------- disabling collaboration


def test_disabling_collaboration_disassociates_every_collaborator_before_the_update():
    live = B.state(B.live_agent(agent("SUPERVISOR", {"one": collab(), "two": collab(ARN_TWO)})))
    plan = plan_for({"support-bot": agent(None)}, live)
    assert ops(plan)[:4] == ["DisassociateAgentCollaborator", "DisassociateAgentCollaborator",
                             "UpdateAgent", "PrepareAgent"]
    first, second, update, prepare = plan.steps[:4]
    assert [first.params, second.params] == [
        {"agentId": "AGENT00001", "agentVersion": "DRAFT", "collaboratorId": "ONECCCCCCC"},
        {"agentId": "AGENT00001", "agentVersion": "DRAFT", "collaboratorId": "TWOCCCCCCC"}]
    assert first.address == "agent.support-bot.collaborator.one"
    assert "before collaboration is disabled" in first.description
    # UpdateAgent is a full replacement (§2.4): DISABLED is sent explicitly.
    assert update.params["agentCollaboration"] == "DISABLED"
    assert prepare.params == {"agentId": "AGENT00001"}
    assert ops(plan).count("PrepareAgent") == 1


@pytest.mark.parametrize("mode", ["SUPERVISOR", "SUPERVISOR_ROUTER"])
def test_enabling_collaboration_updates_the_agent_before_associating(mode):
    live = B.state(B.live_agent(agent(None)))
    plan = plan_for({"support-bot": agent(mode, {"one": collab()})}, live)
    assert ops(plan)[:3] == ["UpdateAgent", "AssociateAgentCollaborator", "PrepareAgent"]
    assert plan.steps[0].params["agentCollaboration"] == mode


def test_keeping_supervisor_mode_keeps_the_usual_order():
    live = B.state(B.live_agent(agent("SUPERVISOR", {"one": collab()})))
    desired = agent("SUPERVISOR_ROUTER", {"two": collab(ARN_TWO)})
    plan = plan_for({"support-bot": desired}, live)
    assert ops(plan)[:4] == ["UpdateAgent", "DisassociateAgentCollaborator",
                             "AssociateAgentCollaborator", "PrepareAgent"]
    assert "before collaboration" not in plan.steps[1].description


# ---------------------------------------------------------------------- executed: every transition


TRANSITIONS = {
    "enable": (agent(None), agent("SUPERVISOR", {"one": collab()})),
    "disable": (agent("SUPERVISOR", {"one": collab(), "two": collab(ARN_TWO)}), agent(None)),
    "disable-router-and-edit": (agent("SUPERVISOR_ROUTER", {"one": collab()}),
                                agent("DISABLED", instruction=B.INSTRUCTION + " Be brief.")),
    "replace-all": (agent("SUPERVISOR", {"one": collab()}),
                    agent("SUPERVISOR", {"two": collab(ARN_TWO), "three": collab(text="Other.")})),
    "switch-mode-replace-all": (agent("SUPERVISOR", {"one": collab()}),
                                agent("SUPERVISOR_ROUTER", {"two": collab(ARN_TWO)})),
    "drop-one-of-two": (agent("SUPERVISOR", {"one": collab(), "two": collab(ARN_TWO)}),
                        agent("SUPERVISOR", {"two": collab(ARN_TWO)})),
    "edit-the-only-one": (agent("SUPERVISOR", {"one": collab()}),
                          agent("SUPERVISOR", {"one": collab(text="Changed.")})),
}


@pytest.mark.parametrize("name", sorted(TRANSITIONS))
def test_transition_is_accepted_step_by_step_and_converges(name):
    before, after = TRANSITIONS[name]
    fake = FakeBedrock()
    _, again = apply_and_replan(fake, {"support-bot": before})
    assert_empty(again)
    fake.prepared.clear()
    plan, again = apply_and_replan(fake, {"support-bot": after})  # FakeBedrock asserts each rule
    assert plan.has_changes
    assert_empty(again)
    assert len(fake.prepared) == 1  # prepared once, in the desired mode with the desired collaborators
    (_, mode, count), = fake.prepared
    assert (mode or "DISABLED", count) == (after.agent.get("agentCollaboration") or "DISABLED",
                                           len(after.collaborators))


def test_new_supervisor_is_created_then_given_its_collaborators_then_prepared():
    fake = FakeBedrock()
    plan, again = apply_and_replan(fake, {"support-bot": agent("SUPERVISOR", {"one": collab()})})
    assert ops(plan)[:3] == ["CreateAgent", "CreateAgentActionGroup", "AssociateAgentKnowledgeBase"]
    assert ops(plan).index("AssociateAgentCollaborator") < ops(plan).index("PrepareAgent")
    assert_empty(again)
    assert [(m, n) for _, m, n in fake.prepared] == [("SUPERVISOR", 1)]


def test_interrupted_disable_recovers_on_the_next_plan():
    """The apply stopped after the disassociations (the agent is a SUPERVISOR without
    collaborators, not prepared): the next plan only updates and prepares, never preparing
    before the update."""
    fake = FakeBedrock()
    apply_and_replan(fake, {"support-bot": agent("SUPERVISOR", {"one": collab()})})
    plan = plan_for({"support-bot": agent(None)}, fake.live_state())
    (agent_id,) = fake.agents
    for s in plan.steps[:ops(plan).index("UpdateAgent")]:
        fake.call(s.operation, dict(s.params))
    assert fake.agents[agent_id]["collabs"] == {}
    fake.prepared.clear()
    plan, again = apply_and_replan(fake, {"support-bot": agent(None)})
    assert ops(plan)[:2] == ["UpdateAgent", "PrepareAgent"]
    assert_empty(again)
    assert [(m, n) for _, m, n in fake.prepared] == [("DISABLED", 0)]


def test_supervisor_releases_a_pruned_collaborator_before_the_collaborator_is_deleted():
    """Preparing the supervisor releases its reference to the collaborator's alias (Terraform's
    note in ``prepareSupervisorToReleaseCollaborator``): in the plan, the supervisor's
    disassociate and prepare come before the pruned agent's alias and agent deletions, in plan
    order and through ``Step.after``, which the executor honours across agents."""
    fake = FakeBedrock()
    billing = B.config("billing-agent", agent=B.agent_members(agentName="billing-agent"),
                       aliases={"PROD": B.alias("PROD", TRACK_LATEST)})
    supervisor = agent("SUPERVISOR", {"billing": {
        "agentDescriptor": {"aliasArn": Ref("agent.billing-agent.alias.PROD", "agentAliasArn")},
        "collaborationInstruction": "Route billing questions here."}})
    apply_and_replan(fake, {"support-bot": supervisor, "billing-agent": billing})
    plan, again = apply_and_replan(fake, {"support-bot": agent(None)}, prune=True)
    addressed = [(s.address.split(".")[1], s.operation) for s in plan.steps]
    sup_prepare = addressed.index(("support-bot", "PrepareAgent"))
    first_billing = next(i for i, (a, _) in enumerate(addressed) if a == "billing-agent")
    assert addressed.index(("support-bot", "DisassociateAgentCollaborator")) < sup_prepare < first_billing
    assert ("billing-agent", "DeleteAgent") in addressed
    release = ("agent.support-bot", "agent.support-bot.collaborator.billing")
    assert {(s.address, s.operation): s.after for s in plan.steps if s.after} == {
        ("agent.billing-agent.alias.PROD", "DeleteAgentAlias"): release,
        ("agent.billing-agent", "DeleteAgent"): release}
    assert_empty(again)


def test_collaborator_edits_while_disabling_are_still_planned_after_the_update():
    """A non-spec input (DISABLED with collaborators: the schema needs ``mode`` whenever
    collaborators are given) keeps associate/update after the UpdateAgent; only the
    disassociations move ahead of it."""
    live = B.state(B.live_agent(agent("SUPERVISOR", {"one": collab(), "two": collab(ARN_TWO)})))
    desired = dataclasses.replace(agent(None), collaborators={"two": collab(ARN_TWO, "New."),
                                                              "three": collab()})
    plan = plan_for({"support-bot": desired}, live)
    assert ops(plan)[:5] == ["DisassociateAgentCollaborator", "UpdateAgent",
                             "UpdateAgentCollaborator", "AssociateAgentCollaborator", "PrepareAgent"]
