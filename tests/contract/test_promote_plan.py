"""promote / rollback are one-step plans run by the executor (issue 7 item 2), pinned with
botocore's Stubber: the exact UpdateAgentAlias (a full replacement with explicit routing), the
ownership read, the wait and the routing check; an accepted update whose effect cannot be
confirmed is ``MoveIncomplete``; an interruption is ``PartialApply`` with exit INTERRUPTED."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

from agentctl.apply import promote
from agentctl.apply.context import Context
from agentctl.apply.executor import Interrupt
from agentctl.core.model import AgentConfig, LiveAgent, LiveAlias, LiveVersion
from agentctl.errors import MoveIncomplete, PartialApply
from agentctl.exitcodes import ExitCode
from agentctl.plan.codec import compute_plan_id

from .stubs import ACCOUNT, AGENT_ID, REGION, alias_obj

ALIAS_ID = "ALIASPRD01"


def ctx_for(clients, tmp_path) -> Context:
    project = SimpleNamespace(name="support", root=str(tmp_path),
                              environment=SimpleNamespace(name="prod"), desired={})
    return Context(project=project, clients=clients)


def agent(routed: str = "1") -> LiveAgent:
    alias = LiveAlias(alias_id=ALIAS_ID, name="PROD",
                      arn=f"arn:aws:bedrock:{REGION}:{ACCOUNT}:agent-alias/{AGENT_ID}/{ALIAS_ID}",
                      description="Production", routed_version=routed, status="PREPARED",
                      invocation_state="ACCEPT_INVOCATIONS", tags={}, history=())
    return LiveAgent(agent_id=AGENT_ID, arn=f"arn:aws:bedrock:{REGION}:{ACCOUNT}:agent/{AGENT_ID}",
                     status="PREPARED", config=AgentConfig(name="support-bot", agent={}),
                     owner_tags={}, action_group_ids={}, action_group_states={},
                     aliases={"PROD": alias},
                     versions=(LiveVersion("1", "PREPARED", None, None),
                               LiveVersion("2", "PREPARED", None, None)),
                     fingerprint="f")


UPDATE = {"agentId": AGENT_ID, "agentAliasId": ALIAS_ID, "agentAliasName": "PROD",
          "routingConfiguration": [{"agentVersion": "2"}], "description": "Production",
          "aliasInvocationState": "ACCEPT_INVOCATIONS"}


def test_move_plan_is_one_full_update_with_explicit_routing(clients, tmp_path):
    plan = promote.alias_move_plan(ctx_for(clients, tmp_path), "support-bot", agent(), "PROD",
                                   "2", why="promote")
    assert [(s.operation, dict(s.params), s.wait_for) for s in plan.steps] == \
        [("UpdateAgentAlias", UPDATE, "alias:PREPARED")]
    assert plan.plan_id == compute_plan_id(plan)  # minted by the one plan-id function
    assert [(m.alias, m.from_version, m.to_version) for lc in plan.lifecycle
            for m in lc.moves] == [("PROD", "1", "2")]


def test_move_plan_sends_the_default_invocation_state_when_the_read_had_none(clients, tmp_path):
    # §3.4: UpdateAgentAlias replaces everything. An alias read back without
    # aliasInvocationState (or with an empty description) accepts invocations and has no
    # description: the update says the first explicitly and leaves the second out.
    live = agent()
    live = dataclasses.replace(live, aliases={"PROD": dataclasses.replace(
        live.aliases["PROD"], invocation_state=None, description="")})
    plan = promote.alias_move_plan(ctx_for(clients, tmp_path), "support-bot", live, "PROD",
                                   "2", why="promote")
    expected = {k: v for k, v in UPDATE.items() if k != "description"}
    assert [dict(s.params) for s in plan.steps] == [expected]


def test_promote_runs_through_the_executor(stub, clients, tmp_path):
    stub.owned()
    stub.ok("update_agent_alias", UPDATE,
            {"agentAlias": alias_obj(ALIAS_ID, "PROD", "UPDATING", version="2")})
    stub.get_alias(ALIAS_ID, "PROD", "UPDATING", version="2")
    stub.get_alias(ALIAS_ID, "PROD", "PREPARED", version="2")
    stub.get_alias(ALIAS_ID, "PROD", "PREPARED", version="2")  # the routing check
    lines: list[str] = []
    move = promote.move_alias(ctx_for(clients, tmp_path), "support-bot", agent(), "PROD", "2",
                              progress=lines.append)
    assert (move.from_version, move.to_version, move.changed) == ("1", "2", True)
    assert "support-bot: UpdateAgentAlias ... route alias PROD to version 2 (promote)" in lines


def test_accepted_update_that_never_settles_is_move_incomplete(stub, clients, tmp_path):
    stub.owned()
    stub.ok("update_agent_alias", UPDATE,
            {"agentAlias": alias_obj(ALIAS_ID, "PROD", "UPDATING", version="2")})
    stub.ok("get_agent_alias", {"agentId": AGENT_ID, "agentAliasId": ALIAS_ID},
            {"agentAlias": {**alias_obj(ALIAS_ID, "PROD", "FAILED", version="2"),
                            "failureReasons": ["provisioned throughput gone"]}})
    with pytest.raises(MoveIncomplete) as ei:
        promote.move_alias(ctx_for(clients, tmp_path), "support-bot", agent(), "PROD", "2")
    assert "UpdateAgentAlias was accepted (PROD: 1 -> version 2)" in ei.value.message()
    assert ei.value.exit_code == ExitCode.APPLY_FAILED


def test_interrupted_move_is_interrupted_not_done(clients, tmp_path):
    intr = Interrupt()
    intr.request("SIGINT")  # before the step could start: nothing is sent
    with pytest.raises(PartialApply) as ei:
        promote.move_alias(ctx_for(clients, tmp_path), "support-bot", agent(), "PROD", "2",
                           interrupt=intr)
    assert ei.value.exit_code == ExitCode.INTERRUPTED
    assert ei.value.remaining == ["agent.support-bot.alias.PROD: UpdateAgentAlias"]


def test_a_move_to_the_version_already_served_makes_no_call(clients, tmp_path):
    move = promote.move_alias(ctx_for(clients, tmp_path), "support-bot", agent("2"), "PROD", "2")
    assert not move.changed and "already serves version 2" in move.reason
