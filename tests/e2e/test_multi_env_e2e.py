"""Many environments in one command (issue 10, first "Done when" bullet): a generated project of
30 agents across 3 environments (dev, staging, prod: each its own local target) validates,
plans and applies in one command each, with one combined plan, one aggregate exit code and a
Markdown summary in a ``GITHUB_STEP_SUMMARY`` file. The saved plan holds every environment,
is applied exactly, and is refused as a whole when one environment is stale.

Size: ``AGENTCTL_MULTI_ENV_AGENTS`` (default 30) agents per project; the emulator's transitions
are immediate (time scale 0) so the test stays well under a minute.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from agentctl.cli import run
from agentctl.exitcodes import ExitCode

ENVS = ("dev", "staging", "prod")
AGENTS = int(os.environ.get("AGENTCTL_MULTI_ENV_AGENTS", "30"))


def make_fleet(root: Path, agents: int = AGENTS, envs: tuple[str, ...] = ENVS) -> Path:
    (root / "agents").mkdir(parents=True)
    lines = ["project: fleet", 'agents: ["agents/*.yaml"]', f"defaultEnvironment: {envs[0]}",
             "environments:"]
    for i, env in enumerate(envs):
        lines += [f"  {env}:", "    target: local", "    region: us-east-1",
                  f'    account: "12345678901{i}"', f"    state: .agentctl/{env}.db",
                  "    variables:", f"      stage: {env}"]
    (root / "agentctl.yaml").write_text("\n".join(lines) + "\n")
    for i in range(agents):
        (root / "agents" / f"a{i:02d}.yaml").write_text(
            f"name: fleet-a{i:02d}\n"
            f"description: Fleet agent {i}.\n"
            "model: anthropic.claude-3-5-sonnet-20241022-v2:0\n"
            f"instruction: You are fleet agent {i} of the ${{var.stage}} environment; answer "
            "questions about orders politely and briefly.\n"
            "role: arn:aws:iam::123456789012:role/FleetAgentRole\n"
            "aliases:\n  - name: LIVE\n    description: Follows every new version.\n    track: latest\n")
    return root


@pytest.fixture
def fleet(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AGENTCTL_EMULATOR_TIME_SCALE", "0")
    for var in ("CI", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_WORKSPACE"):
        monkeypatch.delenv(var, raising=False)
    root = make_fleet(tmp_path / "fleet")

    def cli(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = run(["-C", str(root), *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return root, cli


def _agents_in(root: Path, env: str) -> dict[str, str]:
    """name -> instruction of the agents on one environment's local target."""
    from agentctl.emulator import Emulator

    emu = Emulator(state_path=root / ".agentctl" / f"{env}.db", region="us-east-1",
                   account="123456789012")
    try:
        c = emu.client()
        out = {}
        summaries = [s for page in c.get_paginator("list_agents").paginate()
                     for s in page["agentSummaries"]]
        for s in summaries:
            a = c.get_agent(agentId=s["agentId"])["agent"]
            out[a["agentName"]] = a.get("instruction", "")
        return out
    finally:
        emu.close()


def test_thirty_agents_three_environments_one_command_each(fleet, monkeypatch):
    root, cli = fleet
    summary = root.parent / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))

    # validate: every environment, one verdict.
    code, out, err = cli("validate", "--all-envs", "-o", "json")
    assert code == ExitCode.OK, err
    doc = json.loads(out)
    assert doc["valid"] and [r["environment"] for r in doc["environments"]] == list(ENVS)
    assert all(len(r["agents"]) == AGENTS for r in doc["environments"])

    # plan: one combined plan, aggregate exit code, saved as one file.
    code, out, err = cli("plan", "--all-envs", "--detailed-exitcode", "--out", "all.plan",
                         "-o", "json")
    assert code == ExitCode.CHANGES, err
    doc = json.loads(out)
    assert doc["kind"] == "plan_set" and doc["environments"] == list(ENVS)
    assert [p["environment"] for p in doc["plans"]] == list(ENVS)
    assert doc["summary"]["add"] == 3 * 2 * AGENTS   # agent + alias, per environment
    assert doc["summary"]["changed_environments"] == list(ENVS)
    text = summary.read_text()
    assert "## agentctl plan: 3 environments" in text
    assert all(f"| `{e}` | {2 * AGENTS} | 0 | 0 |" in text for e in ENVS)

    # apply the saved plan: every environment, exactly, without a prompt.
    code, out, err = cli("apply", "all.plan", "-o", "json")
    assert code == ExitCode.OK, err
    doc = json.loads(out)
    assert doc["kind"] == "apply_set" and doc["ok"] and doc["not_applied"] == []
    assert [d["environment"] for d in doc["environments"]] == list(ENVS)
    for env in ENVS:
        live = _agents_in(root, env)
        assert len(live) == AGENTS
        assert f"the {env} environment" in live["fleet-a07"]   # its own variables
    assert "### agentctl apply: `fleet` / `prod`" in summary.read_text()

    # Applied: nothing left anywhere (0), and the same saved plan is refused (4).
    assert cli("plan", "--all-envs", "--detailed-exitcode")[0] == ExitCode.OK
    code, _, err = cli("apply", "all.plan")
    assert code == ExitCode.STALE_PLAN and "already applied" in err


