"""Control-plane rules the conformance suite (tests/conformance, run against the emulator on every
test run and against AWS on demand) cannot check: the emulator's switches for unconfirmed
behaviour (§12), exact texts and limits on a manual clock, quotas lowered by configuration
(service-behaviour.md §1-§9, §11). A behaviour the conformance suite checks is not repeated here."""

from __future__ import annotations

from agentctl.emulator import EmulatorConfig, Quotas

from .conftest import (FUNCTIONS, KB2_ID, KB3_ID, KB_ID, MODEL, NO_RETRIES, ROLE, error_of,
                       make_emulator, new_agent, prepared_agent, status)

KMS = "arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012"


def _update(client, agent_id, **extra):
    return client.update_agent(agentId=agent_id, agentName="support-bot", foundationModel=MODEL,
                               agentResourceRoleArn=ROLE, **extra)


def _group(client, agent_id, name="tools", **extra):
    params = {"agentId": agent_id, "agentVersion": "DRAFT", "actionGroupName": name,
              "actionGroupExecutor": {"customControl": "RETURN_CONTROL"}, "functionSchema": FUNCTIONS, **extra}
    return client.create_agent_action_group(**params)["agentActionGroup"]


# --- full replacement and defaults -----------------------------------------------------------

def test_update_agent_clears_every_optional_member_not_sent(client, clock) -> None:
    agent_id = new_agent(client, clock, description="d", customerEncryptionKeyArn=KMS, idleSessionTTLInSeconds=600,
                         promptOverrideConfiguration={"promptConfigurations": [
                             {"promptType": "POST_PROCESSING", "promptCreationMode": "OVERRIDDEN",
                              "promptState": "ENABLED", "basePromptTemplate": "tpl"}]},
                         memoryConfiguration={"enabledMemoryTypes": ["SESSION_SUMMARY"]})
    _update(client, agent_id)
    clock.advance(1)
    agent = client.get_agent(agentId=agent_id)["agent"]
    for gone in ("description", "customerEncryptionKeyArn", "instruction", "memoryConfiguration"):
        assert gone not in agent, gone
    assert agent["idleSessionTTLInSeconds"] == 1800
    modes = {c["promptType"]: c["promptCreationMode"] for c in agent["promptOverrideConfiguration"]["promptConfigurations"]}
    assert set(modes.values()) == {"DEFAULT"}


def test_get_agent_fills_service_defaults(client, clock) -> None:
    agent_id = new_agent(client, clock, memoryConfiguration={"enabledMemoryTypes": ["SESSION_SUMMARY"]},
                         promptOverrideConfiguration={"promptConfigurations": [
                             {"promptType": "ORCHESTRATION", "promptCreationMode": "OVERRIDDEN",
                              "basePromptTemplate": "my template", "parserMode": "DEFAULT"}]})
    agent = client.get_agent(agentId=agent_id)["agent"]
    assert agent["agentCollaboration"] == "DISABLED"
    assert agent["orchestrationType"] == "DEFAULT"
    assert agent["idleSessionTTLInSeconds"] == 1800
    assert agent["memoryConfiguration"] == {"enabledMemoryTypes": ["SESSION_SUMMARY"], "storageDays": 30,
                                            "sessionSummaryConfiguration": {"maxRecentSessions": 20}}
    configs = {c["promptType"]: c for c in agent["promptOverrideConfiguration"]["promptConfigurations"]}
    assert set(configs) == {"PRE_PROCESSING", "ORCHESTRATION", "POST_PROCESSING",
                            "KNOWLEDGE_BASE_RESPONSE_GENERATION", "MEMORY_SUMMARIZATION"}
    assert configs["ORCHESTRATION"]["promptCreationMode"] == "OVERRIDDEN"
    assert configs["ORCHESTRATION"]["basePromptTemplate"] == "my template"
    assert configs["PRE_PROCESSING"]["promptState"] == "DISABLED"
    assert configs["POST_PROCESSING"]["promptState"] == "DISABLED"
    assert configs["MEMORY_SUMMARIZATION"]["promptState"] == "ENABLED"   # memory is on
    for c in configs.values():
        assert c["parserMode"] == "DEFAULT" and c["basePromptTemplate"] and c["inferenceConfiguration"]


def test_default_switches_change_what_get_agent_fills(tmp_path, clock) -> None:
    cfg = EmulatorConfig(idle_session_ttl_default=600, pre_processing_default_state="ENABLED",
                         default_prompts_include_memory_summarization=False, memory_storage_days_default=None)
    emu = make_emulator(tmp_path / "s.db", clock, cfg)
    client = emu.client(config=NO_RETRIES)
    agent_id = new_agent(client, clock, memoryConfiguration={"enabledMemoryTypes": ["SESSION_SUMMARY"]})
    agent = client.get_agent(agentId=agent_id)["agent"]
    configs = {c["promptType"]: c for c in agent["promptOverrideConfiguration"]["promptConfigurations"]}
    assert agent["idleSessionTTLInSeconds"] == 600
    assert configs["PRE_PROCESSING"]["promptState"] == "ENABLED"
    assert "MEMORY_SUMMARIZATION" not in configs and "storageDays" not in agent["memoryConfiguration"]
    emu.close()


