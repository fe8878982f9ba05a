"""Server-side validation the SDK does not do, instruction quota, pagination and clientToken
idempotency (service-behaviour.md [BC-validate], §1, §6.3, §8, §11.10, §11.12)."""

from __future__ import annotations

import uuid

import pytest

from .helpers import (
    create_agent,
    create_ready_agent,
    expect_error,
    function_group,
    numbered_versions,
    prepared_agent,
    settle_agent,
    wait_agent_gone,
)

# ---- validation -----------------------------------------------------------------------------

@pytest.mark.server
def test_agent_name_pattern_is_enforced_by_the_service(bedrock, target):
    """[BC-validate]/§11.10: boto3 does not check patterns; the service answers a Coral message."""
    with expect_error("ValidationException",
                      r"^1 validation error detected: Value 'bad name!' at 'agentName' failed to "
                      r"satisfy constraint: Member must satisfy regular expression pattern: ",
                      status=400):
        bedrock.create_agent(agentName="bad name!", agentResourceRoleArn=target.role_arn,
                             foundationModel=target.model)


def test_description_max_length_is_enforced(bedrock, target):
    """[BC-validate]: descriptions are 1..200."""
    with expect_error("ValidationException",
                      r"at 'description' failed to satisfy constraint: Member must have length "
                      r"less than or equal to 200"):
        create_agent(bedrock, target, description="d" * 201)


def test_enum_is_enforced_by_the_service(bedrock, target):
    """[BC-validate]: enum values are checked server-side ("Member must satisfy enum value set")."""
    with expect_error("ValidationException",
                      r"at 'orchestrationType' failed to satisfy constraint: Member must satisfy "
                      r"enum value set"):
        create_agent(bedrock, target, orchestrationType="SOMETIMES")


def test_integer_max_is_enforced_by_the_service(bedrock, target):
    """[BC-validate]/§6.3: idleSessionTTLInSeconds is 60..5400; boto3 checks only the minimum."""
    with expect_error("ValidationException",
                      r"at 'idleSessionTTLInSeconds' failed to satisfy constraint: Member must "
                      r"have value less than or equal to 5400"):
        create_agent(bedrock, target, idleSessionTTLInSeconds=5401)


def test_several_violations_are_reported_together(bedrock, target):
    """§8: Coral reports every violation: "2 validation errors detected: ...; ..."."""
    with expect_error("ValidationException", r"^2 validation errors detected: .*agentName.*; .*description"):
        create_agent(bedrock, target, agentName="bad name!", description="d" * 201)


def test_uri_id_pattern_is_enforced(bedrock, target):
    """§1/[BC-validate]: agentId in the URI must match [0-9a-zA-Z]{10}."""
    with expect_error("ValidationException", r"at 'agentId' failed to satisfy constraint"):
        bedrock.get_agent(agentId="short")


def test_alias_name_pattern_is_enforced(bedrock, target):
    """[BC-validate]: agentAliasName has the Name pattern."""
    agent = prepared_agent(bedrock, target)
    with expect_error("ValidationException", r"at 'agentAliasName' failed to satisfy constraint"):
        bedrock.create_agent_alias(agentId=agent["agentId"], agentAliasName="no spaces allowed")


def test_tag_key_pattern_is_enforced(bedrock, target):
    """[BC-validate]: tag keys match [a-zA-Z0-9\\s._:/=+@-]*."""
    agent = create_ready_agent(bedrock, target)
    with expect_error("ValidationException", r"failed to satisfy constraint"):
        bedrock.tag_resource(resourceArn=agent["agentArn"], tags={"bad#key": "v"})


@pytest.mark.server
def test_instruction_longer_than_model_max_is_accepted_up_to_quota(bedrock, target):
    """§6.3: the model says 4000 but the service quota is 20,000 characters."""
    long_instruction = ("Always answer as a careful support agent. " * 120)[:12000]
    agent = create_ready_agent(bedrock, target, instruction=long_instruction)
    assert agent["instruction"] == long_instruction


def test_instruction_over_quota_is_refused_with_quota_text(bedrock, target):
    """§6.3: above 20,000 characters: "Validation failed for quota max-instruction-size. ..."."""
    with expect_error("ValidationException",
                      r"^Validation failed for quota max-instruction-size\. The maximum number of "
                      r"resources is 20000, but account \d{12} requested 20001 resources\."):
        create_agent(bedrock, target, instruction="x" * 20001)


