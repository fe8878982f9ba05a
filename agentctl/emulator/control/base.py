"""The shared base of the emulated control plane: constants, the ``Control`` object every
operation handler receives, and the helpers all resource families use.

``Control`` carries the configuration, Region, account, id generator and the prepare-outcome
hook, and does what is the same for every operation: ``dispatch`` (handler lookup, server-side
validation, §1.2 clientToken idempotency), ``validate``, the lazy lifecycle (``settle`` applies
due transitions, ``schedule`` starts one), ids and ARNs, lookups, the §2.3 / §11.2 refusals while
an agent is transitional, ``touch_draft``, paging (§11.12 tokens), count quotas and tags on create.

Asynchronous statuses are lazy: a call that starts a transition stores the transitional status
plus ``_pending`` (the target) and a ``due`` time; ``settle`` applies every due transition at the
start of each operation. No background thread, and two processes sharing one state file agree.

Stored documents hold what the client sent (so full replacement on Update* is a plain overwrite)
plus server fields; keys starting with ``_`` are internal and never leave the control plane
(``public`` drops them). Defaults the service fills in on read are added by each family's
``render_*`` function.

Must not: import the transports or the runtime (``agentctl.emulator.transports``,
``agentctl.emulator.runtime``), touch HTTP, sleep, read the real clock (``now`` is passed in), or
know about faults other than the prepare-outcome hook it is given.
"""

from __future__ import annotations

import base64
import copy
import json
import random
import string
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from agentctl.core import servicemodel
from agentctl.emulator.config import EmulatorConfig
from agentctl.emulator.errors import ServiceError, not_found, quota, validation
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

# §3.4: the ValidationException AWS returns for DeleteAgentAlias on the built-in test alias.
TEST_ALIAS_PATTERN_TEXT = ("1 validation error detected: Value 'TSTALIASID' at 'agentAliasId' failed to "
                           "satisfy constraint: Member must satisfy regular expression pattern: "
                           "(?!\\bTSTALIASID\\b)[0-9a-zA-Z]+")

_ID_ALPHABET = string.ascii_uppercase + string.digits


def user_fields(operation: str) -> tuple[str, ...]:
    """Request members of ``operation`` that are not in the URI: what a full replacement sets."""
    shape = servicemodel.service_model().operation_model(operation).input_shape
    return tuple(n for n, s in shape.members.items()
                 if s.serialization.get("location") not in ("uri", "querystring", "header")
                 and n != "clientToken")


AGENT_FIELDS = user_fields("UpdateAgent")


@dataclass(frozen=True)
class PrepareOutcome:
    """What fault injection says about one PrepareAgent: force a failure, and/or add seconds."""

    fail_reason: str | None = None
    extra_seconds: float = 0.0


Handler = Callable[["Control", Tx, dict[str, Any], float], dict[str, Any]]
"""One operation: ``(control, transaction, parsed params, now) -> output`` (see ``dispatch``)."""


