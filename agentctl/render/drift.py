"""``agentctl drift`` output: the live agents against what agentctl last applied.

``drift_text(report)`` is the human view (a ``rich.text.Text`` styled with the palette's names):
per agent one block in the plan's idiom, last applied -> live (``~ instruction = "a" -> "b"``,
``+`` for what appeared, ``-`` for what went, long texts as unified diffs), then a summary.
``drift_document(report)`` is the versioned JSON document. Pure; never compares anything
itself (``agentctl.plan.drift`` did).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from agentctl.plan.drift import DELETED, DRIFTED, IN_SYNC, NEVER_APPLIED, UNOWNED, DriftReport
from agentctl.plan.model import FieldChange
from agentctl.render import _text as T
from agentctl.render.palette import to_text

FORMAT_VERSION = 1

_STYLES = {T.ADD: "add", T.REMOVE: "remove", T.CHANGE: "change", T.NOTE: "note", T.CONTEXT: ""}


def _field(d: Any) -> FieldChange:
    texts = [v for v in (d.before, d.after) if v is not None]
    prose = bool(texts) and all(isinstance(v, str) for v in texts) and any("\n" in v for v in texts)
    return FieldChange(path=d.path, before=d.before, after=d.after, text_diff=prose)


def drift_text(report: DriftReport) -> Text:
    out = Text()

    def line(text: str, style: str = "") -> None:
        out.append(text, style=style)
        out.append("\n")

    line(f'agentctl drift for project "{report.project}", environment "{report.environment}": '
         "live agents vs what agentctl last applied", "bold")
    line("")
    for a in report.agents:
        since = f" (last applied {a.applied_at}, plan {(a.plan_id or '')[:12]})" \
            if a.applied_at else ""
        if a.status == IN_SYNC:
            line(f"  {a.agent}: no drift{since}")
        elif a.status == NEVER_APPLIED:
            line(f"  {a.agent}: never applied from this project directory; nothing to compare",
                 "note")
        elif a.status == DELETED:
            line(f"  {a.agent}: deleted outside agentctl{since}", "remove")
        elif a.status == UNOWNED:
            line(f"  {a.agent}: its agentctl ownership tags were removed outside agentctl{since}",
                 "change")
        elif a.status == DRIFTED:
            line(f"  # {a.agent} changed outside agentctl{since}", "bold")
            width = max((len(d.path) for d in a.changes if len(d.path) <= 32), default=0)
            for d in a.changes:
                for kind, text in T.field_lines(_field(d), width):
                    line(("    " + text).rstrip(), _STYLES.get(kind, ""))
        line("")
    drifted = sum(1 for a in report.agents if a.status in (DRIFTED, DELETED, UNOWNED))
    if drifted:
        line(f"Drift: {drifted} agent(s) changed outside agentctl. `agentctl plan` shows what "
             "apply would do about it.", "change")
    else:
        line("No drift. Live agents match what agentctl last applied.", "bold")
    out.rstrip()
    return out


def render_drift(report: DriftReport, *, color: bool = False) -> str:
    return to_text(drift_text(report), color=color)


def drift_document(report: DriftReport) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "kind": "drift",
        "project": report.project,
        "environment": report.environment,
        "has_drift": report.has_drift,
        "agents": [
            {"agent": a.agent, "status": a.status, "applied_at": a.applied_at,
             "plan_id": a.plan_id,
             "changes": [{"path": d.path, "kind": d.kind, "before": d.before, "after": d.after}
                         for d in a.changes]}
            for a in report.agents
        ],
    }
