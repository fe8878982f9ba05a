"""Project loading: discovery, environments, globs, overlays, interpolation, includes, the YAML
loader's own guarantees, and the mapping into ``desired``."""

from __future__ import annotations

import os
import pytest

from agentctl.errors import ProjectError, UsageError, SpecInvalid
from agentctl.core.model import Ref
from agentctl.spec import check_files, load_project
from agentctl.spec.yamlload import MAX_FILE_BYTES, YamlFailure, load_file, load_text

from .conftest import BASE, GROUP, PROJECT

BOT = "agents/bot.yaml"


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv("AGENTCTL_ENV", raising=False)


# --- YAML loader --------------------------------------------------------------------------------

def test_positions_of_keys_and_values():
    loaded = load_text("a: 1\nb:\n  - x\n  - {c: d}\n", "f.yaml")
    assert loaded.value == {"a": 1, "b": ["x", {"c": "d"}]}
    pos = loaded.positions
    assert (pos.key(("b",)).line, pos.key(("b",)).col) == (2, 1)
    assert (pos.value(("b", 1, "c")).line, pos.value(("b", 1, "c")).col) == (4, 9)
    # a path that does not exist resolves to its nearest located ancestor
    assert pos.value(("b", 1, "missing")).line == 4


def test_duplicate_keys_are_errors_not_last_wins():
    with pytest.raises(YamlFailure) as info:
        load_text("a: 1\nb: 2\na: 3\n", "f.yaml")
    (p,) = info.value.problems
    assert (p.code, p.location.line, p.location.col) == ("yaml.duplicate-key", 3, 1)
    assert "line 1" in p.message


def test_merge_keys_work_and_own_keys_win():
    loaded = load_text("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n", "f.yaml")
    assert loaded.value["d"] == {"x": 1, "y": 3}
    assert loaded.positions.value(("d", "y")).line == 4


def test_json_compatible_values():
    loaded = load_text("day: 2024-01-01\n200: ok\n", "f.yaml")
    assert loaded.value == {"day": "2024-01-01", "200": "ok"}


def test_alias_bomb_is_refused_quickly():
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    with pytest.raises(YamlFailure) as info:
        load_text("\n".join(lines) + "\n", "bomb.yaml")
    assert info.value.problems[0].code == "yaml.too-many-nodes"


def test_oversized_and_non_utf8_files_are_refused(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: 1\n" + b"#" * MAX_FILE_BYTES)
    with pytest.raises(YamlFailure) as info:
        load_file(big)
    assert info.value.problems[0].code == "file.too-large"
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"a: 1\nb: \xc3\x28\n")
    with pytest.raises(YamlFailure) as info:
        load_file(bad)
    p = info.value.problems[0]
    assert (p.code, p.location.line, p.location.col) == ("file.encoding", 2, 4)


def test_utf8_bom_is_accepted(tmp_path):
    f = tmp_path / "bom.yaml"
    f.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert load_file(f).value == {"a": 1}


# --- discovery and environments -------------------------------------------------------------------

def test_project_is_found_from_a_subdirectory(project):
    root = project({BOT: BASE})
    sub = root / "agents"
    p = load_project(sub, None)
    assert p.root == root.resolve() and p.name == "t" and list(p.desired) == ["bot"]


def test_no_project_is_a_project_error(tmp_path):
    with pytest.raises(ProjectError) as info:
        load_project(tmp_path, None)
    assert "agentctl.yaml" in str(info.value)


def test_environment_selection_order(project, monkeypatch):
    root = project({BOT: BASE})
    assert load_project(root, None).environment.name == "local"          # defaultEnvironment
    monkeypatch.setenv("AGENTCTL_ENV", "prod")
    assert load_project(root, None).environment.name == "prod"           # AGENTCTL_ENV
    assert load_project(root, "local").environment.name == "local"       # explicit wins


def test_unknown_environment_lists_the_known_ones(project):
    root = project({BOT: BASE})
    # Issue 12 item 9: the name came from the invocation, so it is a usage error.
    with pytest.raises(UsageError) as info:
        load_project(root, "pord")
    assert "local, prod" in info.value.hint and "prod" in info.value.hint


def test_no_default_and_several_environments_is_an_error(project):
    root = project({BOT: BASE}, project_file=PROJECT.replace("defaultEnvironment: local\n", ""))
    with pytest.raises(UsageError):  # a required choice (-e) not made: usage
        load_project(root, None)


