"""THE field table: every key of an agent spec, the bedrock-agent request member it becomes, and
how its value converts. Everything that relates spec keys to API members is derived from it:

- the spec -> request mapping (``agentctl.spec.mapping``: ``to_config`` for the planner,
  ``requests`` for botocore validation, with the member -> spec-path ``origin`` of every member
  so a botocore ``Violation`` is reported at the right line);
- the ``x-bedrock`` annotations of the published JSON Schema (``agentctl.spec.gen_schema`` puts
  ``schema_annotations()`` on its hand-written skeleton; the generator then fills patterns,
  lengths and enums from botocore's model);
- the inverse live -> spec mapping (``mapping.spec_document``: a canonical ``AgentConfig``, e.g.
  one read back by ``agentctl.aws.live``, as a spec document), which ``agentctl import`` uses.

A resource (the agent, an action group, a function, ...) is a tuple of ``Field``s. A field names
its spec path (dotted, relative to the resource's spec object), its member path (dotted, relative
to the resource's request object) and a ``kind`` saying how the value converts both ways. The
generic ``to_members`` / ``from_members`` / ``origins`` below interpret the table; no other module
spells a spec key next to a member name.

The table is a mapping only: no service default is filled in and nothing is sorted (that is
``agentctl.core.normalize``'s job, on both sides of the diff).

Must not: read files, validate, import botocore, or raise on a document that failed schema
validation (values of the wrong type are skipped, never converted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from agentctl.core.model import Ref, is_mapping

# --- kinds: how one value converts ----------------------------------------------------------------
VALUE = "value"
"""Copied as is, both ways."""
GROUP = "group"
"""A spec object that becomes a request structure; its own fields fill it. Present as ``{}``
when the spec object is present (so a missing required member is reported at the object)."""
ONE_ITEM = "one-item"
"""A scalar in the spec, a one-item list in the API (``memory.type`` -> enabledMemoryTypes)."""
BOOL_ENUM = "bool-enum"
"""A spec boolean, an API enum: ``values = (when true, when false)``."""
FLAG = "flag"
"""``true`` in the spec sets the member to ``values[0]``; false/absent sets nothing."""
CONST = "const"
"""No spec key: the member is always ``values[0]`` (every spec prompt override is OVERRIDDEN)."""
MAP = "map"
"""A string -> string map, copied as is (tags, built-in params)."""
MAP_OF = "map-of"
"""A name -> object map whose objects are ``item`` resources (function parameters)."""
LIST_OF = "list-of"
"""A list of ``item`` resources (functions)."""
LIST_AS_MAP = "list-as-map"
"""A spec map keyed by ``key`` whose API form is a list of ``item`` objects carrying the key as
member ``key`` (prompt overrides keyed by promptType)."""
PAYLOAD = "payload"
"""The OpenAPI document (``openapi.file`` or ``openapi.inline``, already parsed by the loader):
the value comes from the resolved document, not from the spec key; read back as ``inline``."""
ALIAS_REF = "alias-ref"
"""``agent`` + ``alias`` of another project agent: the alias ARN, known only after apply
(``Ref``); read back from an ARN that belongs to a project agent's alias."""
LOCAL = "local"
"""agentctl's own setting, never sent to AWS and not readable from it (``track``, ``handler``)."""


