"""The results of an eval run: per case its attempts (``--repeat N``), per suite the pass rate,
and the documents they become (``--output json``, the records file). Pure values.

Pass rate = passed case attempts / all case attempts of the suite. A suite run passes when its
pass rate reaches the threshold (``--pass-rate``, default 1.0: every attempt of every case).

Must not: run anything or do I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from agentctl.eval.matchers import TurnOutcome

FORMAT_VERSION = 1
"""Version of the eval documents (``--output json`` and each line of eval-runs.jsonl)."""


@dataclass(frozen=True)
class EvalTarget:
    """The exact version a run exercised (resolved once, before the first case)."""

    agent: str
    agent_id: str
    version: str
    content_digest: str
    alias_id: str
    """The alias InvokeAgent was called with (routes to ``version`` for the whole run)."""
    via_alias: str | None = None
    """The alias the user named (``--alias STAGING``), resolved to ``version`` at the start."""
    environment: str = ""
    target: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseAttempt:
    attempt: int
    turns: tuple[TurnOutcome, ...]
    error: str | None = None
    """A turn could not run (runtime error, handler failure): the attempt fails."""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.error is None and bool(self.turns) and all(t.passed for t in self.turns)

    @property
    def skipped_notes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.note for t in self.turns for c in t.skipped_checks if c.note))


@dataclass(frozen=True)
class CaseResult:
    name: str
    attempts: tuple[CaseAttempt, ...]
    description: str | None = None
    location: str | None = None

    @property
    def passed_attempts(self) -> int:
        return sum(1 for a in self.attempts if a.passed)

    @property
    def passed(self) -> bool:
        return self.passed_attempts == len(self.attempts)

    @property
    def first_failure(self) -> CaseAttempt | None:
        return next((a for a in self.attempts if not a.passed), None)


@dataclass(frozen=True)
class SuiteRun:
    suite: str
    path: str
    digest: str
    cases: tuple[CaseResult, ...]
    threshold: float = 1.0
    repeat: int = 1

    @property
    def attempts(self) -> int:
        return sum(len(c.attempts) for c in self.cases)

    @property
    def passed_attempts(self) -> int:
        return sum(c.passed_attempts for c in self.cases)

    @property
    def pass_rate(self) -> float:
        return self.passed_attempts / self.attempts if self.attempts else 0.0

    @property
    def passed(self) -> bool:
        return bool(self.attempts) and self.pass_rate + 1e-9 >= self.threshold

    @property
    def tool_selection(self) -> tuple[int, int]:
        """(turns that chose the right tools, turns with a tool expectation)."""
        right = total = 0
        for c in self.cases:
            for a in c.attempts:
                for t in a.turns:
                    if t.tool_selection is not None:
                        total += 1
                        right += bool(t.tool_selection)
        return right, total


@dataclass(frozen=True)
class EvalReport:
    run_id: str
    target: EvalTarget
    suites: tuple[SuiteRun, ...]
    started: str
    finished: str
    git: Mapping[str, Any] = field(default_factory=dict)
    judge: str | None = None
    """The judge model in use, or None (judged criteria are skipped with a note)."""

    @property
    def passed(self) -> bool:
        return bool(self.suites) and all(s.passed for s in self.suites)

    @property
    def tool_selection(self) -> tuple[int, int]:
        pairs = [s.tool_selection for s in self.suites]
        return sum(p[0] for p in pairs), sum(p[1] for p in pairs)


def accuracy(pair: tuple[int, int]) -> float | None:
    right, total = pair
    return right / total if total else None


# ------------------------------------------------------------------------------ documents

def turn_document(t: TurnOutcome) -> dict[str, Any]:
    return {
        "index": t.index, "input": t.input, "answer": t.answer, "passed": t.passed,
        "error": t.error, "tool_selection": t.tool_selection,
        "expected_trajectory": list(t.expected_trajectory),
        "actual_trajectory": list(t.actual_trajectory),
        "checks": [{"name": c.name, "passed": c.passed, "expected": c.expected,
                    "actual": c.actual, "note": c.note} for c in t.checks],
    }


def case_document(c: CaseResult, *, detail: bool = True) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": c.name, "passed": c.passed, "attempts": len(c.attempts),
                           "passed_attempts": c.passed_attempts, "location": c.location}
    failed = c.first_failure
    if failed is not None:
        doc["failure"] = failure_summary(failed)
    notes = sorted({n for a in c.attempts for n in a.skipped_notes})
    if notes:
        doc["notes"] = notes
    if detail:
        doc["runs"] = [{"attempt": a.attempt, "passed": a.passed, "error": a.error,
                        "seconds": round(a.seconds, 3),
                        "turns": [turn_document(t) for t in a.turns]} for a in c.attempts]
    return doc


def failure_summary(a: CaseAttempt) -> str:
    if a.error:
        return a.error
    for t in a.turns:
        for c in t.failed_checks:
            return f"turn {t.index + 1}: {c.name}: expected {c.expected}, got {c.actual}"
    return "no turn ran"


def suite_document(s: SuiteRun, *, detail: bool = True) -> dict[str, Any]:
    right, total = s.tool_selection
    return {"suite": s.suite, "path": s.path, "digest": s.digest, "passed": s.passed,
            "pass_rate": round(s.pass_rate, 6), "threshold": s.threshold, "repeat": s.repeat,
            "attempts": s.attempts, "passed_attempts": s.passed_attempts,
            "tool_selection": {"right": right, "total": total,
                               "accuracy": accuracy((right, total))},
            "cases": [case_document(c, detail=detail) for c in s.cases]}


def target_document(t: EvalTarget) -> dict[str, Any]:
    return {"agent": t.agent, "agent_id": t.agent_id, "version": t.version,
            "content_digest": t.content_digest, "alias": t.via_alias,
            "invoked_alias_id": t.alias_id, "environment": t.environment,
            "target": dict(t.target)}


def report_document(r: EvalReport) -> dict[str, Any]:
    right, total = r.tool_selection
    return {"format_version": FORMAT_VERSION, "kind": "eval", "run_id": r.run_id,
            "passed": r.passed, **target_document(r.target),
            "started": r.started, "finished": r.finished, "git": dict(r.git),
            "judge": r.judge,
            "tool_selection": {"right": right, "total": total,
                               "accuracy": accuracy((right, total))},
            "suites": [suite_document(s) for s in r.suites]}


def record_documents(r: EvalReport) -> list[dict[str, Any]]:
    """One line of eval-runs.jsonl per suite of the run (the gate matches suites one by one)."""
    out = []
    for s in r.suites:
        out.append({"format_version": FORMAT_VERSION, "kind": "eval_run", "run_id": r.run_id,
                    "time": r.finished, "started": r.started, **target_document(r.target),
                    "git": dict(r.git), "judge": r.judge,
                    "suite": {"name": s.suite, "path": s.path, "digest": s.digest},
                    "passed": s.passed, "pass_rate": round(s.pass_rate, 6),
                    "threshold": s.threshold, "repeat": s.repeat, "attempts": s.attempts,
                    "passed_attempts": s.passed_attempts,
                    "cases": [case_document(c, detail=False) for c in s.cases]})
    return out
