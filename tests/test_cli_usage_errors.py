"""Usage mistakes that used to slip through or read oddly, through the CLI boundary: a typo in an
``AGENTCTL_EMULATOR_*`` variable, an empty ``--agent``, an ``--agent`` naming no agent. Each is
exit 5 (ExitCode.USAGE) with a hint; the first two before any state file is created or any call
is made."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agentctl.cli import run
from agentctl.exitcodes import ExitCode

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "support-bot"


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    for var in ("AGENTCTL_ENV", "AWS_ENDPOINT_URL_BEDROCK_AGENT", "AGENTCTL_EMULATOR_FAULTS",
                "AGENTCTL_EMULATOR_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AGENTCTL_EMULATOR_TIME_SCALE", "0")
    root = tmp_path / "support-bot"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
    return root


def test_misspelt_emulator_variable_is_a_usage_error_naming_the_right_one(
        project, capsys, monkeypatch):
    monkeypatch.setenv("AGENTCTL_EMULATOR_TIMESCALE", "0")
    assert run(["-C", str(project), "plan"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "unknown emulator variable AGENTCTL_EMULATOR_TIMESCALE" in err
    assert "did you mean AGENTCTL_EMULATOR_TIME_SCALE?" in err
    assert not (project / ".agentctl" / "local.db").exists()


def test_misspelt_emulator_variable_stops_emulator_serve_too(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AGENTCTL_EMULATOR_FAULT", '{"seed": 1}')
    code = run(["emulator", "serve", "--port", "0", "--state", str(tmp_path / "x.db")])
    assert code == ExitCode.USAGE
    assert "did you mean AGENTCTL_EMULATOR_FAULTS?" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize("args", [
    ["plan", "--agent", ""],
    ["plan", "--agent", "support-bot", "--agent", " "],
    ["apply", "--agent", "", "--auto-approve"],
    ["status", "--agent", ""],
    ["destroy", "--agent", "", "--auto-approve"],
    ["promote", "PROD", "--agent", "", "--version", "1"],
    ["rollback", "PROD", "--agent", ""],
    ["history", "PROD", "--agent", ""],
])
def test_empty_agent_name_is_a_usage_error(project, capsys, args):
    assert run(["-C", str(project), *args]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "--agent needs an agent name, got an empty one" in err
    assert "unknown agent" not in err
    assert not (project / ".agentctl" / "local.db").exists()


@pytest.mark.parametrize("command", ["plan", "status"])
def test_unknown_agent_name_is_a_usage_error_naming_the_known_ones(project, capsys, command):
    # A typo in --agent must not read as "no changes" / "no agents" with exit 0.
    assert run(["-C", str(project), command, "--agent", "suport-bot"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "unknown agent(s): suport-bot" in err
    assert "agents of this project: support-bot" in err
