"""``agentctl import``: which live agents to import, read them, and build their spec files.

``build_import`` reads (never writes) the target through ``agentctl.aws.live.read_any`` —
agents agentctl does not manage are readable, import only reads — picks each agent's spec
path, names collaborators on project agents as ``agent`` + ``alias``, takes alias tracking
from the record of what agentctl last applied, and hands each agent to
``agentctl.spec.importer.import_agent``. ``write`` puts the files on disk
(``importer.write_files``: no overwrite without ``force``, atomic). Adoption is not done here:
``agentctl import --adopt`` runs ``lifecycle.adopt`` (the executor) afterwards.

Must not: mutate AWS, print, or write anything but the import's files.
"""

from __future__ import annotations

import glob as globmod
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from agentctl.apply.context import Context
from agentctl.aws import live as live_mod
from agentctl.core.model import OWNER_TAG, OWNER_TAG_VALUE, PROJECT_TAG, LiveAgent
from agentctl.errors import NotOwned, UsageError
from agentctl.spec import importer


@dataclass(frozen=True)
class ImportPlan:
    agents: tuple[importer.Imported, ...]
    skipped: tuple[str, ...]
    """Agents ``--all`` left out, and why."""
    managed: Mapping[str, bool]
    """name -> already managed by this project (then the next step is plan, not adopt)."""
    spec_dir: str


def project_globs(ctx: Context) -> list[str]:
    """The ``agents:`` globs of agentctl.yaml (the loader validated them)."""
    from agentctl.spec.yamlload import load_file

    return [str(g) for g in (load_file(Path(ctx.project.file)).value.get("agents") or ())]


def spec_dir_of(ctx: Context, directory: Path | None, globs: Sequence[str]) -> str:
    """``--dir`` relative to the project directory (it must be inside), or the default."""
    if directory is None:
        return importer.default_spec_dir(globs)
    root = ctx.root.resolve()
    target = (directory if directory.is_absolute() else Path.cwd() / directory).resolve()
    if not target.is_relative_to(root):
        raise UsageError(f"--dir {directory}: {target} is outside the project directory {root}",
                         hint="spec files and the files they include must stay inside the "
                              "project; give a directory under it")
    rel = target.relative_to(root).as_posix()
    return "" if rel == "." else rel


def _owner(agent: LiveAgent) -> str | None:
    """The agentctl project managing ``agent``, or None."""
    if agent.owner_tags.get(OWNER_TAG) != OWNER_TAG_VALUE:
        return None
    return agent.owner_tags.get(PROJECT_TAG) or None


def build_import(ctx: Context, names: Sequence[str] | None, *, spec_dir: str,
                 globs: Sequence[str], force: bool = False,
                 explicit_dir: bool = False) -> ImportPlan:
    """The files to write for ``names``; when None, every agent on the target that no other
    agentctl project manages and (unless ``force``: then they are rewritten) that has no spec
    in this project yet. An agent that has a spec is rewritten where it is, unless
    ``explicit_dir`` (``--dir`` given): then it goes to ``spec_dir`` like any other."""
    project = ctx.project
    found = live_mod.list_agents(ctx.clients)
    if names is not None:
        unknown = sorted(n for n in names if n not in found)
        if unknown:
            raise UsageError(f"no agent named {', '.join(map(repr, unknown))} on the target "
                             f"(environment {ctx.env_name})",
                             hint="`agentctl import --all` imports every agent there; check "
                                  "the name and -e/--env")
    agents, missing = live_mod.read_any(ctx.clients, names, found=found)
    if names is not None and missing:
        raise UsageError(f"agent {missing[0]!r} is being deleted on the target", hint=None)
    skipped: list[str] = []
    chosen: dict[str, LiveAgent] = {}
    for name, agent in sorted(agents.items()):
        owner = _owner(agent)
        if owner is not None and owner != project.name:
            if names is not None:
                raise NotOwned(f"agent {name!r} is managed by another agentctl project "
                               f"({owner!r})", where=f"agent.{name}",
                               hint="import it in that project, or remove it from that project "
                                    "first (its tag agentctl:project)")
            skipped.append(f"{name}: managed by another agentctl project ({owner!r})")
            continue
        if names is None and name in project.agents and not force:
            skipped.append(f"{name}: already has a spec "
                           f"({_rel(ctx, project.agents[name].source)}); "
                           "--force rewrites it")
            continue
        chosen[name] = agent

    alias_names = _alias_names(ctx, chosen, found)
    records = _recorded_tracks(ctx)
    env = project.environment
    variables = {**env.variables}
    out = []
    for name, agent in chosen.items():
        if name in project.agents and not explicit_dir:
            spec_path = _rel(ctx, project.agents[name].source)
        else:
            spec_path = posixpath.join(spec_dir, f"{name}.yaml") if spec_dir else f"{name}.yaml"
        out.append(importer.import_agent(
            agent, spec_path=spec_path, variables=variables, region=env.region,
            account=env.account, alias_names=alias_names, recorded_tracks=records.get(name),
            spec_globs=globs))
    managed = {a.name: _owner(chosen[a.name]) == project.name for a in out}
    return ImportPlan(agents=tuple(out), skipped=tuple(skipped), managed=managed,
                      spec_dir=spec_dir)


