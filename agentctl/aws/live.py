"""Read the live side: every agent of a project, and everything agentctl manages of it.

``read_live`` finds agents by name (ListAgents, all pages), then reads each one completely and
up front (GetAgent, tags, DRAFT action groups / KB associations / collaborators, aliases with their
tags and history, the version list and the content of the versions that matter), concurrently with
bounded parallelism, and returns an immutable ``LiveState``. Planning is then a pure function of
(desired, live) — no lazy remote reads later (ARCHITECTURE.md §1, unlike chalice's planner).

Ownership: an agent belongs to this project when it carries ``OWNER_TAG=agentctl`` and
``PROJECT_TAG=<project>`` (written by CreateAgent or by ``agentctl adopt``). Anything else with a
wanted name goes to ``LiveState.unowned`` and is never read further nor touched.

Fingerprint (per agent): the digest of every response read, with the fields that change without
a user edit removed — statuses (an agent settles PREPARING -> PREPARED by itself), timestamps
(``updatedAt``/``preparedAt`` are re-stamped by prepare and versioning; ``createdAt`` never
changes without a new id), failure reasons / recommended actions (follow the status) and
``clientToken`` (server-owned). Ids, names, settings, tags, routing, alias history and the version
list all stay in it, so any edit made between ``plan --out`` and ``apply PLANFILE`` is caught.

Must not: mutate anything, print, or import boto3 (clients come from ``agentctl.aws``).
"""

from __future__ import annotations

import datetime as _dt
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Mapping, Protocol, Sequence

from agentctl.aws import client as aws
from agentctl.core.threads import abandoning_pool
from agentctl.core import normalize
from agentctl.core.quotas import TPS_QUOTAS
from agentctl.errors import AgentctlError, AwsError
from agentctl.core.model import (
    OWNER_TAG,
    OWNER_TAG_VALUE,
    PROJECT_TAG,
    AliasConfig,
    LiveAgent,
    LiveAlias,
    LiveState,
    LiveVersion,
    Target,
    digest,
    plain,
)

DRAFT = "DRAFT"
TEST_ALIAS_ID = "TSTALIASID"  # §3.4: built-in test alias, never managed
# Concurrency sized so the TPS quotas (§7), not the thread pools, bound a read: every reader
# operation running at its quota at once is ~120 calls/s, and with ~250 ms per call (AWS from
# far away; the emulator's latency fault) that is ~30 calls in flight. Each agent being read
# has at most ~6 independent calls in flight, so half as many agents are read at once. The
# client-side rate limiter (agentctl.aws.ratelimit) keeps the calls under the quotas.
_READ_OPS = ("GetAgent", "GetAgentActionGroup", "GetAgentKnowledgeBase", "GetAgentAlias",
             "GetAgentVersion", "ListAgentActionGroups", "ListAgentKnowledgeBases",
             "ListAgentAliases", "ListAgentVersions")
