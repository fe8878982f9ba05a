"""Agent read-back: service-filled defaults, full replacement on UpdateAgent, ARNs and tags
(service-behaviour.md §2.4, §6, §9.1)."""

from __future__ import annotations

import re

import pytest

from .helpers import (
    INSTRUCTION,
    create_alias,
    create_ready_agent,
    expect_error,
    prepared_agent,
    settle_agent,
)

PROMPT_TYPES = {"PRE_PROCESSING", "ORCHESTRATION", "KNOWLEDGE_BASE_RESPONSE_GENERATION",
                "POST_PROCESSING"}

ORCH_TEMPLATE = ('{"anthropic_version": "bedrock-2023-05-31", "system": "You are a test agent. '
                 '$instruction$", "messages": [{"role": "user", "content": "$question$"}]}')


def _update(bedrock, target, agent, **kw):
    """UpdateAgent with only the required members plus ``kw`` (full replacement semantics)."""
    params = dict(agentId=agent["agentId"], agentName=agent["agentName"],
                  foundationModel=target.model, agentResourceRoleArn=target.role_arn)
    params.update(kw)
    bedrock.update_agent(**params)
    return settle_agent(bedrock, target, agent["agentId"])


def _prompts(agent):
    return {p["promptType"]: p
            for p in agent.get("promptOverrideConfiguration", {}).get("promptConfigurations", [])}


@pytest.mark.server
def test_get_agent_fills_service_defaults(bedrock, target):
    """§9.1/§2.4: a fresh agent reads back agentCollaboration DISABLED, orchestrationType DEFAULT
    and an idleSessionTTLInSeconds (required in the response) within the model's range."""
    agent = create_ready_agent(bedrock, target)
    assert agent["agentCollaboration"] == "DISABLED"
    assert agent["orchestrationType"] == "DEFAULT"
    assert 60 <= agent["idleSessionTTLInSeconds"] <= 5400
    assert agent["agentVersion"] == "DRAFT"
    assert agent["instruction"] == INSTRUCTION


@pytest.mark.server
def test_get_agent_lists_default_prompt_configurations(bedrock, target):
    """§9.1: promptOverrideConfiguration comes back even when never set, one DEFAULT-mode entry
    per prompt type (with template, inference configuration and state filled in)."""
    agent = create_ready_agent(bedrock, target)
    prompts = _prompts(agent)
    assert PROMPT_TYPES <= set(prompts)
    for p in prompts.values():
        assert p["promptCreationMode"] == "DEFAULT"
        assert p["promptState"] in ("ENABLED", "DISABLED")
        assert p.get("basePromptTemplate")
        assert "inferenceConfiguration" in p
        assert p.get("parserMode") == "DEFAULT"


def test_default_prompt_states_per_step(bedrock, target):
    """§6.2: default promptState is ENABLED for ORCHESTRATION and KNOWLEDGE_BASE_RESPONSE_GENERATION,
    DISABLED for POST_PROCESSING (PRE_PROCESSING is disputed, so not asserted)."""
    prompts = _prompts(create_ready_agent(bedrock, target))
    assert prompts["ORCHESTRATION"]["promptState"] == "ENABLED"
    assert prompts["KNOWLEDGE_BASE_RESPONSE_GENERATION"]["promptState"] == "ENABLED"
    assert prompts["POST_PROCESSING"]["promptState"] == "DISABLED"


def test_overridden_prompt_reads_back_overridden_among_defaults(bedrock, target):
    """§9.1: an overridden prompt type comes back OVERRIDDEN with its template; the rest DEFAULT."""
    agent = create_ready_agent(bedrock, target, promptOverrideConfiguration={"promptConfigurations": [{
        "promptType": "ORCHESTRATION", "promptCreationMode": "OVERRIDDEN", "promptState": "ENABLED",
        "basePromptTemplate": ORCH_TEMPLATE, "parserMode": "DEFAULT",
        "inferenceConfiguration": {"temperature": 0.0, "topP": 1.0, "topK": 250,
                                   "maximumLength": 2048, "stopSequences": ["</answer>"]},
    }]})
    prompts = _prompts(agent)
    assert prompts["ORCHESTRATION"]["promptCreationMode"] == "OVERRIDDEN"
    assert prompts["ORCHESTRATION"]["basePromptTemplate"] == ORCH_TEMPLATE
    assert prompts["ORCHESTRATION"]["inferenceConfiguration"]["maximumLength"] == 2048
    others = [p for t, p in prompts.items() if t != "ORCHESTRATION"]
    assert others and all(p["promptCreationMode"] == "DEFAULT" for p in others)


