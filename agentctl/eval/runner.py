"""Run eval suites against one exact agent version.

``resolve_target`` turns ``--alias NAME`` / ``--version N`` into a version number *once*, before
the first case, with that version's content digest, and into the alias id every InvokeAgent call
of the run uses: an agentctl-owned candidate alias routed to that version
(``agentctl.runtime.target.resolve_invoke_target``), never the named alias itself, so an
``apply`` or ``promote`` that moves STAGING during the run does not mix two versions into one
result.

``run_suites`` runs every (suite, case, attempt) with bounded parallelism; the turns of one case
run in order in one session (a fresh session id per case and attempt; ``newSession`` starts
another one; a case's ``memoryId`` is scoped to the run and attempt, so repeated or concurrent
runs never read each other's memory). Each turn goes through an injected ``invoke`` function
(``runtime_invoker`` in production: ``agentctl.runtime.session.run_turn``), so the runner is
tested with hand-built TurnResults.

Must not: print (progress goes to a callback), write records (``run_eval`` asks ``records``), or
decide the gate.
"""

from __future__ import annotations

import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from agentctl.core.threads import abandoning_pool
from agentctl.errors import AgentctlError, UsageError
from agentctl.eval import records
from agentctl.eval.matchers import Judge, TurnOutcome, check_turn
from agentctl.eval.results import CaseAttempt, CaseResult, EvalReport, EvalTarget, SuiteRun
from agentctl.eval.suite import (
    Case,
    RocPreset,
    Suite,
    expand_suite_globs,
    load_suites,
    variables_of,
)

Progress = Callable[[str], None]
DEFAULT_PARALLEL = 4
MAX_PARALLEL = 16


@dataclass(frozen=True)
class TurnRequest:
    """One turn to run: what ``invoke`` needs to call ``run_turn``."""

    session_id: str
    text: str
    session_attributes: Mapping[str, str] = field(default_factory=dict)
    prompt_session_attributes: Mapping[str, str] = field(default_factory=dict)
    memory_id: str | None = None
    end_session: bool = False
    roc_results: tuple[RocPreset, ...] | None = None
    """None: the spec's handlers answer returned calls."""
    confirm: bool | None = None


Invoke = Callable[[TurnRequest], Any]
"""``invoke(request) -> TurnResult``; raises ``AgentctlError`` when the turn cannot run."""


# ------------------------------------------------------------------------------- running

def _session_id(run_id: str, suite_no: int, case_no: int, attempt: int, n: int) -> str:
    # InvokeAgent's sessionId pattern is [0-9a-zA-Z._:-]+, 2..100 characters.
    return f"eval-{run_id[:12]}-{suite_no}-{case_no}-{attempt}-{n}"


def _memory_id(memory_id: str | None, run_id: str, attempt: int) -> str | None:
    if memory_id is None:
        return None
    scoped = f"{memory_id}.{run_id[:8]}.{attempt}"
    return scoped[:100]


def run_case(case: Case, invoke: Invoke, *, run_id: str, suite_no: int, case_no: int,
             attempt: int, judge: Judge | None = None) -> CaseAttempt:
    started = time.monotonic()
    session_n = 0
    outcomes: list[TurnOutcome] = []
    history: list[tuple[str, Any]] = []
    for i, turn in enumerate(case.turns):
        if turn.new_session and i > 0:
            session_n += 1
        request = TurnRequest(
            session_id=_session_id(run_id, suite_no, case_no, attempt, session_n),
            text=turn.input, session_attributes=dict(turn.session_attributes),
            prompt_session_attributes=dict(turn.prompt_session_attributes),
            memory_id=_memory_id(case.memory_id, run_id, attempt),
            end_session=turn.end_session, roc_results=turn.roc_results,
            confirm=turn.confirm)
        try:
            result = invoke(request)
        except AgentctlError as e:
            return CaseAttempt(attempt, tuple(outcomes),
                               error=f"turn {i + 1} ({turn.input!r}) could not run: {e.message()}",
                               seconds=time.monotonic() - started)
        outcomes.append(check_turn(turn.expect, result, index=i, input_text=turn.input,
                                   judge=judge, history=history))
        history.append((turn.input, result))
        if turn.end_session:
            session_n += 1
    return CaseAttempt(attempt, tuple(outcomes), seconds=time.monotonic() - started)


