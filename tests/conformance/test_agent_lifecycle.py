"""Agent lifecycle: asynchronous statuses, refusals in transitional states, prepare outcomes,
deletion rules (service-behaviour.md §2, §8)."""

from __future__ import annotations

import pytest

from .helpers import (
    create_agent,
    create_alias,
    create_ready_agent,
    expect_error,
    function_group,
    get_agent,
    prepare,
    prepared_agent,
    routed_version,
    settle_agent,
    wait_agent,
    wait_agent_gone,
)

AGENT_ID = r"^[0-9A-Z]{10}$"


@pytest.mark.server
def test_create_agent_is_accepted_creating_then_settles_not_prepared(bedrock, target):
    """§2.2: CreateAgent answers 202 with status CREATING; the agent settles at NOT_PREPARED."""
    resp = bedrock.create_agent(agentName=target.name(), agentResourceRoleArn=target.role_arn,
                                foundationModel=target.model)
    target.track(resp["agent"]["agentId"])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert resp["agent"]["agentStatus"] == "CREATING"
    assert resp["agent"]["agentVersion"] == "DRAFT"
    agent = wait_agent(bedrock, resp["agent"]["agentId"], {"NOT_PREPARED", "FAILED"}, target.timeout)
    assert agent["agentStatus"] == "NOT_PREPARED"


def test_agent_can_be_created_with_only_a_name(bedrock, target):
    """§2.2: only agentName is required to create an agent."""
    agent = create_ready_agent(bedrock, target, agentResourceRoleArn=None, foundationModel=None,
                               instruction=None)
    assert agent["agentStatus"] == "NOT_PREPARED"
    assert "instruction" not in agent and "foundationModel" not in agent


@pytest.mark.server
def test_prepare_agent_returns_draft_then_settles_prepared(bedrock, target):
    """§2.2: PrepareAgent answers 202 {agentId, agentStatus, agentVersion DRAFT, preparedAt};
    the agent goes PREPARING -> PREPARED and GetAgent then carries preparedAt."""
    agent = create_ready_agent(bedrock, target)
    resp = bedrock.prepare_agent(agentId=agent["agentId"])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert resp["agentId"] == agent["agentId"]
    assert resp["agentVersion"] == "DRAFT"
    assert resp["agentStatus"] in ("PREPARING", "PREPARED")
    assert "preparedAt" in resp
    got = wait_agent(bedrock, agent["agentId"], {"PREPARED", "FAILED"}, target.timeout)
    assert got["agentStatus"] == "PREPARED"
    assert got.get("preparedAt") is not None


def test_prepare_without_instruction_fails_asynchronously_with_reason(bedrock, target):
    """§2.2: PrepareAgent of an agent without instruction is accepted, then the agent is FAILED
    with failure reason "Exception: Agent Instruction cannot be null"."""
    agent = create_ready_agent(bedrock, target, instruction=None)
    bedrock.prepare_agent(agentId=agent["agentId"])
    got = wait_agent(bedrock, agent["agentId"], {"PREPARED", "FAILED"}, target.timeout)
    assert got["agentStatus"] == "FAILED"
    assert any("Agent Instruction cannot be null" in r for r in got.get("failureReasons", []))


@pytest.mark.server
def test_prepare_while_preparing_is_refused_with_aws_wording(bedrock, target, wide_windows):
    """§2.3: a second PrepareAgent while PREPARING is a ValidationException naming the state."""
    agent = create_ready_agent(bedrock, target)
    bedrock.prepare_agent(agentId=agent["agentId"])
    with expect_error("ValidationException",
                      r"Prepare operation can't be performed on Agent when it is in Preparing state",
                      status=400):
        bedrock.prepare_agent(agentId=agent["agentId"])


def test_update_agent_while_preparing_is_refused(bedrock, target, wide_windows):
    """§2.3: UpdateAgent while PREPARING is refused ("Update operation can't be performed on
    Agent when it is in Preparing state.")."""
    agent = create_ready_agent(bedrock, target)
    bedrock.prepare_agent(agentId=agent["agentId"])
    with expect_error("ValidationException",
                      r"Update operation can't be performed on Agent when it is in Preparing state"):
        bedrock.update_agent(agentId=agent["agentId"], agentName=agent["agentName"],
                             foundationModel=target.model, agentResourceRoleArn=target.role_arn,
                             instruction=agent["instruction"])


def test_action_group_edit_while_preparing_is_refused(bedrock, target, wide_windows):
    """§2.3: sub-resource edits of the DRAFT are refused while the agent is PREPARING."""
    agent = create_ready_agent(bedrock, target)
    bedrock.prepare_agent(agentId=agent["agentId"])
    with expect_error("ValidationException",
                      r"operation can't be performed on .+ when .*Preparing state"):
        bedrock.create_agent_action_group(**function_group(target, agent["agentId"]))


