"""Agent versions: cutting one from the DRAFT (``cut_version``, used when an alias asks for a new
version), GetAgentVersion, ListAgentVersions (DRAFT included) and DeleteAgentVersion.

Must not: import the transports or the runtime; change aliases except as DeleteAgentVersion's
skipResourceInUseCheck does (§3.3).
"""

from __future__ import annotations

import copy
from typing import Any

from agentctl.emulator.control import agents
from agentctl.emulator.control.base import (AGENT_FIELDS, ALIAS, DRAFT, SUB_KINDS, VERSION, Control, Handler,
                                            close_history, drop_none, public)
from agentctl.emulator.errors import conflict, not_found
from agentctl.emulator.store import Tx


def cut_version(cp: Control, tx: Tx, agent: dict[str, Any], now: float) -> str:
    """§3.1 / §11.6: snapshot DRAFT (agent fields + action groups + KBs + collaborators)."""
    agent_id = agent["agentId"]
    existing = [int(r.version) for r in tx.rows(VERSION, agent=agent_id)]
    cp.quota(cp.config.quotas.versions_per_agent, len(existing) + 1, "max-versions-per-agent")
    if cp.config.reuse_deleted_version_numbers:
        number = max(existing, default=0) + 1
    else:
        number = max(agent.get("_next_version", 1), max(existing, default=0) + 1)
    agent["_next_version"] = number + 1
    version = str(number)
    snap = {k: copy.deepcopy(agent[k]) for k in AGENT_FIELDS if k in agent}
    snap.update(agentId=agent_id, agentArn=agent["agentArn"], version=version, agentStatus="PREPARED",
                createdAt=now, updatedAt=now)
    tx.put(VERSION, agent_id, version, "", snap)
    for kind in SUB_KINDS:
        for row in tx.rows(kind, agent=agent_id, version=DRAFT):
            child = copy.deepcopy(row.doc)
            child["agentVersion"] = version
            tx.put(kind, agent_id, version, row.rid, child)
    return version


def version_exists(tx: Tx, agent_id: str, version: str) -> bool:
    if version == DRAFT:
        return True
    doc = tx.get(VERSION, agent_id, version, "")
    return doc is not None and not (doc.get("_pending") or {}).get("gone")


def render_version(cp: Control, doc: dict[str, Any]) -> dict[str, Any]:
    out = public(doc)
    agents.fill_agent_defaults(cp, out, doc)
    return out


def get_version(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    cp.agent(tx, p["agentId"])
    doc = tx.get(VERSION, p["agentId"], p["agentVersion"], "")
    if doc is None:
        raise not_found()
    return {"agentVersion": render_version(cp, doc)}


def list_versions(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    agent = cp.agent(tx, p["agentId"])
    # §3.1: ListAgentVersions includes DRAFT.
    items = [(0, drop_none({"agentName": agent["agentName"], "agentStatus": agent["agentStatus"],
                            "agentVersion": DRAFT, "createdAt": agent["createdAt"],
                            "updatedAt": agent["updatedAt"], "description": agent.get("description"),
                            "guardrailConfiguration": agent.get("guardrailConfiguration")}))]
    for row in sorted(tx.rows(VERSION, agent=p["agentId"]), key=lambda r: int(r.version)):
        d = row.doc
        items.append((int(row.version), drop_none({
            "agentName": d["agentName"], "agentStatus": d["agentStatus"], "agentVersion": row.version,
            "createdAt": d["createdAt"], "updatedAt": d["updatedAt"], "description": d.get("description"),
            "guardrailConfiguration": d.get("guardrailConfiguration")})))
    return cp.page("ListAgentVersions", items, p, "agentVersionSummaries")


def delete_version(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    agent_id, version = p["agentId"], p["agentVersion"]
    cp.agent(tx, agent_id)
    doc = tx.get(VERSION, agent_id, version, "")
    if doc is None:
        raise not_found()
    if doc["agentStatus"] == "DELETING":
        return {"agentId": agent_id, "agentVersion": version, "agentStatus": "DELETING"}
    users = [r for r in tx.rows(ALIAS, agent=agent_id)
             if any(e.get("agentVersion") == version for e in r.doc.get("routingConfiguration", []))]
    if users and not p.get("skipResourceInUseCheck"):
        names = ", ".join(r.doc["agentAliasName"] for r in users)
        # §3.3: ConflictException; the text is UNCONFIRMED (invented, in the style of §2.5).
        raise conflict(f"Could not delete version {version} of Agent with ID {agent_id}, since it is "
                       f"used by alias(es): {names}")
    for row in users:
        # With the skip flag the aliases lose their version: DISSOCIATED ("The agent alias has
        # no version associated with it", model text).
        row.doc["routingConfiguration"] = []
        row.doc["agentAliasStatus"] = "DISSOCIATED"
        row.doc["updatedAt"] = now
        # §3.4: the history has one entry per period the alias pointed at a version, and
        # only the current one lacks an endDate: pointing at nothing ends that period.
        close_history(row.doc, now)
        tx.put(ALIAS, agent_id, "", row.rid, row.doc)
    cp.schedule(doc, "DELETING", {"gone": True}, now, cp.config.scaled(cp.config.durations.version))
    tx.put(VERSION, agent_id, version, "", doc, doc["_due"])
    return {"agentId": agent_id, "agentVersion": version, "agentStatus": "DELETING"}


OPERATIONS: dict[str, Handler] = {
    "GetAgentVersion": get_version,
    "DeleteAgentVersion": delete_version,
    "ListAgentVersions": list_versions,
}
