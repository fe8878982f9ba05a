"""Releasing a change of an agent whose aliases are all pinned (issue 12 item 2), on the shipped
multi-agent example (its supervisor has only LIVE, pinned), through the CLI against the embedded
emulator: plan shows the release, status agrees, promote puts it live; a supervisor alias left on
a version whose collaborator alias was deleted is noted, with what to promote."""

from __future__ import annotations

import json

from .test_lifecycle_e2e import apply_ok

SUP = "helpdesk-supervisor"


def status_of(p, name):
    r = p.cli("status", "--output", "json")
    assert r.code == 0, r.err
    return next(a for a in json.loads(r.out)["agents"] if a["name"] == SUP)


def test_a_pinned_only_supervisor_releases_its_change_and_plan_and_status_agree(multi_agent):
    p = multi_agent
    apply_ok(p)
    p.edit("agents/supervisor.yaml", "Never answer billing or delivery questions from your own "
           "knowledge.", "Never answer billing or delivery questions yourself.")
    r = p.cli("plan")
    assert r.code == 0, r.err
    assert '+ alias "agentctl-release"' in r.out
    assert (f"{SUP}: prepare DRAFT; cut version 2; agentctl-release (new) -> 2; LIVE stays on 1 "
            f"(promote it with `agentctl promote LIVE --agent {SUP} --from agentctl-release`)") in r.out
    apply_ok(p)
    r = p.cli("plan", "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.out
    st = status_of(p, SUP)
    assert st["newest_version"] == "2" and st["draft_matches_newest"] is True
    assert {a["name"]: a["version"] for a in st["aliases"]} == {"LIVE": "1", "agentctl-release": "2"}
    r = p.cli("status")
    assert (f"{SUP}: version 2 (released on agentctl-release) is not on any of its aliases yet; "
            f"promote it with `agentctl promote LIVE --agent {SUP} --from agentctl-release`") in r.out
    r = p.cli("promote", "LIVE", "--agent", SUP, "--from", "agentctl-release")
    assert r.code == 0, r.err
    assert {a["name"]: a["version"] for a in status_of(p, SUP)["aliases"]}["LIVE"] == "2"
    assert "not on any of its aliases" not in p.cli("status").out
    r = p.cli("plan", "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out


def test_a_live_version_that_uses_a_deleted_collaborator_alias_is_noted(multi_agent):
    p = multi_agent
    apply_ok(p)
    r = p.cli("destroy", "--agent", "billing-agent", "--auto-approve")
    assert r.code == 0, r.err
    apply_ok(p)  # billing-agent again (new id, new PROD alias); the supervisor cuts version 2
    r = p.cli("plan", "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.out + r.err
    note = next(line for line in r.out.splitlines() if "alias.LIVE" in line)
    assert "routes to version 1, whose collaborator billing uses alias" in note
    assert f"`agentctl promote LIVE --agent {SUP} --from agentctl-release`" in note
    r = p.cli("promote", "LIVE", "--agent", SUP, "--from", "agentctl-release")
    assert r.code == 0, r.err
    r = p.cli("plan")
    assert "Notes:" not in r.out and "No changes." in r.out
