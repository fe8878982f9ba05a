"""The plan as Markdown for pull-request comments.

A heading, a summary table (one row per changed resource), the ``Plan: ...`` line, the lifecycle
line of each agent, then one collapsible ``<details>`` per resource holding its changes in a
```diff block (``+``/``-`` lines, so GitHub colours them). Pure; never diffs.
"""

from __future__ import annotations

from agentctl.plan.model import Action, Plan, ResourceChange
from agentctl.render import _text as T


def render_markdown(plan: Plan) -> str:
    lines = [f"### agentctl plan: `{plan.project}` / `{plan.environment}`", ""]
    t = plan.target
    lines.append(f"Target: {t.get('kind')} {t.get('region')} {t.get('account')}  ")
    lines.append(f"Plan id: `{plan.plan_id[:12]}`")
    lines.append("")
    notes = T.notes(plan)
    if T.is_empty(plan):
        lines.append("**No changes.** Live agents match the specs.")
        if notes:
            lines += [""] + [f"- {_escape(n)}" for n in notes]
        return "\n".join(lines) + "\n"

    changed = [c for c in plan.changes if c.action is not Action.NOOP]
    if changed:
        lines += ["| | Resource | Action |", "|---|---|---|"]
        for c in changed:
            lines.append(f"| `{c.action.symbol}` | `{c.address}` | {c.action.value} |")
        lines.append("")
    lines.append(f"**{T.summary_line(plan)}**")
    lifecycle = T.lifecycle_lines(plan)
    if lifecycle:
        lines += ["", "**Lifecycle**", ""] + [f"- {line}" for line in lifecycle]
    if notes:
        lines += ["", "**Notes**", ""] + [f"- {_escape(n)}" for n in notes]
    for c in changed:
        lines += [""] + _details(c)
    return "\n".join(lines) + "\n"


def _details(c: ResourceChange) -> list[str]:
    body = _diff_body(c)
    fence = "```"
    while any(fence in line for line in body):
        fence += "`"
    summary = f"<code>{c.address}</code> {T.action_verb(c.action)}"
    if c.reason:
        summary += f" ({_escape(c.reason)})"
    return ["<details>", f"<summary>{summary}</summary>", "", f"{fence}diff", *body, fence, "",
            "</details>"]


def _diff_body(c: ResourceChange) -> list[str]:
    """diff-syntax lines, the symbol in column 0 so GitHub colours them: an update is a ``-``
    line and a ``+`` line; a long text is an ``@@ path @@`` hunk of its unified diff."""
    out: list[str] = []
    for f in c.fields:
        lines = list(T.field_lines(f))
        if lines and lines[0][1].endswith("<<-EOT"):
            body = lines[1:-1]
            if not body or body[0][0] != T.NOTE:
                out.append(f"@@ {f.path} @@")
            for kind, text in body:
                text = text[4:]
                if kind == T.NOTE:  # the unified diff's hunk header, named after the attribute
                    out.append(f"@@ {f.path} {text.strip('@ ')} @@")
                else:
                    out.append(text)
            continue
        if f.before is not None:
            out += _prefixed("-", f.path, T.format_value(f.before, sensitive=f.sensitive))
        if f.after is not None:
            out += _prefixed("+", f.path, T.format_value(f.after, sensitive=f.sensitive))
    if c.action is Action.UPDATE:
        hidden = T.unchanged_count(c)
        if hidden:
            out.append(f"# ({hidden} unchanged attribute{'s' if hidden != 1 else ''} hidden)")
    return out


def _prefixed(symbol: str, path: str, value: str) -> list[str]:
    if "\n" not in value:
        return [f"{symbol} {path} = {value}"]
    return [f"{symbol} {path} ="] + [f"{symbol}     {line}".rstrip() for line in value.split("\n")]


def _escape(text: str) -> str:
    # Only what would break the table or open an HTML tag; ``->`` stays readable.
    return text.replace("|", "\\|").replace("<", "&lt;")
