"""Desired and live state into a ``Plan``: what changes, and the exact ordered API calls.

``build_plan`` canonicalizes the desired side, diffs each agent (``differ``), and projects the
diff onto ``Step``s whose ``operation`` is the botocore operation name and whose ``params`` are
the complete request. Per agent the order is:

1. CreateAgent (with user + ownership tags) or UpdateAgent. UpdateAgent always carries the whole
   desired agent because it is a full replacement (service-behaviour.md §2.4).
2. Action groups: removed ENABLED groups are disabled, then deleted (§4.2: an ENABLED group cannot
   be deleted without the skip flag); then updates (complete objects, §4.2), then creates.
3. Knowledge bases: disassociate, update (complete, §5), associate.
4. Collaborators: disassociate, update (complete), associate. Exception (§2.2 "SUPERVISOR
   agents"; AWS's disable-collaboration page: disassociate every collaborator *before*
   disabling collaboration): when a SUPERVISOR / SUPERVISOR_ROUTER agent is switched to
   DISABLED, its collaborators are disassociated before the UpdateAgent of step 1, so the
   agent never becomes DISABLED while collaborators are still associated, and PrepareAgent
   (step 6) only ever runs once the agent has its desired mode and collaborators. (Enabling
   goes the other way round, as AWS's multi-agent page says: the agent is made a supervisor by
   CreateAgent / UpdateAgent first, collaborators are associated after, then it is prepared;
   Terraform's acceptance configs likewise create a SUPERVISOR with ``prepare_agent = false``
   and prepare once the collaborator is associated.) A desired
   supervisor without collaborators is refused (``SpecInvalid``): PrepareAgent would fail, and
   Terraform's workaround (flip to DISABLED, prepare, flip back) only exists because its
   collaborators are separate resources; here the spec states the whole agent, so that spec
   is an error (``agentctl validate`` reports it as ``collaboration.no-collaborators``).
5. TagResource / UntagResource for user-tag changes (tags are not part of UpdateAgent, §1.2);
   ownership tags are never touched.
6. PrepareAgent, once, when anything in the DRAFT changed (§9.3 item 5) or the DRAFT is
   NOT_PREPARED.
7. Aliases and the version: a numbered version is cut only when the DRAFT content after apply
   differs from the newest version's content (§9.2: diff on content, not version numbers), or
   when no version exists and an alias needs one. It is cut by the first ``track: latest``
   alias's Create/UpdateAgentAlias *without* routingConfiguration (§3.1); every other alias is
   sent an explicit routingConfiguration (§9.3 item 3: never send an alias update without
   routing unless a version is intended), referring to the version that step outputs.
8. Version retention: keep every version an alias routes to (after this apply's alias moves)
   and the newest ``version_retention`` versions that none does; DeleteAgentVersion for the
   older unreferenced ones (§3.3).

Across agents (``Step.after``): when a live supervisor drops or re-points a collaborator (or is
pruned) and the plan deletes the alias that collaborator used, or prunes its agent, the
DeleteAgentAlias / DeleteAgent steps run after the supervisor's collaborator step and its
PrepareAgent (after its DeleteAgent when it is pruned too): preparing the supervisor releases its
reference to the alias (§2.2; Terraform's ``prepareSupervisorToReleaseCollaborator``). The
supervisor is also listed first when that agrees with the ``$ref`` order.

Values known only after apply are ``{"$ref": address, "key": key}`` placeholders resolved by the
executor from earlier steps' ``outputs`` (e.g. a new agent's id: ``{"$ref": "agent.NAME",
"key": "agentId"}``; a version cut now: ``{"$ref": "agent.NAME.alias.STAGING", "key":
"version"}``). Collaborators that name another project agent's alias resolve to its ARN from
live when it exists; otherwise that agent's steps are ordered first and the placeholder stays.

Pure and deterministic: no I/O, no clock, no boto3; the same inputs give the same Plan, whose
``plan_id`` is a digest of everything but ``created_at``.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Mapping, Sequence

from agentctl.plan import graph
from agentctl.errors import AgentctlError, Location, NotOwned, Problem, SpecInvalid, UsageError
from agentctl.core.jsontext import json_text
from agentctl.core.model import (
    ACTION_GROUP,
    AGENT,
    ALIAS,
    COLLABORATOR,
    KNOWLEDGE_BASE,
    OWNER_TAG,
    OWNER_TAG_VALUE,
    PROJECT_TAG,
    RELEASE_ALIAS,
    RELEASE_ALIAS_DESCRIPTION,
    TRACK_LATEST,
    VERSION,
    AgentConfig,
    AliasConfig,
    LiveAgent,
    LiveState,
    Ref,
    digest,
    is_ref,
)
from agentctl.core.normalize import (
    DRAFT,
    action_group_enabled,
    align_content,
    canonical_description,
    canonical_invocation_state,
    canonicalize,
    comparable_content,
    config_document,
    disabled_action_group,
    explicit_action_group_defaults,
    explicit_agent_defaults,
    explicit_collaborator_defaults,
    explicit_invocation_state,
    explicit_knowledge_base_defaults,
    user_tags,
)
from agentctl.plan.differ import (
    agent_address,
    agent_value,
    child_address,
    diff_config,
    jsonable,
    resource_change,
)
from agentctl.plan.model import (
    FORMAT_VERSION,
    Action,
    AgentLifecycle,
    AliasMove,
    Plan,
    ResourceChange,
    Step,
)

_ALIAS_REF = re.compile(r"^agent\.(?P<agent>[^.]+)\.alias\.(?P<alias>[^.]+)$")

# Response paths later steps may reference (``Step.outputs``): key -> dotted response path.
_AGENT_OUT = {"agentId": "agent.agentId", "agentArn": "agent.agentArn"}
_ACTION_GROUP_OUT = {"actionGroupId": "agentActionGroup.actionGroupId"}
_KB_OUT = {"knowledgeBaseId": "agentKnowledgeBase.knowledgeBaseId"}
_COLLAB_OUT = {"collaboratorId": "agentCollaborator.collaboratorId"}
_ALIAS_OUT = {
    "aliasId": "agentAlias.agentAliasId",
    "aliasArn": "agentAlias.agentAliasArn",
    "agentAliasArn": "agentAlias.agentAliasArn",
    "version": "agentAlias.routingConfiguration.0.agentVersion",
}


def ref(address: str, key: str) -> Ref:
    return Ref(address, key)


# --------------------------------------------------------------------------------------------
# Request builders: canonical values -> complete request members


def agent_request(config: AgentConfig) -> dict[str, Any]:
    """The complete agent members CreateAgent / UpdateAgent send (without agentId/tags):
    everything desired, plus the defaults ``normalize`` makes explicit (§2.4 full replace)."""
    params = explicit_agent_defaults(config.agent)
    params["agentName"] = config.name
    return jsonable({k: params[k] for k in sorted(params)})


def action_group_request(name: str, group: Mapping[str, Any]) -> dict[str, Any]:
    """Complete CreateAgentActionGroup / UpdateAgentActionGroup members (without ids)."""
    params: dict[str, Any] = {"actionGroupName": name, **explicit_action_group_defaults(group)}
    schema = params.get("apiSchema")
    if isinstance(schema, dict) and isinstance(schema.get("payload"), (dict, list)):
        # The API member is a string; the canonical value is the parsed document (§4.3).
        # ``json_text`` is json.dumps(indent=2, ensure_ascii=False), byte for byte, faster.
        params["apiSchema"] = {"payload": json_text(schema["payload"])}
    return {k: params[k] for k in sorted(params)}


def disable_action_group_request(agent_id: Any, group_id: str, name: str,
                                 group: Mapping[str, Any]) -> dict[str, Any]:
    """The UpdateAgentActionGroup parameters that disable a DRAFT action group before it is
    deleted (§4.2: an ENABLED group cannot be deleted without skipResourceInUseCheck; the update
    is a full replacement, so every member is re-sent, with the state DISABLED)."""
    return {"agentId": agent_id, "agentVersion": DRAFT, "actionGroupId": group_id,
            **action_group_request(name, disabled_action_group(group))}


def knowledge_base_request(kb_id: str, kb: Mapping[str, Any]) -> dict[str, Any]:
    """Complete AssociateAgentKnowledgeBase / UpdateAgentKnowledgeBase members (§5: full
    replacement, so both description and state are always sent)."""
    params = {"knowledgeBaseId": kb_id, **explicit_knowledge_base_defaults(kb)}
    return {k: params[k] for k in sorted(params)}


def collaborator_request(name: str, collab: Mapping[str, Any]) -> dict[str, Any]:
    """Complete AssociateAgentCollaborator / UpdateAgentCollaborator members (without ids)."""
    params = {"collaboratorName": name, **explicit_collaborator_defaults(collab)}
    return {k: params[k] for k in sorted(params)}


# --------------------------------------------------------------------------------------------
# The plan


def configuration_of(desired: Mapping[str, AgentConfig], *,
                     canonical: Mapping[str, AgentConfig] | None = None) -> dict[str, Any]:
    """``Plan.configuration`` of a project's declared agents: name -> canonical config document
    (``canonical`` may hold agents already canonicalized, to avoid doing it twice)."""
    canonical = canonical or {}
    return {n: config_document(canonical[n] if n in canonical else canonicalize(desired[n]))
            for n in sorted(desired)}


def build_plan(
    desired: Mapping[str, AgentConfig],
    live: LiveState,
    *,
    project: str,
    environment: str,
    version_retention: int = 5,
    prune: bool = False,
    only_agents: Sequence[str] | None = None,
    created_at: str = "",
    removal_reason: str | None = None,
) -> Plan:
    """The plan that makes ``live`` match ``desired`` (agent name -> config, as the spec loader
    produced it; canonicalized here). Raises ``NotOwned`` naming every unowned agent the desired
    side would touch, ``UsageError`` for unknown ``only_agents`` names or a negative retention,
    ``AgentctlError`` for collaborator references that cannot be resolved.

    Agents of the project in scope that are not desired are removed when ``prune`` (the one
    removal planner: ``agentctl destroy`` is ``build_plan({}, live, prune=True, ...)`` with its
    ``removal_reason``)."""
    if version_retention < 0:
        raise UsageError(f"version retention must be 0 or more (got {version_retention})",
                         hint="set settings.versionRetention in agentctl.yaml to 0 or more")
    known = set(desired) | set(live.agents) | set(live.unowned)
    if only_agents is not None:
        unknown = sorted(set(only_agents) - known)
        if unknown:
            raise UsageError(f"no such agent in this project: {', '.join(unknown)}",
                             hint=f"known agents: {', '.join(sorted(known)) or '(none)'}")
        scope = set(only_agents)
    else:
        scope = known

    wanted = {n: canonicalize(desired[n]) for n in sorted(desired) if n in scope}
    # Every declared agent (not only those in scope): a saved plan is stale when any spec
    # changed, as in Terraform (Plan.configuration).
    configuration = configuration_of(desired, canonical=wanted)
    unowned = sorted(n for n in wanted if n in live.unowned)
    if unowned:
        listed = ", ".join(f"{n} ({live.unowned[n]})" for n in unowned)
        raise NotOwned(
            f"agent(s) not managed by agentctl exist with the same name: {listed}",
            hint="; ".join(f"run `agentctl adopt {n}` to take it over" for n in unowned)
            + ", or rename the agent in its spec",
        )

    _check_supervisors(wanted)
    wanted, deps = _resolve_collaborators(wanted, desired, live, scope)
    order = _topological(sorted(wanted), deps)

    planned = {name: _plan_agent(wanted[name], live.agents.get(name), project=project,
                                 retention=version_retention) for name in order}
    gone = sorted(n for n in live.agents if n in scope and n not in wanted)
    removed = {name: plan_removed(live.agents[name], prune=prune, reason=removal_reason)
               for name in gone}
    release = _release_dependencies(
        [s for r in planned.values() for s in r[1]] + [s for r in removed.values() for s in r[1]],
        live)
    # Show (and, with ``serial``, run) a supervisor before the agent whose alias it releases,
    # when that does not contradict the ``$ref`` order; the executor enforces ``after`` anyway.
    waits: dict[str, set[str]] = {}
    for address, needs in release.items():
        waits.setdefault(address.split(".")[1], set()).update(a.split(".")[1] for a in needs)
    order = _soft_order(order, deps, waits)
    gone = _soft_order(gone, {}, waits)

    changes: list[ResourceChange] = []
    steps: list[Step] = []
    lifecycle: list[AgentLifecycle] = []
    for name in order:
        c, s, lc = planned[name]
        changes += c
        s = _with_after(s, release)
        if any(name in graph.reachable(deps, sup) for sup in waits.get(name, ())):
            s = _alias_deletions_late(s)
        steps += s
        lifecycle.append(lc)
    for name in gone:
        c, s = removed[name]
        changes += c
        steps += _with_after(s, release)
    changes = _note_dangling_collaborators(changes, steps, lifecycle, wanted, desired, live)

    in_scope = sorted((set(wanted) | set(live.agents)) & scope - set(live.unowned))
    plan = Plan(
        format_version=FORMAT_VERSION,
        project=project,
        environment=environment,
        target=jsonable(dataclasses.asdict(live.target)),
        spec_digest=digest({n: config_document(wanted[n]) for n in sorted(wanted)}),
        live_fingerprint={n: (live.agents[n].fingerprint if n in live.agents else "absent")
                          for n in in_scope},
        changes=tuple(changes),
        lifecycle=tuple(lifecycle),
        steps=tuple(steps),
        created_at=created_at,
        configuration=configuration,
    )
    from agentctl.plan.codec import with_plan_id  # codec imports nothing of the planner

    return with_plan_id(plan)


# --------------------------------------------------------------------------------------------
# Multi-agent collaboration

SUPERVISOR_MODES = ("SUPERVISOR", "SUPERVISOR_ROUTER")


def is_supervisor(agent: Mapping[str, Any]) -> bool:
    """Whether the agent members put it in a supervisor mode (canonical absence = DISABLED)."""
    return agent.get("agentCollaboration") in SUPERVISOR_MODES


def _check_supervisors(wanted: Mapping[str, AgentConfig]) -> None:
    """§2.2 "SUPERVISOR agents": PrepareAgent of a SUPERVISOR / SUPERVISOR_ROUTER agent with no
    collaborators fails with a ValidationException. Every apply that changes the DRAFT prepares
    it, so such a desired agent could never be applied; the spec validator reports the same
    problem (``collaboration.no-collaborators``) and this guards callers that skip it."""
    problems = [
        Problem(location=Location(agent_address(name)), path="collaboration.mode",
                message=f"{cfg.agent['agentCollaboration']} needs at least one collaborator",
                code="collaboration.no-collaborators",
                hint="add `collaborators:`, or remove `collaboration` to disable it (PrepareAgent "
                     "fails for a supervisor without collaborators)")
        for name, cfg in sorted(wanted.items())
        if is_supervisor(cfg.agent) and not cfg.collaborators
    ]
    if problems:
        raise SpecInvalid(problems)


# --------------------------------------------------------------------------------------------
# Cross-agent references


def _resolve_collaborators(
    wanted: dict[str, AgentConfig], raw: Mapping[str, AgentConfig], live: LiveState,
    scope: set[str],
) -> tuple[dict[str, AgentConfig], dict[str, set[str]]]:
    """Replace ``Ref`` alias ARNs that already exist in live with the ARN; the rest stay refs
    and make their agent depend on the referenced one."""
    deps: dict[str, set[str]] = {n: set() for n in wanted}
    out = {}
    outside: dict[str, list[str]] = {}
    for name, cfg in wanted.items():
        collabs = {}
        for cname, collab in cfg.collaborators.items():
            arn = (collab.get("agentDescriptor") or {}).get("aliasArn")
            r = _as_ref(arn)
            if r is None:
                collabs[cname] = collab
                continue
            where = f"{agent_address(name)}.{COLLABORATOR}.{cname}"
            m = _ALIAS_REF.match(r.address)
            if m is None or r.key not in ("aliasArn", "agentAliasArn"):
                raise AgentctlError(f"collaborator reference {r.address!r} / {r.key!r} is not an "
                                    "alias ARN of a project agent", where=where,
                                    hint="use `agent: NAME` and `alias: ALIAS` in the spec")
            target, alias = m["agent"], m["alias"]
            live_agent = live.agents.get(target)
            if live_agent is not None and alias in live_agent.aliases:
                resolved: Any = live_agent.aliases[alias].arn
            else:
                if target not in raw or alias not in raw[target].aliases:
                    raise AgentctlError(
                        f"collaborator refers to alias {alias} of agent {target}, which neither "
                        "exists nor is declared in this project", where=where,
                        hint=f"declare the agent {target} with an alias {alias}, or use aliasArn")
                if target not in wanted:
                    # Not a broken spec: the --agent selection left the producer out. Collected
                    # so that one error names every --agent to add.
                    outside.setdefault(target, []).append(f"{target} alias {alias} (for {where})")
                    continue
                if target == name:
                    raise AgentctlError("an agent cannot be its own collaborator", where=where)
                deps[name].add(target)
                resolved = ref(f"{agent_address(target)}.{ALIAS}.{alias}", r.key)
            descriptor = dict(collab.get("agentDescriptor") or {})
            descriptor["aliasArn"] = resolved
            collabs[cname] = {**collab, "agentDescriptor": descriptor}
        out[name] = dataclasses.replace(cfg, collaborators=collabs)
    if outside:
        needed = sorted(outside)
        raise UsageError(
            "collaborators need an alias that does not exist yet, of an agent not selected "
            "with --agent: " + "; ".join(u for t in needed for u in outside[t]),
            hint="add " + " ".join(f"--agent {t}" for t in needed)
                 + f" to create {'it' if len(needed) == 1 else 'them'} in the same run (before "
                   "the supervisor), or run without --agent")
    return out, deps


_ALIAS_ARN = re.compile(r":agent-alias/(?P<agent>[0-9a-zA-Z]{10})/(?P<alias>[0-9a-zA-Z]{10})$")


def _note_dangling_collaborators(
    changes: Sequence[ResourceChange], steps: Sequence[Step],
    lifecycle: Sequence[AgentLifecycle], wanted: Mapping[str, AgentConfig],
    raw: Mapping[str, AgentConfig], live: LiveState,
) -> list[ResourceChange]:
    """``changes`` with a reason on every alias of a supervisor that, after this plan, still
    routes to a version whose collaborator uses an alias that no longer exists (or that this
    plan deletes). Aliases this plan moves or deletes are not noted.

    A version is immutable: re-creating a collaborator agent (``destroy --agent billing-agent``,
    then apply) gives it a new alias ARN, the supervisor's DRAFT and its next version use the
    new one, but a pinned alias (LIVE) still routes to the old version, whose collaborator
    points at the deleted alias, so its invocations fail when they delegate while the plan
    otherwise says "No changes". Nothing in the plan can fix that without moving a pinned
    alias, so it is a note saying what to promote. Pure: from the live state already read
    (``LiveVersion.content`` of every routed version) and the plan's own deletions."""
    alias_ids = {a.agent_id: {la.alias_id for la in a.aliases.values()}
                 for a in live.agents.values()}
    names = {a.agent_id: n for n, a in live.agents.items()}
    deleted_aliases = {s.params.get("agentAliasId") for s in steps
                       if s.operation == "DeleteAgentAlias"}
    deleted_agents = {s.params.get("agentId") for s in steps if s.operation == "DeleteAgent"}
    moved = {(lc.agent, m.alias) for lc in lifecycle for m in lc.moves}
    notes: dict[str, str] = {}
    for sup_name in sorted(wanted):
        sup = live.agents.get(sup_name)
        if sup is None:
            continue
        versions = {v.version: v for v in sup.versions}
        declared = raw[sup_name].collaborators if sup_name in raw else {}
        for alias_name, la in sorted(sup.aliases.items()):
            v = versions.get(la.routed_version or "")
            if (alias_name == RELEASE_ALIAS or alias_name not in wanted[sup_name].aliases
                    or (sup_name, alias_name) in moved or v is None or not v.content):
                continue
            for cname, collab in sorted((v.content.get("collaborators") or {}).items()):
                arn = (collab.get("agentDescriptor") or {}).get("aliasArn")
                m = _ALIAS_ARN.search(arn) if isinstance(arn, str) else None
                if m is None:
                    continue
                agent_id, alias_id = m["agent"], m["alias"]
                if agent_id in deleted_agents or alias_id in deleted_aliases:
                    why = "which this plan deletes"
                elif agent_id in alias_ids and alias_id not in alias_ids[agent_id]:
                    why = f"which agent {names[agent_id]} no longer has"
                elif agent_id not in alias_ids and _as_ref(
                        ((declared.get(cname) or {}).get("agentDescriptor") or {}).get("aliasArn")):
                    # Declared as a project agent's alias, but no project agent has that id:
                    # the agent was deleted (and maybe created again, with another id).
                    why = "whose agent no longer exists"
                else:
                    continue  # an alias outside the project, or one that exists
                source = _promote_source(wanted.get(sup_name), sup)
                notes[child_address(sup_name, ALIAS, alias_name)] = (
                    f"routes to version {v.version}, whose collaborator {cname} uses alias {arn}, "
                    f"{why}: invocations through {alias_name} fail when they delegate to it; "
                    f"promote {alias_name} to a version with the current collaborators "
                    f"(`agentctl promote {alias_name} --agent {sup_name} {source}`)")
                break
    if not notes:
        return list(changes)
    return [dataclasses.replace(c, reason="; ".join(x for x in (c.reason, notes[c.address]) if x))
            if c.address in notes else c for c in changes]


