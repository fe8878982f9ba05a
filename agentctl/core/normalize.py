"""Spec and live values into one canonical shape (``agentctl.core.model``), so the differ compares
like with like.

Both sides go through here: the desired side (``canonicalize`` of what the spec loader built)
and the live side (``config_from_live`` of what GetAgent / GetAgentActionGroup / ... returned;
``content_from_version`` of a numbered version snapshot). Each AWS quirk is one small named
function with a comment naming the behaviour and its section of service-behaviour.md (§9 is the
catalogue). Which request members exist is read from botocore's service model
(``agentctl.core.servicemodel``), never retyped: a canonical value keeps exactly the members a user
can set through the create/update operation, so every server-owned field (ids, status,
timestamps, clientToken, failureReasons, preparedAt, ...) falls away without being listed.

Rules, in one place:

- A service default is represented as *absent*. Where the default is UNCONFIRMED for the real
  service (idleSessionTTLInSeconds 1800, memory storageDays 30 / maxRecentSessions 20,
  knowledgeBaseState ENABLED), the planner *always sends the value explicitly* (see
  ``explicit_defaults``), so whatever the service's own default is, what it stores is the value
  we chose and the read-back canonicalizes to absent again. "Absent in the spec" therefore
  means "the documented default", never "don't care"; removing ``idleSessionTtl: 600`` from a
  spec plans ``600 -> 1800``.
- The single "don't care" rule: inside an OVERRIDDEN prompt configuration, members the desired
  side leaves out (a state-only override such as ``PRE_PROCESSING: {state: DISABLED}``) are
  ignored on the live side, because the service fills them with its default template and
  inference settings (§9.1, §6.2). ``align_live_to_desired`` applies it, pairwise, for the
  differ and for the version-content comparison.

Must not: do I/O, read a clock, import boto3 or rich, or raise on odd live data (the live side
is whatever AWS returned; an unparsable OpenAPI payload stays a string and shows up as a diff).
"""

from __future__ import annotations

import functools
import json
from typing import Any, Iterable, Mapping

import yaml

from agentctl.core.model import (
    is_mapping,
    ACTION_GROUP,
    AGENT,
    ALIAS,
    COLLABORATOR,
    KNOWLEDGE_BASE,
    plain,
    AgentConfig,
    AliasConfig,
    Ref,
    ref_to_json,
    refs_from_json,
)
from agentctl.core.servicemodel import model

DRAFT = "DRAFT"

# Values agentctl writes explicitly whenever the spec leaves them out (see module docstring).
DEFAULT_IDLE_SESSION_TTL = 1800
"""§2.4: the API default is UNCONFIRMED; the console's 30 minutes is the likely value and the
emulator's choice. Sent explicitly on every CreateAgent / UpdateAgent."""
DEFAULT_MEMORY_STORAGE_DAYS = 30
"""§6.1: CDK and the Python SDK model 30; the service default is UNCONFIRMED."""
DEFAULT_MAX_RECENT_SESSIONS = 20
"""§6.1: CDK default 20; the service default is UNCONFIRMED."""

# Every service default the canonical form represents as *absent*, by resource kind: (path,
# default), a path being dotted member names where ``[]`` means "each item of this list" and ``*``
# "each value of this map". The ``canonical_*`` functions below drop exactly these (each drop
# reads its default from here); ``with_defaults`` puts them back, so that a plan shows a change
# away from a default as ``~ storageDays = 30 -> 60`` (and back to it as ``60 -> 30``), never as
# a bare ``+``/``-`` that hides the other value. tests/plan/test_defaults.py checks the table
# against what canonicalization drops, enum by enum from botocore's model.
SERVICE_DEFAULTS: Mapping[str, tuple[tuple[str, Any], ...]] = {
    AGENT: (
        ("agentCollaboration", "DISABLED"),
        ("orchestrationType", "DEFAULT"),
        ("idleSessionTTLInSeconds", DEFAULT_IDLE_SESSION_TTL),
        ("memoryConfiguration.storageDays", DEFAULT_MEMORY_STORAGE_DAYS),
        ("memoryConfiguration.sessionSummaryConfiguration.maxRecentSessions",
         DEFAULT_MAX_RECENT_SESSIONS),
        ("promptOverrideConfiguration.promptConfigurations[].promptState", "ENABLED"),
        ("promptOverrideConfiguration.promptConfigurations[].parserMode", "DEFAULT"),
    ),
    ACTION_GROUP: (
        ("actionGroupState", "ENABLED"),
        ("functionSchema.functions[].requireConfirmation", "DISABLED"),
        ("functionSchema.functions[].parameters.*.required", False),
    ),
    KNOWLEDGE_BASE: (("knowledgeBaseState", "ENABLED"),),
    COLLABORATOR: (("relayConversationHistory", "DISABLED"),),
    ALIAS: (("aliasInvocationState", "ACCEPT_INVOCATIONS"),),
}


