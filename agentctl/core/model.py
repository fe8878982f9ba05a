"""The canonical shape of an agent, shared by the desired side (specs) and the live side (AWS).

Both sides are normalized into these types (``agentctl.core.normalize``) before diffing, so the
differ compares like with like. Field names and value shapes are the bedrock-agent API's own
(request members of CreateAgent / CreateAgentActionGroup / AssociateAgentKnowledgeBase /
AssociateAgentCollaborator / CreateAgentAlias), which keeps the planner's steps a direct
projection of a diff and keeps the mapping to botocore obvious.

Canonical means (see service-behaviour.md §9 and ``normalize``):
- only settings a user can own are present; server-owned fields (ids, status, timestamps,
  clientToken, failureReasons, preparedAt, ...) never appear;
- a service default is represented as *absent* (agentCollaboration DISABLED, orchestrationType
  DEFAULT, actionGroupState ENABLED, function parameter ``required: false``, ...);
- promptOverrideConfiguration keeps only OVERRIDDEN prompt configurations, sorted by promptType;
- OpenAPI payloads are parsed documents (dicts), not strings; function lists are sorted by name;
- every mapping is a plain ``dict`` with JSON-compatible values, so two canonical values are
  equal exactly when their canonical JSON (``canonical_json``) is equal.

Pure: no I/O, no boto3.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping as _AbcMapping
from dataclasses import dataclass, field
from typing import Any, Mapping

# Resource kinds, used in addresses: agent.<name>[.<kind>.<key>]
AGENT = "agent"
ACTION_GROUP = "action_group"
KNOWLEDGE_BASE = "knowledge_base"
COLLABORATOR = "collaborator"
ALIAS = "alias"
VERSION = "version"
"""A numbered agent version; only ever deleted by a plan (version retention)."""

# Alias tracking modes (spec key ``aliases[].track``).
TRACK_LATEST = "latest"
"""``apply`` moves the alias to every version it cuts (e.g. STAGING)."""
TRACK_PINNED = "pinned"
"""Only ``promote`` / ``rollback`` move the alias (e.g. PROD). Default."""

RELEASE_ALIAS = "agentctl-release"
"""agentctl's own alias of an agent whose aliases are all ``track: pinned``: it tracks the latest
version, so that apply can cut a version when the DRAFT content changed (there is no
CreateAgentVersion: a version is minted by CreateAgentAlias / UpdateAgentAlias without
routingConfiguration, service-behaviour.md §3.1) without moving any alias the spec declares.
Promote from it (``agentctl promote PROD --from agentctl-release``). Names starting ``agentctl-``
are reserved in specs (docs/lifecycle.md "Releases")."""
RELEASE_ALIAS_DESCRIPTION = ("agentctl: tracks the latest version of an agent whose aliases are all "
                             "pinned; promote from it")

# Tags agentctl writes on agents it creates (ownership, service-behaviour.md §1.2: tags only on create
# or via TagResource). Never used for anything but ownership checks and adoption.
OWNER_TAG = "agentctl:managed-by"
OWNER_TAG_VALUE = "agentctl"
PROJECT_TAG = "agentctl:project"


def canonical_json(value: Any) -> str:
    """Deterministic JSON text of a canonical value (sorted keys, no whitespace)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=ref_to_json)