def _promote_source(desired: AgentConfig | None, live: LiveAgent) -> str:
    """Where a pinned alias should be promoted from: the alias that tracks the latest version."""
    tracking = sorted(n for n, a in (desired.aliases.items() if desired else ())
                      if a.track == TRACK_LATEST)
    if tracking:
        return f"--from {tracking[0]}"
    if desired is not None and RELEASE_ALIAS in with_release_alias(desired, live).aliases:
        return f"--from {RELEASE_ALIAS}"  # kept or created by this plan
    newest = live.newest_version
    return f"--version {newest.version}" if newest else "--version N"


_RELEASE_WAITERS = ("DeleteAgentAlias", "DeleteAgent")
"""The steps that wait for a supervisor to release a collaborator's alias."""


def _release_dependencies(steps: Sequence[Step], live: LiveState) -> dict[str, set[str]]:
    """Address of a deletion step -> the addresses whose steps must complete before it.

    A live supervisor's collaborator holds another agent's alias ARN until the supervisor is
    prepared without it: Terraform's ``prepareSupervisorToReleaseCollaborator`` prepares the
    supervisor after a disassociation precisely because that "releases the reference to the
    collaborator's alias" (service-behaviour.md §2.2 "SUPERVISOR agents"). So when this plan
    deletes that alias (DeleteAgentAlias) or its agent (DeleteAgent, ``--prune``) and the
    supervisor drops or re-points the collaborator, the deletion runs after the supervisor's
    collaborator step and its PrepareAgent (steps at ``agent.SUP``); when the supervisor itself
    is deleted, after its DeleteAgent (as ``destroy`` removes supervisors first). A supervisor
    that keeps the reference (or is outside ``--agent``) adds nothing: no step of it exists."""
    addresses = {s.address for s in steps}
    deleted_agents = {s.address for s in steps if s.operation == "DeleteAgent"}
    deletions = {s.address for s in steps if s.operation in _RELEASE_WAITERS}
    by_arn = {la.arn: (n, a) for n, agent in live.agents.items()
              for a, la in agent.aliases.items() if la.arn}
    needs: dict[str, set[str]] = {}
    for sup_name in sorted(live.agents):
        sup = live.agents[sup_name]
        sup_address = agent_address(sup_name)
        for cname in sorted(sup.config.collaborators):
            arn = (sup.config.collaborators[cname].get("agentDescriptor") or {}).get("aliasArn")
            target = by_arn.get(arn) if isinstance(arn, str) else None
            if target is None or target[0] == sup_name:
                continue
            collab_address = child_address(sup_name, COLLABORATOR, cname)
            if sup_address in deleted_agents:
                release = {sup_address}
            elif collab_address in addresses:
                release = {collab_address, sup_address}
            else:
                continue
            other, alias = target
            for address in (child_address(other, ALIAS, alias), agent_address(other)):
                if address in deletions:
                    needs.setdefault(address, set()).update(release)
    return needs


