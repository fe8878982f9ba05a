"""The human plan: Terraform's idiom, as text.

A header, the legend of the symbols used, one block per changed resource (``# agent.x.alias.PROD
will be updated in-place``, ``~ attr = old -> new``, ``+``/``-`` lines, long texts as unified
diffs, ``(known after apply)`` for values resolved during apply, ``(N unchanged attributes
hidden)``), notes for resources left alone on purpose, then ``Plan: X to add, Y to change, Z to
destroy.`` and one lifecycle line per agent. ``No changes. Live agents match the specs.`` when
there is nothing to do.

``plan_text`` returns a ``rich.text.Text`` whose spans carry the palette's style names
(``agentctl.render.palette``); the console prints it, coloured or not. ``render_plan`` returns
the same as a string: plain with ``color=False`` (golden-tested), ANSI with ``color=True``. User
data (paths, values, prompt text) is never parsed as markup. Pure: prints nothing, never diffs.
"""

from __future__ import annotations

from rich.text import Text

from agentctl.plan.model import Action, Plan
from agentctl.render import _text as T
from agentctl.render.palette import to_text

_STYLES = {T.ADD: "add", T.REMOVE: "remove", T.CHANGE: "change", T.NOTE: "note",
           T.CONTEXT: "", "bold": "bold"}
_ACTION_KIND = {Action.CREATE: T.ADD, Action.DELETE: T.REMOVE, Action.UPDATE: T.CHANGE,
                Action.REPLACE: T.CHANGE, Action.NOOP: T.CONTEXT}


def render_plan(plan: Plan, *, color: bool = False, show_steps: bool = False) -> str:
    """``plan_text`` as a string (ANSI colour only with ``color``)."""
    return to_text(plan_text(plan, show_steps=show_steps), color=color)


def plan_text(plan: Plan, *, show_steps: bool = False) -> Text:
    """Terraform-style text of ``plan``. ``show_steps`` appends the exact API calls apply will
    make, in order (``plan --steps``): operation, resource address, what it waits for."""
    def paint(kind: str, text: str) -> Text:
        return Text(text, style=_STYLES.get(kind, ""))

    lines: list[Text | str] = [paint("bold", T.header(plan)), ""]
    notes = T.notes(plan)
    if T.is_empty(plan):
        lines.append(paint("bold", "No changes.") + " Live agents match the specs.")
        if notes:
            lines += ["", "Notes:"] + [f"  - {n}" for n in notes]
        return _join(lines)

    changed = [c for c in plan.changes if c.action is not Action.NOOP]
    if changed:
        lines.append("Resource actions are indicated with the following symbols:")
        lines += [paint(_ACTION_KIND[a], line) for a, line in T.legend({c.action for c in changed})]
        lines += ["", "agentctl will perform the following actions:", ""]
    for c in changed:
        head = f"  # {c.address} {T.action_verb(c.action)}"
        if c.reason:
            head += f" ({c.reason})"
        lines.append(paint("bold", head))
        kind = _ACTION_KIND[c.action]
        lines.append(paint(kind, f"  {c.action.symbol} {T.resource_label(c)}") + " {")
        for k, text in T.body_lines(c):
            lines.append(paint(k, ("      " + text).rstrip()))
        lines += ["    }", ""]
    if notes:
        lines += ["Notes:"] + [f"  - {n}" for n in notes] + [""]
    lines.append(paint("bold", T.summary_line(plan)))
    lifecycle = T.lifecycle_lines(plan)
    if lifecycle:
        lines += ["", "Lifecycle:"] + [f"  {line}" for line in lifecycle]
    if show_steps:
        lines += ["", "API calls, in order (per agent; different agents run in parallel):"]
        lines += [f"  {line}" for line in _step_lines(plan)]
    return _join(lines)


def _join(lines: list[Text | str]) -> Text:
    return Text("\n").join(Text(x) if isinstance(x, str) else x for x in lines)


def _step_lines(plan: Plan) -> list[str]:
    width = len(str(len(plan.steps)))
    out = []
    for i, step in enumerate((s for s in plan.steps if s.mutating), start=1):
        line = f"{i:>{width}}. {step.operation:<31} {step.address}"
        if step.cuts_version:
            line += "  (cuts a new version)"
        if step.wait_for:
            line += f"  (then wait for {step.wait_for})"
        if step.after:
            line += f"  (after {', '.join(step.after)})"
        out.append(line)
    return out