def test_action_group_read_back_quirks_and_full_replacement(client, clock) -> None:
    agent_id = new_agent(client, clock)
    builtin = client.create_agent_action_group(agentId=agent_id, agentVersion="DRAFT", actionGroupName="ask",
                                               parentActionGroupSignature="AMAZON.UserInput")["agentActionGroup"]
    assert builtin["parentActionSignature"] == "AMAZON.UserInput"
    assert "parentActionGroupSignature" not in builtin and "description" not in builtin
    assert builtin["actionGroupState"] == "ENABLED"
    group = _group(client, agent_id, description="first", actionGroupState="DISABLED")
    updated = client.update_agent_action_group(
        agentId=agent_id, agentVersion="DRAFT", actionGroupId=group["actionGroupId"], actionGroupName="tools",
        apiSchema={"payload": "openapi: 3.0.0"}, actionGroupExecutor={"customControl": "RETURN_CONTROL"},
    )["agentActionGroup"]
    assert "description" not in updated and "functionSchema" not in updated
    assert updated["apiSchema"] == {"payload": "openapi: 3.0.0"}
    assert updated["actionGroupState"] == "ENABLED"   # reset to the default, not kept DISABLED


def test_action_group_schema_rules(client, clock) -> None:
    agent_id = new_agent(client, clock)
    code, _, _ = error_of(client.create_agent_action_group, agentId=agent_id, agentVersion="DRAFT",
                          actionGroupName="both", functionSchema=FUNCTIONS, apiSchema={"payload": "x"})
    assert code == "ValidationException"
    code, _, _ = error_of(client.create_agent_action_group, agentId=agent_id, agentVersion="DRAFT",
                          actionGroupName="ask", parentActionGroupSignature="AMAZON.UserInput", description="no")
    assert code == "ValidationException"
    _group(client, agent_id, "same")
    assert error_of(lambda: _group(client, agent_id, "same"))[0] == "ConflictException"


def test_kb_association_rules(client, clock) -> None:
    agent_id = new_agent(client, clock)
    assert error_of(client.associate_agent_knowledge_base, agentId=agent_id, agentVersion="DRAFT",
                    knowledgeBaseId="NOSUCHKB00", description="x")[0] == "ResourceNotFoundException"
    kb = client.associate_agent_knowledge_base(agentId=agent_id, agentVersion="DRAFT", knowledgeBaseId=KB_ID,
                                               description="HR", knowledgeBaseState="DISABLED")["agentKnowledgeBase"]
    assert kb["knowledgeBaseState"] == "DISABLED"
    kb = client.update_agent_knowledge_base(agentId=agent_id, agentVersion="DRAFT", knowledgeBaseId=KB_ID,
                                            description="HR v2")["agentKnowledgeBase"]
    assert (kb["knowledgeBaseState"], kb["description"]) == ("ENABLED", "HR v2")
    assert error_of(client.associate_agent_knowledge_base, agentId=agent_id, agentVersion="DRAFT",
                    knowledgeBaseId=KB_ID, description="again")[0] == "ConflictException"
    client.associate_agent_knowledge_base(agentId=agent_id, agentVersion="DRAFT", knowledgeBaseId=KB2_ID,
                                          description="IT")
    code, _, http = error_of(client.associate_agent_knowledge_base, agentId=agent_id, agentVersion="DRAFT",
                             knowledgeBaseId=KB3_ID, description="third")
    assert (code, http) == ("ServiceQuotaExceededException", 402)


# --- versions and aliases --------------------------------------------------------------------

def test_alias_history_is_capped(tmp_path, clock) -> None:
    emu = make_emulator(tmp_path / "s.db", clock, EmulatorConfig(alias_history_max=2))
    client = emu.client(config=NO_RETRIES)
    agent_id = prepared_agent(client, clock)
    alias_id = client.create_agent_alias(agentId=agent_id, agentAliasName="PROD")["agentAlias"]["agentAliasId"]
    for _ in range(3):
        clock.advance(1)
        client.update_agent_alias(agentId=agent_id, agentAliasId=alias_id, agentAliasName="PROD")
    clock.advance(1)
    history = client.get_agent_alias(agentId=agent_id, agentAliasId=alias_id)["agentAlias"]["agentAliasHistoryEvents"]
    assert [h["routingConfiguration"][0]["agentVersion"] for h in history] == ["4", "3"]
    emu.close()


