"""``agentctl import`` end to end on the local target: import -> plan shows no changes.

- Both examples: apply, delete the spec files, ``import --all``, then ``plan`` has no changes
  and ``validate`` passes on the imported project; the instruction, templates and OpenAPI
  documents are files of their own and ids/ARNs are ``${var...}`` references.
- Agents created directly with boto3 with every field of the API (``odd_agents``): imported,
  adopted (``--adopt``, through the executor), then ``plan`` has no changes.
- Import only reads (no mutating call reaches the emulator), never overwrites a file without
  ``--force``, and refuses what it must (usage, another project's agent).
"""

from __future__ import annotations

import shutil

import pytest
import yaml

from agentctl.exitcodes import ExitCode

from . import odd_agents
from .conftest import Project, copy_example

ODD_PROJECT = """\
project: oddproj
agents: ["agents/*.yaml"]
defaultEnvironment: local
environments:
  local:
    target: local
    region: us-east-1
    account: "123456789012"
    state: .agentctl/local.db
    variables:
      toolsLambda: arn:aws:lambda:us-east-1:123456789012:function:odd-tools
      kbA: KBODD00001
      guardrail: gr0123456789
    world:
      knowledgeBases:
        - {id: KBODD00001, name: a, description: a}
        - {id: KBODD00002, name: b, description: b}
      lambdas:
        - {arn: "arn:aws:lambda:us-east-1:123456789012:function:odd-tools", handler: "h:h"}
"""


def _spec(root, name: str) -> dict:
    return yaml.safe_load((root / "agents" / f"{name}.yaml").read_text())


@pytest.mark.parametrize("example", ["support-bot", "multi-agent"])
def test_example_import_then_plan_has_no_changes(example, tmp_path, capsys):
    p = Project(copy_example(example, tmp_path), capsys)
    assert p.cli("apply", "--auto-approve").code == 0
    names = sorted(yaml.safe_load(f.read_text())["name"] for f in (p.root / "agents").glob("*.yaml"))
    shutil.rmtree(p.root / "agents")
    p.clear_calls()

    r = p.cli("import", "--all")
    assert r.code == 0, r.err
    assert p.mutating_calls() == []  # import only reads
    for name in names:
        assert f"wrote agents/{name}.yaml" in r.out
        assert f"wrote prompts/{name}/instruction.md" in r.out
    assert "Next: `agentctl plan`" in r.out  # already managed by this project: nothing to adopt

    plan = p.cli("plan", "--detailed-exitcode")
    assert plan.code == 0, plan.out + plan.err
    assert "No changes" in plan.out
    assert p.cli("validate").code == 0

    if example == "support-bot":
        doc = _spec(p.root, "support-bot")
        assert doc["instruction"] == {"file": "../prompts/support-bot/instruction.md"}
        assert (p.root / "prompts/support-bot/instruction.md").read_text() == \
            (p.root / "prompts/instruction.md").read_text()
        groups = {g["name"]: g for g in doc["actionGroups"]}
        assert groups["OrderApi"]["openapi"] == {"file": "../openapi/support-bot/OrderApi.yaml"}
        assert yaml.safe_load((p.root / "openapi/support-bot/OrderApi.yaml").read_text()) == \
            yaml.safe_load((p.root / "openapi/orders.yaml").read_text())
        assert groups["OrderTools"]["executor"] == {"lambda": "${var.orderToolsLambda}"}
        assert doc["knowledgeBases"][0]["id"] == "${var.hrKnowledgeBaseId}"
        assert doc["role"] == "arn:aws:iam::${var.account}:role/AgentRole"
        tracks = {a["name"]: a.get("track", "pinned") for a in doc["aliases"]}
        assert tracks == {"STAGING": "latest", "PROD": "pinned"}
        assert doc["tags"] == {"team": "support"}  # ownership tags are not user tags
        assert "executor.handler" in r.err  # what AWS does not store is said, not dropped
    else:
        sup = _spec(p.root, "helpdesk-supervisor")
        collabs = {c["name"]: c for c in sup["collaboration"]["collaborators"]}
        assert (collabs["billing"]["agent"], collabs["billing"]["alias"]) == ("billing-agent", "PROD")
        assert "aliasArn" not in collabs["billing"]


