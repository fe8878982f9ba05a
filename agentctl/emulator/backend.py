"""The emulated bedrock-agent control plane: state, lifecycle and the rules AWS enforces.

``Backend.dispatch(tx, operation, params)`` runs one operation inside one store transaction and
returns the output as a plain dict (timestamps as epoch floats; ``wire.py`` serializes them per the
output shape). Errors are ``ServiceError``s with AWS's wording where service-behaviour.md quotes it;
texts it does not quote are marked "invented" next to where they are raised.

Asynchronous statuses are lazy: a call that starts a transition stores the transitional status
plus ``_pending`` (the target) and a ``due`` time; ``settle`` applies every due transition at the
start of each operation. No background thread, and two processes sharing one state file agree.

Stored documents hold what the client sent (so full replacement on Update* is a plain overwrite)
plus server fields; keys starting with ``_`` are internal and never leave this module. Defaults the
service fills in on read are added by the ``_render_*`` functions.

Must not: touch HTTP, sleep, read the real clock (``clock`` is injected), or know about faults
other than the prepare-outcome hook it is given.
"""

from __future__ import annotations

import base64
import copy
import json
import random
import string
from dataclasses import dataclass
from typing import Any, Callable

import yaml

from agentctl.core import servicemodel
from agentctl.emulator import defaults
from agentctl.emulator.config import EmulatorConfig
from agentctl.emulator.errors import ServiceError, conflict, not_found, quota, validation
from agentctl.emulator.store import Tx

DRAFT = "DRAFT"
TEST_ALIAS_ID = "TSTALIASID"
TEST_ALIAS_NAME = "AgentTestAlias"

# Kinds of stored documents.
AGENT, VERSION, ALIAS, ACTION_GROUP, AGENT_KB, COLLABORATOR = (
    "agent", "version", "alias", "action_group", "agent_kb", "collaborator")
KNOWLEDGE_BASE, LAMBDA, TAGS = "knowledge_base", "lambda", "tags"
# What the last successful PrepareAgent saw of the DRAFT: InvokeAgent on TSTALIASID runs this,
# not the live DRAFT (service-behaviour.md §11.5: edits need a new prepare to take effect).
PREPARED_DRAFT = "prepared_draft"
SUB_KINDS = (ACTION_GROUP, AGENT_KB, COLLABORATOR)

TRANSITIONAL = ("CREATING", "PREPARING", "VERSIONING", "UPDATING", "DELETING")
# §11.2: states are written in words in the refusal texts.
STATE_WORDS = {"CREATING": "Creating", "PREPARING": "Preparing", "VERSIONING": "Versioning",
               "UPDATING": "Updating", "DELETING": "Deleting", "NOT_PREPARED": "Not Prepared",
               "FAILED": "Failed", "PREPARED": "Prepared", "DISSOCIATED": "Dissociated"}
RETRY_SUFFIX = "Retry the request when the agent is in a valid state."

# §2.2 verbatim failure reasons.
NO_INSTRUCTION_REASON = "Exception: Agent Instruction cannot be null"
DUPLICATE_NAME_REASON = "Cannot create a new agent as an agent with the same name already exists."
# §11.3: the real reasons for a missing role / model are UNCONFIRMED: invented, and marked so.
NO_ROLE_REASON = "[emulator: invented text] Exception: Agent resource role ARN cannot be null"
NO_MODEL_REASON = "[emulator: invented text] Exception: Agent foundation model cannot be null"

# §3.4: the ValidationException AWS returns for DeleteAgentAlias on the built-in test alias.
TEST_ALIAS_PATTERN_TEXT = ("1 validation error detected: Value 'TSTALIASID' at 'agentAliasId' failed to "
                           "satisfy constraint: Member must satisfy regular expression pattern: "
                           "(?!\\bTSTALIASID\\b)[0-9a-zA-Z]+")

_ID_ALPHABET = string.ascii_uppercase + string.digits


def _user_fields(operation: str) -> tuple[str, ...]:
    """Request members of ``operation`` that are not in the URI: what a full replacement sets."""
    shape = servicemodel.service_model().operation_model(operation).input_shape
    return tuple(n for n, s in shape.members.items()
                 if s.serialization.get("location") not in ("uri", "querystring", "header")
                 and n != "clientToken")


AGENT_FIELDS = _user_fields("UpdateAgent")
ACTION_GROUP_FIELDS = _user_fields("UpdateAgentActionGroup")
AGENT_KB_FIELDS = _user_fields("UpdateAgentKnowledgeBase")
COLLABORATOR_FIELDS = _user_fields("UpdateAgentCollaborator")
ALIAS_FIELDS = _user_fields("UpdateAgentAlias")


@dataclass(frozen=True)
class PrepareOutcome:
    """What fault injection says about one PrepareAgent: force a failure, and/or add seconds."""

    fail_reason: str | None = None
    extra_seconds: float = 0.0