def _with_after(steps: Sequence[Step], release: Mapping[str, set[str]]) -> list[Step]:
    """``steps`` with the release dependencies set on their alias / agent deletions."""
    return [dataclasses.replace(s, after=tuple(sorted(set(s.after) | release[s.address])))
            if s.operation in _RELEASE_WAITERS and s.address in release
            else s for s in steps]


def _alias_deletions_late(steps: Sequence[Step]) -> list[Step]:
    """An agent's steps with its released alias deletions moved after its alias creates and
    updates (still before version retention, which relies on them, §3.3).

    Needed when the releasing supervisor itself waits for this agent's output: re-pointing a
    collaborator from alias PROD to a new alias LIVE of the same agent and deleting PROD makes
    the supervisor wait for LIVE's ARN, and PROD's deletion wait for the supervisor's prepare;
    with deletions first (the usual order, to free alias quota) the two would wait for each
    other. The price is that the new alias briefly counts towards the 10-alias quota (§7)."""
    late = [s for s in steps if s.operation == "DeleteAgentAlias" and s.after]
    if not late:
        return list(steps)
    rest = [s for s in steps if not (s.operation == "DeleteAgentAlias" and s.after)]
    at = next((i for i, s in enumerate(rest) if s.operation == "DeleteAgentVersion"), len(rest))
    return rest[:at] + late + rest[at:]