def run_suites(suites: Sequence[Suite], invoke: Invoke, *, run_id: str, repeat: int = 1,
               parallel: int = DEFAULT_PARALLEL, threshold: float = 1.0,
               judge: Judge | None = None, progress: Progress | None = None
               ) -> tuple[SuiteRun, ...]:
    if repeat < 1:
        raise UsageError(f"--repeat must be at least 1 (got {repeat})")
    if not 1 <= parallel <= MAX_PARALLEL:
        raise UsageError(f"--parallel must be between 1 and {MAX_PARALLEL} (got {parallel})")
    if not 0.0 <= threshold <= 1.0:
        raise UsageError(f"--pass-rate must be between 0 and 1 (got {threshold})",
                         hint="e.g. --pass-rate 0.9 for 90% of the case runs")
    say = progress or (lambda line: None)
    jobs = [(s_no, c_no, a) for s_no, s in enumerate(suites) for c_no in range(len(s.cases))
            for a in range(1, repeat + 1)]
    results: dict[tuple[int, int, int], CaseAttempt] = {}

    def one(job: tuple[int, int, int]) -> None:
        s_no, c_no, a = job
        case = suites[s_no].cases[c_no]
        attempt = run_case(case, invoke, run_id=run_id, suite_no=s_no, case_no=c_no,
                           attempt=a, judge=judge)
        results[job] = attempt
        label = f"{case.name}" + (f" #{a}" if repeat > 1 else "")
        say(f"  {'PASS' if attempt.passed else 'FAIL'}  {suites[s_no].name}: {label} "
            f"({attempt.seconds:.1f}s)")

    if parallel == 1 or len(jobs) <= 1:
        for job in jobs:
            one(job)
    else:
        # Abandoned, not waited for, on Ctrl-C (core/threads.py): invocations change nothing.
        with abandoning_pool(parallel, thread_name_prefix="eval") as pool:
            # list(): re-raise the first unexpected exception of a job here.
            list(pool.map(one, jobs))
    out = []
    for s_no, s in enumerate(suites):
        cases = tuple(CaseResult(c.name, tuple(results[(s_no, c_no, a)]
                                               for a in range(1, repeat + 1)),
                                 description=c.description,
                                 location=str(c.location) if c.location else None)
                      for c_no, c in enumerate(s.cases))
        out.append(SuiteRun(s.name, s.display, s.digest, cases, threshold, repeat))
    return tuple(out)


# ---------------------------------------------------------------------------- the suites

def select_suites(project: Any, agent: str, paths: Sequence[Path] | None) -> list[Suite]:
    """The suites to run: the files named (a directory: its *.yaml), or the project's
    ``settings.evalSuites``; only suites for ``agent`` (or for any agent)."""
    root = Path(project.root)
    if paths:
        files: list[Path] = []
        for p in paths:
            p = p if p.is_absolute() else Path.cwd() / p
            if p.is_dir():
                files.extend(sorted(f.resolve() for f in p.iterdir()
                                    if f.suffix in (".yaml", ".yml") and f.is_file()))
            elif p.is_file():
                files.append(p.resolve())
            else:
                raise UsageError(f"no such eval suite: {p}",
                                 hint="name suite files or directories, or leave them out to run "
                                      "the project's settings.evalSuites")
        explicit = True
    else:
        files = expand_suite_globs(root, project.settings.eval_suites)
        explicit = False
    suites = load_suites(files, root, agents=project.desired, variables=variables_of(project))
    mine = [s for s in suites if s.agent in (None, agent)]
    if not mine:
        where = ", ".join(str(f) for f in files) if explicit else \
            ", ".join(project.settings.eval_suites)
        raise UsageError(f"no eval suite for agent {agent!r} ({where or 'no files'})",
                         hint="suites live in evals/*.yaml (settings.evalSuites); a suite's "
                              "`agent:` says which agent it is for (docs/evals.md)")
    return mine


# ------------------------------------------------------------------------ the target

def resolve_version(ctx: Any, agent_name: str, *, alias: str | None, version: str | None
                    ) -> tuple[str, str, str]:
    """(agent id, version number, content digest) of the version to evaluate: ``alias`` is
    read once, here; what it routes to later does not matter."""
    from agentctl.apply.promote import alias_of, owned_agent, resolve_promotion
    from agentctl.eval.gate import version_digest

    if (alias is None) == (version is None):
        raise UsageError("say which version to evaluate: --alias NAME or --version N",
                         hint="e.g. `agentctl eval --agent support-bot --alias STAGING`")
    agent = owned_agent(ctx, agent_name)
    if alias is not None:
        la = alias_of(agent, agent_name, alias)
        if la.routed_version is None:
            raise UsageError(f"alias {alias!r} of {agent_name!r} routes to no version")
        number = la.routed_version
    else:
        number = resolve_promotion(agent, agent_name, "the eval", version=version,
                                   from_alias=None)
    digest = version_digest(ctx, agent_name, agent, number)
    if digest is None:
        raise AgentctlError(f"version {number} of {agent_name!r} no longer exists",
                            where=f"agent.{agent_name}",
                            hint="`agentctl status` lists the versions that exist")
    return agent.agent_id, number, digest


