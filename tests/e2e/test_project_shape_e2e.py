"""Project-level shapes a new user hits (issue 12 items 3 and 4), through the CLI against the
embedded emulator: reserved tags are a validation error, and a project may shrink to no agents
(so ``--prune`` can remove the last one)."""

from __future__ import annotations

import json

from agentctl.exitcodes import ExitCode

from .test_lifecycle_e2e import apply_ok

SPEC = "agents/support-bot.yaml"


def test_reserved_tags_are_a_validation_error_and_nothing_is_applied(support_bot):
    p = support_bot
    p.edit(SPEC, "tags: { team: support }", "tags: { team: support, 'agentctl:project': other }")
    r = p.cli("validate")
    assert r.code == ExitCode.INVALID_SPEC, r.out + r.err
    assert "tags.reserved" in r.out + r.err and "agentctl:project" in r.out + r.err
    r = p.cli("apply", "--auto-approve")
    assert r.code == ExitCode.INVALID_SPEC
    assert p.mutating_calls() == []


def test_a_project_shrinks_to_no_agents_and_prune_removes_the_last_one(support_bot):
    p = support_bot
    apply_ok(p)
    (p.root / SPEC).unlink()
    r = p.cli("validate")
    assert r.code == 0, r.out + r.err
    assert "OK: 0 agent spec(s)" in r.out and "project.glob-no-match" in r.out + r.err
    r = p.cli("plan")
    assert r.code == 0 and "`--prune` deletes it" in r.out
    r = p.cli("apply", "--prune", "--auto-approve")
    assert r.code == 0, r.err
    r = p.cli("status", "--output", "json")
    assert json.loads(r.out)["agents"] == []
    # ``agents: []`` is a valid project too.
    p.edit("agentctl.yaml", 'agents: ["agents/*.yaml"]', "agents: []")
    r = p.cli("plan", "--prune", "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.out + r.err
