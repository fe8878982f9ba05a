"""agentctl.aws.runtime.make_runtime_client: which client each target gets (no network)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from agentctl.aws.client import Clients
from agentctl.aws.runtime import make_runtime_client
from agentctl.core.model import Target
from agentctl.errors import UsageError


def _env(**kw):
    base = dict(name="e", target="local", region="us-east-1", account="123456789012",
                profile=None, endpoint=None)
    base.update(kw)
    return SimpleNamespace(**base)


def _clients(emulator=None, kind="local"):
    return Clients(agent=None, target=Target(kind=kind, region="us-east-1",
                                             account="123456789012", endpoint=None),
                   emulator=emulator)


@pytest.fixture(autouse=True)
def _no_endpoints(monkeypatch):
    for var in ("AWS_ENDPOINT_URL_BEDROCK_AGENT", "AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME",
                "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")


def test_aws_target_gets_a_real_client_with_a_long_read_timeout():
    c = make_runtime_client(_env(target="aws", region="us-west-2"), _clients(kind="aws"))
    assert c.meta.service_model.service_name == "bedrock-agent-runtime"
    assert c.meta.region_name == "us-west-2"
    assert c.meta.config.read_timeout == 300
    assert c.meta.endpoint_url == "https://bedrock-agent-runtime.us-west-2.amazonaws.com"


def test_local_endpoint_is_used_for_the_runtime_too(monkeypatch):
    c = make_runtime_client(_env(endpoint="http://127.0.0.1:4599"), _clients())
    assert c.meta.endpoint_url == "http://127.0.0.1:4599"
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME", "http://127.0.0.1:4600")
    c = make_runtime_client(_env(), _clients())
    assert c.meta.endpoint_url == "http://127.0.0.1:4600"


@pytest.mark.xfail(__import__("importlib.util").util.find_spec("agentctl.emulator.runtime") is None,
                   strict=True, reason="the local emulator does not answer InvokeAgent yet")
def test_embedded_emulator_is_attached_to_the_runtime_client(tmp_path):
    from agentctl.emulator import Emulator

    emu = Emulator(state_path=tmp_path / "s.db", region="us-east-1", account="123456789012")
    try:
        c = make_runtime_client(_env(), _clients(emulator=emu))
        # Answered in-process by the emulator: an unknown agent is the service's error.
        with pytest.raises(Exception) as ei:
            c.invoke_agent(agentId="AGENT12345", agentAliasId="TSTALIASID", sessionId="s-1",
                           inputText="hi")
        assert "ResourceNotFoundException" in str(ei.value)
    finally:
        emu.close()


def test_bad_local_endpoint_is_a_usage_error():
    with pytest.raises(UsageError) as ei:
        make_runtime_client(_env(endpoint="garbage"), _clients())
    assert "not usable" in ei.value.what