def test_empty_routing_switch(tmp_path, clock) -> None:
    for cuts, expected in ((True, [{"agentVersion": "1"}]), (False, [])):
        emu = make_emulator(tmp_path / f"{cuts}.db", clock, EmulatorConfig(empty_routing_cuts_version=cuts))
        client = emu.client(config=NO_RETRIES)
        agent_id = prepared_agent(client, clock)
        alias = client.create_agent_alias(agentId=agent_id, agentAliasName="P", routingConfiguration=[])["agentAlias"]
        assert alias["routingConfiguration"] == expected
        emu.close()


def test_delete_rules_for_agents_and_versions_in_use(client, clock) -> None:
    agent_id = prepared_agent(client, clock)
    alias = client.create_agent_alias(agentId=agent_id, agentAliasName="PROD")["agentAlias"]
    clock.advance(1)
    code, msg, http = error_of(client.delete_agent, agentId=agent_id)
    assert (code, http) == ("ConflictException", 409)
    assert msg == f"Could not delete Agent with ID {agent_id}, since it has active aliases"
    code, _, http = error_of(client.delete_agent_version, agentId=agent_id, agentVersion="1")
    assert (code, http) == ("ConflictException", 409)
    client.delete_agent_version(agentId=agent_id, agentVersion="1", skipResourceInUseCheck=True)
    got = client.get_agent_alias(agentId=agent_id, agentAliasId=alias["agentAliasId"])["agentAlias"]
    assert got["agentAliasStatus"] == "DISSOCIATED" and got["routingConfiguration"] == []
    # §3.4: the alias no longer points at version 1, so that period is closed.
    (event,) = got["agentAliasHistoryEvents"]
    assert event["routingConfiguration"] == [{"agentVersion": "1"}] and "endDate" in event
    r = client.delete_agent_alias(agentId=agent_id, agentAliasId=alias["agentAliasId"])
    assert r["agentAliasStatus"] == "DELETING"
    clock.advance(1)
    client.delete_agent(agentId=agent_id)


def test_alias_quota_excludes_test_alias_by_default(tmp_path, clock) -> None:
    for counts, allowed in ((False, 2), (True, 1)):
        emu = make_emulator(tmp_path / f"{counts}.db", clock,
                            EmulatorConfig(quotas=Quotas(aliases_per_agent=2), test_alias_counts_towards_quota=counts))
        client = emu.client(config=NO_RETRIES)
        agent_id = prepared_agent(client, clock)
        for i in range(allowed):
            client.create_agent_alias(agentId=agent_id, agentAliasName=f"a{i}")
            clock.advance(1)
        assert error_of(client.create_agent_alias, agentId=agent_id,
                        agentAliasName="over")[0] == "ServiceQuotaExceededException"
        emu.close()


# --- collaborators ---------------------------------------------------------------------------

def test_collaborators_enable_supervisor_prepare(client, clock) -> None:
    worker = prepared_agent(client, clock, "worker")
    worker_alias = client.create_agent_alias(agentId=worker, agentAliasName="live")["agentAlias"]
    boss = new_agent(client, clock, "boss", agentCollaboration="SUPERVISOR")
    assert error_of(client.associate_agent_collaborator, agentId=boss, agentVersion="DRAFT",
                    agentDescriptor={"aliasArn": worker_alias["agentAliasArn"].replace(worker_alias["agentAliasId"], "ZZZZZZZZZZ")},
                    collaboratorName="w", collaborationInstruction="help")[0] == "ResourceNotFoundException"
    collab = client.associate_agent_collaborator(
        agentId=boss, agentVersion="DRAFT", agentDescriptor={"aliasArn": worker_alias["agentAliasArn"]},
        collaboratorName="w", collaborationInstruction="help", relayConversationHistory="TO_COLLABORATOR",
    )["agentCollaborator"]
    assert "lastUpdatedAt" in collab and "updatedAt" not in collab
    updated = client.update_agent_collaborator(
        agentId=boss, agentVersion="DRAFT", collaboratorId=collab["collaboratorId"],
        agentDescriptor={"aliasArn": worker_alias["agentAliasArn"]}, collaboratorName="w",
        collaborationInstruction="help more")["agentCollaborator"]
    assert updated["relayConversationHistory"] == "DISABLED"   # full replacement
    client.prepare_agent(agentId=boss)
    clock.advance(1)
    assert status(client, boss) == "PREPARED"


# --- validation, quotas, pagination, idempotency, tags --------------------------------------

