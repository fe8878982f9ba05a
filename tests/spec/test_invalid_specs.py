"""Invalid specs, one problem each: every case asserts the reported file, line, column and kind
(``Problem.code``). Specs are small and written out so the expected positions can be read off."""

from __future__ import annotations

from dataclasses import dataclass, field
import pytest

from agentctl.errors import SpecInvalid
from agentctl.spec import load_project

from .conftest import BASE, GROUP, PROJECT

BOT = "agents/bot.yaml"


@dataclass
class Case:
    id: str
    files: dict[str, str | bytes]
    file: str
    line: int
    col: int
    code: str
    project: str = PROJECT
    env: str | None = None
    strict: bool = False
    extra: dict = field(default_factory=dict)


def bot(extra: str) -> dict[str, str]:
    """BASE (lines 1-4) plus ``extra`` from line 5."""
    return {BOT: BASE + extra}


BOMB = "".join(
    [BASE, 'x0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n']
    + [f"x{i}: &a{i} [{', '.join(['*a%d' % (i - 1)] * 10)}]\n" for i in range(1, 7)]
)

OPENAPI_OK_HEAD = """\
openapi: 3.0.0
info: { title: Orders, version: "1" }
paths:
"""


def api_group(openapi_file: str = "api.yaml") -> str:
    # lines 5-8
    return (
        "actionGroups:\n"
        "  - name: Api\n"
        "    description: The order API for looking orders up in detail.\n"
        "    executor: { lambda: \"${var.lam}\" }\n"
        f"    openapi: {{ file: ../{openapi_file} }}\n"
    )


def op(method: str = "get", op_id: str = "getOrder", extra: str = "", path: str = "/orders") -> str:
    # path on line 4, method line 5, description 6, operationId 7, then extra, then responses
    return (
        f"  {path}:\n"
        f"    {method}:\n"
        f"      description: Read one order with its status and items.\n"
        f"      operationId: {op_id}\n"
        f"{extra}"
        f"      responses: {{ '200': {{ description: ok }} }}\n"
    )


