"""Tolerant of correct-but-different endpoints, strict about wrong ones (issue 11 item 5),
pinned with botocore's Stubber (and, for wire bodies, botocore's own response parsing).

- every status the API documents as a settled outcome of a step is accepted (CreateAgent may
  leave the agent PREPARED on some endpoints, not only NOT_PREPARED);
- NOT_PREPARED right after PrepareAgent is tolerated for a short while (an endpoint may not show
  PREPARING yet), then it is the endpoint's failure;
- an alias step is checked for its effect: a version-cutting call really cut a new version and
  the alias routes to it; an explicit routing is honoured. Otherwise an ``EndpointError`` says
  it is the endpoint's problem, not the spec's;
- a raw HTML / wire body is summarized (status code + content type), never printed.
"""

from __future__ import annotations

import dataclasses

import pytest
from botocore.stub import ANY

from agentctl.apply import executor
from agentctl.aws import client as aws
from agentctl.errors import AwsError, EndpointError
from agentctl.plan.model import AgentLifecycle, AliasMove, Plan, Step

from .stubs import ACCOUNT, AGENT_ID, MODEL, REGION, ROLE, T0, agent_obj, alias_obj


def plan_of(*steps: Step, lifecycle: tuple = ()) -> Plan:
    return Plan(format_version=1, project="support", environment="prod",
                target={"kind": "aws", "region": REGION, "account": ACCOUNT, "endpoint": None},
                spec_digest="d", live_fingerprint={"support-bot": "x"}, changes=(),
                lifecycle=lifecycle, steps=steps, plan_id="p" * 64,
                created_at="2026-01-01T00:00:00Z")


CREATE = Step("CreateAgent", {"agentName": "support-bot", "foundationModel": MODEL,
                              "agentResourceRoleArn": ROLE, "instruction": "Help. " * 10},
              "agent.support-bot", "create agent", wait_for="agent:NOT_PREPARED",
              outputs={"agentId": "agent.agentId"})


def test_create_agent_that_settles_prepared_is_accepted(stub, clients):
    stub.ok("create_agent", {**CREATE.params, "clientToken": ANY},
            {"agent": agent_obj("CREATING")})
    stub.get_agent("PREPARED")  # this endpoint prepares a new agent at once
    result = executor.execute(plan_of(CREATE), clients, handle_signals=False)
    assert result.ok, result.failed and result.failed.error


def test_unexpected_stable_status_is_the_endpoint_s_fault_not_the_spec_s(stub, clients):
    prepare = Step("PrepareAgent", {"agentId": AGENT_ID}, "agent.support-bot", "prepare",
                   wait_for="agent:PREPARED")
    stub.owned()
    stub.ok("prepare_agent", {"agentId": AGENT_ID},
            {"agentId": AGENT_ID, "agentStatus": "PREPARING", "agentVersion": "DRAFT",
             "preparedAt": T0})
    # NOT_PREPARED right after PrepareAgent: tolerated within Timing.settle_grace ...
    stub.get_agent("NOT_PREPARED").get_agent("PREPARING").get_agent("PREPARED")
    assert executor.execute(plan_of(prepare), clients, handle_signals=False).ok


def test_prepare_that_never_leaves_not_prepared_is_an_endpoint_error(stub, clients):
    prepare = Step("PrepareAgent", {"agentId": AGENT_ID}, "agent.support-bot", "prepare",
                   wait_for="agent:PREPARED")
    stub.owned()
    stub.ok("prepare_agent", {"agentId": AGENT_ID},
            {"agentId": AGENT_ID, "agentStatus": "PREPARING", "agentVersion": "DRAFT",
             "preparedAt": T0})
    # ... but not for ever: polls at 0 s, 1 s, 2.5 s (stubs.py's Timing), 2 s of grace here
    for _ in range(3):
        stub.get_agent("NOT_PREPARED")
    clients = dataclasses.replace(clients, timing=dataclasses.replace(clients.timing,
                                                                      settle_grace=2.0))
    result = executor.execute(plan_of(prepare), clients, handle_signals=False)
    assert result.failed is not None
    error = result.failed.error
    assert "UnexpectedEndpointBehaviour" in error and "left agent AGENT00001 NOT_PREPARED" in error
    assert "after PrepareAgent" in error and "not of the spec" in error
    assert "fix the cause in the spec" not in error


