"""normalize: each quirk, idempotence, and live read-back shapes into canonical form."""

from __future__ import annotations

import json

import pytest

from agentctl.core.model import OWNER_TAG, PROJECT_TAG, AgentConfig, AliasConfig, Ref
from agentctl.core.normalize import (
    align_live_to_desired,
    canonical_action_group,
    canonical_agent,
    canonical_collaborator,
    canonical_knowledge_base,
    canonicalize,
    comparable_content,
    config_document,
    config_from_document,
    config_from_live,
    content_from_version,
    explicit_agent_defaults,
)

from . import builders as B
from .test_invariants import rich_config


def test_service_defaults_become_absent():
    agent = canonical_agent(B.agent_members(
        agentCollaboration="DISABLED", orchestrationType="DEFAULT", idleSessionTTLInSeconds=1800,
        memoryConfiguration={"enabledMemoryTypes": ["SESSION_SUMMARY"], "storageDays": 30,
                             "sessionSummaryConfiguration": {"maxRecentSessions": 20}},
    ))
    assert "agentCollaboration" not in agent
    assert "orchestrationType" not in agent
    assert "idleSessionTTLInSeconds" not in agent
    assert agent["memoryConfiguration"] == {"enabledMemoryTypes": ["SESSION_SUMMARY"]}


def test_non_default_values_are_kept():
    agent = canonical_agent(B.agent_members(
        agentCollaboration="SUPERVISOR", idleSessionTTLInSeconds=600,
        orchestrationType="CUSTOM_ORCHESTRATION",
        customOrchestration={"executor": {"lambda": B.LAMBDA}},
        memoryConfiguration={"enabledMemoryTypes": ["SESSION_SUMMARY"], "storageDays": 7,
                             "sessionSummaryConfiguration": {"maxRecentSessions": 3}},
    ))
    assert agent["agentCollaboration"] == "SUPERVISOR"
    assert agent["idleSessionTTLInSeconds"] == 600
    assert agent["orchestrationType"] == "CUSTOM_ORCHESTRATION"
    assert agent["customOrchestration"] == {"executor": {"lambda": B.LAMBDA}}
    assert agent["memoryConfiguration"] == {
        "enabledMemoryTypes": ["SESSION_SUMMARY"], "storageDays": 7,
        "sessionSummaryConfiguration": {"maxRecentSessions": 3}}


@pytest.mark.parametrize("empty", [None, "", {}, {"guardrailIdentifier": ""}])
def test_empty_guardrail_is_absent(empty):
    assert "guardrailConfiguration" not in canonical_agent(
        B.agent_members(guardrailConfiguration=empty))


def test_memory_with_no_type_is_disabled():
    assert "memoryConfiguration" not in canonical_agent(
        B.agent_members(memoryConfiguration={"enabledMemoryTypes": []}))


def test_server_owned_agent_fields_are_dropped():
    live = {**B.agent_members(), "agentId": "AGENT00001", "agentArn": "arn", "agentStatus": "PREPARED",
            "agentVersion": "DRAFT", "createdAt": "t", "updatedAt": "t", "preparedAt": "t",
            "clientToken": "tok", "failureReasons": ["x"], "recommendedActions": ["y"]}
    assert canonical_agent(live) == canonical_agent(B.agent_members())


