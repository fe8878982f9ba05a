"""A supervisor drops a collaborator while the same apply deletes what it pointed at, end to end on
examples/multi-agent through the CLI and the embedded emulator.

Preparing the supervisor after the disassociation is what releases its reference to the
collaborator's alias (service-behaviour.md §2.2; Terraform's ``prepareSupervisorToReleaseCollaborator``),
so the supervisor's DisassociateAgentCollaborator and PrepareAgent must come before the
collaborator's DeleteAgentAlias / DeleteAgent, even though the executor runs different agents
concurrently. The order is read from the emulator's call log (sequence numbers)."""

from __future__ import annotations

import json

import pytest

from agentctl.exitcodes import ExitCode

from .conftest import Project

BILLING_COLLABORATOR = """\
    - name: billing
      agent: billing-agent
      alias: PROD
      instruction: Route invoice, charge and refund questions here.
      relayConversationHistory: true
"""
BILLING_ALIASES = """
aliases:
  - name: PROD
    description: Used by the helpdesk supervisor.
"""


def agent_ids(p: Project) -> dict[str, str]:
    emu, c = p.boto()
    try:
        return {a["agentName"]: a["agentId"] for a in c.list_agents()["agentSummaries"]}
    finally:
        emu.close()


def calls_of(p: Project) -> list[tuple[int, str, str | None]]:
    """(seq, operation, agentId) of every successful call since the last clear."""
    emu = p.emulator()
    try:
        return [(c.seq, c.operation, c.params.get("agentId")) for c in emu.calls()
                if c.outcome == "ok"]
    finally:
        emu.close()


def first(calls, operation: str, agent_id: str) -> int:
    return next(seq for seq, op, aid in calls if op == operation and aid == agent_id)


@pytest.mark.parametrize("how", ["prune-agent", "delete-alias"])
def test_supervisor_releases_the_collaborator_before_its_alias_or_agent_is_deleted(multi_agent, how):
    p = multi_agent
    assert p.cli("apply", "--auto-approve").code == 0
    ids = agent_ids(p)
    sup, billing = ids["helpdesk-supervisor"], ids["billing-agent"]

    p.edit("agents/supervisor.yaml", BILLING_COLLABORATOR, "")
    if how == "prune-agent":
        (p.root / "agents" / "billing.yaml").unlink()
    else:
        p.edit("agents/billing.yaml", BILLING_ALIASES, "")

    plan = json.loads(p.cli("plan", "--prune", "--output", "json").out)
    deletions = [s for s in plan["steps"] if s["address"].startswith("agent.billing-agent")
                 and s["operation"] in ("DeleteAgentAlias", "DeleteAgent")]
    assert deletions
    for step in deletions:
        assert step["after"] == ["agent.helpdesk-supervisor",
                                 "agent.helpdesk-supervisor.collaborator.billing"]

    p.clear_calls()
    r = p.cli("apply", "--prune", "--auto-approve")
    assert r.code == 0, r.err
    calls = calls_of(p)
    disassociate = first(calls, "DisassociateAgentCollaborator", sup)
    prepare = first(calls, "PrepareAgent", sup)
    delete_alias = first(calls, "DeleteAgentAlias", billing)
    assert disassociate < prepare < delete_alias
    # The supervisor's prepare completed (polled to PREPARED) before the deletion was sent.
    polls = [seq for seq, op, aid in calls if op == "GetAgent" and aid == sup]
    assert any(prepare < seq < delete_alias for seq in polls)
    if how == "prune-agent":
        assert delete_alias < first(calls, "DeleteAgent", billing)
        assert "billing-agent" not in agent_ids(p)

    r = p.cli("plan", "--prune", "--detailed-exitcode")
    assert r.code == ExitCode.OK, r.out


def test_selecting_a_supervisor_whose_collaborators_do_not_exist_is_a_usage_error(multi_agent):
    p = multi_agent
    r = p.cli("apply", "--agent", "helpdesk-supervisor", "--auto-approve")
    assert r.code == ExitCode.USAGE, r.err
    assert "add --agent billing-agent --agent shipping-agent" in r.err
    assert "Traceback" not in r.err
    assert p.mutating_calls() == []
    # Once one collaborator exists, only the other one is named.
    assert p.cli("apply", "--agent", "billing-agent", "--auto-approve").code == 0
    r = p.cli("plan", "--agent", "helpdesk-supervisor")
    assert r.code == ExitCode.USAGE
    assert "add --agent shipping-agent to create it" in r.err and "billing-agent" not in r.err
    r = p.cli("apply", "--agent", "helpdesk-supervisor", "--agent", "shipping-agent",
              "--auto-approve")
    assert r.code == 0, r.err
    assert p.cli("plan", "--detailed-exitcode").code == ExitCode.OK


def test_renaming_the_collaborators_alias_re_points_the_supervisor_then_deletes_the_old_one(
        multi_agent):
    p = multi_agent
    assert p.cli("apply", "--auto-approve").code == 0
    ids = agent_ids(p)
    sup, billing = ids["helpdesk-supervisor"], ids["billing-agent"]
    p.edit("agents/billing.yaml", "  - name: PROD\n", "  - name: LIVE\n")
    p.edit("agents/supervisor.yaml", "agent: billing-agent\n      alias: PROD\n",
           "agent: billing-agent\n      alias: LIVE\n")

    p.clear_calls()
    r = p.cli("apply", "--auto-approve")
    assert r.code == 0, r.err
    calls = calls_of(p)
    create_live = first(calls, "CreateAgentAlias", billing)
    update_collab = first(calls, "UpdateAgentCollaborator", sup)
    prepare = first(calls, "PrepareAgent", sup)
    delete_prod = first(calls, "DeleteAgentAlias", billing)
    assert create_live < update_collab < prepare < delete_prod
    assert p.cli("plan", "--detailed-exitcode").code == ExitCode.OK