_PROMPTS = "promptOverrideConfiguration.promptConfigurations[]."
_FUNCTIONS = "functionSchema.functions[]."


def service_default(kind: str, path: str) -> Any:
    """The default of ``path`` in ``SERVICE_DEFAULTS[kind]`` (KeyError when it has none)."""
    for p, default in SERVICE_DEFAULTS[kind]:
        if p == path:
            return default
    raise KeyError(f"{kind}: no service default for {path}")


def with_defaults(kind: str, value: Mapping[str, Any] | None) -> Any:
    """``value`` (a canonical resource value of ``kind``, JSON-compatible) with every default of
    ``SERVICE_DEFAULTS`` made explicit wherever its container exists: the top-level member of a
    nested path must be present (an absent ``memoryConfiguration`` is memory disabled, not a
    memory block with default settings), list items and map values are filled one by one, and
    plain intermediate maps are created (``sessionSummaryConfiguration`` when only
    ``maxRecentSessions`` would be in it). For display only: canonical values keep defaults
    absent, and ``canonicalize`` of the result gives ``value`` back."""
    if value is None:
        return None
    out = plain(value)
    for path, default in SERVICE_DEFAULTS.get(kind, ()):
        _fill_default(out, path.split("."), default, top=True)
    return out


def _fill_default(node: Any, segments: list[str], default: Any, *, top: bool) -> None:
    seg, rest = segments[0], segments[1:]
    if seg == "*":
        for child in (node.values() if isinstance(node, dict) else ()):
            if rest:
                _fill_default(child, rest, default, top=False)
            # a "*" leaf (every value of a map is a default) does not occur
        return
    if not isinstance(node, dict):
        return
    each = seg.endswith("[]")
    name = seg[:-2] if each else seg
    if not rest:
        node.setdefault(name, default)
        return
    if name not in node:
        if top or each or rest[0] == "*":
            return  # the feature, the list or the map is absent: nothing to fill
        node[name] = {}
    child = node[name]
    if each:
        for item in child if isinstance(child, list) else ():
            _fill_default(item, rest, default, top=False)
    else:
        _fill_default(child, rest, default, top=False)


# Members of one agent that a numbered version cannot carry (§3.2: the AgentVersion shape has no
# orchestrationType / customOrchestration), so content comparisons must leave them out.
_NOT_IN_VERSION = ("orchestrationType", "customOrchestration")

# Members whose values are prose a reviewer reads line by line.
TEXT_MEMBERS = frozenset({"instruction", "basePromptTemplate", "collaborationInstruction"})

# Tag keys that are not user tags: agentctl's own ``agentctl:`` tags (ownership: OWNER_TAG,
# PROJECT_TAG, and any other key in that namespace), and AWS-reserved ``aws:`` tags (the tag API
# refuses to let users set or remove those).
OWNER_TAG_PREFIX = "agentctl:"
RESERVED_TAG_PREFIXES = (OWNER_TAG_PREFIX, "aws:")

ACCEPT_INVOCATIONS = service_default(ALIAS, "aliasInvocationState")


# --------------------------------------------------------------------------------------------
# Request members, from the service model


@functools.lru_cache(maxsize=None)
def request_members(operation: str) -> frozenset[str]:
    """Names of the input members of a bedrock-agent operation."""
    return frozenset(model().operation_model(operation).input_shape.members)