def test_prompt_overrides_keep_only_overridden_sorted():
    agent = canonical_agent(B.agent_members(promptOverrideConfiguration={"promptConfigurations": [
        {"promptType": "POST_PROCESSING", "promptCreationMode": "OVERRIDDEN",
         "basePromptTemplate": "post", "promptState": "ENABLED", "parserMode": "DEFAULT"},
        {"promptType": "ORCHESTRATION", "promptCreationMode": "DEFAULT", "basePromptTemplate": "d"},
        {"promptType": "KNOWLEDGE_BASE_RESPONSE_GENERATION", "promptCreationMode": "OVERRIDDEN",
         "basePromptTemplate": "kb", "inferenceConfiguration": {"temperature": 0, "topK": 250.0}},
    ]}))
    entries = agent["promptOverrideConfiguration"]["promptConfigurations"]
    assert [e["promptType"] for e in entries] == ["KNOWLEDGE_BASE_RESPONSE_GENERATION",
                                                   "POST_PROCESSING"]
    # ENABLED state and DEFAULT parser are the absent defaults of an override.
    assert entries[1] == {"promptType": "POST_PROCESSING", "promptCreationMode": "OVERRIDDEN",
                          "basePromptTemplate": "post"}
    # temperature 0 (YAML int) and 0.0 (service float) are the same canonical value.
    assert json.dumps(entries[0]["inferenceConfiguration"]) == '{"temperature": 0.0, "topK": 250}'


def test_all_default_prompts_drop_the_block():
    agent = canonical_agent(B.agent_members(promptOverrideConfiguration={"promptConfigurations": [
        {"promptType": t, "promptCreationMode": "DEFAULT"} for t in ("ORCHESTRATION", "PRE_PROCESSING")
    ]}))
    assert "promptOverrideConfiguration" not in agent


def test_override_lambda_alone_is_kept():
    agent = canonical_agent(B.agent_members(promptOverrideConfiguration={
        "promptConfigurations": [], "overrideLambda": B.LAMBDA}))
    assert agent["promptOverrideConfiguration"] == {"promptConfigurations": [],
                                                    "overrideLambda": B.LAMBDA}


def test_action_group_read_back_quirks():
    live = {"agentId": "A", "agentVersion": "DRAFT", "actionGroupId": "G", "actionGroupName": "UI",
            "clientToken": "t", "createdAt": "t", "updatedAt": "t", "actionGroupState": "ENABLED",
            "parentActionSignature": "AMAZON.UserInput", "parentActionGroupSignatureParams": {}}
    assert canonical_action_group(live) == {"parentActionGroupSignature": "AMAZON.UserInput"}


def test_functions_sorted_and_parameter_defaults_dropped():
    g = canonical_action_group({"functionSchema": {"functions": [
        {"name": "zeta", "requireConfirmation": "DISABLED",
         "parameters": {"b": {"type": "string", "required": False, "description": ""}}},
        {"name": "alpha", "requireConfirmation": "ENABLED", "parameters": {}},
    ]}})
    assert g == {"functionSchema": {"functions": [
        {"name": "alpha", "requireConfirmation": "ENABLED"},
        {"name": "zeta", "parameters": {"b": {"type": "string"}}},
    ]}}


def test_openapi_payload_text_parsed_semantically():
    doc = B.ORDER_API["apiSchema"]["payload"]
    as_json = canonical_action_group({"apiSchema": {"payload": json.dumps(doc)}})
    as_yaml = canonical_action_group({"apiSchema": {"payload": "openapi: 3.0.0\n" + "\n".join(
        f"{k}: {json.dumps(v)}" for k, v in doc.items() if k != "openapi")}})
    as_dict = canonical_action_group({"apiSchema": {"payload": doc}})
    assert as_json == as_dict
    assert as_yaml["apiSchema"]["payload"]["paths"] == doc["paths"]


def test_unparsable_payload_stays_text():
    g = canonical_action_group({"apiSchema": {"payload": "openapi: [unclosed"}})
    assert g == {"apiSchema": {"payload": "openapi: [unclosed"}}


def test_kb_and_collaborator_defaults():
    assert canonical_knowledge_base({"knowledgeBaseId": "KB", "agentId": "A", "description": "d",
                                     "knowledgeBaseState": "ENABLED", "updatedAt": "t"}) == {"description": "d"}
    assert canonical_knowledge_base({"description": "d", "knowledgeBaseState": "DISABLED"}) == {
        "description": "d", "knowledgeBaseState": "DISABLED"}
    ref = Ref("agent.b.alias.PROD", "agentAliasArn")
    assert canonical_collaborator({"collaboratorId": "C", "collaboratorName": "n",
                                   "agentDescriptor": {"aliasArn": ref}, "collaborationInstruction": "i",
                                   "relayConversationHistory": "DISABLED", "lastUpdatedAt": "t"}) == {
        "agentDescriptor": {"aliasArn": ref}, "collaborationInstruction": "i"}


