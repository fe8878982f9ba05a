"""Agent aliases: Create/Get/Update/Delete/ListAgentAliases, routing (cutting a version when the
request asks for one, §3.2), the alias history (§11.7) and the built-in test alias's refusals
(§3.4).

Must not: import the transports or the runtime.
"""

from __future__ import annotations

import copy
from typing import Any

from agentctl.emulator.control import versions
from agentctl.emulator.control.base import (ALIAS, DRAFT, RETRY_SUFFIX, STATE_WORDS, TEST_ALIAS_ID,
                                            TEST_ALIAS_PATTERN_TEXT, TRANSITIONAL, Control, Handler,
                                            close_history, due_of, public)
from agentctl.emulator.errors import conflict, not_found, validation
from agentctl.emulator.store import Tx


def render_alias(doc: dict[str, Any]) -> dict[str, Any]:
    out = public(doc)
    out.setdefault("routingConfiguration", [])
    out.setdefault("aliasInvocationState", "ACCEPT_INVOCATIONS")
    return out


def alias_target(cp: Control, tx: Tx, agent: dict[str, Any], routing: list[dict[str, Any]] | None,
                 verb: str, now: float) -> list[dict[str, Any]]:
    """Resolve the routing of a Create/UpdateAgentAlias, cutting a version when it asks for one."""
    cuts = routing is None or (routing == [] and cp.config.empty_routing_cuts_version)
    if cuts:
        status = agent["agentStatus"]
        if status != "PREPARED" or agent.get("_creation_failed"):
            # §2.3 verbatim texts for Not Prepared and Creating; others follow §11.2.
            if status == "CREATING":
                suffix = " Retry your request after the Agent is created"
            elif status == "NOT_PREPARED":
                suffix = ""
            else:
                suffix = f" {RETRY_SUFFIX}"
            raise validation(f"{verb} operation can't be performed on AgentAlias when Agent is in "
                             f"{STATE_WORDS[status]} state.{suffix}")
        version = versions.cut_version(cp, tx, agent, now)
        # §2.2 / §11.1: the DRAFT shows VERSIONING while the version is cut.
        cp.schedule(agent, "VERSIONING", {"status": "PREPARED"}, now,
                    cp.config.scaled(cp.config.durations.version))
        cp.put_agent(tx, agent)
        return [{"agentVersion": version}]
    if not routing:
        return []   # empty list with the switch off: alias without a version
    entry = copy.deepcopy(routing[0])
    target = entry.get("agentVersion")
    if target is None:
        raise validation("routingConfiguration.1.member.agentVersion must be specified.")  # invented
    if target == DRAFT:
        # §3.4: "The version DRAFT is not accepted" for alias routing; exact text UNCONFIRMED.
        raise validation("The version DRAFT is not accepted in routingConfiguration. Specify a numbered "
                         "agent version.")
    if not versions.version_exists(tx, agent["agentId"], target):
        raise not_found(f"Agent version {target} of agent {agent['agentId']} doesn't exist. Retry the "
                        f"request with a different resource identifier.")  # invented text
    return [entry]