MAX_WORKERS = max(8, round(sum(TPS_QUOTAS[op] for op in _READ_OPS) * 0.25))
AGENTS_AT_ONCE = max(4, MAX_WORKERS // 2)

# Keys removed (at any depth) before fingerprinting; see the module docstring.
VOLATILE_KEYS = frozenset({
    "agentStatus", "agentAliasStatus", "preparedAt", "updatedAt", "lastUpdatedAt", "createdAt",
    "failureReasons", "recommendedActions", "clientToken",
})


def is_owned(tags: Mapping[str, str], project: str) -> bool:
    return tags.get(OWNER_TAG) == OWNER_TAG_VALUE and tags.get(PROJECT_TAG) == project


def owner_tags_for(project: str) -> dict[str, str]:
    return {OWNER_TAG: OWNER_TAG_VALUE, PROJECT_TAG: project}


def agent_arn(clients: aws.Clients, agent_id: str) -> str:
    """The agent ARN (§1.2 ``arn:aws:bedrock:{region}:{acct}:agent/{id}``) without a GetAgent."""
    partition = getattr(getattr(clients.agent, "meta", None), "partition", None) or "aws"
    t = clients.target
    return f"arn:{partition}:bedrock:{t.region}:{t.account}:agent/{agent_id}"


@dataclass(frozen=True)
class AgentRef:
    """An agent found by ListAgents."""

    name: str
    agent_id: str
    status: str


def list_agents(clients: aws.Clients) -> dict[str, AgentRef]:
    """All agents on the target by name (names are unique per account and region, §2.2)."""
    out: dict[str, AgentRef] = {}
    for s in aws.paginate(clients, "ListAgents"):
        out[s["agentName"]] = AgentRef(s["agentName"], s["agentId"], str(s.get("agentStatus")))
    return out


def agent_tags(clients: aws.Clients, found: Mapping[str, AgentRef], *,
               max_workers: int = MAX_WORKERS) -> dict[str, dict[str, str]]:
    """name -> tags of every agent in ``found`` that is not DELETING. One ListTagsForResource per
    agent; an agent we may not read (AccessDenied) or that vanished is left out: it cannot be
    ours to manage anyway."""

    def read(ref: AgentRef) -> dict[str, str] | None:
        try:
            return dict(aws.call(clients, "ListTagsForResource",
                                 {"resourceArn": agent_arn(clients, ref.agent_id)}).get("tags", {}))
        except AwsError as e:
            if e.code in ("AccessDeniedException", "ResourceNotFoundException"):
                return None
            raise

    refs = [r for r in found.values() if r.status != "DELETING"]
    with abandoning_pool(max(1, max_workers)) as pool:
        tags = list(pool.map(read, refs))
    return {r.name: t for r, t in zip(refs, tags) if t is not None}


def discover_project_agents(clients: aws.Clients, project: str,
                            found: Mapping[str, AgentRef] | None = None, *,
                            max_workers: int = MAX_WORKERS,
                            tags: Mapping[str, Mapping[str, str]] | None = None) -> list[str]:
    """Names of every agent tagged as owned by ``project`` (so a plan can see agents whose spec
    left the project, and ``destroy``/``status`` cover them), from ``tags`` (``agent_tags``)
    when the caller already read them."""
    found = list_agents(clients) if found is None else found
    tags = agent_tags(clients, found, max_workers=max_workers) if tags is None else tags
    return sorted(n for n, t in tags.items() if is_owned(t, project))


def read_live(clients: aws.Clients, names: Sequence[str], *, project: str,
              target: Target | None = None, found: Mapping[str, AgentRef] | None = None,
              tags: Mapping[str, Mapping[str, str]] | None = None,
              max_workers: int = MAX_WORKERS, alias_history: bool = False,
              version_cache: VersionCache | None = None) -> LiveState:
    """Read every agent in ``names`` (absent ones are recorded as absent). ``tags`` (from
    ``agent_tags``, same ``found``) spares a second ListTagsForResource per agent already read
    in this command. ``max_workers`` bounds the concurrent reads (1 makes the call order
    deterministic, for contract tests). ``alias_history`` also reads every alias's routing
    history (GetAgentAlias; promote, rollback, history). ``version_cache`` remembers numbered
    versions' content between runs."""
    target = target or clients.target
    found = list_agents(clients) if found is None else found
    wanted = sorted(set(names))
    absent = frozenset(n for n in wanted if n not in found or found[n].status == "DELETING")
    present = [found[n] for n in wanted if n not in absent]
    agents: dict[str, LiveAgent] = {}
    unowned: dict[str, str] = {}
    # Abandoned, not waited for, on Ctrl-C (core/threads.py): the reads change nothing.
    with abandoning_pool(max(1, max_workers)) as inner, \
            abandoning_pool(max(1, min(AGENTS_AT_ONCE, max_workers, len(present)))) as outer:
        futures = {ref.name: outer.submit(_read_one, clients, ref, project, inner,
                                          (tags or {}).get(ref.name), alias_history,
                                          version_cache, target)
                   for ref in present}
        for name, fut in futures.items():
            result = fut.result()
            if isinstance(result, LiveAgent):
                agents[name] = result
            elif result is None:  # deleted between ListAgents and GetAgent
                absent = absent | {name}
            else:
                unowned[name] = result
    if version_cache is not None:
        version_cache.flush()
    return LiveState(target=target, agents=agents, absent=absent, unowned=unowned)


# --------------------------------------------------------------------------------- internals

def _read_one(clients: aws.Clients, ref: AgentRef, project: str, pool: ThreadPoolExecutor,
              known_tags: Mapping[str, str] | None, alias_history: bool = False,
              version_cache: VersionCache | None = None,
              target: Target | None = None) -> LiveAgent | str | None:
    where = f"agent.{ref.name}"
    try:
        agent = aws.call(clients, "GetAgent", {"agentId": ref.agent_id}, where=where)["agent"]
    except AwsError as e:
        if e.code == "ResourceNotFoundException":
            return None
        if e.code == "AccessDeniedException":
            # The least-privilege role (`agentctl iam-policy`) may read only agents tagged for
            # this project (aws:ResourceTag): one it may not read is not ours, as in agent_tags.
            return ref.agent_id
        raise
    if known_tags is not None:
        tags = dict(known_tags)
    else:
        tags = dict(aws.call(clients, "ListTagsForResource", {"resourceArn": agent["agentArn"]},
                             where=where).get("tags", {}))
    if not is_owned(tags, project):
        return ref.agent_id
    return read_agent(clients, agent, tags, pool=pool, where=where, alias_history=alias_history,
                      version_cache=version_cache, target=target)


def read_agent(clients: aws.Clients, agent: Mapping[str, Any], tags: Mapping[str, str], *,
               pool: ThreadPoolExecutor, where: str, alias_history: bool = False,
               version_cache: "VersionCache | None" = None,
               target: Target | None = None) -> LiveAgent:
    """Read the rest of one owned agent (``agent`` is the GetAgent object). ``alias_history``:
    also each alias's history (GetAgentAlias). ``version_cache``: numbered versions' content
    already read by an earlier run (``VersionCache``)."""
    agent_id = agent["agentId"]

    # Independent reads, all at once.
    f_groups = pool.submit(_read_children, "action_groups", clients, agent_id, DRAFT, where)
    f_kbs = pool.submit(_read_children, "knowledge_bases", clients, agent_id, DRAFT, where)
    f_collabs = pool.submit(_read_children, "collaborators", clients, agent_id, DRAFT, where)
    f_aliases = pool.submit(_read_aliases, clients, agent_id, where, history=alias_history)
    f_versions = pool.submit(lambda: list(aws.paginate(
        clients, "ListAgentVersions", {"agentId": agent_id}, where=where)))

    groups, kbs, collabs = f_groups.result(), f_kbs.result(), f_collabs.result()
    aliases_raw: list[tuple[dict[str, Any], dict[str, str]]] = f_aliases.result()
    version_summaries = [v for v in f_versions.result() if v.get("agentVersion") != DRAFT]

    # Version content: the newest numbered version (does DRAFT differ from it? §3.1) and every
    # version an alias routes to (promote / rollback / retention decisions).
    numbers = sorted((str(v["agentVersion"]) for v in version_summaries), key=int)
    wanted_versions: set[str] = set(numbers[-1:])
    for a, _ in aliases_raw:
        v = _routed_version(a)
        if v is not None and v in numbers:
            wanted_versions.add(v)
    # A numbered version is immutable (§3.1: "You can't modify any part of a version"), so its
    # content, once read, comes from the project's records on later runs (``VersionCache``),
    # keyed by agent id, version and the version's own timestamps: a version deleted and cut
    # again under the same number, or an agent re-created, never matches an old entry.
    summaries = {str(v["agentVersion"]): v for v in version_summaries}
    keys = {v: version_key(target or clients.target, agent_id, summaries[v])
            for v in wanted_versions}
    contents: dict[str, Mapping[str, Any] | None] = {}
    if version_cache is not None:
        for v in sorted(wanted_versions):
            cached = version_cache.get(keys[v])
            if cached is not None:
                contents[v] = cached
    version_futures: dict[str, Future] = {
        v: pool.submit(_read_version, clients, agent_id, v, where)
        for v in sorted(wanted_versions) if v not in contents
    }
    for v, f in version_futures.items():
        got = f.result()
        # As JSON values (what the records give back), so a plan never depends on where the
        # content came from.
        contents[v] = plain(normalize.content_from_version(*got), refs_as_json=True) \
            if got is not None else None
        if got is not None and version_cache is not None:
            version_cache.put(keys[v], contents[v])

    user_tags = normalize.user_tags(tags)
    owner = normalize.owner_tags(tags)
    alias_configs = {
        a["agentAliasName"]: AliasConfig(
            name=a["agentAliasName"],
            description=a.get("description"),
            tags=dict(atags),
            invocation_state=normalize.canonical_invocation_state(a.get("aliasInvocationState")),
        )
        for a, atags in aliases_raw
    }
    config = normalize.config_from_live(agent, groups, kbs, collabs, user_tags, alias_configs)

    versions = []
    for s in sorted(version_summaries, key=lambda v: int(v["agentVersion"])):
        num = str(s["agentVersion"])
        content = contents.get(num)
        versions.append(LiveVersion(version=num, status=str(s.get("agentStatus")),
                                    created_at=_iso(s.get("createdAt")), content=content))

    live_aliases = {
        a["agentAliasName"]: LiveAlias(
            alias_id=a["agentAliasId"],
            name=a["agentAliasName"],
            arn=a["agentAliasArn"],
            description=a.get("description"),
            routed_version=_routed_version(a),
            status=str(a.get("agentAliasStatus")),
            invocation_state=a.get("aliasInvocationState"),
            tags=dict(atags),
            history=tuple(aws.response_json(h) for h in a.get("agentAliasHistoryEvents") or ())
            if alias_history else None,
        )
        for a, atags in aliases_raw
    }

    raw = {
        "agent": agent, "tags": tags, "action_groups": groups, "knowledge_bases": kbs,
        # The alias as its summary has it (with or without ``alias_history``, the same
        # fingerprint); the history follows the routing, which is in it.
        "collaborators": collabs,
        "aliases": [{"alias": {k: v for k, v in a.items() if k in _ALIAS_FINGERPRINTED},
                     "tags": t} for a, t in aliases_raw],
        "versions": numbers,
        # Versions are immutable: their content's digest stands for the responses, whether
        # they were read now or come from the records.
        "version_content": {v: (digest(aws.response_json(contents[v]))
                                if contents[v] is not None else None)
                            for v in sorted(contents)},
    }
    return LiveAgent(
        agent_id=agent_id,
        arn=agent["agentArn"],
        status=str(agent.get("agentStatus")),
        config=config,
        owner_tags=owner,
        action_group_ids={g["actionGroupName"]: g["actionGroupId"] for g in groups},
        action_group_states={g["actionGroupName"]: normalize.action_group_state(g.get("actionGroupState"))
                             for g in groups},
        aliases=live_aliases,
        versions=tuple(versions),
        fingerprint=fingerprint(raw),
        failure_reasons=tuple(str(r) for r in agent.get("failureReasons") or ()),
        collaborator_ids={c["collaboratorName"]: c["collaboratorId"] for c in collabs},
    )


_ALIAS_FINGERPRINTED = frozenset({"agentAliasId", "agentAliasName", "agentAliasArn", "agentId",
                                  "description", "routingConfiguration", "agentAliasStatus",
                                  "createdAt", "updatedAt", "aliasInvocationState"})
"""AgentAliasSummary's members (+ agentId and the ARN): what a plan reads of an alias."""


class VersionCache(Protocol):
    """Numbered versions' content (``normalize.content_from_version``) remembered between runs
    (``agentctl.apply.version_cache`` keeps it in the project's records). Thread-safe: agents
    are read concurrently. A miss (or an unreadable entry) only means reading the version."""

    def get(self, key: str) -> Mapping[str, Any] | None: ...

    def put(self, key: str, content: Mapping[str, Any]) -> None: ...

    def flush(self) -> None:
        """Keep what was put (``read_live`` calls it once, after reading)."""


def version_key(target: Target, agent_id: str, summary: Mapping[str, Any]) -> str:
    """The cache key of one numbered version: target, agent id, number and the version's own
    creation / update times (from ListAgentVersions)."""
    return digest({"target": [target.kind, target.region, target.account, target.endpoint],
                   "agentId": agent_id, "version": str(summary.get("agentVersion")),
                   "createdAt": _iso(summary.get("createdAt")),
                   "updatedAt": _iso(summary.get("updatedAt"))})


def fingerprint(raw: Any) -> str:
    return digest(_strip_volatile(aws.response_json(raw)))


def _strip_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_volatile(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, (list, tuple)):
        return [_strip_volatile(v) for v in value]
    return value


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, (_dt.datetime, _dt.date)) else str(value)