def test_create_alias_while_agent_creating_is_refused(bedrock, target, wide_windows):
    """§2.3: CreateAgentAlias while the agent is CREATING: "Create operation can't be performed
    on AgentAlias when Agent is in Creating state."."""
    agent = create_agent(bedrock, target)
    with expect_error("ValidationException",
                      r"Create operation can't be performed on AgentAlias when Agent is in Creating state"):
        bedrock.create_agent_alias(agentId=agent["agentId"], agentAliasName=target.name("alias"))


@pytest.mark.server
def test_create_alias_on_not_prepared_agent_is_refused(bedrock, target):
    """§2.3/§3.1: cutting a version needs a PREPARED DRAFT: "Create operation can't be performed
    on AgentAlias when Agent is in Not Prepared state."."""
    agent = create_ready_agent(bedrock, target)
    with expect_error("ValidationException",
                      r"Create operation can't be performed on AgentAlias when Agent is in Not Prepared state"):
        bedrock.create_agent_alias(agentId=agent["agentId"], agentAliasName=target.name("alias"))
    versions = bedrock.list_agent_versions(agentId=agent["agentId"])["agentVersionSummaries"]
    assert [v["agentVersion"] for v in versions] == ["DRAFT"]  # the refused call cut no version


def test_prepare_right_after_alias_creation_is_refused_while_versioning(bedrock, target, wide_windows):
    """§2.2/§2.3: an alias cutting a version puts the agent in VERSIONING; PrepareAgent then
    answers "Prepare operation can't be performed on Agent when it is in Versioning state."."""
    agent = prepared_agent(bedrock, target)
    bedrock.create_agent_alias(agentId=agent["agentId"], agentAliasName=target.name("alias"))
    with expect_error("ValidationException",
                      r"Prepare operation can't be performed on Agent when it is in Versioning state"):
        bedrock.prepare_agent(agentId=agent["agentId"])
    got = settle_agent(bedrock, target, agent["agentId"])
    assert got["agentStatus"] == "PREPARED"


def test_agent_is_versioning_then_prepared_again_after_alias_creation(bedrock, target):
    """§2.2: after CreateAgentAlias without routing, DRAFT shows VERSIONING, then PREPARED."""
    agent = prepared_agent(bedrock, target)
    bedrock.create_agent_alias(agentId=agent["agentId"], agentAliasName=target.name("alias"))
    assert get_agent(bedrock, agent["agentId"])["agentStatus"] in ("VERSIONING", "PREPARED")
    assert settle_agent(bedrock, target, agent["agentId"])["agentStatus"] == "PREPARED"


def test_update_agent_goes_updating_then_settles(bedrock, target):
    """§2.2: UpdateAgent answers 202 and the agent goes UPDATING before settling at
    NOT_PREPARED or PREPARED (which one is UNCONFIRMED; both accepted by AWS's waiters)."""
    agent = prepared_agent(bedrock, target)
    resp = bedrock.update_agent(agentId=agent["agentId"], agentName=agent["agentName"],
                                foundationModel=target.model, agentResourceRoleArn=target.role_arn,
                                instruction=agent["instruction"], description="changed")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert resp["agent"]["agentStatus"] == "UPDATING"
    got = settle_agent(bedrock, target, agent["agentId"])
    assert got["agentStatus"] in ("NOT_PREPARED", "PREPARED")
    assert got["description"] == "changed"


@pytest.mark.server
def test_delete_agent_is_deleting_then_not_found(bedrock, target):
    """§2.5: DeleteAgent answers 202 {agentId, agentStatus DELETING}; afterwards GetAgent is a
    ResourceNotFoundException."""
    agent = create_ready_agent(bedrock, target)
    resp = bedrock.delete_agent(agentId=agent["agentId"])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert resp["agentStatus"] == "DELETING"
    wait_agent_gone(bedrock, agent["agentId"], target.timeout)
    with expect_error("ResourceNotFoundException", status=404):
        bedrock.get_agent(agentId=agent["agentId"])


@pytest.mark.server
def test_delete_agent_with_user_alias_is_a_conflict(bedrock, target):
    """§2.5: with a user alias and no skip flag: 409 "Could not delete Agent with ID <id>, since
    it has active aliases"."""
    agent = prepared_agent(bedrock, target)
    create_alias(bedrock, target, agent["agentId"])
    with expect_error("ConflictException",
                      rf"Could not delete Agent with ID {agent['agentId']}, since it has active aliases",
                      status=409):
        bedrock.delete_agent(agentId=agent["agentId"])
    assert get_agent(bedrock, agent["agentId"])["agentStatus"] == "PREPARED"