def test_a_stale_environment_refuses_the_whole_saved_plan_and_mixed_exit_codes(fleet,
                                                                               monkeypatch):
    root, cli = fleet
    for e in ENVS:
        assert cli("apply", "-e", e, "--auto-approve")[0] == ExitCode.OK
    spec = root / "agents" / "a03.yaml"
    spec.write_text(spec.read_text().replace("politely", "politely and precisely"))

    # Mixed: one agent of 30 changes in each environment -> 2, grouped by environment.
    code, out, _ = cli("plan", "-e", "dev", "-e", "prod", "--detailed-exitcode", "--out",
                       "two.plan")
    assert code == ExitCode.CHANGES
    assert out.index('environment "dev"') < out.index('environment "prod"')
    assert out.count("Plan: 0 to add, 2 to change, 0 to destroy.") == 2   # agent + LIVE

    # prod changes behind the plan's back: the whole set is refused, dev is not touched.
    from agentctl.emulator import Emulator

    emu = Emulator(state_path=root / ".agentctl" / "prod.db", region="us-east-1",
                   account="123456789012")
    try:
        c = emu.client()
        aid = next(s["agentId"] for page in c.get_paginator("list_agents").paginate()
                   for s in page["agentSummaries"] if s["agentName"] == "fleet-a05")
        a = c.get_agent(agentId=aid)["agent"]
        c.update_agent(agentId=aid, agentName=a["agentName"], foundationModel=a["foundationModel"],
                       agentResourceRoleArn=a["agentResourceRoleArn"],
                       instruction=a["instruction"], description="changed by hand")
    finally:
        emu.close()
    code, _, err = cli("apply", "two.plan")
    assert code == ExitCode.STALE_PLAN and "fleet-a05" in err
    assert "precisely" not in _agents_in(root, "dev")["fleet-a03"]
    # -e that does not match the plan's environments is refused before anything opens.
    code, _, err = cli("apply", "two.plan", "-e", "dev")
    assert code == ExitCode.STALE_PLAN and "'dev', 'prod'" in err

    # A fresh multi-environment apply, Markdown for the PR: dev and staging converge.
    code, out, err = cli("apply", "-e", "dev", "-e", "staging", "--auto-approve",
                         "-o", "markdown")
    assert code == ExitCode.OK, err
    assert out.startswith("## agentctl apply: 2 environments")
    assert "| `dev` | complete |" in out and "| `staging` | complete |" in out
    assert cli("plan", "-e", "dev", "-e", "staging", "--detailed-exitcode")[0] == ExitCode.OK
    # prod still has its change (and the hand edit): the aggregate over all three is 2.
    assert cli("plan", "--all-envs", "--detailed-exitcode")[0] == ExitCode.CHANGES

    # Any error wins over changes: an invalid spec -> 3 for the whole run.
    spec.write_text(spec.read_text() + "bogusKey: 1\n")
    assert cli("plan", "--all-envs", "--detailed-exitcode")[0] == ExitCode.INVALID_SPEC
    assert cli("validate", "-e", "dev", "-e", "prod")[0] == ExitCode.INVALID_SPEC


def test_env_selection_usage_errors(fleet):
    root, cli = fleet
    code, _, err = cli("plan", "--all-envs", "-e", "dev")
    assert code == ExitCode.USAGE and "--all-envs and -e/--env" in err
    code, _, err = cli("plan", "-e", "dev", "-e", "qa")
    assert code == ExitCode.USAGE and "unknown environment 'qa'" in err


