"""Find, load and validate a project: ``agentctl.yaml``, its selected environment and every agent
spec it lists, into a ``Project`` whose ``desired`` map feeds the planner.

Steps: find ``agentctl.yaml`` from the start directory upward; parse and schema-check it; select
the environment (``-e/--env`` > ``AGENTCTL_ENV`` > ``defaultEnvironment`` > the only one);
expand the spec globs (relative to the project directory, sorted, no match is an error); for
each spec: load with positions, apply the environment's overlay, interpolate, resolve includes
(``resolve``), check the schema (``schema``) and Bedrock's rules (``rules``). Every problem of
every file is collected; ``SpecInvalid`` carries all of them (errors and warnings) at once.

Must not: touch AWS or the emulator, write files, or print; ``desired`` is a mapping only
(``mapping``), canonicalised later by ``agentctl.core.normalize``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import gc
import urllib.parse
import glob as globmod
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from agentctl.errors import Location, Problem, ProjectError, SpecInvalid, UsageError
from agentctl.core.model import AgentConfig
from agentctl.core import sensitive as sensitive_values
from agentctl.spec import mapping, rules, schema
from agentctl.spec.resolve import (
    IncludeContext,
    OpenApiDoc,
    Variables,
    deep_merge,
    display,
    interpolate,
    resolve_includes,
    sub_positions,
)
from agentctl.spec.yamlload import PathT, PositionMap, YamlFailure, load_file, render_path

PROJECT_FILE = "agentctl.yaml"
DEFAULT_VERSION_RETENTION = 5
ENV_VAR = "AGENTCTL_ENV"


@dataclass(frozen=True)
class StateBackend:
    """``backend:`` of an environment: where the lock and records live (``agentctl.locks``)."""

    type: str = "local"
    bucket: str | None = None
    prefix: str | None = None
    """Key prefix; filled in as ``agentctl/<project>/<environment>`` when not given."""
    region: str | None = None
    lock_expiry: int = 3600


@dataclass(frozen=True)
class Environment:
    name: str
    target: str
    """"local" (the emulator) or "aws"."""
    region: str
    account: str
    profile: str | None = None
    endpoint: str | None = None
    state_path: Path | None = None
    """Absolute path of the emulator database (local target only)."""
    variables: Mapping[str, Any] = field(default_factory=dict)
    world: Mapping[str, Any] = field(default_factory=lambda: {"knowledgeBases": [], "lambdas": []})
    """Local target only: ``{"knowledgeBases": [{id, name, description, documents}], "lambdas":
    [{arn, handler}]}``."""
    runtime: Mapping[str, Any] = field(default_factory=dict)
    """Local target only: ``{"model": {"provider": ..., ...}}`` (docs/local-runtime.md)."""
    backend: StateBackend = field(default_factory=StateBackend)
    sensitive: frozenset[str] = frozenset()
    """Names of the variables marked ``sensitive: true`` (never shown, sealed in saved plans)."""


@dataclass(frozen=True)
class Gate:
    """``settings.gates.<ALIAS>``: the eval suites (globs) and pass rate a version needs before
    ``agentctl promote`` routes that alias to it (``agentctl.eval.gate``)."""

    suites: tuple[str, ...]
    pass_rate: float = 1.0


@dataclass(frozen=True)
class Settings:
    version_retention: int = DEFAULT_VERSION_RETENTION
    gates: Mapping[str, Gate] = field(default_factory=dict)
    """Alias name -> its gate; aliases not listed are not gated."""
    eval_suites: tuple[str, ...] = ("evals/*.yaml",)
    """Globs of eval suite files (``settings.evalSuites``), for ``eval`` and ``validate``."""
    judge: Mapping[str, Any] | None = None
    """``settings.judge``: the judge model of judged eval criteria (``agentctl.eval.judge``)."""


@dataclass(frozen=True)
class AgentSpecDoc:
    """One resolved agent spec: overlay applied, interpolated, includes resolved."""

    name: str
    source: Path
    """Absolute path of the spec file."""
    doc: Mapping[str, Any]
    positions: PositionMap
    openapi: Mapping[int, OpenApiDoc] = field(default_factory=dict)
    """Parsed OpenAPI documents by action-group index (file or inline)."""

    def locate(self, path: PathT) -> Location:
        return self.positions.value(path)


@dataclass(frozen=True)
class Project:
    name: str
    root: Path
    environment: Environment
    settings: Settings
    agents: Mapping[str, AgentSpecDoc]
    desired: Mapping[str, AgentConfig]
    warnings: list[Problem]
    environments: tuple[str, ...] = ()
    file: Path | None = None


def find_project_file(start: Path) -> Path | None:
    start = start.resolve()
    if start.is_file():
        start = start.parent
    for directory in (start, *start.parents):
        candidate = directory / PROJECT_FILE
        if candidate.is_file():
            return candidate
    return None


@contextlib.contextmanager
def _no_collector_pauses() -> Iterator[None]:
    """The cyclic garbage collector paused while a project loads. Loading allocates hundreds of
    thousands of short-lived, acyclic values (freed by reference counting as they go); the
    collector's generational passes over everything else the process holds (botocore's model,
    the schemas) cost a third of ``validate``'s time for 200 specs and reclaim nothing here.
    It resumes, as it was, when the load returns or raises."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_project(start: Path, env: str | None = None, *, paths: list[Path] | None = None,
                 strict: bool = False, environ: Mapping[str, str] | None = None,
                 on_environment: Callable[[Environment, Path], None] | None = None) -> Project:
    """Load and validate the project found from ``start``. Raises ``ProjectError`` when there is
    no usable project / environment, ``SpecInvalid`` (every problem, errors and warnings) when any
    spec is invalid (or has warnings, with ``strict``). With ``paths``, only those spec files are
    checked and put in ``agents`` / ``desired`` (the rest of the project is still read, quietly,
    so collaborator references resolve). ``on_environment(environment, root)`` is called once the
    environment is known and valid, before the specs are read (``agentctl plan`` starts its first
    read-only calls then, apply/context.py)."""
    with _no_collector_pauses():
        return _load_project(start, env, paths=paths, strict=strict, environ=environ,
                             on_environment=on_environment)


