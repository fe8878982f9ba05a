"""The ``bedrock`` (Converse, contract-tested with botocore's Stubber) and ``openai-compatible``
(a small chat-completions server on 127.0.0.1 started by the test) foundation models, driven
through InvokeAgent on the emulator."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.exceptions import EventStreamError
from botocore.stub import ANY, Stubber

from agentctl.emulator.runtime.settings import RuntimeSettings
from tests.emulator.runtime.conftest import MODEL, answer, build_agent, function_group, traces

VALUE_HANDLER = '''
def handler(event, context):
    key = {p["name"]: p["value"] for p in event["parameters"]}["key"]
    return {"messageVersion": "1.0", "response": {"actionGroup": event["actionGroup"], "function": event["function"],
            "functionResponse": {"responseBody": {"TEXT": {"body": "value of " + key}}}}}
'''
TOOL_CONFIG = {"tools": [{"toolSpec": {"name": "Tools__lookup", "description": "Look a thing up.", "inputSchema": {
    "json": {"type": "object", "properties": {"key": {"type": "string"}}, "required": ["key"]}}}}]}
INFERENCE = {"temperature": 0.0, "topP": 1.0, "maxTokens": 2048}


def _converse_response(content, stop="end_turn"):
    return {"output": {"message": {"role": "assistant", "content": content}}, "stopReason": stop,
            "usage": {"inputTokens": 11, "outputTokens": 7, "totalTokens": 18}, "metrics": {"latencyMs": 1}}


def test_bedrock_converse_tool_loop(project):
    client = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    stub = Stubber(client)
    stub.add_response("converse", _converse_response([
        {"text": "I should look k1 up."},
        {"toolUse": {"toolUseId": "tu-1", "name": "Tools__lookup", "input": {"key": "k1"}}}], "tool_use"),
        expected_params={"modelId": MODEL, "system": ANY, "inferenceConfig": INFERENCE, "toolConfig": TOOL_CONFIG,
                         "messages": [{"role": "user", "content": [{"text": "what is k1?"}]}]})
    stub.add_response("converse", _converse_response([{"text": "k1 is value of k1."}]),
                      expected_params={"modelId": MODEL, "system": ANY, "inferenceConfig": INFERENCE,
                                       "toolConfig": TOOL_CONFIG, "messages": [
                                           {"role": "user", "content": [{"text": "what is k1?"}]},
                                           {"role": "assistant", "content": [{"toolUse": {
                                               "toolUseId": "tu-1", "name": "Tools__lookup", "input": {"key": "k1"}}}]},
                                           {"role": "user", "content": [{"toolResult": {
                                               "toolUseId": "tu-1", "content": [{"text": "value of k1"}]}}]}]})
    stub.activate()
    settings = RuntimeSettings(root=project, model={"provider": "bedrock"}, region="us-east-1", bedrock_client=client)
    b = build_agent(project, "turns: [{answer: x}]\n", groups=[function_group()], handlers={"tools": VALUE_HANDLER},
                    runtime=settings)
    events = b.invoke("what is k1?")
    stub.assert_no_pending_responses()
    assert answer(events) == "k1 is value of k1."
    rationale = next(t["orchestrationTrace"]["rationale"]["text"] for t in traces(events)
                     if "rationale" in t.get("orchestrationTrace", {}))
    assert rationale == "I should look k1 up."
    usage = next(t["orchestrationTrace"]["modelInvocationOutput"]["metadata"]["usage"] for t in traces(events)
                 if "modelInvocationOutput" in t.get("orchestrationTrace", {}))
    assert usage == {"inputTokens": 11, "outputTokens": 7}


def test_bedrock_unknown_tool_is_rejected_visibly(project):
    client = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    stub = Stubber(client)
    stub.add_response("converse", _converse_response([
        {"toolUse": {"toolUseId": "tu-1", "name": "Tools__delete_everything", "input": {}}}], "tool_use"))
    stub.add_response("converse", _converse_response([{"text": "<answer>Sorry.</answer>"}]))
    stub.activate()
    settings = RuntimeSettings(root=project, model={"provider": "bedrock", "modelId": "m-1"}, bedrock_client=client)
    b = build_agent(project, "turns: [{answer: x}]\n", groups=[function_group()], runtime=settings)
    events = b.invoke("delete it all")
    reprompt = next(t["orchestrationTrace"]["observation"] for t in traces(events)
                    if "observation" in t.get("orchestrationTrace", {}))
    assert reprompt["type"] == "REPROMPT"
    assert "Tool 'Tools__delete_everything' does not exist" in reprompt["repromptResponse"]["text"]
    assert answer(events) == "Sorry."


def test_bedrock_throttling_is_an_in_stream_error(project):
    client = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    stub = Stubber(client)
    stub.add_client_error("converse", "ThrottlingException", "Too many requests", http_status_code=429)
    stub.activate()
    settings = RuntimeSettings(root=project, model={"provider": "bedrock"}, bedrock_client=client)
    b = build_agent(project, "turns: [{answer: x}]\n", runtime=settings)
    with pytest.raises(EventStreamError) as err:
        b.invoke("hi")
    assert err.value.response["Error"]["Code"] == "throttlingException"


class _ChatServer:
    """A chat-completions endpoint on 127.0.0.1 answering canned replies in order."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "body": body})
                outer.headers.append(dict(self.headers))
                status, doc = outer.replies.pop(0)
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def chat_server():
    servers = []

    def start(replies):
        s = _ChatServer(replies)
        servers.append(s)
        return s
    yield start
    for s in servers:
        s.close()


