"""gate.decide / history_notes on a project value and records files; records robustness;
JUnit XML counts."""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest

from agentctl.errors import UsageError
from agentctl.eval import records
from agentctl.eval.gate import GateRefused, decide, evaluate, history_notes, record_promotion
from agentctl.eval.junit import to_junit
from agentctl.eval.matchers import Check, TurnOutcome
from agentctl.eval.results import (
    CaseAttempt,
    CaseResult,
    EvalReport,
    EvalTarget,
    SuiteRun,
    record_documents,
    report_document,
)
from agentctl.eval.suite import load_suite
from agentctl.exitcodes import ExitCode
from agentctl.spec.project import Gate

SUITE = """\
suite: regress
cases:
  - name: a
    turns: [{input: hi}]
  - name: b
    turns: [{input: ho}]
"""


def project(tmp_path: Path, gates=None, suite_text=SUITE):
    (tmp_path / "evals").mkdir(exist_ok=True)
    (tmp_path / "evals" / "regress.yaml").write_text(textwrap.dedent(suite_text))
    settings = SimpleNamespace(gates=gates if gates is not None else
                               {"PROD": Gate(("evals/*.yaml",), 1.0)},
                               eval_suites=("evals/*.yaml",))
    cfg = SimpleNamespace(action_groups={}, knowledge_bases={}, aliases={})
    env = SimpleNamespace(name="local", region="us-east-1", account="123456789012", variables={})
    return SimpleNamespace(name="t", root=tmp_path, settings=settings, environment=env,
                           desired={"bot": cfg, "someone-else": cfg})


def outcome(ok: bool) -> TurnOutcome:
    return TurnOutcome(0, "hi", "answer", (Check("answer.contains", ok, "'x'", "answer"),),
                       ("T.f()",), ("T.g()",) if not ok else ("T.f()",), ok)


def report(p, *, passed=(True, True), version="3", digest="d" * 64, agent="bot",
           repeat=1) -> EvalReport:
    s = load_suite(p.root / "evals" / "regress.yaml", display="evals/regress.yaml")
    cases = tuple(CaseResult(c.name, tuple(CaseAttempt(i + 1, (outcome(ok),), seconds=0.5)
                                           for i in range(repeat)))
                  for c, ok in zip(s.cases, passed))
    run = SuiteRun(s.name, s.display, s.digest, cases, 1.0, repeat)
    target = EvalTarget(agent, "AGENT1", version, digest, "ALIAS1", "STAGING", "local")
    return EvalReport("run" + "0" * 29, target, (run,), "2026-01-01T00:00:00.000Z",
                      "2026-01-01T00:00:01.000Z", {"commit": "abc", "dirty": False})


def test_no_run_is_refused_naming_the_suite_and_the_command(tmp_path):
    p = project(tmp_path)
    with pytest.raises(GateRefused) as e:
        decide(p, "bot", "PROD", "3", "d" * 64, env_name="local")
    msg = e.value.message()
    assert e.value.exit_code == ExitCode.GATE_REFUSED
    assert "evals/regress.yaml: no run on this version's content" in msg
    assert "agentctl eval --agent bot --version 3 -e local" in msg and "--skip-eval" in msg


def test_a_passing_run_on_the_same_content_lets_it_through(tmp_path):
    p = project(tmp_path)
    records.append_runs(tmp_path, record_documents(report(p)))
    d = decide(p, "bot", "PROD", "7", "d" * 64)  # another number, same content: same agent
    assert d.verdict == "passed" and d.suites[0].run_id.startswith("run")
    assert evaluate(p, "bot", "PROD", "7", "e" * 64).verdict == "failed"
    assert evaluate(p, "other", "PROD", "7", "d" * 64).verdict == "failed"


def test_a_failing_run_is_listed_with_its_failing_cases(tmp_path):
    p = project(tmp_path)
    records.append_runs(tmp_path, record_documents(report(p, passed=(True, False))))
    with pytest.raises(GateRefused) as e:
        decide(p, "bot", "PROD", "3", "d" * 64)
    assert "passed 50% (needs 100%); failing: b" in e.value.message()
    lower = project(tmp_path, gates={"PROD": Gate(("evals/*.yaml",), 0.5)})
    assert decide(lower, "bot", "PROD", "3", "d" * 64).verdict == "passed"


def test_an_edited_suite_needs_a_new_run(tmp_path):
    p = project(tmp_path)
    records.append_runs(tmp_path, record_documents(report(p)))
    p = project(tmp_path, suite_text=SUITE.replace("input: ho", "input: hey"))
    with pytest.raises(GateRefused, match="older revision of this suite"):
        decide(p, "bot", "PROD", "3", "d" * 64)


def test_skip_eval_and_ungated_aliases(tmp_path):
    p = project(tmp_path)
    d = decide(p, "bot", "PROD", "3", "d" * 64, skip_reason="  hotfix INC-1 ")
    assert d.verdict == "skipped" and d.reason == "hotfix INC-1" and d.allowed
    with pytest.raises(UsageError, match="--reason"):
        decide(p, "bot", "PROD", "3", "d" * 64, skip_reason=" ")
    assert decide(p, "bot", "STAGING", "3", "d" * 64).verdict == "ungated"
    with pytest.raises(UsageError, match="not gated"):
        decide(p, "bot", "STAGING", "3", "d" * 64, skip_reason="x")


