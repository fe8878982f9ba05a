"""The shipped example projects, loaded by the real spec loader, survive plan -> apply -> read
back (in the service's response shapes, ``fake_aws``) -> plan with an empty second plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentctl.plan.model import Action
from agentctl.plan.planner import build_plan
from agentctl.spec import load_project

from .fake_aws import FakeBedrock

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PROJECTS = sorted(p.parent for p in EXAMPLES.glob("*/agentctl.yaml"))


def test_there_are_examples():
    assert PROJECTS


@pytest.mark.parametrize("root", PROJECTS, ids=lambda p: p.name)
def test_example_plan_after_apply_is_empty(root: Path):
    project = load_project(root, environ={})
    fake = FakeBedrock()
    first = build_plan(project.desired, fake.live_state(), project=project.name,
                       environment=project.environment.name)
    assert first.has_changes
    fake.apply(first)
    second = build_plan(project.desired, fake.live_state(), project=project.name,
                        environment=project.environment.name)
    assert [s.operation for s in second.steps if s.mutating] == []
    assert [c.address for c in second.changes if c.action is not Action.NOOP] == []
