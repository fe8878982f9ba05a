"""``agentctl export``: the CloudFormation template passes cfn-lint (as a library, no network)
and the HCL parses with python-hcl2, for both examples and for a spec using every field; the
property / argument names are the ones those tools know (cfn-lint's resource schemas, the aws
provider's bedrockagent docs); what they cannot express is said; golden files of support-bot
(``pytest --update-golden`` rewrites them)."""

from __future__ import annotations

import glob
import json
import os
from pathlib import Path

import hcl2
import pytest
import yaml
from cfnlint.api import ManualArgs, lint

from agentctl.cli import run
from agentctl.exitcodes import ExitCode
from agentctl.spec import export, fields, load_project

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = {p.parent.name: p.parent for p in (REPO / "examples").glob("*/agentctl.yaml")}
GOLDEN = REPO / "tests" / "golden" / "export"

EVERY_FIELD = """\
name: every-field
description: Uses every key of the spec format at least once.
model: anthropic.claude-3-5-sonnet-20241022-v2:0
instruction: You are a test agent that uses every setting there is, and says so politely.
role: arn:aws:iam::123456789012:role/R
idleSessionTtl: 900
encryptionKey: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
tags: {team: t}
guardrail: {id: gr0123456789, version: "2"}
memory: {type: SESSION_SUMMARY, storageDays: 7, maxRecentSessions: 5}
orchestration: {type: CUSTOM_ORCHESTRATION, lambda: "arn:aws:lambda:us-east-1:123456789012:function:orch"}
prompts:
  parserLambda: arn:aws:lambda:us-east-1:123456789012:function:parser
  overrides:
    ORCHESTRATION:
      state: ENABLED
      template: "Orchestrate $question$ with $${literal} text."
      parser: OVERRIDDEN
      model: anthropic.claude-3-haiku-20240307-v1:0
      additionalModelRequestFields: {top_k: 5}
      inference: {temperature: 0.2, topP: 0.9, topK: 50, maximumLength: 512, stopSequences: ["END"]}
    PRE_PROCESSING: {state: DISABLED}
collaboration:
  mode: SUPERVISOR
  collaborators:
    - name: helper
      agent: helper-agent
      alias: LIVE
      instruction: Ask the helper about anything it knows.
      relayConversationHistory: true
    - name: outside
      aliasArn: arn:aws:bedrock:us-east-1:123456789012:agent-alias/ABCDEFGHIJ/KLMNOPQRST
      instruction: Ask the outside agent.
actionGroups:
  - name: Fns
    description: Functions of the every-field test agent, with parameters.
    state: DISABLED
    executor: {lambda: "arn:aws:lambda:us-east-1:123456789012:function:tools"}
    functions:
      - name: f1
        description: The first function of the test agent, with a parameter.
        requireConfirmation: true
        parameters:
          a: {type: string, description: "The first parameter, e.g. A-1.", required: true}
  - name: Api
    description: An OpenAPI action group with its schema inline in the spec.
    executor: {returnControl: true}
    openapi:
      inline:
        openapi: 3.0.0
        info: {title: t, version: "1"}
        paths:
          /x/{id}:
            get:
              operationId: getX
              description: Get one x by its id, e.g. X-1.
              parameters: [{name: id, in: path, required: true, schema: {type: string}}]
              responses: {"200": {description: ok}}
  - name: ApiS3
    description: An OpenAPI action group whose schema lives in S3.
    executor: {lambda: "arn:aws:lambda:us-east-1:123456789012:function:tools"}
    openapi: {s3: {bucket: my-bucket, key: schemas/api.yaml}}
  - name: UserInput
    builtin: AMAZON.UserInput
  - name: Computer
    builtin: ANTHROPIC.Computer
    builtinParams: {type: computer_20241022}
knowledgeBases:
  - id: KB1234ABCD
    description: The HR policies corpus, for employee policy questions.
    state: DISABLED
aliases:
  - {name: STAGING, description: Follows new versions., track: latest, tags: {stage: s}}
  - {name: PROD, description: Pinned., track: pinned}
  - {name: PAUSED, invocationState: REJECT_INVOCATIONS}
"""

HELPER = """\
name: helper-agent
description: The collaborator of the every-field agent.
model: anthropic.claude-3-5-sonnet-20241022-v2:0
instruction: You help the every-field agent with whatever it routes to you, briefly.
role: arn:aws:iam::123456789012:role/R
aliases: [{name: LIVE, track: latest}]
"""