def test_delete_agent_with_user_alias_and_skip_flag_deletes_everything(bedrock, target):
    """§2.5: skipResourceInUseCheck=true deletes the agent despite its aliases, and the aliases,
    versions and tagged ARNs go with it."""
    agent = prepared_agent(bedrock, target, tags={"team": "support"})
    alias = create_alias(bedrock, target, agent["agentId"], tags={"stage": "prod"})
    bedrock.delete_agent(agentId=agent["agentId"], skipResourceInUseCheck=True)
    wait_agent_gone(bedrock, agent["agentId"], target.timeout)
    with expect_error("ResourceNotFoundException"):
        bedrock.list_agent_aliases(agentId=agent["agentId"])
    with expect_error("ResourceNotFoundException"):
        bedrock.get_agent_version(agentId=agent["agentId"], agentVersion=routed_version(alias))
    for arn in (agent["agentArn"], alias["agentAliasArn"]):
        with expect_error("ResourceNotFoundException"):
            bedrock.list_tags_for_resource(resourceArn=arn)


def test_delete_agent_with_only_the_test_alias_needs_no_flag(bedrock, target):
    """§2.5: the built-in TSTALIASID does not count as an active alias."""
    agent = prepared_agent(bedrock, target)
    bedrock.delete_agent(agentId=agent["agentId"])
    wait_agent_gone(bedrock, agent["agentId"], target.timeout)


@pytest.mark.server
def test_duplicate_agent_name_is_accepted_then_fails(bedrock, target):
    """§2.2: CreateAgent with a name already in use returns a new id, and that agent ends FAILED
    with "Cannot create a new agent as an agent with the same name already exists."."""
    first = create_ready_agent(bedrock, target)
    dup = create_agent(bedrock, target, agentName=first["agentName"])
    assert dup["agentId"] != first["agentId"]
    got = wait_agent(bedrock, dup["agentId"], {"NOT_PREPARED", "FAILED"}, target.timeout)
    assert got["agentStatus"] == "FAILED"
    assert any("an agent with the same name already exists" in r
               for r in got.get("failureReasons", []))
    assert get_agent(bedrock, first["agentId"])["agentStatus"] == "NOT_PREPARED"


def test_unknown_agent_is_not_found_with_404(bedrock, target):
    """§8: unknown resources are ResourceNotFoundException (HTTP 404)."""
    with expect_error("ResourceNotFoundException", status=404):
        bedrock.get_agent(agentId="ZZZZZZZZZ9")
    with expect_error("ResourceNotFoundException"):
        bedrock.prepare_agent(agentId="ZZZZZZZZZ9")


def test_prepare_supervisor_without_collaborators_is_refused(bedrock, target):
    """§2.2: PrepareAgent of a SUPERVISOR agent with no collaborators is a ValidationException
    "... The AgentCollaboration attribute is set to SUPERVISOR but no agent collaborators are
    added."."""
    agent = create_ready_agent(bedrock, target, agentCollaboration="SUPERVISOR")
    with expect_error("ValidationException",
                      r"AgentCollaboration attribute is set to SUPERVISOR but no agent collaborators are added"):
        bedrock.prepare_agent(agentId=agent["agentId"])
    assert get_agent(bedrock, agent["agentId"])["agentStatus"] == "NOT_PREPARED"


def test_prepare_after_sub_resource_edit_serves_new_draft(bedrock, target):
    """§2.2: sub-resource edits are synchronous (200) and the DRAFT can be prepared again."""
    agent = prepared_agent(bedrock, target)
    resp = bedrock.create_agent_action_group(**function_group(target, agent["agentId"]))
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    settle_agent(bedrock, target, agent["agentId"])
    assert prepare(bedrock, target, agent["agentId"])["agentStatus"] == "PREPARED"


def test_prepare_without_role_or_model_fails_asynchronously(bedrock, target):
    """§2.2/§11.3: an agent needs agentResourceRoleArn and foundationModel to be prepared; without
    them PrepareAgent is accepted and the agent ends FAILED with a failure reason (text
    UNCONFIRMED, so only its presence is asserted)."""
    agent = create_ready_agent(bedrock, target, agentResourceRoleArn=None, foundationModel=None)
    bedrock.prepare_agent(agentId=agent["agentId"])
    got = wait_agent(bedrock, agent["agentId"], {"PREPARED", "FAILED"}, target.timeout)
    assert got["agentStatus"] == "FAILED"
    assert got.get("failureReasons")


def test_prepare_supervisor_router_without_collaborators_is_refused(bedrock, target):
    """§2.2: the SUPERVISOR_ROUTER variant: "This agent cannot be prepared. The
    AgentCollaboration attribute is set to SUPERVISOR_ROUTER but no agent collaborators are
    added."."""
    agent = create_ready_agent(bedrock, target, agentCollaboration="SUPERVISOR_ROUTER")
    with expect_error("ValidationException",
                      r"AgentCollaboration attribute is set to SUPERVISOR_ROUTER but no agent "
                      r"collaborators are added"):
        bedrock.prepare_agent(agentId=agent["agentId"])
