"""The emulator's HTTP server (agentctl/emulator/transports/server.py) and the `agentctl emulator` commands.

End-to-end checks start `python -m agentctl emulator serve` as a separate process and drive it
with plain boto3 clients from this process; the transport pieces (byte passthrough, status
codes without bodies, error fallback, host checks) are also tested in-process against a fake
emulator so they do not depend on the emulator core.
"""

from __future__ import annotations

import errno
import http.client
import io
import json
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from agentctl.cli import run
from agentctl.emulator.transports.server import (
    EmulatorHTTPServer,
    ListenAddress,
    check_host,
    default_state_path,
    is_loopback,
    serve,
)
from agentctl.errors import UsageError
from agentctl.exitcodes import ExitCode

LINE = re.compile(r"^agentctl emulator listening on (http://127\.0\.0\.1:(\d+)) \(state: (.+)\)$")
ROLE = "arn:aws:iam::123456789012:role/AgentRole"
MODEL = "anthropic.claude-3-5-sonnet-20241022-v2:0"


# ---- helpers --------------------------------------------------------------------------------

class Server:
    def __init__(self, *args: str, cwd: Path, env: dict[str, str] | None = None,
                 pre: tuple[str, ...] = ()):
        self.stderr_path = cwd / f"server-{time.monotonic_ns()}.err"
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "agentctl", *pre, "emulator", "serve", *args],
                                     stdout=subprocess.PIPE, stderr=self._err, cwd=cwd,
                                     env={**os.environ, **(env or {})})
        self.first_line = self._first_line()

    def _first_line(self, timeout: float = 60) -> str:
        assert self.proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            self.kill()
            pytest.fail(f"server printed nothing in {timeout}s; stderr: {self.stderr()}")
        return self.proc.stdout.readline().decode().rstrip("\n")

    @property
    def url(self) -> str:
        m = LINE.match(self.first_line)
        assert m, f"unexpected first line {self.first_line!r}; stderr: {self.stderr()}"
        return m.group(1)

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def signal(self, sig: int, timeout: float = 20) -> int:
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        finally:
            self.kill()
        return rc

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout and not self.proc.stdout.closed:
            self.proc.stdout.close()
        self._err.close()


def client_for(url: str) -> object:
    return boto3.session.Session().client(
        "bedrock-agent", region_name="us-east-1", endpoint_url=url,
        aws_access_key_id="x", aws_secret_access_key="y",
        config=Config(retries={"max_attempts": 1}))


@pytest.fixture
def server_factory(tmp_path):
    started: list[Server] = []

    def start(*args: str, env: dict[str, str] | None = None, pre: tuple[str, ...] = ()) -> Server:
        s = Server(*args, cwd=tmp_path, env=env, pre=pre)
        started.append(s)
        return s
    yield start
    for s in started:
        s.kill()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """One server for the tests that only need *a* running server (saves process start-ups)."""
    d = tmp_path_factory.mktemp("shared")
    srv = Server("--port", "0", "--state", str(d / "shared.db"), cwd=d)
    yield srv
    srv.kill()


def _wait_status(client, agent_id, statuses, timeout=20.0):
    deadline = time.monotonic() + timeout
    while True:
        agent = client.get_agent(agentId=agent_id)["agent"]
        if agent["agentStatus"] in statuses or time.monotonic() > deadline:
            return agent
        time.sleep(0.05)


# ---- end to end: a second process -----------------------------------------------------------