def _load_project(start: Path, env: str | None, *, paths: list[Path] | None, strict: bool,
                  environ: Mapping[str, str] | None,
                  on_environment: Callable[[Environment, Path], None] | None) -> Project:
    environ = dict(os.environ if environ is None else environ)
    pfile = find_project_file(start)
    if pfile is None:
        raise ProjectError(f"no {PROJECT_FILE} found in {start.resolve()} or any parent directory",
                           hint=f"create one (see docs/spec-format.md), or point at a project with -C DIR")
    root = pfile.parent.resolve()
    ctx = IncludeContext(root=root, display_root=root)
    try:
        loaded = load_file(pfile, display=PROJECT_FILE)
    except YamlFailure as e:
        raise SpecInvalid(e.problems) from None
    data, ppos = loaded.value, loaded.positions
    if data is None:
        raise SpecInvalid([Problem(Location(PROJECT_FILE, 1, 1), "", f"{PROJECT_FILE} is empty", "project.empty",
                                   hint="write `project:`, `agents:` and `environments:` "
                                        "(see docs/spec-format.md)")])
    problems = schema.validate("project", data, ppos)
    if any(p.severity == "error" for p in problems):
        raise SpecInvalid(problems)

    envs = data["environments"]
    name = _select_env(env, environ, data, ppos)
    eraw = dict(envs[name])
    epath: PathT = ("environments", name)
    overlays = eraw.pop("overlays", None) or {}
    # ${env.NAME} works in the environment block (endpoint, variables, ...); ${var.X} does not.
    # Overlays are interpolated later, as part of each merged agent spec, with the variables.
    eraw = interpolate(eraw, sub_positions(ppos, epath), Variables(var={}, env=environ,
                                                                   source=PROJECT_FILE), problems)
    # interpolate reported paths relative to the environment: re-root them
    problems = [dataclasses.replace(p, path=render_path(epath) + ("." + p.path if p.path else ""))
                if p.code.startswith("interpolate.") else p for p in problems]
    if not problems:
        problems = schema.validate_environment(eraw, ppos, epath)
    if any(p.severity == "error" for p in problems):
        raise SpecInvalid(problems)
    environment = _environment(name, eraw, root, ppos, epath, problems, project=data["project"])
    if on_environment is not None and not any(p.severity == "error" for p in problems):
        on_environment(environment, root)
    settings = _settings(data.get("settings") or {})

    all_files = _expand_globs(data["agents"], root, ppos, problems)
    if paths:
        selected = _spec_files(paths, problems)
        files = list(dict.fromkeys(all_files + selected))
    else:
        selected = all_files
        files = all_files

    for var in sorted(environment.sensitive):
        # From here on the run never shows the value (agentctl.core.sensitive).
        sensitive_values.register(var, environment.variables[var])
    builtins = {"project": data["project"], "environment": name, "region": environment.region,
                "account": environment.account}
    variables = Variables(var={**builtins, **environment.variables}, env=environ,
                          source=f"{PROJECT_FILE} (environment {name!r})")
    docs, per_file = _load_specs(files, ctx, variables, overlays, ppos, epath + ("overlays",))

    # quiet files (not selected) contribute context only
    chosen = set(selected)
    for f in files:
        if f in chosen:
            problems.extend(per_file.get(f, []))
    specs = [d for d in docs if d.source in chosen]
    problems.extend(_check_specs(specs, docs, environment, per_file))
    if environment.target == "local" and environment.endpoint:
        problems.append(_served_world_note(environment, ppos, epath))

    if not paths:
        names = {d.name for d in docs}
        for agent in overlays:
            if agent not in names:
                close = difflib.get_close_matches(agent, sorted(names), n=1, cutoff=0.6)
                problems.append(Problem(ppos.key(epath + ("overlays", agent)),
                                        render_path(epath + ("overlays", agent)),
                                        f"overlay for {agent!r}, which is no agent of this project",
                                        "project.unknown-overlay",
                                        hint=f"did you mean {close[0]!r}?" if close else
                                        "rename it to an agent of the project, or remove it",
                                        severity="warning"))
    problems = finish(problems, strict)
    if any(p.severity == "error" for p in problems):
        raise SpecInvalid(problems)
    agents = {d.name: d for d in specs}
    desired = {d.name: mapping.to_config(d.doc, d.openapi) for d in specs}
    return Project(name=data["project"], root=root, environment=environment, settings=settings,
                   agents=agents, desired=desired, warnings=problems, environments=tuple(envs), file=pfile)


