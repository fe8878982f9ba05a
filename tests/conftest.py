"""Suite-wide pytest configuration.

- ``--update-golden`` rewrites golden files (tests/golden) instead of comparing, so reviewers
  read output changes as diffs.
- Tests marked ``aws`` run against real AWS and are skipped unless ``AGENTCTL_AWS_TESTS=1``
  (credentials and the AGENTCTL_AWS_TEST_* variables documented in README are then needed).
"""

from __future__ import annotations

import os

import pytest


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