@pytest.mark.server
def test_server_serves_a_plain_boto3_client_from_another_process(shared_server):
    srv = shared_server
    assert LINE.match(srv.first_line), srv.first_line
    assert LINE.match(srv.first_line).group(3).endswith("shared.db")
    client = client_for(srv.url)
    created = client.create_agent(agentName="served-agent", agentResourceRoleArn=ROLE,
                                  foundationModel=MODEL)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    agent_id = created["agent"]["agentId"]
    assert client.get_agent(agentId=agent_id)["agent"]["agentName"] == "served-agent"
    names = [a["agentName"] for a in client.list_agents()["agentSummaries"]]
    assert "served-agent" in names
    # Errors travel as REST-JSON errors the SDK parses into the modelled exception.
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_agent(agentId="ZZZZZZZZZ9")
    # A 204 (no body) response keeps the kept-alive connection usable for the next call.
    _wait_status(client, agent_id, {"NOT_PREPARED"})
    group = client.create_agent_action_group(
        agentId=agent_id, agentVersion="DRAFT", actionGroupName="g1", actionGroupState="DISABLED",
        actionGroupExecutor={"customControl": "RETURN_CONTROL"},
        functionSchema={"functions": [{"name": "f"}]})["agentActionGroup"]
    resp = client.delete_agent_action_group(agentId=agent_id, agentVersion="DRAFT",
                                            actionGroupId=group["actionGroupId"])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert client.list_agent_action_groups(agentId=agent_id, agentVersion="DRAFT")["actionGroupSummaries"] == []


@pytest.mark.server
def test_a_second_process_shares_the_servers_state_file(shared_server):
    """A CLI process (here: an in-process Emulator) and the server use one state file at once."""
    from agentctl.emulator import Emulator

    state = Path(LINE.match(shared_server.first_line).group(3))
    local = Emulator(state_path=state)
    try:
        made_locally = local.client().create_agent(agentName="made-locally")["agent"]["agentId"]
        remote = client_for(shared_server.url)
        assert remote.get_agent(agentId=made_locally)["agent"]["agentName"] == "made-locally"
        made_remotely = remote.create_agent(agentName="made-remotely")["agent"]["agentId"]
        assert local.client().get_agent(agentId=made_remotely)["agent"]["agentName"] == "made-remotely"
    finally:
        local.close()
    assert state.exists()  # closing the second user leaves the server's file alone


@pytest.mark.server
def test_calls_reads_the_log_of_a_running_server(shared_server, capsys):
    """The call log lives in the state file, so another process can read it while serving."""
    client = client_for(shared_server.url)
    client.create_agent(agentName="logged-agent")
    state = LINE.match(shared_server.first_line).group(3)
    assert run(["emulator", "calls", "--state", state, "--operation", "CreateAgent",
                "--output", "json"]) == ExitCode.OK
    calls = json.loads(capsys.readouterr().out)["calls"]
    mine = [c for c in calls if c["params"].get("agentName") == "logged-agent"]
    assert [(c["operation"], c["outcome"], c["transport"]) for c in mine] == [("CreateAgent", "ok", "http")]


@pytest.mark.server
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_shuts_the_server_down_cleanly(server_factory, tmp_path, sig):
    srv = server_factory("--port", "0", "--state", str(tmp_path / "s.db"))
    client_for(srv.url).list_agents()
    assert srv.signal(sig) == 0
    assert "Traceback" not in srv.stderr()
    assert "stopped" in srv.stderr()


@pytest.mark.server
def test_state_survives_a_restart(server_factory, tmp_path):
    state = tmp_path / "persist.db"
    first = server_factory("--port", "0", "--state", str(state))
    client = client_for(first.url)
    agent_id = client.create_agent(agentName="durable", agentResourceRoleArn=ROLE,
                                   foundationModel=MODEL)["agent"]["agentId"]
    _wait_status(client, agent_id, {"NOT_PREPARED"})
    assert first.signal(signal.SIGTERM) == 0

    second = server_factory("--port", "0", "--state", str(state))
    again = client_for(second.url).get_agent(agentId=agent_id)["agent"]
    assert (again["agentName"], again["agentStatus"]) == ("durable", "NOT_PREPARED")
    assert second.signal(signal.SIGTERM) == 0


