"""Helpers for the conformance suite: polling, ready-made agents, error assertions.

Everything here talks to a plain boto3 ``bedrock-agent`` client and nothing else, so the same
helpers work against the in-process emulator, the emulator's HTTP server and real AWS. Must not:
import anything from ``agentctl.emulator`` or read emulator state directly.
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import pytest
from botocore.exceptions import ClientError

INSTRUCTION = ("You are a helpful conformance-test agent. Answer briefly and politely, "
               "and never make anything up.")


@dataclass
class Target:
    """What differs between transports: identities to use, how long to wait, what to clean up."""

    transport: str
    """inprocess | server | aws"""
    role_arn: str
    model: str
    timeout: float
    """Upper bound for any single wait (a status settling)."""
    region: str
    agents: list[str] = field(default_factory=list)
    """Agent ids created by the test, deleted at teardown (server and aws transports)."""
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def name(self, suffix: str = "a") -> str:
        """A unique, valid agent/alias/group name (pattern ``([0-9a-zA-Z][_-]?){1,100}``)."""
        return f"ct-{self.run_id}-{uuid.uuid4().hex[:6]}-{suffix}"

    def track(self, agent_id: str) -> str:
        self.agents.append(agent_id)
        return agent_id


# ---- errors -------------------------------------------------------------------------------

@contextlib.contextmanager
def expect_error(code: str | tuple[str, ...], match: str | None = None,
                 status: int | None = None) -> Iterator[dict[str, Any]]:
    """Assert the block raises a ClientError with this code (and message regex / HTTP status).

    Yields a dict that is filled with ``code``, ``message`` and ``status`` afterwards."""
    info: dict[str, Any] = {}
    codes = (code,) if isinstance(code, str) else code
    with pytest.raises(ClientError) as exc:
        yield info
    err = exc.value.response.get("Error", {})
    info["code"] = err.get("Code")
    info["message"] = err.get("Message", "")
    info["status"] = exc.value.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    assert info["code"] in codes, f"expected {codes}, got {info['code']}: {info['message']}"
    if match is not None:
        assert re.search(match, info["message"]), f"message {info['message']!r} !~ {match!r}"
    if status is not None:
        assert info["status"] == status, f"HTTP status {info['status']} != {status}"


# ---- polling ------------------------------------------------------------------------------

def poll(fn: Callable[[], Any], done: Callable[[Any], bool], timeout: float,
         what: str, interval: float | None = None) -> Any:
    deadline = time.monotonic() + timeout
    # Emulator waits are short (timeout <= 30 s): poll tightly so a settled status is seen at
    # once; real AWS transitions take seconds, so poll it gently.
    if interval is None:
        interval = 0.01 if timeout <= 30 else 1.0
    last = None
    while True:
        last = fn()
        if done(last):
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")
        time.sleep(interval)


def get_agent(client: Any, agent_id: str) -> dict[str, Any]:
    return client.get_agent(agentId=agent_id)["agent"]


def wait_agent(client: Any, agent_id: str, statuses: set[str], timeout: float) -> dict[str, Any]:
    """Poll GetAgent until agentStatus is one of ``statuses``; return the agent."""
    return poll(lambda: get_agent(client, agent_id), lambda a: a["agentStatus"] in statuses,
                timeout, f"agent {agent_id} status in {sorted(statuses)}")


def wait_agent_gone(client: Any, agent_id: str, timeout: float) -> None:
    def probe() -> str:
        try:
            return get_agent(client, agent_id)["agentStatus"]
        except ClientError as e:
            if e.response["Error"]["Code"] == "ResourceNotFoundException":
                return "GONE"
            raise
    poll(probe, lambda s: s == "GONE", timeout, f"agent {agent_id} deleted")


def wait_alias(client: Any, agent_id: str, alias_id: str, statuses: set[str],
               timeout: float) -> dict[str, Any]:
    """Poll GetAgentAlias until agentAliasStatus is one of ``statuses``; return the alias."""
    return poll(lambda: client.get_agent_alias(agentId=agent_id, agentAliasId=alias_id)["agentAlias"],
                lambda a: a["agentAliasStatus"] in statuses, timeout,
                f"alias {agent_id}/{alias_id} status in {sorted(statuses)}")


# ---- ready-made resources -----------------------------------------------------------------

def create_agent(client: Any, t: Target, **overrides: Any) -> dict[str, Any]:
    """CreateAgent with role/model/instruction (overridable; pass ``None`` to omit a member);
    returns the CreateAgent response's ``agent``. The agent is tracked for teardown."""
    params: dict[str, Any] = {
        "agentName": t.name(),
        "agentResourceRoleArn": t.role_arn,
        "foundationModel": t.model,
        "instruction": INSTRUCTION,
    }
    params.update(overrides)
    params = {k: v for k, v in params.items() if v is not None}
    agent = client.create_agent(**params)["agent"]
    t.track(agent["agentId"])
    return agent