def test_instruction_length_counts_characters_not_bytes(bedrock, target):
    """§6.3: the limit counts characters (multi-byte safe): 20,000 three-byte characters pass."""
    agent = create_ready_agent(bedrock, target, instruction="€" * 20000)
    assert len(agent["instruction"]) == 20000


# ---- pagination -----------------------------------------------------------------------------

@pytest.mark.server
def test_list_pages_follow_next_token(bedrock, target):
    """§1: List* ops honour maxResults and return an opaque nextToken until the last page."""
    ids = {create_agent(bedrock, target)["agentId"] for _ in range(5)}
    seen, token, pages = [], None, 0
    while True:
        kw = {"nextToken": token} if token else {}
        page = bedrock.list_agents(maxResults=2, **kw)
        pages += 1
        assert len(page["agentSummaries"]) <= 2
        seen += [s["agentId"] for s in page["agentSummaries"]]
        token = page.get("nextToken")
        if not token:
            break
    assert pages >= 3
    assert len(seen) == len(set(seen)), "an item was returned on two pages"
    assert ids <= set(seen)


def test_pages_are_capped_at_ten_items(bedrock, target):
    """§1/§11.12: summary lists are modelled with max 10 per page; a larger maxResults still
    gets at most 10 and a nextToken for the rest."""
    ids = {create_agent(bedrock, target)["agentId"] for _ in range(12)}
    first = bedrock.list_agents(maxResults=100)
    assert len(first["agentSummaries"]) == 10
    assert first.get("nextToken")
    seen = {s["agentId"] for s in first["agentSummaries"]}
    token = first["nextToken"]
    while token:
        page = bedrock.list_agents(maxResults=100, nextToken=token)
        assert len(page["agentSummaries"]) <= 10
        seen |= {s["agentId"] for s in page["agentSummaries"]}
        token = page.get("nextToken")
    assert ids <= seen


def test_boto3_paginator_lists_all_agents(bedrock, target):
    """§1: the SDK's paginator (following nextToken) sees every agent."""
    ids = {create_agent(bedrock, target)["agentId"] for _ in range(12)}
    seen = set()
    for page in bedrock.get_paginator("list_agents").paginate(PaginationConfig={"PageSize": 5}):
        assert len(page["agentSummaries"]) <= 5
        seen |= {s["agentId"] for s in page["agentSummaries"]}
    assert ids <= seen


def test_next_token_survives_deleting_the_items_already_listed(bedrock, target):
    """§1/§11.12: a nextToken stays usable after the items of the pages already returned are
    deleted (agentctl deletes while it walks a listing); the remaining pages neither skip nor
    repeat an agent."""
    ids = {create_ready_agent(bedrock, target)["agentId"] for _ in range(6)}
    first = bedrock.list_agents(maxResults=2)
    token = first.get("nextToken")
    assert token, "six agents must not fit on a page of two"
    page_one = [s["agentId"] for s in first["agentSummaries"]]
    for agent_id in page_one:
        if agent_id in ids:  # on AWS the page may hold agents this test does not own
            bedrock.delete_agent(agentId=agent_id)
            wait_agent_gone(bedrock, agent_id, target.timeout)
    rest: list[str] = []
    while token:
        page = bedrock.list_agents(maxResults=2, nextToken=token)
        rest += [s["agentId"] for s in page["agentSummaries"]]
        token = page.get("nextToken")
    assert len(rest) == len(set(rest)), "an agent was returned on two pages"
    assert not set(rest) & set(page_one), "a page repeated an item of the first page"
    assert ids - set(page_one) <= set(rest), "an agent after the deleted ones was skipped"


def test_invalid_next_token_is_a_validation_error(bedrock, target):
    """§11.12: a nextToken the service did not issue is a ValidationException."""
    with expect_error("ValidationException"):
        bedrock.list_agents(maxResults=5, nextToken="not-a-real-token")


# ---- idempotency ----------------------------------------------------------------------------

@pytest.mark.server
def test_create_agent_client_token_is_idempotent(bedrock, target):
    """§1: CreateAgent with the same clientToken returns the original agent, no new one."""
    token = uuid.uuid4().hex + "-idem"
    name = target.name()
    first = create_agent(bedrock, target, agentName=name, clientToken=token)
    again = create_agent(bedrock, target, agentName=name, clientToken=token)
    assert again["agentId"] == first["agentId"]
    settle_agent(bedrock, target, first["agentId"])
    named = [s for p in bedrock.get_paginator("list_agents").paginate()
             for s in p["agentSummaries"] if s["agentName"] == name]
    assert len(named) == 1