def _soft_order(names: Sequence[str], deps: Mapping[str, set[str]],
                waits: Mapping[str, set[str]]) -> list[str]:
    """``names`` ordered by ``deps`` and, when that leaves no cycle, also by ``waits``."""
    combined = {n: set(deps.get(n, ())) | {w for w in waits.get(n, ()) if w != n}
                for n in names}
    try:
        return graph.order(list(names), combined)
    except graph.Cycle:
        return list(names)


def _as_ref(value: Any) -> Ref | None:
    return value if is_ref(value) else None


def _topological(names: list[str], deps: Mapping[str, set[str]]) -> list[str]:
    """Agents in name order, each moved after the agents it depends on (``graph.order``)."""
    try:
        return graph.order(names, deps)
    except graph.Cycle as e:
        raise AgentctlError(f"collaborator references form a cycle: {e}",
                            hint="an agent can only collaborate with agents that do not "
                                 "(transitively) collaborate with it") from None


# --------------------------------------------------------------------------------------------
# One agent


@dataclasses.dataclass
class _Ctx:
    name: str
    agent_id: Any
    """The live id, or a ref to CreateAgent's output."""
    steps: list[Step]

    def add(self, operation: str, params: Mapping[str, Any], address: str, description: str,
            wait_for: str | None = None, outputs: Mapping[str, str] | None = None) -> None:
        self.steps.append(Step(operation=operation, params=jsonable(params), address=address,
                               description=description, wait_for=wait_for,
                               outputs=dict(outputs or {})))


