"""Knowledge-base associations (service-behaviour.md §5, §7, §8)."""

from __future__ import annotations

import pytest

from .helpers import create_ready_agent, expect_error


def _get(bedrock, agent_id, kb_id, version="DRAFT"):
    return bedrock.get_agent_knowledge_base(agentId=agent_id, agentVersion=version,
                                            knowledgeBaseId=kb_id)["agentKnowledgeBase"]


@pytest.mark.server
def test_associate_knowledge_base_defaults_state_enabled(bedrock, target, existing_kb_id):
    """§5: AssociateAgentKnowledgeBase returns the association (200) with knowledgeBaseState
    ENABLED when omitted; Get and List read it back."""
    agent = create_ready_agent(bedrock, target)
    resp = bedrock.associate_agent_knowledge_base(
        agentId=agent["agentId"], agentVersion="DRAFT", knowledgeBaseId=existing_kb_id,
        description="HR policies")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assoc = resp["agentKnowledgeBase"]
    assert (assoc["knowledgeBaseId"], assoc["agentVersion"], assoc["knowledgeBaseState"]) == \
        (existing_kb_id, "DRAFT", "ENABLED")
    got = _get(bedrock, agent["agentId"], existing_kb_id)
    assert got["description"] == "HR policies"
    summaries = bedrock.list_agent_knowledge_bases(
        agentId=agent["agentId"], agentVersion="DRAFT")["agentKnowledgeBaseSummaries"]
    assert [(s["knowledgeBaseId"], s["knowledgeBaseState"]) for s in summaries] == \
        [(existing_kb_id, "ENABLED")]


@pytest.mark.server
def test_associating_an_unknown_knowledge_base_is_not_found(bedrock, target):
    """§5/§8: the KB must exist in the account/region: ResourceNotFoundException."""
    agent = create_ready_agent(bedrock, target)
    with expect_error("ResourceNotFoundException", status=404):
        bedrock.associate_agent_knowledge_base(
            agentId=agent["agentId"], agentVersion="DRAFT", knowledgeBaseId="NOSUCHKB00",
            description="missing")


def test_update_knowledge_base_association_is_full_replacement(bedrock, target, existing_kb_id):
    """§5: UpdateAgentKnowledgeBase overwrites all fields: state DISABLED is read back, and a
    later update that omits the state resets it to ENABLED."""
    agent = create_ready_agent(bedrock, target)
    bedrock.associate_agent_knowledge_base(agentId=agent["agentId"], agentVersion="DRAFT",
                                           knowledgeBaseId=existing_kb_id, description="v1")
    bedrock.update_agent_knowledge_base(agentId=agent["agentId"], agentVersion="DRAFT",
                                        knowledgeBaseId=existing_kb_id, description="v2",
                                        knowledgeBaseState="DISABLED")
    got = _get(bedrock, agent["agentId"], existing_kb_id)
    assert (got["description"], got["knowledgeBaseState"]) == ("v2", "DISABLED")
    bedrock.update_agent_knowledge_base(agentId=agent["agentId"], agentVersion="DRAFT",
                                        knowledgeBaseId=existing_kb_id, description="v3")
    got = _get(bedrock, agent["agentId"], existing_kb_id)
    assert (got["description"], got["knowledgeBaseState"]) == ("v3", "ENABLED")


def test_disassociate_knowledge_base(bedrock, target, existing_kb_id):
    """§5: DisassociateAgentKnowledgeBase answers 204; the association is then not found."""
    agent = create_ready_agent(bedrock, target)
    bedrock.associate_agent_knowledge_base(agentId=agent["agentId"], agentVersion="DRAFT",
                                           knowledgeBaseId=existing_kb_id, description="kb")
    resp = bedrock.disassociate_agent_knowledge_base(agentId=agent["agentId"], agentVersion="DRAFT",
                                                     knowledgeBaseId=existing_kb_id)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    with expect_error("ResourceNotFoundException"):
        _get(bedrock, agent["agentId"], existing_kb_id)


def test_knowledge_base_association_is_draft_only(bedrock, target, existing_kb_id):
    """§1.1: associations can only be edited on DRAFT (pattern checked by the service)."""
    agent = create_ready_agent(bedrock, target)
    with expect_error("ValidationException", r"regular expression pattern: DRAFT"):
        bedrock.associate_agent_knowledge_base(agentId=agent["agentId"], agentVersion="00001",
                                               knowledgeBaseId=existing_kb_id, description="kb")


def test_knowledge_base_description_max_length(bedrock, target, existing_kb_id):
    """§5/[BC-validate]: description is 1..200; the service rejects 201 characters."""
    agent = create_ready_agent(bedrock, target)
    with expect_error("ValidationException",
                      r"at 'description' failed to satisfy constraint: Member must have length "
                      r"less than or equal to 200"):
        bedrock.associate_agent_knowledge_base(agentId=agent["agentId"], agentVersion="DRAFT",
                                               knowledgeBaseId=existing_kb_id, description="d" * 201)


def test_knowledge_bases_per_agent_quota(bedrock, target, kb_ids):
    """§7: at most 2 knowledge bases per agent: the third is ServiceQuotaExceededException."""
    ids = kb_ids(3)
    agent = create_ready_agent(bedrock, target)
    for kb in ids[:2]:
        bedrock.associate_agent_knowledge_base(agentId=agent["agentId"], agentVersion="DRAFT",
                                               knowledgeBaseId=kb, description="kb")
    with expect_error("ServiceQuotaExceededException", status=402):
        bedrock.associate_agent_knowledge_base(agentId=agent["agentId"], agentVersion="DRAFT",
                                               knowledgeBaseId=ids[2], description="kb")
