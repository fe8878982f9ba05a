"""Action groups of an agent's DRAFT (and read from its versions): Create/Get/Update/Delete/
ListAgentActionGroups, their cross-member rules and quotas, and the §4.1 response quirks.

Must not: import the transports or the runtime.
"""

from __future__ import annotations

from typing import Any

import yaml

from agentctl.emulator.control.base import (ACTION_GROUP, DRAFT, Control, Handler, drop_none, public, replace,
                                            user_fields)
from agentctl.emulator.errors import ServiceError, conflict, validation
from agentctl.emulator.store import Tx

ACTION_GROUP_FIELDS = user_fields("UpdateAgentActionGroup")


def check_action_group(cp: Control, tx: Tx, agent_id: str, p: dict[str, Any], self_id: str | None) -> None:
    siblings = [r.doc for r in tx.rows(ACTION_GROUP, agent=agent_id, version=DRAFT) if r.rid != self_id]
    if any(s["actionGroupName"] == p["actionGroupName"] for s in siblings):
        # Name uniqueness within an agent is UNCONFIRMED (§4.1): assumed, invented text.
        raise conflict(f"An action group with name {p['actionGroupName']} already exists for agent "
                       f"{agent_id}.")
    if p.get("parentActionGroupSignature"):
        # §4.1 [BC]: for built-in signatures description, apiSchema and actionGroupExecutor
        # must be left empty (text invented from the model documentation).
        extra = [k for k in ("description", "apiSchema", "actionGroupExecutor", "functionSchema") if p.get(k)]
        if extra:
            raise validation(f"When parentActionGroupSignature is {p['parentActionGroupSignature']}, "
                             f"leave {', '.join(extra)} empty.")
    else:
        schemas = [k for k in ("apiSchema", "functionSchema") if p.get(k)]
        if len(schemas) != 1:
            # §4.1: "you must specify one of the following fields (you can't specify both)".
            raise validation("Specify exactly one of apiSchema or functionSchema for the action group.")
    q = cp.config.quotas
    cp.quota(q.action_groups_per_agent, len(siblings) + 1, "max-action-groups-per-agent")
    if p.get("actionGroupState", "ENABLED") == "ENABLED":
        enabled = [s for s in siblings if s.get("actionGroupState", "ENABLED") == "ENABLED"]
        cp.quota(q.enabled_action_groups_per_agent, len(enabled) + 1, "max-enabled-action-groups-per-agent")
    for fn in (p.get("functionSchema") or {}).get("functions", []):
        cp.quota(q.parameters_per_function, len(fn.get("parameters") or {}), "max-parameters-per-function")
    cp.quota(q.apis_per_agent, sum(api_count(s) for s in siblings) + api_count(p), "max-apis-per-agent")


def render_action_group(doc: dict[str, Any]) -> dict[str, Any]:
    out = public(doc)
    sig = out.pop("parentActionGroupSignature", None)
    if sig:
        # §4.1 response naming quirk; §11.9: built-ins come back without description/schemas.
        out["parentActionSignature"] = sig
        for k in ("description", "apiSchema", "functionSchema", "actionGroupExecutor"):
            out.pop(k, None)
    out.setdefault("actionGroupState", "ENABLED")  # §4.1 [TF-acc]
    return out


def create_action_group(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    agent = cp.agent(tx, p["agentId"])
    cp.refuse_if_transitional(agent, "Create")
    check_action_group(cp, tx, agent["agentId"], p, None)
    ag_id = cp.new_id(tx)
    doc = cp.new_draft_child(tx, agent, p, ACTION_GROUP_FIELDS, "actionGroupId", ag_id, now)
    cp.put_draft_child(tx, agent, ACTION_GROUP, ag_id, doc, now)
    return {"agentActionGroup": render_action_group(doc)}


def get_action_group(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    doc = cp.sub(tx, ACTION_GROUP, p["agentId"], p["agentVersion"], p["actionGroupId"])
    return {"agentActionGroup": render_action_group(doc)}


def update_action_group(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    agent, doc = cp.draft_child(tx, p, ACTION_GROUP, p["actionGroupId"], "Update")
    check_action_group(cp, tx, agent["agentId"], p, p["actionGroupId"])
    replace(doc, p, ACTION_GROUP_FIELDS)   # §4.2: full replacement
    doc["updatedAt"] = now
    cp.put_draft_child(tx, agent, ACTION_GROUP, p["actionGroupId"], doc, now)
    return {"agentActionGroup": render_action_group(doc)}


def delete_action_group(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    agent, doc = cp.draft_child(tx, p, ACTION_GROUP, p["actionGroupId"], "Delete")
    if doc.get("actionGroupState", "ENABLED") == "ENABLED" and not p.get("skipResourceInUseCheck"):
        # §4.2 verbatim (as surfaced via CloudFormation); class is a switch (§12.13).
        raise ServiceError(cp.config.enabled_action_group_delete_error,
                           f"ActionGroup with name {doc['actionGroupName']} cannot be deleted when it is "
                           f"Enabled. Either use SkipResourceInUseCheckOnDelete flag or mark it as Disabled.")
    cp.put_draft_child(tx, agent, ACTION_GROUP, p["actionGroupId"], None, now)
    return {}


def list_action_groups(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    cp.readable_version(tx, p["agentId"], p["agentVersion"])
    items = []
    for row in tx.rows(ACTION_GROUP, agent=p["agentId"], version=p["agentVersion"]):
        d = render_action_group(row.doc)
        items.append((row.seq, drop_none({
            "actionGroupId": d["actionGroupId"], "actionGroupName": d["actionGroupName"],
            "actionGroupState": d["actionGroupState"], "description": d.get("description"),
            "updatedAt": d["updatedAt"]})))
    return cp.page("ListAgentActionGroups", items, p, "actionGroupSummaries")


def api_count(group: dict[str, Any]) -> int:
    """APIs a group contributes to the "APIs per Agent" quota: functions, or OpenAPI operations."""
    if group.get("functionSchema"):
        return len(group["functionSchema"].get("functions") or [])
    payload = (group.get("apiSchema") or {}).get("payload")
    if payload:
        try:
            doc = yaml.safe_load(payload)
        except yaml.YAMLError:
            return 0
        paths = doc.get("paths") if isinstance(doc, dict) else None
        if isinstance(paths, dict):
            methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
            return sum(len([m for m in (ops or {}) if m in methods]) for ops in paths.values()
                       if isinstance(ops, dict))
    return 0


OPERATIONS: dict[str, Handler] = {
    "CreateAgentActionGroup": create_action_group,
    "GetAgentActionGroup": get_action_group,
    "UpdateAgentActionGroup": update_action_group,
    "DeleteAgentActionGroup": delete_action_group,
    "ListAgentActionGroups": list_action_groups,
}
