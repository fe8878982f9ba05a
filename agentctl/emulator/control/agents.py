"""Agents: CreateAgent, GetAgent, UpdateAgent, DeleteAgent, ListAgents and PrepareAgent, and the
defaults the service fills in when it returns an agent (``render_agent``, ``fill_agent_defaults``,
also used for versions).

Must not: import the transports or the runtime; handle other resource families' operations.
"""

from __future__ import annotations

from typing import Any

from agentctl.emulator import defaults
from agentctl.emulator.control.base import (AGENT, AGENT_FIELDS, ALIAS, COLLABORATOR, DRAFT, TEST_ALIAS_ID,
                                            TEST_ALIAS_NAME, TRANSITIONAL, VERSION, Control, Handler,
                                            drop_none, public, replace, sent)
from agentctl.emulator.errors import conflict, validation
from agentctl.emulator.store import Tx

# §2.2 verbatim failure reasons.
NO_INSTRUCTION_REASON = "Exception: Agent Instruction cannot be null"
DUPLICATE_NAME_REASON = "Cannot create a new agent as an agent with the same name already exists."
# §11.3: the real reasons for a missing role / model are UNCONFIRMED: invented, and marked so.
NO_ROLE_REASON = "[emulator: invented text] Exception: Agent resource role ARN cannot be null"
NO_MODEL_REASON = "[emulator: invented text] Exception: Agent foundation model cannot be null"


def render_agent(cp: Control, doc: dict[str, Any]) -> dict[str, Any]:
    out = public(doc)
    out["agentVersion"] = DRAFT
    fill_agent_defaults(cp, out, doc)
    return out


def fill_agent_defaults(cp: Control, out: dict[str, Any], doc: dict[str, Any]) -> None:
    cfg = cp.config
    out.setdefault("idleSessionTTLInSeconds", cfg.idle_session_ttl_default)   # §9.1, §12.9
    out.setdefault("orchestrationType", "DEFAULT")                            # §2.4 [BC]
    out.setdefault("agentCollaboration", "DISABLED")                          # §2.4 multi-agent doc
    memory = defaults.filled_memory(doc.get("memoryConfiguration"),
                                    storage_days=cfg.memory_storage_days_default,
                                    max_recent_sessions=cfg.memory_max_recent_sessions_default)
    if memory is None:
        out.pop("memoryConfiguration", None)
    else:
        out["memoryConfiguration"] = memory
    out["promptOverrideConfiguration"] = defaults.filled_prompt_override(
        doc.get("promptOverrideConfiguration"), memory_enabled=memory is not None,
        pre_processing_state=cfg.pre_processing_default_state,
        include_memory_summarization=cfg.default_prompts_include_memory_summarization)


def check_agent_config(p: dict[str, Any]) -> None:
    """Cross-member rules of CreateAgent/UpdateAgent that the model states only in prose."""
    poc = p.get("promptOverrideConfiguration")
    if poc:
        overridden_parser = any(c.get("parserMode") == "OVERRIDDEN" for c in poc.get("promptConfigurations") or [])
        # §6.2 [BC]: "If you specify this field, at least one of the promptConfigurations must
        # contain a parserMode value that is set to OVERRIDDEN", and conversely. Texts invented.
        if poc.get("overrideLambda") and not overridden_parser:
            raise validation("When overrideLambda is specified, at least one prompt configuration must "
                             "have parserMode set to OVERRIDDEN.")
        if overridden_parser and not poc.get("overrideLambda"):
            raise validation("A prompt configuration with parserMode OVERRIDDEN requires "
                             "promptOverrideConfiguration.overrideLambda.")
    guardrail = p.get("guardrailConfiguration")
    if guardrail is not None and not any(guardrail.values()):
        # §6.3: an empty guardrailConfiguration object is rejected (omit it instead); text invented.
        raise validation("guardrailConfiguration must specify guardrailIdentifier and guardrailVersion; "
                         "omit the object to use no guardrail.")