CUT = Step("UpdateAgentAlias", {"agentId": AGENT_ID, "agentAliasId": "ALIASSTG01",
                                "agentAliasName": "STAGING",
                                "aliasInvocationState": "ACCEPT_INVOCATIONS"},
           "agent.support-bot.alias.STAGING", "cut a new version", wait_for="alias:PREPARED")
CUT_LIFECYCLE = (AgentLifecycle(agent="support-bot", prepare=False, new_version=True,
                                next_version_hint="4",
                                moves=(AliasMove("support-bot", "STAGING", "3", "new"),)),)


def _stub_cut(stub, routed: str) -> None:
    stub.owned()
    stub.ok("update_agent_alias", CUT.params,
            {"agentAlias": alias_obj("ALIASSTG01", "STAGING", "UPDATING", version="3")})
    stub.get_alias("ALIASSTG01", "STAGING", "PREPARED", version=routed)
    stub.get_agent("PREPARED")
    stub.get_alias("ALIASSTG01", "STAGING", "PREPARED", version=routed)


def test_a_version_cut_that_cut_no_version_is_an_endpoint_error(stub, clients):
    _stub_cut(stub, routed="3")  # still on the version it had: nothing was cut
    result = executor.execute(plan_of(CUT, lifecycle=CUT_LIFECYCLE), clients,
                              handle_signals=False)
    assert result.failed is not None
    assert result.failed.accepted  # the call itself was accepted ...
    error = result.failed.error
    # ... and the report says the endpoint did not do what the API promises
    assert "must cut a new version and route alias STAGING to it" in error
    assert "routes to 3" in error and "not of the spec" in error


def test_a_version_cut_that_cut_one_completes(stub, clients):
    _stub_cut(stub, routed="4")
    result = executor.execute(plan_of(CUT, lifecycle=CUT_LIFECYCLE), clients,
                              handle_signals=False)
    assert result.ok
    assert result.outputs["agent.support-bot.alias.STAGING"]["version"] == "4"


def test_an_alias_routed_elsewhere_than_asked_is_an_endpoint_error(stub, clients):
    pin = Step("UpdateAgentAlias", {"agentId": AGENT_ID, "agentAliasId": "ALIASPRD01",
                                    "agentAliasName": "PROD",
                                    "routingConfiguration": [{"agentVersion": "2"}]},
               "agent.support-bot.alias.PROD", "promote", wait_for="alias:PREPARED")
    stub.owned()
    stub.ok("update_agent_alias", pin.params,
            {"agentAlias": alias_obj("ALIASPRD01", "PROD", "UPDATING", version="1")})
    stub.ok("get_agent_alias", {"agentId": AGENT_ID, "agentAliasId": "ALIASPRD01"},
            {"agentAlias": alias_obj("ALIASPRD01", "PROD", "PREPARED", version="1")})
    stub.ok("get_agent_alias", {"agentId": AGENT_ID, "agentAliasId": "ALIASPRD01"},
            {"agentAlias": alias_obj("ALIASPRD01", "PROD", "PREPARED", version="1")})
    result = executor.execute(plan_of(pin), clients, handle_signals=False)
    assert result.failed is not None
    assert "asked to route alias PROD to version 2, but it routes to 1" in result.failed.error


# ------------------------------------------------------------------------- wire bodies

HTML = (b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
        b"<h1>Bad Gateway</h1><p>upstream: 10.0.0.7:8080 x-secret-header=abc</p></body></html>")