def test_some_agents_fail_others_succeed_and_later_environments_are_not_touched(tmp_path,
                                                                                capsys,
                                                                                monkeypatch):
    """Exit codes aggregated across agents: any failed agent -> APPLY_FAILED (8) although others
    completed; the environments after the failing one are reported as not applied, untouched;
    the step summary says which steps failed. Re-running without the fault converges."""
    monkeypatch.setenv("AGENTCTL_EMULATOR_TIME_SCALE", "0")
    root = make_fleet(tmp_path / "small", agents=4, envs=("dev", "staging"))
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    # One random draw per PrepareAgent: with this seed 2 of the 4 prepares fail.
    monkeypatch.setenv("AGENTCTL_EMULATOR_FAULTS",
                       '{"seed": 1, "prepare_failure_probability": 0.5}')
    capsys.readouterr()
    code = run(["-C", str(root), "apply", "-e", "dev", "-e", "staging", "--auto-approve",
                "-o", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == ExitCode.APPLY_FAILED
    dev = doc["environments"][0]["result"]
    failed = {f["address"] for f in dev["failed"]}
    done = {c["address"] for c in dev["completed"] if c["operation"] == "CreateAgentAlias"}
    assert failed and done and len(failed) < 4   # mixed: some agents made it, some did not
    assert doc["not_applied"] == ["staging"] and not doc["ok"]
    assert _agents_in(root, "staging") == {}
    text = summary.read_text()
    assert "| `staging` | not applied (an earlier environment failed) |" in text
    assert "| failed | `agent.fleet-a" in text
    monkeypatch.delenv("AGENTCTL_EMULATOR_FAULTS")
    assert run(["-C", str(root), "apply", "--all-envs", "--auto-approve"]) == ExitCode.OK
    assert run(["-C", str(root), "plan", "--all-envs", "--detailed-exitcode"]) == ExitCode.OK


def test_a_saved_plan_of_several_environments_seals_each_ones_sensitive_values(tmp_path, capsys,
                                                                               monkeypatch):
    monkeypatch.setenv("AGENTCTL_EMULATOR_TIME_SCALE", "0")
    root = make_fleet(tmp_path / "secret", agents=2, envs=("dev", "prod"))
    text = (root / "agentctl.yaml").read_text()
    for env in ("dev", "prod"):
        text = text.replace(f"      stage: {env}\n", f"      stage: {env}\n      key: "
                            f'{{ value: "${{env.KEY_{env.upper()}}}", sensitive: true }}\n')
    (root / "agentctl.yaml").write_text(text)
    for spec in (root / "agents").glob("*.yaml"):
        spec.write_text(spec.read_text().replace("description: Fleet agent",
                                                 "description: Key ${var.key}. Fleet agent"))
    secrets = {"dev": "devSecret-41f9", "prod": "prodSecret-77aa"}
    for env, value in secrets.items():
        monkeypatch.setenv(f"KEY_{env.upper()}", value)
    capsys.readouterr()
    assert run(["-C", str(root), "plan", "--all-envs", "--out", "all.plan"]) == ExitCode.OK
    saved = (root / "all.plan").read_text()
    out = capsys.readouterr()
    for value in secrets.values():
        assert value not in saved and value not in out.out + out.err
    assert "{{agentctl-sensitive:key:" in saved   # markers in place of the values
    assert run(["-C", str(root), "apply", "all.plan"]) == ExitCode.OK
    from agentctl.emulator import Emulator

    for env, value in secrets.items():   # the service got each environment's real value
        emu = Emulator(state_path=root / ".agentctl" / f"{env}.db", region="us-east-1",
                       account="123456789012")
        try:
            c = emu.client()
            descriptions = {c.get_agent(agentId=s["agentId"])["agent"]["description"]
                            for s in c.list_agents()["agentSummaries"]}
        finally:
            emu.close()
        assert descriptions == {f"Key {value}. Fleet agent {i}." for i in range(2)}
    # prod's value changes after the plan was made: the whole saved plan is stale.
    spec = root / "agents" / "a00.yaml"
    spec.write_text(spec.read_text().replace("politely", "kindly"))
    assert run(["-C", str(root), "plan", "--all-envs", "--out", "next.plan"]) == ExitCode.OK
    monkeypatch.setenv("KEY_PROD", "prodSecret-rotated")
    capsys.readouterr()
    assert run(["-C", str(root), "apply", "next.plan"]) == ExitCode.STALE_PLAN
    assert "prodSecret" not in capsys.readouterr().err


def test_a_held_lock_stops_a_multi_environment_apply_before_anything_changes(fleet):
    """Every environment's lock is taken before any plan is applied: another run holding the
    (here shared, local) project lock makes the whole run wait, then fail with LOCK_TIMEOUT,
    with nothing applied anywhere."""
    from agentctl.locks import LocalBackend

    root, cli = fleet
    with LocalBackend(root).lock("agentctl apply (another run)"):
        code, _, err = cli("apply", "-e", "dev", "-e", "prod", "--auto-approve",
                           "--lock-timeout", "1s")
    assert code == ExitCode.LOCK_TIMEOUT and "another run" in err
    assert _agents_in(root, "dev") == {} and _agents_in(root, "prod") == {}
