"""End-to-end lifecycle scenarios on examples/support-bot (and examples/multi-agent) through the
CLI and the embedded emulator: convergence, idempotence, crash recovery, stale plans,
ownership, promote / rollback / history, destroy, exit codes."""

from __future__ import annotations

import json
import threading

import filelock
import pytest

from agentctl.apply import lifecycle
from agentctl.exitcodes import ExitCode

from .conftest import Project, copy_example

AGENT = "support-bot"


def apply_ok(p: Project, *args: str) -> None:
    r = p.cli("apply", "--auto-approve", *args)
    assert r.code == 0, r.err


def versions_of(client, agent_id: str) -> list[str]:
    # DeleteAgentVersion is asynchronous (202, §3.3): a version on its way out is not counted.
    out = [v["agentVersion"] for v in client.list_agent_versions(agentId=agent_id)
           ["agentVersionSummaries"] if v.get("agentStatus") != "DELETING"]
    return sorted((v for v in out if v != "DRAFT"), key=int)


# ------------------------------------------------------------------------ convergence

def test_apply_then_plan_is_empty_and_a_second_apply_makes_no_mutating_call(support_bot):
    p = support_bot
    r = p.cli("plan", "--detailed-exitcode")
    assert r.code == ExitCode.CHANGES
    apply_ok(p)
    assert "CreateAgent" in p.mutating_calls()
    r = p.cli("plan", "--detailed-exitcode")
    assert r.code == ExitCode.OK, r.out
    assert "No changes" in r.out
    p.clear_calls()
    r = p.cli("apply", "--auto-approve")
    assert r.code == 0
    assert p.mutating_calls() == []


def test_plan_reads_each_resource_s_tags_once(support_bot):
    # Discovery of the project's agents reads every agent's tags; the live reader reuses them.
    p = support_bot
    apply_ok(p)
    p.clear_calls()
    assert p.cli("plan").code == 0
    emu = p.emulator()
    try:
        arns = [c.params["resourceArn"] for c in emu.calls("ListTagsForResource")]
    finally:
        emu.close()
    assert arns and sorted(arns) == sorted(set(arns))
    assert any(":agent/" in a for a in arns)


def test_multi_agent_example_converges_with_cross_agent_references(multi_agent):
    p = multi_agent
    apply_ok(p)
    assert p.cli("plan", "--detailed-exitcode").code == ExitCode.OK
    emu, c = p.boto()
    try:
        agents = {a["agentName"]: a["agentId"] for a in c.list_agents()["agentSummaries"]}
        sup = next(n for n in agents if "supervisor" in n)
        collabs = c.list_agent_collaborators(agentId=agents[sup], agentVersion="DRAFT")
        arns = {x["agentDescriptor"]["aliasArn"] for x in collabs["agentCollaboratorSummaries"]}
        assert len(arns) == 2
        for arn in arns:  # each points at a real alias of a project agent
            agent_id, alias_id = arn.rsplit("/", 2)[-2:]
            assert c.get_agent_alias(agentId=agent_id, agentAliasId=alias_id)
    finally:
        emu.close()


class Crash(BaseException):
    """Stands in for the process dying right after a call succeeded."""