@dataclass(frozen=True)
class Field:
    spec: str | None
    """Dotted spec path inside the resource's spec object (None for CONST)."""
    member: str | None
    """Dotted member path inside the resource's request object (None for LOCAL and for the
    second key of an ALIAS_REF pair)."""
    kind: str = VALUE
    values: tuple[str, ...] = ()
    item: "Resource | None" = None
    key: str | None = None
    """LIST_AS_MAP: the item member that carries the map key."""
    choice: str | None = None
    """Fields sharing a choice name are alternatives: the first one present maps, the others
    are skipped (an API union such as actionGroupExecutor)."""
    natural_key: bool = False
    """The resource's name: a request member, but the canonical config keys resources by it
    instead of holding it as a member."""
    operation: str | None = None
    """The operation this member belongs to, when not the resource's own (an alias's
    invocation state is set with UpdateAgentAlias)."""
    schema: str | bool | None = None
    """The ``x-bedrock`` annotation: None = derived (``Operation:member.path[#mode]``), a string
    = this one, False = none (free-form objects, booleans)."""
    empty: bool = False
    """Present as ``[]`` when absent but its parent group is present (promptConfigurations is
    required inside promptOverrideConfiguration)."""
    ref: bool = False
    """An id or ARN that differs per environment: ``agentctl import`` writes it as
    ``${var.NAME}`` when the environment defines a variable with that value (and an ARN's
    account / region as ``${var.account}`` / ``${var.region}``)."""
    include: str | None = None
    """The spec key also takes ``{file: PATH}`` (``agentctl.spec.resolve``): ``agentctl import``
    writes the value to a file of this kind (``text``; the OpenAPI document is PAYLOAD's)."""


@dataclass(frozen=True)
class Resource:
    name: str
    operation: str
    """The operation whose request members ``Field.member`` paths are relative to..."""
    prefix: str
    """...after this member path prefix (``functionSchema.functions`` for a function)."""
    fields: tuple[Field, ...]

    def field(self, spec: str) -> Field:
        for f in self.fields:
            if f.spec == spec:
                return f
        raise KeyError(spec)


@dataclass(frozen=True)
class Child:
    """A list of sub-resources with requests of their own (not members of the agent)."""

    spec: str
    resource: Resource


_POC = "promptOverrideConfiguration.promptConfigurations"
_FN = "functionSchema.functions"

INFERENCE_KEYS = ("temperature", "topP", "topK", "maximumLength", "stopSequences")

PROMPT = Resource("prompt override", "CreateAgent", _POC, (
    # Every spec override is OVERRIDDEN: a state-only override is how a step is disabled (§6.2).
    Field(None, "promptCreationMode", CONST, values=("OVERRIDDEN",)),
    Field("state", "promptState"),
    Field("template", "basePromptTemplate", include="text"),
    Field("inference", "inferenceConfiguration", GROUP),
    *(Field(f"inference.{k}", f"inferenceConfiguration.{k}") for k in INFERENCE_KEYS),
    Field("parser", "parserMode"),
    Field("model", "foundationModel"),
    Field("additionalModelRequestFields", "additionalModelRequestFields", schema=False),
))

PARAMETER = Resource("function parameter", "CreateAgentActionGroup", _FN + ".parameters", (
    Field("type", "type"),
    Field("description", "description"),
    Field("required", "required", schema=False),
))

FUNCTION = Resource("function", "CreateAgentActionGroup", _FN, (
    Field("name", "name"),
    Field("description", "description"),
    Field("parameters", "parameters", MAP_OF, item=PARAMETER),
    Field("requireConfirmation", "requireConfirmation", BOOL_ENUM, values=("ENABLED", "DISABLED")),
))

ACTION_GROUP = Resource("action group", "CreateAgentActionGroup", "", (
    Field("name", "actionGroupName", natural_key=True),
    Field("description", "description"),
    Field("state", "actionGroupState"),
    # actionGroupExecutor is a union (§4.1): a Lambda, or return of control to the caller.
    Field("executor.lambda", "actionGroupExecutor.lambda", choice="executor", ref=True),
    Field("executor.returnControl", "actionGroupExecutor.customControl", FLAG,
          values=("RETURN_CONTROL",), choice="executor"),
    Field("executor.handler", None, LOCAL),
    Field("functions", "functionSchema.functions", LIST_OF, item=FUNCTION),
    # apiSchema is a union (§4.1): an S3 object or the document itself (sent as a string, §4.3).
    Field("openapi.s3", "apiSchema.s3", GROUP, choice="apiSchema"),
    Field("openapi.s3.bucket", "apiSchema.s3.s3BucketName", ref=True),
    Field("openapi.s3.key", "apiSchema.s3.s3ObjectKey"),
    Field("openapi.inline", "apiSchema.payload", PAYLOAD, choice="apiSchema"),
    Field("builtin", "parentActionGroupSignature"),
    Field("builtinParams", "parentActionGroupSignatureParams", MAP),
))

