"""Renderers for lifecycle results: apply outcomes, alias moves, alias history, status, the
destroy preview. Pure functions of values from ``agentctl.plan.model`` / ``agentctl.apply.lifecycle``;
no I/O, no boto3. Human text is plain (colour only through the ``color`` flag, ANSI codes);
``*_document`` functions return one versioned JSON-compatible document each
(``format_version`` = ``agentctl.plan.model.FORMAT_VERSION``).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Iterable, Sequence

from agentctl.plan.model import FORMAT_VERSION, ApplyResult, Plan, Step

_GREEN, _RED, _YELLOW, _BOLD, _RESET = "\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[1m", "\x1b[0m"


def _c(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{_RESET}" if color else text


def _agent(address: str) -> str:
    parts = address.split(".")
    return parts[1] if len(parts) > 1 else address


# ---------------------------------------------------------------------------------- apply

def version_summary(result: ApplyResult) -> list[str]:
    """``support-bot: version 8 cut; STAGING -> 8`` lines from the outputs of alias steps."""
    lines: dict[str, list[str]] = {}
    for r in result.completed:
        if r.step.operation not in ("CreateAgentAlias", "UpdateAgentAlias"):
            continue
        out = result.outputs.get(r.step.address, {})
        version = out.get("version")
        alias = r.step.address.rsplit(".", 1)[-1]
        agent = _agent(r.step.address)
        cut = not r.step.params.get("routingConfiguration")
        if cut and version:
            lines.setdefault(agent, []).append(f"version {version} cut")
        if version:
            lines.setdefault(agent, []).append(f"{alias} -> {version}")
    return [f"{agent}: {'; '.join(items)}" for agent, items in sorted(lines.items())]


def render_apply_result(result: ApplyResult, *, plan: Plan | None = None, color: bool = False,
                        verb: str = "Apply") -> str:
    """Terraform's closing line (``Apply complete! Resources: 1 added, 2 changed, 0
    destroyed.``), the version/alias summary, or exactly what completed / failed / did not run."""
    out: list[str] = []
    calls = sum(1 for r in result.completed if r.step.mutating)
    if result.ok:
        if plan is not None:
            n = plan.counts()
            head = (f"{verb} complete! Resources: {n['add']} added, {n['change']} changed, "
                    f"{n['destroy']} destroyed ({calls} API call(s)).")
        else:
            head = f"{verb} complete! {calls} API call(s)."
        out.append(_c(head, _GREEN + _BOLD, color))
        out.extend(version_summary(result))
        return "\n".join(out) + "\n"
    head = (f"{verb} interrupted." if result.interrupted and not result.failures
            else f"{verb} failed.")
    out.append(_c(head, _RED + _BOLD, color))
    for f in result.failures:
        out.append(_c(f"  failed:    {f.step.address}: {f.step.operation}", _RED, color))
        for line in (f.error or "").splitlines():
            out.append(f"             {line}")
    for r in result.completed:
        out.append(_c(f"  completed: {r.step.address}: {r.step.operation}", _GREEN, color))
    for s in result.not_run:
        out.append(_c(f"  not run:   {s.address}: {s.operation}", _YELLOW, color))
    out.extend(version_summary(result))
    out.append("Run `agentctl plan` to see what remains; re-running converges from here.")
    return "\n".join(out) + "\n"


def _step_doc(s: Step) -> dict[str, Any]:
    return {"address": s.address, "operation": s.operation, "description": s.description}


def apply_result_document(result: ApplyResult, plan: Plan | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "kind": "apply_result",
        "ok": result.ok,
        "interrupted": result.interrupted,
        "completed": [{**_step_doc(r.step), "elapsed": round(r.elapsed, 3)}
                      for r in result.completed],
        "failed": [{**_step_doc(r.step), "error": r.error} for r in result.failures],
        "not_run": [_step_doc(s) for s in result.not_run],
        "outputs": {k: dict(v) for k, v in sorted(result.outputs.items())},
    }
    if plan is not None:
        doc["plan_id"] = plan.plan_id
        doc["project"] = plan.project
        doc["environment"] = plan.environment
    return doc


# ----------------------------------------------------------------------- alias moves/history

def render_move(move: Any) -> str:
    """``PROD: 7 -> 8`` (or why nothing changed)."""
    if not move.changed:
        return f"{move.alias}: already on {move.to_version} (no change)\n"
    return f"{move.alias}: {move.from_version or 'none'} -> {move.to_version}\n"


def move_document(move: Any, command: str) -> dict[str, Any]:
    return {"format_version": FORMAT_VERSION, "kind": command, **asdict(move)}


def render_history(agent: str, alias: str, entries: Sequence[Any]) -> str:
    if not entries:
        return f"{agent} {alias}: no routing history\n"
    rows = [("VERSION", "FROM", "UNTIL", "")]
    for e in entries:
        rows.append((e.version or "-", e.start or "-", e.end or "-",
                     "current" if e.current else ""))
    return f"{agent} {alias} (newest first)\n" + _table(rows)


def history_document(agent: str, alias: str, entries: Sequence[Any]) -> dict[str, Any]:
    return {"format_version": FORMAT_VERSION, "kind": "alias_history", "agent": agent,
            "alias": alias, "events": [asdict(e) for e in entries]}


# --------------------------------------------------------------------------------- status

def render_status(statuses: Sequence[Any], *, color: bool = False) -> str:
    if not statuses:
        return "No agents in this project.\n"
    out = []
    for s in statuses:
        if not s.exists:
            out.append(f"{s.name}: not created (run `agentctl apply`)")
            continue
        if not s.owned:
            out.append(_c(f"{s.name}: exists ({s.agent_id}) but NOT managed by agentctl "
                          f"(`agentctl adopt {s.name}`)", _YELLOW, color))
            continue
        status = s.status or "?"
        colored = _c(status, _GREEN if status == "PREPARED" else
                     _RED if status == "FAILED" else _YELLOW, color)
        note = "" if s.in_spec else "  (spec removed from the project; `plan --prune` deletes it)"
        out.append(f"{s.name} ({s.agent_id}): {colored}{note}")
        if s.failure_reasons:
            out.append("  failure: " + "; ".join(s.failure_reasons))
        if s.newest_version is None:
            out.append("  versions: none")
        else:
            match = {True: "DRAFT matches it", False: "DRAFT has unreleased changes",
                     None: "DRAFT comparison unavailable"}[s.draft_matches_newest]
            out.append(f"  versions: {', '.join(s.versions)} (newest {s.newest_version}; {match})")
        for a in s.aliases:
            paused = "" if a.invocation_state in (None, "ACCEPT_INVOCATIONS") else " (paused)"
            out.append(f"  alias {a.name}: version {a.version or '-'} [{a.status}]{paused}")
    return "\n".join(out) + "\n"


def status_document(statuses: Sequence[Any], *, project: str, environment: str
                    ) -> dict[str, Any]:
    return {"format_version": FORMAT_VERSION, "kind": "status", "project": project,
            "environment": environment, "agents": [asdict(s) for s in statuses]}


# -------------------------------------------------------------------------------- destroy

def render_destroy_preview(plan: Plan) -> str:
    if not plan.steps:
        return "Nothing to destroy: no agent of this project exists on the target.\n"
    out = []
    by_agent: dict[str, list[Step]] = {}
    for s in plan.steps:
        by_agent.setdefault(_agent(s.address), []).append(s)
    for agent, steps in by_agent.items():
        out.append(f"agent.{agent} will be destroyed, in this order:")
        for i, s in enumerate(steps, 1):
            out.append(f"  {i}. {s.operation}: {s.description}")
        lc = next((l for l in plan.lifecycle if l.agent == agent), None)
        if lc is not None and lc.delete_versions:
            out.append(f"  (its versions {', '.join(lc.delete_versions)} go with it)")
    out.append(f"Destroy: {len(by_agent)} agent(s), {len(plan.steps)} call(s).")
    return "\n".join(out) + "\n"


def _table(rows: Iterable[tuple[str, ...]]) -> str:
    rows = list(rows)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() + "\n"
                   for r in rows)
