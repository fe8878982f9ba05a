"""Disabling a supervisor's collaboration, end to end through ``agentctl.apply.lifecycle``, the executor
and the embedded emulator (the only non-pure test under tests/plan: it checks that the step order
the planner chooses is accepted step by step by the emulator's service-behaviour.md §2.2 rules).

The emulator refuses PrepareAgent of a SUPERVISOR agent without collaborators; it accepts
disassociating the last collaborator while the agent is still SUPERVISOR (as Terraform's
collaborator delete relies on) and does not itself enforce "disassociate before disabling", so
the order is asserted on the plan and the emulator's call log.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from agentctl.aws import client as aws
from agentctl.apply import lifecycle
from agentctl.emulator import EmulatorConfig

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "multi-agent"
FAST = EmulatorConfig(time_scale=0.0)
TIMING = aws.Timing(poll_initial=0.001, poll_max=0.01, wait_timeout=30.0, retries=10,
                    backoff_base=0.001, backoff_max=0.01, jitter=False)


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    for var in ("AGENTCTL_ENV", "AWS_ENDPOINT_URL_BEDROCK_AGENT", "AGENTCTL_EMULATOR_FAULTS",
                "AGENTCTL_EMULATOR_CONFIG", "AGENTCTL_EMULATOR_TIME_SCALE"):
        monkeypatch.delenv(var, raising=False)
    root = tmp_path / "multi-agent"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
    return root


def apply(root: Path):
    with lifecycle.opened(root, None, timing=TIMING, emulator_config=FAST) as ctx:
        plan = lifecycle.compute_plan(ctx)
        result = lifecycle.apply_plan(ctx, plan, record=False)
        lifecycle.raise_for_result(result)
        again = lifecycle.compute_plan(ctx)
        calls = [(c.operation, c.outcome) for c in ctx.clients.emulator.calls()]
    return plan, again, calls


def test_disabling_collaboration_is_accepted_by_the_emulator_and_converges(project):
    apply(project)
    spec = project / "agents" / "supervisor.yaml"
    text = spec.read_text()
    spec.write_text(re.sub(r"\ncollaboration:\n(?:  .*\n|\n)*?(?=\naliases:)", "\n", text))
    assert "collaboration" not in spec.read_text()

    plan, again, calls = apply(project)
    sup = [s.operation for s in plan.steps if s.address.startswith("agent.helpdesk-supervisor")]
    assert sup[:4] == ["DisassociateAgentCollaborator", "DisassociateAgentCollaborator",
                       "UpdateAgent", "PrepareAgent"]
    assert not again.has_changes
    # Every call succeeded: no refused PrepareAgent, no state refusal retried by the executor.
    assert [c for c in calls if c[1] != "ok"] == []
    assert ("DisassociateAgentCollaborator", "ok") in calls
