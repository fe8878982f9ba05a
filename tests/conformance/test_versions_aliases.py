"""Versions and aliases: versions minted only by alias create/update without routing, snapshot
contents, the built-in test alias, routing rules, history, deletion (service-behaviour.md §3)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .helpers import (
    create_alias,
    create_ready_agent,
    expect_error,
    function_group,
    get_agent,
    numbered_versions,
    poll,
    prepare,
    prepared_agent,
    routed_version,
    settle_agent,
    update_alias,
    wait_alias,
)


def _update_agent(bedrock, target, agent, **kw):
    params = dict(agentId=agent["agentId"], agentName=agent["agentName"],
                  foundationModel=target.model, agentResourceRoleArn=target.role_arn,
                  instruction=agent["instruction"])
    params.update(kw)
    bedrock.update_agent(**params)
    return settle_agent(bedrock, target, agent["agentId"])


@pytest.mark.server
def test_alias_without_routing_cuts_version_1(bedrock, target):
    """§3.1: CreateAgentAlias without routingConfiguration creates version "1" and routes to it;
    the alias goes CREATING -> PREPARED."""
    agent = prepared_agent(bedrock, target)
    assert numbered_versions(bedrock, agent["agentId"]) == []
    resp = bedrock.create_agent_alias(agentId=agent["agentId"], agentAliasName=target.name("alias"))
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert resp["agentAlias"]["agentAliasStatus"] == "CREATING"
    alias = wait_alias(bedrock, agent["agentId"], resp["agentAlias"]["agentAliasId"],
                       {"PREPARED", "FAILED"}, target.timeout)
    assert alias["agentAliasStatus"] == "PREPARED"
    assert routed_version(alias) == "1"
    settle_agent(bedrock, target, agent["agentId"])
    assert numbered_versions(bedrock, agent["agentId"]) == ["1"]


def test_each_alias_without_routing_cuts_the_next_version(bedrock, target):
    """§3.1: a second alias without routing gets version "2" (numbers increase from 1)."""
    agent = prepared_agent(bedrock, target)
    a1 = create_alias(bedrock, target, agent["agentId"])
    a2 = create_alias(bedrock, target, agent["agentId"])
    assert (routed_version(a1), routed_version(a2)) == ("1", "2")
    assert numbered_versions(bedrock, agent["agentId"]) == ["1", "2"]


@pytest.mark.server
def test_update_alias_without_routing_cuts_a_version_even_without_changes(bedrock, target):
    """§3.1 (TF alias update acceptance test): UpdateAgentAlias without routing cuts a new version
    even though DRAFT did not change."""
    agent = prepared_agent(bedrock, target)
    alias = create_alias(bedrock, target, agent["agentId"])
    got = update_alias(bedrock, target, agent["agentId"], alias["agentAliasId"],
                       agentAliasName=alias["agentAliasName"], description="only the description")
    assert routed_version(got) == "2"
    assert numbered_versions(bedrock, agent["agentId"]) == ["1", "2"]


def test_update_alias_routed_to_existing_version_cuts_none(bedrock, target):
    """§3.4: re-pointing an alias at an existing version (rollback) creates no version."""
    agent = prepared_agent(bedrock, target)
    alias = create_alias(bedrock, target, agent["agentId"])
    update_alias(bedrock, target, agent["agentId"], alias["agentAliasId"],
                 agentAliasName=alias["agentAliasName"])  # -> version 2
    got = update_alias(bedrock, target, agent["agentId"], alias["agentAliasId"],
                       agentAliasName=alias["agentAliasName"],
                       routingConfiguration=[{"agentVersion": "1"}])
    assert routed_version(got) == "1"
    assert numbered_versions(bedrock, agent["agentId"]) == ["1", "2"]


def test_create_alias_routed_to_existing_version_cuts_none(bedrock, target):
    """§3.4: a new alias pinned to an existing version does not create a version."""
    agent = prepared_agent(bedrock, target)
    create_alias(bedrock, target, agent["agentId"])
    pinned = create_alias(bedrock, target, agent["agentId"],
                          routingConfiguration=[{"agentVersion": "1"}])
    assert routed_version(pinned) == "1"
    assert numbered_versions(bedrock, agent["agentId"]) == ["1"]


def test_routing_an_alias_to_draft_is_refused(bedrock, target):
    """§3.4: "The version DRAFT is not accepted" for user alias routing (ValidationException)."""
    agent = prepared_agent(bedrock, target)
    with expect_error("ValidationException"):
        bedrock.create_agent_alias(agentId=agent["agentId"], agentAliasName=target.name("alias"),
                                   routingConfiguration=[{"agentVersion": "DRAFT"}])


def test_routing_an_alias_to_a_missing_version_is_refused(bedrock, target):
    """§3.4: an alias can only route to an existing version."""
    agent = prepared_agent(bedrock, target)
    with expect_error(("ValidationException", "ResourceNotFoundException")):
        bedrock.create_agent_alias(agentId=agent["agentId"], agentAliasName=target.name("alias"),
                                   routingConfiguration=[{"agentVersion": "7"}])


def test_routing_configuration_holds_at_most_one_entry(bedrock, target):
    """§3.4/[BC-validate]: routingConfiguration is 0..1 items; the service enforces the max."""
    agent = prepared_agent(bedrock, target)
    create_alias(bedrock, target, agent["agentId"])
    with expect_error("ValidationException",
                      r"at 'routingConfiguration' failed to satisfy constraint: Member must have "
                      r"length less than or equal to 1"):
        bedrock.create_agent_alias(agentId=agent["agentId"], agentAliasName=target.name("alias"),
                                   routingConfiguration=[{"agentVersion": "1"}, {"agentVersion": "1"}])


@pytest.mark.server
def test_list_agent_versions_includes_draft(bedrock, target):
    """§3.1: ListAgentVersions includes DRAFT, also before any numbered version exists."""
    agent = prepared_agent(bedrock, target)
    summaries = bedrock.list_agent_versions(agentId=agent["agentId"])["agentVersionSummaries"]
    assert [s["agentVersion"] for s in summaries] == ["DRAFT"]
    create_alias(bedrock, target, agent["agentId"])
    summaries = bedrock.list_agent_versions(agentId=agent["agentId"])["agentVersionSummaries"]
    assert sorted(s["agentVersion"] for s in summaries) == ["1", "DRAFT"]


def test_get_agent_version_rejects_draft(bedrock, target):
    """§3.2/§1.1: GetAgentVersion takes numbered versions only (pattern [0-9]{1,5})."""
    agent = prepared_agent(bedrock, target)
    with expect_error("ValidationException", r"regular expression pattern"):
        bedrock.get_agent_version(agentId=agent["agentId"], agentVersion="DRAFT")


@pytest.mark.server
def test_version_snapshot_is_immutable_and_readable(bedrock, target, existing_kb_id):
    """§3.2: a version freezes the agent fields, action groups and KB associations of DRAFT;
    sub-resources are read with agentVersion="N" and carry it; later DRAFT edits do not change it."""
    agent = create_ready_agent(bedrock, target, description="v1 description")
    group = bedrock.create_agent_action_group(**function_group(target, agent["agentId"]))["agentActionGroup"]
    bedrock.associate_agent_knowledge_base(agentId=agent["agentId"], agentVersion="DRAFT",
                                           knowledgeBaseId=existing_kb_id, description="kb v1")
    settle_agent(bedrock, target, agent["agentId"])
    prepare(bedrock, target, agent["agentId"])
    create_alias(bedrock, target, agent["agentId"])

    _update_agent(bedrock, target, agent, description="v2 description")
    bedrock.update_agent_knowledge_base(agentId=agent["agentId"], agentVersion="DRAFT",
                                        knowledgeBaseId=existing_kb_id, description="kb v2",
                                        knowledgeBaseState="ENABLED")
    bedrock.delete_agent_action_group(agentId=agent["agentId"], agentVersion="DRAFT",
                                      actionGroupId=group["actionGroupId"], skipResourceInUseCheck=True)

    v1 = bedrock.get_agent_version(agentId=agent["agentId"], agentVersion="1")["agentVersion"]
    assert v1["version"] == "1"
    assert v1["description"] == "v1 description"
    assert v1["instruction"] == agent["instruction"]
    groups = bedrock.list_agent_action_groups(agentId=agent["agentId"], agentVersion="1")["actionGroupSummaries"]
    assert [g["actionGroupId"] for g in groups] == [group["actionGroupId"]]
    got = bedrock.get_agent_action_group(agentId=agent["agentId"], agentVersion="1",
                                         actionGroupId=group["actionGroupId"])["agentActionGroup"]
    assert got["agentVersion"] == "1"
    assert got["functionSchema"]["functions"][0]["name"] == "get_order"
    kb = bedrock.get_agent_knowledge_base(agentId=agent["agentId"], agentVersion="1",
                                          knowledgeBaseId=existing_kb_id)["agentKnowledgeBase"]
    assert (kb["agentVersion"], kb["description"]) == ("1", "kb v1")
    assert get_agent(bedrock, agent["agentId"])["description"] == "v2 description"
    summaries = {s["agentVersion"]: s for s in
                 bedrock.list_agent_versions(agentId=agent["agentId"])["agentVersionSummaries"]}
    assert summaries["1"]["description"] == "v1 description"
    assert summaries["DRAFT"]["description"] == "v2 description"


def test_version_snapshot_keeps_a_built_in_action_group_with_its_read_back_quirks(bedrock, target):
    """§3.2/§4.1/§4.3: a built-in (parentActionGroupSignature) group is part of the version
    snapshot: read with agentVersion="1" it comes back as parentActionSignature, without
    description or schemas, ENABLED, and later DRAFT edits of it do not reach the version."""
    agent = create_ready_agent(bedrock, target)
    group = bedrock.create_agent_action_group(
        agentId=agent["agentId"], agentVersion="DRAFT", actionGroupName="UserInputAction",
        parentActionGroupSignature="AMAZON.UserInput")["agentActionGroup"]
    settle_agent(bedrock, target, agent["agentId"])
    prepare(bedrock, target, agent["agentId"])
    create_alias(bedrock, target, agent["agentId"])
    bedrock.update_agent_action_group(
        agentId=agent["agentId"], agentVersion="DRAFT", actionGroupId=group["actionGroupId"],
        actionGroupName="UserInputAction", parentActionGroupSignature="AMAZON.UserInput",
        actionGroupState="DISABLED")

    got = bedrock.get_agent_action_group(agentId=agent["agentId"], agentVersion="1",
                                         actionGroupId=group["actionGroupId"])["agentActionGroup"]
    assert got["agentVersion"] == "1"
    assert got["parentActionSignature"] == "AMAZON.UserInput"
    assert "parentActionGroupSignature" not in got
    for absent in ("description", "apiSchema", "functionSchema"):
        assert absent not in got
    assert got["actionGroupState"] == "ENABLED"
    listed = bedrock.list_agent_action_groups(agentId=agent["agentId"],
                                              agentVersion="1")["actionGroupSummaries"]
    assert [(g["actionGroupId"], g["actionGroupState"]) for g in listed] == \
        [(group["actionGroupId"], "ENABLED")]
    draft = bedrock.get_agent_action_group(agentId=agent["agentId"], agentVersion="DRAFT",
                                           actionGroupId=group["actionGroupId"])["agentActionGroup"]
    assert draft["actionGroupState"] == "DISABLED"


def test_version_snapshot_has_no_orchestration_type(bedrock, target):
    """§3.2: the AgentVersion shape has no orchestrationType and no preparedAt."""
    agent = prepared_agent(bedrock, target)
    create_alias(bedrock, target, agent["agentId"])
    v1 = bedrock.get_agent_version(agentId=agent["agentId"], agentVersion="1")["agentVersion"]
    assert "orchestrationType" not in v1 and "preparedAt" not in v1
    assert v1["agentName"] == agent["agentName"]


@pytest.mark.server
def test_test_alias_is_built_in_and_routed_to_draft(bedrock, target):
    """§3.4: every agent has TSTALIASID named AgentTestAlias, routed to DRAFT, listed."""
    agent = create_ready_agent(bedrock, target)
    summaries = bedrock.list_agent_aliases(agentId=agent["agentId"])["agentAliasSummaries"]
    test = [s for s in summaries if s["agentAliasId"] == "TSTALIASID"]
    assert len(test) == 1 and test[0]["agentAliasName"] == "AgentTestAlias"
    alias = bedrock.get_agent_alias(agentId=agent["agentId"], agentAliasId="TSTALIASID")["agentAlias"]
    assert routed_version(alias) == "DRAFT"


@pytest.mark.server
def test_deleting_the_test_alias_is_refused_by_pattern(bedrock, target):
    """§3.4: DeleteAgentAlias on TSTALIASID is the Coral pattern ValidationException with the
    negative-lookahead pattern."""
    agent = create_ready_agent(bedrock, target)
    with expect_error("ValidationException",
                      r"Value 'TSTALIASID' at 'agentAliasId' failed to satisfy constraint: Member "
                      r"must satisfy regular expression pattern: \(\?!\\bTSTALIASID\\b\)\[0-9a-zA-Z\]\+",
                      status=400):
        bedrock.delete_agent_alias(agentId=agent["agentId"], agentAliasId="TSTALIASID")


def test_updating_the_test_alias_is_refused(bedrock, target):
    """§3.4 (UNCONFIRMED, assumed like delete): UpdateAgentAlias on TSTALIASID is refused."""
    agent = prepared_agent(bedrock, target)
    with expect_error("ValidationException"):
        bedrock.update_agent_alias(agentId=agent["agentId"], agentAliasId="TSTALIASID",
                                   agentAliasName="AgentTestAlias")


def test_update_alias_is_full_replacement(bedrock, target):
    """§3.4: UpdateAgentAlias overwrites all fields: description left out is cleared, and the
    invocation state sent is read back (pausing)."""
    agent = prepared_agent(bedrock, target)
    alias = create_alias(bedrock, target, agent["agentId"], description="first")
    assert alias["description"] == "first"
    got = update_alias(bedrock, target, agent["agentId"], alias["agentAliasId"],
                       agentAliasName=alias["agentAliasName"], routingConfiguration=[{"agentVersion": "1"}],
                       aliasInvocationState="REJECT_INVOCATIONS")
    assert "description" not in got
    assert got["aliasInvocationState"] == "REJECT_INVOCATIONS"


def test_alias_history_records_each_routing_period(bedrock, target):
    """§3.4: agentAliasHistoryEvents holds one entry per routing period, newest first; the
    previous one gets an endDate, the current one has none."""
    agent = prepared_agent(bedrock, target)
    alias = create_alias(bedrock, target, agent["agentId"])
    got = update_alias(bedrock, target, agent["agentId"], alias["agentAliasId"],
                       agentAliasName=alias["agentAliasName"])
    events = got["agentAliasHistoryEvents"]
    assert [routed_version(e) for e in events] == ["2", "1"]
    assert "endDate" not in events[0]
    assert events[1]["endDate"] >= events[1]["startDate"]
    assert events[0]["startDate"] >= events[1]["endDate"]


def test_alias_history_keeps_at_most_ten_entries(bedrock, target):
    """§3.4: the history list holds at most 10 entries (model max), newest kept."""
    agent = prepared_agent(bedrock, target)
    alias = create_alias(bedrock, target, agent["agentId"])
    update_alias(bedrock, target, agent["agentId"], alias["agentAliasId"],
                 agentAliasName=alias["agentAliasName"])  # version 2
    for i in range(11):
        got = update_alias(bedrock, target, agent["agentId"], alias["agentAliasId"],
                           agentAliasName=alias["agentAliasName"],
                           routingConfiguration=[{"agentVersion": "1" if i % 2 == 0 else "2"}])
    events = got["agentAliasHistoryEvents"]
    assert len(events) == 10
    assert routed_version(events[0]) == routed_version(got) == "1"


@pytest.mark.server
def test_delete_alias_is_deleting_then_gone(bedrock, target):
    """§3.4: DeleteAgentAlias answers 202 {agentAliasStatus DELETING}; then it is not found."""
    agent = prepared_agent(bedrock, target)
    alias = create_alias(bedrock, target, agent["agentId"])
    resp = bedrock.delete_agent_alias(agentId=agent["agentId"], agentAliasId=alias["agentAliasId"])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert resp["agentAliasStatus"] == "DELETING"
    def gone():
        try:
            bedrock.get_agent_alias(agentId=agent["agentId"], agentAliasId=alias["agentAliasId"])
            return False
        except ClientError as e:
            return e.response["Error"]["Code"] == "ResourceNotFoundException"
    poll(gone, bool, target.timeout, "alias deleted")


def test_deleting_a_version_in_use_is_a_conflict(bedrock, target):
    """§3.3: DeleteAgentVersion of a version an alias routes to is refused (ConflictException)
    unless skipResourceInUseCheck; with the flag it is deleted."""
    agent = prepared_agent(bedrock, target)
    create_alias(bedrock, target, agent["agentId"])
    with expect_error("ConflictException", status=409):
        bedrock.delete_agent_version(agentId=agent["agentId"], agentVersion="1")
    resp = bedrock.delete_agent_version(agentId=agent["agentId"], agentVersion="1",
                                        skipResourceInUseCheck=True)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert resp["agentVersion"] == "1"


def test_deleted_version_numbers_are_not_reused(bedrock, target):
    """§3.1/§3.3: an unused version can be deleted; the next cut gets the next number."""
    agent = prepared_agent(bedrock, target)
    alias = create_alias(bedrock, target, agent["agentId"])
    update_alias(bedrock, target, agent["agentId"], alias["agentAliasId"],
                 agentAliasName=alias["agentAliasName"])  # alias -> 2, version 1 unused
    bedrock.delete_agent_version(agentId=agent["agentId"], agentVersion="1")
    poll(lambda: numbered_versions(bedrock, agent["agentId"]), lambda v: v == ["2"],
         target.timeout, "version 1 deleted")
    again = create_alias(bedrock, target, agent["agentId"])
    assert routed_version(again) == "3"


def test_aliases_per_agent_quota(bedrock, target):
    """§3.4/§7: at most 10 aliases per agent (not adjustable); whether TSTALIASID counts is
    UNCONFIRMED, so the refusal must come at the 10th or 11th user alias."""
    agent = prepared_agent(bedrock, target)
    create_alias(bedrock, target, agent["agentId"])
    created = 1
    with expect_error("ServiceQuotaExceededException", status=402):
        while created < 11:
            bedrock.create_agent_alias(agentId=agent["agentId"], agentAliasName=target.name("alias"),
                                       routingConfiguration=[{"agentVersion": "1"}])
            created += 1
    assert created in (9, 10)


def test_prepare_update_and_draft_edits_mint_no_version(bedrock, target):
    """§3.1: there is no CreateAgentVersion; PrepareAgent, UpdateAgent and sub-resource edits
    never create a numbered version (only alias create/update without routing does)."""
    agent = prepared_agent(bedrock, target)
    bedrock.create_agent_action_group(**function_group(target, agent["agentId"]))
    settle_agent(bedrock, target, agent["agentId"])
    _update_agent(bedrock, target, agent, description="changed")
    prepare(bedrock, target, agent["agentId"])
    assert numbered_versions(bedrock, agent["agentId"]) == []
    assert not hasattr(bedrock, "create_agent_version")


def test_unknown_numbered_version_is_not_found(bedrock, target):
    """§3.2/§8: GetAgentVersion and sub-resource reads of a version that does not exist are
    ResourceNotFoundException."""
    agent = prepared_agent(bedrock, target)
    with expect_error("ResourceNotFoundException", status=404):
        bedrock.get_agent_version(agentId=agent["agentId"], agentVersion="9")
    with expect_error("ResourceNotFoundException"):
        bedrock.list_agent_action_groups(agentId=agent["agentId"], agentVersion="9")


def test_new_alias_accepts_invocations_and_lists_its_routing(bedrock, target):
    """§3.4: aliasInvocationState defaults to ACCEPT_INVOCATIONS; ListAgentAliases summaries
    carry the alias's routingConfiguration next to the built-in test alias."""
    agent = prepared_agent(bedrock, target)
    alias = create_alias(bedrock, target, agent["agentId"])
    assert alias["aliasInvocationState"] == "ACCEPT_INVOCATIONS"
    summaries = {s["agentAliasId"]: s for s in
                 bedrock.list_agent_aliases(agentId=agent["agentId"])["agentAliasSummaries"]}
    assert set(summaries) == {"TSTALIASID", alias["agentAliasId"]}
    assert routed_version(summaries[alias["agentAliasId"]]) == "1"
    assert summaries[alias["agentAliasId"]]["agentAliasStatus"] == "PREPARED"


