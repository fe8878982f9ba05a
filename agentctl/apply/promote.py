"""promote, rollback and history: moving an alias between existing versions.

A move is a one-step plan (``alias_move_plan``: UpdateAgentAlias with its full members and an
explicit routingConfiguration, §3.4) run by the one executor, so progress, interruption,
partial-failure reports and the check that the alias really routes to the version afterwards
are the same as for apply.

- **promote** without ``--version``/``--from`` is an error listing the choices (it never cuts a
  version by itself: versions are cut by ``apply`` through a ``track: latest`` alias).
- **rollback** moves the alias to the most recent *other* version in its history
  (agentAliasHistoryEvents, §3.4), i.e. it toggles like ``cd -``.

Must not: call AWS mutating operations itself (the executor does), or print.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from dataclasses import dataclass
from typing import Any, Callable

from agentctl.apply.context import Context
from agentctl.apply.executor import Interrupt, execute, raise_for_result
from agentctl.apply.records import now
from agentctl.apply.version_cache import version_cache_of
from agentctl.aws import live as live_mod
from agentctl.core.model import LiveAgent, LiveAlias
from agentctl.core.normalize import canonical_description, explicit_invocation_state
from agentctl.errors import AgentctlError, MoveIncomplete, UsageError
from agentctl.plan.codec import with_plan_id
from agentctl.plan.model import (
    FORMAT_VERSION,
    Action,
    AgentLifecycle,
    AliasMove,
    ApplyResult,
    Plan,
    ResourceChange,
    Step,
)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class AliasMoveResult:
    agent: str
    alias: str
    from_version: str | None
    to_version: str
    changed: bool
    reason: str = ""


def owned_agent(ctx: Context, name: str) -> LiveAgent:
    # Promote, rollback, history and eval look at the aliases' routing history: read it
    # (GetAgentAlias per alias; a plan needs only the summaries).
    live = live_mod.read_live(ctx.clients, [name], project=ctx.project.name, target=ctx.target,
                              alias_history=True, version_cache=version_cache_of(ctx))
    if name not in ctx.project.desired and name not in live.agents and name not in live.unowned:
        # Neither a spec nor the target knows it: a typo in --agent, not an agent to create
        # (require_owned's "run `agentctl apply` to create it" would send the user astray).
        raise UsageError(f"no agent named {name!r} in project {ctx.project.name!r} "
                         f"(environment {ctx.env_name!r})",
                         hint="check --agent; agents of this project: "
                              + (", ".join(sorted(ctx.project.desired)) or "none"))
    return live_mod.require_owned(live, name)


def alias_of(agent: LiveAgent, agent_name: str, alias: str) -> LiveAlias:
    if alias not in agent.aliases:
        known = ", ".join(sorted(agent.aliases)) or "none"
        raise UsageError(f"agent {agent_name!r} has no alias {alias!r} (aliases: {known})",
                         hint="aliases are created by `agentctl apply` from the spec's `aliases:`")
    return agent.aliases[alias]


def resolve_promotion(agent: LiveAgent, agent_name: str, alias: str, *, version: str | None,
                      from_alias: str | None) -> str:
    """The version ``promote`` should route ``alias`` to, or a clear error."""
    numbers = [v.version for v in agent.versions]
    if version is None and from_alias is None:
        newest = agent.newest_version
        raise UsageError(
            f"say which version {alias} should serve",
            hint=(f"use --version N (versions: {', '.join(numbers) or 'none yet'}"
                  + (f", newest {newest.version}" if newest else "")
                  + ") or --from ALIAS (e.g. --from STAGING); promote never cuts a version — "
                    "`agentctl apply` does, through a `track: latest` alias"))
    if version is not None and from_alias is not None:
        raise UsageError("give either --version or --from, not both")
    if from_alias is not None:
        src = alias_of(agent, agent_name, from_alias)
        if src.routed_version is None:
            raise UsageError(f"alias {from_alias!r} routes to no version")
        version = src.routed_version
    assert version is not None
    version = str(version).strip()
    if version.upper() == "DRAFT":
        # service-behaviour.md §3.4: Bedrock refuses DRAFT as an alias's routing.
        raise UsageError("an alias cannot route to DRAFT",
                         hint="use a numbered version: Bedrock does not accept DRAFT as an "
                              "alias's routing")
    match = [v for v in agent.versions if v.version == version]
    if not match:
        raise UsageError(f"agent {agent_name!r} has no version {version}",
                         hint=f"versions: {', '.join(numbers) or 'none yet'}")
    if match[0].status == "FAILED":
        raise UsageError(f"version {version} of {agent_name!r} is FAILED and cannot serve traffic")
    return version


def alias_move_plan(ctx: Context, agent_name: str, agent: LiveAgent, alias: str, version: str,
                    *, why: str) -> Plan:
    """The one-step plan routing ``alias`` to ``version``: UpdateAgentAlias with its full
    members (a full replacement, §3.4: description and the invocation state are re-sent so
    they are kept) and an explicit routingConfiguration."""
    la = alias_of(agent, agent_name, alias)
    params: dict[str, Any] = {
        "agentId": agent.agent_id,
        "agentAliasId": la.alias_id,
        "agentAliasName": la.name,
        "routingConfiguration": [{"agentVersion": version}],
    }
    description = canonical_description(la.description)
    if description:
        params["description"] = description
    params["aliasInvocationState"] = explicit_invocation_state(la.invocation_state)
    address = f"agent.{agent_name}.alias.{alias}"
    step = Step(operation="UpdateAgentAlias", params=params, address=address,
                description=f"route alias {alias} to version {version} ({why})",
                wait_for="alias:PREPARED")
    before = {"name": alias, "agentVersion": la.routed_version} if la.routed_version \
        else {"name": alias}
    change = ResourceChange(address, "alias", Action.UPDATE, before,
                            {"name": alias, "agentVersion": version}, reason=f"agentctl {why}")
    lifecycle = AgentLifecycle(agent=agent_name, prepare=False, new_version=False,
                               next_version_hint=None,
                               moves=(AliasMove(agent_name, alias, la.routed_version, version),))
    return with_plan_id(Plan(
        format_version=FORMAT_VERSION, project=ctx.project.name, environment=ctx.env_name,
        target=dataclasses.asdict(ctx.target), spec_digest="",
        live_fingerprint={agent_name: agent.fingerprint}, changes=(change,),
        lifecycle=(lifecycle,), steps=(step,), created_at=now()))


def move_alias(ctx: Context, agent_name: str, agent: LiveAgent, alias: str, version: str, *,
               why: str = "promote", progress: Progress | None = None,
               interrupt: Interrupt | None = None) -> AliasMoveResult:
    """Route ``alias`` to ``version`` through the executor; raises ``PartialApply`` (exit
    INTERRUPTED) when interrupted, ``MoveIncomplete`` when the update was accepted but its
    effect could not be confirmed, the step's error otherwise."""
    la = alias_of(agent, agent_name, alias)
    if la.routed_version == version:
        return AliasMoveResult(agent_name, alias, la.routed_version, version, False,
                               f"{alias} already serves version {version}")
    plan = alias_move_plan(ctx, agent_name, agent, alias, version, why=why)
    result = execute(plan, ctx.clients, progress=progress, interrupt=interrupt)
    if result.ok:
        return AliasMoveResult(agent_name, alias, la.routed_version, version, True)
    _raise_move_failure(result, alias, la.routed_version, version)
    raise_for_result(result)
    raise AssertionError("unreachable")  # pragma: no cover


