"""Ctrl-C while the answer streams (a real SIGINT to a real process): ``invoke`` stops with
INTERRUPTED, no traceback, the partial answer kept and the session id printed; ``chat`` reports it and
goes on in the same session."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from agentctl.exitcodes import ExitCode

REPO = Path(__file__).resolve().parents[2]

DRIVER = textwrap.dedent("""
    import sys, time
    from contextlib import contextmanager
    sys.path.insert(0, {repo!r})
    from tests.runtime import events as ev
    from tests.runtime.fakes import FakeRuntime

    def script(params):
        yield ev.chunk("Order A-482 ")
        print("STREAMING", file=sys.stderr, flush=True)
        time.sleep(60)
        yield ev.chunk("never")

    import agentctl.aws.runtime as rt
    client = FakeRuntime(script)
    rt.make_runtime_client = lambda env, clients: client
    import agentctl.runtime.target as tg

    @contextmanager
    def fake_target(ctx, agent, **kw):
        yield tg.InvokeTarget(agent, "AGENT12345", "ALIAS12345", "STAGING", "1")

    tg.invoke_target = fake_target
    from agentctl.cli import main
    main(sys.argv[1:])
""")


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "support-bot"
    shutil.copytree(REPO / "examples" / "support-bot", root,
                    ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER.format(repo=str(REPO)))
    return root, driver


def _start(driver: Path, root: Path, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCTL_")}
    return subprocess.Popen([sys.executable, str(driver), "-C", str(root), *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=str(root))


def _wait_for_marker(proc: subprocess.Popen, deadline: float = 60.0) -> str:
    seen = ""
    end = time.monotonic() + deadline
    while "STREAMING" not in seen:
        line = proc.stderr.readline()
        if not line or time.monotonic() > end:
            proc.kill()
            pytest.fail(f"the driver never streamed: {seen}")
        seen += line
    return seen


def test_sigint_mid_stream_stops_invoke_cleanly(project):
    root, driver = project
    proc = _start(driver, root, "invoke", "Where is order A-482?", "--agent", "support-bot",
                  "--session", "sess-int")
    head = _wait_for_marker(proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    err = head + err
    assert proc.returncode == ExitCode.INTERRUPTED, err
    assert out == "Order A-482 \n"
    assert "interrupted while the agent was answering" in err
    assert "continue it with --session sess-int" in err
    assert "Traceback" not in err


def test_sigint_mid_stream_with_json_prints_one_document(project):
    root, driver = project
    proc = _start(driver, root, "invoke", "Where is order A-482?", "--agent", "support-bot",
                  "--output", "json")
    head = _wait_for_marker(proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == ExitCode.INTERRUPTED, head + err
    doc = json.loads(out)
    assert doc["ok"] is False and doc["error"]["message"] == "interrupted"
    assert doc["answer"] == "Order A-482 "
    assert "Traceback" not in err


def test_sigint_mid_stream_keeps_chat_going(project):
    root, driver = project
    proc = _start(driver, root, "chat", "--agent", "support-bot", "--session", "chat-int")
    proc.stdin.write("Where is order A-482?\n")
    proc.stdin.flush()
    head = _wait_for_marker(proc)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.5)
    out, err = proc.communicate("/session\n/exit\n", timeout=60)
    err = head + err
    assert proc.returncode == 0, err
    assert "interrupted; the session is still open" in err
    assert "session: chat-int" in err
    assert "Traceback" not in err
