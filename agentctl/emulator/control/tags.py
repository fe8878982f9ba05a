"""Tags of agents, aliases and knowledge bases: TagResource, UntagResource, ListTagsForResource
(tags given on create are stored by ``Control.tags_put``).

Must not: import the transports or the runtime.
"""

from __future__ import annotations

from typing import Any

from agentctl.emulator.control.base import AGENT, ALIAS, DRAFT, KNOWLEDGE_BASE, TAGS, Control, Handler
from agentctl.emulator.errors import not_found
from agentctl.emulator.store import Tx


def taggable(cp: Control, tx: Tx, arn: str) -> None:
    target = cp.parse_arn(arn)
    found = False
    if target is not None:
        kind, a, b = target
        if kind == "agent":
            found = tx.get(AGENT, a, DRAFT, "") is not None
        elif kind == "agent-alias":
            found = tx.get(ALIAS, a, "", b) is not None
        else:
            found = tx.get(KNOWLEDGE_BASE, "", "", a) is not None
    if not found:
        raise not_found()


def tags_of(cp: Control, tx: Tx, arn: str) -> dict[str, str]:
    """The tags of an existing taggable resource (ResourceNotFoundException otherwise)."""
    taggable(cp, tx, arn)
    return (tx.get(TAGS, "", "", arn) or {}).get("tags", {})


def tag_resource(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    merged = {**tags_of(cp, tx, p["resourceArn"]), **p["tags"]}
    cp.quota(cp.config.quotas.tags_per_resource, len(merged), "max-tags-per-resource")
    tx.put(TAGS, "", "", p["resourceArn"], {"tags": merged})
    return {}


def untag_resource(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    current = tags_of(cp, tx, p["resourceArn"])
    for key in p.get("tagKeys") or []:
        current.pop(key, None)
    tx.put(TAGS, "", "", p["resourceArn"], {"tags": current})
    return {}


def list_tags(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    return {"tags": tags_of(cp, tx, p["resourceArn"])}


OPERATIONS: dict[str, Handler] = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags,
}
