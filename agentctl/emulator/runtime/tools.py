"""The tools an agent version offers its model, and the check of the model's tool calls.

``catalogue(snapshot)`` lists one ``Tool`` per function (function-schema groups), per OpenAPI
operation, and per ENABLED knowledge base (Bedrock exposes a knowledge base to the model as a
search tool named ``GET__x_amz_knowledgebase_<id>__Search``). Tool names fit the Converse and
chat-completions rules (``[a-zA-Z0-9_-]{1,64}``); each carries a JSON Schema of its input.

``check(snapshot, use)`` turns what a model asked for (``ToolUse``) into a ``Call`` the
orchestrator can execute, or a ``ToolError`` saying what the version does not have (an unknown
action group, function, API path or parameter, a missing required parameter, a disabled
knowledge base): Bedrock's orchestration parser rejects such calls and the model sees why, so the
orchestrator reports them in the trace instead of crashing.

Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from agentctl.emulator.runtime.snapshot import (ActionGroup, AgentSnapshot, ApiOperation, Function,
                                                KnowledgeBase, Parameter)

KB_TOOL_PREFIX = "GET__x_amz_knowledgebase_"
_UNSAFE = re.compile(r"[^a-zA-Z0-9_-]+")


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    input_schema: Mapping[str, Any]
    kind: str
    """``function`` | ``api`` | ``knowledge_base``"""
    action_group: ActionGroup | None = None
    function: Function | None = None
    operation: ApiOperation | None = None
    knowledge_base: KnowledgeBase | None = None


@dataclass(frozen=True)
class ToolUse:
    """A tool call as a model produced it: by name (native tool calling) or spelled out
    (scripted models, parsed prompts)."""

    tool_name: str | None = None
    action_group: str | None = None
    function: str | None = None
    api_path: str | None = None
    http_method: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    request_body: Mapping[str, Any] | None = None
    knowledge_base_id: str | None = None
    query: str | None = None
    call_id: str | None = None
    """The provider's id of this call, echoed when its result is sent back."""

    @property
    def is_knowledge_base(self) -> bool:
        return self.knowledge_base_id is not None or self.query is not None or bool(
            self.tool_name and self.tool_name.startswith(KB_TOOL_PREFIX))

    def describe(self) -> str:
        if self.tool_name:
            return self.tool_name
        if self.is_knowledge_base:
            return f"knowledge base {self.knowledge_base_id or '(any)'}"
        target = self.function or f"{(self.http_method or 'GET').upper()} {self.api_path}"
        return f"{self.action_group}.{target}"


@dataclass(frozen=True)
class Value:
    name: str
    type: str
    value: str
    """Always a string: Bedrock sends every parameter value as text (§10.2)."""


@dataclass(frozen=True)
class Call:
    """A checked tool call."""

    kind: str
    """``function`` | ``api`` | ``knowledge_base``"""
    use: ToolUse
    group: ActionGroup | None = None
    function: Function | None = None
    operation: ApiOperation | None = None
    knowledge_base: KnowledgeBase | None = None
    parameters: tuple[Value, ...] = ()
    body: tuple[Value, ...] | None = None
    query: str = ""

    @property
    def require_confirmation(self) -> bool:
        return bool((self.function and self.function.require_confirmation)
                    or (self.operation and self.operation.require_confirmation))

    @property
    def tool_name(self) -> str:
        return tool_name_of(self)


class ToolError(Exception):
    """The model asked for something the agent version does not have."""


def _safe(*parts: str) -> str:
    return "__".join(_UNSAFE.sub("_", p).strip("_") or "x" for p in parts)[:64]


def _schema(params: tuple[Parameter, ...]) -> dict[str, Any]:
    props = {}
    for p in params:
        prop: dict[str, Any] = {"type": p.type if p.type in (
            "string", "number", "integer", "boolean", "array", "object") else "string"}
        if p.description:
            prop["description"] = p.description
        props[p.name] = prop
    return {"type": "object", "properties": props,
            "required": [p.name for p in params if p.required]}


def function_tool_name(f: Function) -> str:
    return _safe(f.action_group, f.name)


def api_tool_name(op: ApiOperation) -> str:
    return _safe(op.action_group, op.method, op.operation_id or op.path)


def kb_tool_name(kb: KnowledgeBase) -> str:
    return f"{KB_TOOL_PREFIX}{kb.id}__Search"


def tool_name_of(call: Call) -> str:
    if call.function is not None:
        return function_tool_name(call.function)
    if call.operation is not None:
        return api_tool_name(call.operation)
    if call.knowledge_base is not None:
        return kb_tool_name(call.knowledge_base)
    return "unknown"


def catalogue(snapshot: AgentSnapshot) -> tuple[Tool, ...]:
    tools: list[Tool] = []
    for g in snapshot.action_groups:
        for f in g.functions:
            tools.append(Tool(function_tool_name(f), f.description or f.name, _schema(f.parameters),
                              "function", action_group=g, function=f))
        for op in g.operations:
            tools.append(Tool(api_tool_name(op), op.description or f"{op.method} {op.path}",
                              _schema(op.parameters + op.body_properties), "api", action_group=g,
                              operation=op))
    for kb in snapshot.enabled_knowledge_bases:
        tools.append(Tool(kb_tool_name(kb), kb.description or f"Knowledge base {kb.id}",
                          {"type": "object", "properties": {"searchQuery": {
                              "type": "string", "description": "What to search the knowledge base for."}},
                           "required": ["searchQuery"]},
                          "knowledge_base", knowledge_base=kb))
    return tuple(tools)