def _routed_version(alias: Mapping[str, Any]) -> str | None:
    """§3.4: routingConfiguration holds 0..1 entries; none = DISSOCIATED."""
    for r in alias.get("routingConfiguration") or ():
        v = r.get("agentVersion")
        if v:
            return str(v)
    return None


# DRAFT and numbered-version children are read the same way (§1.1: Get/List accept DRAFT or N):
# list summaries (every page), then, only where the summary lacks something agentctl uses, Get
# each one for the full object. kind -> (List op, Get op or None, id member, Get response key,
# natural key to sort by). Which members a summary lacks is botocore's service model
# (ActionGroupSummary vs AgentActionGroup, ...; tests/aws/test_live_calls.py checks it):
# - action groups: the summary has no apiSchema, functionSchema, actionGroupExecutor nor parent
#   signature, which are the group: the Get stays, one per group;
# - knowledge bases: AgentKnowledgeBaseSummary lacks only agentId and agentVersion (the request's
#   own) and createdAt (never used; a volatile key of the fingerprint): no Get;
# - collaborators: AgentCollaboratorSummary lacks only clientToken (server-owned, volatile): no
#   Get.
_CHILDREN = {
    "action_groups": ("ListAgentActionGroups", "GetAgentActionGroup", "actionGroupId",
                      "agentActionGroup", "actionGroupName"),
    "knowledge_bases": ("ListAgentKnowledgeBases", None, "knowledgeBaseId",
                        "agentKnowledgeBase", "knowledgeBaseId"),
    "collaborators": ("ListAgentCollaborators", None, "collaboratorId",
                      "agentCollaborator", "collaboratorName"),
}


