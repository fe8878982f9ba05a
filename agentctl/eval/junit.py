"""JUnit XML of an eval report, in the shape CI systems read (Jenkins, GitLab, GitHub actions
that publish test results): one ``<testsuite>`` per eval suite, one ``<testcase>`` per case run
(``case #2`` for the second of ``--repeat N``), ``<failure>`` for failed expectations with
expected vs actual, ``<error>`` for a turn that could not run. Skipped judged criteria are named
in ``<system-out>`` (the case still passes on its other checks).

Must not: do I/O beyond returning the text; the CLI writes the file.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from agentctl.eval.results import CaseAttempt, EvalReport


def _case_text(a: CaseAttempt) -> str:
    lines = []
    for t in a.turns:
        for c in t.failed_checks:
            lines.append(f"turn {t.index + 1} ({t.input!r}): {c.name}: expected {c.expected}; "
                         f"got {c.actual}" + (f" ({c.note})" if c.note else ""))
        if not t.passed:
            lines.append(f"  expected trajectory: {' -> '.join(t.expected_trajectory) or '-'}")
            lines.append(f"  actual trajectory:   {' -> '.join(t.actual_trajectory) or '-'}")
    return "\n".join(lines)


def to_junit(report: EvalReport) -> str:
    root = ET.Element("testsuites", name="agentctl eval")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    total_time = 0.0
    for s in report.suites:
        el = ET.SubElement(root, "testsuite", name=s.suite, timestamp=report.started)
        props = ET.SubElement(el, "properties")
        for k, v in (("agent", report.target.agent), ("version", report.target.version),
                     ("content_digest", report.target.content_digest),
                     ("alias", report.target.via_alias or ""), ("suite_digest", s.digest),
                     ("run_id", report.run_id), ("pass_rate", f"{s.pass_rate:.4f}"),
                     ("threshold", f"{s.threshold:.4f}")):
            ET.SubElement(props, "property", name=k, value=str(v))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        suite_time = 0.0
        for c in s.cases:
            for a in c.attempts:
                name = c.name if s.repeat == 1 else f"{c.name} #{a.attempt}"
                tc = ET.SubElement(el, "testcase", classname=s.suite, name=name,
                                   time=f"{a.seconds:.3f}")
                if c.location:
                    tc.set("file", c.location.rsplit(":", 2)[0])
                counts["tests"] += 1
                suite_time += a.seconds
                if a.error:
                    counts["errors"] += 1
                    ET.SubElement(tc, "error", message=a.error, type="TurnError").text = a.error
                elif not a.passed:
                    counts["failures"] += 1
                    first = next((ch for t in a.turns for ch in t.failed_checks), None)
                    msg = (f"{first.name}: expected {first.expected}, got {first.actual}"
                           if first is not None else "failed")
                    ET.SubElement(tc, "failure", message=msg[:500],
                                  type="EvalFailure").text = _case_text(a)
                notes = a.skipped_notes
                if notes:
                    ET.SubElement(tc, "system-out").text = "\n".join(notes)
        for k, v in counts.items():
            el.set(k, str(v))
            totals[k] += v
        el.set("time", f"{suite_time:.3f}")
        total_time += suite_time
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("time", f"{total_time:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
