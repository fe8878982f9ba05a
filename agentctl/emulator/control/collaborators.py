"""Collaborators of a supervisor agent's DRAFT (and read from its versions): Associate/Get/Update/
Disassociate/ListAgentCollaborators.

Must not: import the transports or the runtime.
"""

from __future__ import annotations

from typing import Any

from agentctl.emulator.control.base import (ALIAS, COLLABORATOR, DRAFT, Control, Handler, public, replace,
                                            user_fields)
from agentctl.emulator.errors import conflict, not_found
from agentctl.emulator.store import Tx

COLLABORATOR_FIELDS = user_fields("UpdateAgentCollaborator")


def render_collaborator(doc: dict[str, Any]) -> dict[str, Any]:
    out = public(doc)
    # Required in the list summary shape; DISABLED is the non-sharing default (derived).
    out.setdefault("relayConversationHistory", "DISABLED")
    return out


def check_collaborator(cp: Control, tx: Tx, agent_id: str, p: dict[str, Any], self_id: str | None) -> None:
    arn = (p.get("agentDescriptor") or {}).get("aliasArn")
    if arn:
        target = cp.parse_arn(arn)
        if target is None or tx.get(ALIAS, target[1], "", target[2]) is None:
            raise not_found()  # the collaborator's alias must exist (RNF is modelled)
    siblings = [r for r in tx.rows(COLLABORATOR, agent=agent_id, version=DRAFT) if r.rid != self_id]
    if any(r.doc["collaboratorName"] == p["collaboratorName"] for r in siblings):
        raise conflict(f"A collaborator with name {p['collaboratorName']} already exists for agent "
                       f"{agent_id}.")  # invented text: uniqueness assumed
    if self_id is None:
        cp.quota(cp.config.quotas.collaborators_per_agent, len(siblings) + 1, "max-collaborators-per-agent")


def associate_collaborator(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    agent = cp.agent(tx, p["agentId"])
    cp.refuse_if_transitional(agent, "Associate")
    check_collaborator(cp, tx, agent["agentId"], p, None)
    cid = cp.new_id(tx)
    # §6.4: a collaborator has lastUpdatedAt, not updatedAt.
    doc = cp.new_draft_child(tx, agent, p, COLLABORATOR_FIELDS, "collaboratorId", cid, now,
                             updated="lastUpdatedAt")
    cp.put_draft_child(tx, agent, COLLABORATOR, cid, doc, now)
    return {"agentCollaborator": render_collaborator(doc)}


def get_collaborator(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    doc = cp.sub(tx, COLLABORATOR, p["agentId"], p["agentVersion"], p["collaboratorId"])
    return {"agentCollaborator": render_collaborator(doc)}


def update_collaborator(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    agent, doc = cp.draft_child(tx, p, COLLABORATOR, p["collaboratorId"], "Update")
    check_collaborator(cp, tx, agent["agentId"], p, p["collaboratorId"])
    replace(doc, p, COLLABORATOR_FIELDS)   # §11.4: full replacement
    doc["lastUpdatedAt"] = now
    cp.put_draft_child(tx, agent, COLLABORATOR, p["collaboratorId"], doc, now)
    return {"agentCollaborator": render_collaborator(doc)}


def disassociate_collaborator(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    agent, _ = cp.draft_child(tx, p, COLLABORATOR, p["collaboratorId"], "Disassociate")
    cp.put_draft_child(tx, agent, COLLABORATOR, p["collaboratorId"], None, now)
    return {}


def list_collaborators(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    cp.readable_version(tx, p["agentId"], p["agentVersion"])
    keys = ("agentId", "agentVersion", "collaboratorId", "agentDescriptor", "collaborationInstruction",
            "relayConversationHistory", "collaboratorName", "createdAt", "lastUpdatedAt")
    items = [(r.seq, {k: v for k, v in render_collaborator(r.doc).items() if k in keys})
             for r in tx.rows(COLLABORATOR, agent=p["agentId"], version=p["agentVersion"])]
    return cp.page("ListAgentCollaborators", items, p, "agentCollaboratorSummaries")


OPERATIONS: dict[str, Handler] = {
    "AssociateAgentCollaborator": associate_collaborator,
    "GetAgentCollaborator": get_collaborator,
    "UpdateAgentCollaborator": update_collaborator,
    "DisassociateAgentCollaborator": disassociate_collaborator,
    "ListAgentCollaborators": list_collaborators,
}