KNOWLEDGE_BASE = Resource("knowledge base", "AssociateAgentKnowledgeBase", "", (
    Field("id", "knowledgeBaseId", natural_key=True, ref=True),
    Field("description", "description"),
    Field("state", "knowledgeBaseState"),
))

COLLABORATOR = Resource("collaborator", "AssociateAgentCollaborator", "", (
    Field("name", "collaboratorName", natural_key=True),
    Field("aliasArn", "agentDescriptor.aliasArn", choice="descriptor", ref=True),
    Field("agent", "agentDescriptor.aliasArn", ALIAS_REF, choice="descriptor",
          schema="CreateAgent:agentName"),
    Field("alias", None, ALIAS_REF, schema="CreateAgentAlias:agentAliasName"),
    Field("instruction", "collaborationInstruction"),
    Field("relayConversationHistory", "relayConversationHistory", BOOL_ENUM,
          values=("TO_COLLABORATOR", "DISABLED")),
))

ALIAS = Resource("alias", "CreateAgentAlias", "", (
    Field("name", "agentAliasName", natural_key=True),
    Field("description", "description"),
    Field("track", None, LOCAL),
    Field("tags", "tags", MAP),
    # §3.4: pausing is UpdateAgentAlias's aliasInvocationState; CreateAgentAlias has no such member.
    Field("invocationState", "aliasInvocationState", operation="UpdateAgentAlias"),
))

AGENT = Resource("agent", "CreateAgent", "", (
    Field("name", "agentName"),
    Field("description", "description"),
    Field("model", "foundationModel"),
    Field("instruction", "instruction", include="text"),
    Field("role", "agentResourceRoleArn", ref=True),
    Field("idleSessionTtl", "idleSessionTTLInSeconds"),
    Field("encryptionKey", "customerEncryptionKeyArn", ref=True),
    # Tags are create-only on CreateAgent (§1.2); later changes go through TagResource.
    Field("tags", "tags", MAP),
    Field("guardrail", "guardrailConfiguration", GROUP),
    Field("guardrail.id", "guardrailConfiguration.guardrailIdentifier", ref=True),
    Field("guardrail.version", "guardrailConfiguration.guardrailVersion"),
    Field("memory", "memoryConfiguration", GROUP),
    Field("memory.type", "memoryConfiguration.enabledMemoryTypes", ONE_ITEM),
    Field("memory.storageDays", "memoryConfiguration.storageDays"),
    Field("memory.maxRecentSessions", "memoryConfiguration.sessionSummaryConfiguration.maxRecentSessions"),
    Field("orchestration.type", "orchestrationType"),
    Field("orchestration.lambda", "customOrchestration.executor.lambda", ref=True),
    Field("prompts", "promptOverrideConfiguration", GROUP),
    Field("prompts.parserLambda", "promptOverrideConfiguration.overrideLambda", ref=True),
    Field("prompts.overrides", _POC, LIST_AS_MAP, item=PROMPT, key="promptType", empty=True),
    Field("collaboration.mode", "agentCollaboration"),
))

CHILDREN = (
    Child("actionGroups", ACTION_GROUP),
    Child("knowledgeBases", KNOWLEDGE_BASE),
    Child("collaboration.collaborators", COLLABORATOR),
    Child("aliases", ALIAS),
)

RESOURCES = (AGENT, PROMPT, ACTION_GROUP, FUNCTION, PARAMETER, KNOWLEDGE_BASE, COLLABORATOR, ALIAS)


def alias_address(agent: str, alias: str) -> str:
    return f"agent.{agent}.alias.{alias}"


# --- dotted paths ------------------------------------------------------------------------------

_PARTS: dict[str, tuple[str, ...]] = {}
"""Dotted path -> its parts: the table's paths, split once (``get`` runs for every field of
every spec object)."""


