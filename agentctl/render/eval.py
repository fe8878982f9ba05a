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
