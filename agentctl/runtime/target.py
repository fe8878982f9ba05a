"""Which alias an invoke calls: ``--alias NAME | --version N | --draft``.

InvokeAgent takes an alias id only (service-behaviour.md §10.1). So:

- ``--alias NAME``: that alias of the agent (its id, from the live read).
- ``--draft``: the built-in test alias ``TSTALIASID``, which always routes to the DRAFT (§3.4);
  the DRAFT must be prepared (``agentctl apply`` prepares it).
- ``--version N``: an agentctl-owned *candidate alias* named ``agentctl-candidate``, routed to
  version N with an explicit ``routingConfiguration`` (never without one: that would cut a new
  version, §3.1). It is created, or re-pointed when it exists, through the executor (a one-step
  plan, under the project lock, like every other change), used, and deleted again by
  ``release_invoke_target`` (``invoke_target`` does both). A candidate alias left behind by an
  interrupted run is re-pointed by the next ``--version`` and deleted by the next ``apply`` (it
  is in no spec). It counts towards the 10-alias quota while it exists (§7).

Every form requires an agent of this project that agentctl owns (``NotOwned`` otherwise), and an
existing alias/version (``UsageError`` listing the choices otherwise).

Must not: call boto3 itself (reads go through ``agentctl.aws.live``, changes through
``agentctl.apply.executor``), or touch an alias other than the candidate.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from agentctl.errors import UsageError

TEST_ALIAS_ID = "TSTALIASID"
TEST_ALIAS_NAME = "AgentTestAlias"
CANDIDATE_ALIAS = "agentctl-candidate"
CANDIDATE_DESCRIPTION = ("agentctl: temporary alias for `agentctl invoke --version N` and eval "
                         "runs; safe to delete")
_ALIAS_OUT = {"aliasId": "agentAlias.agentAliasId", "aliasArn": "agentAlias.agentAliasArn"}


@dataclass(frozen=True)
class InvokeTarget:
    agent: str
    agent_id: str
    alias_id: str
    alias_name: str
    version: str | None
    """The version the alias routes to (``DRAFT`` for the test alias), when known."""
    candidate: bool = False
    """True when ``alias_id`` is the candidate alias made for ``--version``."""


def _choose(alias: str | None, version: str | None, draft: bool) -> str:
    given = [n for n, v in (("--alias", alias), ("--version", version), ("--draft", draft)) if v]
    if len(given) > 1:
        raise UsageError(f"give one of --alias, --version, --draft (got {', '.join(given)})")
    if alias is not None and not alias.strip():
        raise UsageError("--alias needs an alias name, got an empty one",
                         hint="e.g. --alias STAGING")
    return given[0] if given else ""


def _live_agent(ctx: Any, name: str) -> Any:
    # The same lookup (and the same "no agent named ..." error) as promote / rollback.
    from agentctl.apply.promote import owned_agent

    if not name or not name.strip():
        raise UsageError("--agent needs an agent name, got an empty one",
                         hint="e.g. --agent support-bot")
    return owned_agent(ctx, name)


def resolve_invoke_target(ctx: Any, agent_name: str, *, alias: str | None = None,
                          version: str | int | None = None, draft: bool = False,
                          progress: Callable[[str], None] | None = None) -> InvokeTarget:
    """The alias to invoke (see the module doc). ``ctx`` is an opened
    ``agentctl.apply.lifecycle.Context``. With none of alias/version/draft given: the agent's
    only alias if it has exactly one, else a ``UsageError`` listing them."""
    how = _choose(alias, None if version is None else str(version), draft)
    agent = _live_agent(ctx, agent_name)
    if how == "--draft" or (alias in (TEST_ALIAS_ID, TEST_ALIAS_NAME)):
        return InvokeTarget(agent_name, agent.agent_id, TEST_ALIAS_ID, TEST_ALIAS_NAME, "DRAFT")
    if how == "--version":
        return _candidate(ctx, agent_name, agent, str(version).strip(), progress)
    user_aliases = {n: a for n, a in agent.aliases.items() if n != CANDIDATE_ALIAS}
    if how == "":
        # agentctl's own aliases (agentctl-release, ...) are never picked implicitly; they can
        # be named with --alias.
        declared = [n for n in user_aliases if not n.startswith("agentctl-")]
        if len(declared) == 1:
            alias = declared[0]
        else:
            raise UsageError(f"say which alias of {agent_name!r} to invoke",
                             hint="use --alias NAME (aliases: "
                                  f"{', '.join(sorted(user_aliases)) or 'none'}), --version N, "
                                  "or --draft")
    assert alias is not None
    la = user_aliases.get(alias)
    if la is None:
        raise UsageError(f"agent {agent_name!r} has no alias {alias!r}",
                         hint=f"aliases: {', '.join(sorted(user_aliases)) or 'none'}; or use "
                              "--version N / --draft")
    return InvokeTarget(agent_name, agent.agent_id, la.alias_id, la.name, la.routed_version)


def _candidate(ctx: Any, agent_name: str, agent: Any, version: str,
               progress: Callable[[str], None] | None) -> InvokeTarget:
    numbers = [v.version for v in agent.versions]
    if version.upper() == "DRAFT":
        raise UsageError("--version takes a version number; use --draft for the DRAFT")
    match = [v for v in agent.versions if v.version == version]
    if not match:
        raise UsageError(f"agent {agent_name!r} has no version {version!r}",
                         hint=f"versions: {', '.join(numbers) or 'none yet (run agentctl apply)'}")
    if match[0].status == "FAILED":
        raise UsageError(f"version {version} of {agent_name!r} is FAILED and cannot be invoked")
    existing = agent.aliases.get(CANDIDATE_ALIAS)
    if existing is not None and existing.routed_version == version \
            and existing.status == "PREPARED":
        return InvokeTarget(agent_name, agent.agent_id, existing.alias_id, CANDIDATE_ALIAS,
                            version, candidate=True)
    routing = [{"agentVersion": version}]  # explicit: an alias call without it cuts a version
    address = f"agent.{agent_name}.alias.{CANDIDATE_ALIAS}"
    from agentctl.core.model import OWNER_TAG, OWNER_TAG_VALUE, PROJECT_TAG
    from agentctl.plan.model import Step

    if existing is None:
        step = Step(operation="CreateAgentAlias",
                    params={"agentId": agent.agent_id, "agentAliasName": CANDIDATE_ALIAS,
                            "description": CANDIDATE_DESCRIPTION,
                            "routingConfiguration": routing,
                            # Owned like every resource agentctl makes (the same tags as agents).
                            "tags": {OWNER_TAG: OWNER_TAG_VALUE,
                                     PROJECT_TAG: ctx.project.name}},
                    address=address,
                    description=f"create alias {CANDIDATE_ALIAS} routed to version {version}",
                    wait_for="alias:PREPARED", outputs=_ALIAS_OUT)
    else:
        step = Step(operation="UpdateAgentAlias",
                    params={"agentId": agent.agent_id, "agentAliasId": existing.alias_id,
                            "agentAliasName": CANDIDATE_ALIAS,
                            "description": CANDIDATE_DESCRIPTION,
                            "routingConfiguration": routing},
                    address=address,
                    description=f"route alias {CANDIDATE_ALIAS} to version {version}",
                    wait_for="alias:PREPARED", outputs=_ALIAS_OUT)
    result = _run_steps(ctx, [step], progress)
    alias_id = (result.outputs.get(address) or {}).get("aliasId") or (
        existing.alias_id if existing is not None else None)
    if not alias_id:  # pragma: no cover - the executor always records it
        raise UsageError(f"could not read the id of alias {CANDIDATE_ALIAS}")
    return InvokeTarget(agent_name, agent.agent_id, alias_id, CANDIDATE_ALIAS, version,
                        candidate=True)


def release_invoke_target(ctx: Any, target: InvokeTarget, *,
                          progress: Callable[[str], None] | None = None) -> None:
    """Delete the candidate alias of ``target`` (nothing for a real alias or the DRAFT)."""
    if not target.candidate:
        return
    from agentctl.plan.model import Step

    step = Step(operation="DeleteAgentAlias",
                params={"agentId": target.agent_id, "agentAliasId": target.alias_id},
                address=f"agent.{target.agent}.alias.{CANDIDATE_ALIAS}",
                description=f"delete the temporary alias {CANDIDATE_ALIAS}",
                wait_for="alias:DELETED")
    _run_steps(ctx, [step], progress)


@contextmanager
def invoke_target(ctx: Any, agent_name: str, *, alias: str | None = None,
                  version: str | int | None = None, draft: bool = False,
                  progress: Callable[[str], None] | None = None) -> Iterator[InvokeTarget]:
    """``resolve_invoke_target``, and ``release_invoke_target`` afterwards (even on errors)."""
    target = resolve_invoke_target(ctx, agent_name, alias=alias, version=version, draft=draft,
                                   progress=progress)
    try:
        yield target
    finally:
        release_invoke_target(ctx, target, progress=progress)


def _run_steps(ctx: Any, steps: list[Any], progress: Callable[[str], None] | None) -> Any:
    """Run ``steps`` as a plan through the one executor, under the project lock."""
    from agentctl.apply import lifecycle
    from agentctl.apply.executor import execute
    from agentctl.plan.model import FORMAT_VERSION, Plan

    target = lifecycle.target_dict(ctx.target)
    body = {"project": ctx.project.name, "environment": ctx.env_name, "target": target,
            "steps": [(s.operation, s.address, dict(s.params)) for s in steps],
            "kind": "invoke-target"}
    plan_id = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    plan = Plan(format_version=FORMAT_VERSION, project=ctx.project.name,
                environment=ctx.env_name, target=target, spec_digest="", live_fingerprint={},
                changes=(), lifecycle=(), steps=tuple(steps), plan_id=plan_id,
                created_at=lifecycle._now())
    with lifecycle.project_lock(ctx):
        result = execute(plan, ctx.clients, progress=progress)
    lifecycle.raise_for_result(result)
    return result