def _parts(path: str) -> tuple[str, ...]:
    parts = _PARTS.get(path)
    if parts is None:
        parts = tuple(path.split("."))
        if len(_PARTS) < 10_000:
            _PARTS[path] = parts
    return parts


def get(obj: Any, path: str) -> Any:
    """The value at a dotted path, or None when any step is missing or not a mapping."""
    for part in _parts(path):
        if not (isinstance(obj, dict) or is_mapping(obj)):
            return None
        obj = obj.get(part)
    return obj


def put(obj: dict[str, Any], path: str, value: Any) -> None:
    parts = _parts(path)
    for part in parts[:-1]:
        nxt = obj.get(part)
        if not isinstance(nxt, dict):
            nxt = obj[part] = {}
        obj = nxt
    obj[parts[-1]] = value


def _parent(path: str) -> str | None:
    return path.rpartition(".")[0] or None


def _parent_present(item: Mapping[str, Any], path: str | None) -> bool:
    parent = _parent(path) if path else None
    return parent is None or is_mapping(get(item, parent))


# --- spec -> members ------------------------------------------------------------------------------

def to_members(resource: Resource, item: Mapping[str, Any], *, payload: Any = None,
               keys: bool = False, operation: str | None = None) -> dict[str, Any]:
    """The request members of one spec object. ``keys``: include the natural key member.
    ``operation``: only members of that operation (default: every member, whatever operation).
    ``payload``: the parsed OpenAPI document of an action group (PAYLOAD)."""
    out: dict[str, Any] = {}
    taken: set[str] = set()
    for f in _member_fields(resource, keys, operation):
        if f.choice is not None and f.choice in taken:
            continue
        value = _to_api(f, item, payload)
        if value is _ABSENT:
            continue
        if f.choice is not None:
            taken.add(f.choice)
        if f.kind == GROUP:
            if not isinstance(get(out, f.member), dict):
                put(out, f.member, {})
            continue
        put(out, f.member, value)
    return out


_ABSENT = object()
_MEMBER_FIELDS: dict[tuple[int, bool, str | None], tuple[Resource, tuple[Field, ...]]] = {}


def _member_fields(resource: Resource, keys: bool, operation: str | None) -> tuple[Field, ...]:
    """The fields ``to_members`` maps for these arguments, in table order (the selection is the
    same for every spec object of a resource: made once per process, not once per object)."""
    key = (id(resource), keys, operation)
    hit = _MEMBER_FIELDS.get(key)
    if hit is not None and hit[0] is resource:
        return hit[1]
    selected = tuple(
        f for f in resource.fields
        if not (f.member is None or f.kind == LOCAL or (f.natural_key and not keys))
        and (operation is None or (f.operation or resource.operation) == operation))
    _MEMBER_FIELDS[key] = (resource, selected)
    return selected


def _to_api(f: Field, item: Mapping[str, Any], payload: Any) -> Any:
    if f.kind == CONST:
        return f.values[0]
    if f.kind == PAYLOAD:
        return payload if payload is not None and _parent_present(item, f.spec) else _ABSENT
    if f.kind == ALIAS_REF:
        agent, alias = item.get("agent"), item.get("alias")
        if f.member is None or agent is None or alias is None:
            return _ABSENT
        # The alias ARN of another project agent is known only after apply (``Ref``).
        return Ref(alias_address(str(agent), str(alias)), "agentAliasArn")
    v = get(item, f.spec) if f.spec else None
    if f.kind == GROUP:
        return {} if is_mapping(v) else _ABSENT
    if v is None:
        if f.empty and _parent_present(item, f.spec):
            return []
        return _ABSENT
    if f.kind == ONE_ITEM:
        return [v]
    if f.kind == BOOL_ENUM:
        return f.values[0] if v else f.values[1]
    if f.kind == FLAG:
        return f.values[0] if v else _ABSENT
    if f.kind == MAP:
        return v if is_mapping(v) else _ABSENT
    if f.kind == MAP_OF:
        if not is_mapping(v):
            return _ABSENT
        return {name: to_members(f.item, p) for name, p in v.items() if is_mapping(p)}
    if f.kind == LIST_OF:
        if not isinstance(v, list):
            return _ABSENT
        return [to_members(f.item, x) for x in v if is_mapping(x)]
    if f.kind == LIST_AS_MAP:
        if not is_mapping(v):
            return _ABSENT
        return [{f.key: k, **to_members(f.item, ov if is_mapping(ov) else {})}
                for k, ov in v.items()]
    return v