def create_alias(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    agent = cp.agent(tx, p["agentId"])
    if agent["agentStatus"] == "DELETING":
        cp.refuse_if_transitional(agent, "Create", error="ValidationException")
    aliases = tx.rows(ALIAS, agent=agent["agentId"])
    if any(r.doc["agentAliasName"] == p["agentAliasName"] for r in aliases):
        raise conflict(f"An alias with name {p['agentAliasName']} already exists for agent "
                       f"{agent['agentId']}.")  # invented text: uniqueness assumed
    counted = [r for r in aliases if r.rid != TEST_ALIAS_ID or cp.config.test_alias_counts_towards_quota]
    cp.quota(cp.config.quotas.aliases_per_agent, len(counted) + 1, "max-aliases-per-agent")
    routing = alias_target(cp, tx, agent, p.get("routingConfiguration"), "Create", now)
    alias_id = cp.new_id(tx)
    doc: dict[str, Any] = {k: copy.deepcopy(p[k]) for k in ("agentAliasName", "description") if p.get(k)}
    doc.update(agentId=agent["agentId"], agentAliasId=alias_id,
               agentAliasArn=cp.alias_arn(agent["agentId"], alias_id), routingConfiguration=routing,
               aliasInvocationState="ACCEPT_INVOCATIONS", createdAt=now, updatedAt=now,
               agentAliasHistoryEvents=[{"routingConfiguration": routing, "startDate": now}] if routing else [])
    if p.get("clientToken"):
        doc["clientToken"] = p["clientToken"]
    if routing:
        cp.schedule(doc, "CREATING", {"status": "PREPARED"}, now,
                    cp.config.scaled(cp.config.durations.alias), alias=True)
    else:
        doc["agentAliasStatus"] = "DISSOCIATED"
    tx.put(ALIAS, agent["agentId"], "", alias_id, doc, due_of(doc))
    cp.tags_put(tx, doc["agentAliasArn"], p.get("tags"))
    return {"agentAlias": render_alias(doc)}


def alias_of(cp: Control, tx: Tx, agent_id: str, alias_id: str) -> dict[str, Any]:
    cp.agent(tx, agent_id)
    doc = tx.get(ALIAS, agent_id, "", alias_id)
    if doc is None:
        raise not_found()
    return doc


def get_alias(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    return {"agentAlias": render_alias(alias_of(cp, tx, p["agentId"], p["agentAliasId"]))}


def update_alias(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    agent = cp.agent(tx, p["agentId"])
    if p["agentAliasId"] == TEST_ALIAS_ID and not cp.config.test_alias_updatable:
        raise validation(TEST_ALIAS_PATTERN_TEXT)  # §12.6 switch: refused like DeleteAgentAlias
    doc = alias_of(cp, tx, p["agentId"], p["agentAliasId"])
    if doc["agentAliasStatus"] in TRANSITIONAL:
        raise validation(f"Update operation can't be performed on AgentAlias when it is in "
                         f"{STATE_WORDS[doc['agentAliasStatus']]} state. {RETRY_SUFFIX}")
    if agent["agentStatus"] == "DELETING":
        cp.refuse_if_transitional(agent, "Update", error="ValidationException")
    others = tx.rows(ALIAS, agent=agent["agentId"])
    if any(r.doc["agentAliasName"] == p["agentAliasName"] and r.rid != p["agentAliasId"] for r in others):
        raise conflict(f"An alias with name {p['agentAliasName']} already exists for agent "
                       f"{agent['agentId']}.")
    routing = alias_target(cp, tx, agent, p.get("routingConfiguration"), "Update", now)
    previous = doc.get("routingConfiguration", [])
    # §3.4 / §11.7: full replacement of the user fields.
    doc.pop("description", None)
    doc["agentAliasName"] = p["agentAliasName"]
    if p.get("description"):
        doc["description"] = p["description"]
    doc["aliasInvocationState"] = p.get("aliasInvocationState") or "ACCEPT_INVOCATIONS"
    doc["routingConfiguration"] = routing
    doc["updatedAt"] = now
    if routing != previous:
        # §11.7: close the previous period, newest first, keep at most alias_history_max.
        close_history(doc, now)
        history = doc["agentAliasHistoryEvents"]
        if routing:
            history.insert(0, {"routingConfiguration": routing, "startDate": now})
        del history[cp.config.alias_history_max:]
    if routing:
        cp.schedule(doc, "UPDATING", {"status": "PREPARED"}, now,
                    cp.config.scaled(cp.config.durations.alias), alias=True)
    else:
        doc["agentAliasStatus"] = "DISSOCIATED"
        doc.pop("_pending", None)
        doc.pop("_due", None)
    tx.put(ALIAS, agent["agentId"], "", p["agentAliasId"], doc, due_of(doc))
    return {"agentAlias": render_alias(doc)}


def delete_alias(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    if p["agentAliasId"] == TEST_ALIAS_ID:
        raise validation(TEST_ALIAS_PATTERN_TEXT)  # §3.4 verbatim
    doc = alias_of(cp, tx, p["agentId"], p["agentAliasId"])
    if doc["agentAliasStatus"] != "DELETING":
        cp.schedule(doc, "DELETING", {"gone": True}, now, cp.config.scaled(cp.config.durations.alias),
                    alias=True)
        tx.put(ALIAS, p["agentId"], "", p["agentAliasId"], doc, doc["_due"])
    return {"agentId": p["agentId"], "agentAliasId": p["agentAliasId"], "agentAliasStatus": "DELETING"}


def list_aliases(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    cp.agent(tx, p["agentId"])
    keys = ("agentAliasId", "agentAliasName", "description", "routingConfiguration", "agentAliasStatus",
            "createdAt", "updatedAt", "aliasInvocationState")
    items = [(r.seq, {k: v for k, v in render_alias(r.doc).items() if k in keys})
             for r in tx.rows(ALIAS, agent=p["agentId"])]
    return cp.page("ListAgentAliases", items, p, "agentAliasSummaries")


OPERATIONS: dict[str, Handler] = {
    "CreateAgentAlias": create_alias,
    "GetAgentAlias": get_alias,
    "UpdateAgentAlias": update_alias,
    "DeleteAgentAlias": delete_alias,
    "ListAgentAliases": list_aliases,
}
