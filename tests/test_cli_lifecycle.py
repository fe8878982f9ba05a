"""Unit and CLI tests of the lifecycle layer that need no emulator: flag validation and exit
codes, promotion / rollback decisions on hand-built live values, saved-plan checks, the lock,
PartialApply contents, and the result renderers."""

from __future__ import annotations

import json
from types import SimpleNamespace

import filelock
import pytest

from agentctl.apply import lifecycle
from agentctl.cli import run
from agentctl.errors import LockTimeout, PartialApply, StalePlan, UsageError
from agentctl.exitcodes import ExitCode
from agentctl.core.model import AgentConfig, LiveAgent, LiveAlias, LiveVersion, Target
from agentctl.plan.model import AgentLifecycle, AliasMove, ApplyResult, Plan, Step, StepResult
from agentctl.render import result as render


def live_alias(name: str, version: str | None, history: list[tuple[str, str, str | None]],
               **kw) -> LiveAlias:
    return LiveAlias(
        alias_id=f"{name[:4]:X<10}", name=name, arn=f"arn:alias/{name}", description=kw.get("d"),
        routed_version=version, status="PREPARED", invocation_state=kw.get("state"), tags={},
        history=tuple({"routingConfiguration": [{"agentVersion": v}], "startDate": s,
                       **({"endDate": e} if e else {})} for v, s, e in history))


def live_agent(aliases: dict[str, LiveAlias], versions=("1", "2", "3"),
               failed=()) -> LiveAgent:
    return LiveAgent(
        agent_id="AGENT00001", arn="arn:agent", status="PREPARED",
        config=AgentConfig(name="bot", agent={}), owner_tags={}, action_group_ids={},
        action_group_states={}, aliases=aliases,
        versions=tuple(LiveVersion(v, "FAILED" if v in failed else "PREPARED", None, None)
                       for v in versions),
        fingerprint="f")


PROD_HISTORY = [("1", "2026-01-01", "2026-01-02"), ("3", "2026-01-03", None),
                ("2", "2026-01-02", "2026-01-03")]


# ----------------------------------------------------------------- promotion decisions

def test_promote_needs_an_explicit_choice():
    a = live_agent({"PROD": live_alias("PROD", "3", PROD_HISTORY)})
    with pytest.raises(UsageError) as ei:
        lifecycle.resolve_promotion(a, "bot", "PROD", version=None, from_alias=None)
    assert "--version N" in ei.value.hint and "newest 3" in ei.value.hint


def test_promote_from_another_alias_uses_its_version():
    a = live_agent({"PROD": live_alias("PROD", "1", []), "STAGING": live_alias("STAGING", "3", [])})
    assert lifecycle.resolve_promotion(a, "bot", "PROD", version=None, from_alias="STAGING") == "3"


@pytest.mark.parametrize("version,message", [
    ("9", "no version 9"), ("DRAFT", "cannot route to DRAFT"), ("2", "FAILED"),
])
def test_promote_refuses_unknown_draft_and_failed_versions(version, message):
    a = live_agent({"PROD": live_alias("PROD", "1", [])}, failed=("2",))
    with pytest.raises(UsageError, match=message):
        lifecycle.resolve_promotion(a, "bot", "PROD", version=version, from_alias=None)


def test_promote_refuses_both_version_and_from():
    a = live_agent({"PROD": live_alias("PROD", "1", []), "STAGING": live_alias("STAGING", "3", [])})
    with pytest.raises(UsageError, match="not both"):
        lifecycle.resolve_promotion(a, "bot", "PROD", version="2", from_alias="STAGING")


def test_history_is_sorted_newest_first_and_marks_current():
    a = live_agent({"PROD": live_alias("PROD", "3", PROD_HISTORY)})
    entries = lifecycle.alias_history(a, "bot", "PROD")
    assert [(e.version, e.current) for e in entries] == [("3", True), ("2", False), ("1", False)]


def test_rollback_goes_to_the_most_recent_other_version():
    a = live_agent({"PROD": live_alias("PROD", "3", PROD_HISTORY)})
    assert lifecycle.rollback_target(a, "bot", "PROD") == "2"


def test_rollback_skips_versions_that_no_longer_exist_and_failed_ones():
    a = live_agent({"PROD": live_alias("PROD", "3", PROD_HISTORY)}, versions=("1", "3"))
    assert lifecycle.rollback_target(a, "bot", "PROD") == "1"
    b = live_agent({"PROD": live_alias("PROD", "3", PROD_HISTORY)}, failed=("2",))
    assert lifecycle.rollback_target(b, "bot", "PROD") == "1"