def _read_children(kind: str, clients: aws.Clients, agent_id: str, version: str,
                   where: str) -> list[dict[str, Any]]:
    list_op, get_op, id_member, response_key, sort_key = _CHILDREN[kind]
    base = {"agentId": agent_id, "agentVersion": version}
    summaries = aws.paginate(clients, list_op, base, where=where)
    if get_op is None:
        out = [{**s, **base} for s in summaries]
    else:
        out = [aws.call(clients, get_op, {**base, id_member: s[id_member]},
                        where=where)[response_key] for s in summaries]
    return sorted(out, key=lambda item: item[sort_key])


def alias_arn(clients: aws.Clients, agent_id: str, alias_id: str) -> str:
    """The alias ARN (§1.2 ``…:agent-alias/{agentId}/{aliasId}``) without a GetAgentAlias."""
    return agent_arn(clients, agent_id).replace(":agent/", ":agent-alias/", 1) + f"/{alias_id}"


def _read_aliases(clients: aws.Clients, agent_id: str, where: str, *,
                  history: bool = False) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """Every alias but the test alias, with its tags. AgentAliasSummary (botocore) has every
    member of AgentAlias that a plan uses (name, description, routing, status, invocation
    state); it lacks the ARN (built: ``alias_arn``), clientToken and failureReasons (unused)
    and ``agentAliasHistoryEvents``: GetAgentAlias is called only with ``history`` (promote,
    rollback, history and eval read one agent's alias history)."""
    out = []
    for s in aws.paginate(clients, "ListAgentAliases", {"agentId": agent_id}, where=where):
        if s.get("agentAliasId") == TEST_ALIAS_ID:
            continue
        if not history:
            alias = {**s, "agentId": agent_id,
                     "agentAliasArn": alias_arn(clients, agent_id, s["agentAliasId"])}
        else:
            try:
                alias = aws.call(clients, "GetAgentAlias",
                                 {"agentId": agent_id, "agentAliasId": s["agentAliasId"]},
                                 where=where)["agentAlias"]
            except AwsError as e:
                if e.code == "ResourceNotFoundException":  # deleted while we were reading
                    continue
                raise
        if alias.get("agentAliasStatus") == "DELETING":
            continue
        tags = dict(aws.call(clients, "ListTagsForResource",
                             {"resourceArn": alias["agentAliasArn"]}, where=where).get("tags", {}))
        out.append((alias, tags))
    return sorted(out, key=lambda at: at[0]["agentAliasName"])


