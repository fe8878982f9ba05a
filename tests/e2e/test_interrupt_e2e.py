"""Interruption tells the truth (issue 11 item 1): ``agentctl apply`` run as a subprocess and sent
SIGINT / SIGTERM while a step is in flight (PREPARING, VERSIONING), against the embedded
emulator. The run finishes the call in flight and waits for its transition (or abandons the
wait on a second signal), exits INTERRUPTED, and its report lists what completed, what was in
flight and what did not run; it never says "Apply complete" or ``"ok": true``; a re-run
converges; an interrupted saved plan is refused as stale, never "already applied"."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from agentctl.exitcodes import ExitCode

from .conftest import Project

# The transition a test interrupts lasts long enough that a starved test process (CI shares two
# cores) still sends its signal while it runs: at 3 s, a loaded machine saw PREPARING late, after
# PrepareAgent had finished, and the alias step completed before the signal arrived.
SLOW = 6.0

FAST = {"create": 0.05, "update": 0.05, "prepare": 0.05, "version": 0.05, "alias": 0.05,
        "delete": 0.05}


class Running:
    """``python -m agentctl -C ROOT ARGS...`` with its stderr read line by line."""

    def __init__(self, root: Path, *args: str, env: dict[str, str]):
        full = {**os.environ, **env}
        for var in ("AGENTCTL_EMULATOR_TIME_SCALE", "NO_COLOR"):
            full.pop(var, None)
        full.update(env)
        self.proc = subprocess.Popen([sys.executable, "-m", "agentctl", "-C", str(root), *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=full)
        self.err_lines: list[str] = []
        self._out: list[str] = []
        self._seen = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        # stdout has its own reader: communicate() would read stderr too, racing _read for
        # the lines written after it started (the final error message).
        self._out_reader = threading.Thread(
            target=lambda: self._out.extend(self.proc.stdout), daemon=True)  # type: ignore[arg-type]
        self._out_reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._seen:
                self.err_lines.append(line.rstrip("\n"))
                self._seen.notify_all()

    def wait_for_line(self, text: str, timeout: float = 30) -> None:
        end = time.monotonic() + timeout
        with self._seen:
            while not any(text in ln for ln in self.err_lines):
                left = end - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and not self._reader.is_alive():
                    raise AssertionError(f"never saw {text!r}; stderr: {self.err_lines}")
                self._seen.wait(timeout=min(left, 0.2))

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        self._reader.join(timeout=5)
        self._out_reader.join(timeout=5)
        return self.proc.returncode, "".join(self._out), "\n".join(self.err_lines)


def durations_env(**slow: float) -> dict[str, str]:
    return {"AGENTCTL_EMULATOR_DURATIONS": json.dumps({**FAST, **slow})}


def change_instruction(p: Project, n: int) -> None:
    path = p.root / "prompts" / "instruction.md"
    path.write_text(path.read_text() + f"\nRevision {n}.\n")


@pytest.fixture
def applied(support_bot: Project) -> Project:
    p = support_bot
    assert p.cli("apply", "--auto-approve").code == ExitCode.OK
    change_instruction(p, 1)
    return p


def _result(out: str) -> dict:
    doc = json.loads(out)
    return doc["result"]


def test_sigint_while_preparing_waits_for_the_step_and_reports_the_truth(applied):
    p = applied
    run = Running(p.root, "apply", "--auto-approve", "-o", "json",
                  env={**durations_env(), "AGENTCTL_EMULATOR_FAULTS":
                       json.dumps({"slow_prepare_seconds": SLOW})})
    run.wait_for_line("PrepareAgent ... PREPARING")
    run.proc.send_signal(signal.SIGINT)
    code, out, err = run.finish()
    assert code == ExitCode.INTERRUPTED, err
    result = _result(out)
    assert result["ok"] is False and result["interrupted"] is True
    done = [s["operation"] for s in result["completed"]]
    # The call in flight was finished: its transition was waited for, then the run stopped.
    assert done == ["UpdateAgent", "PrepareAgent"]
    assert [s["operation"] for s in result["not_run"]] == ["UpdateAgentAlias"]
    assert result["in_flight"] == []
    assert "Apply complete" not in out + err
    # A re-run converges from here.
    assert p.cli("apply", "--auto-approve").code == ExitCode.OK
    assert p.cli("plan", "--detailed-exitcode").code == ExitCode.OK


def test_sigint_while_versioning_lists_the_retention_deletion_as_not_run(applied):
    p = applied
    p.edit("agentctl.yaml", "versionRetention: 5", "versionRetention: 0")
    assert p.cli("apply", "--auto-approve").code == ExitCode.OK  # version 2 (PROD stays on 1)
    change_instruction(p, 2)
    run = Running(p.root, "apply", "--auto-approve", env=durations_env(version=SLOW))
    run.wait_for_line("VERSIONING")
    run.proc.send_signal(signal.SIGINT)
    code, out, err = run.finish()
    assert code == ExitCode.INTERRUPTED, err
    assert "Apply complete" not in out
    assert "Apply interrupted: stopped part-way." in out
    assert "completed: agent.support-bot.alias.STAGING: UpdateAgentAlias" in out
    assert "not run:   agent.support-bot.version.2: DeleteAgentVersion" in out
    emu, client = p.boto()
    try:
        agent_id = next(a["agentId"] for a in client.list_agents()["agentSummaries"])
        versions = {v["agentVersion"] for v in
                    client.list_agent_versions(agentId=agent_id)["agentVersionSummaries"]}
    finally:
        emu.close()
    assert "3" in versions and "2" in versions  # cut, and the deletion really did not run
    assert p.cli("apply", "--auto-approve").code == ExitCode.OK
    assert p.cli("plan", "--detailed-exitcode").code == ExitCode.OK


def test_second_signal_abandons_the_wait_and_reports_the_step_in_flight(applied):
    p = applied
    run = Running(p.root, "apply", "--auto-approve", "-o", "json",
                  env={**durations_env(), "AGENTCTL_EMULATOR_FAULTS":
                       json.dumps({"slow_prepare_seconds": 30})})
    run.wait_for_line("PrepareAgent ... PREPARING")
    run.proc.send_signal(signal.SIGINT)
    run.wait_for_line("interrupt again to stop waiting")
    run.proc.send_signal(signal.SIGTERM)
    started = time.monotonic()
    code, out, err = run.finish()
    assert time.monotonic() - started < 20  # did not wait the 30 s of the slow prepare
    assert code == ExitCode.INTERRUPTED, err
    result = _result(out)
    assert result["ok"] is False
    assert [(s["operation"], s["last_status"]) for s in result["in_flight"]] == \
        [("PrepareAgent", "PREPARING")]
    assert [s["operation"] for s in result["completed"]] == ["UpdateAgent"]
    assert [s["operation"] for s in result["not_run"]] == ["UpdateAgentAlias"]


def test_interrupted_saved_plan_is_refused_as_stale_not_already_applied(applied):
    p = applied
    saved = str(p.root / "change.plan")  # not in the test's working directory
    assert p.cli("plan", "--out", saved).code == ExitCode.OK
    run = Running(p.root, "apply", saved,
                  env={**durations_env(), "AGENTCTL_EMULATOR_FAULTS":
                       json.dumps({"slow_prepare_seconds": SLOW})})
    run.wait_for_line("PrepareAgent ... PREPARING")
    run.proc.send_signal(signal.SIGINT)
    code, out, err = run.finish()
    assert code == ExitCode.INTERRUPTED, err
    again = p.cli("apply", saved)
    assert again.code == ExitCode.STALE_PLAN
    assert "already applied" not in again.err
    assert "part-way" in again.err and "agentctl plan --out" in again.err
    # Re-planning converges.
    assert p.cli("apply", "--auto-approve").code == ExitCode.OK
    assert p.cli("plan", "--detailed-exitcode").code == ExitCode.OK


def test_a_waiting_apply_says_whose_lock_it_waits_for(applied, monkeypatch):
    from agentctl.apply import records

    p = applied
    monkeypatch.setenv("AGENTCTL_LOCK_TIMEOUT", "0.3")
    with records.project_lock(p.root, command="agentctl apply"):
        r = p.cli("apply", "--auto-approve")
    assert r.code == ExitCode.LOCK_TIMEOUT
    assert f"waiting for the project lock held by pid {os.getpid()} (agentctl apply) since" \
        in r.err


def test_sigint_during_destroy_stops_after_the_call_in_flight(applied):
    p = applied
    run = Running(p.root, "destroy", "--auto-approve", env=durations_env(alias=3.0))
    run.wait_for_line("DeleteAgentAlias ... DELETING")
    run.proc.send_signal(signal.SIGINT)
    code, out, err = run.finish()
    assert code == ExitCode.INTERRUPTED, err
    assert "Destroy complete" not in out and "Destroy interrupted: stopped part-way." in out
    assert "completed: agent.support-bot.alias." in out
    assert "not run:   agent.support-bot: DeleteAgent" in out
    r = p.cli("destroy", "--auto-approve")  # the rest, from where it stopped
    assert r.code == ExitCode.OK, r.err
    assert "not created" in p.cli("status").out


# ------------------------------------------------------- interruption outside the executor
# One rule (exitcodes.INTERRUPTED): whatever a command was doing when Ctrl-C / SIGTERM came,
# it exits 12 with a message and, with -o json, one document saying "interrupted": true; never a
# traceback, never typer's silent 130 or click's "Aborted!" / 1.

def _calls(p: Project, operation: str) -> int:
    emu = p.emulator()
    try:
        return len(emu.calls(operation))
    finally:
        emu.close()


def _wait_for_call(p: Project, operation: str, *, more_than: int, run: Running,
                   timeout: float = 60) -> None:
    """Until the emulator's call log shows another ``operation`` (the command is in its reads)."""
    end = time.monotonic() + timeout
    while _calls(p, operation) <= more_than:
        if time.monotonic() > end or run.proc.poll() is not None:
            run.proc.kill()
            raise AssertionError(f"never saw {operation}; stderr: {run.err_lines}")
        time.sleep(0.1)


