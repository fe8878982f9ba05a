"""planner: steps field by field, ordering, versions and aliases, refusals."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from agentctl.errors import AgentctlError, NotOwned, UsageError
from agentctl.core.model import (
    OWNER_TAG,
    PROJECT_TAG,
    TRACK_LATEST,
    TRACK_PINNED,
    Ref,
)
from agentctl.plan.model import Action
from agentctl.plan.planner import build_plan
from agentctl.core.servicemodel import validate

from . import builders as B
from .test_invariants import rich_config

AGENT_REF = Ref("agent.support-bot", "agentId")


def plan_for(desired, live, **kw):
    if not isinstance(desired, dict):
        desired = {desired.name: desired}
    return build_plan(desired, live, project="support", environment="local", **kw)


def ops(plan):
    return [s.operation for s in plan.steps]


def step(plan, operation, address=None, n=0):
    found = [s for s in plan.steps if s.operation == operation
             and (address is None or s.address == address)]
    return found[n]


def with_agent(cfg, **members):
    return dataclasses.replace(cfg, agent={**cfg.agent, **members})


# ------------------------------------------------------------------------------------ create


def test_create_from_scratch_steps_in_order():
    plan = plan_for(B.config(), B.state())
    assert ops(plan) == ["CreateAgent", "CreateAgentActionGroup", "AssociateAgentKnowledgeBase",
                         "PrepareAgent", "CreateAgentAlias", "CreateAgentAlias"]
    create = plan.steps[0]
    assert create.params == {
        "agentName": "support-bot", "foundationModel": B.MODEL, "instruction": B.INSTRUCTION,
        "agentResourceRoleArn": B.ROLE, "description": "Customer support for orders.",
        "idleSessionTTLInSeconds": 1800, "agentCollaboration": "DISABLED",
        "orchestrationType": "DEFAULT",
        "tags": {"team": "support", OWNER_TAG: "agentctl", PROJECT_TAG: "support"}}
    assert create.wait_for == "agent:NOT_PREPARED"
    assert create.outputs == {"agentId": "agent.agentId", "agentArn": "agent.agentArn"}
    group = plan.steps[1]
    assert group.params["agentId"] == AGENT_REF
    assert group.params["agentVersion"] == "DRAFT"
    assert group.params["actionGroupState"] == "ENABLED"
    kb = plan.steps[2]
    assert kb.params == {"agentId": AGENT_REF, "agentVersion": "DRAFT", "knowledgeBaseId": "KB1234ABCD",
                         "description": "HR policies.", "knowledgeBaseState": "ENABLED"}
    assert plan.steps[3].wait_for == "agent:PREPARED"
    # STAGING (track: latest) mints version 1 without routing; PROD (pinned, new) routes to it.
    staging, prod = plan.steps[4:]
    assert staging.params == {"agentId": AGENT_REF, "agentAliasName": "STAGING",
                              "description": "Pre-production"}
    assert staging.outputs["version"] == "agentAlias.routingConfiguration.0.agentVersion"
    assert staging.wait_for == "alias:PREPARED"
    assert prod.params == {"agentId": AGENT_REF, "agentAliasName": "PROD", "tags": {"stage": "prod"},
                           "routingConfiguration": [{"agentVersion": Ref(
                               "agent.support-bot.alias.STAGING", "version")}]}
    (lc,) = plan.lifecycle
    assert (lc.prepare, lc.new_version, lc.next_version_hint) == (True, True, "1")
    assert plan.counts() == {"add": 5, "change": 0, "destroy": 0}


def test_every_step_matches_the_botocore_model():
    """Requests are complete and well-formed per the service model (refs replaced by ids)."""
    desired = rich_config()
    plans = [plan_for(desired, B.state())]
    live_cfg = rich_config(action_groups={"Old": {"description": "old", "actionGroupExecutor": {
        "lambda": B.LAMBDA}, "functionSchema": {"functions": [{"name": "f"}]}}})
    plans.append(plan_for(with_agent(desired, instruction=B.INSTRUCTION + " changed"),
                          B.state(B.live_agent(live_cfg))))
    for plan in plans:
        for s in plan.steps:
            params = _fill_refs(s.params)
            problems = [v for v in validate(s.operation, params)
                        if not (v.member == "instruction" and v.kind == "length")]
            assert problems == [], (s.operation, problems)


def _fill_refs(value):
    if isinstance(value, Ref):
        return {"agentId": "AGENT00001", "version": "1", "aliasId": "ALIAS00001",
                "agentAliasArn": "arn:aws:bedrock:us-east-1:123456789012:agent-alias/AAAAAAAAAA/BBBBBBBBBB",
                }.get(value.key, "X")
    if isinstance(value, dict):
        return {k: _fill_refs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill_refs(v) for v in value]
    return value


def test_openapi_payload_sent_as_json_text():
    plan = plan_for(B.config(action_groups={"OrderApi": B.ORDER_API}), B.state())
    payload = step(plan, "CreateAgentActionGroup").params["apiSchema"]["payload"]
    assert isinstance(payload, str) and '"operationId": "getOrder"' in payload


# ------------------------------------------------------------------------------------ update


def test_no_changes_no_steps():
    plan = plan_for(B.config(), B.state(B.live_agent()))
    assert plan.steps == () and not plan.has_changes
    assert {c.action for c in plan.changes} == {Action.NOOP}


def test_update_agent_sends_the_complete_agent():
    live_cfg = B.config(agent=B.agent_members(
        customerEncryptionKeyArn=f"arn:aws:kms:us-east-1:{B.ACCOUNT}:key/" + "b" * 36,
        guardrailConfiguration={"guardrailIdentifier": "abc123", "guardrailVersion": "2"},
        promptOverrideConfiguration={"promptConfigurations": [
            {"promptType": "ORCHESTRATION", "promptCreationMode": "OVERRIDDEN",
             "basePromptTemplate": "t"}]}))
    desired = with_agent(live_cfg, foundationModel="anthropic.claude-3-haiku-20240307-v1:0")
    plan = plan_for(desired, B.state(B.live_agent(live_cfg)))
    update = plan.steps[0]
    assert update.operation == "UpdateAgent"
    assert update.params == {
        "agentId": "AGENT00001", "agentName": "support-bot",
        "foundationModel": "anthropic.claude-3-haiku-20240307-v1:0", "instruction": B.INSTRUCTION,
        "agentResourceRoleArn": B.ROLE, "description": "Customer support for orders.",
        "idleSessionTTLInSeconds": 1800, "agentCollaboration": "DISABLED", "orchestrationType": "DEFAULT",
        "customerEncryptionKeyArn": live_cfg.agent["customerEncryptionKeyArn"],
        "guardrailConfiguration": {"guardrailIdentifier": "abc123", "guardrailVersion": "2"},
        "promptOverrideConfiguration": {"promptConfigurations": [
            {"promptType": "ORCHESTRATION", "promptCreationMode": "OVERRIDDEN",
             "basePromptTemplate": "t", "promptState": "ENABLED"}]}}
    assert update.wait_for == "agent:NOT_PREPARED|PREPARED"
    assert ops(plan) == ["UpdateAgent", "PrepareAgent", "UpdateAgentAlias"]


def test_removed_enabled_action_group_is_disabled_then_deleted():
    live_cfg = B.config(action_groups={"OrderTools": B.ORDER_TOOLS, "Old": {
        "description": "Old.", "actionGroupExecutor": {"lambda": B.LAMBDA},
        "functionSchema": {"functions": [{"name": "f"}]}}})
    plan = plan_for(B.config(), B.state(B.live_agent(live_cfg)))
    disable, delete = plan.steps[:2]
    assert disable.operation == "UpdateAgentActionGroup"
    assert disable.params == {"agentId": "AGENT00001", "agentVersion": "DRAFT",
                              "actionGroupId": "OLDXXXXXXX", "actionGroupName": "Old",
                              "actionGroupState": "DISABLED", "description": "Old.",
                              "actionGroupExecutor": {"lambda": B.LAMBDA},
                              "functionSchema": {"functions": [
                                  {"name": "f", "requireConfirmation": "DISABLED"}]}}
    assert (delete.operation, delete.params) == ("DeleteAgentActionGroup", {
        "agentId": "AGENT00001", "agentVersion": "DRAFT", "actionGroupId": "OLDXXXXXXX"})


def test_removed_disabled_action_group_is_just_deleted():
    live_cfg = B.config(action_groups={"OrderTools": B.ORDER_TOOLS, "Old": {
        "actionGroupState": "DISABLED", "parentActionGroupSignature": "AMAZON.UserInput"}})
    plan = plan_for(B.config(), B.state(B.live_agent(live_cfg)))
    assert ops(plan)[:2] == ["DeleteAgentActionGroup", "PrepareAgent"]


def test_action_group_update_is_complete_and_order_is_delete_update_create():
    group = copy.deepcopy(B.ORDER_TOOLS)
    group["description"] = "Changed."
    live_cfg = B.config(action_groups={"OrderTools": B.ORDER_TOOLS, "Gone": {
        "actionGroupState": "DISABLED", "parentActionGroupSignature": "AMAZON.UserInput"}})
    desired = B.config(action_groups={"OrderTools": group, "Added": {
        "parentActionGroupSignature": "AMAZON.CodeInterpreter"}})
    plan = plan_for(desired, B.state(B.live_agent(live_cfg)))
    assert ops(plan)[:3] == ["DeleteAgentActionGroup", "UpdateAgentActionGroup", "CreateAgentActionGroup"]
    update = plan.steps[1].params
    assert update["actionGroupId"] == "ORDERTOOLS" and update["description"] == "Changed."
    assert update["actionGroupExecutor"] == {"lambda": B.LAMBDA} and "functionSchema" in update
    assert plan.steps[2].params == {"agentId": "AGENT00001", "agentVersion": "DRAFT",
                                    "actionGroupName": "Added", "actionGroupState": "ENABLED",
                                    "parentActionGroupSignature": "AMAZON.CodeInterpreter"}


def test_knowledge_bases_disassociate_update_associate():
    live_cfg = B.config(knowledge_bases={"KBAAAAAAAA": {"description": "a"},
                                         "KBBBBBBBBB": {"description": "b"}})
    desired = B.config(knowledge_bases={"KBBBBBBBBB": {"description": "b2", "knowledgeBaseState": "DISABLED"},
                                        "KBCCCCCCCC": {"description": "c"}})
    plan = plan_for(desired, B.state(B.live_agent(live_cfg)))
    assert [(s.operation, s.params.get("knowledgeBaseId")) for s in plan.steps[:3]] == [
        ("DisassociateAgentKnowledgeBase", "KBAAAAAAAA"), ("UpdateAgentKnowledgeBase", "KBBBBBBBBB"),
        ("AssociateAgentKnowledgeBase", "KBCCCCCCCC")]
    assert plan.steps[1].params == {"agentId": "AGENT00001", "agentVersion": "DRAFT",
                                    "knowledgeBaseId": "KBBBBBBBBB", "description": "b2",
                                    "knowledgeBaseState": "DISABLED"}


def test_collaborators_use_live_ids_and_complete_requests():
    arn = "arn:aws:bedrock:us-east-1:123456789012:agent-alias/AAAAAAAAAA/BBBBBBBBBB"
    c1 = {"agentDescriptor": {"aliasArn": arn}, "collaborationInstruction": "One."}
    live_cfg = B.config(agent=B.agent_members(agentCollaboration="SUPERVISOR"),
                        collaborators={"one": c1, "two": c1})
    desired = B.config(agent=B.agent_members(agentCollaboration="SUPERVISOR"),
                       collaborators={"one": {**c1, "relayConversationHistory": "TO_COLLABORATOR"},
                                      "three": c1})
    plan = plan_for(desired, B.state(B.live_agent(live_cfg)))
    assert ops(plan)[:3] == ["DisassociateAgentCollaborator", "UpdateAgentCollaborator",
                             "AssociateAgentCollaborator"]
    assert plan.steps[0].params == {"agentId": "AGENT00001", "agentVersion": "DRAFT",
                                    "collaboratorId": "TWOCCCCCCC"}
    assert plan.steps[1].params == {"agentId": "AGENT00001", "agentVersion": "DRAFT",
                                    "collaboratorId": "ONECCCCCCC", "collaboratorName": "one",
                                    "agentDescriptor": {"aliasArn": arn},
                                    "collaborationInstruction": "One.",
                                    "relayConversationHistory": "TO_COLLABORATOR"}


def test_tag_changes_never_touch_ownership_tags_and_cut_no_version():
    desired = B.config(tags={"team": "care", "new": "1", OWNER_TAG: "evil"})
    live = B.live_agent(B.config(tags={"team": "support", "old": "x"}))
    plan = plan_for(desired, B.state(live))
    assert ops(plan) == ["TagResource", "UntagResource"]
    assert plan.steps[0].params == {"resourceArn": live.arn, "tags": {"new": "1", "team": "care"}}
    assert plan.steps[1].params == {"resourceArn": live.arn, "tagKeys": ["old"]}
    assert not plan.lifecycle[0].new_version and not plan.lifecycle[0].prepare


def test_prepare_once_for_many_draft_changes():
    desired = with_agent(B.config(knowledge_bases={"KBNEWNEWNE": {"description": "n"}}),
                         description="Changed.")
    plan = plan_for(desired, B.state(B.live_agent()))
    assert ops(plan).count("PrepareAgent") == 1
    assert ops(plan).index("PrepareAgent") > ops(plan).index("AssociateAgentKnowledgeBase")


def test_not_prepared_draft_is_prepared_even_without_changes():
    plan = plan_for(B.config(), B.state(B.live_agent(status="NOT_PREPARED")))
    assert ops(plan) == ["PrepareAgent"]
    assert plan.has_changes


# ------------------------------------------------------------------------------------ versions


def test_content_change_cuts_one_version_tracking_moves_pinned_stays():
    desired = with_agent(B.config(), instruction=B.INSTRUCTION + " Changed.")
    plan = plan_for(desired, B.state(B.live_agent()))
    staging = step(plan, "UpdateAgentAlias")
    assert staging.params == {"agentId": "AGENT00001", "agentAliasId": "STAGING000",
                              "agentAliasName": "STAGING", "description": "Pre-production",
                              "aliasInvocationState": "ACCEPT_INVOCATIONS"}
    assert "routingConfiguration" not in staging.params
    assert ops(plan).count("UpdateAgentAlias") == 1  # PROD is pinned and unchanged
    (lc,) = plan.lifecycle
    assert lc.new_version and lc.next_version_hint == "4"
    assert [(m.alias, m.from_version, m.to_version) for m in lc.moves] == [("STAGING", "3", "new")]
    assert [(m.alias, m.from_version) for m in lc.stays] == [("PROD", "2")]


def test_no_new_version_when_draft_equals_newest_but_tracking_alias_lags():
    aliases = {"STAGING": B.live_alias("STAGING", "2", description="Pre-production"),
               "PROD": B.live_alias("PROD", "2", tags={"stage": "prod"})}
    plan = plan_for(B.config(), B.state(B.live_agent(aliases=aliases)))
    (s,) = plan.steps
    assert s.operation == "UpdateAgentAlias"
    assert s.params["routingConfiguration"] == [{"agentVersion": "3"}]
    assert not plan.lifecycle[0].new_version


def test_draft_back_to_newest_content_cuts_no_version():
    # The live DRAFT differs from version 3, the spec equals version 3: update, but no version.
    live_draft = with_agent(B.config(), description="Drifted.")
    versions = (B.version("3", B.config()),)
    plan = plan_for(B.config(), B.state(B.live_agent(live_draft, versions=versions)))
    assert ops(plan) == ["UpdateAgent", "PrepareAgent"]
    assert not plan.lifecycle[0].new_version


def test_pinned_alias_description_change_keeps_its_routing():
    desired = B.config(aliases={**B.config().aliases,
                                "PROD": B.alias("PROD", description="Prod!", tags={"stage": "prod"})})
    plan = plan_for(desired, B.state(B.live_agent()))
    (s,) = plan.steps
    assert s.params == {"agentId": "AGENT00001", "agentAliasId": "PROD000000", "agentAliasName": "PROD",
                        "description": "Prod!", "routingConfiguration": [{"agentVersion": "2"}],
                        "aliasInvocationState": "ACCEPT_INVOCATIONS"}


def test_alias_tag_change_uses_tag_resource_on_alias_arn():
    desired = B.config(aliases={**B.config().aliases, "PROD": B.alias("PROD", tags={"stage": "live"})})
    live = B.live_agent()
    plan = plan_for(desired, B.state(live))
    assert ops(plan) == ["TagResource"]
    assert plan.steps[0].params == {"resourceArn": live.aliases["PROD"].arn, "tags": {"stage": "live"}}


def test_new_pinned_alias_routes_to_newest_version():
    desired = B.config(aliases={**B.config().aliases, "CANARY": B.alias("CANARY", TRACK_PINNED)})
    plan = plan_for(desired, B.state(B.live_agent()))
    (s,) = plan.steps
    assert s.params == {"agentId": "AGENT00001", "agentAliasName": "CANARY",
                        "routingConfiguration": [{"agentVersion": "3"}]}


def test_new_alias_with_invocation_state_is_updated_with_routing():
    desired = B.config(aliases={**B.config().aliases,
                                "PAUSED": B.alias("PAUSED", invocation_state="REJECT_INVOCATIONS")})
    plan = plan_for(desired, B.state(B.live_agent()))
    assert ops(plan) == ["CreateAgentAlias", "UpdateAgentAlias"]
    assert plan.steps[1].params == {
        "agentId": "AGENT00001", "agentAliasId": Ref("agent.support-bot.alias.PAUSED", "aliasId"),
        "agentAliasName": "PAUSED", "routingConfiguration": [{"agentVersion": "3"}],
        "aliasInvocationState": "REJECT_INVOCATIONS"}


def test_only_pinned_aliases_and_no_version_first_pinned_mints():
    desired = B.config(aliases={"PROD": B.alias("PROD"), "QA": B.alias("QA")})
    plan = plan_for(desired, B.state(B.live_agent(aliases={}, versions=())))
    prod, qa = plan.steps[-2:]
    assert (prod.operation, "routingConfiguration" in prod.params) == ("CreateAgentAlias", False)
    assert qa.params["routingConfiguration"] == [{"agentVersion": Ref(
        "agent.support-bot.alias.PROD", "version")}]


def test_no_aliases_no_version():
    desired = with_agent(B.config(aliases={}), description="Changed.")
    plan = plan_for(desired, B.state(B.live_agent(aliases={})))
    assert ops(plan) == ["UpdateAgent", "PrepareAgent"]
    assert not plan.lifecycle[0].new_version


def test_removed_alias_is_deleted():
    desired = B.config(aliases={"STAGING": B.config().aliases["STAGING"]})
    plan = plan_for(desired, B.state(B.live_agent()))
    (s,) = plan.steps
    assert (s.operation, s.params) == ("DeleteAgentAlias", {"agentId": "AGENT00001",
                                                            "agentAliasId": "PROD000000"})
    assert plan.counts() == {"add": 0, "change": 0, "destroy": 1}


def test_version_retention_deletes_old_unreferenced_versions():
    versions = tuple(B.version(str(n), B.config() if n == 8 else None) for n in range(1, 9))
    aliases = {"STAGING": B.live_alias("STAGING", "8", description="Pre-production"),
               "PROD": B.live_alias("PROD", "2", tags={"stage": "prod"})}
    desired = with_agent(B.config(), description="Changed.")
    plan = plan_for(desired, B.state(B.live_agent(versions=versions, aliases=aliases)),
                    version_retention=3)
    # New version 9 goes to STAGING and 2 stays PROD's; of the unreferenced ones (8 once STAGING
    # leaves it, 7, 6, 5, 4, 3, 1) the newest 3 are kept and 1, 3, 4, 5 deleted.
    deleted = [s.params["agentVersion"] for s in plan.steps if s.operation == "DeleteAgentVersion"]
    assert deleted == ["1", "3", "4", "5"]
    assert ops(plan).index("DeleteAgentVersion") > ops(plan).index("UpdateAgentAlias")
    assert plan.lifecycle[0].delete_versions == ("1", "3", "4", "5")
    versions_changes = [c for c in plan.changes if c.kind == "version"]
    assert [c.address for c in versions_changes][0] == "agent.support-bot.version.1"
    assert all(c.action is Action.DELETE for c in versions_changes)


def test_negative_retention_is_refused():
    with pytest.raises(UsageError, match=r"0 or more \(got -1\)"):
        plan_for(B.config(), B.state(), version_retention=-1)


def test_retention_zero_deletes_every_unreferenced_version():
    versions = tuple(B.version(str(n), B.config() if n == 3 else None) for n in range(1, 4))
    aliases = {"STAGING": B.live_alias("STAGING", "3", description="Pre-production"),
               "PROD": B.live_alias("PROD", "1", tags={"stage": "prod"})}
    plan = plan_for(B.config(), B.state(B.live_agent(versions=versions, aliases=aliases)),
                    version_retention=0)
    assert [s.params["agentVersion"] for s in plan.steps if s.operation == "DeleteAgentVersion"] == ["2"]


# ------------------------------------------------------------------------------------ scope


def test_unowned_agents_refused_naming_all():
    desired = {"a": B.config("a"), "b": B.config("b"), "c": B.config("c")}
    with pytest.raises(NotOwned) as e:
        plan_for(desired, B.state(unowned={"a": "AAAAAAAAAA", "b": "BBBBBBBBBB"}))
    assert "a (AAAAAAAAAA)" in e.value.what and "b (BBBBBBBBBB)" in e.value.what
    assert "agentctl adopt a" in e.value.hint and "agentctl adopt b" in e.value.hint


def test_unowned_agent_outside_only_agents_is_fine():
    desired = {"a": B.config("a"), "b": B.config("b")}
    plan = plan_for(desired, B.state(unowned={"a": "AAAAAAAAAA"}), only_agents=["b"])
    assert {s.address.split(".")[1] for s in plan.steps} == {"b"}


def test_only_agents_unknown_name():
    with pytest.raises(UsageError):
        plan_for(B.config(), B.state(), only_agents=["nope"])


def test_removed_agent_without_prune_is_a_note():
    old = B.live_agent(B.config("old-bot"), agent_id="OLDAGENT01")
    plan = plan_for(B.config(), B.state(B.live_agent(), old))
    (note,) = [c for c in plan.changes if c.address == "agent.old-bot"]
    assert note.action is Action.NOOP and "--prune" in note.reason
    assert plan.steps == ()
    assert plan.live_fingerprint == {"old-bot": "fp-OLDAGENT01", "support-bot": "fp-AGENT00001"}


def test_removed_agent_with_prune():
    old = B.live_agent(B.config("old-bot"), agent_id="OLDAGENT01")
    plan = plan_for(B.config(), B.state(B.live_agent(), old), prune=True)
    assert ops(plan) == ["DeleteAgentAlias", "DeleteAgentAlias", "UpdateAgentActionGroup",
                         "DeleteAgentActionGroup", "DeleteAgent"]
    assert plan.steps[-1].params == {"agentId": "OLDAGENT01"}
    assert plan.steps[2].params["actionGroupState"] == "DISABLED"
    assert plan.counts()["destroy"] == 5  # agent, action group, KB, two aliases


# ------------------------------------------------------------------------------------ refs


def test_collaborator_ref_resolved_from_live_alias():
    billing = B.live_agent(B.config("billing-agent"), agent_id="BILLING001")
    desired = B.config(agent=B.agent_members(agentCollaboration="SUPERVISOR"), collaborators={
        "billing": {"agentDescriptor": {"aliasArn": Ref("agent.billing-agent.alias.PROD", "agentAliasArn")},
                    "collaborationInstruction": "Billing."}})
    plan = plan_for({"support-bot": desired, "billing-agent": B.config("billing-agent")},
                    B.state(billing))
    assoc = step(plan, "AssociateAgentCollaborator")
    assert assoc.params["agentDescriptor"] == {"aliasArn": billing.aliases["PROD"].arn}


def test_collaborator_ref_to_undeclared_agent_is_an_error():
    desired = B.config(collaborators={"x": {
        "agentDescriptor": {"aliasArn": Ref("agent.ghost.alias.PROD", "agentAliasArn")},
        "collaborationInstruction": "X."}})
    with pytest.raises(AgentctlError, match="ghost"):
        plan_for(desired, B.state())


def test_collaborator_cycle_is_an_error():
    def sup(name, other):
        return B.config(name, collaborators={"c": {
            "agentDescriptor": {"aliasArn": Ref(f"agent.{other}.alias.PROD", "agentAliasArn")},
            "collaborationInstruction": "C."}})

    with pytest.raises(AgentctlError, match="cycle"):
        plan_for({"a": sup("a", "b"), "b": sup("b", "a")}, B.state())


# ------------------------------------------------------------------------------------ identity


def test_plans_are_deterministic_and_created_at_is_not_identity():
    live = B.state(B.live_agent())
    desired = with_agent(B.config(), instruction=B.INSTRUCTION + " x")
    a = plan_for(desired, live, created_at="2026-01-01T00:00:00Z")
    b = plan_for(desired, live, created_at="2027-01-01T00:00:00Z")
    assert a.plan_id == b.plan_id and a.steps == b.steps and a.changes == b.changes
    c = plan_for(with_agent(desired, instruction=B.INSTRUCTION + " y"), live)
    assert c.plan_id != a.plan_id


def test_target_and_fingerprints_recorded():
    plan = plan_for(B.config(), B.state())
    assert plan.target == {"kind": "local", "region": "us-east-1", "account": "123456789012",
                           "endpoint": "http://127.0.0.1:0"}
    assert plan.live_fingerprint == {"support-bot": "absent"}
    assert plan.format_version == 1 and len(plan.spec_digest) == 64


def test_tracking_alias_added_to_existing_agent():
    desired = B.config(aliases={**B.config().aliases, "DEV": B.alias("DEV", TRACK_LATEST)})
    plan = plan_for(desired, B.state(B.live_agent()))
    (s,) = plan.steps
    # DRAFT equals version 3: the new tracking alias routes to it, no version is cut.
    assert s.params["routingConfiguration"] == [{"agentVersion": "3"}]
