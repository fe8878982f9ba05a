"""Contract test of the exact call sequence the executor makes for a representative plan:
create agent + action group + KB + prepare + a version-cutting alias + a pinned alias routed to
the new version (service-behaviour.md §2.2, §3.1), pinned with botocore's Stubber."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from agentctl.apply import executor as apply
from agentctl.core.model import Ref
from agentctl.plan.model import Plan, Step

from .stubs import ACCOUNT, AGENT_ID, MODEL, REGION, ROLE, T0, agent_obj, alias_obj

REF_AGENT = Ref("agent.support-bot", "agentId")
OWNER_TAGS = {"agentctl:managed-by": "agentctl", "agentctl:project": "support"}


def representative_plan() -> Plan:
    steps = (
        Step("CreateAgent", {"agentName": "support-bot", "foundationModel": MODEL,
                             "instruction": "You are a helpful support agent. " * 3,
                             "agentResourceRoleArn": ROLE, "tags": OWNER_TAGS},
             "agent.support-bot", "create agent", wait_for="agent:NOT_PREPARED",
             outputs={"agentId": "agent.agentId"}),
        Step("CreateAgentActionGroup", {
            "agentId": REF_AGENT, "agentVersion": "DRAFT", "actionGroupName": "OrderTools",
            "actionGroupExecutor": {"lambda": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:o"},
            "functionSchema": {"functions": [{"name": "get_order_status"}]}},
             "agent.support-bot.action_group.OrderTools", "create action group"),
        Step("AssociateAgentKnowledgeBase", {
            "agentId": REF_AGENT, "agentVersion": "DRAFT", "knowledgeBaseId": "KB1234ABCD",
            "description": "HR policies"},
             "agent.support-bot.knowledge_base.KB1234ABCD", "associate KB"),
        Step("PrepareAgent", {"agentId": REF_AGENT}, "agent.support-bot", "prepare DRAFT",
             wait_for="agent:PREPARED"),
        Step("CreateAgentAlias", {"agentId": REF_AGENT, "agentAliasName": "STAGING"},
             "agent.support-bot.alias.STAGING", "create STAGING (cuts version 1)",
             wait_for="alias:PREPARED"),
        Step("CreateAgentAlias", {
            "agentId": REF_AGENT, "agentAliasName": "PROD",
            "routingConfiguration": [{"agentVersion": Ref("agent.support-bot.alias.STAGING",
                                                          "version")}]},
             "agent.support-bot.alias.PROD", "create PROD on the new version",
             wait_for="alias:PREPARED"),
    )
    return Plan(format_version=1, project="support", environment="prod",
                target={"kind": "aws", "region": REGION, "account": ACCOUNT, "endpoint": None},
                spec_digest="d", live_fingerprint={"support-bot": "absent"}, changes=(),
                lifecycle=(), steps=steps, plan_id="p" * 64, created_at="2026-01-01T00:00:00Z")


def expected_token(plan: Plan, i: int, params: dict) -> str:
    """The documented token, written out here rather than computed by the function under test:
    SHA-256 (hex) of the compact, key-sorted JSON list [project, environment, plan id, plan
    time, step index, address, operation, parameters without clientToken]."""
    step = plan.steps[i]
    body = {k: v for k, v in params.items() if k != "clientToken"}
    text = json.dumps([plan.project, plan.environment, plan.plan_id, plan.created_at, i,
                       step.address, step.operation, body],
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def resolved(plan: Plan, i: int, params: dict) -> dict:
    return {**params, "clientToken": expected_token(plan, i, params)}


def test_apply_representative_plan_exact_call_sequence(stub, clients):
    plan = representative_plan()
    s = plan.steps
    create_params = dict(s[0].params)
    stub.ok("create_agent", resolved(plan, 0, create_params),
            {"agent": agent_obj("CREATING")})
    stub.get_agent("CREATING").get_agent("NOT_PREPARED")
    ag_params = {**s[1].params, "agentId": AGENT_ID}
    stub.ok("create_agent_action_group", resolved(plan, 1, ag_params), {"agentActionGroup": {
        "agentId": AGENT_ID, "agentVersion": "DRAFT", "actionGroupId": "AG00000001",
        "actionGroupName": "OrderTools", "createdAt": T0, "updatedAt": T0,
        "actionGroupState": "ENABLED"}})
    kb_params = {**s[2].params, "agentId": AGENT_ID}  # AssociateAgentKnowledgeBase: no token
    stub.ok("associate_agent_knowledge_base", kb_params, {"agentKnowledgeBase": {
        "agentId": AGENT_ID, "agentVersion": "DRAFT", "knowledgeBaseId": "KB1234ABCD",
        "description": "HR policies", "createdAt": T0, "updatedAt": T0,
        "knowledgeBaseState": "ENABLED"}})
    stub.ok("prepare_agent", {"agentId": AGENT_ID}, {
        "agentId": AGENT_ID, "agentStatus": "PREPARING", "agentVersion": "DRAFT",
        "preparedAt": T0})
    stub.get_agent("PREPARING").get_agent("PREPARED")
    # Version-cutting alias: wait alias PREPARED, agent back from VERSIONING, read version back.
    staging = {"agentId": AGENT_ID, "agentAliasName": "STAGING"}
    stub.ok("create_agent_alias", resolved(plan, 4, staging),
            {"agentAlias": alias_obj("ALIASSTG01", "STAGING", "CREATING")})
    stub.get_alias("ALIASSTG01", "STAGING", "CREATING")
    stub.get_alias("ALIASSTG01", "STAGING", "PREPARED", version="1")
    stub.get_agent("VERSIONING").get_agent("PREPARED")
    stub.get_alias("ALIASSTG01", "STAGING", "PREPARED", version="1")
    # Pinned alias routed to the version just cut ($ref resolved to "1").
    prod = {"agentId": AGENT_ID, "agentAliasName": "PROD",
            "routingConfiguration": [{"agentVersion": "1"}]}
    stub.ok("create_agent_alias", resolved(plan, 5, prod),
            {"agentAlias": alias_obj("ALIASPRD01", "PROD", "CREATING", version="1")})
    stub.get_alias("ALIASPRD01", "PROD", "PREPARED", version="1")
    stub.get_alias("ALIASPRD01", "PROD", "PREPARED", version="1")

    lines: list[str] = []
    result = apply.execute(plan, clients, progress=lines.append)

    assert result.ok, result.failed
    assert [r.step.operation for r in result.completed] == [st.operation for st in s]
    assert result.outputs["agent.support-bot"]["agentId"] == AGENT_ID
    assert result.outputs["agent.support-bot.alias.STAGING"]["version"] == "1"
    assert result.outputs["agent.support-bot.alias.PROD"]["agentAliasArn"].endswith("/ALIASPRD01")
    assert "support-bot: PrepareAgent ... PREPARING (0s)" in lines
    assert any(re.fullmatch(r"support-bot: PrepareAgent done \(\d+\.\ds\)", ln) for ln in lines)


def test_client_tokens_are_deterministic_and_valid():
    plan = representative_plan()
    step = plan.steps[0]
    a = apply.client_token(plan, 0, step, dict(step.params))
    assert a == expected_token(plan, 0, dict(step.params))
    # Pinned: a saved plan re-applied after a crash by a newer agentctl must send the same
    # tokens as the run that crashed, or the service would create a second agent (§1.2).
    assert a == "6287a1302c4d229fde584470a87a0ddbd6842819f4bd9c9c755a22a98edde834"
    # parameters already resolved by the executor give the token of what is sent
    staging = {"agentId": "AGENT00001", "agentAliasName": "STAGING"}
    assert apply.client_token(plan, 4, plan.steps[4], staging) == \
        "ea7b12d3900a43c493c325e1173770b1675596b052fa3a2a0b52b163ddee34f7"
    assert 33 <= len(a) <= 256 and re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,256}", a)
    # another plan (e.g. re-planned after a destroy) gets another token
    other = Plan(**{**plan.__dict__, "created_at": "2026-01-02T00:00:00Z"})
    assert apply.client_token(other, 0, step, dict(step.params)) != a


def test_failed_prepare_stops_the_agent_and_reports_reasons(stub, clients):
    plan = representative_plan()
    plan = Plan(**{**plan.__dict__, "steps": (
        Step("PrepareAgent", {"agentId": AGENT_ID}, "agent.support-bot", "prepare",
             wait_for="agent:PREPARED"),
        Step("CreateAgentAlias", {"agentId": AGENT_ID, "agentAliasName": "STAGING"},
             "agent.support-bot.alias.STAGING", "cut"),
    )})
    stub.owned()
    stub.ok("prepare_agent", {"agentId": AGENT_ID}, {
        "agentId": AGENT_ID, "agentStatus": "PREPARING", "agentVersion": "DRAFT",
        "preparedAt": T0})
    stub.get_agent("FAILED", failureReasons=["Exception: Agent Instruction cannot be null"])
    result = apply.execute(plan, clients)
    assert not result.ok
    assert result.failed.step.operation == "PrepareAgent"
    assert "Agent Instruction cannot be null" in result.failed.error
    assert [s.operation for s in result.not_run] == ["CreateAgentAlias"]
    assert result.completed == ()


def test_conflict_on_delete_agent_is_a_failed_step_not_an_exception(stub, clients):
    plan = representative_plan()
    plan = Plan(**{**plan.__dict__, "steps": (
        Step("DeleteAgent", {"agentId": AGENT_ID}, "agent.support-bot", "delete",
             wait_for="agent:DELETED"),)})
    stub.owned()
    stub.error("delete_agent", "ConflictException",
               f"Could not delete Agent with ID {AGENT_ID}, since it has active aliases",
               {"agentId": AGENT_ID}, 409)
    result = apply.execute(plan, clients)
    assert result.failed is not None and "ConflictException" in result.failed.error
    assert result.not_run == ()


@pytest.mark.parametrize("bad", [
    Ref("agent.support-bot.alias.NOPE", "version"),
])
def test_unresolvable_ref_leaves_the_step_not_run(stub, clients, bad):
    plan = representative_plan()
    plan = Plan(**{**plan.__dict__, "steps": (
        Step("CreateAgentAlias", {"agentId": AGENT_ID, "agentAliasName": "PROD",
                                  "routingConfiguration": [{"agentVersion": bad}]},
             "agent.support-bot.alias.PROD", "pin"),)})
    result = apply.execute(plan, clients)
    assert not result.ok and result.failed is None
    assert [s.address for s in result.not_run] == ["agent.support-bot.alias.PROD"]