def _assert_interrupted(code: int, out: str, err: str, *, signame: str, json_out: bool) -> None:
    assert code == ExitCode.INTERRUPTED, (code, out, err)
    assert "Traceback" not in err and "Aborted" not in err
    assert f"interrupted by {signame}" in err
    if json_out:
        doc = json.loads(out)  # exactly one document: json.loads refuses trailing data
        assert doc["kind"] == "error" and doc["ok"] is False and doc["interrupted"] is True
        assert doc["exit_code"] == ExitCode.INTERRUPTED
        assert doc["error"]["kind"] == "interrupted"
    else:
        assert out == ""


@pytest.mark.parametrize("sig, output", [(signal.SIGINT, "human"), (signal.SIGINT, "json"),
                                         (signal.SIGTERM, "json")])
def test_a_signal_during_plans_reads_exits_interrupted(applied, sig, output):
    p = applied
    before = _calls(p, "ListAgents")
    # Every GetAgent takes a minute: the plan is stuck in its live reads when the signal comes.
    run = Running(p.root, "plan", "-o", output,
                  env={**durations_env(),
                       "AGENTCTL_EMULATOR_FAULTS": json.dumps({"latency": {"GetAgent": 60}})})
    _wait_for_call(p, "ListAgents", more_than=before, run=run)
    run.proc.send_signal(sig)
    code, out, err = run.finish(timeout=30)   # not the minute the reader thread is stuck for
    _assert_interrupted(code, out, err, json_out=output == "json",
                        signame="SIGINT (Ctrl-C)" if sig == signal.SIGINT else "SIGTERM")


