"""`agentctl plan` starts its first reads (ListAgents, the agents' tags) while the specs load
(apply/context.py ``early_reads``), and nothing the user sees changes because of it.

Against a served endpoint (`agentctl emulator serve` in its own process). No timings: the
overlap is shown by a spec check that waits for the first read to have started (it would wait
in vain if the reads came after the specs), the rest by comparing with the reads made late.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from serving import ServerProcess  # tests/serving.py

from agentctl.apply import context
from agentctl.aws import client as aws
from agentctl.aws import live
from agentctl.cli import run
from agentctl.exitcodes import ExitCode
from agentctl.spec import project as spec_project

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EARLY = "agentctl-early-reads"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    d = tmp_path_factory.mktemp("served")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTCTL_", "AWS_"))}
    server = ServerProcess(d / "served.db", None, d / "server.err", env=env)
    yield server.url
    server.stop()


@pytest.fixture
def project(tmp_path, monkeypatch, served):
    root = tmp_path / "support-bot"
    shutil.copytree(EXAMPLES / "support-bot", root,
                    ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
    for k in list(os.environ):
        if k.startswith("AGENTCTL_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_AGENT", served)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("CI", "1")
    yield root
    for t in threading.enumerate():  # nothing left reading into the next test
        if t.name == EARLY:
            t.join(30)


def _calls(monkeypatch) -> list[tuple[str, str]]:
    """(operation, thread name) of every API call, in order."""
    seen: list[tuple[str, str]] = []
    real = aws.call

    def call(clients, operation, *a, **kw):
        seen.append((operation, threading.current_thread().name))
        return real(clients, operation, *a, **kw)

    monkeypatch.setattr(aws, "call", call)
    return seen


def test_the_first_reads_leave_while_the_specs_are_checked(project, monkeypatch, capsys):
    listed = threading.Event()
    real_list, real_check = live.list_agents, spec_project._check_specs

    def list_agents(clients):
        listed.set()
        return real_list(clients)

    def check_specs(*a, **kw):
        # The spec checks wait for ListAgents: it can only come while they run if it was
        # started before them (with the reads after the specs, this would wait in vain).
        waited = listed.wait(60)
        assert waited, "ListAgents did not start while the specs were being checked"
        return real_check(*a, **kw)

    monkeypatch.setattr(live, "list_agents", list_agents)
    monkeypatch.setattr(spec_project, "_check_specs", check_specs)
    calls = _calls(monkeypatch)
    assert run(["-C", str(project), "plan", "--detailed-exitcode"]) == ExitCode.CHANGES
    assert "support-bot" in capsys.readouterr().out
    assert calls[0] == ("ListAgents", EARLY)
    assert [op for op, _ in calls].count("ListAgents") == 1  # read once, early


def test_a_spec_error_is_reported_as_without_early_reads(project, monkeypatch, capsys):
    spec = project / "agents" / "support-bot.yaml"
    spec.write_text(spec.read_text("utf-8") + "bogusField: 1\n", "utf-8")
    outcomes = []
    for early in (True, False):
        if not early:
            monkeypatch.setattr(context, "_reads_early", lambda *a: False)
        calls = _calls(monkeypatch)
        code = run(["-C", str(project), "plan", "-o", "json"])
        out, err = capsys.readouterr()
        outcomes.append((code, out, err))
        for t in threading.enumerate():
            if t.name == EARLY:
                t.join(30)
        # Only the early reads, whatever the specs say; none at all without them (as before).
        assert {op for op, _ in calls} <= ({"ListAgents", "ListTagsForResource"} if early
                                           else set())
    assert outcomes[0][0] == ExitCode.INVALID_SPEC
    assert outcomes[0] == outcomes[1]


def test_a_bad_endpoint_is_reported_as_without_early_reads(project, monkeypatch, capsys):
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_AGENT", "not a url")
    outcomes = []
    for early in (True, False):
        if not early:
            monkeypatch.setattr(context, "_reads_early", lambda *a: False)
        code = run(["-C", str(project), "plan"])
        outcomes.append((code, *capsys.readouterr()))
    assert outcomes[0][0] == ExitCode.USAGE, outcomes[0]
    assert "AWS_ENDPOINT_URL_BEDROCK_AGENT" in outcomes[0][2]
    assert outcomes[0] == outcomes[1]


def test_the_embedded_emulator_reads_in_the_main_thread(tmp_path, monkeypatch, capsys):
    """The embedded target's SQLite state belongs to the thread that opened it: no early reads."""
    root = tmp_path / "support-bot"
    shutil.copytree(EXAMPLES / "support-bot", root,
                    ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
    for k in list(os.environ):
        if k.startswith(("AGENTCTL_", "AWS_")):
            monkeypatch.delenv(k)
    monkeypatch.setenv("AGENTCTL_EMULATOR_TIME_SCALE", "0")
    calls = _calls(monkeypatch)
    assert run(["-C", str(root), "plan"]) == ExitCode.OK
    assert calls[0] == ("ListAgents", threading.main_thread().name)
    assert all(thread != EARLY for _, thread in calls)


def test_apply_reads_under_its_lock_not_early(project, monkeypatch, capsys):
    """apply plans under the project lock: a read made before the lock could be stale. (Not
    approved, CI=1: it plans, then refuses to ask; nothing changes on the target.)"""
    calls = _calls(monkeypatch)
    assert run(["-C", str(project), "apply"]) != ExitCode.OK
    assert "ListAgents" in {op for op, _ in calls}
    assert all(thread != EARLY for _, thread in calls)
    assert not any(op.startswith(("Create", "Update", "Delete", "Prepare", "Tag"))
                   for op, _ in calls)


def test_an_aws_target_reads_early_too(tmp_path, monkeypatch, capsys):
    """`-e prod` (target aws, no endpoint): the clients (profile, credentials, account check)
    are made while the specs load; an unusable profile is the error made without early reads."""
    root = tmp_path / "support-bot"
    shutil.copytree(EXAMPLES / "support-bot", root,
                    ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
    for k in list(os.environ):
        if k.startswith(("AGENTCTL_", "AWS_")):
            monkeypatch.delenv(k)
    for k, v in {"AWS_CONFIG_FILE": str(tmp_path / "none"),
                 "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
                 "AWS_EC2_METADATA_DISABLED": "true", "NO_COLOR": "1", "CI": "1"}.items():
        monkeypatch.setenv(k, v)
    made = []
    real = aws.make_clients

    def make_clients(*a, **kw):
        made.append(threading.current_thread().name)
        return real(*a, **kw)

    monkeypatch.setattr(aws, "make_clients", make_clients)
    outcomes = []
    for early in (True, False):
        if not early:
            monkeypatch.setattr(context, "_reads_early", lambda *a: False)
        code = run(["-C", str(root), "plan", "-e", "prod"])
        outcomes.append((code, *capsys.readouterr()))
    assert made == [EARLY, threading.main_thread().name]
    assert outcomes[0][0] != ExitCode.OK and "profile (prod) could not be found" in \
        outcomes[0][2], outcomes[0]
    assert outcomes[0] == outcomes[1]