@contextmanager
def pinned_alias(ctx: Any, agent_name: str, version: str,
                 progress: Progress | None = None) -> Iterator[str]:
    """The id of an alias routed to ``version`` for the whole run: runtime-client's candidate
    alias (``agentctl.runtime.target.invoke_target``), released afterwards."""
    from agentctl.runtime.target import invoke_target

    with invoke_target(ctx, agent_name, version=version, progress=progress) as t:
        yield t.alias_id


# -------------------------------------------------------------------------- production

def runtime_invoker(ctx: Any, agent_name: str, agent_id: str, alias_id: str) -> Invoke:
    """``invoke`` through ``agentctl.runtime.session.run_turn`` on ``alias_id``."""
    from agentctl.aws.runtime import make_runtime_client
    from agentctl.runtime import handlers
    from agentctl.runtime.session import run_turn

    client = make_runtime_client(ctx.project.environment, ctx.clients)
    spec = ctx.project.agents.get(agent_name)

    def invoke(req: TurnRequest) -> Any:
        confirmer = None if req.confirm is None else (lambda call, ok=req.confirm: ok)
        if req.roc_results is None:
            resolver: Any = handlers.SpecHandlers(ctx.project, spec, None, confirmer=confirmer)
        else:
            resolver = handlers.PresetResults(preset_table(req.roc_results),
                                              confirmer=confirmer)
        return run_turn(client, agent_id=agent_id, alias_id=alias_id,
                        session_id=req.session_id, text=req.text,
                        session_attributes=req.session_attributes or None,
                        prompt_session_attributes=req.prompt_session_attributes or None,
                        memory_id=req.memory_id, end_session=req.end_session,
                        roc_resolver=resolver, enable_trace=True)

    return invoke


def preset_table(presets: Sequence[RocPreset]) -> dict[str, Any]:
    """A case's preset results as ``PresetResults``' table: ``Group.function`` or
    ``Group METHOD /path`` -> ``{"body", "responseState", "httpStatusCode"}``."""
    out: dict[str, Any] = {}
    for p in presets:
        if p.function is not None:
            key = f"{p.action_group}.{p.function}"
        else:
            key = f"{p.action_group} {(p.http_method or 'GET').upper()} {p.api_path}"
        value: dict[str, Any] = {"body": p.body}
        if p.response_state:
            value["responseState"] = p.response_state
        if p.http_status_code is not None:
            value["httpStatusCode"] = p.http_status_code
        out[key] = value
    return out


def run_eval(ctx: Any, agent_name: str, *, alias: str | None, version: str | None,
             paths: Sequence[Path] | None = None, repeat: int = 1,
             parallel: int = DEFAULT_PARALLEL, threshold: float | None = None,
             progress: Progress | None = None,
             invoker: Callable[[Any, str, str, str], Invoke] | None = None,
             pin: Callable[..., Any] | None = None,
             judge: Judge | None = None, judge_name: str | None = None,
             record: bool = True) -> EvalReport:
    """Select suites, resolve the version once, run every case against it, record. ``threshold``
    None: the gate's passRate of ``alias`` when it is gated, else 1.0. ``invoker`` / ``pin``
    replace ``runtime_invoker`` / ``pinned_alias`` (tests)."""
    suites = select_suites(ctx.project, agent_name, paths)
    if threshold is None:
        gate = (ctx.project.settings.gates or {}).get(alias) if alias else None
        threshold = gate.pass_rate if gate is not None else 1.0
    if judge is None:
        from agentctl.eval.judge import judge_from_settings

        judge, judge_name = judge_from_settings(getattr(ctx.project.settings, "judge", None),
                                                ctx.root)
    agent_id, number, digest = resolve_version(ctx, agent_name, alias=alias, version=version)
    if progress is not None:
        via = f"{alias} -> " if alias else ""
        progress(f"{agent_name}: evaluating {via}version {number} (content {digest[:12]}), "
                 f"{sum(len(s.cases) for s in suites)} case(s) x {repeat}")
    run_id = uuid.uuid4().hex
    started = records.now()
    with (pin or pinned_alias)(ctx, agent_name, number, progress) as alias_id:
        target = EvalTarget(agent=agent_name, agent_id=agent_id, version=number,
                            content_digest=digest, alias_id=alias_id, via_alias=alias,
                            environment=ctx.env_name,
                            target={"kind": ctx.target.kind, "region": ctx.target.region,
                                    "account": ctx.target.account})
        invoke = (invoker or runtime_invoker)(ctx, agent_name, agent_id, alias_id)
        runs = run_suites(suites, invoke, run_id=run_id, repeat=repeat, parallel=parallel,
                          threshold=threshold, judge=judge, progress=progress)
    report = EvalReport(run_id=run_id, target=target, suites=runs, started=started,
                        finished=records.now(), git=records.git_state(ctx.root),
                        judge=judge_name if judge is not None else None)
    if record:
        from agentctl.eval.results import record_documents

        path = records.append_runs(ctx, record_documents(report))
        if progress is not None:
            progress(f"Recorded run {run_id[:8]} in {path}")
    return report