CASES = [
    # --- YAML layer -----------------------------------------------------------------------------
    Case("duplicate-key", {BOT: BASE + "name: bot2\n"}, BOT, 5, 1, "yaml.duplicate-key"),
    Case("tab-indent", {BOT: BASE + "tags:\n\tteam: x\n"}, BOT, 6, 1, "yaml.syntax"),
    Case("unclosed-flow", {BOT: BASE + "tags: {team: x\n"}, BOT, 6, 1, "yaml.syntax"),
    Case("alias-bomb", {BOT: BOMB}, BOT, 9, 1, "yaml.too-many-nodes"),
    Case("recursive-alias", {BOT: BASE + "tags: &t [*t]\n"}, BOT, 5, 7, "yaml.recursive-alias"),
    Case("not-utf8", {BOT: BASE.encode() + b"description: caf\xe9\n"}, BOT, 5, 17, "file.encoding"),
    Case("too-large", {BOT: BASE + "description: x\n" + "#" * (1024 * 1024) + "\n"}, BOT, 0, 0, "file.too-large"),
    Case("two-documents", {BOT: BASE + "---\nname: other\n"}, BOT, 5, 1, "yaml.multiple-documents"),
    Case("not-a-mapping", {BOT: "- name: bot\n"}, BOT, 1, 1, "spec.not-mapping"),
    Case("binary-value", {BOT: BASE + "description: !!binary aGVsbG8=\n"}, BOT, 5, 14, "yaml.unsupported-value"),
    # --- schema layer ---------------------------------------------------------------------------
    Case("unknown-key", bot("descripton: Answers questions.\n"), BOT, 5, 1, "schema.unknown-key"),
    Case("missing-role", {BOT: BASE.replace("role: arn:aws:iam::123456789012:role/AgentRole\n", "")},
         BOT, 1, 1, "schema.required"),
    Case("ttl-not-int", bot("idleSessionTtl: soon\n"), BOT, 5, 17, "schema.type"),
    Case("name-pattern", {BOT: BASE.replace("name: bot", "name: my bot")}, BOT, 1, 7, "schema.pattern"),
    Case("ttl-range", bot("idleSessionTtl: 10\n"), BOT, 5, 17, "schema.range"),
    Case("instruction-too-short", {BOT: BASE.replace(
        "instruction: You are a careful assistant that answers questions about customer orders.",
        "instruction: Be nice.")}, BOT, 3, 14, "schema.length"),
    Case("memory-type-enum", bot("memory: { type: SESSION_SUMARY }\n"), BOT, 5, 17, "schema.enum"),
    Case("prompt-type-key", bot("prompts:\n  overrides:\n    ORCHESTRATON: { state: DISABLED }\n"),
         BOT, 7, 5, "schema.enum"),
    Case("guardrail-version-int", bot("guardrail: { id: abc123, version: 1 }\n"), BOT, 5, 35, "schema.type"),
    Case("openapi-two-sources", bot(
        "actionGroups:\n"
        "  - name: Api\n"
        "    description: The order API for looking orders up in detail.\n"
        "    executor: { lambda: \"${var.lam}\" }\n"
        "    openapi: { file: api.yaml, s3: { bucket: my-bucket, key: api.yaml } }\n"), BOT, 9, 14, "schema.one-of"),
    Case("description-too-long", bot("description: " + "x" * 201 + "\n"), BOT, 5, 14, "schema.length"),
    Case("tag-key-pattern", bot("tags: { 'team!': support }\n"), BOT, 5, 9, "schema.pattern"),
    # issue 12 item 2: agentctl's own alias names, and the slot its release alias needs.
    Case("alias-reserved-agentctl-prefix", bot("aliases:\n  - name: agentctl-release\n"), BOT, 6, 11,
         "alias.reserved"),
    Case("alias-quota-all-pinned", bot("aliases:\n" + "".join(f"  - name: A{i}\n" for i in range(10))),
         BOT, 5, 1, "bedrock.quota.aliases"),
    # issue 12 item 3: reserved tag prefixes were silently dropped (validate OK, apply exit 0).
    Case("tag-reserved-agentctl", bot("tags: { team: a, 'agentctl:project': other }\n"), BOT, 5, 18,
         "tags.reserved"),
    Case("tag-reserved-aws-on-alias", bot("aliases:\n  - name: PROD\n    tags: { 'aws:x': y }\n"),
         BOT, 7, 13, "tags.reserved"),
    Case("alias-track-enum", bot("aliases:\n  - name: PROD\n    track: lastest\n"), BOT, 7, 12, "schema.enum"),
    Case("unknown-key-in-function", bot(GROUP.replace(
        "      - name: get_order\n", "      - name: get_order\n        requiresConfirmation: true\n")),
         BOT, 11, 9, "schema.unknown-key"),
    # --- interpolation / includes ---------------------------------------------------------------
    Case("undefined-var", bot("description: Runs ${var.nope} things.\n"), BOT, 5, 14, "interpolate.undefined"),
    Case("undefined-env", bot("description: ${env.AGENTCTL_TEST_SURELY_UNSET}\n"), BOT, 5, 14,
         "interpolate.undefined"),
    Case("bad-interpolation", bot("description: ${foo}\n"), BOT, 5, 14, "interpolate.syntax"),
    Case("include-missing", {BOT: BASE.replace(
        "instruction: You are a careful assistant that answers questions about customer orders.",
        "instruction: { file: ../prompts/missing.md }")}, BOT, 3, 22, "include.missing"),
    Case("include-escapes", {BOT: BASE.replace(
        "instruction: You are a careful assistant that answers questions about customer orders.",
        "instruction: { file: ../../outside.md }"), "../outside.md": "x" * 50}, BOT, 3, 22,
         "include.outside-project"),
    Case("include-not-utf8", {BOT: BASE.replace(
        "instruction: You are a careful assistant that answers questions about customer orders.",
        "instruction: { file: ../prompts/i.md }"), "prompts/i.md": b"line one\nabc \xff\xfe"},
         "prompts/i.md", 2, 5, "include.encoding"),
    # --- Bedrock rules (botocore model + quotas) ------------------------------------------------
    Case("included-instruction-over-quota", {BOT: BASE.replace(
        "instruction: You are a careful assistant that answers questions about customer orders.",
        "instruction: { file: ../prompts/i.md }"), "prompts/i.md": "word " * 4001}, BOT, 3, 14,
         "bedrock.quota.instruction"),
    Case("included-instruction-too-short", {BOT: BASE.replace(
        "instruction: You are a careful assistant that answers questions about customer orders.",
        "instruction: { file: ../prompts/i.md }"), "prompts/i.md": "Be nice."}, BOT, 3, 14, "bedrock.length"),
    Case("included-template-too-long", bot(
        "prompts:\n  overrides:\n    ORCHESTRATION:\n      template: { file: ../prompts/t.txt }\n"),
         BOT, 8, 17, "bedrock.length", extra={"prompts/t.txt": "x" * 100_001}),
    Case("too-many-apis", bot(
        "actionGroups:\n  - name: Tools\n    description: Many tools in one group for testing.\n"
        "    executor: { lambda: \"${var.lam}\" }\n    functions:\n"
        + "".join(f"      - {{ name: f{i}, description: Function number {i} of many in this group. }}\n"
                  for i in range(12))), BOT, 5, 1, "bedrock.quota.apis"),
    Case("too-many-parameters", bot(GROUP.replace(
        "          order_id: { type: string, description: \"The order ID, e.g. A-482.\", required: true }\n",
        "".join(f"          p{i}: {{ type: string, description: Parameter number {i} of many. }}\n"
                for i in range(6)))), BOT, 13, 11, "bedrock.quota.parameters"),
    Case("too-many-kbs", bot("knowledgeBases:\n"
                             + "".join(f"  - {{ id: KB{i}{i}{i}{i}ABCD, description: Knowledge base {i} with HR documents. }}\n"
                                       for i in (1, 2, 3))), BOT, 8, 5, "bedrock.quota.knowledge-bases"),
    Case("too-many-aliases", bot("aliases:\n" + "".join(f"  - name: A{i}\n" for i in range(11))),
         BOT, 16, 5, "bedrock.quota.aliases"),
    Case("reserved-alias", bot("aliases:\n  - name: AgentTestAlias\n"), BOT, 6, 11, "alias.reserved"),
    Case("duplicate-action-group", bot(GROUP + GROUP.replace("actionGroups:\n", "")), BOT, 14, 11,
         "unique.action-group"),
    Case("duplicate-function", bot(GROUP + GROUP.split("    functions:\n")[1]), BOT, 14, 15, "unique.function"),
    Case("duplicate-alias", bot("aliases:\n  - name: PROD\n  - name: PROD\n"), BOT, 7, 11, "unique.alias"),
    Case("duplicate-kb", bot("knowledgeBases:\n"
                             "  - { id: KB1234ABCD, description: HR policies for every employee question. }\n"
                             "  - { id: KB1234ABCD, description: HR policies for every employee question again. }\n"),
         BOT, 7, 11, "unique.knowledge-base"),
    # --- cross-references and consistency ---------------------------------------------------------
    Case("override-without-template", bot("prompts:\n  overrides:\n    ORCHESTRATION:\n      state: ENABLED\n"),
         BOT, 7, 5, "prompts.template-missing"),
    Case("parser-overridden-without-lambda", bot(
        "prompts:\n  overrides:\n    ORCHESTRATION:\n      template: Think step by step.\n      parser: OVERRIDDEN\n"),
         BOT, 9, 15, "prompts.parser-lambda-missing"),
    Case("parser-lambda-unused", bot(
        "prompts:\n  parserLambda: arn:aws:lambda:us-east-1:123456789012:function:parser\n"),
         BOT, 6, 17, "prompts.parser-lambda-unused"),
    Case("custom-orchestration-without-lambda", bot("orchestration: { type: CUSTOM_ORCHESTRATION }\n"),
         BOT, 5, 1, "orchestration.lambda-missing"),
    Case("builtin-with-executor", bot(
        "actionGroups:\n  - name: Ask\n    builtin: AMAZON.UserInput\n    executor: { returnControl: true }\n"),
         BOT, 8, 5, "action-group.builtin-extra"),
    Case("group-without-schema", bot(
        "actionGroups:\n  - name: Tools\n    description: Order tools for looking orders up.\n"
        "    executor: { lambda: \"${var.lam}\" }\n"), BOT, 6, 5, "action-group.schema-missing"),
    Case("group-with-two-schemas", bot(GROUP + "    openapi: { s3: { bucket: my-bucket, key: api.yaml } }\n"),
         BOT, 14, 5, "action-group.schema-both"),
    Case("group-without-executor", bot(GROUP.replace("    executor: { lambda: \"${var.lam}\" }\n", "")),
         BOT, 6, 5, "action-group.executor-missing"),
    Case("executor-both", bot(GROUP.replace(
        "executor: { lambda: \"${var.lam}\" }", "executor: { lambda: \"${var.lam}\", returnControl: true }")),
         BOT, 8, 15, "action-group.executor-both"),
    Case("collaborator-unknown-agent", {
        BOT: BASE + "collaboration:\n  mode: SUPERVISOR\n  collaborators:\n"
                    "    - { name: billing, agent: biling-agent, alias: PROD, instruction: Billing questions. }\n",
        "agents/billing.yaml": BASE.replace("name: bot", "name: billing-agent") + "aliases: [{ name: PROD }]\n",
    }, BOT, 8, 31, "collaborator.unknown-agent"),
    Case("collaborator-unknown-alias", {
        BOT: BASE + "collaboration:\n  mode: SUPERVISOR\n  collaborators:\n"
                    "    - { name: billing, agent: billing-agent, alias: PRDO, instruction: Billing questions. }\n",
        "agents/billing.yaml": BASE.replace("name: bot", "name: billing-agent") + "aliases: [{ name: PROD }]\n",
    }, BOT, 8, 53, "collaborator.unknown-alias"),
    Case("supervisor-without-collaborators", bot("collaboration: { mode: SUPERVISOR }\n"), BOT, 5, 24,
         "collaboration.no-collaborators"),
    Case("collaborator-self", bot("collaboration:\n  mode: SUPERVISOR\n  collaborators:\n"
                                  "    - { name: me, agent: bot, alias: PROD, instruction: Myself. }\n"),
         BOT, 8, 26, "collaborator.self"),
    Case("collaborator-both-refs", bot(
        "collaboration:\n  mode: SUPERVISOR\n  collaborators:\n"
        "    - name: x\n      agent: other\n      alias: PROD\n"
        "      aliasArn: arn:aws:bedrock:us-east-1:123456789012:agent-alias/AAAAAAAAAA/BBBBBBBBBB\n"
        "      instruction: Other questions.\n"), BOT, 8, 7, "collaborator.both"),
    Case("kb-not-in-world", bot("knowledgeBases:\n  - { id: KB0000WXYZ, description: HR policies for every employee. }\n"),
         BOT, 6, 11, "world.unknown-knowledge-base"),
    Case("duplicate-agent-name", {BOT: BASE, "agents/bot2.yaml": BASE}, "agents/bot2.yaml", 1, 7, "unique.agent"),
    # --- OpenAPI ---------------------------------------------------------------------------------
    Case("openapi-version", {BOT: BASE + api_group(), "api.yaml": OPENAPI_OK_HEAD.replace("3.0.0", "3.1.0") + op()},
         "api.yaml", 1, 10, "openapi.version"),
    Case("openapi-no-operation-id", {BOT: BASE + api_group(),
                                     "api.yaml": OPENAPI_OK_HEAD + op().replace("      operationId: getOrder\n", "")},
         "api.yaml", 5, 5, "openapi.operation-id-missing"),
    Case("openapi-duplicate-operation-id", {BOT: BASE + api_group(),
                                            "api.yaml": OPENAPI_OK_HEAD + op() + op(method="delete", path="/orders/x")},
         "api.yaml", 12, 20, "openapi.operation-id-duplicate"),
    Case("openapi-head-method", {BOT: BASE + api_group(), "api.yaml": OPENAPI_OK_HEAD + op(method="head")},
         "api.yaml", 5, 5, "openapi.method"),
    Case("openapi-get-with-body", {BOT: BASE + api_group(), "api.yaml": OPENAPI_OK_HEAD + op(
        extra="      requestBody: { content: { application/json: { schema: { type: object } } } }\n")},
         "api.yaml", 8, 7, "openapi.request-body-method"),
    Case("openapi-xml-body", {BOT: BASE + api_group(), "api.yaml": OPENAPI_OK_HEAD + op(
        method="post", extra="      requestBody:\n        content:\n          application/xml: { schema: { type: object } }\n")},
         "api.yaml", 10, 11, "openapi.content-type"),
    Case("openapi-tool-name-too-long", {BOT: BASE + api_group(),
                                        "api.yaml": OPENAPI_OK_HEAD + op(op_id="get" + "VeryLong" * 7)},
         "api.yaml", 7, 20, "openapi.tool-name-length"),
    Case("openapi-object-parameter", {BOT: BASE + api_group(), "api.yaml": OPENAPI_OK_HEAD + op(
        extra="      parameters:\n        - { name: filter, in: query, schema: { type: object } }\n")},
         "api.yaml", 9, 54, "openapi.parameter-type"),
    Case("openapi-path-without-slash", {BOT: BASE + api_group(), "api.yaml": OPENAPI_OK_HEAD + op(path="orders")},
         "api.yaml", 4, 3, "openapi.path"),
    Case("openapi-external-ref", {BOT: BASE + api_group(), "api.yaml": OPENAPI_OK_HEAD + op(
        extra="      parameters:\n        - $ref: 'https://example.com/p.yaml'\n")},
         "api.yaml", 9, 17, "openapi.external-ref"),
    Case("openapi-operation-id-chars", {BOT: BASE + api_group(), "api.yaml": OPENAPI_OK_HEAD + op(op_id="get.order")},
         "api.yaml", 7, 20, "openapi.operation-id-pattern"),
    Case("openapi-unparsable", {BOT: BASE + api_group(), "api.yaml": "openapi: [3.0.0\n"}, "api.yaml", 2, 1,
         "yaml.syntax"),
    # --- project / environment --------------------------------------------------------------------
    Case("overlay-breaks-spec", {BOT: BASE}, "agentctl.yaml", 12, 40, "schema.range",
         project=PROJECT.replace("      kb: KB1234ABCD\n",
                                 "      kb: KB1234ABCD\n    overlays: { bot: { idleSessionTtl: 5 } }\n", 1)),
    # A warning (a project may shrink to no agents, issue 12 item 4); an error with --strict.
    Case("glob-no-match", {BOT: BASE}, "agentctl.yaml", 2, 27, "project.glob-no-match", strict=True,
         project=PROJECT.replace('agents: ["agents/*.yaml"]', 'agents: ["agents/*.yaml", "more/*.yaml"]')),
    Case("project-unknown-key", {BOT: BASE}, "agentctl.yaml", 7, 5, "schema.unknown-key",
         project=PROJECT.replace("    target: local\n", "    target: local\n    regoin: us-east-1\n", 1)),
    Case("default-env-undefined", {BOT: BASE}, "agentctl.yaml", 3, 21, "project.unknown-environment",
         project=PROJECT.replace("defaultEnvironment: local", "defaultEnvironment: dev")),
    Case("state-on-aws-target", {BOT: BASE}, "agentctl.yaml", 22, 5, "project.local-only", env="prod",
         project=PROJECT + "    state: .agentctl/prod.db\n"),
    # --- warnings, made errors by --strict ---------------------------------------------------------
    Case("strict-thin-description", bot(GROUP.replace(
        "description: Look up one order by its ID and return its status.", "description: Get order.")),
         BOT, 11, 22, "description.thin", strict=True),
    Case("strict-unknown-tool-in-instruction", {BOT: BASE.replace(
        "instruction: You are a careful assistant that answers questions about customer orders.",
        "instruction: Answer questions about customer orders using the get_orders function.") + GROUP},
         BOT, 3, 14, "instruction.unknown-tool", strict=True),
    Case("strict-openapi-enum", {BOT: BASE + api_group(), "api.yaml": OPENAPI_OK_HEAD + op(
        extra="      parameters:\n        - { name: s, in: query, description: Status filter of orders., "
              "schema: { type: string, enum: [a, b] } }\n")},
         "api.yaml", 9, 96, "openapi.enum-unsupported", strict=True),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_invalid_spec_is_reported_at_its_position(case: Case, project, monkeypatch):
    monkeypatch.delenv("AGENTCTL_ENV", raising=False)
    root = project({**case.files, **case.extra}, project_file=case.project)
    with pytest.raises(SpecInvalid) as info:
        load_project(root, case.env, strict=case.strict)
    found = [(p.location.file, p.location.line, p.location.col, p.code) for p in info.value.problems
             if p.severity == "error"]
    assert (case.file, case.line, case.col, case.code) in found, "\n".join(p.render() for p in info.value.problems)


def test_there_are_at_least_forty_distinct_invalid_cases():
    assert len({c.id for c in CASES}) == len(CASES) >= 40
    assert len({c.code for c in CASES}) >= 40
