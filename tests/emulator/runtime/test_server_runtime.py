"""Plain boto3 ``bedrock-agent-runtime`` against ``agentctl emulator serve`` (a second process):
the same port answers the control plane and the runtime, InvokeAgent streams real event-stream
messages with chunked transfer encoding, and return of control completes over HTTP."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.emulator.runtime.conftest import answer, apply_example, return_control

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = apply_example(tmp_path_factory.mktemp("served"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTCTL_", "AWS_ENDPOINT_URL"))}
    proc = subprocess.Popen([sys.executable, "-m", "agentctl", "-C", str(root), "emulator", "serve",
                             "-e", "local", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    if not sel.select(60):
        proc.kill()
        pytest.fail("the emulator server printed nothing")
    line = proc.stdout.readline().decode()
    url = line.split(" on ", 1)[1].split(" ", 1)[0]
    kw = dict(region_name="us-east-1", endpoint_url=url, aws_access_key_id="x", aws_secret_access_key="y",
              config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
    agent = boto3.client("bedrock-agent", **kw)
    runtime = boto3.client("bedrock-agent-runtime", **kw)
    agent_id = agent.list_agents()["agentSummaries"][0]["agentId"]
    alias = next(a["agentAliasId"] for a in agent.list_agent_aliases(agentId=agent_id)["agentAliasSummaries"]
                 if a["agentAliasName"] == "STAGING")
    yield runtime, agent_id, alias
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_invoke_streams_chunk_and_trace_over_http(served):
    runtime, agent_id, alias = served
    resp = runtime.invoke_agent(agentId=agent_id, agentAliasId=alias, sessionId=uuid.uuid4().hex,
                                inputText="Where is order A-482?", enableTrace=True)
    assert resp["ResponseMetadata"]["HTTPHeaders"]["transfer-encoding"] == "chunked"
    assert resp["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/vnd.amazon.eventstream"
    events = list(resp["completion"])
    assert any("trace" in e for e in events)
    assert "Order A-482 is" in answer(events)


def test_calendar_return_of_control_over_http(served):
    runtime, agent_id, alias = served
    session = uuid.uuid4().hex
    events = list(runtime.invoke_agent(agentId=agent_id, agentAliasId=alias, sessionId=session,
                                       inputText="Open my calendar for next Monday.")["completion"])
    roc = return_control(events)
    fn = roc["invocationInputs"][0]["functionInvocationInput"]
    assert fn["function"] == "open_calendar"
    events = list(runtime.invoke_agent(agentId=agent_id, agentAliasId=alias, sessionId=session, sessionState={
        "invocationId": roc["invocationId"],
        "returnControlInvocationResults": [{"functionResult": {
            "actionGroup": "ClientCalendar", "function": "open_calendar",
            "responseBody": {"TEXT": {"body": "Free: 09:00-12:00."}}}}]})["completion"])
    assert answer(events) == "Free: 09:00-12:00. Which slot would you like?"


def test_errors_over_http(served):
    runtime, agent_id, alias = served
    with pytest.raises(ClientError) as err:
        runtime.invoke_agent(agentId=agent_id, agentAliasId=alias, sessionId="bad id", inputText="hi")
    assert err.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as err:
        runtime.invoke_agent(agentId="NOSUCHAGNT", agentAliasId=alias, sessionId="s-1", inputText="hi")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    memory = runtime.get_agent_memory(agentId=agent_id, agentAliasId=alias, memoryId="nobody",
                                      memoryType="SESSION_SUMMARY")
    assert memory["memoryContents"] == []