def as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def check(snapshot: AgentSnapshot, use: ToolUse) -> Call:
    """The ``Call`` for ``use``; ``ToolError`` naming what is wrong otherwise."""
    if use.tool_name:
        use = _by_name(snapshot, use)
    if use.is_knowledge_base:
        return _kb_call(snapshot, use)
    group = snapshot.action_group(use.action_group or "")
    if group is None:
        known = ", ".join(g.name for g in snapshot.action_groups) or "none"
        raise ToolError(f"Action group {use.action_group!r} does not exist in this agent version "
                        f"(enabled action groups: {known}).")
    if group.schema_problem:
        raise ToolError(group.schema_problem)
    if use.function is not None:
        fn = group.function(use.function)
        if fn is None:
            known = ", ".join(f.name for f in group.functions) or "none"
            raise ToolError(f"Function {use.function!r} is not defined in action group {group.name} "
                            f"(functions: {known}).")
        values = _values(fn.parameters, use.parameters, f"function {fn.name}")
        return Call("function", use, group=group, function=fn, parameters=values)
    method = (use.http_method or "GET").upper()
    op = group.operation(use.api_path or "", method)
    if op is None:
        known = ", ".join(f"{o.method} {o.path}" for o in group.operations) or "none"
        raise ToolError(f"API {method} {use.api_path} is not defined in action group {group.name} "
                        f"(operations: {known}).")
    params = dict(use.parameters)
    body_in = dict(use.request_body or {})
    # Native tool calls give body properties next to the parameters: split them by the schema.
    for p in op.body_properties:
        if p.name in params and p.name not in body_in:
            body_in[p.name] = params.pop(p.name)
    values = _values(op.parameters, params, f"API {op.method} {op.path}")
    body = _values(op.body_properties, body_in, f"the request body of {op.method} {op.path}") \
        if op.body_content_type else None
    return Call("api", use, group=group, operation=op, parameters=values, body=body)


def _by_name(snapshot: AgentSnapshot, use: ToolUse) -> ToolUse:
    for tool in catalogue(snapshot):
        if tool.name != use.tool_name:
            continue
        if tool.kind == "knowledge_base":
            query = use.query if use.query is not None else as_text(use.parameters.get("searchQuery", ""))
            return ToolUse(knowledge_base_id=tool.knowledge_base.id, query=query,  # type: ignore[union-attr]
                           call_id=use.call_id, tool_name=None)
        if tool.kind == "function":
            return ToolUse(action_group=tool.action_group.name, function=tool.function.name,  # type: ignore[union-attr]
                           parameters=use.parameters, call_id=use.call_id)
        return ToolUse(action_group=tool.action_group.name, api_path=tool.operation.path,  # type: ignore[union-attr]
                       http_method=tool.operation.method, parameters=use.parameters,  # type: ignore[union-attr]
                       request_body=use.request_body, call_id=use.call_id)
    if use.tool_name and use.tool_name.startswith(KB_TOOL_PREFIX):
        kb_id = use.tool_name[len(KB_TOOL_PREFIX):].split("__", 1)[0]
        return ToolUse(knowledge_base_id=kb_id, query=as_text(use.parameters.get("searchQuery", "")),
                       call_id=use.call_id)
    raise ToolError(f"Tool {use.tool_name!r} does not exist in this agent version.")


def _kb_call(snapshot: AgentSnapshot, use: ToolUse) -> Call:
    enabled = snapshot.enabled_knowledge_bases
    kb_id = use.knowledge_base_id
    if kb_id is None:
        if len(enabled) != 1:
            raise ToolError("A knowledge-base query must name the knowledge base: this version has "
                            f"{len(enabled)} enabled knowledge bases.")
        kb_id = enabled[0].id
    kb = next((k for k in snapshot.knowledge_bases if k.id == kb_id), None)
    if kb is None:
        raise ToolError(f"Knowledge base {kb_id} is not associated with this agent version.")
    if kb.state != "ENABLED":
        raise ToolError(f"Knowledge base {kb_id} is DISABLED for this agent version.")
    if not (use.query or "").strip():
        raise ToolError(f"The query for knowledge base {kb_id} is empty.")
    return Call("knowledge_base", use, knowledge_base=kb, query=use.query or "")


def _values(declared: tuple[Parameter, ...], given: Mapping[str, Any], what: str) -> tuple[Value, ...]:
    by_name = {p.name: p for p in declared}
    unknown = [n for n in given if n not in by_name]
    if unknown:
        known = ", ".join(by_name) or "none"
        raise ToolError(f"Parameter {unknown[0]!r} is not defined for {what} (parameters: {known}).")
    missing = [p.name for p in declared if p.required and (given.get(p.name) is None or given.get(p.name) == "")]
    if missing:
        raise ToolError(f"Required parameter {missing[0]!r} of {what} is missing.")
    return tuple(Value(p.name, p.type, as_text(given[p.name])) for p in declared if given.get(p.name) is not None)


def render_tools(tools: tuple[Tool, ...]) -> str:
    """``$tools$``: the tool descriptions the prompt shows the model (a JSON list, as Bedrock's
    function-calling templates carry them)."""
    return json.dumps([{"name": t.name, "description": t.description, "input_schema": t.input_schema}
                       for t in tools], ensure_ascii=False, indent=2)


def render_functions(tools: tuple[Tool, ...]) -> str:
    """``$functions$`` of the pre-processing template: one line per action-group tool."""
    return "\n".join(f"<tool>{t.name}: {t.description}</tool>" for t in tools if t.kind != "knowledge_base")