PROJECT = """\
project: every
agents: ["agents/*.yaml"]
defaultEnvironment: local
environments:
  local:
    target: local
    region: us-east-1
    account: "123456789012"
    world:
      knowledgeBases: [{id: KB1234ABCD, name: hr}]
      lambdas:
        - {arn: "arn:aws:lambda:us-east-1:123456789012:function:tools", handler: "h:h"}
        - {arn: "arn:aws:lambda:us-east-1:123456789012:function:orch", handler: "h:h"}
        - {arn: "arn:aws:lambda:us-east-1:123456789012:function:parser", handler: "h:h"}
"""


@pytest.fixture(scope="module")
def every_field(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("every")
    (root / "agents").mkdir()
    (root / "agentctl.yaml").write_text(PROJECT)
    (root / "agents" / "every-field.yaml").write_text(EVERY_FIELD)
    (root / "agents" / "helper-agent.yaml").write_text(HELPER)
    return root


def _projects(every_field: Path) -> dict[str, Path]:
    return {**EXAMPLES, "every-field": every_field}


def _export(root: Path, fmt: str) -> export.Export:
    project = load_project(root, environ={})
    render = export.cloudformation if fmt == "cloudformation" else export.terraform
    return render(project.desired, project=project.name, environment=project.environment.name)


# --- CloudFormation -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["support-bot", "multi-agent", "every-field"])
def test_cloudformation_passes_cfn_lint(name, every_field):
    text = _export(_projects(every_field)[name], "cloudformation").text
    matches = lint(text, config=ManualArgs(regions=["us-east-1"]))
    assert [str(m) for m in matches] == []
    template = yaml.safe_load(text)
    types = {r["Type"] for r in template["Resources"].values()}
    assert types == {"AWS::Bedrock::Agent", "AWS::Bedrock::AgentAlias"}


def test_cfn_lint_does_check_the_property_names(every_field):
    """The lint above can fail: a misspelt property is an error."""
    text = _export(EXAMPLES["support-bot"], "cloudformation").text
    bad = text.replace("AgentResourceRoleArn:", "AgentRoleArn:", 1)
    assert any("AgentRoleArn" in str(m) for m in lint(bad, config=ManualArgs(regions=["us-east-1"])))


def _cfn_schema(type_name: str) -> dict:
    import cfnlint

    base = Path(cfnlint.__file__).parent / "data" / "schemas" / "resources"
    for f in glob.glob(str(base / "*.json")):
        doc = json.loads(Path(f).read_text())
        if doc.get("typeName") == type_name:
            return doc
    raise AssertionError(f"cfn-lint ships no schema for {type_name}")


def _schema_names(node) -> set[str]:
    """Every property name anywhere in a resource schema (definitions, oneOf branches)."""
    names: set[str] = set()
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            names |= set(node["properties"])
        for v in node.values():
            names |= _schema_names(v)
    elif isinstance(node, list):
        for v in node:
            names |= _schema_names(v)
    return names


def test_every_member_of_the_field_table_has_a_cloudformation_property_or_is_named():
    known = _schema_names(_cfn_schema("AWS::Bedrock::Agent")) | \
        _schema_names(_cfn_schema("AWS::Bedrock::AgentAlias"))
    for resource in fields.RESOURCES:
        for f in resource.fields:
            if f.member is None:
                continue
            for part in f.member.split("."):
                if part in export.UNSUPPORTED_CFN:
                    assert export.pascal(part) not in known, f"{part} is supported after all"
                    continue
                assert export.pascal(part) in known, f"{resource.name}: {part}"


def test_built_in_group_kinds_are_the_schema_s():
    group = _cfn_schema("AWS::Bedrock::Agent")["definitions"]["ActionGroupSignature"]
    assert tuple(group["enum"]) == export.SIGNATURES_CFN


def test_what_cloudformation_cannot_express_is_said(every_field):
    got = _export(every_field, "cloudformation")
    assert any("ANTHROPIC.Computer is not supported" in n for n in got.notes)
    assert any("alias.PAUSED: aliasInvocationState" in n for n in got.notes)
    assert "cuts a numbered version only when the DRAFT content changed" in got.text
    assert "eval gates" in got.text
    template = yaml.safe_load(got.text)
    sup = template["Resources"]["EveryFieldAgent"]["Properties"]
    collabs = {c["CollaboratorName"]: c for c in sup["AgentCollaborators"]}
    assert collabs["helper"]["AgentDescriptor"]["AliasArn"] == \
        {"Fn::GetAtt": ["HelperAgentLIVEAlias", "AgentAliasArn"]}
    prod = template["Resources"]["EveryFieldPRODAlias"]
    assert prod["Properties"]["RoutingConfiguration"] == \
        [{"AgentVersion": {"Ref": "EveryFieldPRODVersion"}}]
    assert prod["DependsOn"] == ["EveryFieldSTAGINGAlias"]
    assert "RoutingConfiguration" not in template["Resources"]["EveryFieldSTAGINGAlias"]["Properties"]
    api = next(g for g in sup["ActionGroups"] if g["ActionGroupName"] == "Api")
    assert json.loads(api["ApiSchema"]["Payload"])["paths"]["/x/{id}"]["get"]["operationId"] == "getX"


# --- Terraform --------------------------------------------------------------------------------

# The arguments (and nested blocks) of each resource as the aws provider documents them
# (website/docs/r/bedrockagent_*.html.markdown of hashicorp/terraform-provider-aws).
TF_ARGS = {
    "aws_bedrockagent_agent": {
        "agent_name", "agent_resource_role_arn", "foundation_model", "agent_collaboration",
        "customer_encryption_key_arn", "description", "guardrail_configuration",
        "guardrail_identifier", "guardrail_version", "idle_session_ttl_in_seconds", "instruction",
        "memory_configuration", "enabled_memory_types", "storage_days", "prepare_agent",
        "prompt_override_configuration", "prompt_configurations", "override_lambda",
        "base_prompt_template", "inference_configuration", "parser_mode", "prompt_creation_mode",
        "prompt_state", "prompt_type", "max_length", "stop_sequences", "temperature", "top_k",
        "top_p", "skip_resource_in_use_check", "tags"},
    "aws_bedrockagent_agent_action_group": {
        "action_group_name", "agent_id", "agent_version", "action_group_executor",
        "custom_control", "lambda", "action_group_state", "api_schema", "payload", "s3",
        "s3_bucket_name", "s3_object_key", "description", "function_schema", "functions", "name",
        "parameters", "map_block_key", "type", "required", "parent_action_group_signature",
        "skip_resource_in_use_check", "prepare_agent"},
    "aws_bedrockagent_agent_knowledge_base_association": {
        "agent_id", "description", "knowledge_base_id", "knowledge_base_state", "agent_version"},
    "aws_bedrockagent_agent_collaborator": {
        "agent_id", "collaboration_instruction", "collaborator_name", "prepare_agent",
        "relay_conversation_history", "agent_descriptor", "alias_arn", "agent_version"},
    "aws_bedrockagent_agent_alias": {
        "agent_alias_name", "agent_id", "tags", "description", "routing_configuration",
        "agent_version", "depends_on"},
}


def _keys(value, out: set[str]) -> set[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "tags":
                out.add(k)
                continue
            out.add(k)
            _keys(v, out)
    elif isinstance(value, list):
        for v in value:
            _keys(v, out)
    return out


def _unquote(value):
    """python-hcl2 keeps the quotes of string literals."""
    if isinstance(value, str) and len(value) > 1 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    return value


def _resources(text: str) -> dict[str, dict[str, dict]]:
    out: dict[str, dict[str, dict]] = {}
    for block in hcl2.loads(text)["resource"]:
        for kind, named in block.items():
            for name, body in named.items():
                out.setdefault(kind.strip('"'), {})[name.strip('"')] = _unquote(body)
    return out


@pytest.mark.parametrize("name", ["support-bot", "multi-agent", "every-field"])
def test_terraform_parses_and_uses_documented_arguments(name, every_field):
    text = _export(_projects(every_field)[name], "terraform").text
    resources = _resources(text)
    for kind, named in resources.items():
        assert kind in TF_ARGS, kind
        for rname, body in named.items():
            unknown = {k for k in _keys(body, set()) - TF_ARGS[kind] if not k.startswith("__")}
            assert not unknown, f"{kind}.{rname}: {sorted(unknown)}"


def test_terraform_resources_and_references(every_field):
    resources = _resources(_export(every_field, "terraform").text)
    agent = resources["aws_bedrockagent_agent"]["every_field"]
    assert agent["agent_name"] == "every-field"
    assert agent["prepare_agent"] is False  # a supervisor is prepared with its collaborators
    helper = resources["aws_bedrockagent_agent_collaborator"]["every_field_helper"]
    assert "aws_bedrockagent_agent_alias.helper_agent_live.agent_alias_arn" in str(helper["agent_descriptor"])
    outside = resources["aws_bedrockagent_agent_collaborator"]["every_field_outside"]
    assert "agent-alias/ABCDEFGHIJ/KLMNOPQRST" in str(outside["agent_descriptor"])
    fns = resources["aws_bedrockagent_agent_action_group"]["every_field_fns"]
    assert "map_block_key" in str(fns["function_schema"]) and "${aws_bedrockagent_agent.every_field.agent_id}" in str(fns["agent_id"])
    kb = resources["aws_bedrockagent_agent_knowledge_base_association"]["every_field_kb1234abcd"]
    assert kb["knowledge_base_state"] == "DISABLED"
    prod = resources["aws_bedrockagent_agent_alias"]["every_field_prod"]
    assert "var.every_field_prod_version" in str(prod["routing_configuration"])
    assert "routing_configuration" not in resources["aws_bedrockagent_agent_alias"]["every_field_staging"]
    api = resources["aws_bedrockagent_agent_action_group"]["every_field_api"]
    payload = api["api_schema"][0]["payload"] if isinstance(api["api_schema"], list) else api["api_schema"]["payload"]
    assert "getX" in payload


def test_what_terraform_cannot_express_is_said(every_field):
    got = _export(every_field, "terraform")
    said = "\n".join(got.notes)
    for member in ("orchestrationType", "customOrchestration", "sessionSummaryConfiguration",
                   "additionalModelRequestFields", "requireConfirmation",
                   "aliasInvocationState"):
        assert member in said, member
    assert "foundationModel" in said  # the prompt's own model
    assert "prompt PRE_PROCESSING sets no base_prompt_template" in said
    assert "ANTHROPIC.Computer is not supported" in said
    for note in got.notes:
        assert f"# - {note}\n" in got.text  # in the file too


def test_documented_unsupported_members_are_not_in_the_provider_arguments():
    every = set().union(*TF_ARGS.values())
    for member in export.UNSUPPORTED_TF:
        assert export.snake(member.split("@")[0]) not in every or member.endswith("@prompt"), member


def test_snake_names():
    assert export.snake("agentResourceRoleArn") == "agent_resource_role_arn"
    assert export.snake("idleSessionTTLInSeconds") == "idle_session_ttl_in_seconds"
    assert export.snake("s3BucketName") == "s3_bucket_name"
    assert export.snake("maximumLength") == "max_length"


# --- golden files and the command ----------------------------------------------------------------

@pytest.mark.parametrize("fmt, file", [("cloudformation", "support-bot.template.yaml"),
                                       ("terraform", "support-bot.tf")])
def test_golden(fmt, file, update_golden):
    text = _export(EXAMPLES["support-bot"], fmt).text
    path = GOLDEN / file
    if update_golden:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), f"run pytest --update-golden and review the diff of {path}"


def test_export_command(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("AGENTCTL_ENV", raising=False)
    root = EXAMPLES["support-bot"]
    out = tmp_path / "main.tf"
    # -e prod is an AWS environment: export reads no AWS (no credentials here), only the specs
    code = run(["-C", str(root), "export", "--format", "terraform", "-e", "prod",
                "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "cannot express agentctl's version cutting" in captured.err
    assert 'agent_resource_role_arn = "arn:aws:iam::111111111111:role/AgentRole"' in out.read_text()
    assert _resources(out.read_text())["aws_bedrockagent_agent"]["support_bot"]["tags"]
    code = run(["-C", str(root), "export", "--format", "cloudformation"])
    captured = capsys.readouterr()
    assert code == 0 and yaml.safe_load(captured.out)["Resources"]
    code = run(["-C", str(root), "export", "--format", "pulumi"])
    assert code == ExitCode.USAGE and "--format must be one of" in capsys.readouterr().err
    code = run(["-C", str(root), "export", "--format", "terraform", "--out",
                str(tmp_path / "missing" / "x.tf")])
    assert code == ExitCode.USAGE and "does not exist" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "missing")