@pytest.mark.server
def test_aws_endpoint_url_env_var_reaches_the_server(shared_server, tmp_path, monkeypatch):
    srv = shared_server
    monkeypatch.delenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_AGENT", srv.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    client = boto3.client("bedrock-agent")  # exactly what a user's script does
    assert client.meta.endpoint_url == srv.url
    agent_id = client.create_agent(agentName="via-env")["agent"]["agentId"]
    assert client.get_agent(agentId=agent_id)["agent"]["agentName"] == "via-env"


@pytest.mark.server
@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_the_aws_cli_works_through_the_endpoint_env_var(shared_server, tmp_path):
    srv = shared_server
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL_BEDROCK_AGENT=srv.url, AWS_ACCESS_KEY_ID="x",
               AWS_SECRET_ACCESS_KEY="y", AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    out = subprocess.run(["aws", "bedrock-agent", "create-agent", "--agent-name", "cli-agent",
                          "--output", "json"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    agent_id = json.loads(out.stdout)["agent"]["agentId"]
    out = subprocess.run(["aws", "bedrock-agent", "get-agent", "--agent-id", agent_id,
                          "--query", "agent.agentName", "--output", "text"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert (out.returncode, out.stdout.strip()) == (0, "cli-agent"), out.stderr


@pytest.mark.server
def test_config_file_and_environment_are_applied_env_wins(server_factory, tmp_path):
    """--config FILE sets faults and defaults; AGENTCTL_EMULATOR_* variables override the file."""
    cfg = tmp_path / "emu.yaml"
    cfg.write_text("idle_session_ttl_default: 900\n"
                   "faults:\n  seed: 7\n  throttle: probability\n  throttle_probability: 1.0\n"
                   "  operations: [ListAgents]\n")
    srv = server_factory("--port", "0", "--state", str(tmp_path / "c.db"), "--config", str(cfg),
                         env={"AGENTCTL_EMULATOR_IDLE_SESSION_TTL_DEFAULT": "600"})
    client = client_for(srv.url)
    with pytest.raises(client.exceptions.ThrottlingException) as exc:  # from the file
        client.list_agents()
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    agent_id = client.create_agent(agentName="cfg")["agent"]["agentId"]  # not throttled
    assert client.get_agent(agentId=agent_id)["agent"]["idleSessionTTLInSeconds"] == 600  # env wins
    assert srv.signal(signal.SIGTERM) == 0


@pytest.mark.server
def test_unknown_route_is_a_json_404(shared_server):
    srv = shared_server
    port = int(srv.url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/no/such/route")
    resp = conn.getresponse()
    body = json.loads(resp.read())
    assert resp.status == 404
    assert resp.getheader("x-amzn-errortype", "").startswith("UnknownOperationException")
    assert "message" in body
    conn.close()


def test_invalid_config_file_is_a_usage_error(capsys, tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("no_such_setting: 1\n")
    code = run(["emulator", "serve", "--port", "0", "--config", str(cfg),
                "--state", str(tmp_path / "x.db")])
    assert code == ExitCode.USAGE
    assert "no_such_setting" in capsys.readouterr().err


@pytest.mark.server
def test_allow_remote_binds_with_a_warning(server_factory, tmp_path):
    srv = server_factory("--host", "0.0.0.0", "--allow-remote", "--port", "0",
                         "--state", str(tmp_path / "r.db"))
    assert srv.first_line.startswith("agentctl emulator listening on http://0.0.0.0:")
    assert srv.stderr().count("not a loopback address") == 1
    assert srv.signal(signal.SIGTERM) == 0


def test_default_state_path_is_found_from_the_project_file(tmp_path):
    project = tmp_path / "proj"
    (project / "agents").mkdir(parents=True)
    (project / "agentctl.yaml").write_text("project: demo\n")
    assert default_state_path(project / "agents") == project / ".agentctl" / "local.db"
    assert default_state_path(tmp_path / "elsewhere") == tmp_path / "elsewhere" / ".agentctl" / "local.db"


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "support-bot"


@pytest.fixture
def project(tmp_path):
    dest = tmp_path / "proj"
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
    return dest


@pytest.mark.server
def test_serve_uses_the_projects_local_environment(server_factory, project):
    """Without --state: the project's local environment gives state, region, account and world."""
    srv = server_factory("--port", "0", pre=("-C", str(project / "agents")))
    assert LINE.match(srv.first_line).group(3) == str(project / ".agentctl" / "local.db")
    client = client_for(srv.url)
    # The world's knowledge base was seeded, so associating it works as in plan/apply.
    kb = client.get_knowledge_base(knowledgeBaseId="KB1234ABCD")["knowledgeBase"]
    assert kb["name"] == "hr-policies"
    arn = client.create_agent(agentName="proj-agent")["agent"]["agentArn"]
    assert arn.startswith("arn:aws:bedrock:us-east-1:123456789012:agent/")
    assert srv.signal(signal.SIGTERM) == 0
    assert (project / ".agentctl" / "local.db").exists()


def test_serve_refuses_an_aws_environment(capsys, project):
    assert run(["-C", str(project), "emulator", "serve", "--port", "0", "-e", "prod"]) == ExitCode.USAGE
    assert "targets aws" in capsys.readouterr().err
    assert not (project / ".agentctl").exists()


def test_env_without_a_project_is_a_usage_error(capsys, tmp_path):
    assert run(["-C", str(tmp_path), "emulator", "calls", "-e", "local"]) == ExitCode.USAGE
    assert "needs a project" in capsys.readouterr().err


# ---- the CLI, in-process --------------------------------------------------------------------

def test_non_loopback_host_is_refused(capsys, tmp_path):
    code = run(["emulator", "serve", "--host", "0.0.0.0", "--port", "0",
                "--state", str(tmp_path / "x.db")])
    assert code == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "refusing to listen on non-loopback address '0.0.0.0'" in err
    assert "--allow-remote" in err
    assert not (tmp_path / "x.db").exists()


def test_bad_account_is_a_usage_error(capsys, tmp_path):
    code = run(["emulator", "serve", "--account", "123", "--state", str(tmp_path / "x.db")])
    assert code == ExitCode.USAGE
    assert "12 digits" in capsys.readouterr().err


def test_missing_config_file_is_a_usage_error(capsys, tmp_path):
    code = run(["emulator", "serve", "--port", "0", "--config", str(tmp_path / "nope.yaml"),
                "--state", str(tmp_path / "x.db")])
    assert code == ExitCode.USAGE
    assert "config file not found" in capsys.readouterr().err


def test_reset_without_yes_off_a_terminal_is_refused(capsys, tmp_path, monkeypatch):
    state = tmp_path / "r.db"
    state.write_bytes(b"")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert run(["emulator", "reset", "--state", str(state)]) == ExitCode.USAGE
    assert "--yes" in capsys.readouterr().err


def test_reset_of_a_missing_state_is_a_no_op(capsys, tmp_path):
    assert run(["emulator", "reset", "--yes", "--state", str(tmp_path / "none.db")]) == ExitCode.OK
    assert "nothing to reset" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()


def test_reset_wipes_state_and_calls_lists_the_log(capsys, tmp_path):
    from agentctl.emulator import Emulator

    state = tmp_path / "w.db"
    emu = Emulator(state_path=state)
    client = emu.client()
    agent_id = client.create_agent(agentName="to-wipe")["agent"]["agentId"]
    emu.close()

    assert run(["emulator", "calls", "--state", str(state), "--output", "json"]) == ExitCode.OK
    doc = json.loads(capsys.readouterr().out)
    assert doc["format_version"] == 1
    assert [c["operation"] for c in doc["calls"]] == ["CreateAgent"]
    assert doc["calls"][0]["outcome"] == "ok"

    assert run(["emulator", "calls", "--state", str(state)]) == ExitCode.OK
    assert "CreateAgent" in capsys.readouterr().out

    assert run(["emulator", "reset", "--state", str(state), "--yes"]) == ExitCode.OK
    emu = Emulator(state_path=state)
    try:
        with pytest.raises(emu.client().exceptions.ResourceNotFoundException):
            emu.client().get_agent(agentId=agent_id)
    finally:
        emu.close()


def test_a_file_that_is_not_a_state_db_is_a_clear_error(capsys, tmp_path):
    # Same exit code as the lifecycle commands give for a broken state file (agentctl.aws).
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    assert run(["emulator", "calls", "--state", str(junk)]) == ExitCode.ERROR
    err = capsys.readouterr().err
    assert "not a usable emulator state file" in err and "emulator reset --yes" in err


def test_reset_removes_a_corrupt_state_file(capsys, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    assert run(["emulator", "reset", "--state", str(junk), "--yes"]) == ExitCode.OK
    assert not junk.exists()
    assert "removed unreadable state file" in capsys.readouterr().err
    # ... and the next command starts empty.
    assert run(["emulator", "calls", "--state", str(junk)]) == ExitCode.USAGE  # nothing there yet


def test_reset_refuses_a_directory(capsys, tmp_path):
    assert run(["emulator", "reset", "--state", str(tmp_path), "--yes"]) == ExitCode.ERROR
    assert "not a regular file" in capsys.readouterr().err
    assert tmp_path.exists()


def test_calls_rejects_unknown_output(capsys, tmp_path):
    assert run(["emulator", "calls", "--state", str(tmp_path / "x.db"), "--output", "xml"]) == ExitCode.USAGE


# ---- the transport, against a fake emulator (no dependency on the core) --------------------

class FakeEmulator:
    def __init__(self, reply=None):
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.reply = reply or (lambda m, p, h, b: (200, {"Content-Type": "application/json"}, b'{"ok": true}'))
        self.closed = False

    def handle_http(self, method, path, headers, body):
        self.requests.append((method, path, dict(headers), body))
        return self.reply(method, path, headers, body)

    def close(self):
        self.closed = True


@pytest.fixture
def fake_server():
    running = []

    def start(emu: FakeEmulator):
        stop = threading.Event()
        out = io.StringIO()
        t = threading.Thread(target=serve, args=(emu, ListenAddress("127.0.0.1", 0)),
                             kwargs={"state_label": "memory", "out": out, "stop": stop}, daemon=True)
        t.start()
        deadline = time.monotonic() + 10
        while "listening" not in out.getvalue():
            assert time.monotonic() < deadline, "fake server did not start"
            time.sleep(0.01)
        port = int(re.search(r":(\d+) ", out.getvalue()).group(1))
        running.append((stop, t))
        return port, stop, t
    yield start
    for stop, t in running:
        stop.set()
        t.join(5)


def test_request_bytes_pass_through_unchanged(fake_server):
    emu = FakeEmulator()
    port, stop, t = fake_server(emu)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("PUT", "/agents/ABCDEFGHIJ/?skipResourceInUseCheck=true", body=b'{"x": 1}',
                 headers={"Content-Type": "application/json", "X-Amz-Target": "t"})
    resp = conn.getresponse()
    assert (resp.status, resp.read()) == (200, b'{"ok": true}')
    method, path, headers, body = emu.requests[0]
    assert (method, path, body) == ("PUT", "/agents/ABCDEFGHIJ/?skipResourceInUseCheck=true", b'{"x": 1}')
    assert headers["X-Amz-Target"] == "t"
    stop.set()
    t.join(5)
    assert emu.closed


def test_chunked_request_body_is_reassembled(fake_server):
    emu = FakeEmulator()
    port, _, _ = fake_server(emu)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("POST", "/agents/", body=iter([b'{"a":', b' 2}']), encode_chunked=True,
                 headers={"Transfer-Encoding": "chunked"})
    assert conn.getresponse().status == 200
    assert emu.requests[0][3] == b'{"a": 2}'


def test_malformed_chunked_body_is_a_400_and_closes_the_connection(fake_server):
    emu = FakeEmulator()
    port, _, _ = fake_server(emu)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"POST /agents/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"zz\r\n")
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    assert data.startswith(b"HTTP/1.1 400")
    assert emu.requests == []


def test_no_content_response_has_no_body_and_connection_stays_usable(fake_server):
    emu = FakeEmulator(lambda m, p, h, b: (204, {"x-amzn-requestid": "r1"}, b"ignored"))
    port, _, _ = fake_server(emu)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    for _ in range(2):  # the same keep-alive connection twice
        conn.request("DELETE", "/agents/A/agentversions/DRAFT/actiongroups/B/")
        resp = conn.getresponse()
        assert (resp.status, resp.read(), resp.getheader("x-amzn-requestid")) == (204, b"", "r1")
    assert len(emu.requests) == 2


def test_an_emulator_crash_becomes_an_internal_server_exception(fake_server, capsys):
    def boom(m, p, h, b):
        raise RuntimeError("bug")
    port, _, _ = fake_server(FakeEmulator(boom))
    client = client_for(f"http://127.0.0.1:{port}")
    with pytest.raises(client.exceptions.InternalServerException):
        client.list_agents()
    assert "RuntimeError: bug" in capsys.readouterr().err


def test_a_lost_answer_closes_the_connection_without_a_response(fake_server, capsys):
    # faults: error_after_commit {answer: connection}: the change committed, the answer is lost.
    from botocore.exceptions import ConnectionClosedError

    from agentctl.emulator.errors import AnswerLost

    def lost(m, p, h, b):
        raise AnswerLost("ListAgents")
    port, _, _ = fake_server(FakeEmulator(lost))
    client = client_for(f"http://127.0.0.1:{port}")
    with pytest.raises(ConnectionClosedError):
        client.list_agents()
    assert "internal error" not in capsys.readouterr().err  # not mistaken for an emulator bug


def test_server_passes_error_headers_and_status(fake_server):
    body = json.dumps({"message": "nope"}).encode()
    port, _, _ = fake_server(FakeEmulator(lambda m, p, h, b: (
        409, {"Content-Type": "application/json", "x-amzn-errortype": "ConflictException"}, body)))
    client = client_for(f"http://127.0.0.1:{port}")
    with pytest.raises(client.exceptions.ConflictException) as exc:
        client.delete_agent(agentId="ABCDEFGHIJ")
    assert exc.value.response["Error"]["Message"] == "nope"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


@pytest.mark.parametrize("host,expected", [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("10.1.2.3", False), ("::", False),
])
def test_loopback_detection(host, expected):
    assert is_loopback(host) is expected


def test_check_host_refuses_then_warns():
    with pytest.raises(UsageError):
        check_host("0.0.0.0", allow_remote=False)
    warn = io.StringIO()
    check_host("0.0.0.0", allow_remote=True, warn=warn)
    assert "not a loopback address" in warn.getvalue()
    check_host("127.0.0.1", allow_remote=False)


def test_port_in_use_is_a_usage_error_and_closes_the_emulator():
    taken = EmulatorHTTPServer(ListenAddress("127.0.0.1", 0), lambda *a: (200, {}, b""))
    emu = FakeEmulator()
    try:
        with pytest.raises(UsageError, match="cannot listen"):
            serve(emu, ListenAddress("127.0.0.1", taken.server_address[1]), state_label="m",
                  out=io.StringIO(), stop=threading.Event())
    finally:
        taken.server_close()
    assert emu.closed


def test_port_in_use_is_a_usage_error():
    first = EmulatorHTTPServer(ListenAddress("127.0.0.1", 0), lambda *a: (200, {}, b""))
    try:
        with pytest.raises(UsageError, match="cannot listen"):
            EmulatorHTTPServer(ListenAddress("127.0.0.1", first.server_address[1]),
                               lambda *a: (200, {}, b""))
    finally:
        first.server_close()


def test_port_in_use_hint_says_the_port_is_in_use():
    first = EmulatorHTTPServer(ListenAddress("127.0.0.1", 0), lambda *a: (200, {}, b""))
    try:
        with pytest.raises(UsageError) as info:
            EmulatorHTTPServer(ListenAddress("127.0.0.1", first.server_address[1]),
                               lambda *a: (200, {}, b""))
    finally:
        first.server_close()
    assert "port is in use" in info.value.hint and "--port" in info.value.hint


@pytest.mark.parametrize("allow_remote", [False, True])
def test_unresolvable_host_is_a_usage_error_about_the_host_not_the_port(
        capsys, tmp_path, monkeypatch, allow_remote):
    def no_such_name(host, *args, **kwargs):
        if host == "nonexistent.invalid":  # no DNS query from a test
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    code = run(["emulator", "serve", "--host", "nonexistent.invalid", "--port", "0",
                "--state", str(tmp_path / "x.db")] + (["--allow-remote"] if allow_remote else []))
    assert code == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "cannot listen on nonexistent.invalid: the address does not resolve" in err
    assert "--host" in err and "--port" not in err and "non-loopback" not in err
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize("err,fragment", [
    (OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address"),
     "10.254.254.254 is not an address of this machine"),
    (OSError(errno.EACCES, "Permission denied"), "ports below 1024 need privileges"),
    (OSError(errno.EADDRINUSE, "Address already in use"), "the port is in use"),
    (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), "a name that resolves"),
])
def test_bind_errors_get_a_hint_that_fits_the_cause(err, fragment):
    from agentctl.emulator.transports.server import bind_error

    e = bind_error(ListenAddress("10.254.254.254", 80), err)
    assert isinstance(e, UsageError) and fragment in e.hint


# ---- no Nagle delay (issue 12 item 15) ------------------------------------------------------
# Measured, the bug was ~44 ms per call (benchmarks/bench_server.py); here it is asserted by
# structure, never by timing: each response leaves in one write, and every accepted connection
# has TCP_NODELAY set.

class _RecordingSocket:
    """The server side of a socketpair, recording every sendall (one per TCP write)."""

    def __init__(self, sock: socket.socket):
        self._sock = sock
        self.writes: list[bytes] = []
        self.options: list[tuple[int, int, int]] = []

    def makefile(self, *args, **kwargs):
        return self._sock.makefile(*args, **kwargs)

    def sendall(self, data) -> None:
        self.writes.append(bytes(data))
        self._sock.sendall(data)

    def setsockopt(self, *args) -> None:
        self.options.append(args)

    def settimeout(self, t) -> None:
        self._sock.settimeout(t)

    def __getattr__(self, name):
        return getattr(self._sock, name)


@pytest.mark.parametrize("status,body", [(200, b'{"agentSummaries": []}'), (404, b'{"message": "no"}'),
                                         (200, b"x" * 100_000), (204, b"")])
def test_each_response_is_one_write_with_headers_and_body(status, body):
    from agentctl.emulator.transports.server import _Handler

    server = EmulatorHTTPServer(ListenAddress("127.0.0.1", 0),
                                lambda m, p, h, b: (status, {"Content-Type": "application/json"}, body))
    try:
        ours, theirs = socket.socketpair()
        with ours, theirs:
            theirs.sendall(b"GET /agents/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            rec = _RecordingSocket(ours)
            _Handler(rec, ("127.0.0.1", 1), server)
            assert len(rec.writes) == 1, [w[:60] for w in rec.writes]
            head, _, sent = rec.writes[0].partition(b"\r\n\r\n")
            assert head.startswith(f"HTTP/1.1 {status}".encode())
            assert sent == body
    finally:
        server.server_close()


def test_accepted_connections_have_tcp_nodelay():
    server = EmulatorHTTPServer(ListenAddress("127.0.0.1", 0), lambda m, p, h, b: (200, {}, b""))
    try:
        with socket.create_connection(server.server_address[:2], timeout=5):
            accepted, _ = server.get_request()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        server.server_close()
