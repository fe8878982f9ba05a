"""The promotion gate: may ``agentctl promote`` route a gated alias to a version?

A project gates an alias in ``agentctl.yaml``::

    settings:
      gates:
        PROD: {suites: ["evals/*.yaml"], passRate: 1.0}

A version passes PROD's gate when, for every *current* suite those globs match that is for this
agent (a suite without ``agent:`` is for every agent), the records hold a run of that exact suite
(same suite digest: an edited suite needs a new run) on a version with the same content digest
(``records.content_digest``: the same agent content, whatever its number) whose pass rate reaches
the gate's ``passRate``. Otherwise ``check`` raises ``GateRefused`` (exit GATE_REFUSED) listing,
per suite, the failing or missing runs and the command that produces one.

``--skip-eval --reason TEXT`` lets a version through anyway: ``check`` returns a ``skipped``
decision and ``record_promotion`` writes it, with the reason and the user, to the promotions
record that ``agentctl history`` shows next to the version.

Rollback is not gated: it returns to a version the alias already served (the way out of a bad
promotion must not depend on the suite).

Must not: call AWS, move aliases, or print.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from agentctl.errors import AgentctlError, UsageError
from agentctl.eval import records
from agentctl.eval.suite import Suite, expand_suite_globs, load_suites, variables_of
from agentctl.exitcodes import ExitCode


class GateRefused(AgentctlError):
    """promote refused: the version has no passing eval run of the gate's current suites."""

    exit_code = ExitCode.GATE_REFUSED


@dataclass(frozen=True)
class SuiteVerdict:
    suite: str
    path: str
    digest: str
    passed: bool
    run_id: str | None
    """The passing run, or the latest failing one (None: no run of this suite on this content)."""
    detail: str


@dataclass(frozen=True)
class GateDecision:
    agent: str
    alias: str
    version: str
    content_digest: str
    gated: bool
    verdict: str
    """``passed``, ``failed`` (only returned with ``skip_reason``: ``skipped``), or ``ungated``."""
    pass_rate: float = 1.0
    suites: tuple[SuiteVerdict, ...] = ()
    reason: str | None = None

    @property
    def allowed(self) -> bool:
        return self.verdict in ("passed", "skipped", "ungated")


def gate_for(project: Any, alias: str) -> Any | None:
    return (getattr(project.settings, "gates", None) or {}).get(alias)


def gate_suites(project: Any, agent: str, gate: Any) -> list[Suite]:
    """The current suites of ``gate`` that are for ``agent`` (loaded and validated)."""
    root = Path(project.root)
    paths = expand_suite_globs(root, gate.suites)
    suites = load_suites(paths, root, agents=project.desired, variables=variables_of(project))
    return [s for s in suites if s.agent in (None, agent)]


def evaluate(project: Any, agent: str, alias: str, version: str, content_digest: str,
             runs: Sequence[Mapping[str, Any]] | None = None) -> GateDecision:
    """The gate's verdict (no exception): ``passed`` / ``failed`` / ``ungated``."""
    gate = gate_for(project, alias)
    if gate is None:
        return GateDecision(agent, alias, version, content_digest, False, "ungated")
    suites = gate_suites(project, agent, gate)
    if runs is None:
        runs = records.read_runs(project)
    verdicts = []
    for s in suites:
        mine = [r for r in runs if r.get("agent") == agent
                and r.get("content_digest") == content_digest
                and (r.get("suite") or {}).get("digest") == s.digest]
        good = [r for r in mine if float(r.get("pass_rate", 0.0)) + 1e-9 >= gate.pass_rate]
        if good:
            r = good[-1]
            verdicts.append(SuiteVerdict(s.name, s.display, s.digest, True, r.get("run_id"),
                                         f"passed {_pct(r.get('pass_rate'))} on version "
                                         f"{r.get('version')} at {r.get('time')}"))
        elif mine:
            r = mine[-1]
            failing = [c.get("name") for c in r.get("cases") or () if not c.get("passed")]
            verdicts.append(SuiteVerdict(
                s.name, s.display, s.digest, False, r.get("run_id"),
                f"latest run {str(r.get('run_id'))[:8]} passed {_pct(r.get('pass_rate'))} "
                f"(needs {_pct(gate.pass_rate)}); failing: {', '.join(map(str, failing)) or '-'}"))
        else:
            other = [r for r in runs if r.get("agent") == agent
                     and r.get("content_digest") == content_digest
                     and (r.get("suite") or {}).get("path") == s.display]
            why = ("only runs of an older revision of this suite" if other
                   else "no run on this version's content")
            verdicts.append(SuiteVerdict(s.name, s.display, s.digest, False, None, why))
    ok = bool(verdicts) and all(v.passed for v in verdicts)
    return GateDecision(agent, alias, version, content_digest, True,
                        "passed" if ok else "failed", gate.pass_rate, tuple(verdicts))


