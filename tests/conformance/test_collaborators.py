"""Multi-agent collaboration: collaborator association, full replacement, supervisors
(service-behaviour.md §2.2, §6.4)."""

from __future__ import annotations

import uuid

import pytest

from .helpers import (
    create_alias,
    create_ready_agent,
    expect_error,
    prepare,
    prepared_agent,
)


def _collaborator_alias_arn(bedrock, target):
    worker = prepared_agent(bedrock, target)
    return create_alias(bedrock, target, worker["agentId"])["agentAliasArn"]


def _associate(bedrock, supervisor_id, alias_arn, **kw):
    params = dict(agentId=supervisor_id, agentVersion="DRAFT", agentDescriptor={"aliasArn": alias_arn},
                  collaboratorName="orders_specialist",
                  collaborationInstruction="Route every question about orders to this agent.")
    params.update(kw)
    return bedrock.associate_agent_collaborator(**params)["agentCollaborator"]


@pytest.mark.server
def test_associate_collaborator_and_prepare_supervisor(bedrock, target):
    """§6.4/§2.2: a SUPERVISOR with a collaborator (referenced by alias ARN) prepares; the
    collaborator reads back with lastUpdatedAt and is listed."""
    arn = _collaborator_alias_arn(bedrock, target)
    sup = create_ready_agent(bedrock, target, agentCollaboration="SUPERVISOR")
    collab = _associate(bedrock, sup["agentId"], arn, relayConversationHistory="TO_COLLABORATOR")
    assert collab["agentDescriptor"] == {"aliasArn": arn}
    assert collab["agentVersion"] == "DRAFT"
    got = bedrock.get_agent_collaborator(agentId=sup["agentId"], agentVersion="DRAFT",
                                         collaboratorId=collab["collaboratorId"])["agentCollaborator"]
    assert "lastUpdatedAt" in got and "updatedAt" not in got
    assert got["relayConversationHistory"] == "TO_COLLABORATOR"
    listed = bedrock.list_agent_collaborators(agentId=sup["agentId"], agentVersion="DRAFT")
    assert [c["collaboratorId"] for c in listed["agentCollaboratorSummaries"]] == [collab["collaboratorId"]]
    assert prepare(bedrock, target, sup["agentId"])["agentStatus"] == "PREPARED"


def test_update_collaborator_is_full_replacement(bedrock, target):
    """§11.4: UpdateAgentCollaborator overwrites all fields; an omitted relayConversationHistory
    no longer reads back TO_COLLABORATOR."""
    arn = _collaborator_alias_arn(bedrock, target)
    sup = create_ready_agent(bedrock, target, agentCollaboration="SUPERVISOR")
    collab = _associate(bedrock, sup["agentId"], arn, relayConversationHistory="TO_COLLABORATOR")
    bedrock.update_agent_collaborator(
        agentId=sup["agentId"], agentVersion="DRAFT", collaboratorId=collab["collaboratorId"],
        agentDescriptor={"aliasArn": arn}, collaboratorName="orders_expert",
        collaborationInstruction="Ask this agent about orders.")
    got = bedrock.get_agent_collaborator(agentId=sup["agentId"], agentVersion="DRAFT",
                                         collaboratorId=collab["collaboratorId"])["agentCollaborator"]
    assert got["collaboratorName"] == "orders_expert"
    assert got["collaborationInstruction"] == "Ask this agent about orders."
    assert got.get("relayConversationHistory") != "TO_COLLABORATOR"


def test_disassociate_collaborator(bedrock, target):
    """§6.4: DisassociateAgentCollaborator answers 204; the collaborator is then not found."""
    arn = _collaborator_alias_arn(bedrock, target)
    sup = create_ready_agent(bedrock, target, agentCollaboration="SUPERVISOR")
    collab = _associate(bedrock, sup["agentId"], arn)
    resp = bedrock.disassociate_agent_collaborator(agentId=sup["agentId"], agentVersion="DRAFT",
                                                   collaboratorId=collab["collaboratorId"])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    with expect_error("ResourceNotFoundException"):
        bedrock.get_agent_collaborator(agentId=sup["agentId"], agentVersion="DRAFT",
                                       collaboratorId=collab["collaboratorId"])