def _read_version(clients: aws.Clients, agent_id: str, version: str, where: str):
    """(GetAgentVersion object, action groups, KBs, collaborators) of numbered ``version``, read
    with ``agentVersion=N`` (§1.1, §3.2); None if it vanished meanwhile."""
    try:
        vobj = aws.call(clients, "GetAgentVersion", {"agentId": agent_id, "agentVersion": version},
                        where=where)["agentVersion"]
    except AwsError as e:
        if e.code == "ResourceNotFoundException":
            return None
        raise
    return (vobj, _read_children("action_groups", clients, agent_id, version, where),
            _read_children("knowledge_bases", clients, agent_id, version, where),
            _read_children("collaborators", clients, agent_id, version, where))


def read_version_content(clients: aws.Clients, agent_id: str, version: str, *,
                         where: str) -> dict[str, Any] | None:
    """``AgentConfig.content()`` of numbered ``version`` (for versions ``read_live`` did not read:
    eval/promote/history of a version no alias routes to); None when it no longer exists."""
    raw = _read_version(clients, agent_id, version, where)
    if raw is None:
        return None
    return normalize.content_from_version(*raw)


def read_any(clients: aws.Clients, names: Sequence[str] | None = None, *,
             found: Mapping[str, AgentRef] | None = None,
             max_workers: int = MAX_WORKERS) -> tuple[dict[str, LiveAgent], list[str]]:
    """Read agents whatever their owner, for ``agentctl import`` (which only reads, so agents
    agentctl does not manage are readable): ``names`` (every agent on the target when None)
    -> (agents read, names not found). ``LiveAgent.owner_tags`` says who manages each."""
    found = list_agents(clients) if found is None else found
    wanted = sorted(found) if names is None else sorted(set(names))
    present = [found[n] for n in wanted if n in found and found[n].status != "DELETING"]
    missing = [n for n in wanted if n not in found or found[n].status == "DELETING"]

    def one(ref: AgentRef, pool: ThreadPoolExecutor) -> LiveAgent | None:
        where = f"agent.{ref.name}"
        try:
            agent = aws.call(clients, "GetAgent", {"agentId": ref.agent_id}, where=where)["agent"]
        except AwsError as e:
            if e.code == "ResourceNotFoundException":
                return None
            raise
        tags = dict(aws.call(clients, "ListTagsForResource", {"resourceArn": agent["agentArn"]},
                             where=where).get("tags", {}))
        return read_agent(clients, agent, tags, pool=pool, where=where)

    agents: dict[str, LiveAgent] = {}
    with ThreadPoolExecutor(max_workers=max(1, max_workers)) as inner, \
            ThreadPoolExecutor(max_workers=max(1, min(AGENTS_AT_ONCE, max_workers,
                                                      len(present) or 1))) as outer:
        futures = {ref.name: outer.submit(one, ref, inner) for ref in present}
        for name, fut in futures.items():
            got = fut.result()
            if got is None:
                missing.append(name)
            else:
                agents[name] = got
    return agents, sorted(missing)