def test_crash_after_each_mutating_step_then_rerun_converges_without_duplicates(tmp_path, capsys):
    probe = Project(copy_example("support-bot", tmp_path / "probe"), capsys)
    with lifecycle.opened(probe.root, None) as ctx:
        n = sum(1 for s in lifecycle.compute_plan(ctx).steps if s.mutating)
    assert n >= 6
    for k in range(1, n + 1):
        p = Project(copy_example("support-bot", tmp_path / f"k{k}"), capsys)
        seen = []

        def crash_after(step, response, k=k, seen=seen):
            if step.mutating:
                seen.append(step.operation)
                if len(seen) == k:
                    raise Crash(step.operation)

        with lifecycle.opened(p.root, None) as ctx:
            plan = lifecycle.compute_plan(ctx)
            with pytest.raises(Crash):
                lifecycle.apply_plan(ctx, plan, after_step=crash_after)
        apply_ok(p)
        assert p.cli("plan", "--detailed-exitcode").code == ExitCode.OK, f"k={k}"
        emu, c = p.boto()
        try:
            agents = [a for a in c.list_agents()["agentSummaries"] if a["agentName"] == AGENT]
            assert len(agents) == 1, f"k={k}: duplicate agents"
            aid = agents[0]["agentId"]
            groups = [g["actionGroupName"] for g in c.list_agent_action_groups(
                agentId=aid, agentVersion="DRAFT", maxResults=100)["actionGroupSummaries"]]
            assert sorted(groups) == ["ClientCalendar", "OrderApi", "OrderTools"], f"k={k}"
            aliases = [a["agentAliasName"] for a in c.list_agent_aliases(agentId=aid)
                       ["agentAliasSummaries"] if a["agentAliasId"] != "TSTALIASID"]
            assert sorted(aliases) == ["PROD", "STAGING"], f"k={k}"
            assert versions_of(c, aid) == ["1"], f"k={k}: versions {versions_of(c, aid)}"
        finally:
            emu.close()


def test_a_spec_change_cuts_one_version_moves_latest_alias_and_keeps_pinned(support_bot):
    p = support_bot
    apply_ok(p)
    p.edit("agents/support-bot.yaml", "description: Customer support for orders and HR policies.",
           "description: Customer support for orders, returns and HR policies.")
    r = p.cli("plan")
    assert "STAGING 1 -> 2" in r.out and "PROD stays on 1" in r.out
    r = p.cli("apply", "--auto-approve")
    assert r.code == 0
    assert "version 2 cut" in r.out and "STAGING -> 2" in r.out
    r = p.cli("status", "--output", "json")
    doc = json.loads(r.out)
    (agent,) = doc["agents"]
    assert agent["versions"] == ["1", "2"] and agent["draft_matches_newest"] is True
    assert {a["name"]: a["version"] for a in agent["aliases"]} == {"PROD": "1", "STAGING": "2"}


def test_version_retention_deletes_old_unreferenced_versions(support_bot):
    p = support_bot
    p.edit("agentctl.yaml", "versionRetention: 5", "versionRetention: 1")
    apply_ok(p)
    for i in range(3):
        p.edit("agents/support-bot.yaml", f"description: Customer support {'x' * i}for orders",
               f"description: Customer support {'x' * (i + 1)}for orders")
        apply_ok(p)
    emu, c = p.boto()
    try:
        aid = c.list_agents()["agentSummaries"][0]["agentId"]
        # PROD (pinned) still serves 1, STAGING the newest (4); of the versions no alias routes
        # to (3, 2) the newest one is kept; 2 went in the same apply that moved STAGING off 3.
        assert versions_of(c, aid) == ["1", "3", "4"]
    finally:
        emu.close()
    assert p.cli("plan", "--detailed-exitcode").code == ExitCode.OK


def test_failed_prepare_is_a_partial_apply_with_the_reason_and_a_rerun_converges(
        support_bot, monkeypatch):
    p = support_bot
    monkeypatch.setenv("AGENTCTL_EMULATOR_FAULTS", '{"prepare_failure_probability": 1.0}')
    r = p.cli("apply", "--auto-approve")
    assert r.code == ExitCode.APPLY_FAILED
    assert "injected failure" in r.err
    assert "not run:" in r.out and "alias.STAGING" in r.out
    monkeypatch.delenv("AGENTCTL_EMULATOR_FAULTS")
    apply_ok(p)
    assert p.cli("plan", "--detailed-exitcode").code == ExitCode.OK


# -------------------------------------------------------------------------- saved plans

