"""Human rendering of an eval report: the pass/fail table, then per failed case the failed
expectations and the expected vs actual trajectory, then tool-selection accuracy and the verdict.
Pure: reads an ``agentctl.eval.results.EvalReport`` by attribute (render/ does not import eval/,
docs/architecture.md); colour only through the ``color`` flag.
"""

from __future__ import annotations

from typing import Any

_GREEN, _RED, _YELLOW, _RESET = "\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[0m"


def _c(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{_RESET}" if color else text


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip()
                     for r in rows) + "\n"


def render_report(r: Any, *, color: bool = False) -> str:
    t = r.target
    via = f"{t.via_alias} -> " if t.via_alias else ""
    out = [f"Eval of {t.agent} {via}version {t.version} (content {t.content_digest[:12]}, "
           f"environment {t.environment}), run {r.run_id[:8]}", ""]
    rows: list[tuple[str, ...]] = [("RESULT", "SUITE", "CASE", "RUNS", "NOTE")]
    for s in r.suites:
        for c in s.cases:
            status = "PASS" if c.passed else "FAIL"
            notes = sorted({n for a in c.attempts for n in a.skipped_notes})
            rows.append((status, s.suite, c.name, f"{c.passed_attempts}/{len(c.attempts)}",
                         "; ".join(notes)))
    table = _table(rows)
    if color:
        table = table.replace("PASS ", _c("PASS", _GREEN, True) + " ").replace(
            "FAIL ", _c("FAIL", _RED, True) + " ")
    out.append(table.rstrip("\n"))
    for s in r.suites:
        for c in s.cases:
            a = c.first_failure
            if a is None:
                continue
            out.append("")
            out.append(f"{_c('FAIL', _RED, color)} {s.suite}: {c.name}"
                       + (f" (attempt {a.attempt} of {len(c.attempts)})" if len(c.attempts) > 1
                          else "") + (f"  [{c.location}]" if c.location else ""))
            if a.error:
                out.append(f"  error: {a.error}")
            for turn in a.turns:
                if turn.passed:
                    continue
                out.append(f"  turn {turn.index + 1}: {turn.input}")
                for ch in turn.failed_checks:
                    out.append(f"    {ch.name}: expected {ch.expected}")
                    out.append(f"    {' ' * len(ch.name)}  actual   {ch.actual}"
                               + (f"  ({ch.note})" if ch.note else ""))
                out.append("    expected trajectory: "
                           + (" -> ".join(turn.expected_trajectory) or "(none given)"))
                out.append("    actual trajectory:   "
                           + (" -> ".join(turn.actual_trajectory) or "(no tool calls)"))
    out.append("")
    right, total = r.tool_selection
    if total:
        out.append(f"Tool-selection accuracy: {right / total * 100:.0f}% ({right}/{total} turns "
                   "chose the expected tools)")
    if r.judge is None and any(n for s in r.suites for c in s.cases for a in c.attempts
                               for n in a.skipped_notes):
        out.append(_c("Note: judged criteria were skipped: no judge model is configured",
                      _YELLOW, color))
    for s in r.suites:
        verdict = _c("passed", _GREEN, color) if s.passed else _c("FAILED", _RED, color)
        out.append(f"{s.suite}: {verdict}: {s.passed_attempts}/{s.attempts} case run(s) passed "
                   f"({s.pass_rate * 100:.0f}%, needs {s.threshold * 100:.0f}%)")
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|").replace("<", "&lt;")


def render_report_markdown(r: Any) -> str:
    """``eval --output markdown`` (a PR comment, the step summary): the verdict per suite, a
    table of the cases, the first failure of each failed case folded in ``<details>``."""
    t = r.target
    via = f"`{t.via_alias}` -> " if t.via_alias else ""
    ok = "passed" if r.passed else "FAILED"
    lines = [f"### agentctl eval: `{t.agent}` {via}version {t.version} ({t.environment}): "
             f"{ok}", "",
             f"Run `{r.run_id[:8]}`, content `{t.content_digest[:12]}`", ""]
    lines += ["| Suite | Result | Case runs passed | Pass rate | Needs |", "|---|---|---|---|---|"]
    for s in r.suites:
        lines.append(f"| `{_md(s.suite)}` | {'pass' if s.passed else '**FAIL**'} | "
                     f"{s.passed_attempts}/{s.attempts} | {s.pass_rate * 100:.0f}% | "
                     f"{s.threshold * 100:.0f}% |")
    lines += ["", "| Result | Suite | Case | Runs |", "|---|---|---|---|"]
    for s in r.suites:
        for c in s.cases:
            lines.append(f"| {'pass' if c.passed else '**FAIL**'} | `{_md(s.suite)}` | "
                         f"{_md(c.name)} | {c.passed_attempts}/{len(c.attempts)} |")
    for s in r.suites:
        for c in s.cases:
            a = c.first_failure
            if a is None:
                continue
            body = []
            if a.error:
                body.append(f"error: {a.error}")
            for turn in a.turns:
                if turn.passed:
                    continue
                body.append(f"turn {turn.index + 1}: {turn.input}")
                for ch in turn.failed_checks:
                    body.append(f"  {ch.name}: expected {ch.expected}")
                    body.append(f"  {' ' * len(ch.name)}  actual   {ch.actual}")
                body.append("  expected trajectory: "
                            + (" -> ".join(turn.expected_trajectory) or "(none given)"))
                body.append("  actual trajectory:   "
                            + (" -> ".join(turn.actual_trajectory) or "(no tool calls)"))
            fence = "```"
            while any(fence in b for b in body):
                fence += "`"
            lines += ["", "<details>", f"<summary>FAIL <code>{_md(s.suite)}</code>: "
                      f"{_md(c.name)}</summary>", "", fence, *body, fence, "", "</details>"]
    right, total = r.tool_selection
    if total:
        lines += ["", f"Tool-selection accuracy: {right / total * 100:.0f}% ({right}/{total})"]
    return "\n".join(lines) + "\n"