class Control:
    """What every operation handler gets: configuration, Region, account, ids, the prepare hook,
    and the shared steps (``dispatch`` runs one operation inside the caller's transaction)."""

    def __init__(self, config: EmulatorConfig, *, region: str, account: str, handlers: Mapping[str, Handler],
                 rng: random.Random | None = None,
                 prepare_hook: Callable[[], PrepareOutcome] | None = None):
        self.config = config
        self.region = region
        self.account = account
        self._rng = rng or random.SystemRandom()
        self.prepare_hook = prepare_hook or (lambda: PrepareOutcome())
        self._handlers = dict(handlers)

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
        token = params.get("clientToken") if has_client_token(operation) else None
        if token:
            # §1.2: same token => "Amazon Bedrock ignores the request, but does not return an
            # error": the original result comes back and nothing new is created.
            previous = tx.token_result(operation, token)
            if previous is not None:
                return previous
        result = handler(self, tx, params, now)
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
                # it (tagging agents works). ARNs are checked by parse_arn instead.
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
                    self.purge_agent(tx, row.agent)
                elif row.kind == ALIAS:
                    tx.delete(ALIAS, row.agent, "", row.rid)
                    tx.delete(TAGS, "", "", self.alias_arn(row.agent, row.rid))
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

    def schedule(self, doc: dict[str, Any], status_now: str, target: dict[str, Any], now: float,
                 seconds: float, *, alias: bool = False) -> None:
        """Show ``status_now`` and make ``target`` happen ``seconds`` from ``now`` (see settle)."""
        doc["agentAliasStatus" if alias else "agentStatus"] = status_now
        doc["_pending"] = target
        doc["_due"] = now + seconds

    def purge_agent(self, tx: Tx, agent_id: str) -> None:
        for row in tx.rows(ALIAS, agent=agent_id):
            tx.delete(TAGS, "", "", self.alias_arn(agent_id, row.rid))
        tx.delete(TAGS, "", "", self.agent_arn(agent_id))
        tx.delete_where(agent=agent_id)

    # ==========================================================================================
    # Helpers: ids, ARNs, lookups, refusals, pagination, quotas
    # ==========================================================================================

    def new_id(self, tx: Tx) -> str:
        while True:
            candidate = "".join(self._rng.choice(_ID_ALPHABET) for _ in range(10))
            if candidate != TEST_ALIAS_ID and not tx.exists_id(candidate):
                return candidate

    def agent_arn(self, agent_id: str) -> str:
        return f"arn:aws:bedrock:{self.region}:{self.account}:agent/{agent_id}"

    def alias_arn(self, agent_id: str, alias_id: str) -> str:
        return f"arn:aws:bedrock:{self.region}:{self.account}:agent-alias/{agent_id}/{alias_id}"

    def kb_arn(self, kb_id: str) -> str:
        return f"arn:aws:bedrock:{self.region}:{self.account}:knowledge-base/{kb_id}"

    def parse_arn(self, arn: str) -> tuple[str, str, str] | None:
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

    def agent(self, tx: Tx, agent_id: str) -> dict[str, Any]:
        doc = tx.get(AGENT, agent_id, DRAFT, "")
        if doc is None:
            raise not_found()
        return doc

    def put_agent(self, tx: Tx, doc: dict[str, Any]) -> None:
        tx.put(AGENT, doc["agentId"], DRAFT, "", doc, due_of(doc))

    def sub(self, tx: Tx, kind: str, agent_id: str, version: str, rid: str) -> dict[str, Any]:
        self.readable_version(tx, agent_id, version)
        doc = tx.get(kind, agent_id, version, rid)
        if doc is None:
            raise not_found()
        return doc

    def draft_child(self, tx: Tx, p: dict[str, Any], kind: str, rid: str, verb: str
                    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The agent and its DRAFT child ``rid`` of ``kind`` for an Update / Delete /
        Disassociate (``verb``), checked in the service's order: the agent exists, the child
        exists, the agent is not transitional (§2.3)."""
        agent = self.agent(tx, p["agentId"])
        doc = self.sub(tx, kind, p["agentId"], DRAFT, rid)
        self.refuse_if_transitional(agent, verb)
        return agent, doc

    def new_draft_child(self, tx: Tx, agent: dict[str, Any], p: dict[str, Any], fields: tuple[str, ...],
                        id_member: str, rid: str, now: float, *, updated: str = "updatedAt") -> dict[str, Any]:
        """The document of a new DRAFT child: the ``fields`` the request sent, the agent, DRAFT,
        its id (``id_member``: ``rid``), timestamps (``updated`` names the update time's member)
        and the clientToken when one came."""
        doc = sent(p, fields)
        doc.update({"agentId": agent["agentId"], "agentVersion": DRAFT, id_member: rid, "createdAt": now,
                    updated: now})
        if p.get("clientToken"):
            doc["clientToken"] = p["clientToken"]
        return doc

    def put_draft_child(self, tx: Tx, agent: dict[str, Any], kind: str, rid: str, doc: dict[str, Any] | None,
                        now: float) -> None:
        """Store (``doc``) or delete (``None``) a DRAFT child; either is a DRAFT edit (§11.5)."""
        if doc is None:
            tx.delete(kind, agent["agentId"], DRAFT, rid)
        else:
            tx.put(kind, agent["agentId"], DRAFT, rid, doc)
        self.touch_draft(tx, agent, now)

    def refuse_if_transitional(self, agent: dict[str, Any], verb: str, resource: str = "Agent", *,
                               error: str | None = None) -> None:
        """§2.3 / §11.2: mutating calls on an agent (or its DRAFT children) are refused while it
        is in a transitional state, and an agent whose creation FAILED accepts none."""
        status = agent["agentStatus"]
        if status in TRANSITIONAL or agent.get("_creation_failed"):
            code = error or self.config.transitional_state_error
            raise ServiceError(code, f"{verb} operation can't be performed on {resource} when it is in "
                                     f"{STATE_WORDS[status]} state. {RETRY_SUFFIX}")

    def readable_version(self, tx: Tx, agent_id: str, version: str) -> None:
        self.agent(tx, agent_id)
        # A version being deleted is still readable (GetAgentVersion shows it DELETING).
        if version != DRAFT and tx.get(VERSION, agent_id, version, "") is None:
            raise not_found()

    def touch_draft(self, tx: Tx, agent: dict[str, Any], now: float) -> None:
        """§11.5 / §12.1: a DRAFT edit means the agent must be prepared again (switch)."""
        if self.config.subresource_edit_unprepares and agent["agentStatus"] == "PREPARED":
            agent["agentStatus"] = "NOT_PREPARED"
            agent["updatedAt"] = now
            self.put_agent(tx, agent)

    def page(self, operation: str, items: list[tuple[int, dict[str, Any]]], params: dict[str, Any],
             key: str) -> dict[str, Any]:
        """§11.12: honour maxResults, cap pages at ``page_size_cap``, opaque nextToken anchored on
        the last item's position (stable under concurrent deletes)."""
        size = min(params.get("maxResults") or self.config.page_size_cap, self.config.page_size_cap)
        after = -1
        token = params.get("nextToken")
        if token:
            after = decode_token(token, operation)
        remaining = [(pos, item) for pos, item in items if pos > after]
        page = remaining[:size]
        out: dict[str, Any] = {key: [item for _, item in page]}
        if len(remaining) > size:
            out["nextToken"] = encode_token(operation, page[-1][0])
        return out

    def quota(self, limit: int | None, requested: int, what: str) -> None:
        """Refuse a request that would bring a count to ``requested`` when that exceeds ``limit``
        (``None``: no quota)."""
        # Texts of count-quota errors are UNCONFIRMED (§8): invented, in the style of §6.3.
        if limit is not None and requested > limit:
            raise quota(f"Validation failed for quota {what}. The maximum number of resources is "
                        f"{limit}, but account {self.account} requested {requested} resources. "
                        f"Retry the request with fewer resources.")

    def tags_put(self, tx: Tx, arn: str, tags: dict[str, str] | None) -> None:
        if not tags:
            return
        self.quota(self.config.quotas.tags_per_resource, len(tags), "max-tags-per-resource")
        tx.put(TAGS, "", "", arn, {"tags": dict(tags)})


# ==============================================================================================
# Document helpers
# ==============================================================================================

def due_of(doc: dict[str, Any]) -> float | None:
    return doc.get("_due") if doc.get("_pending") else None


def public(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in doc.items() if not k.startswith("_") and v is not None}


def sent(params: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The members of ``fields`` the request carries (copied: stored documents own their data)."""
    return {k: copy.deepcopy(params[k]) for k in fields if params.get(k) is not None}


def replace(doc: dict[str, Any], params: dict[str, Any], fields: tuple[str, ...]) -> None:
    """Full replacement (§11.4): ``fields`` become exactly what the request sent."""
    for k in fields:
        doc.pop(k, None)
    doc.update(sent(params, fields))


def close_history(alias: dict[str, Any], now: float) -> None:
    """End the alias's current routing period (the newest history entry, if still open)."""
    history = alias.setdefault("agentAliasHistoryEvents", [])
    if history and "endDate" not in history[0]:
        history[0]["endDate"] = now


def drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def has_client_token(operation: str) -> bool:
    shape = servicemodel.service_model().operation_model(operation).input_shape
    return shape is not None and "clientToken" in shape.members


def encode_token(operation: str, position: int) -> str:
    raw = json.dumps({"op": operation, "after": position}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, operation: str) -> int:
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