def _settable(operation: str, *exclude: str) -> frozenset[str]:
    # agentId / agentVersion / ids are URI members, clientToken is an idempotency token: none is
    # part of a resource's configuration.
    return request_members(operation) - {"agentId", "agentVersion", "clientToken", *exclude}


def agent_members() -> frozenset[str]:
    return _settable("UpdateAgent")


def action_group_members() -> frozenset[str]:
    return _settable("UpdateAgentActionGroup", "actionGroupId", "actionGroupName")


def knowledge_base_members() -> frozenset[str]:
    return _settable("AssociateAgentKnowledgeBase", "knowledgeBaseId")


def collaborator_members() -> frozenset[str]:
    return _settable("AssociateAgentCollaborator", "collaboratorId", "collaboratorName")


# --------------------------------------------------------------------------------------------
# Generic helpers


def _is_empty(value: Any) -> bool:
    # Empty strings, maps and lists are "absent" wherever the API treats them so: descriptions
    # have min length 1 (§1.2), an empty guardrailConfiguration is rejected (§6.3), empty
    # parameter maps / signature params are simply not returned.
    return value is None or value == "" or value == {} or value == []


def _prune(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if not _is_empty(v)}


def _drop_default(mapping: dict[str, Any], key: str, default: Any) -> None:
    if mapping.get(key) == default:
        mapping.pop(key, None)


def user_tags(tags: Mapping[str, str] | None) -> dict[str, str]:
    """Only the tags a user owns, sorted by key: THE user-tag rule, for specs and live reads
    alike. Keys in agentctl's ``agentctl:`` namespace (ownership) and AWS-reserved ``aws:`` keys
    are not the user's (``RESERVED_TAG_PREFIXES``)."""
    out = {}
    for k in sorted(tags or {}):
        if k.startswith(RESERVED_TAG_PREFIXES):
            continue
        out[k] = str(tags[k])  # type: ignore[index]
    return out


def owner_tags(tags: Mapping[str, str] | None) -> dict[str, str]:
    """agentctl's own tags of a resource (``OWNER_TAG``, ``PROJECT_TAG``, ...), sorted by key."""
    return {k: str(tags[k]) for k in sorted(tags or {}) if k.startswith(OWNER_TAG_PREFIX)}  # type: ignore[index]


# --------------------------------------------------------------------------------------------
# Alias quirks


def canonical_invocation_state(state: str | None) -> str | None:
    """§3.4: an alias accepts invocations unless paused. ACCEPT_INVOCATIONS is the default (and
    what Get/ListAgentAliases return for an alias never paused), so it is the canonical absent
    (None); REJECT_INVOCATIONS (paused) is kept."""
    return None if state in (None, ACCEPT_INVOCATIONS) else str(state)


def explicit_invocation_state(state: str | None) -> str:
    """§3.4: what UpdateAgentAlias sends. It is a full replacement, so the state is always sent;
    the canonical absent means ACCEPT_INVOCATIONS."""
    return canonical_invocation_state(state) or ACCEPT_INVOCATIONS


def is_paused(state: str | None) -> bool:
    """§3.4: an alias is paused exactly when its state is not the default ACCEPT_INVOCATIONS."""
    return canonical_invocation_state(state) is not None


# --------------------------------------------------------------------------------------------
# Agent-level quirks


def _default_agent_collaboration(agent: dict[str, Any]) -> None:
    # §2.4 / §9.1: agentCollaboration is DISABLED by default and GetAgent returns DISABLED when
    # it was never set.
    _drop_default(agent, "agentCollaboration", service_default(AGENT, "agentCollaboration"))


def _default_orchestration(agent: dict[str, Any]) -> None:
    # §2.4 / §9.1: orchestrationType is DEFAULT when unset; customOrchestration only means
    # something with CUSTOM_ORCHESTRATION, and an empty one is "not set".
    _drop_default(agent, "orchestrationType", service_default(AGENT, "orchestrationType"))
    co = agent.get("customOrchestration")
    if is_mapping(co):
        co = _prune({k: _prune(v) if is_mapping(v) else v for k, v in co.items()})
        if co:
            agent["customOrchestration"] = co
        else:
            agent.pop("customOrchestration", None)