# --- members -> spec (the inverse) ------------------------------------------------------------------

def from_members(resource: Resource, members: Mapping[str, Any], *,
                 alias_names: Mapping[str, tuple[str, str]] | None = None) -> dict[str, Any]:
    """The spec object of one resource's canonical members (the inverse of ``to_members`` on
    canonical values: defaults are absent on both sides). ``alias_names`` maps alias ARNs of
    project agents to (agent, alias), read back as ``agent`` + ``alias`` instead of ``aliasArn``.
    LOCAL and CONST fields have no live counterpart and are left out."""
    out: dict[str, Any] = {}
    for f in resource.fields:
        if f.member is None or f.spec is None or f.kind in (LOCAL, CONST):
            continue
        v = get(members, f.member)
        if v is None:
            continue
        if f.kind == ALIAS_REF:
            named = _alias_name(v, alias_names or {})
            if named is not None:
                out.pop("aliasArn", None)  # the alternative of the same choice, set just before
                out["agent"], out["alias"] = named
            continue
        if isinstance(v, Ref):
            continue  # only ALIAS_REF members may be known after apply
        if f.kind == GROUP:
            if is_mapping(v) and not isinstance(get(out, f.spec), dict):
                put(out, f.spec, {})
            continue
        spec_value = _from_api(f, v, alias_names)
        if spec_value is not _ABSENT:
            put(out, f.spec, spec_value)
    return out


def _alias_name(value: Any, alias_names: Mapping[str, tuple[str, str]]) -> tuple[str, str] | None:
    if isinstance(value, Ref):
        parts = value.address.split(".")
        if len(parts) == 4 and parts[0] == "agent" and parts[2] == "alias":
            return parts[1], parts[3]
        return None
    return alias_names.get(str(value))


def _from_api(f: Field, v: Any, alias_names: Mapping[str, tuple[str, str]] | None) -> Any:
    if f.kind == ONE_ITEM:
        return v[0] if isinstance(v, list) and v else _ABSENT
    if f.kind == BOOL_ENUM:
        return v == f.values[0]
    if f.kind == FLAG:
        return True if v == f.values[0] else _ABSENT
    if f.kind == MAP:
        return dict(v) if v else _ABSENT
    if f.kind == MAP_OF:
        return {name: from_members(f.item, p, alias_names=alias_names) for name, p in v.items()} or _ABSENT
    if f.kind == LIST_OF:
        return [from_members(f.item, x, alias_names=alias_names) for x in v] or _ABSENT
    if f.kind == LIST_AS_MAP:
        return {str(e[f.key]): from_members(f.item, e, alias_names=alias_names) for e in v} or _ABSENT
    return v


# --- member path -> spec path (for botocore violations) --------------------------------------------