def test_agent_count_quota(tmp_path, clock) -> None:
    emu = make_emulator(tmp_path / "s.db", clock, EmulatorConfig(quotas=Quotas(agents_per_account=2)))
    client = emu.client(config=NO_RETRIES)
    client.create_agent(agentName="a1")
    client.create_agent(agentName="a2")
    code, _, http = error_of(client.create_agent, agentName="a3")
    assert (code, http) == ("ServiceQuotaExceededException", 402)
    emu.close()


def test_pages_are_capped_at_ten_and_tokens_are_checked(client, clock) -> None:
    for i in range(23):
        client.create_agent(agentName=f"agent{i}")
    page = client.list_agents(maxResults=100)
    assert len(page["agentSummaries"]) == 10 and page["nextToken"]
    small = client.list_agents(maxResults=4)
    assert len(small["agentSummaries"]) == 4
    names = []
    for p in client.get_paginator("list_agents").paginate():
        names += [a["agentName"] for a in p["agentSummaries"]]
    assert names == [f"agent{i}" for i in range(23)]
    code, msg, _ = error_of(client.list_agents, nextToken="garbage")
    assert code == "ValidationException"
    # A token from another list operation is not accepted either.
    assert error_of(client.list_knowledge_bases, nextToken=page["nextToken"])[0] == "ValidationException"


def test_action_group_quotas(tmp_path, clock) -> None:
    quotas = Quotas(action_groups_per_agent=3, enabled_action_groups_per_agent=2, apis_per_agent=4,
                    parameters_per_function=2)
    emu = make_emulator(tmp_path / "s.db", clock, EmulatorConfig(quotas=quotas))
    client = emu.client(config=NO_RETRIES)
    agent_id = new_agent(client, clock)
    three_params = {"functions": [{"name": "f", "parameters": {p: {"type": "string"} for p in "abc"}}]}
    assert error_of(lambda: _group(client, agent_id, "wide", functionSchema=three_params))[0] == \
        "ServiceQuotaExceededException"
    _group(client, agent_id, "g1")
    _group(client, agent_id, "g2")
    assert error_of(lambda: _group(client, agent_id, "g3"))[0] == "ServiceQuotaExceededException"  # 3rd enabled
    _group(client, agent_id, "g3", actionGroupState="DISABLED")
    assert error_of(lambda: _group(client, agent_id, "g4", actionGroupState="DISABLED"))[0] == \
        "ServiceQuotaExceededException"  # 4th group
    emu.close()
    # APIs per agent count OpenAPI operations too.
    emu = make_emulator(tmp_path / "apis.db", clock, EmulatorConfig(quotas=Quotas(apis_per_agent=1)))
    client = emu.client(config=NO_RETRIES)
    agent_id = new_agent(client, clock)
    two_ops = "openapi: 3.0.0\npaths:\n  /a:\n    get: {}\n    post: {}\n"
    code, _, http = error_of(client.create_agent_action_group, agentId=agent_id, agentVersion="DRAFT",
                             actionGroupName="api", apiSchema={"payload": two_ops})
    assert (code, http) == ("ServiceQuotaExceededException", 402)
    emu.close()


def test_mutating_operations_are_exactly_the_non_read_operations() -> None:
    from agentctl.emulator import MUTATING_OPERATIONS

    assert {"CreateAgent", "UpdateAgent", "PrepareAgent", "DeleteAgentVersion", "TagResource",
            "UntagResource", "AssociateAgentKnowledgeBase", "CreateKnowledgeBase"} <= MUTATING_OPERATIONS
    assert not {op for op in MUTATING_OPERATIONS if op.startswith(("Get", "List"))}
    assert "ListAgents" not in MUTATING_OPERATIONS and "GetAgent" not in MUTATING_OPERATIONS


def test_prompt_parser_and_guardrail_cross_member_rules(client, clock) -> None:
    lam = "arn:aws:lambda:us-east-1:123456789012:function:parser"
    entry = {"promptType": "ORCHESTRATION", "promptCreationMode": "OVERRIDDEN", "basePromptTemplate": "$question$"}
    assert error_of(client.create_agent, agentName="a", promptOverrideConfiguration={
        "overrideLambda": lam, "promptConfigurations": [{**entry, "parserMode": "DEFAULT"}]})[0] == "ValidationException"
    assert error_of(client.create_agent, agentName="a", promptOverrideConfiguration={
        "promptConfigurations": [{**entry, "parserMode": "OVERRIDDEN"}]})[0] == "ValidationException"
    assert error_of(client.create_agent, agentName="a", guardrailConfiguration={})[0] == "ValidationException"
    ok = client.create_agent(agentName="a", promptOverrideConfiguration={
        "overrideLambda": lam, "promptConfigurations": [{**entry, "parserMode": "OVERRIDDEN"}]})["agent"]
    assert ok["promptOverrideConfiguration"]["overrideLambda"] == lam