def _default_idle_ttl(agent: dict[str, Any]) -> None:
    # §2.4 / §9.1: idleSessionTTLInSeconds is always returned; its API default is UNCONFIRMED,
    # agentctl always sends it (DEFAULT_IDLE_SESSION_TTL when the spec is silent), so 1800 is
    # the canonical "absent".
    ttl = agent.get("idleSessionTTLInSeconds")
    if isinstance(ttl, float) and ttl.is_integer():
        agent["idleSessionTTLInSeconds"] = ttl = int(ttl)
    if ttl == service_default(AGENT, "idleSessionTTLInSeconds"):
        agent.pop("idleSessionTTLInSeconds", None)


def _canonical_memory(agent: dict[str, Any]) -> None:
    # §6.1 / §9.1: memory is disabled by omitting the block (an empty enabledMemoryTypes list is
    # the same thing); when enabled, storageDays 30 and maxRecentSessions 20 are the defaults the
    # service (reportedly) fills in and agentctl always sends.
    mem = agent.get("memoryConfiguration")
    if not is_mapping(mem) or not mem.get("enabledMemoryTypes"):
        agent.pop("memoryConfiguration", None)
        return
    out = plain(mem)
    out["enabledMemoryTypes"] = sorted(out["enabledMemoryTypes"])
    _drop_default(out, "storageDays", service_default(AGENT, "memoryConfiguration.storageDays"))
    ssc = _prune(out.get("sessionSummaryConfiguration") or {})
    _drop_default(ssc, "maxRecentSessions", service_default(
        AGENT, "memoryConfiguration.sessionSummaryConfiguration.maxRecentSessions"))
    if ssc:
        out["sessionSummaryConfiguration"] = ssc
    else:
        out.pop("sessionSummaryConfiguration", None)
    agent["memoryConfiguration"] = _prune(out)


def _canonical_guardrail(agent: dict[str, Any]) -> None:
    # §6.3: an empty guardrailConfiguration is rejected by the service; "no guardrail" is the
    # block being absent, and that is also how it reads back.
    g = agent.get("guardrailConfiguration")
    if is_mapping(g):
        g = _prune(g)
        if g.get("guardrailIdentifier"):
            agent["guardrailConfiguration"] = g
            return
    agent.pop("guardrailConfiguration", None)


def _canonical_inference(inf: Mapping[str, Any]) -> dict[str, Any]:
    # YAML ``temperature: 0`` is an int, the service returns 0.0: floats are floats, ints ints, so
    # canonical JSON compares them equal.
    out = _prune(inf)
    for key in ("temperature", "topP"):
        if isinstance(out.get(key), (int, float)) and not isinstance(out.get(key), bool):
            out[key] = float(out[key])
    for key in ("topK", "maximumLength"):
        if isinstance(out.get(key), float) and out[key].is_integer():
            out[key] = int(out[key])
    return out


def _canonical_prompt_overrides(agent: dict[str, Any]) -> None:
    # §9.1 / §9.3 item 1: GetAgent returns an entry for every prompt type, DEFAULT-mode ones
    # filled with the service's default templates. Only OVERRIDDEN entries are the user's
    # (Terraform's ``removeDefaultPrompts``); sorted by promptType so order never diffs.
    poc = agent.get("promptOverrideConfiguration")
    if not is_mapping(poc):
        agent.pop("promptOverrideConfiguration", None)
        return
    entries = []
    for entry in poc.get("promptConfigurations") or ():
        if entry.get("promptCreationMode") != "OVERRIDDEN":
            continue
        e = _prune(plain(entry))
        # An OVERRIDDEN prompt is enabled unless it says otherwise; agentctl sends ENABLED
        # explicitly (PRE_PROCESSING's default state is disputed, §6.2), so ENABLED is "absent".
        _drop_default(e, "promptState", service_default(AGENT, _PROMPTS + "promptState"))
        _drop_default(e, "parserMode", service_default(AGENT, _PROMPTS + "parserMode"))
        if is_mapping(e.get("inferenceConfiguration")):
            inf = _canonical_inference(e["inferenceConfiguration"])
            if inf:
                e["inferenceConfiguration"] = inf
            else:
                e.pop("inferenceConfiguration")
        entries.append(e)
    entries.sort(key=lambda e: str(e.get("promptType", "")))
    out: dict[str, Any] = {}
    if entries:
        out["promptConfigurations"] = entries
    if poc.get("overrideLambda"):
        out["overrideLambda"] = poc["overrideLambda"]
    if out:
        out.setdefault("promptConfigurations", [])
        agent["promptOverrideConfiguration"] = out
    else:
        agent.pop("promptOverrideConfiguration", None)


