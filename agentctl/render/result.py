"""Renderers for lifecycle results: apply outcomes, alias moves, alias history, status, the
destroy preview, the emulator's call log. Pure functions of values from ``agentctl.plan.model``
/ ``agentctl.apply.lifecycle``; no I/O, no boto3.

Human output is built as rich renderables styled with the palette's names
(``agentctl.render.palette``): ``*_table`` / ``*_text`` functions return them for the console,
``render_*`` functions return the same as a string (colour only with ``color=True``; plain text
is golden-tested). ``*_document`` functions return one versioned JSON-compatible document each
(``format_version`` = ``agentctl.plan.model.FORMAT_VERSION``).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Mapping, Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text

from agentctl.core.model import RELEASE_ALIAS
from agentctl.plan.model import FORMAT_VERSION, ApplyResult, Plan, Step
from agentctl.render._text import release_hint
from agentctl.render.palette import table, to_text


def _agent(address: str) -> str:
    parts = address.split(".")
    return parts[1] if len(parts) > 1 else address


# ---------------------------------------------------------------------------------- apply

def version_summary(result: ApplyResult, plan: Plan | None = None) -> list[str]:
    """``support-bot: version 8 cut; STAGING -> 8`` lines from the outputs of alias steps.

    An alias is listed only when it moved: it cut the version, or the plan's lifecycle has it
    among the moves (``AgentLifecycle.moves``). An alias call that only changed its description
    or invocation state leaves the alias where it was, and claiming ``PROD -> 1`` for it would
    say it moved. Without a plan, only the version-cutting alias is known to have moved."""
    moved = {(m.agent, m.alias) for lc in (plan.lifecycle if plan else ())
             for m in lc.moves if m.from_version != m.to_version}
    lines: dict[str, list[str]] = {}
    for r in result.completed:
        if r.step.operation not in ("CreateAgentAlias", "UpdateAgentAlias"):
            continue
        out = result.outputs.get(r.step.address, {})
        version = out.get("version")
        alias = r.step.address.rsplit(".", 1)[-1]
        agent = _agent(r.step.address)
        if not version:
            continue
        items = lines.setdefault(agent, [])
        cut = r.step.cuts_version
        if cut:
            items.append(f"version {version} cut")
        entry = f"{alias} -> {version}"
        if (cut or (agent, alias) in moved) and entry not in items:
            items.append(entry)
    hints = {lc.agent: release_hint(lc) for lc in (plan.lifecycle if plan else ())}
    return [f"{agent}: {'; '.join(items)}" + (f" ({hints[agent]})" if hints.get(agent) else "")
            for agent, items in sorted(lines.items()) if items]


def apply_result_text(result: ApplyResult, *, plan: Plan | None = None,
                      verb: str = "Apply") -> Text:
    """Terraform's closing line (``Apply complete! Resources: 1 added, 2 changed, 0
    destroyed.``), the version/alias summary, or exactly what completed / failed / did not run."""
    out = Text()

    def line(text: str, style: str = "") -> None:
        out.append(text, style=style)
        out.append("\n")

    calls = sum(1 for r in result.completed if r.step.mutating)
    if result.ok:
        if plan is not None and verb == "Destroy":
            # Terraform's destroy summary: only the count that can be non-zero, and the same
            # number of resources the preview announced.
            head = (f"Destroy complete! Resources: {plan.counts()['destroy']} destroyed "
                    f"({calls} API call(s)).")
        elif plan is not None:
            n = plan.counts()
            head = (f"{verb} complete! Resources: {n['add']} added, {n['change']} changed, "
                    f"{n['destroy']} destroyed ({calls} API call(s)).")
        else:
            head = f"{verb} complete! {calls} API call(s)."
        line(head, "ok")
        for summary in version_summary(result, plan):
            line(summary)
        out.rstrip()
        return out
    if result.interrupted:
        head = (f"{verb} interrupted after every step had completed." if result.all_completed
                else f"{verb} interrupted: stopped part-way.")
    else:
        head = f"{verb} failed."
    line(head, "failed")
    for f in result.failures:
        line(f"  failed:    {f.step.address}: {f.step.operation}", "remove")
        for text in (f.error or "").splitlines():
            line(f"             {text}")
    for r in result.completed:
        line(f"  completed: {r.step.address}: {r.step.operation}", "add")
    for f in result.in_flight:
        seen = f.last_status or ("accepted, no status seen yet" if f.accepted
                                 else "sent, no answer yet")
        line(f"  in flight: {f.step.address}: {f.step.operation} (last seen: {seen})", "change")
    for s in result.not_run:
        line(f"  not run:   {s.address}: {s.operation}", "change")
    for summary in version_summary(result, plan):
        line(summary)
    line("Run `agentctl plan` to see what remains; re-running converges from here.")
    out.rstrip()
    return out


def render_apply_result(result: ApplyResult, *, plan: Plan | None = None, color: bool = False,
                        verb: str = "Apply") -> str:
    return to_text(apply_result_text(result, plan=plan, verb=verb), color=color)


def _step_doc(s: Step) -> dict[str, Any]:
    return {"address": s.address, "operation": s.operation, "description": s.description}


def apply_result_document(result: ApplyResult, plan: Plan | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "kind": "apply_result",
        "ok": result.ok,
        "interrupted": result.interrupted,
        "all_completed": result.all_completed,
        "completed": [{**_step_doc(r.step), "elapsed": round(r.elapsed, 3)}
                      for r in result.completed],
        "failed": [{**_step_doc(r.step), "error": r.error} for r in result.failures],
        "in_flight": [{**_step_doc(f.step), "last_status": f.last_status,
                       "accepted": f.accepted} for f in result.in_flight],
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


def history_table(agent: str, alias: str, entries: Sequence[Any],
                  notes: Mapping[str, str] | None = None) -> Any:
    """The alias's routing history, newest first, as a table. ``notes``: version -> text shown
    next to it (its eval verdict, the --skip-eval audit entry)."""
    if not entries:
        return Text(f"{agent} {alias}: no routing history")
    notes = notes or {}
    t = table("VERSION", "FROM", "UNTIL", "", "EVAL") if notes else \
        table("VERSION", "FROM", "UNTIL", "")
    for e in entries:
        row = [e.version or "-", e.start or "-", e.end or "-",
               Text("current", style="ok") if e.current else ""]
        if notes:
            row.append(notes.get(e.version or "", ""))
        t.add_row(*row)
    return Group(Text(f"{agent} {alias} (newest first)", style="header"), t)


def render_history(agent: str, alias: str, entries: Sequence[Any], *, color: bool = False,
                   notes: Mapping[str, str] | None = None) -> str:
    return to_text(history_table(agent, alias, entries, notes), color=color)


def history_document(agent: str, alias: str, entries: Sequence[Any],
                     notes: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``notes``: version -> ``agentctl.eval.gate.VersionNote``."""
    events = []
    for e in entries:
        doc = asdict(e)
        note = (notes or {}).get(e.version or "")
        if note is not None:
            doc["eval"] = note.eval
            doc["promotions"] = [dict(p) for p in note.promotions]
        events.append(doc)
    return {"format_version": FORMAT_VERSION, "kind": "alias_history", "agent": agent,
            "alias": alias, "events": events}