def _changed(changes: list[ResourceChange], kind: str) -> list[ResourceChange]:
    return [c for c in changes if c.kind == kind and c.action is not Action.NOOP]


def _key(change: ResourceChange) -> str:
    return change.address.split(".", 3)[3]


def content_differs(desired: AgentConfig, newest: Any) -> bool | None:
    """Whether ``desired``'s content differs from the ``newest`` live version's (§9.2: compare
    content, not version numbers); True when there is no version, None when the version's
    content was not read."""
    if newest is None:
        return True
    if newest.content is None:
        return None
    want = comparable_content(desired.content())
    have = align_content(want, comparable_content(newest.content))
    # Both are fresh ``plain`` values already (``comparable_content`` and ``align_content``
    # copy through it), so they compare as they are: copying both again cost about a quarter
    # of planning 200 changed agents (cProfile; issue 13).
    return want != have


def with_release_alias(config: AgentConfig, live: LiveAgent | None) -> AgentConfig:
    """``config`` with agentctl's release alias (``RELEASE_ALIAS``, ``track: latest``) when it
    has aliases, none of them tracks the latest version, and a release is due: the agent has a
    version and the content differs from it (the first version is cut by the first alias
    created, as before), or the release alias exists already (it then keeps tracking).

    Why: a version is only ever cut by an alias call without routing (§3.1). With every alias
    pinned, no alias may be moved by apply, so without this alias a DRAFT change could never
    become a version: the plan said ``prepare DRAFT; LIVE stays on 1``, the next plan "No
    changes", and ``status`` "DRAFT has unreleased changes" with nothing to promote. The
    release alias is planned like any tracking alias (created, or updated without routing, to
    cut the version; shown in the plan), never moves a declared alias, and is deleted by the
    plan once a declared alias tracks the latest version (or no alias is left). A converged
    project never gains it: nothing is due."""
    if not config.aliases or any(a.track == TRACK_LATEST for a in config.aliases.values()):
        return config
    exists = live is not None and RELEASE_ALIAS in live.aliases
    due = live is not None and live.newest_version is not None \
        and content_differs(config, live.newest_version) is True
    if not (exists or due):
        return config
    release = AliasConfig(name=RELEASE_ALIAS, description=RELEASE_ALIAS_DESCRIPTION,
                          track=TRACK_LATEST)
    return dataclasses.replace(config, aliases={**config.aliases, RELEASE_ALIAS: release})