def test_collaboration_instruction_max_length(bedrock, target):
    """§6.4/[BC-validate]: collaborationInstruction is 1..4000, enforced by the service."""
    arn = _collaborator_alias_arn(bedrock, target)
    sup = create_ready_agent(bedrock, target, agentCollaboration="SUPERVISOR")
    with expect_error("ValidationException", r"Member must have length less than or equal to 4000"):
        _associate(bedrock, sup["agentId"], arn, collaborationInstruction="x" * 4001)


def test_collaborator_alias_arn_pattern_is_checked(bedrock, target):
    """§6.4/[BC-validate]: agentDescriptor.aliasArn must be an agent-alias ARN."""
    sup = create_ready_agent(bedrock, target, agentCollaboration="SUPERVISOR")
    with expect_error("ValidationException", r"agentDescriptor.aliasArn"):
        _associate(bedrock, sup["agentId"], "arn:aws:bedrock:us-east-1:123456789012:agent/ABCDEFGHIJ")


def test_supervisor_version_snapshot_includes_collaborators(bedrock, target):
    """§3.2/§11.6: a version snapshots the DRAFT's collaborators; they are read with
    agentVersion="N", carry it, and outlive a later DRAFT disassociation."""
    arn = _collaborator_alias_arn(bedrock, target)
    sup = create_ready_agent(bedrock, target, agentCollaboration="SUPERVISOR")
    collab = _associate(bedrock, sup["agentId"], arn)
    prepare(bedrock, target, sup["agentId"])
    create_alias(bedrock, target, sup["agentId"])
    bedrock.disassociate_agent_collaborator(agentId=sup["agentId"], agentVersion="DRAFT",
                                            collaboratorId=collab["collaboratorId"])
    listed = bedrock.list_agent_collaborators(agentId=sup["agentId"], agentVersion="1")
    assert [c["collaboratorId"] for c in listed["agentCollaboratorSummaries"]] == [collab["collaboratorId"]]
    got = bedrock.get_agent_collaborator(agentId=sup["agentId"], agentVersion="1",
                                         collaboratorId=collab["collaboratorId"])["agentCollaborator"]
    assert got["agentVersion"] == "1"
    assert got["agentDescriptor"] == {"aliasArn": arn}
    assert bedrock.list_agent_collaborators(agentId=sup["agentId"],
                                            agentVersion="DRAFT")["agentCollaboratorSummaries"] == []


def test_collaborator_edits_are_draft_only(bedrock, target):
    """§1.1: AssociateAgentCollaborator accepts only agentVersion DRAFT (pattern, server-side)."""
    arn = _collaborator_alias_arn(bedrock, target)
    sup = create_ready_agent(bedrock, target, agentCollaboration="SUPERVISOR")
    with expect_error("ValidationException", r"regular expression pattern: DRAFT"):
        _associate(bedrock, sup["agentId"], arn, agentVersion="00001")


def test_associate_collaborator_client_token_is_idempotent(bedrock, target):
    """§1: AssociateAgentCollaborator with the same clientToken returns the original collaborator."""
    arn = _collaborator_alias_arn(bedrock, target)
    sup = create_ready_agent(bedrock, target, agentCollaboration="SUPERVISOR")
    token = uuid.uuid4().hex + "-collab"
    first = _associate(bedrock, sup["agentId"], arn, clientToken=token)
    again = _associate(bedrock, sup["agentId"], arn, clientToken=token)
    assert again["collaboratorId"] == first["collaboratorId"]
    listed = bedrock.list_agent_collaborators(agentId=sup["agentId"], agentVersion="DRAFT")
    assert len(listed["agentCollaboratorSummaries"]) == 1