def create_agent(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    check_agent_config(p)
    agents = [r.doc for r in tx.rows(AGENT)]
    cp.quota(cp.config.quotas.agents_per_account, len(agents) + 1, "max-agents-per-account")
    duplicate = any(a["agentName"] == p["agentName"] and not a.get("_creation_failed") for a in agents)
    if duplicate and cp.config.duplicate_agent_name == "conflict":
        raise conflict(DUPLICATE_NAME_REASON)  # §12.4 switch: synchronous variant
    agent_id = cp.new_id(tx)
    doc: dict[str, Any] = sent(p, AGENT_FIELDS)
    doc.update(agentId=agent_id, agentArn=cp.agent_arn(agent_id), createdAt=now, updatedAt=now,
               _next_version=1)
    if p.get("clientToken"):
        doc["clientToken"] = p["clientToken"]
    if duplicate:
        # §2.2: the duplicate is created (its id is returned), then ends FAILED.
        doc["_creation_failed"] = True
        target = {"status": "FAILED", "failureReasons": [DUPLICATE_NAME_REASON]}
    else:
        target = {"status": "NOT_PREPARED"}
    cp.schedule(doc, "CREATING", target, now, cp.config.scaled(cp.config.durations.create))
    cp.put_agent(tx, doc)
    # §3.4: every agent has the built-in test alias routed to DRAFT.
    tx.put(ALIAS, agent_id, "", TEST_ALIAS_ID, {
        "agentId": agent_id, "agentAliasId": TEST_ALIAS_ID, "agentAliasName": TEST_ALIAS_NAME,
        "agentAliasArn": cp.alias_arn(agent_id, TEST_ALIAS_ID),
        "description": "Test Alias for Agent",
        "routingConfiguration": [{"agentVersion": DRAFT}],
        "agentAliasHistoryEvents": [{"routingConfiguration": [{"agentVersion": DRAFT}], "startDate": now}],
        "agentAliasStatus": "PREPARED", "aliasInvocationState": "ACCEPT_INVOCATIONS",
        "createdAt": now, "updatedAt": now})
    cp.tags_put(tx, doc["agentArn"], p.get("tags"))
    return {"agent": render_agent(cp, doc)}


def get_agent(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    return {"agent": render_agent(cp, cp.agent(tx, p["agentId"]))}


def update_agent(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    agent = cp.agent(tx, p["agentId"])
    cp.refuse_if_transitional(agent, "Update")
    check_agent_config(p)
    replace(agent, p, AGENT_FIELDS)  # §2.4 / §11.4: every optional member not sent is cleared
    agent["updatedAt"] = now
    cp.schedule(agent, "UPDATING", {"status": cp.config.update_settles_to, "failureReasons": []}, now,
                cp.config.scaled(cp.config.durations.update))
    cp.put_agent(tx, agent)
    return {"agent": render_agent(cp, agent)}


def delete_agent(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    agent = cp.agent(tx, p["agentId"])
    if agent["agentStatus"] == "DELETING":
        return {"agentId": agent["agentId"], "agentStatus": "DELETING"}
    if agent["agentStatus"] in TRANSITIONAL:
        cp.refuse_if_transitional(agent, "Delete")
    if not p.get("skipResourceInUseCheck"):
        # §2.5: only user-created aliases count as "active" (TSTALIASID does not; UNCONFIRMED).
        user_aliases = [r for r in tx.rows(ALIAS, agent=agent["agentId"])
                        if r.rid != TEST_ALIAS_ID and r.doc["agentAliasStatus"] != "DELETING"]
        if user_aliases:
            raise conflict(f"Could not delete Agent with ID {agent['agentId']}, since it has active aliases")
    cp.schedule(agent, "DELETING", {"gone": True}, now, cp.config.scaled(cp.config.durations.delete))
    cp.put_agent(tx, agent)
    return {"agentId": agent["agentId"], "agentStatus": "DELETING"}


def list_agents(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    items = []
    for row in tx.rows(AGENT):
        d = row.doc
        versions = [int(r.version) for r in tx.rows(VERSION, agent=row.agent)]
        summary = {"agentId": d["agentId"], "agentName": d["agentName"], "agentStatus": d["agentStatus"],
                   "description": d.get("description"), "updatedAt": d["updatedAt"],
                   # Derived: the newest numbered version, DRAFT while there is none.
                   "latestAgentVersion": str(max(versions)) if versions else DRAFT,
                   "guardrailConfiguration": d.get("guardrailConfiguration")}
        items.append((row.seq, drop_none(summary)))
    return cp.page("ListAgents", items, p, "agentSummaries")


def prepare_agent(cp: Control, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
    agent = cp.agent(tx, p["agentId"])
    cp.refuse_if_transitional(agent, "Prepare", error="ValidationException")
    mode = agent.get("agentCollaboration", "DISABLED")
    if mode in ("SUPERVISOR", "SUPERVISOR_ROUTER") and not tx.rows(COLLABORATOR, agent=agent["agentId"], version=DRAFT):
        # §2.2, string-matched by Terraform.
        raise validation(f"This agent cannot be prepared. The AgentCollaboration attribute is set to "
                         f"{mode} but no agent collaborators are added.")
    reasons = []
    if not agent.get("instruction"):
        reasons.append(NO_INSTRUCTION_REASON)
    if not agent.get("agentResourceRoleArn"):
        reasons.append(NO_ROLE_REASON)
    if not agent.get("foundationModel"):
        reasons.append(NO_MODEL_REASON)
    outcome = cp.prepare_hook()
    if not reasons and outcome.fail_reason:
        reasons.append(outcome.fail_reason)
    target = ({"status": "FAILED", "failureReasons": reasons} if reasons
              else {"status": "PREPARED", "failureReasons": [], "prepared": True})
    seconds = cp.config.scaled(cp.config.durations.prepare) + outcome.extra_seconds
    cp.schedule(agent, "PREPARING", target, now, seconds)
    cp.put_agent(tx, agent)
    return {"agentId": agent["agentId"], "agentStatus": "PREPARING", "agentVersion": DRAFT, "preparedAt": now}


OPERATIONS: dict[str, Handler] = {
    "CreateAgent": create_agent,
    "GetAgent": get_agent,
    "UpdateAgent": update_agent,
    "DeleteAgent": delete_agent,
    "ListAgents": list_agents,
    "PrepareAgent": prepare_agent,
}