def test_environment_fields(project):
    root = project({BOT: BASE})
    local = load_project(root, "local").environment
    assert local.target == "local" and local.account == "123456789012"
    assert local.state_path == (root / ".agentctl" / "local.db").resolve() and local.state_path.is_absolute()
    assert local.world["knowledgeBases"][0] == {"id": "KB1234ABCD", "name": "hr"}
    assert local.world["lambdas"][0]["handler"] == "h:f"
    prod = load_project(root, "prod").environment
    assert prod.target == "aws" and prod.state_path is None and prod.region == "us-west-2"


def test_settings_default_and_explicit(project):
    root = project({BOT: BASE})
    assert load_project(root, None).settings.version_retention == 5
    root = project({BOT: BASE}, project_file=PROJECT + "settings: { versionRetention: 2 }\n")
    assert load_project(root, None).settings.version_retention == 2


def test_globs_are_sorted_and_deduplicated(project):
    other = BASE.replace("name: bot", "name: another")
    root = project({BOT: BASE, "agents/a.yaml": other},
                   project_file=PROJECT.replace('["agents/*.yaml"]', '["agents/*.yaml", "agents/bot.yaml"]'))
    p = load_project(root, None)
    assert list(p.agents) == ["another", "bot"]
    assert p.agents["bot"].source == (root / BOT).resolve()


# --- overlays and interpolation ------------------------------------------------------------------

def test_overlay_merges_maps_and_replaces_lists(project):
    spec = BASE + "tags: { team: a, cost: x }\naliases:\n  - name: STAGING\n  - name: PROD\n"
    pf = PROJECT.replace("      kb: KB1234ABCD\n", "      kb: KB1234ABCD\n    overlays:\n      bot:\n"
                         "        tags: { team: b }\n        aliases: [{ name: DEV }]\n        idleSessionTtl: 900\n", 1)
    root = project({BOT: spec}, project_file=pf)
    local = load_project(root, "local").desired["bot"]
    assert local.tags == {"team": "b", "cost": "x"}
    assert list(local.aliases) == ["DEV"]
    assert local.agent["idleSessionTTLInSeconds"] == 900
    prod = load_project(root, "prod").desired["bot"]     # overlay belongs to local only
    assert list(prod.aliases) == ["STAGING", "PROD"] and "idleSessionTTLInSeconds" not in prod.agent


def test_overlay_for_unknown_agent_is_a_warning(project):
    pf = PROJECT.replace("      kb: KB1234ABCD\n", "      kb: KB1234ABCD\n    overlays: { bto: { idleSessionTtl: 900 } }\n", 1)
    p = load_project(project({BOT: BASE}, project_file=pf), None)
    (w,) = p.warnings
    assert w.code == "project.unknown-overlay" and "bot" in w.hint


def test_interpolation(project, monkeypatch):
    monkeypatch.setenv("AGENTCTL_TEST_TEAM", "support")
    spec = (BASE.replace("123456789012", "${var.account}")
            + "description: Costs $${var.lam} to run in ${var.region}.\n"
            + "tags: { team: '${env.AGENTCTL_TEST_TEAM}' }\n"
            + "idleSessionTtl: ${var.ttl}\n" + GROUP)
    pf = PROJECT.replace("      kb: KB1234ABCD\n", "      kb: KB1234ABCD\n      ttl: 900\n", 1)
    d = load_project(project({BOT: spec}, project_file=pf), None).desired["bot"]
    assert d.agent["agentResourceRoleArn"] == "arn:aws:iam::123456789012:role/AgentRole"
    assert d.agent["description"] == "Costs ${var.lam} to run in us-east-1."
    assert d.tags == {"team": "support"}
    assert d.agent["idleSessionTTLInSeconds"] == 900          # a whole-string variable keeps its type
    assert d.action_groups["Tools"]["actionGroupExecutor"] == {
        "lambda": "arn:aws:lambda:us-east-1:123456789012:function:tools"}


def test_env_interpolation_in_project_environment(project, monkeypatch):
    monkeypatch.setenv("AGENTCTL_TEST_ENDPOINT", "http://127.0.0.1:9999")
    pf = PROJECT.replace('    account: "123456789012"\n',
                         '    account: "123456789012"\n    endpoint: ${env.AGENTCTL_TEST_ENDPOINT}\n', 1)
    assert load_project(project({BOT: BASE}, project_file=pf), None).environment.endpoint == "http://127.0.0.1:9999"


# --- includes -----------------------------------------------------------------------------------