def test_saved_plan_applies_exactly_once(support_bot):
    p = support_bot
    plan_file = p.root / "plan.json"
    assert p.cli("plan", "--out", str(plan_file)).code == 0
    r = p.cli("apply", str(plan_file))
    assert r.code == 0, r.err
    r = p.cli("apply", str(plan_file))
    assert r.code == ExitCode.STALE_PLAN
    assert "already applied" in r.err


def test_saved_plan_refused_when_the_agent_was_created_meanwhile(support_bot):
    p = support_bot
    plan_file = p.root / "plan.json"
    p.cli("plan", "--out", str(plan_file))
    apply_ok(p)
    p.clear_calls()
    r = p.cli("apply", str(plan_file))
    assert r.code == ExitCode.STALE_PLAN
    assert "support-bot (created)" in r.err
    assert p.mutating_calls() == []


def test_saved_plan_refused_after_an_out_of_band_change(support_bot):
    p = support_bot
    apply_ok(p)
    p.edit("agents/support-bot.yaml", "description: Customer support for orders",
           "description: Support for orders")
    plan_file = p.root / "plan.json"
    p.cli("plan", "--out", str(plan_file))
    emu, c = p.boto()
    try:
        aid = c.list_agents()["agentSummaries"][0]["agentId"]
        arn = c.get_agent(agentId=aid)["agent"]["agentArn"]
        c.tag_resource(resourceArn=arn, tags={"owner": "someone-else"})
    finally:
        emu.close()
    r = p.cli("apply", str(plan_file))
    assert r.code == ExitCode.STALE_PLAN
    assert "support-bot (changed)" in r.err


def test_saved_plan_refused_when_the_specs_changed_since_and_says_what(support_bot):
    # Issue 12 item 14 / issue 7 item 6: like Terraform, a saved plan whose configuration
    # changed since it was made is refused (exit 4), and the message says what changed. It
    # used to apply without a word.
    p = support_bot
    apply_ok(p)
    p.edit("agents/support-bot.yaml", "description: Customer support for orders",
           "description: Support for orders")
    plan_file = p.root / "plan.json"
    assert p.cli("plan", "--out", str(plan_file)).code == 0
    (p.root / "prompts" / "instruction.md").write_text(
        (p.root / "prompts" / "instruction.md").read_text() + "\nAlways be brief.\n")
    p.edit("agents/support-bot.yaml", "description: Look up and cancel customer orders",
           "description: Look up customer orders")
    p.clear_calls()
    r = p.cli("apply", str(plan_file))
    assert r.code == ExitCode.STALE_PLAN, r.err
    assert ("support-bot: instruction and actionGroups[OrderTools] changed since the plan was "
            "made") in r.err
    assert "agentctl plan --out" in r.err
    assert p.mutating_calls() == []
    # Undoing the edits makes the same plan applicable again: the check compares content.
    p.edit("agents/support-bot.yaml", "description: Look up customer orders",
           "description: Look up and cancel customer orders")
    (p.root / "prompts" / "instruction.md").write_text(
        (p.root / "prompts" / "instruction.md").read_text().replace("\nAlways be brief.\n", ""))
    r = p.cli("apply", str(plan_file))
    assert r.code == ExitCode.OK, r.err


def test_saved_plan_refused_on_another_environment(support_bot):
    p = support_bot
    text = (p.root / "agentctl.yaml").read_text()
    text = text.replace("environments:\n", "environments:\n  other:\n    target: local\n"
                        "    region: us-east-1\n    account: \"123456789012\"\n"
                        "    state: .agentctl/other.db\n    variables:\n"
                        "      hrKnowledgeBaseId: KB1234ABCD\n"
                        "      orderToolsLambda: arn:aws:lambda:us-east-1:123456789012:function:o\n"
                        "    world:\n      knowledgeBases:\n        - id: KB1234ABCD\n"
                        "          name: hr\n          description: HR\n", 1)
    (p.root / "agentctl.yaml").write_text(text)
    plan_file = p.root / "plan.json"
    assert p.cli("plan", "--out", str(plan_file)).code == 0
    r = p.cli("apply", str(plan_file), "-e", "other")
    assert r.code == ExitCode.STALE_PLAN
    assert "environment 'local'" in r.err