def promote(ctx: Any, agent_name: str, alias: str, *, version: str | None = None,
            from_alias: str | None = None, progress: Callable[[str], None] | None = None,
            skip_eval_reason: str | None = None) -> Any:
    """``agentctl promote``: ``agentctl.apply.promote.promote`` with the gate. Resolves the
    version, calls ``check`` once before anything moves (``GateRefused`` for a gated alias
    without a passing run), moves the alias through the executor, records a gated promotion.
    Lives here, not in apply/, because apply may not import eval (docs/architecture.md)."""
    from agentctl.apply.promote import move_alias, owned_agent, resolve_promotion

    agent = owned_agent(ctx, agent_name)
    target_version = resolve_promotion(agent, agent_name, alias, version=version,
                                       from_alias=from_alias)
    decision = check(ctx, agent_name, agent, alias, target_version, skip_reason=skip_eval_reason)
    result = move_alias(ctx, agent_name, agent, alias, target_version, why="promote",
                        progress=progress)
    record_promotion(ctx.project, decision, from_version=result.from_version,
                     changed=result.changed, env_name=ctx.env_name)
    return result


def check(ctx: Any, agent_name: str, agent: Any, alias: str, version: str, *,
          skip_reason: str | None = None) -> GateDecision:
    """What ``promote`` calls once, before moving ``alias`` of the live ``agent`` (a
    ``LiveAgent``) to ``version``: ``decide`` on the version's content digest. Reads nothing when
    the alias is not gated."""
    if gate_for(ctx.project, alias) is None:
        return decide(ctx.project, agent_name, alias, version, "", skip_reason=skip_reason)
    return decide(ctx.project, agent_name, alias, version,
                  version_digest(ctx, agent_name, agent, version) or "",
                  skip_reason=skip_reason, env_name=ctx.env_name)


def version_digest(ctx: Any, agent_name: str, agent: Any, version: str) -> str | None:
    """The content digest of ``version`` of the live ``agent`` (read when ``read_live`` did not
    read that version's content); None when the version no longer exists."""
    from agentctl.aws import live as live_mod

    found = next((v for v in agent.versions if v.version == version), None)
    content = found.content if found is not None else None
    if content is None:
        content = live_mod.read_version_content(ctx.clients, agent.agent_id, version,
                                                where=f"agent.{agent_name}")
    return records.content_digest(content) if content is not None else None


def decide(project: Any, agent: str, alias: str, version: str, content_digest: str, *,
           skip_reason: str | None = None, env_name: str | None = None) -> GateDecision:
    """``evaluate``, raising ``GateRefused`` when the version may not reach ``alias``, unless
    ``skip_reason`` is given (then the verdict is ``skipped``, recorded by
    ``record_promotion``). ``skip_reason`` on an ungated alias is a usage error."""
    if skip_reason is not None and not skip_reason.strip():
        raise UsageError("--skip-eval needs a --reason TEXT saying why",
                         hint='e.g. --skip-eval --reason "hotfix for INC-123, suite run pending"')
    gated = gate_for(project, alias) is not None
    decision = evaluate(project, agent, alias, version, content_digest) if gated else \
        GateDecision(agent, alias, version, content_digest, False, "ungated")
    if not decision.gated:
        if skip_reason is not None:
            raise UsageError(f"alias {alias!r} is not gated: --skip-eval has nothing to skip",
                             hint="gated aliases are listed under settings.gates in agentctl.yaml")
        return decision
    if decision.verdict == "passed":
        return decision
    if skip_reason is not None:
        return GateDecision(decision.agent, alias, version, content_digest, True, "skipped",
                            decision.pass_rate, decision.suites, skip_reason.strip())
    env = f" -e {env_name}" if env_name else ""
    lines = [f"{v.path}: {v.detail}" for v in decision.suites if not v.passed]
    if not decision.suites:
        lines = [f"no suite of the gate ({', '.join(gate_for(project, alias).suites)}) is for "
                 f"agent {agent!r}"]
    raise GateRefused(
        f"{alias} is gated: version {version} of {agent!r} (content {content_digest[:12]}) has "
        f"no passing eval run of the current suites (needs {_pct(decision.pass_rate)}):\n    "
        + "\n    ".join(lines),
        where=f"agent.{agent}.alias.{alias}",
        hint=f"run `agentctl eval --agent {agent} --version {version}{env}` (or --alias of an "
             "alias serving it); to promote anyway, pass --skip-eval --reason TEXT (recorded "
             "and shown by `agentctl history`)")