def _plan_agent(
    desired: AgentConfig, live: LiveAgent | None, *, project: str, retention: int,
) -> tuple[list[ResourceChange], list[Step], AgentLifecycle]:
    desired = with_release_alias(desired, live)
    name = desired.name
    addr = agent_address(name)
    live_cfg = canonicalize(live.config) if live is not None else None
    changes = diff_config(desired, live_cfg)
    ctx = _Ctx(name=name, agent_id=live.agent_id if live else ref(addr, "agentId"), steps=[])
    draft_changed = False

    # 0. §2.2 "SUPERVISOR agents" / AWS's disable-collaboration page: before a supervisor is
    # switched to DISABLED, every collaborator must be disassociated. Disassociating (even the
    # last one) is accepted while the agent is still SUPERVISOR (Terraform's collaborator delete
    # does exactly that); only a PrepareAgent in that state would fail, and the PrepareAgent of
    # step 6 runs after the UpdateAgent below has made the agent DISABLED.
    releasing = live_cfg is not None and is_supervisor(live_cfg.agent) \
        and not is_supervisor(desired.agent)
    if releasing:
        draft_changed |= _plan_collaborators(ctx, changes, desired, live, (Action.DELETE,),
                                             why=" (before collaboration is disabled)")

    # 1. The agent itself.
    agent_change = changes[0]
    agent_fields = [f for f in agent_change.fields if not f.path.startswith("tags")]
    if live is None:
        tags = {**user_tags(desired.tags), OWNER_TAG: OWNER_TAG_VALUE, PROJECT_TAG: project}
        ctx.add("CreateAgent", {**agent_request(desired), "tags": tags}, addr,
                f"create agent {name}", wait_for="agent:NOT_PREPARED", outputs=_AGENT_OUT)
        draft_changed = True
    elif agent_fields:
        ctx.add("UpdateAgent", {"agentId": ctx.agent_id, **agent_request(desired)}, addr,
                f"update agent {name} (complete configuration: UpdateAgent replaces it)",
                wait_for="agent:NOT_PREPARED|PREPARED", outputs={"agentId": "agent.agentId"})
        draft_changed = True

    # 2-4. DRAFT sub-resources.
    draft_changed |= _plan_action_groups(ctx, changes, desired, live, live_cfg)
    draft_changed |= _plan_knowledge_bases(ctx, changes, desired)
    draft_changed |= _plan_collaborators(
        ctx, changes, desired, live,
        (Action.UPDATE, Action.CREATE) if releasing else (Action.DELETE, Action.UPDATE, Action.CREATE))

    # 5. User tags (not a DRAFT change: tags live on the agent ARN, not in a version).
    if live is not None and live_cfg is not None:
        _plan_tags(ctx, addr, live.arn, live_cfg.tags, desired.tags, f"agent {name}")

    # 6. Prepare once.
    prepare = draft_changed or (live is not None and live.status in ("NOT_PREPARED", "FAILED"))
    if prepare:
        ctx.add("PrepareAgent", {"agentId": ctx.agent_id}, addr,
                f"prepare the DRAFT of {name}", wait_for="agent:PREPARED")

    # 7-8. Aliases, the version, retention.
    alias_changes, lifecycle, version_changes = _plan_aliases(ctx, changes, desired, live, draft_changed,
                                                              prepare, retention)
    alias_changes.sort(key=lambda c: c.address)
    changes = [c for c in changes if c.kind != ALIAS] + alias_changes + version_changes
    return changes, ctx.steps, lifecycle


def _plan_action_groups(ctx: _Ctx, changes: list[ResourceChange], desired: AgentConfig,
                        live: LiveAgent | None, live_cfg: AgentConfig | None) -> bool:
    touched = _changed(changes, ACTION_GROUP)
    creates, updates, deletes = [], [], []
    for c in touched:
        {Action.CREATE: creates, Action.UPDATE: updates, Action.DELETE: deletes}[c.action].append(c)
    for c in deletes:
        group_name = _key(c)
        group_id = _live_id(live, "action_group_ids", group_name, c.address)
        before = (live_cfg.action_groups if live_cfg else {})[group_name]
        state = (live.action_group_states.get(group_name) if live else None) \
            or before.get("actionGroupState")
        if action_group_enabled(state):
            # §4.2: an ENABLED action group cannot be deleted without skipResourceInUseCheck;
            # disabling it first (a complete update, full replacement) is the documented path.
            ctx.add("UpdateAgentActionGroup",
                    disable_action_group_request(ctx.agent_id, group_id, group_name, before),
                    c.address, f"disable action group {group_name} before deleting it",
                    outputs=_ACTION_GROUP_OUT)
        ctx.add("DeleteAgentActionGroup",
                {"agentId": ctx.agent_id, "agentVersion": DRAFT, "actionGroupId": group_id},
                c.address, f"delete action group {group_name}")
    for c in updates:
        group_name = _key(c)
        group_id = _live_id(live, "action_group_ids", group_name, c.address)
        ctx.add("UpdateAgentActionGroup",
                {"agentId": ctx.agent_id, "agentVersion": DRAFT, "actionGroupId": group_id,
                 **action_group_request(group_name, desired.action_groups[group_name])},
                c.address, f"update action group {group_name} (complete: the update replaces it)",
                outputs=_ACTION_GROUP_OUT)
    for c in creates:
        group_name = _key(c)
        ctx.add("CreateAgentActionGroup",
                {"agentId": ctx.agent_id, "agentVersion": DRAFT,
                 **action_group_request(group_name, desired.action_groups[group_name])},
                c.address, f"create action group {group_name}", outputs=_ACTION_GROUP_OUT)
    return bool(touched)


def _plan_knowledge_bases(ctx: _Ctx, changes: list[ResourceChange], desired: AgentConfig) -> bool:
    touched = _changed(changes, KNOWLEDGE_BASE)
    for action, op, verb in ((Action.DELETE, "DisassociateAgentKnowledgeBase", "disassociate"),
                             (Action.UPDATE, "UpdateAgentKnowledgeBase", "update"),
                             (Action.CREATE, "AssociateAgentKnowledgeBase", "associate")):
        for c in touched:
            if c.action is not action:
                continue
            kb_id = _key(c)
            params: dict[str, Any] = {"agentId": ctx.agent_id, "agentVersion": DRAFT}
            if action is Action.DELETE:
                params["knowledgeBaseId"] = kb_id
            else:
                params.update(knowledge_base_request(kb_id, desired.knowledge_bases[kb_id]))
            ctx.add(op, params, c.address, f"{verb} knowledge base {kb_id}",
                    outputs=_KB_OUT if action is not Action.DELETE else None)
    return bool(touched)


def _plan_collaborators(ctx: _Ctx, changes: list[ResourceChange], desired: AgentConfig,
                        live: LiveAgent | None, actions: Sequence[Action], why: str = "") -> bool:
    """Steps for the collaborator changes whose action is in ``actions`` (in the order
    disassociate, update, associate); True when there was any."""
    touched = [c for c in _changed(changes, COLLABORATOR) if c.action in actions]
    for action, op, verb in ((Action.DELETE, "DisassociateAgentCollaborator", "disassociate"),
                             (Action.UPDATE, "UpdateAgentCollaborator", "update"),
                             (Action.CREATE, "AssociateAgentCollaborator", "associate")):
        for c in touched:
            if c.action is not action:
                continue
            cname = _key(c)
            params: dict[str, Any] = {"agentId": ctx.agent_id, "agentVersion": DRAFT}
            if action is not Action.CREATE:
                params["collaboratorId"] = _live_id(live, "collaborator_ids", cname, c.address)
            if action is not Action.DELETE:
                params.update(collaborator_request(cname, desired.collaborators[cname]))
            ctx.add(op, params, c.address, f"{verb} collaborator {cname}{why}",
                    outputs=_COLLAB_OUT if action is not Action.DELETE else None)
    return bool(touched)