# --------------------------------------------------------------------------------- status

_STATUS_STYLE = {"PREPARED": "ok", "FAILED": "failed"}


def _status_cell(status: str | None) -> Text:
    status = status or "?"
    return Text(status, style=_STATUS_STYLE.get(status, "warning"))


def status_table(statuses: Sequence[Any]) -> Any:
    """Two tables (agents; their aliases) and the notes that need a sentence: an agent not
    created yet, not owned, whose spec left the project, or whose prepare failed."""
    # normalize pulls in botocore's model: imported only when a status is drawn.
    from agentctl.core.normalize import is_paused

    if not statuses:
        return Text("No agents in this project.")
    agents = table("AGENT", "ID", "STATUS", "VERSIONS", "DRAFT")
    aliases = table("AGENT", "ALIAS", "VERSION", "STATUS", "INVOCATIONS")
    notes: list[Text] = []
    for s in statuses:
        if not s.exists:
            agents.add_row(s.name, "-", Text("not created", style="muted"), "-", "-")
            notes.append(Text(f"{s.name}: not created (run `agentctl apply`)"))
            continue
        if not s.owned:
            agents.add_row(s.name, s.agent_id or "-", Text("NOT MANAGED", style="warning"),
                           "-", "-")
            notes.append(Text(f"{s.name}: exists ({s.agent_id}) but NOT managed by agentctl "
                              f"(`agentctl adopt {s.name}`)", style="warning"))
            continue
        if s.newest_version is None:
            versions, draft = "none", "no version yet"
        else:
            versions = ", ".join(s.versions)
            draft = {True: f"matches version {s.newest_version}",
                     False: "DRAFT has unreleased changes",
                     None: "DRAFT comparison unavailable"}[s.draft_matches_newest]
        agents.add_row(s.name, s.agent_id or "-", _status_cell(s.status), versions,
                       Text(draft, style="change" if s.draft_matches_newest is False else ""))
        if not s.in_spec:
            notes.append(Text(f"{s.name}: spec removed from the project; `plan --prune` "
                              "deletes it"))
        if s.failure_reasons:
            notes.append(Text(f"{s.name}: failure: " + "; ".join(s.failure_reasons),
                              style="failed"))
        for a in s.aliases:
            paused = is_paused(a.invocation_state)
            aliases.add_row(s.name, a.name, a.version or "-", _status_cell(a.status),
                            Text("paused (REJECT_INVOCATIONS)", style="warning") if paused
                            else "accepted")
        release = next((a for a in s.aliases if a.name == RELEASE_ALIAS), None)
        declared = sorted(a.name for a in s.aliases if a.name != RELEASE_ALIAS)
        if release is not None and release.version and declared and all(
                a.version != release.version for a in s.aliases if a.name != RELEASE_ALIAS):
            # The agent's aliases are all pinned: its newest release is live nowhere yet.
            notes.append(Text(f"{s.name}: version {release.version} (released on "
                              f"{RELEASE_ALIAS}) is not on any of its aliases yet; promote it "
                              f"with `agentctl promote {declared[0]} --agent {s.name} --from "
                              f"{RELEASE_ALIAS}`"))
    parts: list[Any] = [agents]
    if aliases.row_count:
        parts += [Text(""), aliases]
    if notes:
        parts += [Text("")] + notes
    return Group(*parts)


def render_status(statuses: Sequence[Any], *, color: bool = False) -> str:
    return to_text(status_table(statuses), color=color)


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
    # Resources, as plan and the closing line count them (agent, aliases, action groups, ...),
    # then the API calls that takes: "6 resources" and "9 calls" are different numbers.
    calls = sum(1 for s in plan.steps if s.mutating)
    out.append(f"Destroy: {plan.counts()['destroy']} resource(s) of {len(by_agent)} agent(s), "
               f"{calls} API call(s).")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------ emulator call log

def calls_table(calls: Sequence[Mapping[str, Any]]) -> Table:
    """``agentctl emulator calls``: one row per call (sequence, time, transport, operation,
    outcome), oldest first. ``calls`` are the JSON document's call objects plus ``time`` (the
    formatted timestamp)."""
    t = table("SEQ", "TIME", "TRANSPORT", "OPERATION", "OUTCOME")
    t.columns[0].justify = "right"
    for c in calls:
        outcome = str(c.get("outcome", ""))
        t.add_row(str(c.get("seq", "")), str(c.get("time", "")), str(c.get("transport") or "-"),
                  str(c.get("operation", "")),
                  Text(outcome, style="" if outcome == "ok" else "failed"))
    return t