def _settings(raw: Mapping[str, Any]) -> Settings:
    gates = {str(alias): Gate(tuple(g["suites"]), float(g.get("passRate", 1.0)))
             for alias, g in (raw.get("gates") or {}).items()}
    suites = tuple(raw.get("evalSuites") or Settings.eval_suites)
    return Settings(int(raw.get("versionRetention", DEFAULT_VERSION_RETENTION)), gates, suites,
                    dict(raw["judge"]) if raw.get("judge") else None)


def environment_names(start: Path) -> list[str]:
    """The environments of the project found from ``start``, in the order ``agentctl.yaml``
    declares them (``--all-envs``). Raises like ``load_project`` when there is no usable project
    file (``ProjectError``, ``SpecInvalid``); the agent specs are not read."""
    pfile = find_project_file(start)
    if pfile is None:
        raise ProjectError(f"no {PROJECT_FILE} found in {start.resolve()} or any parent directory",
                           hint=f"create one (see docs/spec-format.md), or point at a project with -C DIR")
    try:
        loaded = load_file(pfile, display=PROJECT_FILE)
    except YamlFailure as e:
        raise SpecInvalid(e.problems) from None
    if loaded.value is None:
        raise SpecInvalid([Problem(Location(PROJECT_FILE, 1, 1), "", f"{PROJECT_FILE} is empty", "project.empty")])
    problems = schema.validate("project", loaded.value, loaded.positions)
    if any(p.severity == "error" for p in problems):
        raise SpecInvalid(problems)
    return list(loaded.value["environments"])


def project_identity(start: Path, env: str | None = None, *,
                     environ: Mapping[str, str] | None = None) -> tuple[str | None, str | None, str | None]:
    """(project name, environment name, root) read from the project file found from ``start``
    when that file itself loads and passes its schema, whatever the agent specs contain; None
    for each part that is not known. For reports of an invalid project (``validate``), which
    should still say which project they are about. Never raises for a bad project."""
    pfile = find_project_file(start)
    if pfile is None:
        return None, None, None
    try:
        loaded = load_file(pfile, display=PROJECT_FILE)
    except (YamlFailure, OSError):
        return None, None, None
    data = loaded.value
    if not isinstance(data, Mapping) or any(
            p.severity == "error" for p in schema.validate("project", data, loaded.positions)):
        return None, None, None
    try:
        env_name: str | None = _select_env(env, dict(os.environ if environ is None else environ),
                                           data, loaded.positions)
    except (ProjectError, SpecInvalid):
        env_name = None
    return str(data["project"]), env_name, str(pfile.parent.resolve())


