"""Contract test of ``agentctl.aws.live.read_live``: the exact reads for one owned agent (DRAFT
sub-resources, aliases without TSTALIASID, version content read with agentVersion=N), ownership
and absence, and what the fingerprint does and does not depend on (service-behaviour.md §1.1,
§3.2, §3.4, §9)."""

from __future__ import annotations

import datetime as dt

from agentctl.aws import live
from agentctl.core.model import OWNER_TAG, PROJECT_TAG

from .stubs import ACCOUNT, AGENT_ID, REGION, T0, agent_obj, alias_obj

ARN = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:agent/{AGENT_ID}"
OWNED = {OWNER_TAG: "agentctl", PROJECT_TAG: "support", "team": "support"}
LAMBDA = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:order-tools"
INSTRUCTION = "You are a helpful support agent for orders and HR questions."


def summary(name: str, agent_id: str, status: str = "PREPARED") -> dict:
    return {"agentId": agent_id, "agentName": name, "agentStatus": status, "updatedAt": T0}


def group(version: str, description: str = "Order tools") -> dict:
    return {"agentId": AGENT_ID, "agentVersion": version, "actionGroupId": "AG00000001",
            "actionGroupName": "OrderTools", "description": description, "createdAt": T0,
            "updatedAt": T0, "actionGroupState": "ENABLED",
            "actionGroupExecutor": {"lambda": LAMBDA},
            "functionSchema": {"functions": [{"name": "get_order_status",
                                              "description": "Look up an order."}]}}


def kb(version: str) -> dict:
    return {"agentId": AGENT_ID, "agentVersion": version, "knowledgeBaseId": "KB1234ABCD",
            "description": "HR policies", "createdAt": T0, "updatedAt": T0,
            "knowledgeBaseState": "ENABLED"}


def stub_owned_agent(stub, *, status="PREPARED", ts=T0, description="Order tools",
                     alias_status="PREPARED", history=False, version_content=True):
    """The full read of support-bot: one action group, one KB, STAGING on version 1. The KB
    associations and the aliases come from their List summaries (no GetAgentKnowledgeBase,
    no GetAgentAlias: the summaries have every member a plan uses, botocore's model says so,
    see test_summaries_have_what_the_reader_takes_from_them); GetAgentAlias only with
    ``history``; version 1's content only with ``version_content`` (not in the cache)."""
    agent = agent_obj(status, instruction=INSTRUCTION, foundationModel="m.model-v1:0",
                      updatedAt=ts, agentCollaboration="DISABLED")
    stub.ok("get_agent", {"agentId": AGENT_ID}, {"agent": agent})
    stub.ok("list_tags_for_resource", {"resourceArn": ARN}, {"tags": OWNED})
    d = {"agentId": AGENT_ID, "agentVersion": "DRAFT"}
    # action groups (DRAFT)
    stub.ok("list_agent_action_groups", d, {"actionGroupSummaries": [{
        "actionGroupId": "AG00000001", "actionGroupName": "OrderTools",
        "actionGroupState": "ENABLED", "updatedAt": ts}]})
    stub.ok("get_agent_action_group", {**d, "actionGroupId": "AG00000001"},
            {"agentActionGroup": group("DRAFT", description)})
    # knowledge bases (DRAFT)
    stub.ok("list_agent_knowledge_bases", d, {"agentKnowledgeBaseSummaries": [{
        "knowledgeBaseId": "KB1234ABCD", "knowledgeBaseState": "ENABLED", "updatedAt": ts,
        "description": "HR policies"}]})
    # collaborators (DRAFT)
    stub.ok("list_agent_collaborators", d, {"agentCollaboratorSummaries": []})
    # aliases: TSTALIASID is listed by the service and skipped by us (§3.4)
    stub.ok("list_agent_aliases", {"agentId": AGENT_ID}, {"agentAliasSummaries": [
        {"agentAliasId": "TSTALIASID", "agentAliasName": "AgentTestAlias",
         "createdAt": T0, "updatedAt": T0, "agentAliasStatus": "PREPARED"},
        {"agentAliasId": "ALIASSTG01", "agentAliasName": "STAGING",
         "routingConfiguration": [{"agentVersion": "1"}],
         "createdAt": T0, "updatedAt": ts, "agentAliasStatus": alias_status}]})
    staging = alias_obj("ALIASSTG01", "STAGING", alias_status, version="1")
    staging["agentAliasHistoryEvents"] = [{"routingConfiguration": [{"agentVersion": "1"}],
                                           "startDate": T0}]
    if history:
        stub.ok("get_agent_alias", {"agentId": AGENT_ID, "agentAliasId": "ALIASSTG01"},
                {"agentAlias": staging})
    stub.ok("list_tags_for_resource", {"resourceArn": staging["agentAliasArn"]}, {"tags": {}})
    # versions: DRAFT + 1; version 1's content read with agentVersion="1" (§1.1, §3.2)
    stub.ok("list_agent_versions", {"agentId": AGENT_ID}, {"agentVersionSummaries": [
        {"agentName": "support-bot", "agentStatus": status, "agentVersion": "DRAFT",
         "createdAt": T0, "updatedAt": ts},
        {"agentName": "support-bot", "agentStatus": "PREPARED", "agentVersion": "1",
         "createdAt": T0, "updatedAt": T0}]})
    if not version_content:
        return
    v1 = {k: v for k, v in agent.items() if k not in ("agentVersion", "agentStatus",
                                                       "preparedAt", "clientToken")}
    v1.update({"version": "1", "agentStatus": "PREPARED", "updatedAt": T0})
    stub.ok("get_agent_version", {"agentId": AGENT_ID, "agentVersion": "1"},
            {"agentVersion": v1})
    one = {"agentId": AGENT_ID, "agentVersion": "1"}
    stub.ok("list_agent_action_groups", one, {"actionGroupSummaries": [{
        "actionGroupId": "AG00000001", "actionGroupName": "OrderTools",
        "actionGroupState": "ENABLED", "updatedAt": T0}]})
    stub.ok("get_agent_action_group", {**one, "actionGroupId": "AG00000001"},
            {"agentActionGroup": group("1")})
    stub.ok("list_agent_knowledge_bases", one, {"agentKnowledgeBaseSummaries": [{
        "knowledgeBaseId": "KB1234ABCD", "knowledgeBaseState": "ENABLED", "updatedAt": T0,
        "description": "HR policies"}]})
    stub.ok("list_agent_collaborators", one, {"agentCollaboratorSummaries": []})