def alias_names_by_id(clients: aws.Clients, agent_id: str) -> dict[str, str]:
    """aliasId -> alias name of one agent (ListAgentAliases), e.g. to name the alias a
    collaborator ARN (``.../agent-alias/AGENT/ALIAS``) points at."""
    return {s["agentAliasId"]: s["agentAliasName"]
            for s in aws.paginate(clients, "ListAgentAliases", {"agentId": agent_id},
                                  where=f"agent {agent_id}")}


def require_owned(live: LiveState, name: str) -> LiveAgent:
    """The owned live agent ``name``, or a clear error (NotOwned / not found)."""
    from agentctl.errors import NotOwned

    if name in live.unowned:
        raise NotOwned(f"agent {name!r} ({live.unowned[name]}) exists but is not managed by "
                       "this agentctl project", where=f"agent.{name}",
                       hint=f"run `agentctl adopt {name}` to manage it with agentctl")
    if name not in live.agents:
        # A name from the command line the target does not have: usage (exitcodes.py), like an
        # unknown alias or version of an agent that exists.
        from agentctl.errors import UsageError

        raise UsageError(f"agent {name!r} does not exist on the target", where=f"agent.{name}",
                         hint="run `agentctl apply` to create it, or check -e/--env")
    return live.agents[name]
