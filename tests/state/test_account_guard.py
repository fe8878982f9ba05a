"""The account guard (`target: aws`): agentctl refuses to work with credentials of another
account than the environment's `account:`, asking STS (here moto's server, reached through
botocore's own AWS_ENDPOINT_URL_STS override, the mechanism README's "Running in CI" documents)."""

from __future__ import annotations

import pytest

from agentctl.aws.client import make_clients
from agentctl.errors import ProjectError
from agentctl.spec.project import Environment


def env(account: str) -> Environment:
    return Environment(name="prod", target="aws", region="us-east-1", account=account)


@pytest.fixture
def sts(moto_endpoint, monkeypatch):
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def test_credentials_of_another_account_are_refused(sts):
    # moto's default account is 123456789012
    with pytest.raises(ProjectError, match="credentials are for account 123456789012, "
                                           "environment 'prod' is account 111111111111"):
        make_clients(env("111111111111"))


def test_credentials_of_the_environments_account_are_accepted(sts):
    clients = make_clients(env("123456789012"))
    try:
        assert clients.target.account == "123456789012"
    finally:
        clients.close()