def canonical_agent(agent: Mapping[str, Any]) -> dict[str, Any]:
    """The agent-level members (UpdateAgent's, minus agentId) in canonical form."""
    members = agent_members()
    out = _prune({k: plain(v) for k, v in agent.items() if k in members})
    _default_agent_collaboration(out)
    _default_orchestration(out)
    _default_idle_ttl(out)
    _canonical_memory(out)
    _canonical_guardrail(out)
    _canonical_prompt_overrides(out)
    return {k: out[k] for k in sorted(out)}


# --------------------------------------------------------------------------------------------
# Action groups


def _rename_parent_signature(group: dict[str, Any]) -> None:
    # §4.1 / §9.2: the request member ``parentActionGroupSignature`` comes back from
    # GetAgentActionGroup as ``parentActionSignature``.
    if "parentActionSignature" in group:
        sig = group.pop("parentActionSignature")
        group.setdefault("parentActionGroupSignature", sig)


def _default_action_group_state(group: dict[str, Any]) -> None:
    # §4.1: actionGroupState defaults to ENABLED and is always returned.
    _drop_default(group, "actionGroupState", service_default(ACTION_GROUP, "actionGroupState"))


ACTION_GROUP_DISABLED = "DISABLED"
"""§4.2: the state an action group is put in before it is deleted (see ``disabled_action_group``)."""


def action_group_state(state: str | None) -> str:
    """§4.1: actionGroupState defaults to ENABLED (and the service returns it on every read), so
    a group without one (a canonical value, which drops the default, or a spec's ``state`` left
    out) is ENABLED."""
    return str(state) if state else service_default(ACTION_GROUP, "actionGroupState")


def action_group_enabled(state: str | None) -> bool:
    """§4.2 / §7: whether a group counts as enabled: it cannot be deleted without
    skipResourceInUseCheck, and it counts towards the enabled-action-groups quota."""
    return action_group_state(state) == service_default(ACTION_GROUP, "actionGroupState")


def disabled_action_group(group: Mapping[str, Any]) -> dict[str, Any]:
    """§4.2: an ENABLED action group cannot be deleted without skipResourceInUseCheck; the
    documented path is to disable it first with a (full-replacement) update: ``group`` with its
    state DISABLED."""
    return {**plain(group), "actionGroupState": ACTION_GROUP_DISABLED}


def parse_openapi_payload(payload: Any) -> Any:
    """An inline OpenAPI payload as a parsed document. §4.3: the payload comes back as a string
    whose whitespace preservation is UNCONFIRMED, so payloads are compared parsed (JSON is
    YAML, so one parser does both). Unparsable text stays a string."""
    if not isinstance(payload, str):
        return plain(payload)
    try:
        doc = yaml.safe_load(payload)
    except yaml.YAMLError:
        return payload
    return plain(doc) if isinstance(doc, (dict, list)) else payload


def _canonical_api_schema(group: dict[str, Any]) -> None:
    schema = group.get("apiSchema")
    if not is_mapping(schema):
        return
    if "payload" in schema and schema["payload"] is not None:
        group["apiSchema"] = {"payload": parse_openapi_payload(schema["payload"])}
    elif is_mapping(schema.get("s3")):
        # §4.3: an S3-defined schema reads back as apiSchema.s3, never resolved to a payload.
        group["apiSchema"] = {"s3": _prune(schema["s3"])}


