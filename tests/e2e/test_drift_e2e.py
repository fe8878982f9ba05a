"""``agentctl drift``: live agents against what agentctl last applied, field by field (issue 7
item 6), on the local target. Out-of-band changes are made with boto3 on the emulator, as a
console user would make them."""

from __future__ import annotations

import json

from agentctl.exitcodes import ExitCode


def _agent(c):
    aid = c.list_agents()["agentSummaries"][0]["agentId"]
    return aid, c.get_agent(agentId=aid)["agent"]


def test_no_record_then_in_sync_then_drift_then_gone(support_bot):
    p = support_bot
    r = p.cli("drift", "--detailed-exitcode")
    assert r.code == ExitCode.OK and "never applied" in r.out
    assert p.cli("apply", "--auto-approve").code == ExitCode.OK
    r = p.cli("drift", "--detailed-exitcode")
    assert r.code == ExitCode.OK, r.out + r.err
    assert "support-bot: no drift" in r.out and "No drift." in r.out

    emu, c = p.boto()
    try:
        aid, agent = _agent(c)
        c.tag_resource(resourceArn=agent["agentArn"], tags={"owner": "console-user"})
        c.create_agent_alias(agentId=aid, agentAliasName="HOTFIX",
                             routingConfiguration=[{"agentVersion": "1"}])
    finally:
        emu.close()
    p.clear_calls()
    r = p.cli("drift", "--detailed-exitcode")
    assert r.code == ExitCode.CHANGES, r.err
    assert "# support-bot changed outside agentctl" in r.out
    assert '+ tags.owner' in r.out and '"console-user"' in r.out
    assert "+ aliases[HOTFIX]" in r.out
    assert p.mutating_calls() == []  # read-only

    doc = json.loads(p.cli("drift", "-o", "json").out)
    assert doc["kind"] == "drift" and doc["has_drift"] is True
    changes = {(c["path"], c["kind"]) for c in doc["agents"][0]["changes"]}
    assert ("tags.owner", "added") in changes and ("aliases[HOTFIX]", "added") in changes

    # A re-apply makes live match the specs again (the unmanaged alias stays: it is not in the
    # spec, and the baseline is what was applied).
    assert p.cli("destroy", "--auto-approve").code == ExitCode.OK
    r = p.cli("drift")
    assert "never applied" in r.out  # destroy removed the baseline


def test_drift_of_an_agent_deleted_outside_agentctl(support_bot):
    p = support_bot
    assert p.cli("apply", "--auto-approve").code == ExitCode.OK
    emu, c = p.boto()
    try:
        aid, _ = _agent(c)
        c.delete_agent(agentId=aid, skipResourceInUseCheck=True)
    finally:
        emu.close()
    r = p.cli("drift", "--detailed-exitcode")
    assert r.code == ExitCode.CHANGES
    assert "support-bot: deleted outside agentctl" in r.out


def test_drift_unknown_agent_is_usage(support_bot):
    r = support_bot.cli("drift", "--agent", "nope")
    assert r.code == ExitCode.USAGE and "nope" in r.err