def test_corrupt_plan_file_is_a_clear_error(support_bot):
    p = support_bot
    bad = p.root / "plan.json"
    bad.write_text("{not json")
    r = p.cli("apply", str(bad))
    assert r.code not in (0, ExitCode.CHANGES)
    assert "Traceback" not in r.err and "plan" in r.err.lower()
    r = p.cli("apply", str(p.root / "missing.json"))
    assert r.code == ExitCode.USAGE


# ----------------------------------------------------------------------------- ownership

def test_unowned_agent_is_refused_until_adopted(support_bot):
    p = support_bot
    emu, c = p.boto()
    try:
        c.create_agent(agentName=AGENT, agentResourceRoleArn="arn:aws:iam::123456789012:role/R",
                       foundationModel="anthropic.claude-3-5-sonnet-20241022-v2:0",
                       instruction="A hand-made agent that agentctl did not create. " * 2)
    finally:
        emu.close()
    p.clear_calls()
    r = p.cli("plan")
    assert r.code == ExitCode.NOT_OWNED and "agentctl adopt support-bot" in r.err
    r = p.cli("apply", "--auto-approve")
    assert r.code == ExitCode.NOT_OWNED
    r = p.cli("status")
    assert "NOT managed" in r.out
    r = p.cli("adopt", AGENT)  # no TTY, no --yes: refused
    assert r.code == ExitCode.USAGE
    assert p.mutating_calls() == []
    r = p.cli("adopt", AGENT, "--yes")
    assert r.code == 0, r.err
    assert p.mutating_calls() == ["TagResource"]
    # Issue 12 item 12: adopting again (a re-run script) is a no-op, not "already managed".
    p.clear_calls()
    r = p.cli("adopt", AGENT, "--yes")
    assert r.code == 0, r.err
    assert "already managed" in r.out and "nothing to do" in r.out
    assert p.mutating_calls() == []
    r = p.cli("adopt", AGENT, "-o", "json")  # no prompt needed for a no-op
    assert r.code == 0 and json.loads(r.out)["changed"] is False
    apply_ok(p)
    assert p.cli("plan", "--detailed-exitcode").code == ExitCode.OK
    emu, c = p.boto()
    try:
        assert len(c.list_agents()["agentSummaries"]) == 1
    finally:
        emu.close()


# ------------------------------------------------------------- promote/rollback/history

def test_promote_rollback_and_history(support_bot):
    p = support_bot
    p.ungate()  # promote itself; the eval gate is tests/e2e/test_eval_gate_e2e.py
    apply_ok(p)
    p.edit("agents/support-bot.yaml", "description: Customer support for orders",
           "description: Support for orders")
    apply_ok(p)
    r = p.cli("promote", "PROD", "--agent", AGENT)
    assert r.code == ExitCode.USAGE and "--version N" in r.err
    r = p.cli("promote", "PROD", "--agent", AGENT, "--version", "9")
    assert r.code == ExitCode.USAGE and "no version 9" in r.err
    r = p.cli("promote", "NOPE", "--agent", AGENT, "--version", "2")
    assert r.code == ExitCode.USAGE and "no alias 'NOPE'" in r.err
    r = p.cli("promote", "PROD", "--agent", AGENT, "--from", "STAGING")
    assert (r.code, r.out) == (0, "PROD: 1 -> 2\n"), r.err
    r = p.cli("promote", "PROD", "--agent", AGENT, "--version", "2")
    assert r.code == 0 and "already on 2" in r.out
    # Moving a pinned alias is not drift: the plan stays empty.
    assert p.cli("plan", "--detailed-exitcode").code == ExitCode.OK
    r = p.cli("history", "PROD", "--agent", AGENT, "--output", "json")
    events = json.loads(r.out)["events"]
    assert [e["version"] for e in events] == ["2", "1"] and events[0]["current"]
    r = p.cli("rollback", "PROD", "--agent", AGENT)
    assert (r.code, r.out) == (0, "PROD: 2 -> 1\n")
    r = p.cli("history", "PROD", "--agent", AGENT)
    assert r.out.splitlines()[1].split()[0] == "VERSION"
    assert r.out.splitlines()[2].split()[0] == "1"