def test_rollback_without_previous_version_is_an_error():
    a = live_agent({"PROD": live_alias("PROD", "1", [("1", "2026-01-01", None)])})
    with pytest.raises(UsageError, match="no previous version"):
        lifecycle.rollback_target(a, "bot", "PROD")


def test_unknown_alias_lists_the_known_ones():
    a = live_agent({"PROD": live_alias("PROD", "1", [])})
    with pytest.raises(UsageError, match=r"no alias 'QA' \(aliases: PROD\)"):
        lifecycle.alias_history(a, "bot", "QA")


# --------------------------------------------------------------------------- saved plans

def plan(**kw) -> Plan:
    base = dict(format_version=1, project="support", environment="local",
                target={"kind": "local", "region": "us-east-1", "account": "123456789012",
                        "endpoint": "embedded:.agentctl/local.db"},
                spec_digest="", live_fingerprint={}, changes=(), lifecycle=(), steps=(),
                plan_id="a" * 64, created_at="2026-01-01T00:00:00.000Z")
    base.update(kw)
    return Plan(**base)


def fake_ctx(tmp_path, **target):
    t = {"kind": "local", "region": "us-east-1", "account": "123456789012",
         "endpoint": "embedded:.agentctl/local.db", **target}
    return SimpleNamespace(project=SimpleNamespace(name="support"), env_name="local",
                           target=Target(**t), root=tmp_path, clients=None)


@pytest.mark.parametrize("target", [{"region": "eu-west-1"}, {"account": "111111111111"},
                                    {"kind": "aws"}, {"endpoint": "http://127.0.0.1:9"}])
def test_saved_plan_for_another_target_is_stale(tmp_path, target):
    with pytest.raises(StalePlan, match="different target"):
        lifecycle.check_saved_plan(fake_ctx(tmp_path, **target), plan())


def test_saved_plan_for_another_environment_is_stale(tmp_path):
    with pytest.raises(StalePlan, match="environment 'prod'"):
        lifecycle.check_saved_plan(fake_ctx(tmp_path), plan(environment="prod"))


def test_applied_record_names_exactly_one_plan(tmp_path):
    p = plan()
    assert not lifecycle.was_applied(tmp_path, p)
    lifecycle.record_applied(tmp_path, p)
    assert lifecycle.was_applied(tmp_path, p)
    # same content planned at another time is another plan
    assert not lifecycle.was_applied(tmp_path, plan(created_at="2026-01-01T00:00:00.001Z"))
    with pytest.raises(StalePlan, match="already applied"):
        lifecycle.check_saved_plan(fake_ctx(tmp_path), p)


# -------------------------------------------------------------------------- lock, results

def test_project_lock_times_out(tmp_path):
    (tmp_path / ".agentctl").mkdir()
    with filelock.FileLock(str(tmp_path / ".agentctl" / "lock")):
        with pytest.raises(LockTimeout) as ei:
            with lifecycle.project_lock(tmp_path, timeout=0.05):
                pass
    assert ei.value.exit_code == ExitCode.LOCK_TIMEOUT


def _result() -> ApplyResult:
    s1 = Step("UpdateAgent", {}, "agent.bot", "update")
    s2 = Step("PrepareAgent", {}, "agent.bot", "prepare", wait_for="agent:PREPARED")
    s3 = Step("UpdateAgentAlias", {}, "agent.bot.alias.STAGING", "cut")
    failed = StepResult(s2, ok=False, error="wait for agent: FAILED: Agent Instruction cannot be null")
    return ApplyResult(completed=(StepResult(s1, ok=True),), failed=failed, not_run=(s3,),
                       outputs={}, failures=(failed,))


def test_partial_apply_names_completed_and_remaining_steps():
    with pytest.raises(PartialApply) as ei:
        lifecycle.raise_for_result(_result())
    e = ei.value
    assert e.exit_code == ExitCode.APPLY_FAILED
    assert e.completed == ["agent.bot: UpdateAgent"]
    assert e.remaining == ["agent.bot.alias.STAGING: UpdateAgentAlias"]
    assert "Agent Instruction cannot be null" in e.message()


def test_render_failed_apply_lists_everything():
    text = render.render_apply_result(_result())
    assert "Apply failed." in text
    assert "failed:    agent.bot: PrepareAgent" in text
    assert "completed: agent.bot: UpdateAgent" in text
    assert "not run:   agent.bot.alias.STAGING: UpdateAgentAlias" in text
    assert "\x1b[" not in text
    doc = render.apply_result_document(_result())
    assert doc["format_version"] == 1 and doc["ok"] is False
    assert [f["operation"] for f in doc["failed"]] == ["PrepareAgent"]


