"""Knowledge bases: an agent's associations (Associate/Get/Update/Disassociate/
ListAgentKnowledgeBases) and the knowledge-base resource itself (Create/Get/ListKnowledgeBases,
and ``seed_knowledge_base`` for the world a project declares).

Must not: import the transports or the runtime; model ingestion (a knowledge base is ACTIVE at
once).
"""

from __future__ import annotations

import copy
from typing import Any

from agentctl.emulator.control.base import (AGENT_KB, DRAFT, KNOWLEDGE_BASE, Control, Handler, drop_none,
                                            public, sent, user_fields)
from agentctl.emulator.errors import conflict, not_found
from agentctl.emulator.store import Tx

AGENT_KB_FIELDS = user_fields("UpdateAgentKnowledgeBase")


def render_agent_kb(cp: Control, doc: dict[str, Any]) -> dict[str, Any]:
    out = public(doc)
    out.setdefault("knowledgeBaseState", cp.config.knowledge_base_state_default)  # §12.9
    return out


def associate_kb(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    agent = cp.agent(tx, p["agentId"])
    cp.refuse_if_transitional(agent, "Associate")
    if tx.get(KNOWLEDGE_BASE, "", "", p["knowledgeBaseId"]) is None:
        raise not_found()  # §5: the KB must exist in the same account/Region
    existing = tx.rows(AGENT_KB, agent=agent["agentId"], version=DRAFT)
    if any(r.rid == p["knowledgeBaseId"] for r in existing):
        # §5: exception for re-associating is UNCONFIRMED; ConflictException (modelled), invented text.
        raise conflict(f"Knowledge base {p['knowledgeBaseId']} is already associated with agent "
                       f"{agent['agentId']}.")
    cp.quota(cp.config.quotas.knowledge_bases_per_agent, len(existing) + 1, "max-knowledge-bases-per-agent")
    # The association's id is the knowledge base's; AssociateAgentKnowledgeBase has no clientToken.
    doc = cp.new_draft_child(tx, agent, p, AGENT_KB_FIELDS, "knowledgeBaseId", p["knowledgeBaseId"], now)
    cp.put_draft_child(tx, agent, AGENT_KB, p["knowledgeBaseId"], doc, now)
    return {"agentKnowledgeBase": render_agent_kb(cp, doc)}


def get_agent_kb(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    doc = cp.sub(tx, AGENT_KB, p["agentId"], p["agentVersion"], p["knowledgeBaseId"])
    return {"agentKnowledgeBase": render_agent_kb(cp, doc)}


def update_agent_kb(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    agent, doc = cp.draft_child(tx, p, AGENT_KB, p["knowledgeBaseId"], "Update")
    # §5: full replacement: knowledgeBaseState resets to its default when omitted. The
    # description is *required* in the response shape, so an omitted one cannot be cleared:
    # it is kept (what the service must do too, since it always returns one).
    doc.pop("knowledgeBaseState", None)
    doc.update(sent(p, AGENT_KB_FIELDS))
    doc["updatedAt"] = now
    cp.put_draft_child(tx, agent, AGENT_KB, p["knowledgeBaseId"], doc, now)
    return {"agentKnowledgeBase": render_agent_kb(cp, doc)}


def disassociate_kb(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    agent, _ = cp.draft_child(tx, p, AGENT_KB, p["knowledgeBaseId"], "Disassociate")
    cp.put_draft_child(tx, agent, AGENT_KB, p["knowledgeBaseId"], None, now)
    return {}


def list_agent_kbs(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    cp.readable_version(tx, p["agentId"], p["agentVersion"])
    items = []
    for row in tx.rows(AGENT_KB, agent=p["agentId"], version=p["agentVersion"]):
        d = render_agent_kb(cp, row.doc)
        items.append((row.seq, drop_none({"knowledgeBaseId": d["knowledgeBaseId"],
                                          "description": d.get("description"),
                                          "knowledgeBaseState": d["knowledgeBaseState"],
                                          "updatedAt": d["updatedAt"]})))
    return cp.page("ListAgentKnowledgeBases", items, p, "agentKnowledgeBaseSummaries")


def seed_knowledge_base(cp: Control, tx: Tx, kb_id: str, name: str, description: str | None, now: float) -> None:
    existing = tx.get(KNOWLEDGE_BASE, "", "", kb_id)
    doc = existing or {
        "knowledgeBaseId": kb_id, "knowledgeBaseArn": cp.kb_arn(kb_id), "createdAt": now,
        "roleArn": f"arn:aws:iam::{cp.account}:role/AmazonBedrockExecutionRoleForKnowledgeBase_emulator",
        "knowledgeBaseConfiguration": {"type": "VECTOR", "vectorKnowledgeBaseConfiguration": {
            "embeddingModelArn": f"arn:aws:bedrock:{cp.region}::foundation-model/amazon.titan-embed-text-v2:0"}},
        "status": "ACTIVE"}
    doc.update(name=name, updatedAt=doc.get("updatedAt", now))
    if description:
        doc["description"] = description
    else:
        doc.pop("description", None)
    tx.put(KNOWLEDGE_BASE, "", "", kb_id, doc)


def create_knowledge_base(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    kb_id = cp.new_id(tx)
    doc = {k: copy.deepcopy(v) for k, v in p.items() if k not in ("clientToken", "tags") and v is not None}
    # Stored as ACTIVE at once: the emulator has no ingestion pipeline to wait for.
    doc.update(knowledgeBaseId=kb_id, knowledgeBaseArn=cp.kb_arn(kb_id), status="ACTIVE",
               createdAt=now, updatedAt=now)
    tx.put(KNOWLEDGE_BASE, "", "", kb_id, doc)
    cp.tags_put(tx, doc["knowledgeBaseArn"], p.get("tags"))
    return {"knowledgeBase": public(doc)}


def get_knowledge_base(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    doc = tx.get(KNOWLEDGE_BASE, "", "", p["knowledgeBaseId"])
    if doc is None:
        raise not_found()
    return {"knowledgeBase": public(doc)}


def list_knowledge_bases(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    items = [(r.seq, drop_none({"knowledgeBaseId": r.doc["knowledgeBaseId"], "name": r.doc["name"],
                                "description": r.doc.get("description"), "status": r.doc["status"],
                                "updatedAt": r.doc["updatedAt"]}))
             for r in tx.rows(KNOWLEDGE_BASE)]
    return cp.page("ListKnowledgeBases", items, p, "knowledgeBaseSummaries")


OPERATIONS: dict[str, Handler] = {
    "AssociateAgentKnowledgeBase": associate_kb,
    "GetAgentKnowledgeBase": get_agent_kb,
    "UpdateAgentKnowledgeBase": update_agent_kb,
    "DisassociateAgentKnowledgeBase": disassociate_kb,
    "ListAgentKnowledgeBases": list_agent_kbs,
    "CreateKnowledgeBase": create_knowledge_base,
    "GetKnowledgeBase": get_knowledge_base,
    "ListKnowledgeBases": list_knowledge_bases,
}
