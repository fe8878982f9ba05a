"""The plan (and apply's result) as Markdown for pull-request comments and step summaries.

``render_markdown(plan)``: a heading, a summary table (one row per changed resource), the
``Plan: ...`` line, the lifecycle line of each agent, then one collapsible ``<details>`` per
resource holding its changes in a ```diff block (``+``/``-`` lines, so GitHub colours them).

``plan_summary(plans, budget)`` / ``apply_summary(...)``: the same content folded per agent
(one ``<details>`` per agent with its resources inside), grouped by environment, kept under
``budget`` bytes by ``render.github.fit_summary`` (whole agents left out from the end, and said
so): GitHub's step summary and PR comments have size limits, a 500-agent plan does not.
``render_apply_markdown(plan, result)``: ``apply --output markdown``.

Pure; never diffs.
"""

from __future__ import annotations

from typing import Any, Sequence

from agentctl.plan.model import Action, ApplyResult, Plan, ResourceChange
from agentctl.render import _text as T
from agentctl.render.github import STEP_SUMMARY_LIMIT, fit_summary


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
        # (Only a long text is laid out by ``field_lines`` here: formatting every value twice,
        # there and below, was half of a large plan's Markdown time; issue 13.)
        if T.is_long_text(f):  # field_lines: ``path = <<-EOT``, the diff, ``EOT``
            body = list(T.field_lines(f))[1:-1]
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


# ------------------------------------------------------------------ folded, size-bounded forms

def _agent_of(address: str) -> str:
    parts = address.split(".")
    return parts[1] if len(parts) > 1 else address


def _agent_blocks(plan: Plan) -> list[str]:
    """One folded ``<details>`` per agent that changes: its counts and lifecycle line in the
    summary, its resources' diffs inside."""
    changed: dict[str, list[ResourceChange]] = {}
    for c in plan.changes:
        if c.action is not Action.NOOP:
            changed.setdefault(_agent_of(c.address), []).append(c)
    lifecycle = {lc.agent: T.lifecycle_line(lc) for lc in plan.lifecycle
                 if lc.prepare or lc.new_version or lc.moves or lc.delete_versions}
    blocks = []
    for agent in sorted(set(changed) | set(lifecycle)):
        changes = changed.get(agent, [])
        counts: dict[str, int] = {}
        for c in changes:
            counts[c.action.value] = counts.get(c.action.value, 0) + 1
        what = ", ".join(f"{n} to {a}" for a, n in sorted(counts.items())) or "no resource changes"
        lines = ["<details>", f"<summary><code>{agent}</code>: {_escape(what)}</summary>", ""]
        if agent in lifecycle:
            lines += [f"- {_escape(lifecycle[agent])}", ""]
        for c in changes:
            lines += _details(c) + [""]
        lines += ["</details>", ""]
        blocks.append("\n".join(lines) + "\n")
    return blocks


def _plan_head(plan: Plan, *, title: str = "agentctl plan") -> str:
    t = plan.target
    lines = [f"### {title}: `{plan.project}` / `{plan.environment}`", "",
             f"Target: {t.get('kind')} {t.get('region')} {t.get('account')}  ",
             f"Plan id: `{plan.plan_id[:12]}`", ""]
    if T.is_empty(plan):
        lines.append("**No changes.** Live agents match the specs.")
    else:
        lines.append(f"**{T.summary_line(plan)}**")
    return "\n".join(lines) + "\n\n"


def plan_summary(plans: Sequence[Plan], *, budget: int = STEP_SUMMARY_LIMIT,
                 title: str = "agentctl plan") -> str:
    """Every plan (one per environment) folded per agent, under ``budget`` bytes."""
    head = ""
    sections: list[str | tuple[str, int]] = []
    if len(plans) > 1:
        total = {"add": 0, "change": 0, "destroy": 0}
        for p in plans:
            for k, v in p.counts().items():
                total[k] += v
        head = (f"## {title}: {len(plans)} environments\n\n"
                f"**Plan: {total['add']} to add, {total['change']} to change, "
                f"{total['destroy']} to destroy.**\n\n"
                "| Environment | Add | Change | Destroy |\n|---|---|---|---|\n"
                + "".join(f"| `{p.environment}` | {p.counts()['add']} | {p.counts()['change']} "
                          f"| {p.counts()['destroy']} |\n" for p in plans) + "\n")
    for i, p in enumerate(plans):
        blocks = _agent_blocks(p)
        env_head = _plan_head(p, title=title)
        if i == 0 and not head:
            head = env_head
        else:
            sections.append((env_head, 0))
        sections.extend(blocks)
    return fit_summary(head, sections, budget)


def render_apply_markdown(plan: Plan, result: ApplyResult | None, *, verb: str = "Apply") -> str:
    """``apply --output markdown``: the outcome, then what completed / failed / did not run,
    then the plan that was applied, folded per agent."""
    return apply_summary([(plan, result)], budget=STEP_SUMMARY_LIMIT, verb=verb)


