"""What InvokeAgent runs: the agent version an alias routes to, read from the emulator's store.

``resolve(tx, backend, agent_id, alias_id)`` follows the alias to its version (TSTALIASID ->
DRAFT, served from the snapshot the last successful PrepareAgent took; a numbered version from its
read-only copy) and returns an ``AgentSnapshot``: instruction, model, prompt configurations (with
the defaults the service fills in), memory, ENABLED action groups with their functions or OpenAPI
operations, and knowledge-base associations with description and state.

Errors are the service's (``ServiceError``): unknown agent or alias -> ResourceNotFoundException
(service-behaviour.md §10.5, verbatim text); an alias without a version, a paused alias or a DRAFT
never prepared -> a refusal whose class is a config switch (UNCONFIRMED, §12.12).

Must not: write to the store, or know about models, Lambdas or sessions.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Mapping

import yaml

from agentctl.emulator import defaults
from agentctl.emulator.control.base import (ACTION_GROUP, AGENT, AGENT_KB, ALIAS, DRAFT, PREPARED_DRAFT,
                                            TEST_ALIAS_ID, VERSION)
from agentctl.emulator.config import EmulatorConfig
from agentctl.emulator.errors import ServiceError, not_found
from agentctl.emulator.store import Tx

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    description: str = ""
    required: bool = False
    location: str = ""
    """OpenAPI only: ``path`` | ``query`` | ``header`` | ``body`` (request-body property)."""


@dataclass(frozen=True)
class Function:
    """A function of a function-schema action group."""

    action_group: str
    name: str
    description: str
    parameters: tuple[Parameter, ...]
    require_confirmation: bool = False


@dataclass(frozen=True)
class ApiOperation:
    """One operation (path + method) of an OpenAPI action group."""

    action_group: str
    path: str
    method: str
    """Upper case, as Bedrock sends ``httpMethod``."""
    operation_id: str
    description: str
    parameters: tuple[Parameter, ...]
    """Path, query and header parameters."""
    body_content_type: str | None = None
    body_properties: tuple[Parameter, ...] = ()
    require_confirmation: bool = False


@dataclass(frozen=True)
class ActionGroup:
    name: str
    id: str
    description: str
    execution: str
    """``LAMBDA`` or ``RETURN_CONTROL`` (the trace's ExecutionType)."""
    lambda_arn: str | None
    functions: tuple[Function, ...] = ()
    operations: tuple[ApiOperation, ...] = ()
    schema_problem: str | None = None
    """Why the group's tools could not be read (an S3 schema the emulator cannot fetch, ...)."""

    def function(self, name: str) -> Function | None:
        return next((f for f in self.functions if f.name == name), None)

    def operation(self, path: str, method: str) -> ApiOperation | None:
        return next((o for o in self.operations
                     if o.path == path and o.method == method.upper()), None)


@dataclass(frozen=True)
class KnowledgeBase:
    id: str
    description: str
    state: str


@dataclass(frozen=True)
class PromptConfig:
    prompt_type: str
    state: str
    creation_mode: str
    parser_mode: str
    template: str
    inference: Mapping[str, Any]


@dataclass(frozen=True)
class AgentSnapshot:
    agent_id: str
    agent_name: str
    agent_arn: str
    version: str
    alias_id: str
    alias_name: str
    alias_arn: str
    instruction: str
    foundation_model: str
    idle_ttl: int
    memory: Mapping[str, Any] | None
    """memoryConfiguration with defaults filled in, or None when memory is off."""
    prompts: Mapping[str, PromptConfig]
    action_groups: tuple[ActionGroup, ...]
    """ENABLED groups only: a DISABLED group is not offered to the model."""
    knowledge_bases: tuple[KnowledgeBase, ...]
    """Every association, ENABLED or not (the orchestrator uses the ENABLED ones)."""
    guardrail: Mapping[str, Any] | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    def prompt(self, prompt_type: str) -> PromptConfig:
        return self.prompts[prompt_type]

    def action_group(self, name: str) -> ActionGroup | None:
        return next((g for g in self.action_groups if g.name == name), None)

    @property
    def enabled_knowledge_bases(self) -> tuple[KnowledgeBase, ...]:
        return tuple(kb for kb in self.knowledge_bases if kb.state == "ENABLED")


def refusal(config: EmulatorConfig, message: str) -> ServiceError:
    return ServiceError(config.runtime_refusal_error, message)


def resolve(tx: Tx, config: EmulatorConfig, agent_id: str, alias_id: str) -> AgentSnapshot:
    agent = tx.get(AGENT, agent_id, DRAFT, "")
    if agent is None or agent.get("agentStatus") == "DELETING" or agent.get("_creation_failed"):
        raise not_found()
    alias = tx.get(ALIAS, agent_id, "", alias_id)
    if alias is None or alias.get("agentAliasStatus") == "DELETING":
        raise not_found()
    if alias.get("aliasInvocationState") == "REJECT_INVOCATIONS":
        # Text invented (UNCONFIRMED, §10.5): the alias is paused.
        raise refusal(config, f"Agent alias {alias_id} is not accepting invocations "
                              "(aliasInvocationState is REJECT_INVOCATIONS).")
    status = alias.get("agentAliasStatus")
    if status in ("CREATING", "FAILED"):
        # An alias that is not PREPARED yet (its version is still being cut) or whose creation
        # failed. Class and text UNCONFIRMED (§10.5); UPDATING keeps serving (the routing is set).
        raise refusal(config, f"Agent alias {alias_id} is in {status.title()} state and cannot be invoked. "
                              "Retry the request when the alias is PREPARED.")
    routing = alias.get("routingConfiguration") or []
    if not routing:
        raise refusal(config, f"Agent alias {alias_id} is not associated with an agent version.")
    version = routing[0].get("agentVersion") or DRAFT
    if version == DRAFT:
        agent_doc, groups, kbs = _draft(tx, config, agent)
    else:
        vdoc = tx.get(VERSION, agent_id, version, "")
        if vdoc is None or vdoc.get("agentStatus") == "DELETING":
            raise not_found()
        agent_doc = vdoc
        groups = [r.doc for r in tx.rows(ACTION_GROUP, agent=agent_id, version=version)]
        kbs = [r.doc for r in tx.rows(AGENT_KB, agent=agent_id, version=version)]
    return build(agent_doc, groups, kbs, config, version=version, alias=alias)


def _draft(tx: Tx, config: EmulatorConfig, agent: dict[str, Any]) -> tuple[dict[str, Any], list, list]:
    snap = tx.get(PREPARED_DRAFT, agent["agentId"], DRAFT, "")
    if snap is not None:
        return snap["agent"], snap.get(ACTION_GROUP, []), snap.get(AGENT_KB, [])
    if agent.get("agentStatus") == "PREPARED":
        # A state file written before prepared snapshots were kept: the DRAFT as it is.
        agent_id = agent["agentId"]
        return (agent, [r.doc for r in tx.rows(ACTION_GROUP, agent=agent_id, version=DRAFT)],
                [r.doc for r in tx.rows(AGENT_KB, agent=agent_id, version=DRAFT)])
    # §10.5: invoking TSTALIASID before the DRAFT was ever prepared. Class and text UNCONFIRMED.
    raise refusal(config, f"Agent {agent['agentId']} has not been prepared. Call PrepareAgent and "
                          "wait for the agent to be PREPARED before invoking the DRAFT version "
                          "(alias TSTALIASID).")


def build(agent: Mapping[str, Any], groups: list[Mapping[str, Any]], kbs: list[Mapping[str, Any]],
          config: EmulatorConfig, *, version: str, alias: Mapping[str, Any]) -> AgentSnapshot:
    """An ``AgentSnapshot`` from stored documents (pure; exposed for unit tests)."""
    memory = defaults.filled_memory(agent.get("memoryConfiguration"),
                                    storage_days=config.memory_storage_days_default,
                                    max_recent_sessions=config.memory_max_recent_sessions_default)
    filled = defaults.filled_prompt_override(
        agent.get("promptOverrideConfiguration"), memory_enabled=memory is not None,
        pre_processing_state=config.pre_processing_default_state, include_memory_summarization=True)
    prompts = {}
    for entry in filled["promptConfigurations"]:
        ptype = entry["promptType"]
        base = defaults.default_prompt_configuration(
            ptype, memory_enabled=memory is not None,
            pre_processing_state=config.pre_processing_default_state)
        prompts[ptype] = PromptConfig(
            prompt_type=ptype, state=entry.get("promptState") or base["promptState"],
            creation_mode=entry.get("promptCreationMode") or "DEFAULT",
            parser_mode=entry.get("parserMode") or "DEFAULT",
            # A DEFAULT-mode entry uses the default template whatever else it carries (§6.2).
            template=(entry.get("basePromptTemplate") if entry.get("promptCreationMode") == "OVERRIDDEN"
                      and entry.get("basePromptTemplate") else base["basePromptTemplate"]),
            inference=copy.deepcopy(entry.get("inferenceConfiguration") or base["inferenceConfiguration"]))
    action_groups = tuple(_action_group(g) for g in groups
                          if (g.get("actionGroupState") or "ENABLED") == "ENABLED"
                          and not g.get("parentActionGroupSignature"))
    knowledge_bases = tuple(
        KnowledgeBase(id=k["knowledgeBaseId"], description=k.get("description") or "",
                      state=k.get("knowledgeBaseState") or config.knowledge_base_state_default)
        for k in kbs)
    agent_id = agent["agentId"]
    return AgentSnapshot(
        agent_id=agent_id, agent_name=agent.get("agentName", ""), agent_arn=agent.get("agentArn", ""),
        version=version, alias_id=alias.get("agentAliasId", TEST_ALIAS_ID),
        alias_name=alias.get("agentAliasName", ""), alias_arn=alias.get("agentAliasArn", ""),
        instruction=agent.get("instruction") or "", foundation_model=agent.get("foundationModel") or "",
        idle_ttl=int(agent.get("idleSessionTTLInSeconds") or config.idle_session_ttl_default),
        memory=memory, prompts=prompts, action_groups=action_groups, knowledge_bases=knowledge_bases,
        guardrail=agent.get("guardrailConfiguration"), raw=dict(agent))


# --- action groups --------------------------------------------------------------------------------

def _action_group(doc: Mapping[str, Any]) -> ActionGroup:
    name = doc["actionGroupName"]
    executor = doc.get("actionGroupExecutor") or {}
    execution = "RETURN_CONTROL" if executor.get("customControl") == "RETURN_CONTROL" else "LAMBDA"
    functions: tuple[Function, ...] = ()
    operations: tuple[ApiOperation, ...] = ()
    problem = None
    if doc.get("functionSchema"):
        functions = tuple(_function(name, f) for f in doc["functionSchema"].get("functions") or [])
    elif doc.get("apiSchema"):
        payload = doc["apiSchema"].get("payload")
        if payload:
            try:
                operations = tuple(_operations(name, yaml.safe_load(payload)))
            except (yaml.YAMLError, AttributeError, TypeError) as exc:
                problem = f"the OpenAPI schema of action group {name} cannot be read ({exc})"
        else:
            problem = (f"the OpenAPI schema of action group {name} is in S3, which the local "
                       "emulator cannot read; give it inline or as a project file")
    return ActionGroup(name=name, id=doc.get("actionGroupId", ""), description=doc.get("description") or "",
                       execution=execution, lambda_arn=executor.get("lambda"), functions=functions,
                       operations=operations, schema_problem=problem)


def _function(group: str, f: Mapping[str, Any]) -> Function:
    params = tuple(Parameter(name=pname, type=str(p.get("type") or "string"),
                             description=p.get("description") or "", required=bool(p.get("required")))
                   for pname, p in (f.get("parameters") or {}).items())
    return Function(action_group=group, name=f["name"], description=f.get("description") or "",
                    parameters=params, require_confirmation=f.get("requireConfirmation") == "ENABLED")


def _operations(group: str, doc: Any) -> list[ApiOperation]:
    out = []
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters") or []
        for method, op in item.items():
            if method not in HTTP_METHODS or not isinstance(op, dict):
                continue
            params = []
            for p in [*shared, *(op.get("parameters") or [])]:
                if isinstance(p, dict) and p.get("name"):
                    params.append(Parameter(name=p["name"], type=str((p.get("schema") or {}).get("type") or "string"),
                                            description=p.get("description") or "",
                                            required=bool(p.get("required")), location=p.get("in") or "query"))
            body_type, body_props = None, ()
            content = ((op.get("requestBody") or {}).get("content") or {})
            if content:
                body_type = next(iter(content))
                schema = (content[body_type] or {}).get("schema") or {}
                required = set(schema.get("required") or [])
                body_props = tuple(Parameter(name=n, type=str((s or {}).get("type") or "string"),
                                             description=(s or {}).get("description") or "",
                                             required=n in required, location="body")
                                   for n, s in (schema.get("properties") or {}).items())
            out.append(ApiOperation(
                action_group=group, path=path, method=method.upper(),
                operation_id=op.get("operationId") or "", description=op.get("description") or op.get("summary") or "",
                parameters=tuple(params), body_content_type=body_type, body_properties=body_props,
                require_confirmation=op.get("x-requireConfirmation") == "ENABLED"))
    return out
