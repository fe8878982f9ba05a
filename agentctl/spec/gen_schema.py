"""Generate the published JSON Schemas (``specs/*.schema.json`` and the package copies under
``agentctl/schemas/``) from hand-written skeletons plus botocore's service model.

The skeletons below give structure, titles and descriptions (what an editor shows). Every
constraint that botocore's bedrock-agent model has (name patterns, lengths, enums, ranges) is
*not* typed here: a property carries ``"x-bedrock": "Operation:member.path"`` (for agent specs,
put there from the field table, ``agentctl.spec.fields.schema_annotations``, so the schema and
the request mapping cannot disagree about which member a key is) and the generator fills ``pattern`` / ``minLength`` / ``maxLength`` / ``enum`` / ``minimum`` / ``maximum`` /
``minItems`` / ``maxItems`` from the model. A botocore upgrade therefore moves the schema with it
(``tests/spec/test_schema_generated.py`` fails until ``python -m agentctl.spec.gen_schema`` is
re-run). The only deliberate departures from the model are named constants from ``rules``
(service-behaviour.md §6.2/§6.3): the instruction quota (20,000, not the model's stale 4000) and
ROUTING_CLASSIFIER (accepted by CloudFormation, absent from the control-plane enum).

Must not: validate anything itself, or import anything that does I/O at import time.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

from agentctl.core.servicemodel import ListShape, MapShape, Shape

from agentctl.core import servicemodel
from agentctl.spec import eval_schema, fields
from agentctl.spec import rules_constants as rc
from agentctl.spec.schema_common import DRAFT, SCHEMA_BASE, dumps, report_written, write_schemas
from agentctl.spec.schema_common import obj as _obj
from agentctl.spec.schema_common import prop as _p

NAMES = ("agent", "project")

# A string may carry ${var.X} / ${env.X} until interpolation; editors see it uninterpolated, so a
# generated pattern also accepts any string containing an interpolation. agentctl validates the
# interpolated value, and the Bedrock-rules layer re-checks every value against the model anyway.
_INTERP_ALT = r".*\$\{(?:var|env)\.[^}]+\}.*"


def _text_or_file(title: str, description: str, **extra: Any) -> dict[str, Any]:
    string = _p(title, description + " Inline text.", "string", **extra)
    return _p(title, description, oneOf=[
        string,
        {"$ref": "#/$defs/fileInclude"},
    ])


def _tags(title: str) -> dict[str, Any]:
    return _p(title, "Tag key -> value (agentctl adds its own ownership tags).", "object",
              additionalProperties=_p("Tag value", "Tag value.", "string"))


def agent_skeleton() -> dict[str, Any]:
    prompt_types = {"x-extra-enum": list(rc.EXTRA_PROMPT_TYPES)}
    override = _obj(
        "Prompt override",
        "Overrides one step's prompt (promptCreationMode OVERRIDDEN). Only `state: DISABLED` needs "
        "no template.",
        {
            "state": _p("State", "promptState: whether this step runs.", "string"),
            "template": _text_or_file("Template", "basePromptTemplate for this step."),
            "inference": _obj("Inference configuration", "inferenceConfiguration for this step.", {
                "temperature": _p("Temperature", "Randomness of the response.", "number"),
                "topP": _p("Top P", "Nucleus sampling cut-off.", "number"),
                "topK": _p("Top K", "Number of most-likely candidates considered.", "integer"),
                "maximumLength": _p("Maximum length", "Maximum number of tokens in the response.", "integer"),
                "stopSequences": _p("Stop sequences", "Sequences that stop generation.", "array",
                                    items=_p("Stop sequence", "One stop sequence.", "string")),
            }),
            "parser": _p("Parser mode", "parserMode: OVERRIDDEN hands this step's output to prompts.parserLambda.",
                         "string"),
            "model": _p("Model", "Per-step foundationModel (optional).", "string"),
            "additionalModelRequestFields": _p(
                "Additional model request fields", "Free-form JSON passed to the model (e.g. reasoning config).",
                "object"),
        },
    )
    function = _obj("Function", "One tool of a function-schema action group.", {
        "name": _p("Name", "Function name the model calls.", "string"),
        "description": _p("Description", "What the function does and when to use it: the model chooses tools "
                          "by this text.", "string"),
        "requireConfirmation": _p("Require confirmation", "Ask the user to confirm before calling "
                                  "(requireConfirmation ENABLED).", "boolean"),
        "parameters": _p("Parameters", "Parameter name -> details.", "object",
                         additionalProperties=_obj("Parameter", "One function parameter.", {
                             "type": _p("Type", "Parameter type.", "string"),
                             "description": _p("Description", "What the parameter means, with an example value.",
                                               "string"),
                             "required": _p("Required", "Whether the model must supply it (default false).", "boolean"),
                         }, required=["type"])),
    }, required=["name"])
    action_group = _obj("Action group", "A group of tools: functions or an OpenAPI schema, run by a Lambda or "
                        "returned to the caller; or a built-in group (`builtin`).", {
        "name": _p("Name", "actionGroupName, unique within the agent.", "string"),
        "description": _p("Description", "What this group is for.", "string"),
        "state": _p("State", "actionGroupState (default ENABLED).", "string"),
        "executor": _obj("Executor", "Who runs the tools: a Lambda function, or the caller (return of control).", {
            "lambda": _p("Lambda", "Lambda function ARN (optional :qualifier).", "string"),
            "returnControl": _p("Return control", "true: return tool calls to the caller (customControl "
                                "RETURN_CONTROL).", "boolean"),
            "handler": _p("Local handler", "module:function run by agentctl's local target for returned calls "
                          "(agentctl only; not sent to AWS).", "string", pattern=rc.HANDLER_PATTERN),
        }),
        "functions": _p("Functions", "functionSchema: the tools of this group.", "array", items=function, minItems=1),
        "openapi": _obj("OpenAPI schema", "apiSchema: exactly one of file, inline or s3.", {
            "file": _p("File", "Path of an OpenAPI 3.0 YAML/JSON file, relative to this spec.", "string", minLength=1),
            "inline": _p("Inline", "The OpenAPI 3.0 document itself.", "object"),
            "s3": _obj("S3 object", "An OpenAPI document in S3 (not checked offline).", {
                "bucket": _p("Bucket", "s3BucketName.", "string"),
                "key": _p("Key", "s3ObjectKey.", "string"),
            }, required=["bucket", "key"]),
        }, minProperties=1, maxProperties=1),
        "builtin": _p("Built-in signature", "parentActionGroupSignature: a built-in group; no executor, schema "
                      "or description.", "string"),
        "builtinParams": _p("Built-in parameters", "parentActionGroupSignatureParams, e.g. {type: computer_20241022}.",
                            "object", additionalProperties=_p("Value", "Parameter value.", "string")),
    }, required=["name"])
    kb = _obj("Knowledge base", "An existing knowledge base associated with the agent.", {
        "id": _p("Id", "knowledgeBaseId.", "string"),
        "description": _p("Description", "When the agent should search it: the model decides by this text.",
                          "string"),
        "state": _p("State", "knowledgeBaseState (default ENABLED).", "string"),
    }, required=["id", "description"])
    collaborator = _obj("Collaborator", "Another agent this supervisor can delegate to: `agent` + `alias` of this "
                        "project, or an `aliasArn`.", {
        "name": _p("Name", "collaboratorName.", "string"),
        "agent": _p("Agent", "Name of another agent of this project.", "string"),
        "alias": _p("Alias", "Alias of that agent (resolved to its alias ARN).", "string"),
        "aliasArn": _p("Alias ARN", "Alias ARN of an agent outside the project.", "string"),
        "instruction": _p("Instruction", "collaborationInstruction: when to hand over to this collaborator.",
                          "string"),
        "relayConversationHistory": _p("Relay conversation history", "true: send the conversation history "
                                       "(TO_COLLABORATOR).", "boolean"),
    }, required=["name", "instruction"])
    alias = _obj("Alias", "A named pointer at a version; applications invoke aliases.", {
        "name": _p("Name", "agentAliasName.", "string"),
        "description": _p("Description", "Alias description.", "string"),
        "track": _p("Track", "latest: apply moves it to each new version; pinned (default): only promote/rollback.",
                    "string", enum=list(rc.TRACKS)),
        "tags": _tags("Tags"),
        "invocationState": _p("Invocation state", "aliasInvocationState: REJECT_INVOCATIONS pauses the alias.",
                              "string"),
    }, required=["name"])
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_BASE + "agent.schema.json",
        "title": "agentctl agent spec",
        "description": "One Amazon Bedrock agent (docs/spec-format.md).",
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "model", "instruction", "role"],
        "$defs": {
            "fileInclude": _obj("File include", "Text of a file, relative to this spec, inside the project.", {
                "file": _p("File", "Path relative to the including file.", "string", minLength=1),
            }, required=["file"]),
        },
        "properties": {
            "name": _p("Name", "agentName: unique per account and region.", "string"),
            "description": _p("Description", "Agent description.", "string"),
            "model": _p("Model", "foundationModel: model id, model ARN or inference profile.", "string"),
            "instruction": _text_or_file("Instruction", "What the agent does and how (system prompt).",
                                         maxLength=rc.INSTRUCTION_MAX_CHARS),
            "role": _p("Role", "agentResourceRoleArn: the IAM role the agent runs as.", "string"),
            "idleSessionTtl": _p("Idle session TTL", "idleSessionTTLInSeconds (default 1800).", "integer"),
            "encryptionKey": _p("Encryption key", "customerEncryptionKeyArn (KMS key ARN).", "string"),
            "tags": _tags("Tags"),
            "guardrail": _obj("Guardrail", "guardrailConfiguration.", {
                "id": _p("Id", "guardrailIdentifier (id or ARN).", "string"),
                "version": _p("Version", "guardrailVersion: DRAFT or a number, quoted.", "string"),
            }, required=["id", "version"]),
            "memory": _obj("Memory", "memoryConfiguration; absent = memory disabled.", {
                "type": _p("Type", "The memory type.", "string"),
                "storageDays": _p("Storage days", "Days summaries are kept.", "integer"),
                "maxRecentSessions": _p("Max recent sessions", "Sessions summarised into memory.", "integer"),
            }, required=["type"]),
            "orchestration": _obj("Orchestration", "orchestrationType / customOrchestration; absent = DEFAULT.", {
                "type": _p("Type", "orchestrationType.", "string"),
                "lambda": _p("Lambda", "customOrchestration.executor.lambda.", "string"),
            }, required=["type"]),
            "prompts": _obj("Prompts", "promptOverrideConfiguration.", {
                "parserLambda": _p("Parser Lambda", "overrideLambda: parses steps with `parser: OVERRIDDEN`.",
                                   "string"),
                "overrides": _p("Overrides", "promptType -> override.", "object",
                                propertyNames=_p("Prompt type", "promptType.", "string", **prompt_types),
                                additionalProperties=override),
            }),
            "actionGroups": _p("Action groups", "Tools the agent can call.", "array", items=action_group),
            "knowledgeBases": _p("Knowledge bases", "Knowledge bases the agent can search.", "array", items=kb),
            "collaboration": _obj("Collaboration", "Multi-agent collaboration; absent = DISABLED.", {
                "mode": _p("Mode", "agentCollaboration: SUPERVISOR (plans with its collaborators) or "
                       "SUPERVISOR_ROUTER (routes each request to one); omit `collaboration` to disable.",
                       "string",
                           **{"x-exclude-enum": ["DISABLED"]}),
                "collaborators": _p("Collaborators", "Agents this supervisor delegates to.", "array",
                                    items=collaborator),
            }, required=["mode"]),
            "aliases": _p("Aliases", "Aliases of this agent.", "array", items=alias),
        },
    }


def _env_tolerant(pattern: str) -> str:
    """An anchored pattern that also accepts a value containing ${env.NAME}: the environment
    block is interpolated after this schema check and re-checked against it afterwards."""
    return f"^(?:(?:{pattern.lstrip('^').rstrip('$')})|.*\\$\\{{env\\.[^}}]+\\}}.*)$"


def project_skeleton() -> dict[str, Any]:
    world_kb = _obj("World knowledge base", "A knowledge base that exists on the local target.", {
        "id": _p("Id", "knowledgeBaseId.", "string", **{"x-bedrock": "AssociateAgentKnowledgeBase:knowledgeBaseId"}),
        "name": _p("Name", "Knowledge base name.", "string", minLength=1),
        "description": _p("Description", "What it contains.", "string"),
        "documents": _p("Documents", "Files (or globs) in the project the local runtime retrieves from "
                        "(ranked with BM25; docs/local-runtime.md).", "array",
                        items=_p("Document", "A file or glob relative to agentctl.yaml, e.g. kb/hr/*.md.",
                                 "string", minLength=1)),
    }, required=["id"])
    world_lambda = _obj("World Lambda", "A Lambda ARN served by a local Python handler.", {
        "arn": _p("ARN", "Lambda function ARN.", "string", **{"x-bedrock": "CreateAgentActionGroup:actionGroupExecutor.lambda"}),
        "handler": _p("Handler", "module:function, importable from the project directory.", "string",
                      pattern=rc.HANDLER_PATTERN),
    }, required=["arn", "handler"])
    runtime_model = _obj("Runtime model", "The foundation model the local runtime runs agents with "
                         "(docs/local-runtime.md).", {
        "provider": _p("Provider", "scripted: a YAML file of model turns; bedrock: Bedrock Runtime's Converse "
                       "API; openai-compatible: any chat-completions endpoint with tool calling.", "string",
                       enum=["scripted", "bedrock", "openai-compatible"]),
        "file": _p("File", "scripted: the model file, relative to agentctl.yaml.", "string", minLength=1),
        "modelId": _p("Model id", "bedrock: the model to call (default: the agent's foundationModel).", "string",
                      minLength=1),
        "region": _p("Region", "bedrock: the Bedrock Runtime region (default: the environment's).", "string",
                     pattern=_env_tolerant(rc.REGION_PATTERN)),
        "profile": _p("Profile", "bedrock: the AWS profile to call Bedrock Runtime with.", "string", minLength=1),
        "endpoint": _p("Endpoint", "bedrock: a Bedrock Runtime endpoint URL override.", "string",
                       pattern=_env_tolerant(r"^https?://.*$")),
        "baseUrl": _p("Base URL", "openai-compatible: the API base, e.g. http://127.0.0.1:11434/v1.", "string",
                      pattern=_env_tolerant(r"^https?://.*$")),
        "model": _p("Model", "openai-compatible: the model name the endpoint serves.", "string", minLength=1),
        "apiKeyEnv": _p("API key variable", "openai-compatible: the environment variable holding the API key "
                        "(never the key itself).", "string", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$"),
        "timeout": _p("Timeout", "openai-compatible: seconds to wait for one completion.", "number",
                      exclusiveMinimum=0),
    }, required=["provider"])
    environment = _obj("Environment", "Where and how the project is deployed.", {
        "target": _p("Target", "local: the built-in emulator; aws: Amazon Bedrock.", "string", enum=list(rc.TARGETS)),
        "region": _p("Region", "AWS region.", "string", pattern=_env_tolerant(rc.REGION_PATTERN)),
        "account": _p("Account", "12-digit AWS account id (quoted).", "string",
                      pattern=_env_tolerant(rc.ACCOUNT_PATTERN)),
        "profile": _p("Profile", "AWS profile (aws target).", ["string", "null"], minLength=1),
        "endpoint": _p("Endpoint", "Endpoint URL override.", ["string", "null"],
                       pattern=_env_tolerant(r"^https?://.*$")),
        "state": _p("State", "Emulator database path, relative to the project (local target).", "string", minLength=1),
        "backend": _obj("State backend", "Where the lock and the records (applied plans, eval runs, "
                        "promotions) live: local (.agentctl/ in the project, the default) or s3 "
                        "(shared by every clone and CI runner).", {
            "type": _p("Type", "local or s3.", "string", enum=["local", "s3"]),
            "bucket": _p("Bucket", "S3 bucket (s3).", "string", pattern=_env_tolerant(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")),
            "prefix": _p("Key prefix", "Key prefix of the lock and records (default "
                         "agentctl/<project>/<environment>).", "string", minLength=1),
            "region": _p("Region", "The bucket's region (default: the environment's region).", "string",
                         pattern=_env_tolerant(rc.REGION_PATTERN)),
            "lockExpiry": _p("Lock expiry", "Seconds after which a lock whose holder never released it "
                             "may be taken over (default 3600).", "integer", minimum=60),
        }, required=["type"]),
        "variables": _p("Variables", "Values for ${var.NAME}: a value, or {value, sensitive: true} for "
                        "one never shown (plans, drift, errors, logs show (sensitive value)).", "object",
                        propertyNames=_p("Variable name", "Variable name.", "string", pattern=rc.VARIABLE_NAME_PATTERN),
                        additionalProperties={"oneOf": [
                            _p("Value", "Variable value.", ["string", "number", "boolean"]),
                            _obj("Variable", "A variable with options.", {
                                "value": _p("Value", "Variable value (e.g. ${env.API_KEY}).",
                                            ["string", "number", "boolean"]),
                                "sensitive": _p("Sensitive", "Never show the value: plans, drift, status, "
                                                "errors and logs show (sensitive value); saved plans keep "
                                                "a digest.", "boolean"),
                            }, required=["value"]),
                        ]}),
        "world": _obj("World", "What exists outside the agents on the local target.", {
            "knowledgeBases": _p("Knowledge bases", "Knowledge bases that exist.", "array", items=world_kb),
            "lambdas": _p("Lambdas", "Lambda functions and their local handlers.", "array", items=world_lambda),
        }),
        "runtime": _obj("Runtime", "How the local target runs agents (invoke, chat, eval).", {
            "model": runtime_model,
        }),
        "overlays": _p("Overlays", "Agent name -> partial agent spec, deep-merged over that agent's spec "
                       "(maps merge, lists are replaced).", "object",
                       additionalProperties=_p("Overlay", "Partial agent spec.", "object")),
    }, required=["target", "region", "account"])
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_BASE + "project.schema.json",
        "title": "agentctl project file (agentctl.yaml)",
        "description": "Project name, agent spec globs and environments (docs/spec-format.md).",
        "type": "object",
        "additionalProperties": False,
        "required": ["project", "agents", "environments"],
        "properties": {
            "project": _p("Project", "Project name; written into ownership tags.", "string",
                          **{"x-bedrock": "CreateAgent:tags#value"}, minLength=1),
            "agents": _p("Agents", "Globs of agent spec files, relative to this file; may be empty (a "
                         "project with no agents, e.g. to prune the last one).", "array",
                         items=_p("Glob", "A glob such as agents/*.yaml.", "string", minLength=1)),
            "defaultEnvironment": _p("Default environment", "Used when neither -e/--env nor AGENTCTL_ENV is given.",
                                     "string", pattern=rc.ENV_NAME_PATTERN),
            "settings": _obj("Settings", "Project-wide settings.", {
                "versionRetention": _p("Version retention", "Unreferenced numbered versions kept by apply.",
                                       "integer", minimum=0),
                # agentctl's own settings (no botocore shape): defined with the eval suite schema.
                "gates": eval_schema.gates_schema(),
                "evalSuites": eval_schema.eval_suites_setting(),
                "judge": eval_schema.judge_setting(),
            }),
            "environments": _p("Environments", "Environment name -> settings.", "object", minProperties=1,
                               propertyNames=_p("Environment name", "Environment name.", "string",
                                                pattern=rc.ENV_NAME_PATTERN),
                               additionalProperties=environment),
        },
    }


# --- generation ---------------------------------------------------------------------------------

def _resolve(ref: str) -> tuple[Shape, str]:
    op, _, rest = ref.partition(":")
    dotted, _, mode = rest.partition("#")
    return servicemodel.member_shape(op, dotted), mode


def _fill(node: Any) -> Any:
    if isinstance(node, list):
        return [_fill(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _fill(v) for k, v in node.items()}
    ref = out.get("x-bedrock")
    if isinstance(ref, str):
        _apply(out, ref)
    return out


def _apply(prop: dict[str, Any], ref: str) -> None:
    shape, mode = _resolve(ref)
    if mode in ("item", "value") and isinstance(shape, (ListShape, MapShape)):
        shape = shape.member if isinstance(shape, ListShape) else shape.value
    c = servicemodel.shape_constraints(shape)
    extra_enum = prop.pop("x-extra-enum", [])
    exclude_enum = prop.pop("x-exclude-enum", [])
    if mode == "map":
        assert isinstance(shape, MapShape), ref
        kc = servicemodel.shape_constraints(shape.key)
        names: dict[str, Any] = {}
        _string_constraints(names, kc)
        if names:
            prop["propertyNames"] = names
        _set(prop, "minProperties", c.get("min"))
        _set(prop, "maxProperties", c.get("max"))
        return
    if mode == "list-as-map":
        _set(prop, "maxProperties", c.get("max"))
        return
    t = prop.get("type")
    if t == "string":
        _string_constraints(prop, c, extra_enum, exclude_enum)
    elif t in ("integer", "number"):
        _set(prop, "minimum", c.get("min"))
        _set(prop, "maximum", c.get("max"))
    elif t == "array":
        _set(prop, "minItems", c.get("min"))
        _set(prop, "maxItems", c.get("max"))
    else:
        # propertyNames of a list-as-map (prompt types) carry no "type" key twice; strings only.
        _string_constraints(prop, c, extra_enum, exclude_enum)


def _string_constraints(prop: dict[str, Any], c: dict[str, Any], extra_enum: list[str] = (),
                        exclude_enum: list[str] = ()) -> None:
    if "enum" in c:
        prop["enum"] = [v for v in c["enum"] if v not in exclude_enum] + list(extra_enum)
        return
    _set(prop, "minLength", c.get("min"))
    _set(prop, "maxLength", c.get("max"))
    if "pattern" in c:
        prop["pattern"] = f"^(?:(?:{c['pattern']})|{_INTERP_ALT})$"


def _set(prop: dict[str, Any], key: str, value: Any) -> None:
    # A value the skeleton sets explicitly wins (only the instruction quota does this).
    if value is not None and key not in prop:
        prop[key] = value


def annotate(skeleton: dict[str, Any]) -> dict[str, Any]:
    """Put the field table's ``x-bedrock`` annotations (``fields.schema_annotations``) on the
    agent skeleton. A location the skeleton lacks is a bug in one of the two: fail loudly."""
    for location, ref in fields.schema_annotations():
        node: Any = skeleton
        for step in location:
            if "oneOf" in node and step != "oneOf":
                node = next(b for b in node["oneOf"] if b.get("type") == "string")
            if not isinstance(node, dict) or step not in node:
                raise KeyError(f"field table location {'/'.join(location)} is not in the schema skeleton")
            node = node[step]
        if "oneOf" in node:  # text or file include: the inline string carries the member
            node = next(b for b in node["oneOf"] if b.get("type") == "string")
        _insert_after_type(node, "x-bedrock", ref)
    return skeleton


def _insert_after_type(node: dict[str, Any], key: str, value: Any) -> None:
    # Kept right after title/description/type so a generated property reads in that order.
    items = list(node.items())
    at = next((i + 1 for i, (k, _) in enumerate(items) if k == "type"), len(items))
    node.clear()
    node.update(items[:at] + [(key, value)] + items[at:])


def generate(name: str) -> dict[str, Any]:
    skeleton = {"agent": lambda: annotate(agent_skeleton()), "project": project_skeleton}[name]()
    return _fill(copy.deepcopy(skeleton))


def render(name: str) -> str:
    return dumps(generate(name))


def write(targets: list[Path] | None = None) -> list[Path]:
    return write_schemas({name: functools.partial(render, name) for name in NAMES}, targets)


def main(argv: list[str] | None = None) -> int:
    return report_written(write())


if __name__ == "__main__":
    raise SystemExit(main())