def digest(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def is_mapping(value: Any) -> bool:
    """``isinstance(value, Mapping)``, plain dicts first: ``typing.Mapping``'s instance check
    goes through the ABC machinery on every call, and the spec loader and the differ ask it of
    every value (issue 13; benchmarks/README.md)."""
    return isinstance(value, dict) or isinstance(value, _AbcMapping)


def plain(value: Any, *, refs_as_json: bool = False) -> Any:
    """Mappings to dicts, tuples to lists (recursively); scalars kept. Frozen dataclasses hold
    read-only mappings; this gives the JSON-compatible value back. ``Ref`` objects are kept, or
    with ``refs_as_json`` turned into their ``{"$ref", "key"}`` placeholders."""
    # This runs on every value of every plan, several times (the plan id, the saved file, the
    # JSON document; issue 13): exact built-in types take a fast path that copies scalar leaves
    # inline instead of calling itself for each; everything else (subclasses, other mappings,
    # Ref) takes ``_plain_general``, the definition. tests/plan/test_fast_paths.py checks that
    # both give the same on generated values.
    return _plain_refs(value) if refs_as_json else _plain_keep(value)


def _plain_keep(value: Any) -> Any:
    # Two copies of one walk (Refs kept / as JSON) so the recursion passes no keyword.
    kind = type(value)
    if kind in _LEAVES:
        return value
    if kind is dict or kind is _MappingProxy:
        return {(k if type(k) is str else str(k)): (v if type(v) in _LEAVES else _plain_keep(v))
                for k, v in value.items()}
    if kind is list or kind is tuple:
        return [v if type(v) in _LEAVES else _plain_keep(v) for v in value]
    return _plain_general(value, False)


def _plain_refs(value: Any) -> Any:
    kind = type(value)
    if kind in _LEAVES:
        return value
    if kind is dict or kind is _MappingProxy:
        return {(k if type(k) is str else str(k)): (v if type(v) in _LEAVES else _plain_refs(v))
                for k, v in value.items()}
    if kind is list or kind is tuple:
        return [v if type(v) in _LEAVES else _plain_refs(v) for v in value]
    return _plain_general(value, True)


_LEAVES = frozenset({str, int, float, bool, type(None)})
"""The exact types ``plain`` returns as they are without looking further (subclasses such as a
``str`` enum are kept too, by ``_plain_general``)."""
_MappingProxy = type(type.__dict__)


def _plain_general(value: Any, refs_as_json: bool) -> Any:
    """``plain`` for any value: the definition its fast path must agree with."""
    # Scalars first and plain dicts before the (slow) ABC check (benchmarks/README.md measured
    # ~40% of build_plan in isinstance(x, Mapping)).
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    walk = _plain_refs if refs_as_json else _plain_keep
    if isinstance(value, dict) or isinstance(value, _AbcMapping):
        return {str(k): walk(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [walk(v) for v in value]
    if refs_as_json and isinstance(value, Ref):
        return ref_to_json(value)
    return value


def ref_to_json(obj: Any) -> Any:
    """``json.dumps`` default: a ``Ref`` as its ``{"$ref", "key"}`` placeholder."""
    if isinstance(obj, Ref):
        return {"$ref": obj.address, "key": obj.key}
    raise TypeError(f"not JSON-serialisable: {type(obj).__name__}")


def is_ref(value: Any) -> bool:
    """Whether ``value`` is a value known only after apply. THE predicate: in memory a ``Ref`` has
    exactly one form, the ``Ref`` object; its JSON form (``{"$ref", "key"}``) exists only in
    text (saved plans, ``--output json``) and is turned back into ``Ref`` by ``refs_from_json``
    when such text is read. (An OpenAPI document's own ``{"$ref": "#/..."}`` is never a Ref.)"""
    return isinstance(value, Ref)


def refs_from_json(value: Any) -> Any:
    """JSON placeholders (``{"$ref": address, "key": key}`` dicts, exactly those two keys, the
    address an ``agent.`` address as every Ref's is) back to ``Ref`` objects, recursively: the
    inverse of ``plain(..., refs_as_json=True)``, for text read back (saved plans, fixtures).
    User data that merely contains ``$ref`` (OpenAPI's ``#/...`` references, free-form model
    fields) is left alone."""
    # Scalar leaves are copied inline rather than by a call each (a saved plan of 200 agents
    # holds ~100 000 values; issue 13).
    if isinstance(value, dict):
        if len(value) == 2 and "$ref" in value and "key" in value \
                and isinstance(value["key"], str) \
                and isinstance(value["$ref"], str) and value["$ref"].startswith("agent."):
            return Ref(value["$ref"], value["key"])
        return {k: (v if type(v) in _LEAVES else refs_from_json(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [v if type(v) in _LEAVES else refs_from_json(v) for v in value]
    return value


@dataclass(frozen=True)
class Ref:
    """A value known only after apply: ``key`` of the resource at ``address`` (e.g. the alias ARN
    of another agent of the project that is created in the same apply). Rendered
    ``(known after apply)``; resolved by the executor from earlier steps' outputs."""

    address: str
    key: str


@dataclass(frozen=True)
class AliasConfig:
    """An alias as the spec wants it. ``track`` is agentctl's own notion, not an AWS field."""

    name: str
    description: str | None = None
    track: str = TRACK_PINNED
    tags: Mapping[str, str] = field(default_factory=dict)
    invocation_state: str | None = None
    """``aliasInvocationState``; None = service default (ACCEPT_INVOCATIONS)."""


@dataclass(frozen=True)
class AgentConfig:
    """One agent in canonical form. ``agent`` holds the UpdateAgent members (minus agentId);
    sub-resources are keyed by their natural key (action group name, knowledge base id,
    collaborator name, alias name)."""

    name: str
    agent: Mapping[str, Any]
    """agentName, foundationModel, instruction, description, agentResourceRoleArn,
    idleSessionTTLInSeconds, customerEncryptionKeyArn, promptOverrideConfiguration,
    guardrailConfiguration, memoryConfiguration, agentCollaboration, orchestrationType,
    customOrchestration: each present only when it differs from the service default."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """User tags only; ownership tags are handled separately (``OWNER_TAG``)."""
    action_groups: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """actionGroupName -> CreateAgentActionGroup members (minus agentId, agentVersion,
    clientToken): description, actionGroupExecutor, apiSchema ({"payload": <dict>} or
    {"s3": {...}}), functionSchema, parentActionGroupSignature,
    parentActionGroupSignatureParams, actionGroupState (absent = ENABLED)."""
    knowledge_bases: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """knowledgeBaseId -> {description, knowledgeBaseState (absent = ENABLED)}."""
    collaborators: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """collaboratorName -> {agentDescriptor: {aliasArn: str | Ref}, collaborationInstruction,
    relayConversationHistory (absent = DISABLED)}."""
    aliases: Mapping[str, AliasConfig] = field(default_factory=dict)

    def content(self) -> dict[str, Any]:
        """What a numbered version snapshots: the agent settings and its action groups, KBs and
        collaborators (not tags, not aliases). Equal content = no new version needed."""
        return {
            "agent": dict(self.agent),
            "action_groups": {k: dict(v) for k, v in self.action_groups.items()},
            "knowledge_bases": {k: dict(v) for k, v in self.knowledge_bases.items()},
            "collaborators": {k: dict(v) for k, v in self.collaborators.items()},
        }


@dataclass(frozen=True)
class LiveAlias:
    alias_id: str
    name: str
    arn: str
    description: str | None
    routed_version: str | None
    """The single routingConfiguration[].agentVersion, or None (DISSOCIATED)."""
    status: str
    invocation_state: str | None
    tags: Mapping[str, str]
    history: tuple[Mapping[str, Any], ...] | None
    """agentAliasHistoryEvents as returned (routingConfiguration, startDate, endDate); None
    when not read (``read_live(alias_history=False)``: a plan needs only the alias summary)."""


@dataclass(frozen=True)
class LiveVersion:
    version: str
    status: str
    created_at: str | None
    content: Mapping[str, Any] | None
    """Normalized ``AgentConfig.content()`` of the version snapshot, when it was read."""


@dataclass(frozen=True)
class LiveAgent:
    """Everything agentctl manages of one existing agent, read once, up front (``agentctl.aws.live``).
    ``config`` is the DRAFT normalized to canonical form; the ``raw_*`` fields keep what the
    service returned, for the executor (ids) and for fingerprints."""

    agent_id: str
    arn: str
    status: str
    config: AgentConfig
    owner_tags: Mapping[str, str]
    action_group_ids: Mapping[str, str]
    """actionGroupName -> actionGroupId."""
    action_group_states: Mapping[str, str]
    aliases: Mapping[str, LiveAlias]
    """By alias name; never includes the built-in TSTALIASID / AgentTestAlias."""
    versions: tuple[LiveVersion, ...]
    """Numbered versions, oldest first (DRAFT excluded)."""
    fingerprint: str
    """Digest of everything read; a saved plan records it and apply refuses if it changed."""
    failure_reasons: tuple[str, ...] = ()
    collaborator_ids: Mapping[str, str] = field(default_factory=dict)
    """collaboratorName -> collaboratorId (Update/DisassociateAgentCollaborator need the id)."""

    @property
    def newest_version(self) -> LiveVersion | None:
        return max(self.versions, key=lambda v: int(v.version)) if self.versions else None


@dataclass(frozen=True)
class Target:
    """Where a plan applies: recorded in saved plans; apply refuses a different target."""

    kind: str
    """"local" or "aws"."""
    region: str
    account: str
    endpoint: str | None = None
    """Endpoint URL (local target / custom endpoint), None for the AWS default."""


@dataclass(frozen=True)
class LiveState:
    """The live side of a plan: every agent of the project found on the target, by name, plus
    names that were looked for and not found (their absence is part of the fingerprint)."""

    target: Target
    agents: Mapping[str, LiveAgent]
    absent: frozenset[str] = frozenset()
    unowned: Mapping[str, str] = field(default_factory=dict)
    """name -> agentId of same-named agents that exist but carry no agentctl ownership tag."""
