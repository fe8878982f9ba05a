"""Map a resolved agent spec onto ``agentctl.core.model.AgentConfig`` (the table in
docs/spec-format.md), onto the API requests used to validate it against botocore's model, and
back: ``spec_document`` turns a canonical config (a live agent read back) into a spec document.
Every spec key <-> member correspondence comes from the field table, ``agentctl.spec.fields``.

The mapping is a *mapping only*: spec keys become API member names, values the spec omits are
omitted, no service default is filled in and nothing is sorted. Canonicalisation is
``agentctl.core.normalize``'s job, on both sides of the diff.

``requests`` builds the CreateAgent / CreateAgentActionGroup / AssociateAgentKnowledgeBase /
AssociateAgentCollaborator / CreateAgentAlias request dicts of one agent (with placeholder ids)
and, for every member path, the spec path it came from, so a botocore ``Violation`` is reported
at the right line of the right file.

Must not: read files, validate, or raise on a document that failed schema validation in a way
the caller cannot catch (callers only map schema-clean documents for ``desired``).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

from agentctl.core.model import AgentConfig, AliasConfig, Ref, TRACK_PINNED
from agentctl.spec import fields
from agentctl.spec.rules_constants import AGENTCTL_ALIAS_PREFIX
from agentctl.spec.resolve import OpenApiDoc
from agentctl.spec.yamlload import PathT

PLACEHOLDER_ID = "AAAAAAAAAA"
"""A well-formed 10-character id used where a request needs one that does not exist yet."""
PLACEHOLDER_ALIAS_ARN = "arn:aws:bedrock:us-east-1:123456789012:agent-alias/AAAAAAAAAA/BBBBBBBBBB"


def agent_members(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The agent's own members (UpdateAgent names, minus agentId)."""
    out = fields.to_members(fields.AGENT, doc)
    out.pop("tags", None)  # not an UpdateAgent member: AgentConfig.tags (§1.2)
    return out


def action_group_members(group: Mapping[str, Any], payload: Any | None) -> dict[str, Any]:
    """CreateAgentActionGroup members minus agentId/agentVersion/clientToken/actionGroupName.
    ``payload`` is the parsed OpenAPI document for ``openapi.file`` / ``openapi.inline``."""
    return fields.to_members(fields.ACTION_GROUP, group, payload=payload)


def collaborator_member(c: Mapping[str, Any]) -> dict[str, Any]:
    return fields.to_members(fields.COLLABORATOR, c)


def alias_config(a: Mapping[str, Any]) -> AliasConfig:
    m = fields.to_members(fields.ALIAS, a)
    return AliasConfig(
        name=a["name"], description=m.get("description"),
        track=fields.get(a, fields.ALIAS.field("track").spec) or TRACK_PINNED,
        tags=dict(m.get("tags") or {}), invocation_state=m.get("aliasInvocationState"))


def to_config(doc: Mapping[str, Any], openapi: Mapping[int, OpenApiDoc]) -> AgentConfig:
    groups: dict[str, dict[str, Any]] = {}
    for i, g in enumerate(doc.get("actionGroups") or []):
        payload = openapi[i].value if i in openapi else None
        groups[g["name"]] = action_group_members(g, payload)
    kbs = {kb["id"]: fields.to_members(fields.KNOWLEDGE_BASE, kb)
           for kb in doc.get("knowledgeBases") or []}
    collabs = {c["name"]: collaborator_member(c)
               for c in ((doc.get("collaboration") or {}).get("collaborators") or [])}
    aliases = {a["name"]: alias_config(a) for a in doc.get("aliases") or []}
    return AgentConfig(
        name=doc["name"], agent=agent_members(doc), tags=dict(doc.get("tags") or {}),
        action_groups=groups, knowledge_bases=kbs, collaborators=collabs, aliases=aliases)


# --- live -> spec (the inverse, for import) ----------------------------------------------------------

def spec_document(config: AgentConfig, *,
                  alias_names: Mapping[str, tuple[str, str]] | None = None) -> dict[str, Any]:
    """The spec document of a canonical config (``agentctl.core.normalize``), e.g. a live agent
    read back by ``agentctl.aws.live``: every key the field table maps, with every value inline
    (instruction and templates as text, OpenAPI documents as ``openapi.inline``). Defaults are
    absent, as they are in the canonical config. ``alias_names`` (alias ARN -> (agent, alias))
    turns collaborators on project agents into ``agent`` + ``alias``; other ARNs stay
    ``aliasArn``. What AWS does not store is not produced: an alias's ``track`` (agentctl's
    own notion) only when it is not the default ``pinned``, local handlers never, agentctl's own
    ``agentctl-`` aliases never.
    ``to_config`` of the result canonicalizes back to ``config``."""
    names = alias_names or {}
    doc = fields.from_members(fields.AGENT, {**config.agent, "tags": dict(config.tags)},
                              alias_names=names)
    doc.setdefault("name", config.name)
    children = {
        "actionGroups": [{"name": n, **fields.from_members(fields.ACTION_GROUP, m, alias_names=names)}
                         for n, m in config.action_groups.items()],
        "knowledgeBases": [{"id": k, **fields.from_members(fields.KNOWLEDGE_BASE, m, alias_names=names)}
                           for k, m in config.knowledge_bases.items()],
        "collaboration.collaborators": [
            {"name": n, **fields.from_members(fields.COLLABORATOR, m, alias_names=names)}
            for n, m in config.collaborators.items()],
        # agentctl's own aliases (``agentctl-release``, ...) are not the user's, and a spec may
        # not name them (rules: alias.reserved).
        "aliases": [_alias_spec(a) for a in config.aliases.values()
                    if not a.name.startswith(AGENTCTL_ALIAS_PREFIX)],
    }
    for child in fields.CHILDREN:
        if children[child.spec]:
            fields.put(doc, child.spec, children[child.spec])
    return doc