def _result_lines(plan: Plan, result: ApplyResult | None, verb: str) -> list[str]:
    from agentctl.render.result import version_summary

    if result is None:
        return ["**No changes.** Nothing was applied."]
    calls = sum(1 for r in result.completed if r.step.mutating)
    n = plan.counts()
    if result.ok:
        lines = [f"**{verb} complete!** Resources: {n['add']} added, {n['change']} changed, "
                 f"{n['destroy']} destroyed ({calls} API call(s))."]
    elif result.interrupted:
        lines = [f"**{verb} interrupted**: stopped part-way ({calls} API call(s) made)."]
    else:
        lines = [f"**{verb} failed** ({calls} API call(s) made)."]
    versions = version_summary(result, plan)
    if versions:
        lines += [""] + [f"- {_escape(v)}" for v in versions]
    if not result.ok:
        rows = ([("failed", f.step, f.error or "") for f in result.failures]
                + [("in flight", f.step, f.last_status or "") for f in result.in_flight]
                + [("not run", s, "") for s in result.not_run])
        if rows:
            lines += ["", "| | Step | Operation | Detail |", "|---|---|---|---|"]
            for what, step, detail in rows:
                detail = " ".join(detail.split())
                lines.append(f"| {what} | `{step.address}` | {step.operation} | "
                             f"{_escape(detail)} |")
        lines += ["", "Run `agentctl plan` to see what remains; re-running converges from here."]
    return lines


def apply_summary(runs: Sequence[tuple[Plan, ApplyResult | None]], *,
                  budget: int = STEP_SUMMARY_LIMIT, verb: str = "Apply",
                  skipped: Sequence[str] = ()) -> str:
    """Apply's outcome per environment (``runs``: the plan and its result, None when there was
    nothing to do) with the applied plans folded per agent, under ``budget`` bytes.
    ``skipped``: environments not applied because an earlier one failed."""
    sections: list[str | tuple[str, int]] = []
    head = ""
    if len(runs) > 1 or skipped:
        ok = sum(1 for _, r in runs if r is None or r.ok)
        head = (f"## agentctl {verb.lower()}: {len(runs) + len(skipped)} environments\n\n"
                "| Environment | Outcome |\n|---|---|\n"
                + "".join(f"| `{p.environment}` | "
                          f"{'no changes' if r is None else 'complete' if r.ok else 'FAILED'} |\n"
                          for p, r in runs)
                + "".join(f"| `{e}` | not applied (an earlier environment failed) |\n"
                          for e in skipped)
                + f"\n{ok} of {len(runs) + len(skipped)} environment(s) complete.\n\n")
    for i, (plan, result) in enumerate(runs):
        t = plan.target
        env_head = "\n".join([
            f"### agentctl {verb.lower()}: `{plan.project}` / `{plan.environment}`", "",
            f"Target: {t.get('kind')} {t.get('region')} {t.get('account')}  ",
            f"Plan id: `{plan.plan_id[:12]}`", "", *_result_lines(plan, result, verb)]) + "\n\n"
        if i == 0 and not head:
            head = env_head
        else:
            sections.append((env_head, 0))
        if result is not None:
            sections.extend(_agent_blocks(plan))
    return fit_summary(head, sections, budget)


def validate_summary(reports: Sequence[dict[str, Any]], *, budget: int = STEP_SUMMARY_LIMIT
                     ) -> str:
    """``validate``'s reports (one per environment) as Markdown: the verdict per environment,
    then one table row per problem (each problem once, however many environments report it)."""
    valid = all(r["valid"] for r in reports)
    project = next((r["project"] for r in reports if r.get("project")), None)
    envs = [r["environment"] for r in reports if r.get("environment")]
    scope = f"`{project}`" if project else "the specs"
    if envs:
        scope += " / " + ", ".join(f"`{e}`" for e in envs)
    head = [f"### agentctl validate: {scope}: {'valid' if valid else '**invalid**'}", ""]
    if len(reports) > 1:
        head += ["| Environment | Errors | Warnings |", "|---|---|---|"]
        head += [f"| `{r.get('environment')}` | {r['summary']['errors']} | "
                 f"{r['summary']['warnings']} |" for r in reports]
        head.append("")
    seen: set[tuple[Any, ...]] = set()
    rows: list[str] = []
    for r in reports:
        for p in r["problems"]:
            if p["severity"] not in ("error", "warning"):
                continue
            key = (p["file"], p["line"], p["col"], p["code"], p["message"])
            if key in seen:
                continue
            seen.add(key)
            where = p["file"] + (f":{p['line']}:{p['col'] or 1}" if p["line"] else "")
            rows.append(f"| {p['severity']} | `{_escape(where)}` | "
                        f"{_escape(' '.join(p['message'].split()))} | `{p['code']}` |\n")
    if not rows:
        head.append("No problems." if valid else "")
        return "\n".join(head) + "\n"
    head += ["| | Where | Problem | Code |", "|---|---|---|---|"]
    return fit_summary("\n".join(head) + "\n", rows, budget, noun="problems")