def test_create_alias_client_token_is_idempotent(bedrock, target):
    """§1: CreateAgentAlias with the same clientToken returns the original alias and cuts no
    second version."""
    agent = prepared_agent(bedrock, target)
    token = uuid.uuid4().hex + "-alias"
    name = target.name("alias")
    first = bedrock.create_agent_alias(agentId=agent["agentId"], agentAliasName=name,
                                       clientToken=token)["agentAlias"]
    again = bedrock.create_agent_alias(agentId=agent["agentId"], agentAliasName=name,
                                       clientToken=token)["agentAlias"]
    assert again["agentAliasId"] == first["agentAliasId"]
    settle_agent(bedrock, target, agent["agentId"])
    assert numbered_versions(bedrock, agent["agentId"]) == ["1"]


def test_create_action_group_client_token_is_idempotent(bedrock, target):
    """§1: CreateAgentActionGroup with the same clientToken returns the original group."""
    agent = create_ready_agent(bedrock, target)
    params = function_group(target, agent["agentId"], clientToken=uuid.uuid4().hex + "-group")
    first = bedrock.create_agent_action_group(**params)["agentActionGroup"]
    again = bedrock.create_agent_action_group(**params)["agentActionGroup"]
    assert again["actionGroupId"] == first["actionGroupId"]
    groups = bedrock.list_agent_action_groups(agentId=agent["agentId"], agentVersion="DRAFT")
    assert len(groups["actionGroupSummaries"]) == 1


def test_sdk_fills_client_token_so_two_plain_creates_make_two_agents(bedrock, target):
    """§1: clientToken is an auto-filled idempotency token: two calls without one are distinct."""
    a = create_agent(bedrock, target)
    b = create_agent(bedrock, target)
    assert a["agentId"] != b["agentId"]



def test_memory_types_hold_exactly_one_item(bedrock, target):
    """§6.1/[BC-validate]: enabledMemoryTypes is exactly 1 item; the service enforces the max."""
    with expect_error("ValidationException",
                      r"at 'memoryConfiguration.enabledMemoryTypes' failed to satisfy constraint: "
                      r"Member must have length less than or equal to 1"):
        create_agent(bedrock, target, memoryConfiguration={
            "enabledMemoryTypes": ["SESSION_SUMMARY", "SESSION_SUMMARY"]})


def test_stop_sequences_hold_at_most_four(bedrock, target):
    """§6.2/[BC-validate]: inferenceConfiguration.stopSequences is at most 4 items."""
    with expect_error("ValidationException", r"Member must have length less than or equal to 4"):
        create_agent(bedrock, target, promptOverrideConfiguration={"promptConfigurations": [{
            "promptType": "ORCHESTRATION", "promptCreationMode": "OVERRIDDEN",
            "basePromptTemplate": "$question$", "promptState": "ENABLED", "parserMode": "DEFAULT",
            "inferenceConfiguration": {"temperature": 0.0, "topP": 1.0, "topK": 1, "maximumLength": 10,
                                       "stopSequences": ["a", "b", "c", "d", "e"]}}]})


def test_override_lambda_needs_an_overridden_parser(bedrock, target):
    """§6.2 [BC]: with overrideLambda, at least one promptConfiguration must have parserMode
    OVERRIDDEN; otherwise the request is invalid."""
    with expect_error("ValidationException"):
        create_agent(bedrock, target, promptOverrideConfiguration={
            "overrideLambda": f"arn:aws:lambda:{target.region}:123456789012:function:parser",
            "promptConfigurations": [{
                "promptType": "ORCHESTRATION", "promptCreationMode": "OVERRIDDEN",
                "basePromptTemplate": "$question$", "promptState": "ENABLED", "parserMode": "DEFAULT",
                "inferenceConfiguration": {"temperature": 0.0, "topP": 1.0, "topK": 1,
                                           "maximumLength": 10, "stopSequences": []}}]})


def test_empty_guardrail_configuration_is_rejected(bedrock, target):
    """§6.3: an empty guardrailConfiguration object was reported to be rejected by the service
    (omit the block instead)."""
    with expect_error("ValidationException"):
        create_agent(bedrock, target, guardrailConfiguration={})


