"""The core of the lifecycle commands: plan, apply, promote, rollback, history, status, destroy,
adopt. The CLI (``agentctl.cli.lifecycle_cmds``) parses flags, calls one function here, renders
the result and returns an exit code; these functions never print (progress goes to a callback).

Every change is a plan run by the one executor (``agentctl.apply.executor``): apply's plans come
from the planner, destroy's from the same planner's removal planning (the one that also serves
``--prune``), promote / rollback's from ``agentctl.apply.promote``, adopt's is one TagResource
step. So progress, interruption (Ctrl-C / SIGTERM), partial-failure reports and effect checks
are the same for all of them.

Decisions worth knowing (each also in the user docs of the command):

- **Saved plans** are applied exactly, or refused with ``StalePlan`` when the target (kind, region,
  account, endpoint) differs, when any agent's live fingerprint differs from the one recorded at
  plan time (agents that were absent included), when this project already applied the plan,
  or when an earlier run of it stopped part-way (interrupted, or a step failed: its remaining
  steps were planned against a live state that has moved since; re-plan). Outcomes are
  recorded by ``agentctl.apply.records``. The fingerprint check is the real guard (an applied
  plan changes the live side, so its fingerprints no longer match anywhere); the record makes
  the message exact and covers plans with no live effect.
- **Lock**: every command that mutates holds ``<project>/.agentctl/lock`` (filelock) for its whole
  run; another agentctl process waits up to ``AGENTCTL_LOCK_TIMEOUT`` seconds (default 10),
  saying whose lock it waits for, then ``LockTimeout``.
- **Project agents not in the specs**: planning also discovers agents tagged as owned by this
  project whose spec is gone (one ListTagsForResource per agent on the target), so the plan can say
  so and ``--prune`` can delete them.
- **destroy** is the removal plan of the project's agents: user aliases deleted (waiting until
  gone, since DeleteAgent refuses agents with active aliases, §2.5), ENABLED action groups
  disabled then deleted (§4.2), then DeleteAgent, waiting until it is gone; supervisors before
  the agents whose aliases they use.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from typing import Any, Callable, Mapping, Sequence

from agentctl.apply.context import Context, open_context, opened
from agentctl.apply.executor import AfterStep, Interrupt, execute, raise_for_result
from agentctl.apply.promote import (
    AliasMoveResult,
    HistoryEntry,
    alias_history,
    history,
    move_alias,
    promote,
    resolve_promotion,
    rollback,
    rollback_target,
)
from agentctl.apply.version_cache import version_cache_of
from agentctl.apply.records import (
    DEFAULT_LOCK_TIMEOUT,
    applied_record_path,
    now as _now,
    partial_run,
    plan_key,
    project_lock,
    record_applied,
    record_outcome,
    was_applied,
)
from agentctl.aws import live as live_mod
from agentctl.aws import client as aws
from agentctl.errors import NotOwned, StalePlan, UsageError
from agentctl.core.model import (
    OWNER_TAG,
    OWNER_TAG_VALUE,
    PROJECT_TAG,
    AgentConfig,
    LiveAgent,
    LiveState,
    Target,
)
from agentctl.plan.codec import with_plan_id
from agentctl.plan.model import (
    FORMAT_VERSION,
    AgentLifecycle,
    ApplyResult,
    Plan,
    Step,
)

Progress = Callable[[str], None]
ABSENT = "absent"



def desired_of(project: Any) -> dict[str, AgentConfig]:
    """The project's desired agents in canonical form. ``compute_plan`` does not need it
    (``build_plan`` canonicalizes its input); benchmarks/bench_live.py uses it."""
    from agentctl.core.normalize import canonicalize

    return {name: canonicalize(cfg) for name, cfg in sorted(project.desired.items())}




# --------------------------------------------------------------------------------- plan

def plan_reads(clients: Any) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """The first reads of a plan, which need no spec: every agent on the target (ListAgents) and
    their tags (discovery). ``agentctl plan`` runs them while its specs load
    (``opened(..., early_reads=plan_reads)``, apply/context.py)."""
    found = live_mod.list_agents(clients)
    return found, live_mod.agent_tags(clients, found)


def read_project_live(ctx: Context, names: Sequence[str] | None = None) -> LiveState:
    """Live state of the desired agents plus every agent this project owns on the target."""
    early = ctx.early.take() if ctx.early is not None and names is None else None
    if early is not None:
        found, tags = early  # read while the specs were loading (plan_reads)
    else:
        found, tags = live_mod.list_agents(ctx.clients), None
    wanted = set(ctx.project.desired) if names is None else set(names)
    if names is None:
        # Discovery reads every agent's tags; the reader reuses them instead of asking again.
        tags = live_mod.agent_tags(ctx.clients, found) if tags is None else tags
        wanted |= set(live_mod.discover_project_agents(ctx.clients, ctx.project.name, found,
                                                       tags=tags))
    return live_mod.read_live(ctx.clients, sorted(wanted), project=ctx.project.name,
                              target=ctx.target, found=found, tags=tags,
                              version_cache=version_cache_of(ctx))


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
    if was_applied(ctx, plan):
        raise StalePlan(f"plan {plan.plan_id[:12]} was already applied",
                        hint="run `agentctl plan` to see whether anything is left to do")
    stopped = partial_run(ctx, plan)
    if stopped is not None:
        # Never "already applied": its remaining steps did not run. They were planned against
        # a live state that has moved since (the completed steps changed it), so they are not
        # resumed blindly either.
        raise StalePlan(f"plan {plan.plan_id[:12]} was applied only part-way ({stopped}); its "
                        "remaining steps were planned for a live state that has changed since",
                        hint="create a new plan for what remains with `agentctl plan --out "
                             "FILE`, review it, then apply that")
    check_configuration(ctx, plan)
    names = sorted(plan.live_fingerprint)
    live = live_mod.read_live(ctx.clients, names, project=ctx.project.name, target=ctx.target,
                              version_cache=version_cache_of(ctx))
    now = live_fingerprints(live, names)
    changed = [n for n in names if now[n] != plan.live_fingerprint[n]]
    if changed:
        detail = ", ".join(
            f"{n} ({'created' if plan.live_fingerprint[n] == ABSENT else 'deleted' if now[n] == ABSENT else 'changed'})"
            for n in changed)
        raise StalePlan(f"live state changed since the plan was made: {detail}",
                        hint="create a new plan with `agentctl plan --out` and review it")



def check_configuration(ctx: Context, plan: Plan) -> None:
    """Refuse a saved plan whose project configuration changed since it was made (Terraform
    refuses such a plan too: what was reviewed is no longer what the specs say), naming what
    changed per agent. Plans saved before ``Plan.configuration`` existed skip this check."""
    if not plan.configuration:
        return
    from agentctl.plan.explain import configuration_changes
    from agentctl.plan.planner import configuration_of

    changed = configuration_changes(plan.configuration, configuration_of(ctx.project.desired))
    if changed:
        raise StalePlan("the project's configuration changed: " + "; ".join(changed)
                        + " since the plan was made",
                        hint="create a new plan with `agentctl plan --out FILE` and review it "
                             "(a saved plan is applied only as it was reviewed)")


# -------------------------------------------------------------------------------- apply

def apply_plan(ctx: Context, plan: Plan, *, progress: Progress | None = None,
               after_step: AfterStep | None = None, record: bool = True,
               serial: bool = False, interrupt: Interrupt | None = None) -> ApplyResult:
    """Execute ``plan`` (the caller holds the project lock). Records it as applied only when
    every step completed, as applied part-way when it stopped after sending anything, so the
    same saved plan is refused next time with the right message. ``serial`` runs one agent at
    a time in plan order (destroy)."""
    result = execute(plan, ctx.clients, progress=progress, after_step=after_step, serial=serial,
                     interrupt=interrupt)
    _record_last_applied(ctx, plan, result, progress)
    if record:
        record_outcome(ctx, plan, result, progress)
    return result


def _record_last_applied(ctx: Context, plan: Plan, result: ApplyResult,
                         progress: Progress | None) -> None:
    """The drift baseline (``agentctl.apply.last_applied``); informational, so a failure to
    write it is a warning, never a failed apply."""
    from agentctl.apply import last_applied
    from agentctl.errors import AgentctlError

    try:
        last_applied.update(ctx.root, ctx.env_name, plan, result, applied_at=_now())
    except (OSError, AgentctlError) as e:
        if progress is not None:
            detail = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            progress(f"warning: could not record the applied configuration in "
                     f"{last_applied.record_path(ctx.root)}: {detail}; `agentctl drift` will "
                     "compare against the previous record")


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
    from agentctl.core.normalize import explicit_invocation_state

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
                                          explicit_invocation_state(al.invocation_state))
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

def plan_destroy(ctx: Context, only_agents: Sequence[str] | None = None) -> Plan:
    """A plan deleting the project's agents (all it owns on the target, or ``only_agents``):
    the planner's removal plan (the one ``--prune`` uses), with every version listed as going
    with its agent, and a note on aliases that agents kept by this destroy use as
    collaborators."""
    from agentctl.plan.planner import build_plan

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
    if not names:
        return with_plan_id(Plan(
            format_version=FORMAT_VERSION, project=ctx.project.name, environment=ctx.env_name,
            target=target_dict(ctx.target), spec_digest="", live_fingerprint={}, changes=(),
            lifecycle=(), steps=(), created_at=_now()))
    plan = build_plan({}, live, project=ctx.project.name, environment=ctx.env_name,
                      prune=True, only_agents=names, created_at=_now(),
                      removal_reason="agentctl destroy")
    used_by: dict[str, list[str]] = {}
    for kept, agent in live.agents.items():
        if kept in names:
            continue
        for c in agent.config.collaborators.values():
            arn = (c.get("agentDescriptor") or {}).get("aliasArn")
            if isinstance(arn, str):
                used_by.setdefault(arn, []).append(kept)
    arn_of = {(n, la.alias_id): la.arn for n in names for la in live.agents[n].aliases.values()}
    steps = []
    for s in plan.steps:
        users = used_by.get(arn_of.get((s.address.split(".")[1], s.params.get("agentAliasId")),
                                       "")) if s.operation == "DeleteAgentAlias" else None
        if users:
            # The supervisor's DRAFT and versions keep pointing at the deleted alias until its
            # next apply: the preview must say so, not only list the call.
            s = dataclasses.replace(s, description=(
                f"{s.description}; {', '.join(sorted(users))} use(s) it as a collaborator and "
                "will point at a deleted alias until the next apply"))
        steps.append(s)
    lifecycle = tuple(AgentLifecycle(agent=n, prepare=False, new_version=False,
                                     next_version_hint=None,
                                     delete_versions=tuple(v.version
                                                           for v in live.agents[n].versions))
                      for n in dict.fromkeys(s.address.split(".")[1] for s in steps))
    return with_plan_id(dataclasses.replace(plan, steps=tuple(steps), lifecycle=lifecycle))


# --------------------------------------------------------------------------------- adopt

@dataclass(frozen=True)
class AdoptCandidate:
    name: str
    agent_id: str
    arn: str
    tags: Mapping[str, str]
    in_spec: bool
    managed: bool = False
    """Already managed by this project: adopting again is a no-op (``adopt --yes`` twice in a
    script must not fail)."""


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
        return AdoptCandidate(name, ref.agent_id, agent["agentArn"], dict(tags),
                              name in ctx.project.desired, managed=True)
    other = tags.get(PROJECT_TAG)
    if tags.get(OWNER_TAG) == OWNER_TAG_VALUE and other and other != ctx.project.name:
        raise NotOwned(f"agent {name!r} is managed by another agentctl project ({other!r})",
                       where=f"agent.{name}",
                       hint="remove it from that project first (its tag agentctl:project)")
    return AdoptCandidate(name, ref.agent_id, agent["agentArn"], dict(tags),
                          name in ctx.project.desired)


def adoption_plan(ctx: Context, candidate: AdoptCandidate) -> Plan:
    """The one-step plan tagging ``candidate`` with the ownership tags."""
    step = Step(operation="TagResource",
                params={"resourceArn": candidate.arn,
                        "tags": live_mod.owner_tags_for(ctx.project.name)},
                address=f"agent.{candidate.name}",
                description=f"tag {candidate.name} as managed by project {ctx.project.name}")
    return with_plan_id(Plan(
        format_version=FORMAT_VERSION, project=ctx.project.name, environment=ctx.env_name,
        target=target_dict(ctx.target), spec_digest="",
        live_fingerprint={candidate.name: f"unowned:{candidate.agent_id}"}, changes=(),
        lifecycle=(), steps=(step,), created_at=_now()))


def drift(ctx: Context, only_agents: Sequence[str] | None = None) -> Any:
    """``DriftReport`` of the project's agents (or ``only_agents``): live now vs the
    configuration agentctl last applied to each (read-only)."""
    from agentctl.apply import last_applied
    from agentctl.plan.drift import compute_drift

    records = last_applied.for_environment(ctx.root, ctx.env_name)
    known = set(ctx.project.desired) | set(records)
    if only_agents:
        _refuse_unknown(only_agents, known)
        names = sorted(set(only_agents))
    else:
        names = sorted(known)
    live = live_mod.read_live(ctx.clients, names, project=ctx.project.name, target=ctx.target,
                              version_cache=version_cache_of(ctx))
    return compute_drift(records, live, project=ctx.project.name, environment=ctx.env_name,
                         names=names)


def adopt(ctx: Context, candidate: AdoptCandidate, *,
          progress: Progress | None = None) -> ApplyResult:
    """TagResource with the ownership tags, through the executor; from then on plan/apply
    manage the agent. Raises ``PartialApply`` when it did not complete."""
    # The one plan that takes ownership: the executor's ownership check would refuse it, and
    # ``adopt_candidate`` has checked that no other agentctl project manages the agent.
    result = execute(adoption_plan(ctx, candidate), ctx.clients, progress=progress,
                     check_ownership=False)
    if result.failed is not None and not result.interrupted:
        from agentctl.errors import AgentctlError

        raise AgentctlError(result.failed.error or "TagResource failed")
    raise_for_result(result)
    return result


__all__ = [
    "Context", "open_context", "opened", "project_lock", "compute_plan", "check_saved_plan",
    "plan_reads",
    "apply_plan", "raise_for_result", "promote", "rollback", "history", "status",
    "plan_destroy", "adopt_candidate", "adopt", "adoption_plan", "AliasMoveResult",
    "HistoryEntry", "AgentStatus", "AliasStatus", "alias_history", "move_alias",
    "resolve_promotion", "rollback_target", "applied_record_path", "plan_key", "was_applied",
    "partial_run", "record_applied", "DEFAULT_LOCK_TIMEOUT",
]