# ------------------------------------------------------------------------------ destroy

def test_destroy_needs_confirmation_then_deletes_in_order(support_bot):
    p = support_bot
    apply_ok(p)
    p.clear_calls()
    r = p.cli("destroy")
    assert r.code == ExitCode.USAGE and p.mutating_calls() == []
    assert "1. DeleteAgentAlias" in r.out
    r = p.cli("destroy", "--auto-approve")
    assert r.code == 0, r.err
    calls = p.mutating_calls()
    assert calls == ["DeleteAgentAlias", "DeleteAgentAlias", "UpdateAgentActionGroup",
                     "DeleteAgentActionGroup", "UpdateAgentActionGroup",
                     "DeleteAgentActionGroup", "UpdateAgentActionGroup",
                     "DeleteAgentActionGroup", "DeleteAgent"]
    r = p.cli("status")
    assert "not created" in r.out
    # and it can be created again from scratch (fresh client tokens, §1.2)
    apply_ok(p)
    assert p.cli("plan", "--detailed-exitcode").code == ExitCode.OK


# -------------------------------------------------------------------- CLI contract bits

def test_apply_without_tty_or_auto_approve_is_refused(support_bot):
    p = support_bot
    r = p.cli("apply")
    assert r.code == ExitCode.USAGE and "--auto-approve" in r.err
    assert p.mutating_calls() == []


def test_lock_held_by_another_process_times_out(support_bot, monkeypatch):
    p = support_bot
    monkeypatch.setenv("AGENTCTL_LOCK_TIMEOUT", "0.1")
    (p.root / ".agentctl").mkdir(exist_ok=True)
    with filelock.FileLock(str(p.root / ".agentctl" / "lock")):
        r = p.cli("apply", "--auto-approve")
    assert r.code == ExitCode.LOCK_TIMEOUT


def test_json_outputs_are_single_versioned_documents(support_bot):
    p = support_bot
    r = p.cli("plan", "--output", "json")
    assert json.loads(r.out)["format_version"] == 1
    r = p.cli("apply", "--auto-approve", "--output", "json")
    doc = json.loads(r.out)
    assert doc["kind"] == "apply" and doc["result"]["ok"] is True
    assert doc["result"]["outputs"]["agent.support-bot.alias.STAGING"]["version"] == "1"
    r = p.cli("plan", "--output", "markdown")
    assert r.code == 0 and r.out.strip()
    r = p.cli("plan", "--output", "xml")
    assert r.code == ExitCode.USAGE


def test_agent_filter_limits_the_plan(multi_agent):
    p = multi_agent
    r = p.cli("plan", "--agent", "billing-agent", "--output", "json")
    doc = json.loads(r.out)
    addresses = {c["address"] for c in doc["resource_changes"]}
    assert addresses and all(a.startswith("agent.billing-agent") for a in addresses)
    r = p.cli("plan", "--agent", "nope")
    assert r.code == ExitCode.USAGE


def test_destroy_removes_supervisors_before_their_collaborators(multi_agent):
    p = multi_agent
    apply_ok(p)
    r = p.cli("destroy", "--auto-approve")
    assert r.code == 0, r.err
    headers = [ln for ln in r.out.splitlines() if ln.startswith("agent.")]
    assert "supervisor" in headers[0]
    done = [ln.split(":")[0] for ln in r.err.splitlines() if "DeleteAgent done" in ln]
    assert "supervisor" in done[0] and len(done) == 3
    emu, c = p.boto()
    try:
        assert c.list_agents()["agentSummaries"] == []
    finally:
        emu.close()


