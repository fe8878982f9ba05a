"""Load and validate eval suite files into frozen ``Suite`` values.

A suite is YAML (or JSON) checked against ``specs/eval-suite.schema.json`` with the same loader
and message rewriting as agent specs (``agentctl.spec.yamlload`` / ``agentctl.spec.schema``), so
every problem has file:line:col. Checks the schema cannot express follow: case names unique, a
call names a function or an API path (not both), regular expressions compile, the suite's agent
is an agent of the project, a knowledge-base id the agent does not have.

The suite digest (``Suite.digest``) is a SHA-256 of the parsed document in canonical JSON:
comments and formatting do not change it, any expectation does. The gate compares it with the
digest recorded by a run, so a run of an older suite does not count for the current one.

Must not: run anything, touch AWS, or print; every failure is a ``Problem`` (``SpecInvalid``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from agentctl.core.model import digest
from agentctl.spec.paths import files_inside
from agentctl.errors import Location, Problem, SpecInvalid
from agentctl.spec.eval_schema import NAME as SCHEMA_NAME
from agentctl.spec import schema as spec_schema
from agentctl.spec.resolve import Variables, interpolate
from agentctl.spec.yamlload import PathT, PositionMap, YamlFailure, load_file, render_path

DEFAULT_SUITE_GLOBS = ("evals/*.yaml",)


# ------------------------------------------------------------------------------ the model

@dataclass(frozen=True)
class Matcher:
    """One value matcher: ``kind`` is equals / regex / any / absent / contains."""

    kind: str
    value: Any = None

    def describe(self) -> str:
        if self.kind == "equals":
            return repr(_text(self.value))
        if self.kind == "regex":
            return f"/{self.value}/"
        if self.kind == "contains":
            return f"~{self.value!r}"
        return f"<{self.kind}>"


@dataclass(frozen=True)
class CallSpec:
    """An expected action-group call (or returned call)."""

    action_group: str
    function: str | None = None
    api_path: str | None = None
    http_method: str | None = None
    parameters: Mapping[str, Matcher] = field(default_factory=dict)

    @property
    def tool(self) -> str:
        """``OrderTools.get_order_status`` / ``OrderApi GET /orders/{order_id}/eta``."""
        if self.function:
            return f"{self.action_group}.{self.function}"
        method = f"{self.http_method.upper()} " if self.http_method else ""
        return f"{self.action_group} {method}{self.api_path or '?'}"

    def describe(self) -> str:
        args = ", ".join(f"{k}={m.describe()}" for k, m in sorted(self.parameters.items()))
        return f"{self.tool}({args})"


@dataclass(frozen=True)
class KbSpec:
    knowledge_base_id: str | None = None
    query: Matcher | None = None
    min_references: int | None = None
    reference_contains: str | None = None

    def describe(self) -> str:
        parts = [f"kb={self.knowledge_base_id or '*'}"]
        if self.query is not None:
            parts.append(f"query={self.query.describe()}")
        if self.min_references is not None:
            parts.append(f">={self.min_references} reference(s)")
        if self.reference_contains:
            parts.append(f"reference ~{self.reference_contains!r}")
        return "lookup(" + ", ".join(parts) + ")"


@dataclass(frozen=True)
class Expect:
    """Expectations on one turn. ``None`` means "not checked"."""

    tool_order: str | None = None
    tool_calls: tuple[CallSpec, ...] | None = None
    knowledge_base: tuple[KbSpec, ...] | None = None
    no_knowledge_base: bool = False
    return_control: tuple[CallSpec, ...] | None = None
    answer_contains: tuple[str, ...] = ()
    answer_matches: tuple[str, ...] = ()
    answer_not_contains: tuple[str, ...] = ()
    max_steps: int | None = None
    no_failure: bool = True
    no_guardrail_intervention: bool = True
    judge: str | None = None


@dataclass(frozen=True)
class RocPreset:
    """A result the case posts back for one returned call (instead of the spec's handler)."""

    action_group: str
    body: str
    function: str | None = None
    api_path: str | None = None
    http_method: str | None = None
    response_state: str | None = None
    http_status_code: int | None = None


@dataclass(frozen=True)
class Turn:
    input: str
    expect: Expect
    session_attributes: Mapping[str, str] = field(default_factory=dict)
    prompt_session_attributes: Mapping[str, str] = field(default_factory=dict)
    new_session: bool = False
    end_session: bool = False
    roc_results: tuple[RocPreset, ...] | None = None
    """None: the spec's handlers answer returned calls."""
    confirm: bool | None = None
    """Answer to calls that need confirmation; None: such a call fails the turn."""
    location: Location | None = None


@dataclass(frozen=True)
class Case:
    name: str
    turns: tuple[Turn, ...]
    description: str | None = None
    memory_id: str | None = None
    tags: tuple[str, ...] = ()
    location: Location | None = None


@dataclass(frozen=True)
class Suite:
    name: str
    path: Path
    """Absolute path of the suite file."""
    display: str
    """The path as shown to the user (relative to the project)."""
    digest: str
    cases: tuple[Case, ...]
    agent: str | None = None
    description: str | None = None


# ------------------------------------------------------------------------------- loading

def load_suite(path: Path, *, display: str | None = None, agents: Mapping[str, Any] | None = None,
               variables: Variables | None = None) -> Suite:
    """Load and validate one suite. ``agents``: agent name -> ``AgentConfig`` of the project
    (checks the suite's agent and knowledge-base ids), or None; ``variables``: what
    ``${var.X}`` / ``${env.X}`` resolve to (``variables_of(project)``), or None to leave them.
    Raises ``SpecInvalid``."""
    suite, problems = check_suite(path, display=display, agents=agents, variables=variables)
    if suite is None or any(p.severity == "error" for p in problems):
        raise SpecInvalid(problems)
    return suite


def check_suite(path: Path, *, display: str | None = None, agents: Mapping[str, Any] | None = None,
                variables: Variables | None = None) -> tuple[Suite | None, list[Problem]]:
    """The suite (None when it cannot be built) and every problem found."""
    shown = display or str(path)
    try:
        loaded = load_file(path, display=shown)
    except YamlFailure as e:
        return None, list(e.problems)
    doc, pos = loaded.value, loaded.positions
    if not isinstance(doc, dict):
        return None, [Problem(pos.value(()), "", "an eval suite must be a mapping with `cases:`"
                              + (" (the file is empty)" if doc is None else ""),
                              "eval.not-mapping", hint="see docs/evals.md for the suite format")]
    problems: list[Problem] = []
    if variables is not None:
        # The environment's ${var.X} (e.g. a knowledge-base id that differs per environment), as
        # in agent specs; the digest is of the interpolated suite, what was really checked.
        doc = interpolate(doc, pos, variables, problems)
    problems.extend(spec_schema.validate(SCHEMA_NAME, doc, pos))
    if any(p.severity == "error" for p in problems):
        return None, problems
    problems.extend(_semantic_problems(doc, pos, agents))
    if any(p.severity == "error" for p in problems):
        return None, problems
    return _build(doc, pos, Path(path).resolve(), shown), problems


def expand_suite_globs(root: Path, patterns: Iterable[str]) -> list[Path]:
    """Suite files matching ``patterns`` (relative to ``root``), sorted, inside ``root`` only."""
    return files_inside(root, patterns)


def display_path(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)


def suite_digest(doc: Any) -> str:
    return digest(doc)


# ---------------------------------------------------------------------- semantic checks

def _semantic_problems(doc: Mapping[str, Any], pos: PositionMap,
                       agents: Mapping[str, Any] | None) -> list[Problem]:
    out: list[Problem] = []
    agent = doc.get("agent")
    cfg = None
    if agents is not None and agent is not None:
        if agent not in agents:
            # A warning: a suite may outlive its agent's spec for a while (removed, then
            # pruned); `agentctl eval --agent` simply never selects it.
            out.append(Problem(pos.value(("agent",)), "agent",
                               f"agent {agent!r} is no agent of this project", "eval.unknown-agent",
                               hint=f"agents: {', '.join(sorted(agents)) or 'none'}",
                               severity="warning"))
        else:
            cfg = agents[agent]
    seen: dict[str, Location] = {}
    for i, case in enumerate(doc.get("cases") or ()):
        name = case.get("name")
        where = pos.value(("cases", i, "name"))
        if name in seen:
            out.append(Problem(where, f"cases[{i}].name",
                               f"case name {name!r} is used twice (first at line "
                               f"{seen[name].line})", "eval.duplicate-case",
                               hint="case names identify results in reports and records; "
                                    "make them unique"))
        seen.setdefault(name, where)
        for t, turn in enumerate(case.get("turns") or ()):
            base: PathT = ("cases", i, "turns", t)
            out.extend(_expect_problems(turn.get("expect") or {}, pos, base + ("expect",), cfg))
            roc = turn.get("returnControl")
            if isinstance(roc, list):
                for r, res in enumerate(roc):
                    out.extend(_call_target_problems(res, pos, base + ("returnControl", r)))
    out.extend(_expect_problems(doc.get("defaults") or {}, pos, ("defaults",), cfg))
    return out


def _expect_problems(expect: Mapping[str, Any], pos: PositionMap, base: PathT,
                     cfg: Any) -> list[Problem]:
    out: list[Problem] = []
    tools = expect.get("toolCalls") or {}
    calls = [("toolCalls", "calls", j, c) for j, c in enumerate(tools.get("calls") or ())]
    calls += [("returnControl", None, j, c) for j, c in enumerate(expect.get("returnControl") or ())]
    for key, sub, j, call in calls:
        path = base + ((key, sub, j) if sub else (key, j))
        out.extend(_call_target_problems(call, pos, path))
        for pname, m in (call.get("parameters") or {}).items():
            out.extend(_regex_problems(m, pos, path + ("parameters", pname)))
        if cfg is not None:
            out.extend(_call_vs_agent(call, pos, path, cfg))
    for j, kb in enumerate(expect.get("knowledgeBase") or ()):
        path = base + ("knowledgeBase", j)
        if "query" in kb:
            out.extend(_regex_problems(kb["query"], pos, path + ("query",)))
        kid = kb.get("knowledgeBaseId")
        if cfg is not None and kid is not None and kid not in cfg.knowledge_bases:
            out.append(Problem(pos.value(path + ("knowledgeBaseId",)),
                               render_path(path + ("knowledgeBaseId",)),
                               f"the agent has no knowledge base {kid!r}", "eval.unknown-kb",
                               hint="its knowledge bases: "
                                    + (", ".join(sorted(cfg.knowledge_bases)) or "none"),
                               severity="warning"))
    if expect.get("noKnowledgeBase") and expect.get("knowledgeBase"):
        out.append(Problem(pos.key(base + ("noKnowledgeBase",)),
                           render_path(base + ("noKnowledgeBase",)),
                           "noKnowledgeBase contradicts the knowledgeBase lookups expected",
                           "eval.contradiction", hint="keep one of them"))
    answer = expect.get("answer") or {}
    for j, pattern in enumerate(_as_list(answer.get("matches"))):
        path = base + ("answer", "matches") + ((j,) if isinstance(answer.get("matches"), list) else ())
        out.extend(_compile_problem(pattern, pos, path))
    return out


def _call_target_problems(call: Mapping[str, Any], pos: PositionMap, path: PathT) -> list[Problem]:
    has_fn, has_api = "function" in call, "apiPath" in call
    if has_fn == has_api:
        what = "both function and apiPath" if has_fn else "neither function nor apiPath"
        return [Problem(pos.value(path), render_path(path), f"the call names {what}",
                        "eval.call-target",
                        hint="give `function` for function-schema groups, `apiPath` (and "
                             "`httpMethod`) for OpenAPI groups")]
    if has_fn and "httpMethod" in call:
        return [Problem(pos.key(path + ("httpMethod",)), render_path(path + ("httpMethod",)),
                        "httpMethod applies to apiPath calls only", "eval.call-target")]
    return []


def _call_vs_agent(call: Mapping[str, Any], pos: PositionMap, path: PathT, cfg: Any) -> list[Problem]:
    """Warn about a call the agent's spec cannot make (a typo in a suite otherwise reads as a
    failing agent). A warning, not an error: a suite may check that a renamed tool is gone."""
    groups = cfg.action_groups
    group = call.get("actionGroup")
    if group not in groups:
        return [Problem(pos.value(path + ("actionGroup",)), render_path(path + ("actionGroup",)),
                        f"the agent has no action group {group!r}", "eval.unknown-tool",
                        hint="its action groups: " + (", ".join(sorted(groups)) or "none"),
                        severity="warning")]
    fn = call.get("function")
    if fn is not None:
        names = [f.get("name") for f in ((groups[group].get("functionSchema") or {})
                                         .get("functions") or ())]
        if fn not in names:
            return [Problem(pos.value(path + ("function",)), render_path(path + ("function",)),
                            f"action group {group!r} has no function {fn!r}", "eval.unknown-tool",
                            hint="its functions: " + (", ".join(str(n) for n in names) or "none"),
                            severity="warning")]
    return []


def _regex_problems(m: Any, pos: PositionMap, path: PathT) -> list[Problem]:
    if isinstance(m, dict) and "regex" in m:
        return _compile_problem(m["regex"], pos, path + ("regex",))
    return []


def _compile_problem(pattern: Any, pos: PositionMap, path: PathT) -> list[Problem]:
    try:
        re.compile(str(pattern))
    except re.error as e:
        return [Problem(pos.value(path), render_path(path),
                        f"invalid regular expression {pattern!r}: {e}", "eval.regex",
                        hint="Python `re` syntax; escape literal characters such as . ? ( with \\")]
    return []


# ------------------------------------------------------------------------------ building

def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _text(value: Any) -> str:
    # Bedrock sends every parameter value as a string; YAML `true` / `5` compare as Bedrock
    # would render them ("true", "5").
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def matcher_of(raw: Any) -> Matcher:
    if isinstance(raw, dict):
        ((kind, value),) = raw.items()
        return Matcher(kind, _text(value) if kind in ("equals", "regex", "contains") else None)
    return Matcher("equals", _text(raw))


def _call(raw: Mapping[str, Any]) -> CallSpec:
    return CallSpec(action_group=raw["actionGroup"], function=raw.get("function"),
                    api_path=raw.get("apiPath"), http_method=raw.get("httpMethod"),
                    parameters={str(k): matcher_of(v)
                                for k, v in (raw.get("parameters") or {}).items()})


def expect_from(raw: Mapping[str, Any], defaults: Mapping[str, Any]) -> Expect:
    """The ``Expect`` of one turn: its own ``expect`` mapping over the suite's ``defaults``."""
    # A turn's own expectation replaces the default of the same key (no deep merge: a turn that
    # lists tool calls means exactly those).
    merged = {**defaults, **raw}
    tools = merged.get("toolCalls")
    kb = merged.get("knowledgeBase")
    roc = merged.get("returnControl")
    answer = merged.get("answer") or {}
    return Expect(
        tool_order=(tools.get("order") or "in_order") if tools is not None else None,
        tool_calls=tuple(_call(c) for c in tools.get("calls") or ()) if tools is not None else None,
        knowledge_base=tuple(KbSpec(knowledge_base_id=k.get("knowledgeBaseId"),
                                    query=matcher_of(k["query"]) if "query" in k else None,
                                    min_references=k.get("minReferences"),
                                    reference_contains=k.get("referenceContains"))
                             for k in kb) if kb is not None else None,
        no_knowledge_base=bool(merged.get("noKnowledgeBase", False)),
        return_control=tuple(_call(c) for c in roc) if roc is not None else None,
        answer_contains=tuple(_as_list(answer.get("contains"))),
        answer_matches=tuple(_as_list(answer.get("matches"))),
        answer_not_contains=tuple(_as_list(answer.get("notContains"))),
        max_steps=merged.get("maxSteps"),
        no_failure=bool(merged.get("noFailure", True)),
        no_guardrail_intervention=bool(merged.get("noGuardrailIntervention", True)),
        judge=merged.get("judge"),
    )


def _attrs(raw: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(k): _text(v) for k, v in (raw or {}).items()}


def _build(doc: Mapping[str, Any], pos: PositionMap, path: Path, shown: str) -> Suite:
    defaults = doc.get("defaults") or {}
    cases = []
    for i, c in enumerate(doc["cases"]):
        turns = []
        for t, raw in enumerate(c["turns"]):
            roc = raw.get("returnControl")
            presets = None
            if isinstance(roc, list):
                presets = tuple(RocPreset(action_group=r["actionGroup"], body=r["body"],
                                          function=r.get("function"), api_path=r.get("apiPath"),
                                          http_method=r.get("httpMethod"),
                                          response_state=r.get("responseState"),
                                          http_status_code=r.get("httpStatusCode"))
                                for r in roc)
            turns.append(Turn(
                input=raw["input"], expect=expect_from(raw.get("expect") or {}, defaults),
                session_attributes=_attrs(raw.get("sessionAttributes")),
                prompt_session_attributes=_attrs(raw.get("promptSessionAttributes")),
                new_session=bool(raw.get("newSession", False)),
                end_session=bool(raw.get("endSession", False)),
                roc_results=presets, confirm=raw.get("confirm"),
                location=pos.value(("cases", i, "turns", t))))
        cases.append(Case(name=c["name"], turns=tuple(turns), description=c.get("description"),
                          memory_id=c.get("memoryId"), tags=tuple(c.get("tags") or ()),
                          location=pos.value(("cases", i))))
    return Suite(name=doc.get("suite") or path.stem, path=path, display=shown,
                 digest=suite_digest(doc), cases=tuple(cases), agent=doc.get("agent"),
                 description=doc.get("description"))


def variables_of(project: Any, environ: Mapping[str, str] | None = None) -> Variables:
    """The ``${var.X}`` / ``${env.X}`` values of the project's selected environment, as agent
    specs see them (the built-ins project, environment, region, account included)."""
    import os

    env = project.environment
    builtins = {"project": project.name, "environment": env.name, "region": env.region,
                "account": env.account}
    return Variables(var={**builtins, **dict(env.variables)},
                     env=dict(os.environ if environ is None else environ),
                     source=f"agentctl.yaml (environment {env.name!r})")


def load_suites(paths: Sequence[Path], root: Path, *, agents: Mapping[str, Any] | None = None,
                variables: Variables | None = None) -> list[Suite]:
    """Load several suites; every problem of every file is raised together."""
    suites, problems = [], []
    for p in paths:
        s, found = check_suite(p, display=display_path(p, root), agents=agents,
                               variables=variables)
        problems.extend(found)
        if s is not None:
            suites.append(s)
    if any(p.severity == "error" for p in problems):
        raise SpecInvalid(problems)
    return suites


def project_suite_files(project: Any) -> list[Path]:
    """Every suite file of the project: ``settings.evalSuites`` and every gate's suites."""
    root = Path(project.root)
    patterns = list(project.settings.eval_suites)
    for g in (project.settings.gates or {}).values():
        patterns.extend(g.suites)
    return expand_suite_globs(root, patterns)


def project_suite_problems(project: Any, only: Sequence[Path] | None = None) -> list[Problem]:
    """Problems of the project's suites (or of the suite files ``only``) and of its gates:
    a gate whose globs match no suite, a gate on an alias no agent has, a gate on a
    ``track: latest`` alias (apply moves it without the gate)."""
    root = Path(project.root)
    files = list(only) if only is not None else project_suite_files(project)
    out: list[Problem] = []
    for f in files:
        _, found = check_suite(f, display=display_path(f, root), agents=project.desired,
                               variables=variables_of(project))
        out.extend(found)
    if only is not None:
        return out
    where = project.file.name if getattr(project, "file", None) else "agentctl.yaml"
    for alias, g in sorted((project.settings.gates or {}).items()):
        path = f"settings.gates.{alias}"
        if not expand_suite_globs(root, g.suites):
            out.append(Problem(Location(where), path,
                               f"the gate of {alias} names no existing suite "
                               f"({', '.join(g.suites)})", "gate.no-suites",
                               hint="promote to this alias would always be refused; add a suite "
                                    "file or fix the glob (relative to agentctl.yaml)",
                               severity="warning"))
        having = {n: cfg.aliases[alias] for n, cfg in project.desired.items()
                  if alias in cfg.aliases}
        if not having:
            out.append(Problem(Location(where), path, f"no agent has an alias {alias!r}",
                               "gate.unknown-alias", hint="gates are keyed by alias name, e.g. "
                                                          "PROD", severity="warning"))
        for name, a in sorted(having.items()):
            if a.track == "latest":
                out.append(Problem(Location(where), path,
                                   f"{name}'s alias {alias} has `track: latest`: apply moves it "
                                   "to every new version without the eval gate",
                                   "gate.tracking-alias",
                                   hint="gate pinned aliases (moved only by promote), e.g. PROD",
                                   severity="warning"))
    return out
