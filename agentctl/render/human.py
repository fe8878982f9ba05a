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
from agentctl.render.palette import Line, lines_to_rich, lines_to_text

_STYLES = {T.ADD: "add", T.REMOVE: "remove", T.CHANGE: "change", T.NOTE: "note",
           T.CONTEXT: "", "bold": "bold"}
_ACTION_KIND = {Action.CREATE: T.ADD, Action.DELETE: T.REMOVE, Action.UPDATE: T.CHANGE,
                Action.REPLACE: T.CHANGE, Action.NOOP: T.CONTEXT}


def render_plan(plan: Plan, *, color: bool = False, show_steps: bool = False) -> str:
    """``plan_text`` as a string (ANSI colour only with ``color``). Written from the styled
    pieces directly (``palette.lines_to_text``, the same characters as the console writes for
    ``plan_text``): a plan of hundreds of agents has tens of thousands of lines."""
    return lines_to_text(_lines(plan, show_steps=show_steps), color=color)


def plan_text(plan: Plan, *, show_steps: bool = False) -> Text:
    """Terraform-style text of ``plan``. ``show_steps`` appends the exact API calls apply will
    make, in order (``plan --steps``): operation, resource address, what it waits for."""
    return lines_to_rich(_lines(plan, show_steps=show_steps))


def _lines(plan: Plan, *, show_steps: bool = False) -> list[Line]:
    def paint(kind: str, text: str) -> Line:
        return ((text, _STYLES.get(kind, "")),)

    def plain(text: str) -> Line:
        return ((text, ""),)

    lines: list[Line] = [paint("bold", T.header(plan)), plain("")]
    notes = T.notes(plan)
    if T.is_empty(plan):
        # (``Text + str`` kept the Text's style over the whole line: so does this.)
        lines.append(paint("bold", "No changes. Live agents match the specs."))
        if notes:
            lines += [plain(""), plain("Notes:")] + [plain(f"  - {n}") for n in notes]
        return lines

    changed = [c for c in plan.changes if c.action is not Action.NOOP]
    if changed:
        lines.append(plain("Resource actions are indicated with the following symbols:"))
        lines += [paint(_ACTION_KIND[a], line) for a, line in T.legend({c.action for c in changed})]
        lines += [plain(""), plain("agentctl will perform the following actions:"), plain("")]
    for c in changed:
        head = f"  # {c.address} {T.action_verb(c.action)}"
        if c.reason:
            head += f" ({c.reason})"
        lines.append(paint("bold", head))
        kind = _ACTION_KIND[c.action]
        lines.append(paint(kind, f"  {c.action.symbol} {T.resource_label(c)} {{"))
        for k, text in T.body_lines(c):
            lines.append(paint(k, ("      " + text).rstrip()))
        lines += [plain("    }"), plain("")]
    if notes:
        lines += [plain("Notes:")] + [plain(f"  - {n}") for n in notes] + [plain("")]
    lines.append(paint("bold", T.summary_line(plan)))
    lifecycle = T.lifecycle_lines(plan)
    if lifecycle:
        lines += [plain(""), plain("Lifecycle:")] + [plain(f"  {line}") for line in lifecycle]
    if show_steps:
        lines += [plain(""),
                  plain("API calls, in order (per agent; different agents run in parallel):")]
        lines += [plain(f"  {line}") for line in _step_lines(plan)]
    return lines


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