def test_a_gate_without_suites_for_the_agent_refuses(tmp_path):
    p = project(tmp_path, suite_text="agent: someone-else\n" + SUITE)
    with pytest.raises(GateRefused, match="no suite of the gate"):
        decide(p, "bot", "PROD", "3", "d" * 64)


def test_promotion_audit_and_history_notes(tmp_path):
    p = project(tmp_path)
    d = decide(p, "bot", "PROD", "3", "d" * 64, skip_reason="hotfix")
    record_promotion(p, d, from_version="2", changed=True, env_name="local")
    record_promotion(p, decide(p, "bot", "STAGING", "3", "d" * 64), from_version="2",
                     changed=True, env_name="local")  # ungated: not recorded
    (entry,) = records.read_promotions(tmp_path)
    assert entry["verdict"] == "skipped" and entry["reason"] == "hotfix"
    assert entry["version"] == "3" and entry["from_version"] == "2" and entry["user"]
    records.append_runs(tmp_path, record_documents(report(p, version="2", digest="c" * 64)))
    notes = history_notes(p, "bot", "PROD", "local", {"3": "d" * 64, "2": "c" * 64, "1": None})
    assert notes["3"].eval == "not run" and "eval skipped by" in notes["3"].text()
    assert "hotfix" in notes["3"].text()
    assert notes["2"].eval == "passed" and notes["1"].eval == "unknown"


def test_damaged_record_lines_are_skipped_with_a_warning(tmp_path):
    p = project(tmp_path)
    records.append_runs(tmp_path, record_documents(report(p)))
    with records.runs_path(tmp_path).open("a") as f:
        f.write("{not json\n[1]\n")
    warnings = []
    assert len(records.read_runs(tmp_path, warn=warnings.append)) == 1
    assert len(warnings) == 2 and ":2:" in warnings[0]


def test_record_has_what_the_gate_and_an_auditor_need(tmp_path):
    p = project(tmp_path)
    (doc,) = record_documents(report(p, passed=(True, False)))
    assert doc["kind"] == "eval_run" and doc["agent"] == "bot" and doc["version"] == "3"
    assert doc["content_digest"] == "d" * 64 and len(doc["suite"]["digest"]) == 64
    assert doc["git"] == {"commit": "abc", "dirty": False} and doc["time"]
    assert [(c["name"], c["passed"]) for c in doc["cases"]] == [("a", True), ("b", False)]
    assert "turn 1: answer.contains" in doc["cases"][1]["failure"]
    json.dumps(report_document(report(p)))


def test_content_digest_is_apply_s_comparison():
    base = {"agent": {"agentName": "bot", "instruction": "x" * 40},
            "action_groups": {}, "knowledge_bases": {}, "collaborators": {}}
    same = {**base, "agent": {**base["agent"], "orchestrationType": "DEFAULT"}}
    # orchestration members are not part of a version snapshot (§3.2): same digest
    assert records.content_digest(base) == records.content_digest(same)
    other = {**base, "agent": {**base["agent"], "instruction": "y" * 40}}
    assert records.content_digest(base) != records.content_digest(other)


def test_git_state_outside_a_checkout(tmp_path):
    assert records.git_state(tmp_path) == {"commit": None, "dirty": None}


# -------------------------------------------------------------------------------- junit

def test_junit_parses_and_counts(tmp_path):
    p = project(tmp_path)
    r = report(p, passed=(True, False), repeat=2)
    root = ET.fromstring(to_junit(r))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "2", "0")
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "regress" and suite.get("tests") == "4"
    props = {x.get("name"): x.get("value") for x in suite.find("properties")}
    assert props["version"] == "3" and props["content_digest"] == "d" * 64
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["a #1", "a #2", "b #1", "b #2"]
    failure = cases[2].find("failure")
    assert failure is not None and "answer.contains" in failure.get("message")
    assert "actual trajectory" in failure.text
    assert cases[0].find("failure") is None


def test_junit_errors_and_skipped_notes(tmp_path):
    p = project(tmp_path)
    s = load_suite(p.root / "evals" / "regress.yaml")
    skipped = TurnOutcome(0, "hi", "a", (Check("judge", None, "polite", "-", "skipped: no judge"),),
                          (), (), None)
    cases = (CaseResult("a", (CaseAttempt(1, (skipped,)),)),
             CaseResult("b", (CaseAttempt(1, (), error="turn 1 could not run: boom"),)))
    r = EvalReport("r" * 32, EvalTarget("bot", "A", "1", "d" * 64, "X"),
                   (SuiteRun(s.name, "evals/regress.yaml", s.digest, cases),), "t0", "t1")
    root = ET.fromstring(to_junit(r))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("2", "0", "1")
    a, b = root.iter("testcase")
    assert a.find("system-out").text == "skipped: no judge" and a.find("failure") is None
    assert "boom" in b.find("error").get("message")