def test_render_successful_apply_with_versions():
    cut = Step("UpdateAgentAlias", {"agentAliasName": "STAGING"}, "agent.bot.alias.STAGING", "")
    pin = Step("UpdateAgentAlias", {"routingConfiguration": [{"agentVersion": "8"}]},
               "agent.bot.alias.QA", "")
    res = ApplyResult(completed=(StepResult(cut, True), StepResult(pin, True)), failed=None,
                      not_run=(), outputs={"agent.bot.alias.STAGING": {"version": "8"},
                                           "agent.bot.alias.QA": {"version": "8"}})
    moved = AgentLifecycle(agent="bot", prepare=True, new_version=True, next_version_hint="8",
                           moves=(AliasMove("bot", "STAGING", "7", "new"),
                                  AliasMove("bot", "QA", "7", "new")))
    text = render.render_apply_result(res, plan=plan(lifecycle=(moved,)))
    assert text.splitlines()[0] == ("Apply complete! Resources: 0 added, 0 changed, 0 destroyed "
                                    "(2 API call(s)).")
    assert "bot: version 8 cut; STAGING -> 8; QA -> 8" in text


def test_apply_summary_names_only_aliases_that_moved():
    # issue 12 item 1: QA's update only paused it (it stays on 7); the summary must not say
    # ``QA -> 7`` as if it had moved.
    cut = Step("UpdateAgentAlias", {"agentAliasName": "STAGING"}, "agent.bot.alias.STAGING", "")
    pause = Step("UpdateAgentAlias", {"routingConfiguration": [{"agentVersion": "7"}],
                                      "aliasInvocationState": "REJECT_INVOCATIONS"},
                 "agent.bot.alias.QA", "")
    res = ApplyResult(completed=(StepResult(cut, True), StepResult(pause, True)), failed=None,
                      not_run=(), outputs={"agent.bot.alias.STAGING": {"version": "8"},
                                           "agent.bot.alias.QA": {"version": "7"}})
    lc = AgentLifecycle(agent="bot", prepare=True, new_version=True, next_version_hint="8",
                        moves=(AliasMove("bot", "STAGING", "7", "new"),),
                        stays=(AliasMove("bot", "QA", "7", "7"),))
    text = render.render_apply_result(res, plan=plan(lifecycle=(lc,)))
    assert text.splitlines()[1] == "bot: version 8 cut; STAGING -> 8"


def test_render_move_and_status():
    m = lifecycle.AliasMoveResult("bot", "PROD", "7", "8", True)
    assert render.render_move(m) == "PROD: 7 -> 8\n"
    same = lifecycle.AliasMoveResult("bot", "PROD", "8", "8", False)
    assert "already on 8" in render.render_move(same)
    st = [lifecycle.AgentStatus("bot", True, True, True, "AGENT00001", "PREPARED", "2", False,
                                (lifecycle.AliasStatus("PROD", "1", "PREPARED",
                                                       "REJECT_INVOCATIONS"),), ("1", "2")),
          lifecycle.AgentStatus("other", True, True, False, "AGENT00002"),
          lifecycle.AgentStatus("new", True, False, False)]
    text = render.render_status(st)
    assert "DRAFT has unreleased changes" in text
    assert "bot    PROD   1        PREPARED  paused (REJECT_INVOCATIONS)" in text
    assert "NOT managed by agentctl (`agentctl adopt other`)" in text
    assert "new: not created" in text
    doc = render.status_document(st, project="p", environment="e")
    assert json.loads(json.dumps(doc))["agents"][0]["aliases"][0]["version"] == "1"


# ------------------------------------------------------------------------ CLI usage codes

@pytest.mark.parametrize("argv", [
    ["plan", "--output", "xml"],
    ["status", "--output", "yaml"],
    ["history", "PROD"],                      # --agent is required
    ["promote", "--agent", "bot"],            # ALIAS is required
    ["apply", "plan.json", "--agent", "bot"],  # a saved plan is applied as is
    ["apply", "plan.json", "--prune"],
])
def test_usage_errors_exit_with_usage(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run(argv) == ExitCode.USAGE
    assert "Traceback" not in capsys.readouterr().err


def test_commands_outside_a_project_fail_cleanly(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = run(["status"])
    err = capsys.readouterr().err
    assert code not in (0, ExitCode.CHANGES) and "agentctl.yaml" in err
    assert "Traceback" not in err