def _canonical_function(fn: Mapping[str, Any]) -> dict[str, Any]:
    f = _prune(plain(fn))
    # requireConfirmation DISABLED is the default (the spec's ``requireConfirmation: false``).
    _drop_default(f, "requireConfirmation",
                  service_default(ACTION_GROUP, _FUNCTIONS + "requireConfirmation"))
    params = {}
    for pname in sorted(f.get("parameters") or {}):
        p = _prune(f["parameters"][pname])
        # §9.2: parameters compare as a map, ``required`` absent == false.
        _drop_default(p, "required",
                      service_default(ACTION_GROUP, _FUNCTIONS + "parameters.*.required"))
        params[pname] = {k: p[k] for k in sorted(p)}
    if params:
        f["parameters"] = params
    else:
        f.pop("parameters", None)
    return {k: f[k] for k in sorted(f)}


def _canonical_function_schema(group: dict[str, Any]) -> None:
    fs = group.get("functionSchema")
    if not is_mapping(fs):
        return
    # Functions are keyed by name: the service keeps them in request order, the spec may list
    # them in any order; sorted, order never diffs.
    fns = [_canonical_function(f) for f in fs.get("functions") or ()]
    fns.sort(key=lambda f: str(f.get("name", "")))
    group["functionSchema"] = {"functions": fns}


def canonical_action_group(group: Mapping[str, Any]) -> dict[str, Any]:
    g = {k: plain(v) for k, v in group.items()}
    _rename_parent_signature(g)
    members = action_group_members()
    g = _prune({k: v for k, v in g.items() if k in members})
    _default_action_group_state(g)
    _canonical_api_schema(g)
    _canonical_function_schema(g)
    if is_mapping(g.get("actionGroupExecutor")):
        g["actionGroupExecutor"] = _prune(g["actionGroupExecutor"])
    g = _prune(g)
    return {k: g[k] for k in sorted(g)}


# --------------------------------------------------------------------------------------------
# Knowledge bases, collaborators, aliases


def canonical_knowledge_base(kb: Mapping[str, Any]) -> dict[str, Any]:
    members = knowledge_base_members()
    out = _prune({k: plain(v) for k, v in kb.items() if k in members})
    # §5: knowledgeBaseState is required in the response; its default (ENABLED) is inferred,
    # so agentctl always sends it and ENABLED is "absent".
    _drop_default(out, "knowledgeBaseState", service_default(KNOWLEDGE_BASE, "knowledgeBaseState"))
    return {k: out[k] for k in sorted(out)}


def canonical_collaborator(collab: Mapping[str, Any]) -> dict[str, Any]:
    members = collaborator_members()
    out = _prune({k: plain(v) for k, v in collab.items() if k in members})
    # §6.4: relayConversationHistory is TO_COLLABORATOR | DISABLED, DISABLED being the default.
    _drop_default(out, "relayConversationHistory",
                  service_default(COLLABORATOR, "relayConversationHistory"))
    if is_mapping(out.get("agentDescriptor")):
        out["agentDescriptor"] = _prune(out["agentDescriptor"])
    return {k: out[k] for k in sorted(out)}


def canonical_description(description: str | None) -> str | None:
    """§1.2: descriptions have min length 1, so "" (what a reader may hand back for an alias
    without one) is "no description": None."""
    return description or None


def canonical_alias(alias: AliasConfig) -> AliasConfig:
    return AliasConfig(
        name=alias.name,
        description=canonical_description(alias.description),
        track=alias.track,
        tags=user_tags(alias.tags),
        invocation_state=canonical_invocation_state(alias.invocation_state),
    )


# --------------------------------------------------------------------------------------------
# Whole configs


def canonicalize(config: AgentConfig) -> AgentConfig:
    """The canonical form of ``config``. Idempotent: ``canonicalize(canonicalize(c)) ==
    canonicalize(c)``."""
    return AgentConfig(
        name=config.name,
        agent=canonical_agent(config.agent),
        tags=user_tags(config.tags),
        action_groups={k: canonical_action_group(config.action_groups[k])
                       for k in sorted(config.action_groups)},
        knowledge_bases={k: canonical_knowledge_base(config.knowledge_bases[k])
                         for k in sorted(config.knowledge_bases)},
        collaborators={k: canonical_collaborator(config.collaborators[k])
                       for k in sorted(config.collaborators)},
        aliases={k: canonical_alias(config.aliases[k]) for k in sorted(config.aliases)},
    )


def _by_key(items: Iterable[Mapping[str, Any]], key: str) -> dict[str, Mapping[str, Any]]:
    out = {}
    for item in items:
        out[str(item[key])] = item
    return out


