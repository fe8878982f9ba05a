"""``agentctl.aws.make_clients`` / ``target_of``: which client each environment gets (embedded
emulator, endpoint URL, real AWS with the account check)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest

from agentctl.aws import client as aws
from agentctl.errors import ProjectError


def env(tmp_path: Path, **kw):
    base = dict(name="local", target="local", region="us-east-1", account="123456789012",
                profile=None, endpoint=None, state_path=tmp_path / ".agentctl" / "local.db",
                world={"knowledgeBases": [{"id": "KB1234ABCD", "name": "hr", "description": "HR"}]})
    base.update(kw)
    return SimpleNamespace(**base)


def test_embedded_target_is_named_by_its_state_file(tmp_path, monkeypatch):
    monkeypatch.delenv(aws.ENDPOINT_ENV, raising=False)
    t = aws.target_of(env(tmp_path), tmp_path)
    assert (t.kind, t.endpoint) == ("local", "embedded:.agentctl/local.db")


def test_embedded_emulator_is_attached_to_a_real_boto3_client(tmp_path, monkeypatch):
    monkeypatch.delenv(aws.ENDPOINT_ENV, raising=False)
    clients = aws.make_clients(env(tmp_path), root=tmp_path)
    try:
        assert clients.emulator is not None
        assert type(clients.agent).__name__ == "AgentsforBedrock"
        assert aws.call(clients, "ListAgents")["agentSummaries"] == []
        # the environment's world was seeded: associating its KB is possible
        assert (tmp_path / ".agentctl" / "local.db").exists()
    finally:
        clients.close()


def test_endpoint_env_var_gives_a_plain_client(tmp_path, monkeypatch):
    monkeypatch.setenv(aws.ENDPOINT_ENV, "http://127.0.0.1:4599")
    clients = aws.make_clients(env(tmp_path), root=tmp_path)
    assert clients.emulator is None
    assert clients.agent.meta.endpoint_url == "http://127.0.0.1:4599"
    assert clients.target.endpoint == "http://127.0.0.1:4599"


def test_environment_endpoint_wins(tmp_path, monkeypatch):
    monkeypatch.setenv(aws.ENDPOINT_ENV, "http://127.0.0.1:1")
    clients = aws.make_clients(env(tmp_path, endpoint="http://127.0.0.1:2"), root=tmp_path)
    assert clients.agent.meta.endpoint_url == "http://127.0.0.1:2"


class FakeSession:
    account = "123456789012"

    def __init__(self, profile_name=None, region_name=None):
        self.profile_name, self.region_name = profile_name, region_name

    def client(self, service, **kw):
        if service == "sts":
            return SimpleNamespace(get_caller_identity=lambda: {"Account": self.account})
        return boto3.client(service, region_name=self.region_name, aws_access_key_id="x",
                            aws_secret_access_key="x", **kw)


def test_aws_target_uses_profile_region_and_standard_retries(tmp_path, monkeypatch):
    monkeypatch.delenv(aws.ENDPOINT_ENV, raising=False)
    monkeypatch.setattr(boto3, "Session", FakeSession)
    e = env(tmp_path, name="prod", target="aws", region="us-west-2", profile="prod")
    clients = aws.make_clients(e, root=tmp_path)
    assert clients.target.kind == "aws" and clients.target.endpoint is None
    assert clients.agent.meta.region_name == "us-west-2"
    assert clients.agent.meta.config.retries["mode"] == "standard"


def test_aws_target_refuses_credentials_of_another_account(tmp_path, monkeypatch):
    monkeypatch.setattr(boto3, "Session", FakeSession)
    e = env(tmp_path, name="prod", target="aws", account="111111111111")
    with pytest.raises(ProjectError, match="credentials are for account 123456789012"):
        aws.make_clients(e, root=tmp_path)


def test_endpoint_env_var_is_part_of_an_aws_target(tmp_path, monkeypatch):
    # boto3 honours it for every client, so a plan made with it must not apply without it.
    monkeypatch.setenv(aws.ENDPOINT_ENV, "https://bedrock-agent.example.test")
    t = aws.target_of(env(tmp_path, target="aws"), tmp_path)
    assert t.endpoint == "https://bedrock-agent.example.test"