def read(stub, clients, *, cache=None, **kw):
    stub.ok("list_agents", {}, {"agentSummaries": [summary("support-bot", AGENT_ID)]})
    stub_owned_agent(stub, **kw)
    return live.read_live(clients, ["support-bot", "billing"], project="support", max_workers=1,
                          alias_history=kw.get("history", False), version_cache=cache)


def test_reads_one_owned_agent_completely(stub, clients):
    state = read(stub, clients)
    assert state.absent == frozenset({"billing"})
    assert state.unowned == {}
    a = state.agents["support-bot"]
    assert a.agent_id == AGENT_ID and a.status == "PREPARED"
    assert a.action_group_ids == {"OrderTools": "AG00000001"}
    assert a.owner_tags == {OWNER_TAG: "agentctl", PROJECT_TAG: "support"}
    assert dict(a.config.tags) == {"team": "support"}
    assert set(a.aliases) == {"STAGING"}  # TSTALIASID never managed
    assert a.aliases["STAGING"].routed_version == "1"
    assert a.aliases["STAGING"].arn == f"arn:aws:bedrock:{REGION}:{ACCOUNT}:agent-alias/" \
                                       f"{AGENT_ID}/ALIASSTG01"  # built, §1.2
    assert a.aliases["STAGING"].history is None  # not read for a plan
    assert [v.version for v in a.versions] == ["1"]
    assert a.newest_version.content is not None
    assert set(a.config.action_groups) == {"OrderTools"}
    assert set(a.config.knowledge_bases) == {"KB1234ABCD"}
    # DRAFT equals version 1 here
    from agentctl.core.normalize import comparable_content
    assert comparable_content(a.config.content()) == comparable_content(a.newest_version.content)


def test_fingerprint_ignores_statuses_and_timestamps_but_not_settings(stub, clients):
    base = read(stub, clients).agents["support-bot"].fingerprint
    later = dt.datetime(2026, 2, 2, tzinfo=dt.timezone.utc)
    settled = read(stub, clients, status="NOT_PREPARED", ts=later,
                   alias_status="UPDATING").agents["support-bot"].fingerprint
    assert settled == base
    edited = read(stub, clients, description="Order tools, v2").agents["support-bot"].fingerprint
    assert edited != base


def test_agent_without_ownership_tags_is_unowned_and_not_read_further(stub, clients):
    stub.ok("list_agents", {}, {"agentSummaries": [summary("support-bot", AGENT_ID)]})
    stub.get_agent("PREPARED")
    stub.ok("list_tags_for_resource", {"resourceArn": ARN}, {"tags": {"team": "x"}})
    state = live.read_live(clients, ["support-bot"], project="support", max_workers=1)
    assert state.unowned == {"support-bot": AGENT_ID}
    assert state.agents == {}


def test_agent_the_role_may_not_read_is_unowned(stub, clients):
    # The least-privilege policy (agentctl iam-policy) scopes GetAgent and ListTagsForResource to
    # agents tagged for the project: a same-named agent it may not read is not ours, not an error.
    stub.ok("list_agents", {}, {"agentSummaries": [summary("support-bot", AGENT_ID)]})
    stub.error("list_tags_for_resource", "AccessDeniedException", "not authorized",
               {"resourceArn": ARN}, status=403)
    stub.error("get_agent", "AccessDeniedException", "not authorized", {"agentId": AGENT_ID},
               status=403)
    found = live.list_agents(clients)
    tags = live.agent_tags(clients, found, max_workers=1)
    state = live.read_live(clients, ["support-bot"], project="support", found=found, tags=tags,
                           max_workers=1)
    assert state.unowned == {"support-bot": AGENT_ID}
    assert state.agents == {}