def config_from_live(
    agent: Mapping[str, Any],
    action_groups: Iterable[Mapping[str, Any]],
    knowledge_bases: Iterable[Mapping[str, Any]],
    collaborators: Iterable[Mapping[str, Any]],
    tags: Mapping[str, str],
    aliases: Mapping[str, AliasConfig],
) -> AgentConfig:
    """The canonical config of a live DRAFT from the service's read-back shapes: GetAgent's
    ``agent``, GetAgentActionGroup's ``agentActionGroup`` objects, GetAgentKnowledgeBase's
    ``agentKnowledgeBase`` objects, GetAgentCollaborator's ``agentCollaborator`` objects,
    ListTagsForResource's ``tags`` (ownership tags are dropped) and the aliases as
    ``AliasConfig`` (``track`` is not an AWS notion and is ignored by the differ)."""
    raw = AgentConfig(
        name=str(agent["agentName"]),
        agent=agent,
        tags=tags,
        action_groups=_by_key(action_groups, "actionGroupName"),
        knowledge_bases=_by_key(knowledge_bases, "knowledgeBaseId"),
        collaborators=_by_key(collaborators, "collaboratorName"),
        aliases=dict(aliases),
    )
    return canonicalize(raw)


def content_from_version(
    version: Mapping[str, Any],
    action_groups: Iterable[Mapping[str, Any]],
    knowledge_bases: Iterable[Mapping[str, Any]],
    collaborators: Iterable[Mapping[str, Any]],
) -> dict[str, Any]:
    """``AgentConfig.content()`` of a numbered version: GetAgentVersion's ``agentVersion`` (§3.2:
    same agent members minus orchestrationType/customOrchestration, plus ``version``) and the
    sub-resources listed with ``agentVersion="N"``."""
    cfg = config_from_live(version, action_groups, knowledge_bases, collaborators, {}, {})
    return cfg.content()


def comparable_content(content: Mapping[str, Any]) -> dict[str, Any]:
    """Content reduced to what a version snapshot can record (§3.2: no orchestration members),
    so DRAFT content and a version's content compare like with like."""
    out = plain(content)
    agent = out.get("agent") or {}
    for key in _NOT_IN_VERSION:
        agent.pop(key, None)
    out["agent"] = agent
    return out


def align_live_to_desired(desired_agent: Mapping[str, Any],
                          live_agent: Mapping[str, Any]) -> dict[str, Any]:
    """The live agent members with the one "don't care" rule applied (module docstring): in an
    OVERRIDDEN prompt configuration that both sides have, members the desired side does not set
    are dropped from the live side, because the service fills them with its defaults (§6.2,
    §9.1; e.g. ``PRE_PROCESSING: {state: DISABLED}`` reads back with the default template)."""
    live = plain(live_agent)
    dpoc = desired_agent.get("promptOverrideConfiguration") or {}
    lpoc = live.get("promptOverrideConfiguration")
    if not isinstance(lpoc, dict):
        return live
    desired_by_type = {e.get("promptType"): e for e in dpoc.get("promptConfigurations") or ()}
    entries = []
    for entry in lpoc.get("promptConfigurations") or ():
        want = desired_by_type.get(entry.get("promptType"))
        if want is not None:
            entry = {k: v for k, v in entry.items()
                     if k in want or k in ("promptType", "promptCreationMode", "promptState")}
        entries.append(entry)
    lpoc["promptConfigurations"] = entries
    return live