def test_agents_made_with_boto3_import_adopt_and_plan_empty(tmp_path, capsys):
    root = tmp_path / "odd"
    root.mkdir()
    (root / "agentctl.yaml").write_text(ODD_PROJECT)
    (root / ".agentctl").mkdir()
    ids = odd_agents.make(root / ".agentctl" / "local.db")
    p = Project(root, capsys)
    p.clear_calls()

    r = p.cli("import", "--all")
    assert r.code == 0, r.err
    assert p.mutating_calls() == []
    assert f"Imported odd-agent ({ids['odd-agent']})" in r.out
    assert "agentctl adopt odd-agent" in r.out and "agentctl adopt odd-helper" in r.out
    # Nothing is dropped silently: what AWS does not store, and agentctl's own tag namespace.
    assert "actionGroups[Client].executor.handler" in r.err
    assert "agentctl:managed-by" in r.err

    doc = _spec(root, "odd-agent")
    assert doc["description"] == "An agent with unusual settings: $${not.a.var}"
    assert doc["idleSessionTtl"] == 3600
    assert doc["encryptionKey"] == ("arn:aws:kms:${var.region}:${var.account}:key/"
                                    "1234abcd-12ab-34cd-56ef-1234567890ab")
    assert doc["guardrail"] == {"id": "${var.guardrail}", "version": "2"}
    assert doc["memory"] == {"type": "SESSION_SUMMARY", "storageDays": 7, "maxRecentSessions": 5}
    assert doc["tags"] == {"cost-center": "42", "team": "odd"}
    assert doc["prompts"]["parserLambda"] == "${var.toolsLambda}"
    overrides = doc["prompts"]["overrides"]
    assert sorted(overrides) == sorted(odd_agents.PROMPT_TYPES)
    assert overrides["ORCHESTRATION"]["parser"] == "OVERRIDDEN"
    assert overrides["ORCHESTRATION"]["state"] == "DISABLED"
    assert overrides["PRE_PROCESSING"]["inference"]["stopSequences"] == ["\n\nHuman:", "END"]
    template = root / "prompts/odd-agent/orchestration.txt"
    assert overrides["ORCHESTRATION"]["template"] == {"file": "../prompts/odd-agent/orchestration.txt"}
    assert template.read_text() == "Template for ORCHESTRATION with $question$ and ${literal}\n"
    groups = {g["name"]: g for g in doc["actionGroups"]}
    assert groups["ApiS3"]["openapi"] == {"s3": {"bucket": "odd-bucket", "key": "schemas/api.yaml"}}
    assert groups["Api"]["openapi"] == {"file": "../openapi/odd-agent/Api.yaml"}
    assert groups["Client"]["executor"] == {"returnControl": True}
    assert groups["Client"]["state"] == "DISABLED"
    assert groups["UserInput"]["builtin"] == "AMAZON.UserInput"
    assert groups["Code"]["builtin"] == "AMAZON.CodeInterpreter"
    fns = {f["name"]: f for f in groups["Fns"]["functions"]}
    assert fns["f1"]["requireConfirmation"] is True
    assert fns["f1"]["parameters"]["a"] == {"type": "string", "description": "A", "required": True}
    kbs = {k["id"]: k for k in doc["knowledgeBases"]}
    assert kbs["KBODD00002"]["state"] == "DISABLED" and "${var.kbA}" in kbs
    collab = doc["collaboration"]["collaborators"][0]
    assert doc["collaboration"]["mode"] == "SUPERVISOR"
    assert (collab["agent"], collab["alias"], collab["relayConversationHistory"]) == \
        ("odd-helper", "LIVE", True)
    aliases = {a["name"]: a for a in doc["aliases"]}
    assert aliases["STAGING"]["track"] == "latest"  # on the newest version, PROD is not
    assert "track" not in aliases["PROD"]
    assert aliases["PAUSED"]["invocationState"] == "REJECT_INVOCATIONS"

    # No overwrite without --force: the clear error names the files, and nothing changes.
    before = (root / "agents/odd-agent.yaml").read_text()
    again = p.cli("import", "odd-agent")
    assert again.code == ExitCode.USAGE
    assert "exist already" in again.err and "agents/odd-agent.yaml" in again.err
    assert "--force" in again.err
    assert (root / "agents/odd-agent.yaml").read_text() == before

    r = p.cli("import", "--all", "--force", "--adopt", "--yes")
    assert r.code == 0, r.err
    assert sorted(p.mutating_calls()) == ["TagResource", "TagResource"]  # adopt, nothing else
    assert "Next: `agentctl plan`" in r.out
    assert not list(root.rglob("*.agentctl-tmp"))
    plan = p.cli("plan", "--detailed-exitcode")
    assert plan.code == 0, plan.out + plan.err
    assert p.cli("validate").code == 0


def test_import_refusals(support_bot):
    p = support_bot
    assert p.cli("apply", "--auto-approve").code == 0
    r = p.cli("import")
    assert r.code == ExitCode.USAGE and "give the NAME of an agent to import, or --all" in r.err
    r = p.cli("import", "support-bot", "--all")
    assert r.code == ExitCode.USAGE and "not both" in r.err
    r = p.cli("import", "no-such-agent")
    assert r.code == ExitCode.USAGE and "no agent named 'no-such-agent'" in r.err
    r = p.cli("import", "support-bot", "--dir", "/")
    assert r.code == ExitCode.USAGE and "outside the project directory" in r.err
    # the agent has a spec already: import NAME would rewrite it, which needs --force
    r = p.cli("import", "support-bot")
    assert r.code == ExitCode.USAGE and "agents/support-bot.yaml" in r.err
    # --all leaves agents that have a spec alone, and says so
    r = p.cli("import", "--all")
    assert r.code == 0 and "skipped support-bot: already has a spec" in r.err
    assert "Nothing to import." in r.out
    # another agentctl project's agent is not imported here
    other = p.root / "agentctl.yaml"
    other.write_text(other.read_text().replace("project: support", "project: other"))
    r = p.cli("import", "support-bot", "--dir", "elsewhere")
    assert r.code == ExitCode.NOT_OWNED
    assert "managed by another agentctl project ('support')" in r.err