def test_includes_are_relative_to_the_including_file(project):
    spec = BASE.replace(
        "instruction: You are a careful assistant that answers questions about customer orders.",
        "instruction: { file: ../prompts/instruction.md }") + (
        "prompts:\n  overrides:\n    ORCHESTRATION:\n      template: { file: ../prompts/orch.txt }\n"
        "    PRE_PROCESSING: { state: DISABLED }\n")
    text = "Answer questions about orders. ${var.not_interpolated} stays as written.\n"
    root = project({BOT: spec, "prompts/instruction.md": text, "prompts/orch.txt": "$instruction$ $question$"})
    d = load_project(root, None).desired["bot"]
    assert d.agent["instruction"] == text
    configs = d.agent["promptOverrideConfiguration"]["promptConfigurations"]
    assert configs[0] == {"promptType": "ORCHESTRATION", "promptCreationMode": "OVERRIDDEN",
                          "basePromptTemplate": "$instruction$ $question$"}
    assert configs[1] == {"promptType": "PRE_PROCESSING", "promptCreationMode": "OVERRIDDEN", "promptState": "DISABLED"}


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_include_through_a_symlink_leaving_the_project_is_refused(project, tmp_path):
    outside = tmp_path / "secret.md"
    outside.write_text("x" * 60)
    spec = BASE.replace(
        "instruction: You are a careful assistant that answers questions about customer orders.",
        "instruction: { file: link.md }")
    root = project({BOT: spec})
    (root / "agents" / "link.md").symlink_to(outside)
    with pytest.raises(SpecInvalid) as info:
        load_project(root, None)
    assert [p.code for p in info.value.problems] == ["include.outside-project"]


def test_oversized_include_is_refused(project):
    spec = BASE.replace(
        "instruction: You are a careful assistant that answers questions about customer orders.",
        "instruction: { file: big.md }")
    root = project({BOT: spec, "agents/big.md": "x" * (MAX_FILE_BYTES + 1)})
    with pytest.raises(SpecInvalid) as info:
        load_project(root, None)
    assert info.value.problems[0].code == "include.too-large"


def test_openapi_file_is_parsed_into_the_payload(project):
    spec = BASE + ("actionGroups:\n  - name: Api\n    description: The order API for looking orders up.\n"
                   "    executor: { lambda: \"${var.lam}\" }\n    openapi: { file: ../api.json }\n")
    api = ('{"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": {"/o": {"get": '
           '{"operationId": "getO", "description": "Read the order list of the current user.", '
           '"responses": {"200": {"description": "ok"}}}}}}')
    d = load_project(project({BOT: spec, "api.json": api}), None).desired["bot"]
    payload = d.action_groups["Api"]["apiSchema"]["payload"]
    assert payload["paths"]["/o"]["get"]["operationId"] == "getO"


# --- mapping ------------------------------------------------------------------------------------

def test_mapping_is_a_mapping_only(project):
    spec = BASE + (
        "memory: { type: SESSION_SUMMARY }\n"
        "actionGroups:\n"
        "  - name: Tools\n    description: Order tools for looking orders up by their ID.\n"
        "    executor: { returnControl: true }\n    state: DISABLED\n"
        "    functions:\n      - name: cancel\n        description: Cancel an order that has not shipped yet.\n"
        "        requireConfirmation: true\n"
        "  - name: Ask\n    builtin: AMAZON.UserInput\n"
        "knowledgeBases: [{ id: \"${var.kb}\", description: HR policies for every employee question. }]\n"
        "collaboration:\n  mode: SUPERVISOR_ROUTER\n  collaborators:\n"
        "    - { name: billing, agent: billing-agent, alias: PROD, instruction: Billing questions go here.,"
        " relayConversationHistory: false }\n"
        "aliases: [{ name: LIVE, track: latest, invocationState: REJECT_INVOCATIONS }, { name: PROD }]\n")
    billing = BASE.replace("name: bot", "name: billing-agent") + "aliases: [{ name: PROD }]\n"
    p = load_project(project({BOT: spec, "agents/billing.yaml": billing}), None)
    d = p.desired["bot"]
    assert d.agent == {
        "agentName": "bot", "foundationModel": "anthropic.claude-3-5-sonnet-20241022-v2:0",
        "instruction": "You are a careful assistant that answers questions about customer orders.",
        "agentResourceRoleArn": "arn:aws:iam::123456789012:role/AgentRole",
        "memoryConfiguration": {"enabledMemoryTypes": ["SESSION_SUMMARY"]},
        "agentCollaboration": "SUPERVISOR_ROUTER",
    }
    assert d.action_groups["Tools"] == {
        "description": "Order tools for looking orders up by their ID.", "actionGroupState": "DISABLED",
        "actionGroupExecutor": {"customControl": "RETURN_CONTROL"},
        "functionSchema": {"functions": [{"name": "cancel", "description": "Cancel an order that has not shipped yet.",
                                          "requireConfirmation": "ENABLED"}]},
    }
    assert d.action_groups["Ask"] == {"parentActionGroupSignature": "AMAZON.UserInput"}
    assert d.knowledge_bases == {"KB1234ABCD": {"description": "HR policies for every employee question."}}
    assert d.collaborators["billing"] == {
        "agentDescriptor": {"aliasArn": Ref("agent.billing-agent.alias.PROD", "agentAliasArn")},
        "collaborationInstruction": "Billing questions go here.", "relayConversationHistory": "DISABLED"}
    assert d.aliases["LIVE"].track == "latest" and d.aliases["LIVE"].invocation_state == "REJECT_INVOCATIONS"
    assert d.aliases["PROD"].track == "pinned" and d.aliases["PROD"].invocation_state is None