def _alias_spec(a: AliasConfig) -> dict[str, Any]:
    members: dict[str, Any] = {"agentAliasName": a.name}
    if a.description:
        members["description"] = a.description
    if a.tags:
        members["tags"] = dict(a.tags)
    if a.invocation_state:
        members["aliasInvocationState"] = a.invocation_state
    out = {"name": a.name, **fields.from_members(fields.ALIAS, members)}
    if a.track != TRACK_PINNED:
        out["track"] = a.track
    return out


# --- requests for botocore validation ------------------------------------------------------------

@dataclass
class Request:
    """One API request built from the spec, and where each member came from."""

    operation: str
    params: dict[str, Any]
    base: PathT = ()
    sources: tuple[Callable[[], dict[str, PathT]], ...] = ()
    """What ``origin`` is made of; called on first use of ``origin`` only: a request without a
    violation (nearly every one) never needs it, and building it cost as much as the request."""
    _origin: dict[str, PathT] | None = field(default=None, repr=False, compare=False)

    @property
    def origin(self) -> dict[str, PathT]:
        """Coral member path (``functionSchema.functions.1.member.name``) -> spec path."""
        if self._origin is None:
            out: dict[str, PathT] = {}
            for source in self.sources:
                out.update(source())
            self._origin = out
        return self._origin

    def spec_path(self, member: str) -> PathT:
        parts = member.split(".")
        while parts:
            key = ".".join(parts)
            if key in self.origin:
                return self.origin[key]
            parts.pop()
        return self.base


def requests(doc: Mapping[str, Any], openapi: Mapping[int, OpenApiDoc]) -> list[Request]:
    out: list[Request] = [agent_request(doc)]
    for child, i, item in child_items(doc):
        out.extend(child_requests(child, i, item, openapi))
    return out


def agent_request(doc: Mapping[str, Any]) -> Request:
    """The CreateAgent request of a spec."""
    return Request("CreateAgent", fields.to_members(fields.AGENT, doc, operation="CreateAgent"),
                   sources=(functools.partial(fields.origins, fields.AGENT, doc),))


def child_items(doc: Mapping[str, Any]) -> Iterator[tuple[fields.Child, int, dict[str, Any]]]:
    """(child kind, index, spec object) of every action group, knowledge base, collaborator and
    alias of a spec: each becomes ``child_requests``."""
    for child in fields.CHILDREN:
        items = fields.get(doc, child.spec)
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict):
                yield child, i, item


def child_payload(child: fields.Child, i: int, openapi: Mapping[int, OpenApiDoc]) -> Any:
    """The parsed OpenAPI document ``child_requests`` puts into child ``i``'s request, if any."""
    return openapi[i].value if child.resource is fields.ACTION_GROUP and i in openapi else None


def child_requests(child: fields.Child, i: int, item: Mapping[str, Any],
                   openapi: Mapping[int, OpenApiDoc]) -> list[Request]:
    """The request(s) of one child spec object: its create/associate request and, for members
    set with another operation, that one (an alias's invocation state: UpdateAgentAlias)."""
    res = child.resource
    base: PathT = tuple(child.spec.split(".")) + (i,)
    payload = child_payload(child, i, openapi)
    members = fields.to_members(res, item, payload=payload, keys=True, operation=res.operation)
    if isinstance((members.get("apiSchema") or {}).get("payload"), (dict, list)):
        # The API takes the document as a string (§4.3); length/pattern rules apply to that.
        members["apiSchema"] = {"payload": json.dumps(members["apiSchema"]["payload"])}
    if isinstance((members.get("agentDescriptor") or {}).get("aliasArn"), Ref):
        members["agentDescriptor"] = {"aliasArn": PLACEHOLDER_ALIAS_ARN}
    ids = {"agentId": PLACEHOLDER_ID}
    if res.operation != "CreateAgentAlias":
        ids["agentVersion"] = "DRAFT"
    out = [Request(res.operation, {**ids, **members}, base=base,
                   sources=(functools.partial(fields.origins, res, item, base, operation=res.operation),))]
    # Members set with another operation (an alias's invocation state: UpdateAgentAlias).
    for op in sorted({f.operation for f in res.fields if f.operation}):
        extra = fields.to_members(res, item, operation=op)
        if extra:
            out.append(Request(op, {"agentId": PLACEHOLDER_ID, "agentAliasId": "BBBBBBBBBB",
                                    "agentAliasName": item.get("name") or "x", **extra}, base=base,
                               sources=(functools.partial(fields.origins, res, item, base, operation=op),)))
    return out