def align_content(desired: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
    """``align_live_to_desired`` on ``content()``-shaped values."""
    out = plain(live)
    out["agent"] = align_live_to_desired(desired.get("agent") or {}, out.get("agent") or {})
    return out


def config_document(config: AgentConfig) -> dict[str, Any]:
    """A JSON-compatible dict of a config (Ref values as ``{"$ref", "key"}``), for digests and
    test fixtures. ``config_from_document`` is its inverse."""
    doc = {
        "name": config.name,
        **config.content(),
        "tags": dict(config.tags),
        "aliases": {
            k: {"name": a.name, "description": a.description, "track": a.track,
                "tags": dict(a.tags), "invocation_state": a.invocation_state}
            for k, a in config.aliases.items()
        },
    }
    return json.loads(json.dumps(doc, default=ref_to_json))


ref_from_json = refs_from_json


def config_from_document(doc: Mapping[str, Any]) -> AgentConfig:
    return AgentConfig(
        name=str(doc["name"]),
        agent=ref_from_json(dict(doc.get("agent") or {})),
        tags=dict(doc.get("tags") or {}),
        action_groups=ref_from_json(dict(doc.get("action_groups") or {})),
        knowledge_bases=ref_from_json(dict(doc.get("knowledge_bases") or {})),
        collaborators=ref_from_json(dict(doc.get("collaborators") or {})),
        aliases={k: AliasConfig(name=a["name"], description=a.get("description"),
                                track=a.get("track", "pinned"), tags=dict(a.get("tags") or {}),
                                invocation_state=a.get("invocation_state"))
                 for k, a in (doc.get("aliases") or {}).items()},
    )


# --------------------------------------------------------------------------------------------
# Explicit defaults for requests


def explicit_agent_defaults(agent: Mapping[str, Any]) -> dict[str, Any]:
    """The agent members with every UNCONFIRMED-default member made explicit (module docstring):
    what CreateAgent / UpdateAgent send."""
    out = plain(agent)
    out.setdefault("idleSessionTTLInSeconds", DEFAULT_IDLE_SESSION_TTL)
    # §2.4: UpdateAgent is a full replace and these two default when absent; sending them keeps
    # the request self-describing.
    out.setdefault("agentCollaboration", "DISABLED")
    out.setdefault("orchestrationType", "DEFAULT")
    mem = out.get("memoryConfiguration")
    if isinstance(mem, dict):
        mem.setdefault("storageDays", DEFAULT_MEMORY_STORAGE_DAYS)
        ssc = mem.setdefault("sessionSummaryConfiguration", {})
        ssc.setdefault("maxRecentSessions", DEFAULT_MAX_RECENT_SESSIONS)
    poc = out.get("promptOverrideConfiguration")
    if isinstance(poc, dict):
        for entry in poc.get("promptConfigurations") or ():
            # §6.2: only OVERRIDDEN entries are ever sent; their state is sent explicitly because
            # PRE_PROCESSING's default state is disputed.
            entry.setdefault("promptCreationMode", "OVERRIDDEN")
            entry.setdefault("promptState", "ENABLED")
    return out


def explicit_action_group_defaults(group: Mapping[str, Any]) -> dict[str, Any]:
    """The action group members with the defaults the canonical form drops made explicit: what
    CreateAgentActionGroup / UpdateAgentActionGroup send. §4.2: the update is a full replacement
    and omitting actionGroupState presumably resets it (UNCONFIRMED), so the state is always
    sent; so is each function's requireConfirmation (DISABLED is its canonical absence)."""
    out = plain(group)
    out.setdefault("actionGroupState", service_default(ACTION_GROUP, "actionGroupState"))
    fs = out.get("functionSchema")
    if isinstance(fs, dict):
        confirm = service_default(ACTION_GROUP, _FUNCTIONS + "requireConfirmation")
        out["functionSchema"] = {"functions": [
            {**fn, "requireConfirmation": fn.get("requireConfirmation", confirm)}
            for fn in fs.get("functions") or ()]}
    return out


def explicit_knowledge_base_defaults(kb: Mapping[str, Any]) -> dict[str, Any]:
    """§5: AssociateAgentKnowledgeBase / UpdateAgentKnowledgeBase replace the whole association,
    so knowledgeBaseState (default ENABLED, UNCONFIRMED) is always sent."""
    out = plain(kb)
    out.setdefault("knowledgeBaseState", service_default(KNOWLEDGE_BASE, "knowledgeBaseState"))
    return out


def explicit_collaborator_defaults(collab: Mapping[str, Any]) -> dict[str, Any]:
    """§6.4: Associate/UpdateAgentCollaborator replace the whole collaborator, so
    relayConversationHistory (default DISABLED) is always sent."""
    out = plain(collab)
    out.setdefault("relayConversationHistory",
                   service_default(COLLABORATOR, "relayConversationHistory"))
    return out