class Backend:
    def __init__(self, config: EmulatorConfig, *, region: str, account: str,
                 rng: random.Random | None = None,
                 prepare_hook: Callable[[], PrepareOutcome] | None = None):
        self.config = config
        self.region = region
        self.account = account
        self._rng = rng or random.SystemRandom()
        self._prepare_hook = prepare_hook or (lambda: PrepareOutcome())
        self._handlers: dict[str, Callable[[Tx, dict[str, Any], float], dict[str, Any]]] = {
            "CreateAgent": self.create_agent,
            "GetAgent": self.get_agent,
            "UpdateAgent": self.update_agent,
            "DeleteAgent": self.delete_agent,
            "ListAgents": self.list_agents,
            "PrepareAgent": self.prepare_agent,
            "CreateAgentActionGroup": self.create_action_group,
            "GetAgentActionGroup": self.get_action_group,
            "UpdateAgentActionGroup": self.update_action_group,
            "DeleteAgentActionGroup": self.delete_action_group,
            "ListAgentActionGroups": self.list_action_groups,
            "AssociateAgentKnowledgeBase": self.associate_kb,
            "GetAgentKnowledgeBase": self.get_agent_kb,
            "UpdateAgentKnowledgeBase": self.update_agent_kb,
            "DisassociateAgentKnowledgeBase": self.disassociate_kb,
            "ListAgentKnowledgeBases": self.list_agent_kbs,
            "CreateAgentAlias": self.create_alias,
            "GetAgentAlias": self.get_alias,
            "UpdateAgentAlias": self.update_alias,
            "DeleteAgentAlias": self.delete_alias,
            "ListAgentAliases": self.list_aliases,
            "GetAgentVersion": self.get_version,
            "DeleteAgentVersion": self.delete_version,
            "ListAgentVersions": self.list_versions,
            "AssociateAgentCollaborator": self.associate_collaborator,
            "GetAgentCollaborator": self.get_collaborator,
            "UpdateAgentCollaborator": self.update_collaborator,
            "DisassociateAgentCollaborator": self.disassociate_collaborator,
            "ListAgentCollaborators": self.list_collaborators,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsForResource": self.list_tags,
            "CreateKnowledgeBase": self.create_knowledge_base,
            "GetKnowledgeBase": self.get_knowledge_base,
            "ListKnowledgeBases": self.list_knowledge_bases,
        }

    @property
    def operations(self) -> frozenset[str]:
        return frozenset(self._handlers)

    # ==========================================================================================
    # Dispatch, validation, idempotency
    # ==========================================================================================

    def dispatch(self, tx: Tx, operation: str, params: dict[str, Any], now: float) -> dict[str, Any]:
        handler = self._handlers.get(operation)
        if handler is None:
            raise ServiceError("NotImplementedException",
                               f"The agentctl emulator does not implement {operation}.")
        self.validate(operation, params)
        token = params.get("clientToken") if _has_client_token(operation) else None
        if token:
            # §1.2: same token => "Amazon Bedrock ignores the request, but does not return an
            # error": the original result comes back and nothing new is created.
            previous = tx.token_result(operation, token)
            if previous is not None:
                return previous
        result = handler(tx, params, now)
        if token:
            tx.remember_token(operation, token, result)
        return result

    def validate(self, operation: str, params: dict[str, Any]) -> None:
        """Server-side validation botocore does not do ([BC-validate]): Coral wording."""
        violations = []
        for v in servicemodel.validate(operation, params):
            if v.member == "instruction" and v.kind == "length" and "less than" in v.constraint:
                continue  # the model's 4000 is stale; the 20,000-char quota applies (§6.3)
            if v.member == "resourceArn" and v.kind == "pattern":
                # The model's TaggableResourcesArn pattern has a typo (``:/d{12}:`` for
                # ``:\d{12}:``) that no real ARN matches; the service evidently does not apply
                # it (tagging agents works). ARNs are checked by _parse_arn instead.
                continue
            violations.append(v)
        if violations:
            raise validation(servicemodel.aws_validation_message(violations),
                             [{"name": v.member, "message": v.constraint} for v in violations])
        instruction = params.get("instruction")
        limit = self.config.quotas.instruction_characters
        if isinstance(instruction, str) and limit is not None and len(instruction) > limit:
            # §6.3 verbatim shape of the over-limit error (counted in characters).
            raise validation(f"Validation failed for quota max-instruction-size. The maximum number of "
                             f"resources is {limit}, but account {self.account} requested "
                             f"{len(instruction)} resources. Retry the request with fewer resources.")

    # ==========================================================================================
    # Lazy lifecycle
    # ==========================================================================================

    def settle(self, tx: Tx, now: float) -> None:
        """Apply every asynchronous transition that is due at ``now``, oldest first."""
        for row in tx.due(now):
            # Re-read: an earlier transition in this loop (an agent purge) may have removed it.
            doc = tx.get(row.kind, row.agent, row.version, row.rid)
            if doc is None or "_pending" not in doc:
                continue
            pending = doc.pop("_pending")
            when = doc.pop("_due", now)
            if pending.get("gone"):
                if row.kind == AGENT:
                    self._purge_agent(tx, row.agent)
                elif row.kind == ALIAS:
                    tx.delete(ALIAS, row.agent, "", row.rid)
                    tx.delete(TAGS, "", "", self._alias_arn(row.agent, row.rid))
                elif row.kind == VERSION:
                    tx.delete(VERSION, row.agent, row.version, "")
                    for kind in SUB_KINDS:
                        tx.delete_where(agent=row.agent, kind=kind, version=row.version)
                continue
            status_key = "agentAliasStatus" if row.kind == ALIAS else "agentStatus"
            doc[status_key] = pending["status"]
            doc["updatedAt"] = when
            if "failureReasons" in pending:
                if pending["failureReasons"]:
                    doc["failureReasons"] = pending["failureReasons"]
                else:
                    doc.pop("failureReasons", None)
            if pending.get("prepared"):
                doc["preparedAt"] = when
                if row.kind == AGENT:
                    self._snapshot_prepared(tx, doc, when)
            tx.put(row.kind, row.agent, row.version, row.rid, doc, None)

    def _snapshot_prepared(self, tx: Tx, agent: dict[str, Any], when: float) -> None:
        """Keep the DRAFT as this prepare saw it (agent fields and children), for the runtime.
        Edits are refused while PREPARING, so the DRAFT at settle time is the one prepared."""
        agent_id = agent["agentId"]
        snap: dict[str, Any] = {
            "agent": {**{k: copy.deepcopy(agent[k]) for k in AGENT_FIELDS if k in agent},
                      "agentId": agent_id, "agentArn": agent["agentArn"], "version": DRAFT,
                      "preparedAt": when},
        }
        for kind in SUB_KINDS:
            snap[kind] = [copy.deepcopy(r.doc) for r in tx.rows(kind, agent=agent_id, version=DRAFT)]
        tx.put(PREPARED_DRAFT, agent_id, DRAFT, "", snap)

    def _schedule(self, doc: dict[str, Any], status_now: str, target: dict[str, Any], now: float,
                  seconds: float, *, alias: bool = False) -> None:
        """Show ``status_now`` and make ``target`` happen ``seconds`` from ``now`` (see settle)."""
        doc["agentAliasStatus" if alias else "agentStatus"] = status_now
        doc["_pending"] = target
        doc["_due"] = now + seconds

    # ==========================================================================================
    # Helpers: ids, ARNs, lookups, refusals, pagination
    # ==========================================================================================

    def _new_id(self, tx: Tx) -> str:
        while True:
            candidate = "".join(self._rng.choice(_ID_ALPHABET) for _ in range(10))
            if candidate != TEST_ALIAS_ID and not tx.exists_id(candidate):
                return candidate

    def _agent_arn(self, agent_id: str) -> str:
        return f"arn:aws:bedrock:{self.region}:{self.account}:agent/{agent_id}"

    def _alias_arn(self, agent_id: str, alias_id: str) -> str:
        return f"arn:aws:bedrock:{self.region}:{self.account}:agent-alias/{agent_id}/{alias_id}"

    def _kb_arn(self, kb_id: str) -> str:
        return f"arn:aws:bedrock:{self.region}:{self.account}:knowledge-base/{kb_id}"

    def _agent(self, tx: Tx, agent_id: str) -> dict[str, Any]:
        doc = tx.get(AGENT, agent_id, DRAFT, "")
        if doc is None:
            raise not_found()
        return doc

    def _put_agent(self, tx: Tx, doc: dict[str, Any]) -> None:
        tx.put(AGENT, doc["agentId"], DRAFT, "", doc, _due_of(doc))

    def _refuse_if_transitional(self, agent: dict[str, Any], verb: str, resource: str = "Agent", *,
                                error: str | None = None) -> None:
        """§2.3 / §11.2: mutating calls on an agent (or its DRAFT children) are refused while it
        is in a transitional state, and an agent whose creation FAILED accepts none."""
        status = agent["agentStatus"]
        if status in TRANSITIONAL or agent.get("_creation_failed"):
            code = error or self.config.transitional_state_error
            raise ServiceError(code, f"{verb} operation can't be performed on {resource} when it is in "
                                     f"{STATE_WORDS[status]} state. {RETRY_SUFFIX}")

    def _version_exists(self, tx: Tx, agent_id: str, version: str) -> bool:
        if version == DRAFT:
            return True
        doc = tx.get(VERSION, agent_id, version, "")
        return doc is not None and not (doc.get("_pending") or {}).get("gone")

    def _readable_version(self, tx: Tx, agent_id: str, version: str) -> None:
        self._agent(tx, agent_id)
        # A version being deleted is still readable (GetAgentVersion shows it DELETING).
        if version != DRAFT and tx.get(VERSION, agent_id, version, "") is None:
            raise not_found()

    def _touch_draft(self, tx: Tx, agent: dict[str, Any], now: float) -> None:
        """§11.5 / §12.1: a DRAFT edit means the agent must be prepared again (switch)."""
        if self.config.subresource_edit_unprepares and agent["agentStatus"] == "PREPARED":
            agent["agentStatus"] = "NOT_PREPARED"
            agent["updatedAt"] = now
            self._put_agent(tx, agent)

    def _page(self, operation: str, items: list[tuple[int, dict[str, Any]]], params: dict[str, Any],
              key: str) -> dict[str, Any]:
        """§11.12: honour maxResults, cap pages at ``page_size_cap``, opaque nextToken anchored on
        the last item's position (stable under concurrent deletes)."""
        size = min(params.get("maxResults") or self.config.page_size_cap, self.config.page_size_cap)
        after = -1
        token = params.get("nextToken")
        if token:
            after = _decode_token(token, operation)
        remaining = [(pos, item) for pos, item in items if pos > after]
        page = remaining[:size]
        out: dict[str, Any] = {key: [item for _, item in page]}
        if len(remaining) > size:
            out["nextToken"] = _encode_token(operation, page[-1][0])
        return out

    def _quota(self, limit: int | None, requested: int, what: str) -> None:
        """Refuse a request that would bring a count to ``requested`` when that exceeds ``limit``
        (``None``: no quota)."""
        # Texts of count-quota errors are UNCONFIRMED (§8): invented, in the style of §6.3.
        if limit is not None and requested > limit:
            raise quota(f"Validation failed for quota {what}. The maximum number of resources is "
                        f"{limit}, but account {self.account} requested {requested} resources. "
                        f"Retry the request with fewer resources.")

    def _tags_put(self, tx: Tx, arn: str, tags: dict[str, str] | None) -> None:
        if not tags:
            return
        self._quota(self.config.quotas.tags_per_resource, len(tags), "max-tags-per-resource")
        tx.put(TAGS, "", "", arn, {"tags": dict(tags)})

    # ==========================================================================================
    # Agents
    # ==========================================================================================

    def _render_agent(self, doc: dict[str, Any]) -> dict[str, Any]:
        out = _public(doc)
        out["agentVersion"] = DRAFT
        self._fill_agent_defaults(out, doc)
        return out

    def _fill_agent_defaults(self, out: dict[str, Any], doc: dict[str, Any]) -> None:
        cfg = self.config
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

    def _check_agent_config(self, p: dict[str, Any]) -> None:
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

    def create_agent(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        self._check_agent_config(p)
        agents = [r.doc for r in tx.rows(AGENT)]
        self._quota(self.config.quotas.agents_per_account, len(agents) + 1, "max-agents-per-account")
        duplicate = any(a["agentName"] == p["agentName"] and not a.get("_creation_failed") for a in agents)
        if duplicate and self.config.duplicate_agent_name == "conflict":
            raise conflict(DUPLICATE_NAME_REASON)  # §12.4 switch: synchronous variant
        agent_id = self._new_id(tx)
        doc: dict[str, Any] = _sent(p, AGENT_FIELDS)
        doc.update(agentId=agent_id, agentArn=self._agent_arn(agent_id), createdAt=now, updatedAt=now,
                   _next_version=1)
        if p.get("clientToken"):
            doc["clientToken"] = p["clientToken"]
        if duplicate:
            # §2.2: the duplicate is created (its id is returned), then ends FAILED.
            doc["_creation_failed"] = True
            target = {"status": "FAILED", "failureReasons": [DUPLICATE_NAME_REASON]}
        else:
            target = {"status": "NOT_PREPARED"}
        self._schedule(doc, "CREATING", target, now, self.config.scaled(self.config.durations.create))
        self._put_agent(tx, doc)
        # §3.4: every agent has the built-in test alias routed to DRAFT.
        tx.put(ALIAS, agent_id, "", TEST_ALIAS_ID, {
            "agentId": agent_id, "agentAliasId": TEST_ALIAS_ID, "agentAliasName": TEST_ALIAS_NAME,
            "agentAliasArn": self._alias_arn(agent_id, TEST_ALIAS_ID),
            "description": "Test Alias for Agent",
            "routingConfiguration": [{"agentVersion": DRAFT}],
            "agentAliasHistoryEvents": [{"routingConfiguration": [{"agentVersion": DRAFT}], "startDate": now}],
            "agentAliasStatus": "PREPARED", "aliasInvocationState": "ACCEPT_INVOCATIONS",
            "createdAt": now, "updatedAt": now})
        self._tags_put(tx, doc["agentArn"], p.get("tags"))
        return {"agent": self._render_agent(doc)}

    def get_agent(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        return {"agent": self._render_agent(self._agent(tx, p["agentId"]))}

    def update_agent(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        agent = self._agent(tx, p["agentId"])
        self._refuse_if_transitional(agent, "Update")
        self._check_agent_config(p)
        _replace(agent, p, AGENT_FIELDS)  # §2.4 / §11.4: every optional member not sent is cleared
        agent["updatedAt"] = now
        self._schedule(agent, "UPDATING", {"status": self.config.update_settles_to, "failureReasons": []}, now,
                       self.config.scaled(self.config.durations.update))
        self._put_agent(tx, agent)
        return {"agent": self._render_agent(agent)}

    def delete_agent(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        agent = self._agent(tx, p["agentId"])
        if agent["agentStatus"] == "DELETING":
            return {"agentId": agent["agentId"], "agentStatus": "DELETING"}
        if agent["agentStatus"] in TRANSITIONAL:
            self._refuse_if_transitional(agent, "Delete")
        if not p.get("skipResourceInUseCheck"):
            # §2.5: only user-created aliases count as "active" (TSTALIASID does not; UNCONFIRMED).
            user_aliases = [r for r in tx.rows(ALIAS, agent=agent["agentId"])
                            if r.rid != TEST_ALIAS_ID and r.doc["agentAliasStatus"] != "DELETING"]
            if user_aliases:
                raise conflict(f"Could not delete Agent with ID {agent['agentId']}, since it has active aliases")
        self._schedule(agent, "DELETING", {"gone": True}, now, self.config.scaled(self.config.durations.delete))
        self._put_agent(tx, agent)
        return {"agentId": agent["agentId"], "agentStatus": "DELETING"}

    def _purge_agent(self, tx: Tx, agent_id: str) -> None:
        for row in tx.rows(ALIAS, agent=agent_id):
            tx.delete(TAGS, "", "", self._alias_arn(agent_id, row.rid))
        tx.delete(TAGS, "", "", self._agent_arn(agent_id))
        tx.delete_where(agent=agent_id)

    def list_agents(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        items = []
        for row in tx.rows(AGENT):
            d = row.doc
            versions = [int(r.version) for r in tx.rows(VERSION, agent=row.agent)]
            summary = {"agentId": d["agentId"], "agentName": d["agentName"], "agentStatus": d["agentStatus"],
                       "description": d.get("description"), "updatedAt": d["updatedAt"],
                       # Derived: the newest numbered version, DRAFT while there is none.
                       "latestAgentVersion": str(max(versions)) if versions else DRAFT,
                       "guardrailConfiguration": d.get("guardrailConfiguration")}
            items.append((row.seq, _drop_none(summary)))
        return self._page("ListAgents", items, p, "agentSummaries")

    def prepare_agent(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        agent = self._agent(tx, p["agentId"])
        self._refuse_if_transitional(agent, "Prepare", error="ValidationException")
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
        outcome = self._prepare_hook()
        if not reasons and outcome.fail_reason:
            reasons.append(outcome.fail_reason)
        target = ({"status": "FAILED", "failureReasons": reasons} if reasons
                  else {"status": "PREPARED", "failureReasons": [], "prepared": True})
        seconds = self.config.scaled(self.config.durations.prepare) + outcome.extra_seconds
        self._schedule(agent, "PREPARING", target, now, seconds)
        self._put_agent(tx, agent)
        return {"agentId": agent["agentId"], "agentStatus": "PREPARING", "agentVersion": DRAFT, "preparedAt": now}

    # ==========================================================================================
    # Versions
    # ==========================================================================================

    def _cut_version(self, tx: Tx, agent: dict[str, Any], now: float) -> str:
        """§3.1 / §11.6: snapshot DRAFT (agent fields + action groups + KBs + collaborators)."""
        agent_id = agent["agentId"]
        existing = [int(r.version) for r in tx.rows(VERSION, agent=agent_id)]
        self._quota(self.config.quotas.versions_per_agent, len(existing) + 1, "max-versions-per-agent")
        if self.config.reuse_deleted_version_numbers:
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

    def _render_version(self, doc: dict[str, Any]) -> dict[str, Any]:
        out = _public(doc)
        self._fill_agent_defaults(out, doc)
        return out

    def get_version(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        self._agent(tx, p["agentId"])
        doc = tx.get(VERSION, p["agentId"], p["agentVersion"], "")
        if doc is None:
            raise not_found()
        return {"agentVersion": self._render_version(doc)}

    def list_versions(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        agent = self._agent(tx, p["agentId"])
        # §3.1: ListAgentVersions includes DRAFT.
        items = [(0, _drop_none({"agentName": agent["agentName"], "agentStatus": agent["agentStatus"],
                                 "agentVersion": DRAFT, "createdAt": agent["createdAt"],
                                 "updatedAt": agent["updatedAt"], "description": agent.get("description"),
                                 "guardrailConfiguration": agent.get("guardrailConfiguration")}))]
        for row in sorted(tx.rows(VERSION, agent=p["agentId"]), key=lambda r: int(r.version)):
            d = row.doc
            items.append((int(row.version), _drop_none({
                "agentName": d["agentName"], "agentStatus": d["agentStatus"], "agentVersion": row.version,
                "createdAt": d["createdAt"], "updatedAt": d["updatedAt"], "description": d.get("description"),
                "guardrailConfiguration": d.get("guardrailConfiguration")})))
        return self._page("ListAgentVersions", items, p, "agentVersionSummaries")

    def delete_version(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        agent_id, version = p["agentId"], p["agentVersion"]
        self._agent(tx, agent_id)
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
            _close_history(row.doc, now)
            tx.put(ALIAS, agent_id, "", row.rid, row.doc)
        self._schedule(doc, "DELETING", {"gone": True}, now, self.config.scaled(self.config.durations.version))
        tx.put(VERSION, agent_id, version, "", doc, doc["_due"])
        return {"agentId": agent_id, "agentVersion": version, "agentStatus": "DELETING"}

    # ==========================================================================================
    # Action groups
    # ==========================================================================================

    def _check_action_group(self, tx: Tx, agent_id: str, p: dict[str, Any], self_id: str | None) -> None:
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
        q = self.config.quotas
        self._quota(q.action_groups_per_agent, len(siblings) + 1, "max-action-groups-per-agent")
        if p.get("actionGroupState", "ENABLED") == "ENABLED":
            enabled = [s for s in siblings if s.get("actionGroupState", "ENABLED") == "ENABLED"]
            self._quota(q.enabled_action_groups_per_agent, len(enabled) + 1, "max-enabled-action-groups-per-agent")
        for fn in (p.get("functionSchema") or {}).get("functions", []):
            self._quota(q.parameters_per_function, len(fn.get("parameters") or {}), "max-parameters-per-function")
        self._quota(q.apis_per_agent, sum(_api_count(s) for s in siblings) + _api_count(p), "max-apis-per-agent")

    def _render_action_group(self, doc: dict[str, Any]) -> dict[str, Any]:
        out = _public(doc)
        sig = out.pop("parentActionGroupSignature", None)
        if sig:
            # §4.1 response naming quirk; §11.9: built-ins come back without description/schemas.
            out["parentActionSignature"] = sig
            for k in ("description", "apiSchema", "functionSchema", "actionGroupExecutor"):
                out.pop(k, None)
        out.setdefault("actionGroupState", "ENABLED")  # §4.1 [TF-acc]
        return out

    def create_action_group(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        agent = self._agent(tx, p["agentId"])
        self._refuse_if_transitional(agent, "Create")
        self._check_action_group(tx, agent["agentId"], p, None)
        ag_id = self._new_id(tx)
        doc = _sent(p, ACTION_GROUP_FIELDS)
        doc.update(agentId=agent["agentId"], agentVersion=DRAFT, actionGroupId=ag_id, createdAt=now, updatedAt=now)
        if p.get("clientToken"):
            doc["clientToken"] = p["clientToken"]
        tx.put(ACTION_GROUP, agent["agentId"], DRAFT, ag_id, doc)
        self._touch_draft(tx, agent, now)
        return {"agentActionGroup": self._render_action_group(doc)}

    def _sub(self, tx: Tx, kind: str, agent_id: str, version: str, rid: str) -> dict[str, Any]:
        self._readable_version(tx, agent_id, version)
        doc = tx.get(kind, agent_id, version, rid)
        if doc is None:
            raise not_found()
        return doc

    def get_action_group(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        doc = self._sub(tx, ACTION_GROUP, p["agentId"], p["agentVersion"], p["actionGroupId"])
        return {"agentActionGroup": self._render_action_group(doc)}

    def update_action_group(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        agent = self._agent(tx, p["agentId"])
        doc = self._sub(tx, ACTION_GROUP, p["agentId"], DRAFT, p["actionGroupId"])
        self._refuse_if_transitional(agent, "Update")
        self._check_action_group(tx, agent["agentId"], p, p["actionGroupId"])
        _replace(doc, p, ACTION_GROUP_FIELDS)   # §4.2: full replacement
        doc["updatedAt"] = now
        tx.put(ACTION_GROUP, agent["agentId"], DRAFT, p["actionGroupId"], doc)
        self._touch_draft(tx, agent, now)
        return {"agentActionGroup": self._render_action_group(doc)}

    def delete_action_group(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        agent = self._agent(tx, p["agentId"])
        doc = self._sub(tx, ACTION_GROUP, p["agentId"], DRAFT, p["actionGroupId"])
        self._refuse_if_transitional(agent, "Delete")
        if doc.get("actionGroupState", "ENABLED") == "ENABLED" and not p.get("skipResourceInUseCheck"):
            # §4.2 verbatim (as surfaced via CloudFormation); class is a switch (§12.13).
            raise ServiceError(self.config.enabled_action_group_delete_error,
                               f"ActionGroup with name {doc['actionGroupName']} cannot be deleted when it is "
                               f"Enabled. Either use SkipResourceInUseCheckOnDelete flag or mark it as Disabled.")
        tx.delete(ACTION_GROUP, p["agentId"], DRAFT, p["actionGroupId"])
        self._touch_draft(tx, agent, now)
        return {}

    def list_action_groups(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        self._readable_version(tx, p["agentId"], p["agentVersion"])
        items = []
        for row in tx.rows(ACTION_GROUP, agent=p["agentId"], version=p["agentVersion"]):
            d = self._render_action_group(row.doc)
            items.append((row.seq, _drop_none({
                "actionGroupId": d["actionGroupId"], "actionGroupName": d["actionGroupName"],
                "actionGroupState": d["actionGroupState"], "description": d.get("description"),
                "updatedAt": d["updatedAt"]})))
        return self._page("ListAgentActionGroups", items, p, "actionGroupSummaries")

    # ==========================================================================================
    # Knowledge-base associations and knowledge bases
    # ==========================================================================================

    def _render_agent_kb(self, doc: dict[str, Any]) -> dict[str, Any]:
        out = _public(doc)
        out.setdefault("knowledgeBaseState", self.config.knowledge_base_state_default)  # §12.9
        return out

    def associate_kb(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        agent = self._agent(tx, p["agentId"])
        self._refuse_if_transitional(agent, "Associate")
        if tx.get(KNOWLEDGE_BASE, "", "", p["knowledgeBaseId"]) is None:
            raise not_found()  # §5: the KB must exist in the same account/Region
        existing = tx.rows(AGENT_KB, agent=agent["agentId"], version=DRAFT)
        if any(r.rid == p["knowledgeBaseId"] for r in existing):
            # §5: exception for re-associating is UNCONFIRMED; ConflictException (modelled), invented text.
            raise conflict(f"Knowledge base {p['knowledgeBaseId']} is already associated with agent "
                           f"{agent['agentId']}.")
        self._quota(self.config.quotas.knowledge_bases_per_agent, len(existing) + 1, "max-knowledge-bases-per-agent")
        doc = _sent(p, AGENT_KB_FIELDS)
        doc.update(agentId=agent["agentId"], agentVersion=DRAFT, knowledgeBaseId=p["knowledgeBaseId"],
                   createdAt=now, updatedAt=now)
        tx.put(AGENT_KB, agent["agentId"], DRAFT, p["knowledgeBaseId"], doc)
        self._touch_draft(tx, agent, now)
        return {"agentKnowledgeBase": self._render_agent_kb(doc)}

    def get_agent_kb(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        doc = self._sub(tx, AGENT_KB, p["agentId"], p["agentVersion"], p["knowledgeBaseId"])
        return {"agentKnowledgeBase": self._render_agent_kb(doc)}

    def update_agent_kb(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        agent = self._agent(tx, p["agentId"])
        doc = self._sub(tx, AGENT_KB, p["agentId"], DRAFT, p["knowledgeBaseId"])
        self._refuse_if_transitional(agent, "Update")
        # §5: full replacement: knowledgeBaseState resets to its default when omitted. The
        # description is *required* in the response shape, so an omitted one cannot be cleared:
        # it is kept (what the service must do too, since it always returns one).
        doc.pop("knowledgeBaseState", None)
        doc.update(_sent(p, AGENT_KB_FIELDS))
        doc["updatedAt"] = now
        tx.put(AGENT_KB, p["agentId"], DRAFT, p["knowledgeBaseId"], doc)
        self._touch_draft(tx, agent, now)
        return {"agentKnowledgeBase": self._render_agent_kb(doc)}

    def disassociate_kb(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        agent = self._agent(tx, p["agentId"])
        self._sub(tx, AGENT_KB, p["agentId"], DRAFT, p["knowledgeBaseId"])
        self._refuse_if_transitional(agent, "Disassociate")
        tx.delete(AGENT_KB, p["agentId"], DRAFT, p["knowledgeBaseId"])
        self._touch_draft(tx, agent, now)
        return {}

    def list_agent_kbs(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        self._readable_version(tx, p["agentId"], p["agentVersion"])
        items = []
        for row in tx.rows(AGENT_KB, agent=p["agentId"], version=p["agentVersion"]):
            d = self._render_agent_kb(row.doc)
            items.append((row.seq, _drop_none({"knowledgeBaseId": d["knowledgeBaseId"],
                                               "description": d.get("description"),
                                               "knowledgeBaseState": d["knowledgeBaseState"],
                                               "updatedAt": d["updatedAt"]})))
        return self._page("ListAgentKnowledgeBases", items, p, "agentKnowledgeBaseSummaries")

    def seed_knowledge_base(self, tx: Tx, kb_id: str, name: str, description: str | None, now: float) -> None:
        existing = tx.get(KNOWLEDGE_BASE, "", "", kb_id)
        doc = existing or {
            "knowledgeBaseId": kb_id, "knowledgeBaseArn": self._kb_arn(kb_id), "createdAt": now,
            "roleArn": f"arn:aws:iam::{self.account}:role/AmazonBedrockExecutionRoleForKnowledgeBase_emulator",
            "knowledgeBaseConfiguration": {"type": "VECTOR", "vectorKnowledgeBaseConfiguration": {
                "embeddingModelArn": f"arn:aws:bedrock:{self.region}::foundation-model/amazon.titan-embed-text-v2:0"}},
            "status": "ACTIVE"}
        doc.update(name=name, updatedAt=doc.get("updatedAt", now))
        if description:
            doc["description"] = description
        else:
            doc.pop("description", None)
        tx.put(KNOWLEDGE_BASE, "", "", kb_id, doc)

    def create_knowledge_base(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        kb_id = self._new_id(tx)
        doc = {k: copy.deepcopy(v) for k, v in p.items() if k not in ("clientToken", "tags") and v is not None}
        # Stored as ACTIVE at once: the emulator has no ingestion pipeline to wait for.
        doc.update(knowledgeBaseId=kb_id, knowledgeBaseArn=self._kb_arn(kb_id), status="ACTIVE",
                   createdAt=now, updatedAt=now)
        tx.put(KNOWLEDGE_BASE, "", "", kb_id, doc)
        self._tags_put(tx, doc["knowledgeBaseArn"], p.get("tags"))
        return {"knowledgeBase": _public(doc)}

    def get_knowledge_base(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        doc = tx.get(KNOWLEDGE_BASE, "", "", p["knowledgeBaseId"])
        if doc is None:
            raise not_found()
        return {"knowledgeBase": _public(doc)}

    def list_knowledge_bases(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        items = [(r.seq, _drop_none({"knowledgeBaseId": r.doc["knowledgeBaseId"], "name": r.doc["name"],
                                     "description": r.doc.get("description"), "status": r.doc["status"],
                                     "updatedAt": r.doc["updatedAt"]}))
                 for r in tx.rows(KNOWLEDGE_BASE)]
        return self._page("ListKnowledgeBases", items, p, "knowledgeBaseSummaries")

    # ==========================================================================================
    # Collaborators
    # ==========================================================================================

    def _render_collaborator(self, doc: dict[str, Any]) -> dict[str, Any]:
        out = _public(doc)
        # Required in the list summary shape; DISABLED is the non-sharing default (derived).
        out.setdefault("relayConversationHistory", "DISABLED")
        return out

    def _check_collaborator(self, tx: Tx, agent_id: str, p: dict[str, Any], self_id: str | None) -> None:
        arn = (p.get("agentDescriptor") or {}).get("aliasArn")
        if arn:
            target = self._parse_arn(arn)
            if target is None or tx.get(ALIAS, target[1], "", target[2]) is None:
                raise not_found()  # the collaborator's alias must exist (RNF is modelled)
        siblings = [r for r in tx.rows(COLLABORATOR, agent=agent_id, version=DRAFT) if r.rid != self_id]
        if any(r.doc["collaboratorName"] == p["collaboratorName"] for r in siblings):
            raise conflict(f"A collaborator with name {p['collaboratorName']} already exists for agent "
                           f"{agent_id}.")  # invented text: uniqueness assumed
        if self_id is None:
            self._quota(self.config.quotas.collaborators_per_agent, len(siblings) + 1, "max-collaborators-per-agent")

    def associate_collaborator(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        agent = self._agent(tx, p["agentId"])
        self._refuse_if_transitional(agent, "Associate")
        self._check_collaborator(tx, agent["agentId"], p, None)
        cid = self._new_id(tx)
        doc = _sent(p, COLLABORATOR_FIELDS)
        doc.update(agentId=agent["agentId"], agentVersion=DRAFT, collaboratorId=cid, createdAt=now,
                   lastUpdatedAt=now)  # §6.4: lastUpdatedAt, not updatedAt
        if p.get("clientToken"):
            doc["clientToken"] = p["clientToken"]
        tx.put(COLLABORATOR, agent["agentId"], DRAFT, cid, doc)
        self._touch_draft(tx, agent, now)
        return {"agentCollaborator": self._render_collaborator(doc)}

    def get_collaborator(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        doc = self._sub(tx, COLLABORATOR, p["agentId"], p["agentVersion"], p["collaboratorId"])
        return {"agentCollaborator": self._render_collaborator(doc)}

    def update_collaborator(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        agent = self._agent(tx, p["agentId"])
        doc = self._sub(tx, COLLABORATOR, p["agentId"], DRAFT, p["collaboratorId"])
        self._refuse_if_transitional(agent, "Update")
        self._check_collaborator(tx, agent["agentId"], p, p["collaboratorId"])
        _replace(doc, p, COLLABORATOR_FIELDS)   # §11.4: full replacement
        doc["lastUpdatedAt"] = now
        tx.put(COLLABORATOR, p["agentId"], DRAFT, p["collaboratorId"], doc)
        self._touch_draft(tx, agent, now)
        return {"agentCollaborator": self._render_collaborator(doc)}

    def disassociate_collaborator(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        agent = self._agent(tx, p["agentId"])
        self._sub(tx, COLLABORATOR, p["agentId"], DRAFT, p["collaboratorId"])
        self._refuse_if_transitional(agent, "Disassociate")
        tx.delete(COLLABORATOR, p["agentId"], DRAFT, p["collaboratorId"])
        self._touch_draft(tx, agent, now)
        return {}

    def list_collaborators(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        self._readable_version(tx, p["agentId"], p["agentVersion"])
        keys = ("agentId", "agentVersion", "collaboratorId", "agentDescriptor", "collaborationInstruction",
                "relayConversationHistory", "collaboratorName", "createdAt", "lastUpdatedAt")
        items = [(r.seq, {k: v for k, v in self._render_collaborator(r.doc).items() if k in keys})
                 for r in tx.rows(COLLABORATOR, agent=p["agentId"], version=p["agentVersion"])]
        return self._page("ListAgentCollaborators", items, p, "agentCollaboratorSummaries")

    # ==========================================================================================
    # Aliases
    # ==========================================================================================

    def _render_alias(self, doc: dict[str, Any]) -> dict[str, Any]:
        out = _public(doc)
        out.setdefault("routingConfiguration", [])
        out.setdefault("aliasInvocationState", "ACCEPT_INVOCATIONS")
        return out

    def _alias_target(self, tx: Tx, agent: dict[str, Any], routing: list[dict[str, Any]] | None,
                      verb: str, now: float) -> list[dict[str, Any]]:
        """Resolve the routing of a Create/UpdateAgentAlias, cutting a version when it asks for one."""
        cuts = routing is None or (routing == [] and self.config.empty_routing_cuts_version)
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
            version = self._cut_version(tx, agent, now)
            # §2.2 / §11.1: the DRAFT shows VERSIONING while the version is cut.
            self._schedule(agent, "VERSIONING", {"status": "PREPARED"}, now,
                           self.config.scaled(self.config.durations.version))
            self._put_agent(tx, agent)
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
        if not self._version_exists(tx, agent["agentId"], target):
            raise not_found(f"Agent version {target} of agent {agent['agentId']} doesn't exist. Retry the "
                            f"request with a different resource identifier.")  # invented text
        return [entry]

    def create_alias(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        agent = self._agent(tx, p["agentId"])
        if agent["agentStatus"] == "DELETING":
            self._refuse_if_transitional(agent, "Create", error="ValidationException")
        aliases = tx.rows(ALIAS, agent=agent["agentId"])
        if any(r.doc["agentAliasName"] == p["agentAliasName"] for r in aliases):
            raise conflict(f"An alias with name {p['agentAliasName']} already exists for agent "
                           f"{agent['agentId']}.")  # invented text: uniqueness assumed
        counted = [r for r in aliases if r.rid != TEST_ALIAS_ID or self.config.test_alias_counts_towards_quota]
        self._quota(self.config.quotas.aliases_per_agent, len(counted) + 1, "max-aliases-per-agent")
        routing = self._alias_target(tx, agent, p.get("routingConfiguration"), "Create", now)
        alias_id = self._new_id(tx)
        doc: dict[str, Any] = {k: copy.deepcopy(p[k]) for k in ("agentAliasName", "description") if p.get(k)}
        doc.update(agentId=agent["agentId"], agentAliasId=alias_id,
                   agentAliasArn=self._alias_arn(agent["agentId"], alias_id), routingConfiguration=routing,
                   aliasInvocationState="ACCEPT_INVOCATIONS", createdAt=now, updatedAt=now,
                   agentAliasHistoryEvents=[{"routingConfiguration": routing, "startDate": now}] if routing else [])
        if p.get("clientToken"):
            doc["clientToken"] = p["clientToken"]
        if routing:
            self._schedule(doc, "CREATING", {"status": "PREPARED"}, now,
                           self.config.scaled(self.config.durations.alias), alias=True)
        else:
            doc["agentAliasStatus"] = "DISSOCIATED"
        tx.put(ALIAS, agent["agentId"], "", alias_id, doc, _due_of(doc))
        self._tags_put(tx, doc["agentAliasArn"], p.get("tags"))
        return {"agentAlias": self._render_alias(doc)}

    def _alias(self, tx: Tx, agent_id: str, alias_id: str) -> dict[str, Any]:
        self._agent(tx, agent_id)
        doc = tx.get(ALIAS, agent_id, "", alias_id)
        if doc is None:
            raise not_found()
        return doc

    def get_alias(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        return {"agentAlias": self._render_alias(self._alias(tx, p["agentId"], p["agentAliasId"]))}

    def update_alias(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        agent = self._agent(tx, p["agentId"])
        if p["agentAliasId"] == TEST_ALIAS_ID and not self.config.test_alias_updatable:
            raise validation(TEST_ALIAS_PATTERN_TEXT)  # §12.6 switch: refused like DeleteAgentAlias
        doc = self._alias(tx, p["agentId"], p["agentAliasId"])
        if doc["agentAliasStatus"] in TRANSITIONAL:
            raise validation(f"Update operation can't be performed on AgentAlias when it is in "
                             f"{STATE_WORDS[doc['agentAliasStatus']]} state. {RETRY_SUFFIX}")
        if agent["agentStatus"] == "DELETING":
            self._refuse_if_transitional(agent, "Update", error="ValidationException")
        others = tx.rows(ALIAS, agent=agent["agentId"])
        if any(r.doc["agentAliasName"] == p["agentAliasName"] and r.rid != p["agentAliasId"] for r in others):
            raise conflict(f"An alias with name {p['agentAliasName']} already exists for agent "
                           f"{agent['agentId']}.")
        routing = self._alias_target(tx, agent, p.get("routingConfiguration"), "Update", now)
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
            _close_history(doc, now)
            history = doc["agentAliasHistoryEvents"]
            if routing:
                history.insert(0, {"routingConfiguration": routing, "startDate": now})
            del history[self.config.alias_history_max:]
        if routing:
            self._schedule(doc, "UPDATING", {"status": "PREPARED"}, now,
                           self.config.scaled(self.config.durations.alias), alias=True)
        else:
            doc["agentAliasStatus"] = "DISSOCIATED"
            doc.pop("_pending", None)
            doc.pop("_due", None)
        tx.put(ALIAS, agent["agentId"], "", p["agentAliasId"], doc, _due_of(doc))
        return {"agentAlias": self._render_alias(doc)}

    def delete_alias(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        if p["agentAliasId"] == TEST_ALIAS_ID:
            raise validation(TEST_ALIAS_PATTERN_TEXT)  # §3.4 verbatim
        doc = self._alias(tx, p["agentId"], p["agentAliasId"])
        if doc["agentAliasStatus"] != "DELETING":
            self._schedule(doc, "DELETING", {"gone": True}, now, self.config.scaled(self.config.durations.alias),
                           alias=True)
            tx.put(ALIAS, p["agentId"], "", p["agentAliasId"], doc, doc["_due"])
        return {"agentId": p["agentId"], "agentAliasId": p["agentAliasId"], "agentAliasStatus": "DELETING"}

    def list_aliases(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        self._agent(tx, p["agentId"])
        keys = ("agentAliasId", "agentAliasName", "description", "routingConfiguration", "agentAliasStatus",
                "createdAt", "updatedAt", "aliasInvocationState")
        items = [(r.seq, {k: v for k, v in self._render_alias(r.doc).items() if k in keys})
                 for r in tx.rows(ALIAS, agent=p["agentId"])]
        return self._page("ListAgentAliases", items, p, "agentAliasSummaries")

    # ==========================================================================================
    # Tags
    # ==========================================================================================

    def _parse_arn(self, arn: str) -> tuple[str, str, str] | None:
        """(kind, id, sub-id) of an agent / agent-alias / knowledge-base ARN of this account and Region."""
        prefix = f"arn:aws:bedrock:{self.region}:{self.account}:"
        if not arn.startswith(prefix):
            return None
        parts = arn[len(prefix):].split("/")
        if parts[0] == "agent" and len(parts) == 2:
            return ("agent", parts[1], "")
        if parts[0] == "agent-alias" and len(parts) == 3:
            return ("agent-alias", parts[1], parts[2])
        if parts[0] == "knowledge-base" and len(parts) == 2:
            return ("knowledge-base", parts[1], "")
        return None

    def _taggable(self, tx: Tx, arn: str) -> None:
        target = self._parse_arn(arn)
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

    def _tags_of(self, tx: Tx, arn: str) -> dict[str, str]:
        """The tags of an existing taggable resource (ResourceNotFoundException otherwise)."""
        self._taggable(tx, arn)
        return (tx.get(TAGS, "", "", arn) or {}).get("tags", {})

    def tag_resource(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        merged = {**self._tags_of(tx, p["resourceArn"]), **p["tags"]}
        self._quota(self.config.quotas.tags_per_resource, len(merged), "max-tags-per-resource")
        tx.put(TAGS, "", "", p["resourceArn"], {"tags": merged})
        return {}

    def untag_resource(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        current = self._tags_of(tx, p["resourceArn"])
        for key in p.get("tagKeys") or []:
            current.pop(key, None)
        tx.put(TAGS, "", "", p["resourceArn"], {"tags": current})
        return {}

    def list_tags(self, tx: Tx, p: dict[str, Any], now: float) -> dict[str, Any]:
        return {"tags": self._tags_of(tx, p["resourceArn"])}


# ==============================================================================================
# Module helpers
# ==============================================================================================

def _due_of(doc: dict[str, Any]) -> float | None:
    return doc.get("_due") if doc.get("_pending") else None


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in doc.items() if not k.startswith("_") and v is not None}


def _sent(params: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The members of ``fields`` the request carries (copied: stored documents own their data)."""
    return {k: copy.deepcopy(params[k]) for k in fields if params.get(k) is not None}


def _replace(doc: dict[str, Any], params: dict[str, Any], fields: tuple[str, ...]) -> None:
    """Full replacement (§11.4): ``fields`` become exactly what the request sent."""
    for k in fields:
        doc.pop(k, None)
    doc.update(_sent(params, fields))


def _close_history(alias: dict[str, Any], now: float) -> None:
    """End the alias's current routing period (the newest history entry, if still open)."""
    history = alias.setdefault("agentAliasHistoryEvents", [])
    if history and "endDate" not in history[0]:
        history[0]["endDate"] = now


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _has_client_token(operation: str) -> bool:
    shape = servicemodel.service_model().operation_model(operation).input_shape
    return shape is not None and "clientToken" in shape.members


def _api_count(group: dict[str, Any]) -> int:
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


def _encode_token(operation: str, position: int) -> str:
    raw = json.dumps({"op": operation, "after": position}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str, operation: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        if data["op"] != operation or not isinstance(data["after"], int):
            raise ValueError
        return data["after"]
    except (ValueError, KeyError, TypeError, json.JSONDecodeError):
        # Text invented: AWS's exact wording for a bad pagination token is not on record.
        raise validation("Invalid pagination token. Retry the request with the nextToken from a previous "
                         "response.") from None
