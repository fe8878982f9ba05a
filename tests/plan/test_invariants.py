"""Invariants across normalize + differ + planner, against the service's read-back quirks
(``fake_aws``): plan after apply is empty; a second apply makes no mutating call; changes
converge; the version is cut once and only when the content changed."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from agentctl.core.model import TRACK_LATEST, AgentConfig
from agentctl.plan.model import Action
from agentctl.plan.planner import build_plan
from . import builders as B
from .fake_aws import FakeBedrock


def rich_config(name: str = "support-bot", **overrides) -> AgentConfig:
    """Every kind of setting the spec can express, in spec-loader (non-canonical) form."""
    agent = B.agent_members(
        agentName=name,
        instruction=B.INSTRUCTION + "\nBe brief.",
        idleSessionTTLInSeconds=600,
        customerEncryptionKeyArn=f"arn:aws:kms:us-east-1:{B.ACCOUNT}:key/" + "a" * 36,
        guardrailConfiguration={"guardrailIdentifier": "abcdef123456", "guardrailVersion": "1"},
        memoryConfiguration={"enabledMemoryTypes": ["SESSION_SUMMARY"]},
        agentCollaboration="DISABLED",
        promptOverrideConfiguration={
            "overrideLambda": B.LAMBDA,
            "promptConfigurations": [
                {"promptType": "PRE_PROCESSING", "promptCreationMode": "OVERRIDDEN",
                 "promptState": "DISABLED"},
                {"promptType": "ORCHESTRATION", "promptCreationMode": "OVERRIDDEN",
                 "basePromptTemplate": "Orchestrate.\n$question$",
                 "inferenceConfiguration": {"temperature": 0, "topP": 1, "topK": 250,
                                            "maximumLength": 2048, "stopSequences": ["</answer>"]},
                 "parserMode": "OVERRIDDEN"},
            ]},
    )
    groups = {
        "OrderTools": copy.deepcopy(B.ORDER_TOOLS),
        "OrderApi": copy.deepcopy(B.ORDER_API),
        "Calendar": {"actionGroupExecutor": {"customControl": "RETURN_CONTROL"},
                     "description": "Client-side calendar.",
                     "functionSchema": {"functions": [{"name": "open_calendar",
                                                       "parameters": {}}]}},
        "UserInput": {"parentActionGroupSignature": "AMAZON.UserInput"},
        "Disabled": {"actionGroupState": "DISABLED", "description": "Off for now.",
                     "actionGroupExecutor": {"lambda": B.LAMBDA},
                     "apiSchema": {"s3": {"s3BucketName": "my-bucket", "s3ObjectKey": "api.yaml"}}},
    }
    fields = dict(agent=agent, action_groups=groups,
                  knowledge_bases={"KB1234ABCD": {"description": "HR policies.",
                                                  "knowledgeBaseState": "ENABLED"},
                                   "KB5678EFGH": {"description": "Old docs.",
                                                  "knowledgeBaseState": "DISABLED"}})
    fields.update(overrides)
    return B.config(name, **fields)


def apply_and_replan(fake: FakeBedrock, desired: dict[str, AgentConfig], **kw):
    plan = build_plan(desired, fake.live_state(), project="support", environment="local", **kw)
    fake.apply(plan)
    again = build_plan(desired, fake.live_state(), project="support", environment="local", **kw)
    return plan, again


def assert_empty(plan) -> None:
    assert [s.operation for s in plan.steps if s.mutating] == []
    assert [(c.address, c.action, c.fields) for c in plan.changes if c.action is not Action.NOOP] == []


def test_plan_after_create_is_empty():
    fake = FakeBedrock()
    plan, again = apply_and_replan(fake, {"support-bot": rich_config()})
    assert plan.has_changes
    assert_empty(again)
    fake.calls.clear()
    fake.apply(again)
    assert fake.calls == []  # a second apply makes no mutating call


def test_plan_after_each_kind_of_update_is_empty():
    fake = FakeBedrock()
    base = rich_config()
    apply_and_replan(fake, {"support-bot": base})
    edits = [
        dataclasses.replace(base, agent={**base.agent, "instruction": B.INSTRUCTION + "\nNew."}),
        dataclasses.replace(base, agent={k: v for k, v in base.agent.items()
                                         if k not in ("memoryConfiguration", "idleSessionTTLInSeconds",
                                                      "customerEncryptionKeyArn")}),
        dataclasses.replace(base, tags={"team": "care", "cost": "42"}),
        dataclasses.replace(base, action_groups={k: v for k, v in base.action_groups.items()
                                                 if k != "OrderTools"}),
        dataclasses.replace(base, knowledge_bases={"KB1234ABCD": {"description": "Changed."}}),
        dataclasses.replace(base, aliases={
            "STAGING": B.alias("STAGING", TRACK_LATEST, description="Pre-production"),
            "DEV": B.alias("DEV", TRACK_LATEST, invocation_state="REJECT_INVOCATIONS")}),
    ]
    for desired in edits:
        plan, again = apply_and_replan(fake, {"support-bot": desired})
        assert plan.has_changes, desired
        assert_empty(again)


def test_one_version_per_apply_and_only_on_content_change():
    fake = FakeBedrock()
    base = B.config()
    apply_and_replan(fake, {"support-bot": base})
    (agent,) = fake.agents.values()
    assert sorted(agent["versions"]) == ["1"]
    # A tag change is not content: no version.
    apply_and_replan(fake, {"support-bot": dataclasses.replace(base, tags={"team": "x"})})
    assert sorted(agent["versions"]) == ["1"]
    # An instruction change cuts exactly one version; STAGING follows, PROD stays pinned.
    changed = dataclasses.replace(base, agent={**base.agent, "instruction": B.INSTRUCTION + " Hi."})
    apply_and_replan(fake, {"support-bot": changed})
    assert sorted(agent["versions"]) == ["1", "2"]
    routes = {a["agentAliasName"]: a["routingConfiguration"][0]["agentVersion"]
              for a in agent["aliases"].values()}
    assert routes == {"STAGING": "2", "PROD": "1"}


# Retention keeps every version an alias routes to (PROD on 1, STAGING on the newest) plus the
# newest ``retention`` versions no alias routes to; older unreferenced ones are deleted.
@pytest.mark.parametrize("retention, kept", [(0, ["1", "5"]), (1, ["1", "4", "5"]),
                                              (2, ["1", "3", "4", "5"]),
                                              (10, ["1", "2", "3", "4", "5"])])
def test_version_retention_converges(retention, kept):
    fake = FakeBedrock()
    base = B.config()  # STAGING tracks latest, PROD stays pinned on version 1
    for n in range(5):
        desired = dataclasses.replace(base, agent={**base.agent, "instruction": B.INSTRUCTION + f" v{n}"})
        plan, again = apply_and_replan(fake, {"support-bot": desired}, version_retention=retention)
        assert_empty(again)
    (agent,) = fake.agents.values()
    assert sorted(agent["versions"], key=int) == kept


def test_collaborator_ref_to_agent_created_in_same_apply():
    from agentctl.core.model import Ref

    fake = FakeBedrock()
    billing = B.config("billing-agent", aliases={"PROD": B.alias("PROD", TRACK_LATEST)})
    supervisor = B.config(
        "support-bot",
        agent={**B.agent_members(), "agentCollaboration": "SUPERVISOR"},
        collaborators={"billing": {
            "agentDescriptor": {"aliasArn": Ref("agent.billing-agent.alias.PROD", "agentAliasArn")},
            "collaborationInstruction": "Route billing questions here.",
            "relayConversationHistory": "TO_COLLABORATOR"}})
    plan, again = apply_and_replan(fake, {"support-bot": supervisor, "billing-agent": billing})
    order = [s.address.split(".")[1] for s in plan.steps]
    assert order.index("support-bot") > max(i for i, a in enumerate(order) if a == "billing-agent")
    assert_empty(again)
    sup = next(a for a in fake.agents.values() if a["agent"]["agentName"] == "support-bot")
    (collab,) = sup["collabs"].values()
    assert collab["agentDescriptor"]["aliasArn"].startswith("arn:aws:bedrock:")


def test_prune_deletes_everything_and_then_nothing_is_left():
    fake = FakeBedrock()
    apply_and_replan(fake, {"support-bot": rich_config(), "billing-agent": B.config("billing-agent")})
    plan, again = apply_and_replan(fake, {"billing-agent": B.config("billing-agent")}, prune=True)
    assert "DeleteAgent" in [s.operation for s in plan.steps]
    assert [a["agent"]["agentName"] for a in fake.agents.values()] == ["billing-agent"]
    assert_empty(again)


@pytest.mark.parametrize("ttl", [60, 1800, 5400])
def test_ttl_default_rule(ttl):
    fake = FakeBedrock()
    base = B.config()
    desired = dataclasses.replace(base, agent={**base.agent, "idleSessionTTLInSeconds": ttl})
    plan, again = apply_and_replan(fake, {"support-bot": desired})
    assert_empty(again)
    # Leaving the TTL out means the documented default 1800, so it is a change unless it is 1800.
    back = build_plan({"support-bot": base}, fake.live_state(), project="support", environment="local")
    assert back.has_changes is (ttl != 1800)
