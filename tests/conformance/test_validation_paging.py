"""Server-side validation the SDK does not do, instruction quota, pagination and clientToken
idempotency (bedrock-semantics.md [BC-validate], §1, §6.3, §8, §11.10, §11.12)."""

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
    with expect_error("ValidationException", r"Validation failed for quota max-instruction-size"):
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

