"""Whatever a spec contains, loading it ends in a result or an AgentctlError, never another
exception (which the CLI would turn into "internal error"). Seeded random mutations of the
examples: values replaced by values of the wrong type, bad includes, interpolations, ..."""

from __future__ import annotations

import copy
import random
import shutil
from pathlib import Path

import pytest
import yaml

from agentctl.errors import AgentctlError
from agentctl.spec import load_project

REPO = Path(__file__).resolve().parents[2]
VALUES = [None, 1, -5, 3.5, True, "", "x", [], {}, [1, "a"], {"a": 1}, {"file": 3}, {"file": "../../x"},
          {"file": "x" * 300}, "${var.nope}", "$${x}", "x" * 300, {"inline": {"openapi": "3.0.0"}}]


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, path + (i,))


@pytest.mark.parametrize("example,target", [
    ("support-bot", "agents/support-bot.yaml"),
    ("support-bot", "openapi/orders.yaml"),
    ("support-bot", "agentctl.yaml"),
    ("multi-agent", "agents/supervisor.yaml"),
])
def test_mutated_specs_never_crash(example, target, tmp_path, monkeypatch):
    monkeypatch.delenv("AGENTCTL_ENV", raising=False)
    root = tmp_path / example
    shutil.copytree(REPO / "examples" / example, root)
    original = yaml.safe_load((root / target).read_text())
    rng = random.Random(f"{example}/{target}")
    outcomes = {"ok": 0, "error": 0}
    for _ in range(40):
        doc = copy.deepcopy(original)
        for _ in range(rng.randint(1, 3)):
            path = rng.choice([p for p in _paths(doc) if p])
            parent = doc
            for part in path[:-1]:
                parent = parent[part]
            parent[path[-1]] = copy.deepcopy(rng.choice(VALUES))
        (root / target).write_text(yaml.safe_dump(doc))
        try:
            load_project(root, None)
            outcomes["ok"] += 1
        except AgentctlError:
            outcomes["error"] += 1
    assert outcomes["error"] > 0  # the mutations do break things, and each break was reported