def record_promotion(project: Any, decision: GateDecision, *, from_version: str | None,
                     changed: bool, env_name: str) -> None:
    """Append the gated promotion to ``promotions.jsonl`` (ungated moves are not recorded)."""
    if not decision.gated:
        return
    records.append_promotion(project, {
        "format_version": 1, "kind": "promotion", "time": records.now(),
        "environment": env_name, "agent": decision.agent, "alias": decision.alias,
        "from_version": from_version, "version": decision.version, "changed": changed,
        "content_digest": decision.content_digest, "verdict": decision.verdict,
        "reason": decision.reason, "user": records.who(),
        "runs": [v.run_id for v in decision.suites if v.passed and v.run_id],
        "missing": [f"{v.path}: {v.detail}" for v in decision.suites if not v.passed],
    })


# ------------------------------------------------------------------------------- history

@dataclass(frozen=True)
class VersionNote:
    """What ``history`` shows next to a version: its eval verdict for the alias's gate and the
    gated promotions (skipped or passed) that routed the alias to it."""

    version: str
    eval: str
    """``passed`` / ``failed`` / ``not run`` / ``ungated`` / ``unknown`` (version deleted)."""
    promotions: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)

    def text(self) -> str:
        parts = [f"eval {self.eval}"] if self.eval != "ungated" else []
        for p in self.promotions:
            if p.get("verdict") == "skipped":
                parts.append(f"eval skipped by {p.get('user')} at {p.get('time')}: "
                             f"{p.get('reason')}")
            elif p.get("verdict") == "passed":
                parts.append(f"promoted after passing eval at {p.get('time')}")
        return "; ".join(parts)


def history_notes(project: Any, agent: str, alias: str, env_name: str,
                  digests: Mapping[str, str | None],
                  warn: Callable[[str], None] | None = None) -> dict[str, VersionNote]:
    """Per version of the history (``digests``: version -> content digest, None when the
    version can no longer be read) the note to show."""
    runs = records.read_runs(project, warn=warn)
    promos = [p for p in records.read_promotions(project, warn=warn)
              if p.get("agent") == agent and p.get("alias") == alias
              and p.get("environment") in (None, env_name)]
    gated = gate_for(project, alias) is not None
    out = {}
    for version, dg in digests.items():
        if not gated:
            verdict = "ungated"
        elif dg is None:
            verdict = "unknown"
        else:
            d = evaluate(project, agent, alias, version, dg, runs)
            any_run = any(v.run_id for v in d.suites)
            verdict = d.verdict if (d.verdict == "passed" or any_run) else "not run"
        mine = tuple(p for p in promos if str(p.get("version")) == version
                     and (dg is None or p.get("content_digest") in (None, dg)))
        out[version] = VersionNote(version, verdict, mine)
    return out


def history_annotations(ctx: Any, agent_name: str, agent: Any, alias: str,
                        entries: Sequence[Any], warn: Callable[[str], None] | None = None
                        ) -> dict[str, VersionNote]:
    """``history_notes`` for the versions of ``entries`` (``lifecycle.HistoryEntry``), reading
    each one's content digest from the target."""
    existing = {v.version for v in agent.versions}
    digests: dict[str, str | None] = {}
    for e in entries:
        if e.version and e.version not in digests:
            digests[e.version] = (version_digest(ctx, agent_name, agent, e.version)
                                  if e.version in existing else None)
    return history_notes(ctx.project, agent_name, alias, ctx.env_name, digests, warn=warn)


def gated_aliases(project: Any) -> dict[str, dict[str, Any]]:
    """Per gated alias: its suites, pass rate and the project's agents that have that alias
    (for ``plan``)."""
    out = {}
    for alias, g in sorted((getattr(project.settings, "gates", None) or {}).items()):
        agents = sorted(n for n, cfg in project.desired.items() if alias in cfg.aliases)
        out[alias] = {"suites": list(g.suites), "passRate": g.pass_rate, "agents": agents}
    return out


def gate_summary(project: Any) -> list[str]:
    """One line per gated alias, for ``plan``'s human output."""
    out = []
    for alias, g in gated_aliases(project).items():
        who = f" ({', '.join(g['agents'])})" if g["agents"] else " (no agent has this alias)"
        out.append(f"{alias}{who} is gated: promote needs a passing `agentctl eval` run "
                   f"({_pct(g['passRate'])}) of {', '.join(g['suites'])}")
    return out


def _pct(rate: Any) -> str:
    try:
        return f"{float(rate) * 100:.0f}%"
    except (TypeError, ValueError):
        return "?"