def test_ownership_and_aws_tags_are_not_user_tags():
    cfg = canonicalize(B.config(tags={OWNER_TAG: "agentctl", PROJECT_TAG: "p", "aws:x": "y", "b": "1",
                                      "a": "2"}))
    assert list(cfg.tags.items()) == [("a", "2"), ("b", "1")]


def test_alias_defaults():
    a = canonicalize(B.config(aliases={"P": AliasConfig("P", description="",
                                                        invocation_state="ACCEPT_INVOCATIONS")})).aliases["P"]
    assert (a.description, a.invocation_state) == (None, None)


@pytest.mark.parametrize("cfg", [B.config(), rich_config(), B.config(action_groups={}, aliases={})])
def test_canonicalize_is_idempotent(cfg):
    once = canonicalize(cfg)
    assert canonicalize(once) == once
    assert config_from_document(config_document(once)) == once


def test_config_from_live_matches_canonical_desired():
    desired = B.config()
    agent = {**B.agent_members(), "agentId": "AGENT00001", "agentStatus": "PREPARED",
             "idleSessionTTLInSeconds": 1800, "agentCollaboration": "DISABLED",
             "orchestrationType": "DEFAULT"}
    groups = [{"actionGroupName": "OrderTools", "actionGroupId": "G1", "actionGroupState": "ENABLED",
               **B.ORDER_TOOLS}]
    kbs = [{"knowledgeBaseId": "KB1234ABCD", "description": "HR policies.",
            "knowledgeBaseState": "ENABLED"}]
    live = config_from_live(agent, groups, kbs, [], {"team": "support", OWNER_TAG: "agentctl"},
                            {k: AliasConfig(k, description=a.description, tags=a.tags)
                             for k, a in desired.aliases.items()})
    want = canonicalize(desired)
    assert live.agent == want.agent
    assert live.action_groups == want.action_groups
    assert live.knowledge_bases == want.knowledge_bases
    assert live.tags == want.tags


def test_content_from_version_ignores_orchestration():
    desired = canonicalize(B.config(agent=B.agent_members(
        orchestrationType="CUSTOM_ORCHESTRATION",
        customOrchestration={"executor": {"lambda": B.LAMBDA}})))
    version = {**B.agent_members(), "version": "3", "agentStatus": "PREPARED"}
    groups = [{"actionGroupName": "OrderTools", "agentVersion": "3", **B.ORDER_TOOLS}]
    kbs = [{"knowledgeBaseId": "KB1234ABCD", "description": "HR policies."}]
    content = content_from_version(version, groups, kbs, [])
    assert comparable_content(content) == comparable_content(desired.content())
    assert content != desired.content()


def test_align_ignores_members_a_state_only_override_leaves_out():
    desired = canonical_agent(B.agent_members(promptOverrideConfiguration={"promptConfigurations": [
        {"promptType": "PRE_PROCESSING", "promptCreationMode": "OVERRIDDEN", "promptState": "DISABLED"}]}))
    live = canonical_agent(B.agent_members(promptOverrideConfiguration={"promptConfigurations": [
        {"promptType": "PRE_PROCESSING", "promptCreationMode": "OVERRIDDEN", "promptState": "DISABLED",
         "basePromptTemplate": "default", "inferenceConfiguration": {"temperature": 0.0}},
        {"promptType": "POST_PROCESSING", "promptCreationMode": "OVERRIDDEN", "basePromptTemplate": "x"}]}))
    aligned = align_live_to_desired(desired, live)
    entries = aligned["promptOverrideConfiguration"]["promptConfigurations"]
    assert entries[1] == desired["promptOverrideConfiguration"]["promptConfigurations"][0]
    # An override the desired side does not have is not touched (it shows up as a removal).
    assert entries[0]["basePromptTemplate"] == "x"


