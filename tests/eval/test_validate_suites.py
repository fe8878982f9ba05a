"""`agentctl validate` checks the project's eval suites and gates; `plan` lists gated aliases."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from agentctl.cli import run
from agentctl.exitcodes import ExitCode

REPO = Path(__file__).resolve().parents[2]
GATE = '  gates:\n    PROD: { suites: ["evals/*.yaml"], passRate: 1.0 }\n'


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    monkeypatch.delenv("AGENTCTL_ENV", raising=False)
    root = tmp_path / "support-bot"
    shutil.copytree(REPO / "examples" / "support-bot", root,
                    ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
    # Each test sets the gates it is about (the example gates PROD).
    pfile = root / "agentctl.yaml"
    pfile.write_text(pfile.read_text().replace(GATE, ""))
    return root


def cli(capsys, *args):
    capsys.readouterr()
    code = run(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_example_suites_validate_in_every_environment(project, capsys):
    for env in ("local", "prod"):
        code, out, _ = cli(capsys, "-C", str(project), "validate", "-e", env, "--strict")
        assert code == 0, out


def test_a_broken_suite_fails_validate_with_its_position(project, capsys):
    suite = project / "evals" / "support-bot.yaml"
    edit(suite, "matches: 'estimated delivery", "matches: '[estimated delivery")
    code, out, _ = cli(capsys, "-C", str(project), "validate", "-o", "json")
    assert code == ExitCode.INVALID_SPEC
    (p,) = json.loads(out)["problems"]
    line = next(i for i, t in enumerate(suite.read_text().splitlines(), 1) if "'[estimated" in t)
    assert (p["file"], p["line"], p["code"]) == ("evals/support-bot.yaml", line, "eval.regex")
    # naming the suite validates it (as a suite, not as an agent spec)
    code, out, _ = cli(capsys, "-C", str(project), "validate", "evals/support-bot.yaml")
    assert code == ExitCode.INVALID_SPEC and "eval.regex" in out


def test_unknown_variable_in_a_suite_is_located(project, capsys):
    edit(project / "evals" / "support-bot.yaml", "${var.hrKnowledgeBaseId}", "${var.hrKb}")
    code, out, _ = cli(capsys, "-C", str(project), "validate")
    assert code == ExitCode.INVALID_SPEC
    assert "evals/support-bot.yaml:" in out and "hrKb" in out


def test_gate_warnings(project, capsys):
    pfile = project / "agentctl.yaml"
    edit(pfile, "  versionRetention: 5\n", "  versionRetention: 5\n  gates:\n"
         "    STAGING: { suites: [evals/*.yaml] }\n    QA: { suites: [nothing/*.yaml] }\n")
    code, out, _ = cli(capsys, "-C", str(project), "validate", "-o", "json")
    assert code == 0
    codes = sorted(p["code"] for p in json.loads(out)["problems"])
    assert codes == ["gate.no-suites", "gate.tracking-alias", "gate.unknown-alias"]
    code, _, _ = cli(capsys, "-C", str(project), "validate", "--strict")
    assert code == ExitCode.INVALID_SPEC


def test_gate_setting_is_schema_checked(project, capsys):
    edit(project / "agentctl.yaml", "  versionRetention: 5\n",
         "  versionRetention: 5\n  gates:\n    PROD: { suites: [], passRate: 2 }\n")
    code, out, _ = cli(capsys, "-C", str(project), "validate", "-o", "json")
    assert code == ExitCode.INVALID_SPEC
    paths = sorted(p["path"] for p in json.loads(out)["problems"])
    assert paths == ["settings.gates.PROD.passRate", "settings.gates.PROD.suites"]


def test_plan_lists_gated_aliases(project, capsys, monkeypatch):
    monkeypatch.setenv("AGENTCTL_EMULATOR_TIME_SCALE", "0")
    edit(project / "agentctl.yaml", "  versionRetention: 5\n", "  versionRetention: 5\n" + GATE)
    code, out, _ = cli(capsys, "-C", str(project), "plan")
    assert code == 0
    assert "PROD (support-bot) is gated: promote needs a passing `agentctl eval` run (100%) " \
           "of evals/*.yaml" in out
    code, out, _ = cli(capsys, "-C", str(project), "plan", "-o", "json")
    assert json.loads(out)["gates"] == {"PROD": {"suites": ["evals/*.yaml"], "passRate": 1.0,
                                                 "agents": ["support-bot"]}}