def create_ready_agent(client: Any, t: Target, **overrides: Any) -> dict[str, Any]:
    """Create an agent and wait until it is NOT_PREPARED; return GetAgent's view."""
    agent = create_agent(client, t, **overrides)
    return wait_agent(client, agent["agentId"], {"NOT_PREPARED"}, t.timeout)


def prepare(client: Any, t: Target, agent_id: str, expect: str = "PREPARED") -> dict[str, Any]:
    """PrepareAgent and wait until it settles (PREPARED or FAILED); assert it reached ``expect``."""
    client.prepare_agent(agentId=agent_id)
    agent = wait_agent(client, agent_id, {"PREPARED", "FAILED"}, t.timeout)
    assert agent["agentStatus"] == expect, agent.get("failureReasons")
    return agent


def prepared_agent(client: Any, t: Target, **overrides: Any) -> dict[str, Any]:
    agent = create_ready_agent(client, t, **overrides)
    return prepare(client, t, agent["agentId"])


def settle_agent(client: Any, t: Target, agent_id: str) -> dict[str, Any]:
    """Wait until the agent leaves every transitional status."""
    return wait_agent(client, agent_id, {"PREPARED", "NOT_PREPARED", "FAILED"}, t.timeout)


def create_alias(client: Any, t: Target, agent_id: str, **kw: Any) -> dict[str, Any]:
    """CreateAgentAlias, then wait for the alias to be PREPARED and the agent to settle again
    (a version cut makes the agent VERSIONING for a while). Returns GetAgentAlias's view."""
    kw.setdefault("agentAliasName", t.name("alias"))
    alias = client.create_agent_alias(agentId=agent_id, **kw)["agentAlias"]
    got = wait_alias(client, agent_id, alias["agentAliasId"], {"PREPARED", "FAILED"}, t.timeout)
    settle_agent(client, t, agent_id)
    return got


def update_alias(client: Any, t: Target, agent_id: str, alias_id: str, **kw: Any) -> dict[str, Any]:
    client.update_agent_alias(agentId=agent_id, agentAliasId=alias_id, **kw)
    got = wait_alias(client, agent_id, alias_id, {"PREPARED", "FAILED"}, t.timeout)
    settle_agent(client, t, agent_id)
    return got


def routed_version(alias: dict[str, Any]) -> str | None:
    rc = alias.get("routingConfiguration") or []
    return rc[0].get("agentVersion") if rc else None


def numbered_versions(client: Any, agent_id: str) -> list[str]:
    out: list[str] = []
    for page in client.get_paginator("list_agent_versions").paginate(agentId=agent_id):
        out += [s["agentVersion"] for s in page["agentVersionSummaries"]]
    return sorted((v for v in out if v != "DRAFT"), key=int)


def function_group(t: Target, agent_id: str, **overrides: Any) -> dict[str, Any]:
    """Parameters for a RETURN_CONTROL function-schema action group (no Lambda needed)."""
    params: dict[str, Any] = {
        "agentId": agent_id,
        "agentVersion": "DRAFT",
        "actionGroupName": t.name("ag").replace("-", "_"),
        "description": "Order tools",
        "actionGroupExecutor": {"customControl": "RETURN_CONTROL"},
        "functionSchema": {"functions": [{
            "name": "get_order",
            "description": "Look up an order by id",
            "parameters": {
                "order_id": {"type": "string", "description": "The order id", "required": True},
                "verbose": {"type": "boolean", "description": "Include lines", "required": False},
            },
        }]},
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


OPENAPI_PAYLOAD = """{
  "openapi": "3.0.0",
  "info": {"title": "Orders", "version": "1.0.0"},
  "paths": {
    "/orders/{orderId}": {
      "get": {
        "operationId": "getOrder",
        "description": "Get one order",
        "parameters": [{"name": "orderId", "in": "path", "required": true,
                        "description": "Order id", "schema": {"type": "string"}}],
        "responses": {"200": {"description": "The order",
                              "content": {"application/json": {"schema": {"type": "object"}}}}}
      }
    }
  }
}"""
