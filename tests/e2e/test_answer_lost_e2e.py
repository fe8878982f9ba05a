"""A change whose answer is lost after the service committed it (issue 11: a 500 after the
commit, or the connection dropped; botocore retries the call) must still converge in one run:
the emulator's ``error_after_commit`` fault commits every mutating call and then loses its
answer once, so each is retried having already happened. A create's retry carries the same
clientToken (ignored, §1.2), an association without a token meets ConflictException (the
association is adopted), a delete's retry meets ResourceNotFoundException (it counts as done),
and a version-cutting UpdateAgentAlias - not safe to repeat: it would cut a second, orphan
version (§3.1) - is checked instead of repeated."""

from __future__ import annotations

import json

import pytest

from agentctl.exitcodes import ExitCode

from .conftest import Project


def _lose_every_answer(monkeypatch, answer: str) -> None:
    monkeypatch.setenv("AGENTCTL_EMULATOR_FAULTS", json.dumps(
        {"seed": 1, "error_after_commit": {"rate": 1.0, "answer": answer}}))


def _lost(p: Project) -> set[str]:
    emu = p.emulator()
    try:
        return {c.operation for c in emu.calls() if c.outcome.endswith("after commit")}
    finally:
        emu.close()


def _versions(p: Project) -> list[str]:
    emu, client = p.boto()
    try:
        agent_id = client.list_agents()["agentSummaries"][0]["agentId"]
        return sorted(v["agentVersion"] for v in client.list_agent_versions(
            agentId=agent_id)["agentVersionSummaries"] if v["agentVersion"] != "DRAFT")
    finally:
        emu.close()


@pytest.mark.parametrize("answer", ["InternalServerException", "connection"])
def test_every_answer_lost_once_still_converges_in_one_apply(support_bot, monkeypatch, answer):
    p = support_bot
    p.edit("agentctl.yaml", "versionRetention: 5", "versionRetention: 1")
    _lose_every_answer(monkeypatch, answer)
    first = p.cli("apply", "--auto-approve")
    assert first.code == ExitCode.OK, first.err
    # Creates (clientToken), the knowledge-base association (no token: Conflict, adopted), the
    # prepare and the version-cutting alias create all lost their first answer.
    assert {"CreateAgent", "CreateAgentActionGroup", "AssociateAgentKnowledgeBase",
            "PrepareAgent", "CreateAgentAlias"} <= _lost(p)
    assert "that attempt made it: adopted" in first.err
    assert _versions(p) == ["1"]

    p.edit("prompts/instruction.md", "Never invent", "Never, ever invent")
    p.clear_calls()
    second = p.cli("apply", "--auto-approve")
    assert second.code == ExitCode.OK, second.err
    assert "UpdateAgentAlias" in _lost(p)
    # One new version, not two: the lost UpdateAgentAlias was checked, not repeated.
    assert "the alias was updated anyway: not sent again" in second.err
    assert _versions(p) == ["1", "2"]

    monkeypatch.delenv("AGENTCTL_EMULATOR_FAULTS")
    assert p.cli("plan", "--detailed-exitcode").code == ExitCode.OK


def test_repeated_deletes_that_find_nothing_count_as_done(support_bot, monkeypatch):
    p = support_bot
    p.ungate()
    assert p.cli("apply", "--auto-approve").code == ExitCode.OK
    _lose_every_answer(monkeypatch, "InternalServerException")
    gone = p.cli("destroy", "--auto-approve")
    assert gone.code == ExitCode.OK, gone.err
    assert {"DeleteAgentAlias", "DeleteAgent"} <= _lost(p)
    emu, client = p.boto()
    try:
        assert client.list_agents()["agentSummaries"] == []
    finally:
        emu.close()