EXTRA_SPEC = """\
name: extra-bot
description: A second agent that will be removed from the project.
model: anthropic.claude-3-5-sonnet-20241022-v2:0
instruction: You are a temporary agent used to show what happens when a spec is removed.
role: arn:aws:iam::123456789012:role/AgentRole
aliases:
  - name: LIVE
    track: latest
"""


def test_removed_spec_is_noted_and_only_pruned_on_request(support_bot):
    p = support_bot
    (p.root / "agents" / "extra.yaml").write_text(EXTRA_SPEC)
    apply_ok(p)
    (p.root / "agents" / "extra.yaml").unlink()
    r = p.cli("plan", "--detailed-exitcode")
    assert r.code == ExitCode.OK and "extra-bot" in r.out
    p.clear_calls()
    apply_ok(p)
    assert p.mutating_calls() == []
    assert "spec removed" in p.cli("status").out
    assert p.cli("plan", "--prune", "--detailed-exitcode").code == ExitCode.CHANGES
    apply_ok(p, "--prune")
    assert "DeleteAgent" in p.mutating_calls()
    emu, c = p.boto()
    try:
        assert [a["agentName"] for a in c.list_agents()["agentSummaries"]] == [AGENT]
    finally:
        emu.close()


def test_invalid_spec_stops_plan_and_apply_before_any_call(support_bot):
    p = support_bot
    p.edit("agents/support-bot.yaml", "idleSessionTtl: 1800", "idleSessionTtl: 1800\nbogusKey: 1")
    for argv in (["plan"], ["apply", "--auto-approve"], ["status"]):
        r = p.cli(*argv)
        assert r.code == ExitCode.INVALID_SPEC, argv
        assert "bogusKey" in r.err
    assert not p.state.exists() or p.mutating_calls() == []


def test_apply_converges_under_throttling_and_internal_errors(support_bot, monkeypatch):
    # §7/§8: ThrottlingException and InternalServerException are retried with backoff.
    p = support_bot
    monkeypatch.setenv("AGENTCTL_EMULATOR_FAULTS", '{"throttle": "probability", '
                       '"throttle_probability": 0.3, "internal_error_probability": 0.05, '
                       '"seed": 11}')
    apply_ok(p)
    emu = p.emulator()
    try:
        outcomes = {c.outcome for c in emu.calls()}
    finally:
        emu.close()
    assert "ThrottlingException" in outcomes  # the faults really happened
    monkeypatch.delenv("AGENTCTL_EMULATOR_FAULTS")
    assert p.cli("plan", "--detailed-exitcode").code == ExitCode.OK


@pytest.mark.parametrize("k", [1, 5, 9, 13])
def test_multi_agent_crash_mid_apply_then_rerun_converges(tmp_path, capsys, k):
    # Agents run concurrently: the k-th mutating call overall crashes the run, wherever the
    # other agents are; a re-run must still converge with one agent per name.
    p = Project(copy_example("multi-agent", tmp_path), capsys)
    seen: list[str] = []
    lock = threading.Lock()

    def crash_after(step, response):
        if step.mutating:
            with lock:
                seen.append(step.operation)
                if len(seen) == k:
                    raise Crash(step.operation)

    with lifecycle.opened(p.root, None) as ctx:
        with pytest.raises(Crash):
            lifecycle.apply_plan(ctx, lifecycle.compute_plan(ctx), after_step=crash_after)
    apply_ok(p)
    assert p.cli("plan", "--detailed-exitcode").code == ExitCode.OK
    emu, c = p.boto()
    try:
        names = [a["agentName"] for a in c.list_agents()["agentSummaries"]]
        assert sorted(names) == sorted(set(names)) and len(names) == 3
    finally:
        emu.close()