def test_update_alias_goes_updating_then_prepared(bedrock, target):
    """§3.4: UpdateAgentAlias answers 202 with the alias UPDATING; it settles at PREPARED."""
    agent = prepared_agent(bedrock, target)
    alias = create_alias(bedrock, target, agent["agentId"])
    resp = bedrock.update_agent_alias(agentId=agent["agentId"], agentAliasId=alias["agentAliasId"],
                                      agentAliasName=alias["agentAliasName"],
                                      routingConfiguration=[{"agentVersion": "1"}])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert resp["agentAlias"]["agentAliasStatus"] == "UPDATING"
    got = wait_alias(bedrock, agent["agentId"], alias["agentAliasId"], {"PREPARED", "FAILED"}, target.timeout)
    assert got["agentAliasStatus"] == "PREPARED"


def test_update_alias_cutting_a_version_needs_a_prepared_draft(bedrock, target):
    """§2.3/§3.1: UpdateAgentAlias without routing cuts a version, so it is refused while DRAFT is
    NOT_PREPARED (after an UpdateAgent); pinning to an existing version is still allowed."""
    agent = prepared_agent(bedrock, target)
    alias = create_alias(bedrock, target, agent["agentId"])
    _update_agent(bedrock, target, agent, description="unprepared change")
    if get_agent(bedrock, agent["agentId"])["agentStatus"] != "NOT_PREPARED":
        pytest.skip("this target settles UpdateAgent at PREPARED (§12.2)")
    with expect_error("ValidationException",
                      r"operation can't be performed on AgentAlias when Agent is in Not Prepared state"):
        bedrock.update_agent_alias(agentId=agent["agentId"], agentAliasId=alias["agentAliasId"],
                                   agentAliasName=alias["agentAliasName"])
    got = update_alias(bedrock, target, agent["agentId"], alias["agentAliasId"],
                       agentAliasName=alias["agentAliasName"], routingConfiguration=[{"agentVersion": "1"}])
    assert routed_version(got) == "1"
    assert numbered_versions(bedrock, agent["agentId"]) == ["1"], "explicit routing cut a version"
    assert get_agent(bedrock, agent["agentId"])["agentStatus"] == "NOT_PREPARED"