def _live_id(live: LiveAgent | None, attr: str, key: str, address: str) -> str:
    ids = getattr(live, attr, None) or {}
    if key not in ids:
        raise AgentctlError(f"the live state has no id for {key}", where=address,
                            hint="re-run `agentctl plan`; if it persists, report it as a bug")
    return ids[key]


def _plan_tags(ctx: _Ctx, address: str, arn: str, before: Mapping[str, str],
               after: Mapping[str, str], what: str) -> None:
    # §1.2: tags are set on create or through Tag/UntagResource only; ownership tags never
    # appear here because ``user_tags`` removed them from both sides.
    before, after = user_tags(before), user_tags(after)
    set_tags = {k: v for k, v in after.items() if before.get(k) != v}
    removed = sorted(k for k in before if k not in after)
    if set_tags:
        ctx.add("TagResource", {"resourceArn": arn, "tags": set_tags}, address,
                f"tag {what}: {', '.join(sorted(set_tags))}")
    if removed:
        ctx.add("UntagResource", {"resourceArn": arn, "tagKeys": removed}, address,
                f"untag {what}: {', '.join(removed)}")


# --------------------------------------------------------------------------------------------
# Aliases, versions


def _plan_aliases(
    ctx: _Ctx, changes: list[ResourceChange], desired: AgentConfig, live: LiveAgent | None,
    draft_changed: bool, prepared: bool, retention: int,
) -> tuple[list[ResourceChange], AgentLifecycle, list[ResourceChange]]:
    name = desired.name
    live_aliases = dict(live.aliases) if live else {}
    newest = live.newest_version if live else None
    wanted = desired.aliases
    tracking = [a for a in sorted(wanted) if wanted[a].track == TRACK_LATEST]

    # Does the DRAFT after apply differ from the newest version? (§9.2: compare content.)
    differs = content_differs(desired, newest)
    differs = draft_changed if differs is None else differs
    new_version = bool(wanted) and ((bool(tracking) and differs) or newest is None)
    minter: str | None = None
    if new_version:
        minter = tracking[0] if tracking else sorted(wanted)[0]
    new_ref = ref(child_address(name, ALIAS, minter), "version") if minter else None
    latest = new_ref if new_version else (newest.version if newest else None)

    # Target version of every desired alias.
    targets: dict[str, Any] = {}
    for a in sorted(wanted):
        current = live_aliases[a].routed_version if a in live_aliases else None
        if wanted[a].track == TRACK_LATEST:
            targets[a] = latest
        elif current is not None:
            targets[a] = current  # pinned: only promote/rollback move it
        else:
            # A new pinned alias routes to the newest version, or the one cut now if none.
            targets[a] = newest.version if newest else new_ref

    alias_changes: list[ResourceChange] = []
    moves, stays = [], []
    differ_changes = {_key(c): c for c in changes if c.kind == ALIAS}
    order = ([minter] if minter else []) + [a for a in sorted(wanted) if a != minter]

    # Removed aliases first: frees slots of the 10-alias quota (§3.4) before creating.
    for a in sorted(set(live_aliases) - set(wanted)):
        c = differ_changes[a]
        la = live_aliases[a]
        alias_changes.append(_with_version(c, la.routed_version, None))
        ctx.add("DeleteAgentAlias", {"agentId": ctx.agent_id, "agentAliasId": la.alias_id},
                c.address, f"delete alias {a}", wait_for="alias:DELETED")

    for a in order:
        cfg = wanted[a]
        c = differ_changes[a]
        address = c.address
        la = live_aliases.get(a)
        current = la.routed_version if la else None
        target = targets[a]
        routing = None if a == minter else [{"agentVersion": target}]
        attrs_changed = la is not None and (
            canonical_description(la.description) != cfg.description
            or canonical_invocation_state(la.invocation_state) != cfg.invocation_state)
        # §2.2: cutting a version also puts the agent in VERSIONING until it is PREPARED again;
        # the executor recognises a version-cutting step (an alias call without routing) and
        # waits for both the alias and the agent (``agentctl.apply.executor.is_version_cut``).
        verb = "cut a new version and route to it" if a == minter else None
        if la is None:
            params: dict[str, Any] = {"agentId": ctx.agent_id, "agentAliasName": a}
            if cfg.description:
                params["description"] = cfg.description
            if routing is not None:
                params["routingConfiguration"] = routing
            if cfg.tags:
                params["tags"] = dict(cfg.tags)
            ctx.add("CreateAgentAlias", params, address,
                    f"create alias {a}" + (f" ({verb})" if verb else f" routed to version "
                                           f"{_show(target)}"),
                    wait_for="alias:PREPARED", outputs=_ALIAS_OUT)
            if cfg.invocation_state:
                # CreateAgentAlias has no aliasInvocationState member; set it right after, with
                # the routing the alias now has (never without routing, §9.3 item 3).
                ctx.add("UpdateAgentAlias",
                        _alias_update(ctx, ref(address, "aliasId"), a, cfg,
                                      [{"agentVersion": target}]),
                        address, f"set alias {a} to {cfg.invocation_state}",
                        wait_for="alias:PREPARED", outputs=_ALIAS_OUT)
        elif a == minter or target != current or attrs_changed:
            ctx.add("UpdateAgentAlias", _alias_update(ctx, la.alias_id, a, cfg, routing), address,
                    f"update alias {a}" + (f" ({verb})" if verb else
                                           f" (routing pinned to version {_show(target)})"),
                    wait_for="alias:PREPARED", outputs=_ALIAS_OUT)
        if la is not None:
            _plan_tags(ctx, address, la.arn, la.tags, cfg.tags, f"alias {a}")
        alias_changes.append(_with_version(c, current, target))
        shown_to = "new" if target == new_ref and new_ref is not None else target
        if la is None or target != current:
            moves.append(AliasMove(agent=name, alias=a, from_version=current,
                                   to_version=shown_to if isinstance(shown_to, str) else None))
        else:
            stays.append(AliasMove(agent=name, alias=a, from_version=current, to_version=current))

    version_changes, deleted = _plan_retention(ctx, live, targets, retention)
    next_hint = None
    if new_version:
        next_hint = str(int(newest.version) + 1) if newest else "1"
    lifecycle = AgentLifecycle(
        agent=name, prepare=prepared, new_version=new_version, next_version_hint=next_hint,
        moves=tuple(moves), stays=tuple(stays), delete_versions=tuple(deleted),
    )
    return alias_changes, lifecycle, version_changes