def test_ctrl_c_during_eval_exits_interrupted(applied):
    p = applied
    before = _calls(p, "ListAgents")
    run = Running(p.root, "eval", "--agent", "support-bot", "--alias", "STAGING", "-o", "json",
                  env={**durations_env(),
                       "AGENTCTL_EMULATOR_FAULTS": json.dumps({"latency": {"GetAgent": 60}})})
    _wait_for_call(p, "ListAgents", more_than=before, run=run)
    run.proc.send_signal(signal.SIGINT)
    code, out, err = run.finish(timeout=30)
    _assert_interrupted(code, out, err, signame="SIGINT (Ctrl-C)", json_out=True)


def test_ctrl_c_while_waiting_for_the_lock_exits_interrupted(applied):
    from agentctl.apply import records

    p = applied
    before = p.mutating_calls()
    with records.project_lock(p.root, command="agentctl apply"):
        run = Running(p.root, "apply", "--auto-approve", "-o", "json",
                      env={**durations_env(), "AGENTCTL_LOCK_TIMEOUT": "120"})
        run.wait_for_line("waiting for the project lock held by")
        run.proc.send_signal(signal.SIGINT)
        code, out, err = run.finish(timeout=30)
    _assert_interrupted(code, out, err, signame="SIGINT (Ctrl-C)", json_out=True)
    assert p.mutating_calls() == before  # it never got the lock, so it changed nothing
    assert p.cli("apply", "--auto-approve").code == ExitCode.OK  # and the lock was not left held


def test_ctrl_c_cancels_the_calls_waiting_for_their_turn_under_the_tps_quota(multi_agent):
    # 1 % of the published quotas: the first CreateAgent goes at once, each further one waits
    # ~17 s for its token. Ctrl-C must cancel those waits (nothing was sent: not run), not send
    # the calls once their turn comes.
    p = multi_agent
    run = Running(p.root, "apply", "--auto-approve",
                  env={**durations_env(), "AGENTCTL_RATE_LIMIT": "0.01",
                       "AGENTCTL_EMULATOR_FAULTS": json.dumps({"throttle": "tps"})})
    for name in ("billing-agent", "shipping-agent", "helpdesk-supervisor"):
        run.wait_for_line(f"{name}: CreateAgent ... create agent")
    run.proc.send_signal(signal.SIGINT)
    code, out, err = run.finish(timeout=60)
    assert code == ExitCode.INTERRUPTED, err
    assert "Traceback" not in err
    assert err.count("was not sent: interrupted while waiting") == 2, err
    assert p.mutating_calls().count("CreateAgent") == 1
    not_run = [line for line in out.splitlines() if line.strip().startswith("not run:")]
    assert sum(line.endswith(": CreateAgent") for line in not_run) == 2, out
    # Nothing half-done: a re-run (at the normal quotas) converges.
    assert p.cli("apply", "--auto-approve").code == ExitCode.OK
    assert p.cli("plan", "--detailed-exitcode").code == ExitCode.OK