# --- partial validation -------------------------------------------------------------------------

def test_paths_validate_only_those_files_but_resolve_references(project):
    supervisor = BASE.replace("name: bot", "name: boss") + (
        "collaboration:\n  mode: SUPERVISOR\n  collaborators:\n"
        "    - { name: b, agent: bot, alias: PROD, instruction: Order questions go here. }\n")
    broken_bot = BASE + "aliases: [{ name: PROD }]\ndescripton: typo\n"
    root = project({"agents/boss.yaml": supervisor, BOT: broken_bot})
    p = load_project(root, None, paths=[root / "agents/boss.yaml"])
    assert list(p.desired) == ["boss"]
    with pytest.raises(SpecInvalid):
        load_project(root, None)


def test_standalone_files_without_a_project(tmp_path):
    f = tmp_path / "bot.yaml"
    f.write_text(BASE + "role2: x\n")
    problems = check_files([f], tmp_path)
    assert [(p.code, p.location.file, p.location.line) for p in problems] == [("schema.unknown-key", "bot.yaml", 5)]
    f.write_text(BASE.replace("123456789012", "${var.account}"))
    (p,) = check_files([f], tmp_path)
    assert p.code == "interpolate.undefined"


def test_strict_turns_warnings_into_errors(project):
    spec = BASE + GROUP.replace("description: Look up one order by its ID and return its status.",
                                "description: Get it.")
    root = project({BOT: spec})
    p = load_project(root, None)
    assert [w.code for w in p.warnings] == ["description.thin"] and p.warnings[0].severity == "warning"
    with pytest.raises(SpecInvalid) as info:
        load_project(root, None, strict=True)
    assert [(x.code, x.severity) for x in info.value.problems] == [("description.thin", "error")]


def test_all_problems_of_all_files_are_reported_at_once(project):
    root = project({BOT: BASE + "descripton: x\nidleSessionTtl: 1\n",
                    "agents/b.yaml": "name: b\nname: c\n"})
    with pytest.raises(SpecInvalid) as info:
        load_project(root, None)
    codes = sorted(p.code for p in info.value.problems)
    assert codes == ["schema.range", "schema.unknown-key", "yaml.duplicate-key"]


def test_near_duplicate_tool_descriptions_warn(project):
    spec = BASE + GROUP + (
        "      - name: get_order2\n        description: Look up one order by its ID and return its state.\n")
    p = load_project(project({BOT: spec}), None)
    assert [w.code for w in p.warnings] == ["description.near-duplicate"]
    assert p.warnings[0].location.line == 15


def test_routing_classifier_is_accepted_with_a_warning(project):
    spec = BASE + "prompts:\n  overrides:\n    ROUTING_CLASSIFIER:\n      template: Route the request well.\n"
    p = load_project(project({BOT: spec}), None)
    assert [w.code for w in p.warnings] == ["bedrock.prompt-type-unconfirmed"]


def test_environment_is_rechecked_after_env_interpolation(project, monkeypatch):
    monkeypatch.setenv("AGENTCTL_TEST_ENDPOINT", "ftp://nope")
    pf = PROJECT.replace('    account: "123456789012"\n',
                         '    account: "123456789012"\n    endpoint: ${env.AGENTCTL_TEST_ENDPOINT}\n', 1)
    with pytest.raises(SpecInvalid) as info:
        load_project(project({BOT: BASE}, project_file=pf), None)
    (p,) = info.value.problems
    assert (p.code, p.location.file, p.location.line, p.path) == (
        "schema.pattern", "agentctl.yaml", 9, "environments.local.endpoint")


def test_lambda_qualifier_matches_the_world_lambda(project):
    spec = BASE + GROUP.replace('"${var.lam}"', '"${var.lam}:PROD"')
    assert load_project(project({BOT: spec}), None).warnings == []
    spec = BASE + GROUP.replace('"${var.lam}"', '"arn:aws:lambda:us-east-1:123456789012:function:other"')
    assert [w.code for w in load_project(project({BOT: spec}), None).warnings] == ["world.unknown-lambda"]