def check_files(paths: list[Path], root: Path, *, strict: bool = False,
                environ: Mapping[str, str] | None = None) -> list[Problem]:
    """Validate agent spec files outside any project: no variables, no overlays, no world;
    collaborator references to other agents are not resolved. Includes must stay under ``root``."""
    with _no_collector_pauses():
        return _check_files(paths, root, strict=strict, environ=environ)


def _check_files(paths: list[Path], root: Path, *, strict: bool,
                 environ: Mapping[str, str] | None) -> list[Problem]:
    environ = dict(os.environ if environ is None else environ)
    root = root.resolve()
    ctx = IncludeContext(root=root, display_root=root)
    problems: list[Problem] = []
    files = _spec_files(paths, problems)
    variables = Variables(var={}, env=environ, source=f"a project's {PROJECT_FILE} (none found)")
    docs, per_file = _load_specs(files, ctx, variables, {}, PositionMap(), ())
    for f in files:
        problems.extend(per_file.get(f, []))
    problems.extend(_check_specs(docs, docs, None, per_file))
    return finish(problems, strict)


def finish(problems: list[Problem], strict: bool) -> list[Problem]:
    """Deduplicate, promote warnings under ``strict``, and sort by file and position."""
    seen: set[tuple[Any, ...]] = set()
    out = []
    for p in problems:
        if strict and p.severity == "warning":
            p = dataclasses.replace(p, severity="error")
        key = (p.location, p.path, p.code, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    out.sort(key=lambda p: (p.location.file, p.location.line, p.location.col, p.code))
    return out


# --- helpers -------------------------------------------------------------------------------------

def _spec_files(paths: list[Path], problems: list[Problem]) -> list[Path]:
    """Files named on the command line; a directory stands for its *.yaml / *.yml files."""
    out: list[Path] = []
    for p in paths:
        rp = (p if p.is_absolute() else Path.cwd() / p).resolve()
        if rp.is_dir():
            found = sorted(f for f in rp.iterdir() if f.suffix in (".yaml", ".yml") and f.is_file()
                           and f.name != PROJECT_FILE)
            if not found:
                problems.append(Problem(Location(str(p)), "", "no *.yaml spec files in this directory",
                                        "project.no-such-file"))
            out.extend(f for f in found if f not in out)
        elif rp.is_file():
            if rp not in out:
                out.append(rp)
        else:
            problems.append(Problem(Location(str(p)), "", "no such spec file", "project.no-such-file"))
    return out


def _select_env(explicit: str | None, environ: Mapping[str, str], data: Mapping[str, Any],
                ppos: PositionMap) -> str:
    envs = data["environments"]
    known = ", ".join(envs)
    default = data.get("defaultEnvironment")
    if default is not None and default not in envs:
        raise SpecInvalid([Problem(ppos.value(("defaultEnvironment",)), "defaultEnvironment",
                                   f"defaultEnvironment {default!r} is not defined under environments",
                                   "project.unknown-environment",
                                   hint=f"use one of the known environments: {known}")])
    for name, how in ((explicit, "-e/--env"), (environ.get(ENV_VAR) or None, ENV_VAR), (default, None)):
        if name is None:
            continue
        if name not in envs:
            close = difflib.get_close_matches(name, list(envs), n=1, cutoff=0.6)
            # Usage, not an invalid project (exitcodes.py): the name came from the invocation.
            raise UsageError(f"unknown environment {name!r} (from {how})",
                             hint=(f"did you mean {close[0]!r}? " if close else "")
                             + f"use one of the known environments: {known}")
        return name
    if len(envs) == 1:
        return next(iter(envs))
    raise UsageError("no environment selected", where=PROJECT_FILE,
                       hint=f"pass -e ENV, set {ENV_VAR}, or set defaultEnvironment; known environments: {known}")


def _environment(name: str, raw: Mapping[str, Any], root: Path, ppos: PositionMap, epath: PathT,
                 problems: list[Problem], project: str = "") -> Environment:
    target = raw["target"]
    if target != "local":
        for key in ("state", "world", "runtime"):
            if key in raw:
                problems.append(Problem(ppos.key(epath + (key,)), render_path(epath + (key,)),
                                        f"`{key}` applies only to the local target", "project.local-only",
                                        hint=f"remove it, or set `target: local`"))
    world_raw = raw.get("world") or {}
    world = {"knowledgeBases": [dict(k) for k in world_raw.get("knowledgeBases") or []],
             "lambdas": [dict(lam) for lam in world_raw.get("lambdas") or []]}
    state_path = None
    if target == "local":
        state_path = (root / (raw.get("state") or f".agentctl/{name}.db")).resolve()
    runtime = {k: dict(v) if isinstance(v, Mapping) else v for k, v in (raw.get("runtime") or {}).items()}
    if target == "local":
        _check_runtime_files(root, world, runtime, ppos, epath, problems)
    variables, sensitive = _variables(raw.get("variables") or {}, ppos, epath, problems)
    return Environment(name=name, target=target, region=raw["region"], account=str(raw["account"]),
                       profile=raw.get("profile"), endpoint=raw.get("endpoint"), state_path=state_path,
                       variables=variables, world=world, runtime=runtime,
                       backend=_backend(name, raw, project, ppos, epath, problems),
                       sensitive=sensitive)


def _variables(raw: Mapping[str, Any], ppos: PositionMap, epath: PathT,
               problems: list[Problem]) -> tuple[dict[str, Any], frozenset[str]]:
    """``variables:`` as name -> value, and the names marked ``sensitive: true`` (the schema
    has checked the shapes: a scalar, or ``{value, sensitive}``)."""
    values: dict[str, Any] = {}
    marked: set[str] = set()
    for name, v in raw.items():
        if isinstance(v, Mapping):
            values[name] = v.get("value")
            if v.get("sensitive") is True:
                marked.add(name)
                if len(str(values[name])) < sensitive_values.MIN_LENGTH:
                    vpath = epath + ("variables", name, "value")
                    problems.append(Problem(
                        ppos.value(vpath), render_path(vpath),
                        f"sensitive variable {name} is shorter than "
                        f"{sensitive_values.MIN_LENGTH} characters",
                        "project.sensitive-too-short",
                        hint="a value that short cannot be hidden in output without hiding every "
                             "word it occurs in; use a longer secret, or do not mark it sensitive"))
        else:
            values[name] = v
    return values, frozenset(marked)


def _check_runtime_files(root: Path, world: Mapping[str, Any], runtime: Mapping[str, Any], ppos: PositionMap,
                         epath: PathT, problems: list[Problem]) -> None:
    """The local runtime's files must exist inside the project: the scripted model file and the
    knowledge bases' documents (the runtime reads nothing outside the project directory)."""
    model = runtime.get("model") or {}
    needs = {"scripted": ("file",), "openai-compatible": ("baseUrl", "model")}.get(model.get("provider"), ())
    for key in needs:
        if not model.get(key):
            path = epath + ("runtime", "model")
            problems.append(Problem(ppos.value(path), render_path(path),
                                    f"provider {model.get('provider')} needs `{key}`", "project.runtime-model",
                                    hint=f"add `{key}:` under runtime.model (docs/local-runtime.md lists each provider's settings)"))
    if model.get("provider") == "scripted" and isinstance(model.get("file"), str):
        path = epath + ("runtime", "model", "file")
        f = (root / model["file"]).resolve()
        if not f.is_relative_to(root):
            problems.append(Problem(ppos.value(path), render_path(path), "the scripted model file is outside "
                                    "the project directory", "project.outside", hint="move it under agentctl.yaml's directory"))
        elif not f.is_file():
            problems.append(Problem(ppos.value(path), render_path(path), f"no such file: {model['file']}",
                                    "project.no-such-file", hint="fix the path: it is relative to agentctl.yaml"))
    for i, kb in enumerate(world.get("knowledgeBases") or []):
        for j, pattern in enumerate(kb.get("documents") or []):
            if not isinstance(pattern, str):
                continue
            path = epath + ("world", "knowledgeBases", i, "documents", j)
            matches = [Path(m).resolve() for m in globmod.glob(str(root / pattern), recursive=True)]
            if any(not m.is_relative_to(root) for m in matches):
                problems.append(Problem(ppos.value(path), render_path(path), f"{pattern!r} matches files outside "
                                        "the project directory", "project.outside",
                                        hint="move the documents under agentctl.yaml's directory"))
            elif not any(m.is_file() for m in matches):
                problems.append(Problem(ppos.value(path), render_path(path), f"{pattern!r} matches no file",
                                        "project.no-such-file", hint="fix the path or glob: it is relative to agentctl.yaml"))


def _backend(name: str, raw: Mapping[str, Any], project: str, ppos: PositionMap, epath: PathT,
             problems: list[Problem]) -> StateBackend:
    b = raw.get("backend") or {}
    kind = b.get("type", "local")
    bpath = epath + ("backend",)
    if kind == "local":
        extra = [k for k in ("bucket", "prefix", "region", "lockExpiry") if k in b]
        for k in extra:
            problems.append(Problem(ppos.key(bpath + (k,)), render_path(bpath + (k,)),
                                    f"`{k}` applies only to `type: s3`", "project.backend-local",
                                    hint="remove it, or set `type: s3`"))
        return StateBackend()
    if not b.get("bucket"):
        problems.append(Problem(ppos.key(bpath + ("type",)), render_path(bpath),
                                "the s3 backend needs a bucket", "project.backend-bucket",
                                hint="add `bucket: NAME` (an existing S3 bucket the pipeline's "
                                     "role can read and write)"))
    return StateBackend(type="s3", bucket=b.get("bucket"),
                        prefix=str(b.get("prefix") or f"agentctl/{project}/{name}").strip("/"),
                        region=b.get("region") or raw["region"],
                        lock_expiry=int(b.get("lockExpiry") or 3600))


def _served_world_note(environment: Environment, ppos: PositionMap, epath: PathT) -> Problem:
    """The note that validate did not check knowledge bases and Lambdas against ``world:``
    because the environment's ``endpoint:`` points at a served emulator (issue 12 item 8)."""
    try:
        port = urllib.parse.urlsplit(str(environment.endpoint)).port
    except ValueError:
        port = None
    port = f" --port {port}" if port else ""
    return Problem(
        ppos.key(epath + ("endpoint",)), render_path(epath + ("endpoint",)),
        f"knowledge bases and Lambda executors are not checked against `world:`: environment "
        f"{environment.name!r} uses the emulator served at {environment.endpoint}, which has the "
        "knowledge bases and Lambdas it was started with; their ids and ARNs are still checked "
        "for form, and a missing knowledge base is reported by `apply` from the target",
        "world.not-checked", severity="note",
        hint=f"start the server with `agentctl emulator serve -e {environment.name}{port}` to "
             "seed this `world:` into it, or remove `endpoint:` to use the embedded emulator")


def _expand_globs(patterns: list[str], root: Path, ppos: PositionMap, problems: list[Problem]) -> list[Path]:
    files: list[Path] = []
    listed: set[Path] = set()
    for i, pattern in enumerate(patterns):
        matches = sorted(Path(m).resolve() for m in globmod.glob(str(root / pattern), recursive=True)
                         if Path(m).is_file())
        inside = [m for m in matches if m.is_relative_to(root)]
        if len(inside) < len(matches):
            problems.append(Problem(ppos.value(("agents", i)), f"agents[{i}]",
                                    f"glob {pattern!r} matches files outside the project directory",
                                    "project.glob-outside",
                                    hint=f"move the specs under {PROJECT_FILE}'s directory, or fix the glob"))
        if not matches:  # (matches only outside the project: reported once, just above)
            # A warning, not an error: a project may shrink to no agents (delete the last spec,
            # then `plan --prune` removes its agent). A mistyped glob still shows, and is an
            # error with --strict.
            problems.append(Problem(ppos.value(("agents", i)), f"agents[{i}]", f"glob {pattern!r} matches no file",
                                    "project.glob-no-match",
                                    hint=f"globs are relative to {PROJECT_FILE}'s directory; fix the "
                                         "pattern, or remove it if the project has no such specs "
                                         "any more", severity="warning"))
        for m in inside:
            if m not in listed:  # a set: a list's `in` made 200 specs cost 20,000 comparisons
                listed.add(m)
                files.append(m)
    return files


def _load_specs(files: list[Path], ctx: IncludeContext, variables: Variables, overlays: Mapping[str, Any],
                ppos: PositionMap, overlay_base: PathT) -> tuple[list[AgentSpecDoc], dict[Path, list[Problem]]]:
    docs: list[AgentSpecDoc] = []
    per_file: dict[Path, list[Problem]] = {}
    for f in files:
        problems: list[Problem] = per_file.setdefault(f, [])
        shown = display(f, ctx)
        try:
            loaded = load_file(f, display=shown)
        except YamlFailure as e:
            problems.extend(e.problems)
            continue
        doc, positions = loaded.value, loaded.positions
        if not isinstance(doc, dict):
            problems.append(Problem(positions.value(()), "", "an agent spec must be a mapping of keys"
                                    + (" (the file is empty)" if doc is None else ""), "spec.not-mapping",
                                    hint="write the agent's keys (name, model, instruction, role, "
                                         "...; see docs/spec-format.md)"))
            continue
        name = doc.get("name")
        if isinstance(name, str) and isinstance(overlays.get(name), dict):
            doc = deep_merge(doc, overlays[name], positions, sub_positions(ppos, overlay_base + (name,)))
        doc = interpolate(doc, positions, variables, problems)
        problems.extend(schema.validate("agent", doc, positions))
        doc, openapi = resolve_includes(doc, f, positions, ctx, problems)
        docs.append(AgentSpecDoc(name=name if isinstance(name, str) else f.stem, source=f, doc=doc,
                                 positions=positions, openapi=openapi))
    return docs, per_file


def _aliases_of(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    aliases = doc.get("aliases")
    if not isinstance(aliases, list):
        return []
    return [a for a in aliases if isinstance(a, dict) and isinstance(a.get("name"), str)]


def _check_specs(specs: list[AgentSpecDoc], all_docs: list[AgentSpecDoc], environment: Environment | None,
                 per_file: Mapping[Path, list[Problem]]) -> list[Problem]:
    out: list[Problem] = []
    seen: dict[str, AgentSpecDoc] = {}
    for d in all_docs:
        if d.name in seen and d in specs:
            first = seen[d.name].positions.value(("name",))
            out.append(Problem(d.positions.value(("name",)), "name",
                               f"agent {d.name!r} is also defined in {first.file}", "unique.agent",
                               hint=f"rename one of them: agent names are unique per account "
                                    f"and region (first at {first})"))
        seen.setdefault(d.name, d)
    agents = {d.name: frozenset(a["name"] for a in _aliases_of(d.doc)) for d in all_docs} \
        if environment is not None else {}
    ctx = rules.Context(agents=agents)
    if environment is not None and environment.target == "local" and environment.endpoint:
        # A served emulator (``endpoint:``) has the knowledge bases and Lambdas it was started
        # with, not this file's ``world:`` (agentctl seeds ``world:`` only into the embedded
        # emulator): nothing offline says what exists there (see ``_served_world_note``).
        ctx = rules.Context(agents=agents, target=environment.target)
    elif environment is not None:
        world = environment.world
        ctx = rules.Context(
            agents=agents, target=environment.target,
            world_knowledge_bases=frozenset(k.get("id") for k in world.get("knowledgeBases") or []),
            world_lambdas=frozenset(lam.get("arn") for lam in world.get("lambdas") or []))
    for d in specs:
        earlier = per_file.get(d.source, [])
        bad_paths = {p.path for p in earlier if p.severity == "error"}
        broken = any(p.code.startswith("schema.") for p in earlier if p.severity == "error")
        try:
            found = rules.check(d.doc, d.positions, d.openapi, ctx)
        except (TypeError, AttributeError, KeyError, ValueError):
            if not broken:
                raise
            continue  # the schema problems already explain why this document cannot be checked
        for p in found:
            # The schema already reported this value: do not say it twice in other words.
            if p.path in bad_paths or any(p.path.startswith(b + ".") or p.path.startswith(b + "[")
                                          for b in bad_paths if b):
                continue
            out.append(p)
    return out