def test_update_agent_omitting_prompt_overrides_reverts_them_to_default(bedrock, target):
    """§2.4 (TF addPrompt acceptance test): prompt types left out of an UpdateAgent revert to
    DEFAULT; omitting the whole block leaves no OVERRIDDEN entry."""
    two = {"promptConfigurations": [
        {"promptType": t, "promptCreationMode": "OVERRIDDEN", "promptState": "ENABLED",
         "basePromptTemplate": ORCH_TEMPLATE, "parserMode": "DEFAULT",
         "inferenceConfiguration": {"temperature": 0.0, "topP": 1.0, "topK": 250,
                                    "maximumLength": 2048, "stopSequences": []}}
        for t in ("ORCHESTRATION", "POST_PROCESSING")]}
    agent = create_ready_agent(bedrock, target, promptOverrideConfiguration=two)
    assert sum(p["promptCreationMode"] == "OVERRIDDEN" for p in _prompts(agent).values()) == 2
    one = {"promptConfigurations": [two["promptConfigurations"][1]]}
    got = _update(bedrock, target, agent, instruction=INSTRUCTION, promptOverrideConfiguration=one)
    overridden = [t for t, p in _prompts(got).items() if p["promptCreationMode"] == "OVERRIDDEN"]
    assert overridden == ["POST_PROCESSING"]
    got = _update(bedrock, target, agent, instruction=INSTRUCTION)
    assert all(p["promptCreationMode"] == "DEFAULT" for p in _prompts(got).values())


@pytest.mark.server
def test_update_agent_is_full_replacement(bedrock, target):
    """§2.4: UpdateAgent replaces the whole configuration: optional members left out (description,
    instruction, memoryConfiguration, idle TTL) are cleared or reset to their defaults."""
    agent = create_ready_agent(
        bedrock, target, description="first description", idleSessionTTLInSeconds=900,
        memoryConfiguration={"enabledMemoryTypes": ["SESSION_SUMMARY"], "storageDays": 10,
                             "sessionSummaryConfiguration": {"maxRecentSessions": 5}})
    assert agent["idleSessionTTLInSeconds"] == 900
    default_ttl = create_ready_agent(bedrock, target)["idleSessionTTLInSeconds"]
    got = _update(bedrock, target, agent)
    assert "description" not in got
    assert "instruction" not in got
    assert "memoryConfiguration" not in got
    assert got["idleSessionTTLInSeconds"] == default_ttl


def test_update_agent_changes_are_read_back(bedrock, target):
    """§2.4: every member sent on UpdateAgent is what GetAgent returns afterwards."""
    agent = create_ready_agent(bedrock, target)
    got = _update(bedrock, target, agent, description="second", instruction=INSTRUCTION + " Be terse.",
                  idleSessionTTLInSeconds=1200, agentCollaboration="DISABLED")
    assert got["description"] == "second"
    assert got["instruction"] == INSTRUCTION + " Be terse."
    assert got["idleSessionTTLInSeconds"] == 1200


def test_memory_configuration_round_trips(bedrock, target):
    """§6.1: an explicit memoryConfiguration reads back as sent."""
    mem = {"enabledMemoryTypes": ["SESSION_SUMMARY"], "storageDays": 15,
           "sessionSummaryConfiguration": {"maxRecentSessions": 7}}
    agent = create_ready_agent(bedrock, target, memoryConfiguration=mem)
    assert agent["memoryConfiguration"] == mem


def test_update_agent_leaves_tags_untouched(bedrock, target):
    """§2.4: tags are not part of UpdateAgent; a full-replacement update keeps them."""
    agent = create_ready_agent(bedrock, target, tags={"team": "support", "env": "test"})
    _update(bedrock, target, agent, instruction=INSTRUCTION)
    tags = bedrock.list_tags_for_resource(resourceArn=agent["agentArn"])["tags"]
    assert tags == {"team": "support", "env": "test"}