def _completion(message, prompt=20, completion=5):
    return {"id": "c", "object": "chat.completion", "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion}}


def test_openai_compatible_tool_loop(project, chat_server, monkeypatch):
    monkeypatch.setenv("LOCAL_LLM_KEY", "sk-test-123")
    server = chat_server([
        (200, _completion({"role": "assistant", "content": "Looking it up.", "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "Tools__lookup", "arguments": "{\"key\": \"k9\"}"}}]})),
        (200, _completion({"role": "assistant", "content": "k9 is value of k9."})),
    ])
    settings = RuntimeSettings(root=project, model={"provider": "openai-compatible", "baseUrl": server.url,
                                                    "model": "llama3.1", "apiKeyEnv": "LOCAL_LLM_KEY"})
    b = build_agent(project, "turns: [{answer: x}]\n", groups=[function_group()], handlers={"tools": VALUE_HANDLER},
                    runtime=settings)
    events = b.invoke("what is k9?", sessionState={"sessionAttributes": {"user": "u1"}})
    assert answer(events) == "k9 is value of k9."
    first, second = server.requests
    assert first["path"] == "/v1/chat/completions"
    assert first["body"]["model"] == "llama3.1"
    assert [t["function"]["name"] for t in first["body"]["tools"]] == ["Tools__lookup"]
    assert first["body"]["tools"][0]["function"]["parameters"]["required"] == ["key"]
    assert [m["role"] for m in first["body"]["messages"]] == ["system", "user"]
    assert INSTRUCTION_IN(first["body"]["messages"][0]["content"])
    assert [m["role"] for m in second["body"]["messages"]] == ["system", "user", "assistant", "tool"]
    assert second["body"]["messages"][2]["tool_calls"][0]["function"] == {"name": "Tools__lookup",
                                                                          "arguments": "{\"key\": \"k9\"}"}
    assert second["body"]["messages"][3] == {"role": "tool", "tool_call_id": "call_1", "content": "value of k9"}
    assert server.headers[0]["Authorization"] == "Bearer sk-test-123"


def INSTRUCTION_IN(text: str) -> bool:  # noqa: N802 - reads like the assertion it makes
    from tests.emulator.runtime.conftest import INSTRUCTION

    return INSTRUCTION in text


@pytest.mark.parametrize("status, code", [(500, "dependencyFailedException"), (429, "throttlingException")])
def test_openai_compatible_errors_are_stream_errors(project, chat_server, status, code):
    server = chat_server([(status, {"error": {"message": "boom"}})])
    settings = RuntimeSettings(root=project, model={"provider": "openai-compatible", "baseUrl": server.url,
                                                    "model": "m"})
    b = build_agent(project, "turns: [{answer: x}]\n", runtime=settings)
    collected = []
    with pytest.raises(EventStreamError) as err:
        for e in b.runtime.invoke_agent(agentId=b.agent_id, agentAliasId="TSTALIASID", sessionId="s-1",
                                        inputText="hi", enableTrace=True)["completion"]:
            collected.append(e)
    assert err.value.response["Error"]["Code"] == code
    failure = next(e["trace"]["trace"]["failureTrace"] for e in collected if "failureTrace" in e["trace"]["trace"])
    assert f"HTTP {status}" in failure["failureReason"]


def test_openai_compatible_unreachable(project):
    settings = RuntimeSettings(root=project, model={"provider": "openai-compatible",
                                                    "baseUrl": "http://127.0.0.1:9/v1", "model": "m", "timeout": 5})
    b = build_agent(project, "turns: [{answer: x}]\n", runtime=settings)
    with pytest.raises(EventStreamError) as err:
        b.invoke("hi")
    assert "not reachable" in err.value.response["Error"]["Message"]