def _raise_move_failure(result: ApplyResult, alias: str, before: str | None,
                        version: str) -> None:
    fail = result.failed
    if result.interrupted or fail is None:
        return  # raise_for_result says what was in flight
    where = fail.step.address
    error = fail.error or "unknown error"
    what = error[len(where) + 2:] if error.startswith(f"{where}: ") else error
    if fail.accepted:
        # The update was accepted: the alias may already serve the new version. A plain error
        # would read as "nothing happened"; say what was done (exit APPLY_FAILED, part-way).
        raise MoveIncomplete(
            f"UpdateAgentAlias was accepted ({alias}: {before or 'none'} -> version "
            f"{version}), but it could not be confirmed: {what.splitlines()[0]}",
            where=where,
            hint=f"run `agentctl status` to see which version {alias} serves now, then re-run "
                 "this command (it is safe to repeat)")
    raise AgentctlError(error)


def promote(ctx: Context, agent_name: str, alias: str, *, version: str | None = None,
            from_alias: str | None = None, progress: Progress | None = None) -> AliasMoveResult:
    agent = owned_agent(ctx, agent_name)
    target_version = resolve_promotion(agent, agent_name, alias, version=version,
                                       from_alias=from_alias)
    return move_alias(ctx, agent_name, agent, alias, target_version, why="promote",
                      progress=progress)


@dataclass(frozen=True)
class HistoryEntry:
    version: str | None
    start: str | None
    end: str | None
    current: bool


def alias_history(agent: LiveAgent, agent_name: str, alias: str) -> list[HistoryEntry]:
    """The alias's routing history, newest first (§3.4: ≤10 events; ordering unconfirmed, so we
    sort by startDate ourselves)."""
    la = alias_of(agent, agent_name, alias)
    entries = []
    for ev in la.history or ():
        routing = ev.get("routingConfiguration") or []
        version = next((str(r["agentVersion"]) for r in routing if r.get("agentVersion")), None)
        entries.append(HistoryEntry(version, _s(ev.get("startDate")), _s(ev.get("endDate")),
                                    ev.get("endDate") is None))
    entries.sort(key=lambda e: e.start or "", reverse=True)
    return entries


def _s(v: Any) -> str | None:
    if v is None:
        return None
    return v.isoformat() if isinstance(v, (_dt.datetime, _dt.date)) else str(v)


def history(ctx: Context, agent_name: str, alias: str) -> tuple[LiveAgent, list[HistoryEntry]]:
    agent = owned_agent(ctx, agent_name)
    return agent, alias_history(agent, agent_name, alias)


def rollback_target(agent: LiveAgent, agent_name: str, alias: str) -> str:
    la = alias_of(agent, agent_name, alias)
    current = la.routed_version
    existing = {v.version: v for v in agent.versions}
    for e in alias_history(agent, agent_name, alias):
        if e.version and e.version != current and e.version in existing \
                and existing[e.version].status != "FAILED":
            return e.version
    raise UsageError(f"alias {alias!r} of {agent_name!r} has no previous version to roll back to",
                     hint="its history holds no other version that still exists; use "
                          "`agentctl promote --version N`")


def rollback(ctx: Context, agent_name: str, alias: str, *,
             progress: Progress | None = None) -> AliasMoveResult:
    agent = owned_agent(ctx, agent_name)
    return move_alias(ctx, agent_name, agent, alias, rollback_target(agent, agent_name, alias),
                      why="rollback", progress=progress)


__all__ = ["AliasMoveResult", "HistoryEntry", "alias_move_plan", "move_alias", "promote",
           "rollback", "history", "alias_history", "rollback_target", "resolve_promotion",
           "owned_agent", "alias_of"]