def test_overridden_parser_needs_an_override_lambda(bedrock, target):
    """§6.2 [BC]: parserMode OVERRIDDEN needs promptOverrideConfiguration.overrideLambda."""
    with expect_error("ValidationException"):
        create_agent(bedrock, target, promptOverrideConfiguration={"promptConfigurations": [{
            "promptType": "ORCHESTRATION", "promptCreationMode": "OVERRIDDEN",
            "basePromptTemplate": "$question$", "promptState": "ENABLED", "parserMode": "OVERRIDDEN",
            "inferenceConfiguration": {"temperature": 0.0, "topP": 1.0, "topK": 1,
                                       "maximumLength": 10, "stopSequences": []}}]})


def test_agents_per_account_quota(bedrock, target):
    """§7: at most 200 agents per account and Region; the next CreateAgent is a
    ServiceQuotaExceededException (agents that already exist count too)."""
    existing = sum(len(p["agentSummaries"]) for p in bedrock.get_paginator("list_agents").paginate())
    with expect_error("ServiceQuotaExceededException", status=402):
        for _ in range(201 - existing):
            target.track(bedrock.create_agent(agentName=target.name())["agent"]["agentId"])
    total = sum(len(p["agentSummaries"]) for p in bedrock.get_paginator("list_agents").paginate())
    assert total == 200


def test_max_results_above_model_max_is_rejected(bedrock, target):
    """[BC-validate]/§1: maxResults is 1..1000; boto3 checks only the minimum."""
    with expect_error("ValidationException",
                      r"at 'maxResults' failed to satisfy constraint: Member must have value less "
                      r"than or equal to 1000"):
        bedrock.list_agents(maxResults=1001)


UNKNOWN = "ZZZZZZZZZ9"


@pytest.mark.parametrize("call", [
    "create_action_group", "update_action_group", "delete_action_group", "update_kb",
    "disassociate_kb", "create_alias", "get_alias", "update_alias", "delete_alias",
    "get_collaborator", "delete_version",
])
def test_operations_on_unknown_resources_are_not_found(bedrock, target, call):
    """§8: an unknown agent / action group / association / alias / collaborator / version is a
    ResourceNotFoundException (404), whatever the operation."""
    agent_id = create_ready_agent(bedrock, target)["agentId"]
    d = {"agentId": agent_id, "agentVersion": "DRAFT"}
    calls = {
        "create_action_group": lambda: bedrock.create_agent_action_group(
            **function_group(target, UNKNOWN)),
        "update_action_group": lambda: bedrock.update_agent_action_group(
            **d, actionGroupId=UNKNOWN, actionGroupName="g", functionSchema={"functions": [{"name": "f"}]},
            actionGroupExecutor={"customControl": "RETURN_CONTROL"}),
        "delete_action_group": lambda: bedrock.delete_agent_action_group(
            **d, actionGroupId=UNKNOWN, skipResourceInUseCheck=True),
        "update_kb": lambda: bedrock.update_agent_knowledge_base(**d, knowledgeBaseId=UNKNOWN,
                                                                 description="x"),
        "disassociate_kb": lambda: bedrock.disassociate_agent_knowledge_base(**d, knowledgeBaseId=UNKNOWN),
        "create_alias": lambda: bedrock.create_agent_alias(agentId=UNKNOWN, agentAliasName="a"),
        "get_alias": lambda: bedrock.get_agent_alias(agentId=agent_id, agentAliasId=UNKNOWN),
        "update_alias": lambda: bedrock.update_agent_alias(agentId=agent_id, agentAliasId=UNKNOWN,
                                                           agentAliasName="a"),
        "delete_alias": lambda: bedrock.delete_agent_alias(agentId=agent_id, agentAliasId=UNKNOWN),
        "get_collaborator": lambda: bedrock.get_agent_collaborator(**d, collaboratorId=UNKNOWN),
        "delete_version": lambda: bedrock.delete_agent_version(agentId=agent_id, agentVersion="42"),
    }
    with expect_error("ResourceNotFoundException", status=404):
        calls[call]()


def test_update_agent_bumps_updated_at_and_keeps_created_at(bedrock, target):
    """§9.1: createdAt never changes; updatedAt moves forward on UpdateAgent."""
    agent = create_ready_agent(bedrock, target)
    bedrock.update_agent(agentId=agent["agentId"], agentName=agent["agentName"],
                         foundationModel=target.model, agentResourceRoleArn=target.role_arn,
                         instruction=agent["instruction"], description="bump")
    got = settle_agent(bedrock, target, agent["agentId"])
    assert got["createdAt"] == agent["createdAt"]
    assert got["updatedAt"] > agent["updatedAt"]
