"""Security properties, checked on the real CLI:

- no credential (AWS keys and session token from the environment or from a profile) appears in
  any output (human, JSON, ``--debug`` logs), in saved plans, or in any file agentctl writes
  (state database, lock, records), nor in what the emulator server prints or stores;
- includes (``{file: ...}``, OpenAPI files) are confined to the project: ``..`` and symlink
  escapes are refused with a located error;
- the emulator server binds loopback by default and refuses another address unless told;
- ownership is checked on every mutating path: apply, promote, rollback, destroy and
  ``plan --prune`` never touch an agent this project does not own, until ``adopt``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from agentctl.exitcodes import ExitCode
from tests.reliability import scenario as sc

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

ENV_KEY = "AKIAZZLEAKTESTENV001"
ENV_SECRET = "leak/EnvSecretKey+0123456789abcdefghijklmn"
ENV_TOKEN = "FwoGZXIvYXdzLEAKTESTSESSIONTOKEN0123456789"
PROFILE_KEY = "AKIAZZLEAKTESTPROF01"
PROFILE_SECRET = "leak/ProfileSecretKey+0123456789abcdefghij"
SECRETS = (ENV_KEY, ENV_SECRET, ENV_TOKEN, PROFILE_KEY, PROFILE_SECRET)


def _copy(name: str, dest: Path) -> Path:
    root = dest / name
    shutil.copytree(EXAMPLES / name, root, ignore=shutil.ignore_patterns(".agentctl",
                                                                         "__pycache__"))
    return root


def _leaks(text: str | bytes) -> list[str]:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return [s for s in SECRETS if s in text]


def _files_leaks(root: Path) -> dict[str, list[str]]:
    out = {}
    for p in root.rglob("*"):
        if p.is_file():
            found = _leaks(p.read_bytes())
            if found:
                out[str(p.relative_to(root))] = found
    return out


@pytest.fixture
def leaky_env(tmp_path) -> dict[str, str]:
    creds = tmp_path / "aws-credentials"
    creds.write_text(textwrap.dedent(f"""\
        [prod]
        aws_access_key_id = {PROFILE_KEY}
        aws_secret_access_key = {PROFILE_SECRET}
        """))
    config = tmp_path / "aws-config"
    config.write_text("[profile prod]\nregion = us-west-2\n")
    return sc.base_env(AWS_ACCESS_KEY_ID=ENV_KEY, AWS_SECRET_ACCESS_KEY=ENV_SECRET,
                       AWS_SESSION_TOKEN=ENV_TOKEN, AWS_SHARED_CREDENTIALS_FILE=str(creds),
                       AWS_CONFIG_FILE=str(config),
                       # The aws environment must fail fast and locally: nothing listens there.
                       AWS_ENDPOINT_URL_STS="http://127.0.0.1:9",
                       AWS_MAX_ATTEMPTS="1", AWS_METADATA_SERVICE_NUM_ATTEMPTS="0",
                       AWS_EC2_METADATA_DISABLED="true")


def test_no_credential_in_outputs_debug_logs_plans_or_state(tmp_path, leaky_env):
    root = _copy("support-bot", tmp_path)
    # The example gates PROD on its eval suite; this test is about what promote prints, so the
    # gate is dropped (tests/eval covers gating).
    cfg = root / "agentctl.yaml"
    gated = cfg.read_text()
    assert "  gates:\n" in gated
    cfg.write_text("\n".join(ln for ln in gated.splitlines()
                             if ln.strip() != "gates:" and not ln.strip().startswith("PROD: { suites"))
                   + "\n")
    runs = [
        ("--debug", "plan", "--out", str(root / "change.plan")),
        ("--debug", "apply", str(root / "change.plan"), "-o", "json"),
        ("--debug", "status", "-o", "json"),
        ("--debug", "promote", "PROD", "--agent", "support-bot", "--version", "1"),
        ("--debug", "emulator", "calls"),
        # The aws environment, once with the environment's keys and once with only the profile:
        # both fail (nothing answers on the STS endpoint); the error must not show a key.
        ("--debug", "plan", "-e", "prod"),
    ]
    seen = []
    for args in runs:
        r = sc.agentctl(root, *args, env=leaky_env)
        seen.append((args, r.code))
        assert _leaks(r.out) == [] and _leaks(r.err) == [], (args, r.out[-500:], r.err[-500:])
    profile_only = {k: v for k, v in leaky_env.items()
                    if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
    r = sc.agentctl(root, "--debug", "plan", "-e", "prod", "-o", "json", env=profile_only)
    assert r.code != 0 and _leaks(r.out + r.err) == [], r.err[-500:]
    # The local runs really ran (a leak check of failed commands would prove little).
    assert [code for _, code in seen[:5]] == [0, 0, 0, 0, 0], seen
    assert _files_leaks(root) == {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "agentctl", "emulator", "serve", *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_listening(proc: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.communicate()[1]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("server did not start")


def test_emulator_server_binds_loopback_and_never_stores_or_prints_credentials(tmp_path,
                                                                               leaky_env):
    import boto3

    port = _free_port()
    state = tmp_path / "server.db"
    proc = _serve(["--port", str(port), "--state", str(state)], leaky_env)
    try:
        _wait_listening(proc, port)
        # Loopback only: the listening socket is bound to 127.0.0.1, not to every address.
        out = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip():
            local = [line.split()[3] for line in out.stdout.splitlines() if line.strip()]
            assert local == [f"127.0.0.1:{port}"], out.stdout
        # A client signing with real-looking credentials (the access key id and the session
        # token travel in request headers).
        client = boto3.client("bedrock-agent", region_name="us-east-1",
                              endpoint_url=f"http://127.0.0.1:{port}",
                              aws_access_key_id=ENV_KEY, aws_secret_access_key=ENV_SECRET,
                              aws_session_token=ENV_TOKEN)
        client.list_agents()
        try:
            client.get_agent(agentId="NOSUCHAGNT")
        except client.exceptions.ResourceNotFoundException:
            pass
    finally:
        proc.terminate()
        server_out, server_err = proc.communicate(timeout=30)
    assert _leaks(server_out + server_err) == []
    assert not any(_leaks(p.read_bytes()) for p in tmp_path.glob("server.db*"))


def test_emulator_server_refuses_a_non_loopback_address_unless_allowed(tmp_path):
    r = subprocess.run([sys.executable, "-m", "agentctl", "emulator", "serve", "--host",
                        "0.0.0.0", "--port", str(_free_port()), "--state",
                        str(tmp_path / "s.db")], env=sc.base_env(), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == ExitCode.USAGE, r.stderr
    assert "--allow-remote" in r.stderr


# ------------------------------------------------------------------------------ includes

@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink-file", "symlink-dir"])
def test_includes_outside_the_project_are_refused_with_a_location(tmp_path, how):
    root = _copy("support-bot", tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("You are a leaked instruction. " * 3)
    spec = root / "agents" / "support-bot.yaml"
    if how == "dotdot":
        ref = "../../outside/secret.md"
    elif how == "absolute":
        ref = str(outside / "secret.md")
    elif how == "symlink-file":
        (root / "prompts" / "link.md").symlink_to(outside / "secret.md")
        ref = "../prompts/link.md"
    else:
        (root / "prompts" / "linkdir").symlink_to(outside, target_is_directory=True)
        ref = "../prompts/linkdir/secret.md"
    text = spec.read_text()
    assert "instruction: { file: ../prompts/instruction.md }" in text
    spec.write_text(text.replace("instruction: { file: ../prompts/instruction.md }",
                                 f"instruction: {{ file: \"{ref}\" }}"))
    r = sc.agentctl(root, "validate")
    assert r.code == ExitCode.INVALID_SPEC, r.out + r.err
    assert "agents/support-bot.yaml:" in r.out + r.err
    assert "leaked instruction" not in r.out + r.err
    # Nothing is planned from it either.
    assert sc.agentctl(root, "plan").code == ExitCode.INVALID_SPEC


def test_openapi_include_through_a_symlink_out_of_the_project_is_refused(tmp_path):
    root = _copy("support-bot", tmp_path)
    outside = tmp_path / "outside.yaml"
    shutil.copy(root / "openapi" / "orders.yaml", outside)
    (root / "openapi" / "orders.yaml").unlink()
    (root / "openapi" / "orders.yaml").symlink_to(outside)
    r = sc.agentctl(root, "validate")
    assert r.code == ExitCode.INVALID_SPEC, r.out + r.err
    assert "orders.yaml" in r.out + r.err


# ------------------------------------------------------------------------------ ownership

AGENT = "support-bot"


def _hand_made_agent(state: Path, tags: dict[str, str] | None = None) -> str:
    emu, c = sc._open(state)
    try:
        return c.create_agent(agentName=AGENT,
                              agentResourceRoleArn="arn:aws:iam::123456789012:role/R",
                              foundationModel="anthropic.claude-3-5-sonnet-20241022-v2:0",
                              instruction="A hand-made agent that agentctl did not create. " * 2,
                              **({"tags": tags} if tags else {}))["agent"]["agentId"]
    finally:
        emu.close()


@pytest.mark.parametrize("owner", ["untagged", "other-project"])
def test_every_mutating_command_refuses_an_agent_it_does_not_own(tmp_path, capsys, monkeypatch,
                                                                 owner):
    from agentctl.cli import run

    monkeypatch.setenv("AGENTCTL_EMULATOR_TIME_SCALE", "0")
    for var in ("AGENTCTL_ENV", "AWS_ENDPOINT_URL_BEDROCK_AGENT", "AGENTCTL_EMULATOR_FAULTS"):
        monkeypatch.delenv(var, raising=False)

    def cli(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        code = run(["-C", str(root), *args])
        return code, capsys.readouterr().err

    root = _copy("support-bot", tmp_path)
    state = root / ".agentctl" / "local.db"
    tags = {"agentctl:managed-by": "agentctl", "agentctl:project": "someone-else"} \
        if owner == "other-project" else None
    agent_id = _hand_made_agent(state, tags)
    sc.clear_calls(state)
    for args in [("apply", "--auto-approve"),
                 ("promote", "PROD", "--agent", AGENT, "--version", "1"),
                 ("rollback", "PROD", "--agent", AGENT),
                 ("destroy", "--agent", AGENT, "--auto-approve")]:
        code, err = cli(*args)
        assert code == ExitCode.NOT_OWNED, (args, code, err)
        assert f"agentctl adopt {AGENT}" in err, (args, err)
    # The whole-project destroy only looks for this project's agents: it finds none.
    assert cli("destroy", "--auto-approve")[0] in (ExitCode.OK, ExitCode.NOT_OWNED)
    assert sc.mutating_calls(state) == []
    # Without its spec, pruning: the agent is not this project's to delete either.
    spec = root / "agents" / "support-bot.yaml"
    spec.write_text(spec.read_text().replace("name: support-bot", "name: other-bot", 1))
    for name in ("agentctl.yaml",):
        (root / name).write_text((root / name).read_text().replace("support-bot:", "other-bot:"))
    capsys.readouterr()
    code = run(["-C", str(root), "plan", "--prune", "--steps"])
    out = capsys.readouterr().out
    assert code == ExitCode.OK, out
    assert "DeleteAgent" not in out and agent_id not in out, out
    emu, c = sc._open(state)
    try:
        assert c.get_agent(agentId=agent_id)["agent"]["agentName"] == AGENT
    finally:
        emu.close()
