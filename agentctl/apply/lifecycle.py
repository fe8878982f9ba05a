"""The core of the lifecycle commands: plan, apply, promote, rollback, history, status, destroy,
adopt. The CLI (``agentctl.cli.lifecycle_cmds``) parses flags, calls one function here, renders
the result and returns an exit code; these functions never print (progress goes to a callback).

Decisions worth knowing (each also in the user docs of the command):

- **Saved plans** are applied exactly, or refused with ``StalePlan`` when the target (kind, region,
  account, endpoint) differs, when any agent's live fingerprint differs from the one recorded at
  plan time (agents that were absent included), or when this project already applied the plan.
  Applied plans are recorded in ``<project>/.agentctl/applied-plans`` (one line per plan: a digest
  of plan id + creation time). The fingerprint check is the real guard (an applied plan changes
  the live side, so its fingerprints no longer match anywhere); the record makes the message
  exact ("already applied") and covers plans with no live effect.
- **Lock**: every command that mutates holds ``<project>/.agentctl/lock`` (filelock) for its whole
  run; another agentctl process waits up to ``AGENTCTL_LOCK_TIMEOUT`` seconds (default 10), then
  ``LockTimeout``.
- **Project agents not in the specs**: planning also discovers agents tagged as owned by this
  project whose spec is gone (one ListTagsForResource per agent on the target), so the plan can say
  so and ``--prune`` can delete them.
- **promote** without ``--version``/``--from`` is an error listing the choices (it never cuts a
  version by itself: versions are cut by ``apply`` through a ``track: latest`` alias).
- **rollback** moves the alias to the most recent *other* version in its history
  (agentAliasHistoryEvents, §3.4), i.e. it toggles like ``cd -``.
- **destroy** builds its own small plan per agent: user aliases deleted (waiting until gone, since
  DeleteAgent refuses agents with active aliases, §2.5), ENABLED action groups disabled then
  deleted (§4.2), then DeleteAgent, waiting until it is gone.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from agentctl.aws import client as aws, live as live_mod
from agentctl.apply.executor import AfterStep, execute
from agentctl.errors import (
    AgentctlError,
    LockTimeout,
    MoveIncomplete,
    NotOwned,
    PartialApply,
    StalePlan,
    UsageError,
)
from agentctl.core.model import (
    OWNER_TAG,
    OWNER_TAG_VALUE,
    PROJECT_TAG,
    AgentConfig,
    LiveAgent,
    LiveState,
    Target,
)
from agentctl.plan.model import (
    FORMAT_VERSION,
    Action,
    AgentLifecycle,
    ApplyResult,
    Plan,
    ResourceChange,
    Step,
)

Progress = Callable[[str], None]
ABSENT = "absent"
DEFAULT_LOCK_TIMEOUT = 10.0


# ------------------------------------------------------------------------------- context

@dataclass(frozen=True)
class Context:
    """An opened project + environment + clients. Close it (or use ``opened``)."""

    project: Any
    """``agentctl.spec.Project``."""
    clients: aws.Clients

    @property
    def root(self) -> Path:
        return Path(self.project.root)

    @property
    def env_name(self) -> str:
        return self.project.environment.name

    @property
    def target(self) -> Target:
        return self.clients.target

    def close(self) -> None:
        self.clients.close()


def open_context(start: Path, env: str | None, *, timing: aws.Timing | None = None,
                 emulator_config: Any = None) -> Context:
    from agentctl.spec import load_project

    project = load_project(start, env)
    clients = aws.make_clients(project.environment, root=Path(project.root), timing=timing,
                               emulator_config=emulator_config)
    return Context(project=project, clients=clients)


@contextmanager
def opened(start: Path, env: str | None, **kw: Any) -> Iterator[Context]:
    ctx = open_context(start, env, **kw)
    try:
        yield ctx
    finally:
        ctx.close()


def desired_of(project: Any) -> dict[str, AgentConfig]:
    """The project's desired agents in canonical form. ``compute_plan`` does not need it
    (``build_plan`` canonicalizes its input); benchmarks/bench_live.py uses it."""
    from agentctl.core.normalize import canonicalize

    return {name: canonicalize(cfg) for name, cfg in sorted(project.desired.items())}


def _now() -> str:
    # Millisecond resolution: the applied-plans record keys on plan id + creation time, and two
    # plans of identical content are often made within one second (plan --out, then apply).
    now = _dt.datetime.now(_dt.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


# --------------------------------------------------------------------------------- lock

@contextmanager
def project_lock(root: Path, timeout: float | None = None) -> Iterator[None]:
    """Serialize mutating commands of one project (two applies racing each other would race the
    agent's PREPARING/VERSIONING states, §9.3 item 6)."""
    import filelock

    if timeout is None:
        raw = os.environ.get("AGENTCTL_LOCK_TIMEOUT", str(DEFAULT_LOCK_TIMEOUT))
        try:
            timeout = float(raw)
        except ValueError:
            timeout = math.nan
        # filelock waits forever on a negative timeout and rejects nan: only a finite, >= 0
        # number of seconds is a timeout.
        if not math.isfinite(timeout) or timeout < 0:
            raise UsageError(f"AGENTCTL_LOCK_TIMEOUT must be a number of seconds >= 0 "
                             f"(got {raw!r})", hint="e.g. AGENTCTL_LOCK_TIMEOUT=60") from None
    path = Path(root) / ".agentctl" / "lock"
    lock = filelock.FileLock(str(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire(timeout=timeout)
    except filelock.Timeout:
        raise LockTimeout(f"another agentctl process holds the project lock ({path})",
                          hint=f"wait for it to finish (waited {timeout:g}s; set "
                               "AGENTCTL_LOCK_TIMEOUT to wait longer)") from None
    except OSError as e:
        # A read-only checkout, or `.agentctl` that is not a directory: nothing was changed yet.
        raise AgentctlError(f"cannot take the project lock {path}: {e.strerror or e}",
                            where=str(path.parent),
                            hint="agentctl needs a writable .agentctl directory in the project "
                                 "to serialize changes; make it writable (nothing was changed)"
                            ) from None
    try:
        yield
    finally:
        lock.release()


# --------------------------------------------------------------------------------- plan

def read_project_live(ctx: Context, names: Sequence[str] | None = None) -> LiveState:
    """Live state of the desired agents plus every agent this project owns on the target."""
    found = live_mod.list_agents(ctx.clients)
    wanted = set(ctx.project.desired) if names is None else set(names)
    tags = None
    if names is None:
        # Discovery reads every agent's tags; the reader reuses them instead of asking again.
        tags = live_mod.agent_tags(ctx.clients, found)
        wanted |= set(live_mod.discover_project_agents(ctx.clients, ctx.project.name, found,
                                                       tags=tags))
    return live_mod.read_live(ctx.clients, sorted(wanted), project=ctx.project.name,
                              target=ctx.target, found=found, tags=tags)


def compute_plan(ctx: Context, *, only_agents: Sequence[str] | None = None, prune: bool = False,
                 created_at: str | None = None) -> Plan:
    from agentctl.plan.planner import build_plan

    desired = ctx.project.desired  # build_plan canonicalizes it
    live = read_project_live(ctx)
    if only_agents:
        _refuse_unknown(only_agents, set(desired) | set(live.agents) | set(live.unowned))
    return build_plan(
        desired, live,
        project=ctx.project.name,
        environment=ctx.env_name,
        version_retention=ctx.project.settings.version_retention,
        prune=prune,
        only_agents=list(only_agents) if only_agents else None,
        created_at=created_at or _now(),
    )


def _refuse_unknown(only_agents: Sequence[str], known: set[str]) -> None:
    """``UsageError`` naming the ``--agent`` names that are no agent of the project: a typo must
    not read as "nothing to do"."""
    unknown = sorted(set(only_agents) - known)
    if unknown:
        raise UsageError(f"unknown agent(s): {', '.join(unknown)}",
                         hint=f"agents of this project: {', '.join(sorted(known)) or 'none'}")


# --------------------------------------------------------------------------- saved plans

def applied_record_path(root: Path) -> Path:
    return Path(root) / ".agentctl" / "applied-plans"


def plan_key(plan: Plan) -> str:
    return hashlib.sha256(f"{plan.plan_id}\n{plan.created_at}".encode()).hexdigest()[:32]


def was_applied(root: Path, plan: Plan) -> bool:
    path = applied_record_path(root)
    if not path.exists():
        return False
    key = plan_key(plan)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        detail = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise AgentctlError(f"cannot read the record of applied plans: {detail}", where=str(path),
                            hint="it only lists saved plans already applied; delete it (or make "
                                 "it readable) and apply again (nothing was changed)") from None
    return any(line.split(" ", 1)[0] == key for line in text.splitlines())


def record_applied(root: Path, plan: Plan) -> None:
    path = applied_record_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(f"{plan_key(plan)} {_now()} {plan.project}/{plan.environment} {plan.plan_id}\n")


def target_dict(target: Target) -> dict[str, Any]:
    return asdict(target)


def live_fingerprints(live: LiveState, names: Sequence[str]) -> dict[str, str]:
    out = {}
    for n in names:
        if n in live.agents:
            out[n] = live.agents[n].fingerprint
        elif n in live.unowned:
            out[n] = f"unowned:{live.unowned[n]}"
        else:
            out[n] = ABSENT
    return out


def check_saved_plan(ctx: Context, plan: Plan) -> None:
    """Refuse (``StalePlan``) a saved plan that no longer describes what apply would do."""
    if plan.project != ctx.project.name or plan.environment != ctx.env_name:
        raise StalePlan(
            f"the plan is for project {plan.project!r} environment {plan.environment!r}, not "
            f"{ctx.project.name!r} / {ctx.env_name!r}",
            hint="pass the right -e/--env, or create a new plan with `agentctl plan --out`")
    want = target_dict(ctx.target)
    have = {k: plan.target.get(k) for k in want}
    if have != want:
        diffs = ", ".join(f"{k} {have[k]!r} != {want[k]!r}" for k in want if have[k] != want[k])
        raise StalePlan(f"the plan was made for a different target ({diffs})",
                        hint="create a new plan for this target with `agentctl plan --out`")
    # The record is keyed on plan id + creation time (ms), so it names exactly this plan file.
    if was_applied(ctx.root, plan):
        raise StalePlan(f"plan {plan.plan_id[:12]} was already applied",
                        hint="run `agentctl plan` to see whether anything is left to do")
    names = sorted(plan.live_fingerprint)
    live = live_mod.read_live(ctx.clients, names, project=ctx.project.name, target=ctx.target)
    now = live_fingerprints(live, names)
    changed = [n for n in names if now[n] != plan.live_fingerprint[n]]
    if changed:
        detail = ", ".join(
            f"{n} ({'created' if plan.live_fingerprint[n] == ABSENT else 'deleted' if now[n] == ABSENT else 'changed'})"
            for n in changed)
        raise StalePlan(f"live state changed since the plan was made: {detail}",
                        hint="create a new plan with `agentctl plan --out` and review it")



# -------------------------------------------------------------------------------- apply

def apply_plan(ctx: Context, plan: Plan, *, progress: Progress | None = None,
               after_step: AfterStep | None = None, record: bool = True,
               serial: bool = False) -> ApplyResult:
    """Execute ``plan`` (the caller holds the project lock). Records it as applied when every
    step ran, so the same saved plan is refused next time. ``serial`` runs one agent at a time
    in plan order (destroy)."""
    result = execute(plan, ctx.clients, progress=progress, after_step=after_step, serial=serial)
    if record and result.ok:
        try:
            record_applied(ctx.root, plan)
        except OSError as e:
            # Every change was made: losing that result to an error about the record would
            # leave the user guessing. Say what is missing instead (a re-apply of this saved
            # plan is still refused when live state moved, by the fingerprints).
            if progress is not None:
                progress(f"warning: the plan was applied, but could not be recorded in "
                         f"{applied_record_path(ctx.root)}: {e.strerror or e}; "
                         "`agentctl apply` of this saved plan will not know it was applied")
    return result


def raise_for_result(result: ApplyResult) -> None:
    """``PartialApply`` (exit APPLY_FAILED) naming exactly what completed and what did not run."""
    if result.ok:
        return
    # A step's error usually already starts with its address (the AwsError's ``where``, e.g.
    # "agent.x.alias.PROD: UpdateAgentAlias failed: ..."): do not say it twice.
    causes = [r.error if r.error and r.error.startswith(f"{r.step.address}: ")
              else f"{r.step.address}: {r.step.operation}: {r.error}" for r in result.failures]
    if result.interrupted and not causes:
        causes = ["interrupted"]
    if not causes:
        causes = ["some steps could not run (a step they depend on did not complete)"]
    raise PartialApply(
        cause="; ".join(causes),
        completed=[f"{r.step.address}: {r.step.operation}" for r in result.completed],
        remaining=[f"{s.address}: {s.operation}" for s in result.not_run],
    )


# ------------------------------------------------------------------------ promote/rollback

@dataclass(frozen=True)
class AliasMoveResult:
    agent: str
    alias: str
    from_version: str | None
    to_version: str
    changed: bool
    reason: str = ""


def _owned_agent(ctx: Context, name: str) -> LiveAgent:
    live = live_mod.read_live(ctx.clients, [name], project=ctx.project.name, target=ctx.target)
    if name not in ctx.project.desired and name not in live.agents and name not in live.unowned:
        # Neither a spec nor the target knows it: a typo in --agent, not an agent to create
        # (require_owned's "run `agentctl apply` to create it" would send the user astray).
        raise UsageError(f"no agent named {name!r} in project {ctx.project.name!r} "
                         f"(environment {ctx.env_name!r})",
                         hint="check --agent; agents of this project: "
                              + (", ".join(sorted(ctx.project.desired)) or "none"))
    return live_mod.require_owned(live, name)


def _alias_of(agent: LiveAgent, agent_name: str, alias: str):
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
        src = _alias_of(agent, agent_name, from_alias)
        if src.routed_version is None:
            raise UsageError(f"alias {from_alias!r} routes to no version")
        version = src.routed_version
    assert version is not None
    version = str(version).strip()
    if version.upper() == "DRAFT":
        raise UsageError("an alias cannot route to DRAFT (bedrock-semantics §3.4)",
                         hint="use a numbered version")
    match = [v for v in agent.versions if v.version == version]
    if not match:
        raise UsageError(f"agent {agent_name!r} has no version {version}",
                         hint=f"versions: {', '.join(numbers) or 'none yet'}")
    if match[0].status == "FAILED":
        raise UsageError(f"version {version} of {agent_name!r} is FAILED and cannot serve traffic")
    return version


def move_alias(ctx: Context, agent_name: str, agent: LiveAgent, alias: str, version: str, *,
               progress: Progress | None = None) -> AliasMoveResult:
    """UpdateAgentAlias with its full members (a full replacement, §3.4: description and the
    invocation state are re-sent so they are kept) routed explicitly to ``version``."""
    la = _alias_of(agent, agent_name, alias)
    if la.routed_version == version:
        return AliasMoveResult(agent_name, alias, la.routed_version, version, False,
                               f"{alias} already serves version {version}")
    params: dict[str, Any] = {
        "agentId": agent.agent_id,
        "agentAliasId": la.alias_id,
        "agentAliasName": la.name,
        "routingConfiguration": [{"agentVersion": version}],
    }
    if la.description:
        params["description"] = la.description
    if la.invocation_state:
        params["aliasInvocationState"] = la.invocation_state
    where = f"agent.{agent_name}.alias.{alias}"
    say = progress or (lambda line: None)
    label = f"{agent_name}: UpdateAgentAlias {alias}"
    say(f"{label} ... routing to version {version}")
    aws.call(ctx.clients, "UpdateAgentAlias", params, where=where)
    try:
        aws.wait_for(ctx.clients, "alias:PREPARED", agent_id=agent.agent_id,
                     alias_id=la.alias_id, where=where,
                     progress=lambda s, e: say(f"{label} ... {s} ({int(e)}s)"))
    except AgentctlError as e:
        # The update was accepted: the alias may already serve the new version. A plain error
        # would read as "nothing happened"; say what was done (exit APPLY_FAILED, part-way).
        what = e.what if e.where == where else e.message()
        raise MoveIncomplete(
            f"UpdateAgentAlias was accepted ({alias}: {la.routed_version or 'none'} -> version "
            f"{version}), but the alias did not become PREPARED: {what}",
            where=where,
            hint=f"run `agentctl status` to see which version {alias} serves now, then re-run "
                 "this command (it is safe to repeat)") from None
    return AliasMoveResult(agent_name, alias, la.routed_version, version, True)


def promote(ctx: Context, agent_name: str, alias: str, *, version: str | None = None,
            from_alias: str | None = None, progress: Progress | None = None) -> AliasMoveResult:
    agent = _owned_agent(ctx, agent_name)
    target_version = resolve_promotion(agent, agent_name, alias, version=version,
                                       from_alias=from_alias)
    return move_alias(ctx, agent_name, agent, alias, target_version, progress=progress)


@dataclass(frozen=True)
class HistoryEntry:
    version: str | None
    start: str | None
    end: str | None
    current: bool


def alias_history(agent: LiveAgent, agent_name: str, alias: str) -> list[HistoryEntry]:
    """The alias's routing history, newest first (§3.4: ≤10 events; ordering unconfirmed, so we
    sort by startDate ourselves)."""
    la = _alias_of(agent, agent_name, alias)
    entries = []
    for ev in la.history:
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
    agent = _owned_agent(ctx, agent_name)
    return agent, alias_history(agent, agent_name, alias)


def rollback_target(agent: LiveAgent, agent_name: str, alias: str) -> str:
    la = _alias_of(agent, agent_name, alias)
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
    agent = _owned_agent(ctx, agent_name)
    return move_alias(ctx, agent_name, agent, alias, rollback_target(agent, agent_name, alias),
                      progress=progress)


# -------------------------------------------------------------------------------- status

@dataclass(frozen=True)
class AliasStatus:
    name: str
    version: str | None
    status: str
    invocation_state: str | None


@dataclass(frozen=True)
class AgentStatus:
    name: str
    in_spec: bool
    exists: bool
    owned: bool
    agent_id: str | None = None
    status: str | None = None
    newest_version: str | None = None
    draft_matches_newest: bool | None = None
    """None when there is no version yet (or the agent is not ours to read)."""
    aliases: tuple[AliasStatus, ...] = ()
    versions: tuple[str, ...] = ()
    failure_reasons: tuple[str, ...] = ()


def draft_matches(agent: LiveAgent) -> bool | None:
    from agentctl.core.normalize import comparable_content

    newest = agent.newest_version
    if newest is None or newest.content is None:
        return None
    return comparable_content(agent.config.content()) == comparable_content(newest.content)


def status(ctx: Context, only_agents: Sequence[str] | None = None) -> list[AgentStatus]:
    live = read_project_live(ctx)
    names = sorted(set(ctx.project.desired) | set(live.agents) | set(live.unowned))
    if only_agents:
        # As `plan --agent`: a typo must not read as "No agents in this project." (exit 0).
        _refuse_unknown(only_agents, set(names))
        names = [n for n in names if n in set(only_agents)]
    out = []
    for n in names:
        in_spec = n in ctx.project.desired
        if n in live.agents:
            a = live.agents[n]
            out.append(AgentStatus(
                name=n, in_spec=in_spec, exists=True, owned=True, agent_id=a.agent_id,
                status=a.status,
                newest_version=a.newest_version.version if a.newest_version else None,
                draft_matches_newest=draft_matches(a),
                aliases=tuple(AliasStatus(al.name, al.routed_version, al.status,
                                          al.invocation_state or "ACCEPT_INVOCATIONS")
                              for al in sorted(a.aliases.values(), key=lambda x: x.name)),
                versions=tuple(v.version for v in a.versions),
                failure_reasons=a.failure_reasons,
            ))
        elif n in live.unowned:
            out.append(AgentStatus(name=n, in_spec=in_spec, exists=True, owned=False,
                                   agent_id=live.unowned[n]))
        else:
            out.append(AgentStatus(name=n, in_spec=in_spec, exists=False, owned=False))
    return out


# ------------------------------------------------------------------------------- destroy

def destroy_steps(name: str, agent: LiveAgent,
                  used_by: Mapping[str, Sequence[str]] | None = None) -> list[Step]:
    """``used_by``: alias ARN -> agents kept by this destroy that use it as a collaborator."""
    # The planner's request builder, so payloads are serialized the same way as by apply.
    from agentctl.plan.planner import disable_action_group_request

    base = f"agent.{name}"
    steps: list[Step] = []
    for alias in sorted(agent.aliases.values(), key=lambda a: a.name):
        users = (used_by or {}).get(alias.arn) or ()
        # The supervisor's DRAFT and versions keep pointing at the deleted alias until its next
        # apply: the preview must say so, not only list the call.
        note = (f"; {', '.join(sorted(users))} use(s) it as a collaborator and will point at "
                "a deleted alias until the next apply") if users else ""
        steps.append(Step(
            operation="DeleteAgentAlias",
            params={"agentId": agent.agent_id, "agentAliasId": alias.alias_id},
            address=f"{base}.alias.{alias.name}",
            description=f"delete alias {alias.name} (DeleteAgent refuses agents with aliases"
                        f"{note})",
            wait_for="alias:DELETED"))
    for group in sorted(agent.action_group_ids):
        gid = agent.action_group_ids[group]
        addr = f"{base}.action_group.{group}"
        if agent.action_group_states.get(group, "ENABLED") == "ENABLED":
            steps.append(Step(
                operation="UpdateAgentActionGroup",
                params=disable_action_group_request(agent.agent_id, gid, group,
                                                    agent.config.action_groups.get(group, {})),
                address=addr,
                description=f"disable action group {group} (an ENABLED group cannot be deleted)"))
        steps.append(Step(
            operation="DeleteAgentActionGroup",
            params={"agentId": agent.agent_id, "agentVersion": "DRAFT", "actionGroupId": gid},
            address=addr, description=f"delete action group {group}"))
    steps.append(Step(operation="DeleteAgent", params={"agentId": agent.agent_id},
                      address=base, description=f"delete agent {name} and its versions",
                      wait_for="agent:DELETED"))
    return steps


def _dependants_first(names: Sequence[str], live: LiveState) -> list[str]:
    """Supervisors before the agents whose aliases they use as collaborators: their aliases are
    deleted once nothing of the project points at them any more (executed ``serial``)."""
    alias_owner = {a.arn: n for n, agent in live.agents.items() for a in agent.aliases.values()}
    uses: dict[str, set[str]] = {}
    for n in names:
        for c in live.agents[n].config.collaborators.values():
            arn = (c.get("agentDescriptor") or {}).get("aliasArn")
            if isinstance(arn, str) and alias_owner.get(arn) not in (None, n):
                uses.setdefault(n, set()).add(alias_owner[arn])
    order: list[str] = []
    remaining = sorted(names)
    while remaining:
        # next: an agent no remaining agent uses (cycles: fall back to name order)
        free = [n for n in remaining if not any(n in uses.get(m, ()) for m in remaining)]
        pick = free[0] if free else remaining[0]
        order.append(pick)
        remaining.remove(pick)
    return order


def plan_destroy(ctx: Context, only_agents: Sequence[str] | None = None) -> Plan:
    """A plan deleting the project's agents (all it owns on the target, or ``only_agents``)."""
    live = read_project_live(ctx, names=None)
    names = sorted(live.agents)
    if only_agents:
        for n in only_agents:
            if n in live.unowned:
                live_mod.require_owned(live, n)  # raises NotOwned
        missing = sorted(set(only_agents) - set(live.agents))
        if missing:
            raise UsageError(f"no such agent of this project on the target: {', '.join(missing)}",
                             hint=f"agents found: {', '.join(names) or 'none'}")
        names = sorted(set(only_agents))
    names = _dependants_first(names, live)
    used_by: dict[str, list[str]] = {}
    for kept, agent in live.agents.items():
        if kept in names:
            continue
        for c in agent.config.collaborators.values():
            arn = (c.get("agentDescriptor") or {}).get("aliasArn")
            if isinstance(arn, str):
                used_by.setdefault(arn, []).append(kept)
    changes: list[ResourceChange] = []
    steps: list[Step] = []
    lifecycle: list[AgentLifecycle] = []
    for n in names:
        a = live.agents[n]
        for alias in sorted(a.aliases):
            changes.append(ResourceChange(f"agent.{n}.alias.{alias}", "alias", Action.DELETE,
                                          {"name": alias, "routed_version":
                                           a.aliases[alias].routed_version}, None,
                                          reason="agentctl destroy"))
        for group in sorted(a.config.action_groups):
            changes.append(ResourceChange(f"agent.{n}.action_group.{group}", "action_group",
                                          Action.DELETE, dict(a.config.action_groups[group]),
                                          None, reason="agentctl destroy"))
        changes.append(ResourceChange(f"agent.{n}", "agent", Action.DELETE,
                                      dict(a.config.agent), None, reason="agentctl destroy"))
        steps.extend(destroy_steps(n, a, used_by))
        lifecycle.append(AgentLifecycle(agent=n, prepare=False, new_version=False,
                                        next_version_hint=None,
                                        delete_versions=tuple(v.version for v in a.versions)))
    target = target_dict(ctx.target)
    fps = live_fingerprints(live, names)
    created = _now()
    body = {"project": ctx.project.name, "environment": ctx.env_name, "target": target,
            "fingerprints": fps, "steps": [(s.operation, s.address) for s in steps],
            "kind": "destroy"}
    plan_id = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return Plan(format_version=FORMAT_VERSION, project=ctx.project.name,
                environment=ctx.env_name, target=target, spec_digest="", live_fingerprint=fps,
                changes=tuple(changes), lifecycle=tuple(lifecycle), steps=tuple(steps),
                plan_id=plan_id, created_at=created)


# --------------------------------------------------------------------------------- adopt

@dataclass(frozen=True)
class AdoptCandidate:
    name: str
    agent_id: str
    arn: str
    tags: Mapping[str, str]
    in_spec: bool


def adopt_candidate(ctx: Context, name: str) -> AdoptCandidate:
    """The unowned agent ``name`` that ``adopt`` would tag, or a clear error."""
    found = live_mod.list_agents(ctx.clients)
    if name not in found:
        raise UsageError(f"no agent named {name!r} on the target",
                         hint="`agentctl status` lists the agents agentctl sees")
    ref = found[name]
    agent = aws.call(ctx.clients, "GetAgent", {"agentId": ref.agent_id},
                     where=f"agent.{name}")["agent"]
    tags = aws.call(ctx.clients, "ListTagsForResource", {"resourceArn": agent["agentArn"]},
                    where=f"agent.{name}").get("tags", {})
    if live_mod.is_owned(tags, ctx.project.name):
        raise UsageError(f"agent {name!r} is already managed by project {ctx.project.name!r}")
    other = tags.get(PROJECT_TAG)
    if tags.get(OWNER_TAG) == OWNER_TAG_VALUE and other and other != ctx.project.name:
        raise NotOwned(f"agent {name!r} is managed by another agentctl project ({other!r})",
                       where=f"agent.{name}",
                       hint="remove it from that project first (its tag agentctl:project)")
    return AdoptCandidate(name, ref.agent_id, agent["agentArn"], dict(tags),
                          name in ctx.project.desired)


def adopt(ctx: Context, candidate: AdoptCandidate) -> None:
    """TagResource with the ownership tags; from then on plan/apply manage the agent."""
    aws.call(ctx.clients, "TagResource",
             {"resourceArn": candidate.arn, "tags": live_mod.owner_tags_for(ctx.project.name)},
             where=f"agent.{candidate.name}")


__all__ = [
    "Context", "open_context", "opened", "project_lock", "compute_plan", "check_saved_plan",
    "apply_plan", "raise_for_result", "promote", "rollback", "history", "status",
    "plan_destroy", "adopt_candidate", "adopt", "AliasMoveResult", "HistoryEntry",
    "AgentStatus", "AliasStatus",
]