def origins(resource: Resource, item: Mapping[str, Any], base: tuple = (), member_base: str = "",
            *, operation: str | None = None) -> dict[str, tuple]:
    """Coral member path (``functionSchema.functions.1.member.name``) -> spec path, for every
    member ``to_members`` can produce from ``item``, and for every structure containing them
    (mapped to the spec path all of its fields share)."""
    out: dict[str, tuple] = {}
    prefixes: dict[str, list[tuple]] = {}

    def join(member: str) -> str:
        return f"{member_base}.{member}" if member_base else member

    for f in resource.fields:
        if f.member is None or f.spec is None or f.kind in (LOCAL, CONST):
            continue
        if operation is not None and (f.operation or resource.operation) != operation:
            continue
        spec = tuple(f.spec.split("."))
        if f.kind == PAYLOAD:
            spec = spec[:-1]  # a file or an inline document: report at ``openapi``
        member = join(f.member)
        if f.kind != ALIAS_REF:
            parts = f.member.split(".")
            for n in range(1, len(parts)):
                prefixes.setdefault(join(".".join(parts[:n])), []).append(spec)
        out.setdefault(member, base + spec)
        v = get(item, f.spec)
        if f.kind == MAP and is_mapping(v):
            for i, k in enumerate(v, start=1):
                out[f"{member}.{i}.key"] = out[f"{member}.{i}.value"] = base + spec + (k,)
        elif f.kind == MAP_OF and is_mapping(v):
            for i, k in enumerate(v, start=1):
                ip = base + spec + (k,)
                out[f"{member}.{i}.key"] = out[f"{member}.{i}.value"] = ip
                if is_mapping(v[k]):
                    out.update(origins(f.item, v[k], ip, f"{member}.{i}.value"))
        elif f.kind == LIST_OF and isinstance(v, list):
            for j, x in enumerate(v):
                ip = base + spec + (j,)
                out[f"{member}.{j + 1}.member"] = ip
                if is_mapping(x):
                    out.update(origins(f.item, x, ip, f"{member}.{j + 1}.member"))
        elif f.kind == LIST_AS_MAP and is_mapping(v):
            for i, k in enumerate(v, start=1):
                ip = base + spec + (k,)
                out[f"{member}.{i}.member"] = out[f"{member}.{i}.member.{f.key}"] = ip
                if is_mapping(v[k]):
                    out.update(origins(f.item, v[k], ip, f"{member}.{i}.member"))
    for prefix, specs in prefixes.items():
        if prefix not in out:
            out[prefix] = base + _common(specs)
    return out


def _common(paths: list[tuple]) -> tuple:
    first = paths[0]
    n = 0
    while all(len(p) > n and p[n] == first[n] for p in paths):
        n += 1
    return first[:n]


# --- JSON Schema annotations -------------------------------------------------------------------

def schema_annotations() -> Iterator[tuple[tuple[str, ...], str]]:
    """(schema location, ``x-bedrock`` value) for every annotated spec key of the agent schema.
    A location is a tuple of JSON Schema keywords and property names from the root
    (``("properties", "guardrail", "properties", "id")``); ``gen_schema`` puts the annotation on
    that node (on its inline-string branch when the node is a text-or-file ``oneOf``)."""
    yield from _annotations(AGENT, ())
    for child in CHILDREN:
        yield from _annotations(child.resource, _props(child.spec) + ("items",))


def _props(spec: str) -> tuple[str, ...]:
    out: tuple[str, ...] = ()
    for part in spec.split("."):
        out += ("properties", part)
    return out


def _annotations(resource: Resource, at: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    for f in resource.fields:
        if f.spec is None or f.kind == LOCAL:
            continue
        loc = at + _props(f.spec)
        if f.item is not None:
            inner = loc + (("items",) if f.kind == LIST_OF else ("additionalProperties",))
            yield from _annotations(f.item, inner)
        if f.schema is False:
            continue
        ref = f.schema if isinstance(f.schema, str) else _default_annotation(resource, f)
        if ref is None:
            continue
        yield loc, ref
        member = f"{f.operation or resource.operation}:{_full(resource, f.member)}"
        if f.kind == MAP:
            yield loc + ("additionalProperties",), member + "#value"
        if f.kind == LIST_AS_MAP:
            yield loc + ("propertyNames",), f"{member}.{f.key}"


def _full(resource: Resource, member: str | None) -> str:
    return f"{resource.prefix}.{member}" if resource.prefix else str(member)


def _default_annotation(resource: Resource, f: Field) -> str | None:
    if f.kind in (GROUP, BOOL_ENUM, FLAG, LIST_OF, PAYLOAD, ALIAS_REF) or f.member is None:
        return None
    base = f"{f.operation or resource.operation}:{_full(resource, f.member)}"
    suffix = {ONE_ITEM: "#item", MAP: "#map", MAP_OF: "#map", LIST_AS_MAP: "#list-as-map"}.get(f.kind, "")
    return base + suffix