def test_explicit_defaults_for_requests():
    sent = explicit_agent_defaults(canonical_agent(B.agent_members(
        memoryConfiguration={"enabledMemoryTypes": ["SESSION_SUMMARY"]},
        promptOverrideConfiguration={"promptConfigurations": [
            {"promptType": "ORCHESTRATION", "promptCreationMode": "OVERRIDDEN", "basePromptTemplate": "t"}]})))
    assert sent["idleSessionTTLInSeconds"] == 1800
    assert sent["agentCollaboration"] == "DISABLED"
    assert sent["orchestrationType"] == "DEFAULT"
    assert sent["memoryConfiguration"] == {"enabledMemoryTypes": ["SESSION_SUMMARY"], "storageDays": 30,
                                           "sessionSummaryConfiguration": {"maxRecentSessions": 20}}
    assert sent["promptOverrideConfiguration"]["promptConfigurations"][0]["promptState"] == "ENABLED"


def test_agent_config_unchanged_by_canonicalize():
    cfg = B.config()
    before = config_document(cfg)
    canonicalize(cfg)
    assert config_document(cfg) == before
    assert isinstance(cfg, AgentConfig)


# --- quirks that used to live outside normalize (issue 7 item 4) -----------------------------------

def test_one_user_tag_rule_for_specs_and_live_reads():
    """The live reader dropped every ``agentctl:`` key while ``user_tags`` dropped only the two
    ownership keys, so a spec tag ``agentctl:note`` was a diff no apply could close. One rule
    now, used by both: the ``agentctl:`` and ``aws:`` namespaces are not the user's."""
    from agentctl.core.normalize import owner_tags, user_tags

    tags = {OWNER_TAG: "agentctl", PROJECT_TAG: "support", "agentctl:note": "x",
            "aws:cloudformation:stack-name": "s", "team": "support"}
    assert user_tags(tags) == {"team": "support"}
    assert owner_tags(tags) == {"agentctl:managed-by": "agentctl", "agentctl:note": "x",
                                "agentctl:project": "support"}
    live = config_from_live({"agentName": "a"}, [], [], [], tags, {})
    spec = canonicalize(AgentConfig(name="a", agent={"agentName": "a"}, tags=tags))
    assert live.tags == spec.tags == {"team": "support"}


@pytest.mark.parametrize("state, canonical, sent, paused", [
    (None, None, "ACCEPT_INVOCATIONS", False),
    ("ACCEPT_INVOCATIONS", None, "ACCEPT_INVOCATIONS", False),
    ("REJECT_INVOCATIONS", "REJECT_INVOCATIONS", "REJECT_INVOCATIONS", True),
])
def test_alias_invocation_state_default(state, canonical, sent, paused):
    """§3.4: ACCEPT_INVOCATIONS is the default: absent in canonical form, always sent by
    UpdateAgentAlias (a full replacement), not "paused"."""
    from agentctl.core.normalize import canonical_invocation_state, explicit_invocation_state, is_paused

    assert canonical_invocation_state(state) == canonical
    assert explicit_invocation_state(state) == sent
    assert is_paused(state) is paused
    assert canonicalize(AgentConfig(name="a", agent={}, aliases={"P": AliasConfig(
        "P", invocation_state=state)})).aliases["P"].invocation_state == canonical


def test_no_module_but_normalize_spells_the_quirk_values():
    """The alias default and the tag namespaces are named once, in normalize."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2] / "agentctl"
    offenders = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("emulator/") or rel in ("core/normalize.py",):
            continue  # the emulator plays the service; it has to know the service's defaults
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r'"ACCEPT_INVOCATIONS"|startswith\(\s*"(agentctl|aws):"', text):
            offenders.append(f"{rel}: {m.group(0)}")
    assert offenders == []