def _alias_update(ctx: _Ctx, alias_id: Any, name: str, cfg: Any,
                  routing: list[dict[str, Any]] | None) -> dict[str, Any]:
    # §3.4: UpdateAgentAlias is a full replacement: name, description, routing and invocation
    # state always; routing omitted only on the alias meant to cut a new version (§3.1).
    params: dict[str, Any] = {"agentId": ctx.agent_id, "agentAliasId": alias_id,
                              "agentAliasName": name}
    if cfg.description:
        params["description"] = cfg.description
    if routing is not None:
        params["routingConfiguration"] = routing
    params["aliasInvocationState"] = explicit_invocation_state(cfg.invocation_state)
    return params


def _with_version(change: ResourceChange, before_version: Any,
                  after_version: Any) -> ResourceChange:
    """The differ's alias change with the routed version added as attribute ``agentVersion``
    (a move is an update of the alias even when nothing else of it changed)."""
    before = None if change.before is None else {**change.before, "agentVersion": before_version}
    after = None if change.after is None else {**change.after, "agentVersion": after_version}
    if before is not None and before.get("agentVersion") is None:
        before.pop("agentVersion")
    if after is not None and after.get("agentVersion") is None:
        after.pop("agentVersion")
    return resource_change(change.address, change.kind, before, after)


def _plan_retention(ctx: _Ctx, live: LiveAgent | None, targets: Mapping[str, Any],
                    retention: int) -> tuple[list[ResourceChange], list[str]]:
    if live is None or not live.versions:
        return [], []
    # Retention (docs/lifecycle.md): keep the newest ``retention`` versions that no alias routes
    # to, delete older unreferenced ones, never one an alias routes to when the deletion runs,
    # i.e. after this plan's alias steps: each alias's target (pinned aliases keep theirs). A
    # version an alias leaves in this apply counts as unreferenced, so the next plan is empty:
    # the alias steps come first and wait (``alias:PREPARED`` / ``alias:DELETED``), and the
    # executor stops at the first failure, so a version is never deleted while an alias still
    # routes to it (§3.3). The version this apply cuts is always routed to by the alias that
    # cuts it.
    referenced = {t for t in targets.values() if isinstance(t, str)}
    newest_first = sorted(live.versions, key=lambda v: int(v.version), reverse=True)
    unreferenced = [v for v in newest_first if v.version not in referenced]
    doomed = sorted(unreferenced[retention:], key=lambda v: int(v.version))
    out = []
    for v in doomed:
        address = child_address(ctx.name, VERSION, v.version)
        before = {"version": v.version, **({"createdAt": v.created_at} if v.created_at else {})}
        rc = resource_change(address, VERSION, before, None)
        out.append(dataclasses.replace(
            rc, reason=f"version retention keeps every version an alias routes to and the "
                       f"newest {retention} that none does"))
        ctx.add("DeleteAgentVersion", {"agentId": ctx.agent_id, "agentVersion": v.version},
                address, f"delete version {v.version} (retention)")
    return out, [v.version for v in doomed]


def _show(version: Any) -> str:
    return "(known after apply)" if is_ref(version) else str(version)


# --------------------------------------------------------------------------------------------
# Agents whose spec left the project


def plan_removed(live: LiveAgent, *, prune: bool, reason: str | None = None,
                 ) -> tuple[list[ResourceChange], list[Step]]:
    """The changes and steps removing one live agent (``prune``), or the NOOP change saying it
    is no longer declared. Aliases first (DeleteAgent refuses agents with aliases, §2.5), then
    action groups (ENABLED ones disabled first, §4.2), then the agent, waiting until it is
    gone."""
    name = live.config.name
    addr = agent_address(name)
    if not prune:
        value = jsonable(agent_value(live.config))
        return [ResourceChange(
            address=addr, kind=AGENT, action=Action.NOOP, before=value, after=value,
            reason="exists on the target but no spec declares it any more; "
                   "`--prune` deletes it",
        )], []
    changes = [
        _with_version(c, live.aliases[_key(c)].routed_version, None)
        if c.kind == ALIAS and _key(c) in live.aliases else c
        for c in diff_config(None, canonicalize(live.config))
    ]
    changes[0] = dataclasses.replace(
        changes[0], reason=reason or "its spec left the project and --prune was given")
    ctx = _Ctx(name=name, agent_id=live.agent_id, steps=[])
    for a in sorted(live.aliases):
        ctx.add("DeleteAgentAlias", {"agentId": live.agent_id,
                                     "agentAliasId": live.aliases[a].alias_id},
                child_address(name, ALIAS, a), f"delete alias {a}", wait_for="alias:DELETED")
    for g in sorted(live.config.action_groups):
        group = live.config.action_groups[g]
        address = child_address(name, ACTION_GROUP, g)
        group_id = _live_id(live, "action_group_ids", g, address)
        state = live.action_group_states.get(g) or group.get("actionGroupState")
        if action_group_enabled(state):
            ctx.add("UpdateAgentActionGroup",
                    disable_action_group_request(live.agent_id, group_id, g, group),
                    address, f"disable action group {g} before deleting it")
        ctx.add("DeleteAgentActionGroup",
                {"agentId": live.agent_id, "agentVersion": DRAFT, "actionGroupId": group_id},
                address, f"delete action group {g}")
    ctx.add("DeleteAgent", {"agentId": live.agent_id}, addr, f"delete agent {name}",
            wait_for="agent:DELETED")
    return changes, ctx.steps
