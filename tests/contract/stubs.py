"""Fixtures for botocore Stubber contract tests of ``agentctl.aws`` / ``agentctl.apply.executor``.

The Stubber validates every expected request against botocore's input shape and every canned
response against the output shape, so these tests pin the exact call sequence *and* keep our
assumptions about response shapes honest. ``Sleeper`` replaces real sleeping: tests are instant
and can assert on backoff.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from agentctl.aws.client import Clients, Timing
from agentctl.core.model import Target

REGION = "us-east-1"
ACCOUNT = "123456789012"
AGENT_ID = "AGENT00001"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/AgentRole"
MODEL = "anthropic.claude-3-5-sonnet-20241022-v2:0"
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


@dataclass
class Sleeper:
    """Fake clock: ``sleep`` advances ``now`` and records the delay."""

    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.now += s

    def monotonic(self) -> float:
        return self.now


def agent_obj(status: str = "NOT_PREPARED", agent_id: str = AGENT_ID, name: str = "support-bot",
              **extra: Any) -> dict[str, Any]:
    obj = {
        "agentId": agent_id, "agentName": name,
        "agentArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:agent/{agent_id}",
        "agentVersion": "DRAFT", "agentStatus": status, "idleSessionTTLInSeconds": 1800,
        "agentResourceRoleArn": ROLE, "createdAt": T0, "updatedAt": T0,
    }
    obj.update(extra)
    return obj


def alias_obj(alias_id: str, name: str, status: str = "PREPARED", version: str | None = None,
              agent_id: str = AGENT_ID) -> dict[str, Any]:
    return {
        "agentId": agent_id, "agentAliasId": alias_id, "agentAliasName": name,
        "agentAliasArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:agent-alias/{agent_id}/{alias_id}",
        "routingConfiguration": [{"agentVersion": version}] if version else [],
        "createdAt": T0, "updatedAt": T0, "agentAliasStatus": status,
    }


class Stub:
    """A small fluent wrapper over Stubber (after chalice's tests/conftest.py)."""

    def __init__(self, stubber: Stubber):
        self.stubber = stubber

    def ok(self, method: str, params: dict[str, Any] | None, response: dict[str, Any]) -> "Stub":
        self.stubber.add_response(method, response, params)
        return self

    def error(self, method: str, code: str, message: str, params: dict[str, Any] | None = None,
              status: int = 400) -> "Stub":
        self.stubber.add_client_error(method, service_error_code=code, service_message=message,
                                      http_status_code=status, expected_params=params)
        return self

    def owned(self, project: str = "support", agent_id: str = AGENT_ID) -> "Stub":
        """The executor's ownership read before its first change of an existing agent."""
        return self.ok("list_tags_for_resource",
                       {"resourceArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:agent/{agent_id}"},
                       {"tags": {"agentctl:managed-by": "agentctl", "agentctl:project": project}})

    def get_agent(self, status: str, agent_id: str = AGENT_ID, **extra: Any) -> "Stub":
        return self.ok("get_agent", {"agentId": agent_id},
                       {"agent": agent_obj(status, agent_id, **extra)})

    def get_alias(self, alias_id: str, name: str, status: str = "PREPARED",
                  version: str | None = None) -> "Stub":
        return self.ok("get_agent_alias", {"agentId": AGENT_ID, "agentAliasId": alias_id},
                       {"agentAlias": alias_obj(alias_id, name, status, version)})


@pytest.fixture
def sleeper() -> Sleeper:
    return Sleeper()


@pytest.fixture
def bedrock():
    return boto3.client("bedrock-agent", region_name=REGION, aws_access_key_id="x",
                        aws_secret_access_key="x")


@pytest.fixture
def stub(bedrock):
    with Stubber(bedrock) as s:
        yield Stub(s)
        s.assert_no_pending_responses()


@pytest.fixture
def clients(bedrock, sleeper) -> Clients:
    timing = Timing(poll_initial=1.0, poll_max=4.0, wait_timeout=60.0, retries=3,
                    backoff_base=0.5, refusal_retries=2, sleep=sleeper.sleep,
                    monotonic=sleeper.monotonic, jitter=False)
    return Clients(agent=bedrock, target=Target("aws", REGION, ACCOUNT), timing=timing)


__all__ = ["ANY", "Stub", "agent_obj", "alias_obj"]
