"""Calls whose answer was lost after the service may have committed them (a 5xx, or the
connection dropped after sending): ``agentctl.aws.client`` marks the error ``maybe_committed``,
refuses botocore's blind retry of the one call that is not safe to repeat (a version-cutting
UpdateAgentAlias, §3.1), and ``find_created`` finds what a lost create made. Against the
embedded emulator's ``error_after_commit`` fault, through botocore's real retry handler."""

from __future__ import annotations

import pytest

from agentctl.apply import executor
from agentctl.aws import client as aws
from agentctl.core.model import Target
from agentctl.emulator import Emulator, EmulatorConfig, World
from agentctl.errors import AwsError

ROLE = "arn:aws:iam::123456789012:role/AgentRole"
MODEL = "anthropic.claude-3-5-sonnet-20241022-v2:0"
KB = "KB1234ABCD"


def _clients(tmp_path, **lost) -> tuple[Emulator, aws.Clients]:
    faults = {"error_after_commit": {"rate": 1.0, **lost}} if lost else {}
    emu = Emulator(state_path=tmp_path / "s.db",
                   config=EmulatorConfig.from_mapping({"time_scale": 0, "faults": faults}))
    emu.seed_world(World(knowledge_bases=[{"id": KB, "name": "hr"}]))
    timing = aws.LOCAL_TIMING
    client = emu.client(config=None)
    aws.use_backoff(client, timing)
    return emu, aws.Clients(agent=client, target=Target("local", "us-east-1", "123456789012",
                                                        "embedded:test"), timing=timing,
                            emulator=emu)


def _prepared_agent(c: aws.Clients) -> tuple[str, str]:
    """An agent with version 1 and an alias STAGING on it: (agent id, alias id)."""
    agent_id = aws.call(c, "CreateAgent", {"agentName": "bot", "foundationModel": MODEL,
                                           "agentResourceRoleArn": ROLE,
                                           "instruction": "You are a test agent; be brief and helpful.",
                                           "tags": {"agentctl:project": "p"}})["agent"]["agentId"]
    aws.wait_for(c, "agent:NOT_PREPARED", agent_id=agent_id)
    aws.call(c, "PrepareAgent", {"agentId": agent_id})
    aws.wait_for(c, "agent:PREPARED", agent_id=agent_id)
    alias_id = aws.call(c, "CreateAgentAlias", {"agentId": agent_id, "agentAliasName": "STAGING"}
                        )["agentAlias"]["agentAliasId"]
    aws.wait_for(c, "alias:PREPARED", agent_id=agent_id, alias_id=alias_id)
    aws.wait_for(c, "agent:PREPARED", agent_id=agent_id)
    return agent_id, alias_id


def test_only_a_version_cutting_alias_update_is_unsafe_to_repeat():
    assert not aws.safe_to_repeat("UpdateAgentAlias", {"agentAliasName": "STAGING"})
    assert not aws.safe_to_repeat("UpdateAgentAlias", {"routingConfiguration": []})
    assert aws.safe_to_repeat("UpdateAgentAlias", {"routingConfiguration": [{"agentVersion": "1"}]})
    for op in ("CreateAgentAlias", "CreateAgent", "DeleteAgentVersion", "PrepareAgent",
               "AssociateAgentKnowledgeBase", "UpdateAgent"):
        assert aws.safe_to_repeat(op, {})


def test_a_lost_version_cut_is_not_retried_blindly_and_says_it_may_have_committed(tmp_path):
    emu, c = _clients(tmp_path, operations=["UpdateAgentAlias"])
    try:
        agent_id, alias_id = _prepared_agent(c)
        with pytest.raises(AwsError) as lost:
            aws.call(c, "UpdateAgentAlias", {"agentId": agent_id, "agentAliasId": alias_id,
                                             "agentAliasName": "STAGING"})
        assert lost.value.code == "InternalServerException" and lost.value.maybe_committed
        # Sent once: botocore's retry would have cut version 3 on top of the 2 this one cut.
        assert [x.outcome for x in emu.calls("UpdateAgentAlias")] == [
            "ok", "InternalServerException after commit"]
        aws.wait_for(c, "agent:PREPARED", agent_id=agent_id)
        # With a routing the same call is safe to repeat: botocore retries it, it succeeds.
        aws.call(c, "UpdateAgentAlias", {"agentId": agent_id, "agentAliasId": alias_id,
                                         "agentAliasName": "STAGING",
                                         "routingConfiguration": [{"agentVersion": "1"}]})
        assert [x.outcome for x in emu.calls("UpdateAgentAlias")][2:] == [
            "ok", "InternalServerException after commit", "ok"]
    finally:
        emu.close()


def test_an_error_without_a_lost_answer_is_not_marked(tmp_path):
    emu, c = _clients(tmp_path)
    try:
        with pytest.raises(AwsError) as missing:
            aws.call(c, "DeleteAgentVersion", {"agentId": "NOSUCHAGNT", "agentVersion": "1"})
        assert missing.value.code == "ResourceNotFoundException"
        assert missing.value.maybe_committed is False  # a plain "not found" is not "already done"
    finally:
        emu.close()


def test_find_created_finds_what_a_lost_create_made(tmp_path):
    emu, c = _clients(tmp_path)
    try:
        agent_id, alias_id = _prepared_agent(c)
        group = {"agentId": agent_id, "agentVersion": "DRAFT", "actionGroupName": "Tools",
                 "actionGroupExecutor": {"customControl": "RETURN_CONTROL"},
                 "functionSchema": {"functions": [{"name": "f", "description": "A function."}]}}
        made = aws.call(c, "CreateAgentActionGroup", group)["agentActionGroup"]
        found = aws.find_created(c, "CreateAgentActionGroup", group)
        assert found["agentActionGroup"]["actionGroupId"] == made["actionGroupId"]
        kb = {"agentId": agent_id, "agentVersion": "DRAFT", "knowledgeBaseId": KB,
              "description": "The HR policies."}
        assert aws.find_created(c, "AssociateAgentKnowledgeBase", kb) is None
        aws.call(c, "AssociateAgentKnowledgeBase", kb)
        assert aws.find_created(c, "AssociateAgentKnowledgeBase", kb)[
            "agentKnowledgeBase"]["knowledgeBaseId"] == KB
        alias = aws.find_created(c, "CreateAgentAlias", {"agentId": agent_id,
                                                         "agentAliasName": "STAGING"})
        assert alias["agentAlias"]["agentAliasId"] == alias_id
        assert aws.find_created(c, "CreateAgentAlias", {"agentId": agent_id,
                                                        "agentAliasName": "PROD"}) is None
        agent = aws.find_created(c, "CreateAgent", {"agentName": "bot"})
        assert agent["agent"]["agentId"] == agent_id
    finally:
        emu.close()


def test_an_agent_found_by_name_is_adopted_only_with_the_tags_the_create_sent(tmp_path):
    emu, c = _clients(tmp_path)
    try:
        _prepared_agent(c)   # tagged agentctl:project=p
        found = aws.find_created(c, "CreateAgent", {"agentName": "bot"})
        step = executor.Step(operation="CreateAgent", params={}, address="agent.bot",
                             description="create agent bot")
        assert executor._ours("CreateAgent", {"tags": {"agentctl:project": "p"}}, found, c, step)
        # Someone else's agent with the same name: never taken over.
        assert not executor._ours("CreateAgent", {"tags": {"agentctl:project": "other"}},
                                  found, c, step)
    finally:
        emu.close()