def write(ctx: Context, plan: ImportPlan, *, force: bool = False) -> list[Path]:
    return importer.write_files(ctx.root, [f for a in plan.agents for f in a.files], force=force)


def unmatched_specs(ctx: Context, plan: ImportPlan, globs: Sequence[str]) -> list[str]:
    """Spec files just written that no ``agents:`` glob of agentctl.yaml picks up."""
    root = ctx.root.resolve()
    matched = {Path(m).resolve() for g in globs
               for m in globmod.glob(str(root / g), recursive=True)}
    return [a.spec for a in plan.agents if (root / a.spec).resolve() not in matched]


def _rel(ctx: Context, path: Path) -> str:
    return Path(path).resolve().relative_to(ctx.root.resolve()).as_posix()


def _alias_names(ctx: Context, chosen: Mapping[str, LiveAgent],
                 found: Mapping[str, live_mod.AgentRef]) -> dict[str, tuple[str, str]]:
    """Alias ARN -> (agent, alias) for every collaborator of ``chosen`` whose alias belongs to
    an agent that will have a spec in the project (imported now, or specified already): those
    are written as ``agent`` + ``alias``, so apply wires them by name."""
    by_id = {r.agent_id: r.name for r in found.values()}
    out: dict[str, tuple[str, str]] = {}
    looked_up: dict[str, dict[str, str]] = {}
    for agent in chosen.values():
        for c in agent.config.collaborators.values():
            arn = str((c.get("agentDescriptor") or {}).get("aliasArn") or "")
            _, _, tail = arn.partition(":agent-alias/")
            agent_id, _, alias_id = tail.partition("/")
            other = by_id.get(agent_id)
            if other is None:
                continue
            if other in chosen:
                names = {a.alias_id: a.name for a in chosen[other].aliases.values()}
            elif other in ctx.project.agents:
                if agent_id not in looked_up:
                    looked_up[agent_id] = live_mod.alias_names_by_id(ctx.clients, agent_id)
                names = looked_up[agent_id]
            else:
                continue
            if alias_id in names:
                out[arn] = (other, names[alias_id])
    return out


def _recorded_tracks(ctx: Context) -> dict[str, dict[str, str]]:
    """agent -> alias -> track from the configuration agentctl last applied in this
    environment (``.agentctl/last-applied.json``), the one place the choice is recorded."""
    from agentctl.apply import last_applied

    out: dict[str, dict[str, str]] = {}
    for name, entry in last_applied.for_environment(ctx.root, ctx.env_name).items():
        aliases: Any = (entry.get("configuration") or {}).get("aliases") or {}
        if isinstance(aliases, dict):
            out[name] = {str(k): str(a.get("track") or "pinned") for k, a in aliases.items()
                         if isinstance(a, dict)}
    return out