def test_agent_of_another_project_is_unowned(stub, clients):
    stub.ok("list_agents", {}, {"agentSummaries": [summary("support-bot", AGENT_ID)]})
    stub.get_agent("PREPARED")
    stub.ok("list_tags_for_resource", {"resourceArn": ARN},
            {"tags": {OWNER_TAG: "agentctl", PROJECT_TAG: "other-project"}})
    state = live.read_live(clients, ["support-bot"], project="support", max_workers=1)
    assert state.unowned == {"support-bot": AGENT_ID}


def test_discovery_finds_agents_tagged_for_the_project(stub, clients):
    stub.ok("list_agents", {}, {"agentSummaries": [summary("a", "AGENT0000A"),
                                                   summary("b", "AGENT0000B")]})
    # agent ARNs are built from the target (§1.2), no GetAgent needed
    stub.ok("list_tags_for_resource",
            {"resourceArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:agent/AGENT0000A"},
            {"tags": {OWNER_TAG: "agentctl", PROJECT_TAG: "support"}})
    stub.ok("list_tags_for_resource",
            {"resourceArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:agent/AGENT0000B"},
            {"tags": {}})
    found = live.list_agents(clients)
    # one worker: a deterministic order for the Stubber queue
    assert live.discover_project_agents(clients, "support", found, max_workers=1) == ["a"]


def test_alias_history_is_read_only_when_asked(stub, clients):
    # The Stubber fails on any call not queued: with history, one GetAgentAlias per alias.
    a = read(stub, clients, history=True).agents["support-bot"]
    assert a.aliases["STAGING"].history == ({"routingConfiguration": [{"agentVersion": "1"}],
                                             "startDate": T0.isoformat()},)
    # and the fingerprint does not depend on whether the history was read
    assert a.fingerprint == read(stub, clients).agents["support-bot"].fingerprint
    stub.stubber.assert_no_pending_responses()


class MemoryCache:
    """A VersionCache in memory (apply/version_cache.py keeps it in the records)."""

    def __init__(self):
        self.entries, self.flushes = {}, 0

    def get(self, key):
        return self.entries.get(key)

    def put(self, key, content):
        self.entries[key] = content

    def flush(self):
        self.flushes += 1


def test_a_second_read_takes_version_content_from_the_cache(stub, clients):
    cache = MemoryCache()
    first = read(stub, clients, cache=cache).agents["support-bot"]
    assert len(cache.entries) == 1 and cache.flushes == 1
    # Second run: the Stubber has no GetAgentVersion nor version-1 lists queued, so any read of
    # version content would fail the test.
    second = read(stub, clients, cache=cache, version_content=False).agents["support-bot"]
    stub.stubber.assert_no_pending_responses()
    assert second.newest_version.content == first.newest_version.content
    assert second.fingerprint == first.fingerprint


def test_a_version_cut_again_under_the_same_number_misses_the_cache(clients):
    # Keyed by the version's own timestamps (and agent id and target): a re-created agent or a
    # version number reused after a deletion never gets another version's content.
    t = clients.target
    base = {"agentVersion": "1", "createdAt": T0, "updatedAt": T0}
    later = dt.datetime(2026, 3, 3, tzinfo=dt.timezone.utc)
    key = live.version_key(t, AGENT_ID, base)
    assert key == live.version_key(t, AGENT_ID, dict(base))
    assert key != live.version_key(t, AGENT_ID, {**base, "createdAt": later})
    assert key != live.version_key(t, AGENT_ID, {**base, "updatedAt": later})
    assert key != live.version_key(t, "AGENT00002", base)
    assert key != live.version_key(t, AGENT_ID, {**base, "agentVersion": "2"})


def test_summaries_have_what_the_reader_takes_from_them():
    """botocore's output shapes: the List summaries the reader uses instead of a Get lack only
    members it does not use (request members, volatile ones, the alias ARN it builds and the
    alias history it reads only on demand); the action-group summary lacks the group itself,
    so that Get stays."""
    from agentctl.core.servicemodel import service_model

    sm = service_model()

    def lacks(summary, full):
        return set(sm.shape_for(full).members) - set(sm.shape_for(summary).members)

    assert lacks("AgentKnowledgeBaseSummary", "AgentKnowledgeBase") == {
        "agentId", "agentVersion", "createdAt"}
    assert lacks("AgentCollaboratorSummary", "AgentCollaborator") == {"clientToken"}
    assert lacks("AgentAliasSummary", "AgentAlias") == {
        "agentAliasArn", "agentAliasHistoryEvents", "agentId", "clientToken", "failureReasons"}
    assert {"apiSchema", "functionSchema", "actionGroupExecutor"} <= lacks(
        "ActionGroupSummary", "AgentActionGroup")
    assert live._CHILDREN["action_groups"][1] == "GetAgentActionGroup"
    assert live._CHILDREN["knowledge_bases"][1] is None
    assert live._CHILDREN["collaborators"][1] is None
    # what is volatile is never compared, so its absence from a summary cannot matter
    assert {"createdAt", "clientToken", "failureReasons"} <= live.VOLATILE_KEYS
