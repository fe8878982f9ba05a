"""The lifecycle through the emulator's HTTP server in a second process (target local with an
endpoint, reached by a plain boto3 client): apply converges and the next plan is empty. The
server is started inside the project (``-C``), so it seeds the environment's world itself."""

from __future__ import annotations

import os
import re
import selectors
import subprocess
import sys
import time

import boto3
import pytest

from agentctl.exitcodes import ExitCode

from .conftest import Project, copy_example

pytestmark = pytest.mark.server
LINE = re.compile(r"listening on (http://\S+) \(state: (.+)\)")


@pytest.fixture
def project(tmp_path, capsys) -> Project:
    return Project(copy_example("support-bot", tmp_path), capsys)


@pytest.fixture
def server(tmp_path, project):
    cfg = tmp_path / "emu.yaml"
    cfg.write_text("time_scale: 0.02\n")
    log = open(tmp_path / "server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "agentctl", "-C", str(project.root), "emulator", "serve",
         "--port", "0", "-e", "local", "--state", str(tmp_path / "server.db"),
         "--config", str(cfg)],
        stdout=subprocess.PIPE, stderr=log, cwd=str(tmp_path),
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        deadline, url = time.monotonic() + 60, None
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            if sel.select(timeout=0.5):
                m = LINE.search(proc.stdout.readline().decode())
                url = m.group(1) if m else None
        if url is None:
            pytest.fail("emulator server did not start: "
                        + (tmp_path / "server.log").read_text())
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        proc.stdout.close()
        log.close()


def test_apply_through_the_http_server_converges(server, project, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_AGENT", server)
    p = project
    r = p.cli("apply", "--auto-approve")
    assert r.code == 0, r.err
    assert p.cli("plan", "--detailed-exitcode").code == ExitCode.OK
    assert not p.state.exists()  # the embedded emulator was not used
    client = boto3.client("bedrock-agent", region_name="us-east-1", endpoint_url=server,
                          aws_access_key_id="x", aws_secret_access_key="x")
    assert [a["agentName"] for a in client.list_agents()["agentSummaries"]] == ["support-bot"]
    r = p.cli("status", "--output", "json")
    assert '"newest_version": "1"' in r.out
