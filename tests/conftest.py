"""Suite-wide pytest configuration.

- ``--update-golden`` rewrites golden files (tests/golden) instead of comparing, so reviewers
  read output changes as diffs.
- Tests marked ``aws`` run against real AWS and are skipped unless ``AGENTCTL_AWS_TESTS=1``
  (credentials and the AGENTCTL_AWS_TEST_* variables documented in README are then needed).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite golden expected files instead of comparing")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("AGENTCTL_AWS_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="real-AWS test: set AGENTCTL_AWS_TESTS=1 and credentials to run")
    for item in items:
        if "aws" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _no_colour_from_the_outside(monkeypatch):
    """Colour is decided by the environment (agentctl/console.py); a developer's FORCE_COLOR or
    a CI runner's CI variable must not change what tests see. Tests of those rules set them.
    Likewise GitHub's variables: this suite running on GitHub Actions must neither print
    annotations nor append the tests' summaries to the real job summary."""
    for var in ("FORCE_COLOR", "NO_COLOR", "CI", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY",
                "GITHUB_WORKSPACE"):
        monkeypatch.delenv(var, raising=False)


# --------------------------------------------- in-process CLI runs on a copy of an example

@pytest.fixture
def instant_emulator(monkeypatch):
    """The embedded emulator settles at once (time scale 0) and no variable from the outside
    changes which target or faults a test gets (use with ``pytest.mark.usefixtures``)."""
    monkeypatch.setenv("AGENTCTL_EMULATOR_TIME_SCALE", "0")
    for var in ("AGENTCTL_ENV", "AWS_ENDPOINT_URL_BEDROCK_AGENT", "AGENTCTL_EMULATOR_FAULTS",
                "AGENTCTL_EMULATOR_CONFIG"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of examples/support-bot (without its local state)."""
    root = tmp_path / "support-bot"
    shutil.copytree(EXAMPLES / "support-bot", root,
                    ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
    return root


@pytest.fixture
def cli(capsys) -> Callable[..., tuple[int, str, str]]:
    """``cli(*args)``: run ``agentctl ARGS`` in process; (exit code, stdout, stderr)."""
    from agentctl.cli import run

    def run_cli(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = run(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run_cli