@pytest.mark.server
def test_agent_id_and_arn_formats(bedrock, target):
    """§1/§6.3: ids are 10 upper-case alphanumerics; the agent ARN is
    arn:aws:bedrock:<region>:<account>:agent/<id>."""
    agent = create_ready_agent(bedrock, target)
    assert re.fullmatch(r"[0-9A-Z]{10}", agent["agentId"])
    assert re.fullmatch(rf"arn:aws:bedrock:{target.region}:\d{{12}}:agent/{agent['agentId']}",
                        agent["agentArn"])


def test_alias_arn_format(bedrock, target):
    """§3.4: alias ARNs are arn:aws:bedrock:<region>:<account>:agent-alias/<agentId>/<aliasId>."""
    agent = prepared_agent(bedrock, target)
    alias = create_alias(bedrock, target, agent["agentId"])
    assert re.fullmatch(r"[0-9A-Z]{10}", alias["agentAliasId"])
    assert re.fullmatch(
        rf"arn:aws:bedrock:{target.region}:\d{{12}}:agent-alias/{agent['agentId']}/{alias['agentAliasId']}",
        alias["agentAliasArn"])


@pytest.mark.server
def test_tag_and_untag_agent(bedrock, target):
    """§6.3: tags set at creation are listed on the agent ARN; TagResource adds, UntagResource
    removes."""
    agent = create_ready_agent(bedrock, target, tags={"team": "support"})
    arn = agent["agentArn"]
    assert bedrock.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "support"}
    bedrock.tag_resource(resourceArn=arn, tags={"cost": "cc-42", "team": "core"})
    assert bedrock.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "core", "cost": "cc-42"}
    bedrock.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert bedrock.list_tags_for_resource(resourceArn=arn)["tags"] == {"cost": "cc-42"}


def test_alias_tags_live_on_the_alias_arn(bedrock, target):
    """§6.3: tags given to CreateAgentAlias are on the alias ARN, not on the agent."""
    agent = prepared_agent(bedrock, target, tags={"owner": "agent"})
    alias = create_alias(bedrock, target, agent["agentId"], tags={"stage": "prod"})
    assert bedrock.list_tags_for_resource(resourceArn=alias["agentAliasArn"])["tags"] == {"stage": "prod"}
    assert bedrock.list_tags_for_resource(resourceArn=agent["agentArn"])["tags"] == {"owner": "agent"}


def test_tagging_an_unknown_agent_is_not_found(bedrock, target):
    """§8: Tag/ListTags on the ARN of an agent that does not exist: ResourceNotFoundException."""
    real = create_ready_agent(bedrock, target)["agentArn"]  # this account's ARN prefix
    arn = real.rsplit("/", 1)[0] + "/ZZZZZZZZZ9"
    with expect_error("ResourceNotFoundException"):
        bedrock.tag_resource(resourceArn=arn, tags={"a": "b"})
    with expect_error("ResourceNotFoundException"):
        bedrock.list_tags_for_resource(resourceArn=arn)


def test_memory_summarization_prompt_state_follows_memory(bedrock, target):
    """§6.1/§6.2: the default MEMORY_SUMMARIZATION prompt is ENABLED when memory is on and
    DISABLED otherwise (whether the entry is listed at all is UNCONFIRMED, §9.1)."""
    with_memory = _prompts(create_ready_agent(bedrock, target, memoryConfiguration={
        "enabledMemoryTypes": ["SESSION_SUMMARY"], "storageDays": 30}))
    without = _prompts(create_ready_agent(bedrock, target))
    assert ("MEMORY_SUMMARIZATION" in with_memory) == ("MEMORY_SUMMARIZATION" in without)
    if "MEMORY_SUMMARIZATION" in without:
        assert with_memory["MEMORY_SUMMARIZATION"]["promptState"] == "ENABLED"
        assert without["MEMORY_SUMMARIZATION"]["promptState"] == "DISABLED"
