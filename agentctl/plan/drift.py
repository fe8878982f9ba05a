"""Drift: what changed on the live agents since agentctl last applied them (``agentctl drift``,
Terraform's ``plan -refresh-only``). Nothing is planned or changed; it answers "did someone edit
this agent in the console?" field by field.

Inputs: the configuration each agent had when an apply last completed (``Plan.configuration``
documents, kept by ``agentctl.apply.last_applied``) and the live state read now. Both sides are
reduced to the values the plan differ compares (``agent_value`` with user tags, sub-resources by
natural key, ``alias_value``; the live prompt configurations aligned to the applied ones, as the
differ does), so an agent that plans as "No changes" against its last applied configuration has
no drift. Collaborator references recorded as ``(known after apply)`` placeholders are resolved
against the live aliases they name. The field-by-field comparison is DeepDiff's
(``agentctl.plan.explain.field_changes``).

Pure: values in, a ``DriftReport`` out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from agentctl.core.model import (
    ACTION_GROUP,
    AGENT,
    ALIAS,
    COLLABORATOR,
    KNOWLEDGE_BASE,
    AgentConfig,
    LiveState,
    is_ref,
    plain,
    refs_from_json,
)
from agentctl.core.normalize import align_live_to_desired, config_from_document, with_defaults
from agentctl.plan.differ import agent_value, alias_value
from agentctl.plan.explain import FieldDifference, field_changes

IN_SYNC, DRIFTED, DELETED, UNOWNED, NEVER_APPLIED = (
    "in_sync", "drifted", "deleted", "unowned", "never_applied")


@dataclass(frozen=True)
class AgentDrift:
    agent: str
    status: str
    """``in_sync``, ``drifted``, ``deleted`` (outside agentctl), ``unowned`` (its ownership tags
    were removed) or ``never_applied`` (no apply recorded for it: nothing to compare)."""
    changes: tuple[FieldDifference, ...] = ()
    """Last applied -> live, for ``drifted``."""
    applied_at: str | None = None
    plan_id: str | None = None


@dataclass(frozen=True)
class DriftReport:
    project: str
    environment: str
    agents: tuple[AgentDrift, ...]

    @property
    def has_drift(self) -> bool:
        return any(a.status in (DRIFTED, DELETED, UNOWNED) for a in self.agents)


def comparable(config: AgentConfig, *, align_to: AgentConfig | None = None) -> dict[str, Any]:
    """The values the plan differ compares, as one document (tags inside ``agent``, as the
    differ shows them), service defaults filled in as the differ fills them: a value equal to
    its default on one side and absent on the other is no drift."""
    agent = agent_value(config)
    if align_to is not None:
        agent = align_live_to_desired(align_to.agent, agent)

    def each(kind: str, values: Any) -> dict[str, Any]:
        return {k: with_defaults(kind, plain(v)) for k, v in values.items()}

    return plain({
        "agent": with_defaults(AGENT, plain(agent)),
        "action_groups": each(ACTION_GROUP, config.action_groups),
        "knowledge_bases": each(KNOWLEDGE_BASE, config.knowledge_bases),
        "collaborators": each(COLLABORATOR, config.collaborators),
        "aliases": each(ALIAS, {k: alias_value(a) for k, a in config.aliases.items()}),
    })


def _resolve_refs(value: Any, live: LiveState) -> Any:
    """A ``Ref`` to another agent's alias ARN (``agent.X.alias.A``) -> the live alias's ARN, when
    it exists (else the Ref stays, and differs from whatever live holds)."""
    if is_ref(value):
        parts = value.address.split(".")
        if len(parts) == 4 and parts[0] == "agent" and parts[2] == "alias" \
                and value.key in ("aliasArn", "agentAliasArn"):
            agent = live.agents.get(parts[1])
            alias = agent.aliases.get(parts[3]) if agent is not None else None
            if alias is not None:
                return alias.arn
        return value
    if isinstance(value, Mapping):
        return {k: _resolve_refs(v, live) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_resolve_refs(v, live) for v in value]
    return value


def compute_drift(records: Mapping[str, Mapping[str, Any]], live: LiveState, *,
                  project: str, environment: str, names: Sequence[str]) -> DriftReport:
    """Drift of ``names``: ``records`` maps agent name -> {"configuration": document,
    "applied_at": ..., "plan_id": ...} (the last apply that completed for it)."""
    out = []
    for name in sorted(names):
        rec = records.get(name)
        if rec is None:
            out.append(AgentDrift(name, NEVER_APPLIED))
            continue
        at, pid = rec.get("applied_at"), rec.get("plan_id")
        if name in live.unowned:
            out.append(AgentDrift(name, UNOWNED, applied_at=at, plan_id=pid))
            continue
        if name not in live.agents:
            out.append(AgentDrift(name, DELETED, applied_at=at, plan_id=pid))
            continue
        # The record is JSON text: its placeholders become Ref objects (the one in-memory form)
        # before they are resolved.
        applied = config_from_document(_resolve_refs(refs_from_json(rec["configuration"]), live))
        live_cfg = live.agents[name].config
        changes = field_changes(comparable(applied), comparable(live_cfg, align_to=applied))
        out.append(AgentDrift(name, DRIFTED if changes else IN_SYNC, changes,
                              applied_at=at, plan_id=pid))
    return DriftReport(project, environment, tuple(out))