def _answering(status: int, body: bytes, ctype: str):
    """A bedrock-agent client whose every request is answered with ``status``/``body``, parsed
    by botocore as a real response would be."""
    import boto3
    from botocore.awsrequest import AWSResponse
    from botocore.config import Config

    client = boto3.client("bedrock-agent", region_name=REGION, aws_access_key_id="x",
                          aws_secret_access_key="x", endpoint_url="http://127.0.0.1:9",
                          config=Config(retries={"mode": "standard", "total_max_attempts": 1}))

    class Raw:
        def stream(self, **_):
            yield body

    client.meta.events.register(
        "before-send.bedrock-agent",
        lambda request, **_: AWSResponse(request.url, status, {"content-type": ctype,
                                                               "content-length": str(len(body))},
                                         Raw()))
    return aws.Clients(agent=client, target=aws.Target("local", REGION, ACCOUNT, None),
                       timing=aws.Timing(sleep=lambda s: None, retries=0))


def test_an_html_error_page_is_summarized_not_printed():
    clients = _answering(502, HTML, "text/html; charset=utf-8")
    with pytest.raises(AwsError) as ei:
        aws.call(clients, "GetAgent", {"agentId": AGENT_ID}, where="agent.support-bot")
    text = ei.value.message()
    assert "HTTP 502 with a text/html body" in text and f"{len(HTML)} bytes, not shown" in text
    assert "<" not in text and "upstream" not in text and "secret" not in text


def test_an_html_success_page_is_summarized_not_printed():
    clients = _answering(200, HTML, "text/html")
    with pytest.raises(AwsError) as ei:
        aws.call(clients, "GetAgent", {"agentId": AGENT_ID})
    text = ei.value.message()
    assert ei.value.code == "UnparsableResponse" and "not a GetAgent response" in text
    assert "HTTP 200, a text/html body" in text and f"{len(HTML)} bytes" in text
    assert "<" not in text and "upstream" not in text


def test_an_api_error_message_is_kept_verbatim():
    body = b'{"message":"Failed to retrieve resource because it doesn\'t exist."}'
    clients = _answering(404, body, "application/json")
    with pytest.raises(AwsError) as ei:
        aws.call(clients, "GetAgent", {"agentId": AGENT_ID})
    assert ei.value.aws_message == "Failed to retrieve resource because it doesn't exist."


def test_endpoint_error_names_the_endpoint():
    e = EndpointError("x", target=aws.Target("local", REGION, ACCOUNT, "http://127.0.0.1:4599"))
    assert "http://127.0.0.1:4599" in e.message() and "not of the spec" in e.message()


# ------------------------------------------------------------------------------- ownership

def test_executor_refuses_to_change_an_agent_of_another_project(stub, clients):
    # Whoever built the plan, the executor reads the tags before the first change of an
    # existing agent; no mutating call is made here (Stubber fails on any unstubbed call).
    prepare = Step("PrepareAgent", {"agentId": AGENT_ID}, "agent.support-bot", "prepare",
                   wait_for="agent:PREPARED")
    stub.owned(project="someone-else")
    result = executor.execute(plan_of(prepare), clients, handle_signals=False)
    assert result.failed is not None and not result.failed.accepted
    assert "is not managed by project 'support'; refusing to run PrepareAgent" in \
        result.failed.error


def test_ownership_is_read_once_per_agent(stub, clients):
    steps = tuple(Step("PrepareAgent", {"agentId": AGENT_ID}, "agent.support-bot", f"p{i}")
                  for i in range(2))
    stub.owned()
    for _ in steps:
        stub.ok("prepare_agent", {"agentId": AGENT_ID},
                {"agentId": AGENT_ID, "agentStatus": "PREPARING", "agentVersion": "DRAFT",
                 "preparedAt": T0})
    assert executor.execute(plan_of(*steps), clients, handle_signals=False).ok
