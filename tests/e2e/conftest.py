"""End-to-end fixtures: an example project copied to tmp_path, driven through the real CLI
(``agentctl.cli.run``) or ``agentctl.apply.lifecycle``, against the embedded emulator.

The emulator runs at 2% of its default durations (``AGENTCTL_EMULATOR_TIME_SCALE``, the same knob
users have) so statuses still go through CREATING / PREPARING / VERSIONING, only faster. The call
log lives in the emulator's database, so a second ``Emulator`` on the same file reads it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agentctl.cli import run

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


@dataclass
class Result:
    code: int
    out: str
    err: str


@dataclass
class Project:
    root: Path
    capsys: Any

    def cli(self, *args: str) -> Result:
        self.capsys.readouterr()
        code = run(["-C", str(self.root), *args])
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    @property
    def state(self) -> Path:
        return self.root / ".agentctl" / "local.db"

    def emulator(self):
        from agentctl.emulator import Emulator

        return Emulator(state_path=self.state, region="us-east-1", account="123456789012")

    def mutating_calls(self) -> list[str]:
        from agentctl.emulator import MUTATING_OPERATIONS

        emu = self.emulator()
        try:
            return [c.operation for c in emu.calls() if c.operation in MUTATING_OPERATIONS]
        finally:
            emu.close()

    def clear_calls(self) -> None:
        emu = self.emulator()
        try:
            emu.clear_calls()
        finally:
            emu.close()

    def boto(self):
        """(emulator, client) on the project's state: for out-of-band changes and checks."""
        emu = self.emulator()
        return emu, emu.client()

    def ungate(self) -> None:
        """Drop the example's eval gate on PROD (tests of promote itself, not of the gate)."""
        ungate(self.root)

    def edit(self, rel: str, old: str, new: str) -> None:
        p = self.root / rel
        text = p.read_text()
        assert old in text, f"{old!r} not in {rel}"
        p.write_text(text.replace(old, new, 1))


GATE = '    PROD: { suites: ["evals/*.yaml"], passRate: 1.0 }\n'


def ungate(root: Path) -> None:
    """Remove the PROD gate from a copied example's agentctl.yaml (tests/eval covers gating)."""
    p = root / "agentctl.yaml"
    p.write_text(p.read_text().replace("  gates:\n" + GATE, ""))


def copy_example(name: str, dest: Path) -> Path:
    root = dest / name
    shutil.copytree(EXAMPLES / name, root, ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
    return root


@pytest.fixture(autouse=True)
def _fast_emulator(monkeypatch):
    monkeypatch.setenv("AGENTCTL_EMULATOR_TIME_SCALE", "0.02")
    for var in ("AGENTCTL_ENV", "AWS_ENDPOINT_URL_BEDROCK_AGENT", "AGENTCTL_EMULATOR_FAULTS",
                "AGENTCTL_EMULATOR_CONFIG", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def support_bot(tmp_path, capsys) -> Project:
    return Project(copy_example("support-bot", tmp_path), capsys)


@pytest.fixture
def multi_agent(tmp_path, capsys) -> Project:
    return Project(copy_example("multi-agent", tmp_path), capsys)