def test_list_agent_versions_pages_with_next_token(bedrock, target):
    """§1: ListAgentVersions pages like every List* op (maxResults, nextToken)."""
    agent = prepared_agent(bedrock, target)
    for _ in range(3):
        create_alias(bedrock, target, agent["agentId"])
    versions, token, pages = [], None, 0
    while True:
        page = bedrock.list_agent_versions(agentId=agent["agentId"], maxResults=1,
                                           **({"nextToken": token} if token else {}))
        pages += 1
        assert len(page["agentVersionSummaries"]) == 1
        versions += [s["agentVersion"] for s in page["agentVersionSummaries"]]
        token = page.get("nextToken")
        if not token:
            break
    assert pages == 4
    assert sorted(versions) == ["1", "2", "3", "DRAFT"]


def test_update_alias_leaves_alias_tags_untouched(bedrock, target):
    """§3.4/§6.3: UpdateAgentAlias has no tags member; the alias ARN's tags survive an update."""
    agent = prepared_agent(bedrock, target)
    alias = create_alias(bedrock, target, agent["agentId"], tags={"stage": "prod"})
    update_alias(bedrock, target, agent["agentId"], alias["agentAliasId"],
                 agentAliasName=alias["agentAliasName"], routingConfiguration=[{"agentVersion": "1"}])
    assert bedrock.list_tags_for_resource(resourceArn=alias["agentAliasArn"])["tags"] == {"stage": "prod"}
