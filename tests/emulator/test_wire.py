"""Routing, request parsing and response/error serialization, driven by botocore's model."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from botocore.serialize import create_serializer

from agentctl.core import servicemodel
from agentctl.emulator.control import HANDLERS
from agentctl.emulator.errors import ServiceError
from agentctl.emulator.transports import wire

MODEL = servicemodel.service_model()
ARN = "arn:aws:bedrock:us-east-1:123456789012:agent/ABCDEFGHIJ"


def _label_value(name: str) -> str:
    return {"resourceArn": ARN, "agentVersion": "DRAFT", "agentAliasId": "TSTALIASID"}.get(name, "ABCDEFGHIJ")


def _botocore_request(op_name: str) -> tuple[str, str, dict]:
    """Serialize a minimal request for ``op_name`` with botocore's own REST-JSON serializer."""
    op = MODEL.operation_model(op_name)
    params = {}
    for name, member in op.input_shape.members.items() if op.input_shape else []:
        loc = member.serialization.get("location")
        if loc == "uri":
            params[name] = _label_value(name)
        elif loc == "querystring" and name in op.input_shape.required_members:
            params[name] = ["k1", "k2"] if member.type_name == "list" else "v"
    req = create_serializer("rest-json", include_validation=False).serialize_to_request(params, op)
    target = req["url_path"]
    if req["query_string"]:
        target += "?" + urlencode(req["query_string"], doseq=True)
    return req["method"], target, params


@pytest.mark.parametrize("op_name", MODEL.operation_names)
def test_every_model_operation_routes_to_itself(op_name: str) -> None:
    method, target, params = _botocore_request(op_name)
    path, query = wire.split_target(target)
    routed = wire.match(method, path, query)
    assert routed is not None, f"{method} {target} did not route"
    op, labels = routed
    assert op == op_name
    uri_params = {k: v for k, v in params.items()
                  if MODEL.operation_model(op_name).input_shape.members[k].serialization.get("location") == "uri"}
    assert labels == uri_params


def test_every_control_operation_is_in_the_model_and_agent_ops_are_all_served() -> None:
    served = set(HANDLERS)
    assert served <= set(MODEL.operation_names)
    agent_ops = {op for op in MODEL.operation_names
                 if "Agent" in op and "Flow" not in op and "Prompt" not in op}
    assert agent_ops <= served, agent_ops - served


def test_query_members_and_encoded_arn_label_are_parsed() -> None:
    op = MODEL.operation_model("UntagResource")
    _, target, _ = _botocore_request("UntagResource")
    path, query = wire.split_target(target)
    assert "%2F" in path  # the ARN's "/" travels encoded inside one label
    _, labels = wire.match("DELETE", path, query)
    params = wire.parse_request(op, labels, query, {}, b"")
    assert params == {"resourceArn": ARN, "tagKeys": ["k1", "k2"]}

    op = MODEL.operation_model("DeleteAgent")
    path, query = wire.split_target("/agents/ABCDEFGHIJ/?skipResourceInUseCheck=true")
    name, labels = wire.match("DELETE", path, query)
    assert name == "DeleteAgent"
    assert wire.parse_request(op, labels, query, {}, b"") == {"agentId": "ABCDEFGHIJ", "skipResourceInUseCheck": True}


def test_same_path_routes_by_method_and_trailing_slash_is_tolerated() -> None:
    assert wire.match("PUT", "/agents/", {})[0] == "CreateAgent"
    assert wire.match("POST", "/agents/", {})[0] == "ListAgents"
    assert wire.match("PUT", "/agents/ABCDEFGHIJ/", {})[0] == "UpdateAgent"
    assert wire.match("POST", "/agents/ABCDEFGHIJ/", {})[0] == "PrepareAgent"
    assert wire.match("GET", "/agents/ABCDEFGHIJ", {})[0] == "GetAgent"   # slash missing
    assert wire.match("GET", "/knowledgebases/ABCDEFGHIJ/", {})[0] == "GetKnowledgeBase"  # slash extra
    assert wire.match("PATCH", "/agents/", {}) is None
    assert wire.match("GET", "/nothing/here", {}) is None


def test_bad_json_body_is_a_serialization_error() -> None:
    op = MODEL.operation_model("CreateAgent")
    with pytest.raises(ServiceError) as exc:
        wire.parse_request(op, {}, {}, {}, b"{not json")
    assert exc.value.code == "SerializationException"


def test_response_uses_model_status_iso_timestamps_and_drops_unmodelled_members() -> None:
    op = MODEL.operation_model("CreateAgent")
    status, headers, body = wire.serialize_response(op, {"agent": {
        "agentId": "ABCDEFGHIJ", "createdAt": 0.5, "internal": "x", "agentStatus": "CREATING"}})
    assert status == 202
    doc = json.loads(body)
    assert doc == {"agent": {"agentId": "ABCDEFGHIJ", "createdAt": "1970-01-01T00:00:00.500000Z",
                             "agentStatus": "CREATING"}}
    assert headers["content-type"] == "application/json" and headers["x-amzn-requestid"]
    status, _, body = wire.serialize_response(MODEL.operation_model("DeleteAgentActionGroup"), {})
    assert (status, body) == (204, b"")


@pytest.mark.parametrize("code,status", [
    ("ValidationException", 400), ("ConflictException", 409), ("ResourceNotFoundException", 404),
    ("ServiceQuotaExceededException", 402), ("ThrottlingException", 429),
    ("InternalServerException", 500), ("AccessDeniedException", 403), ("UnknownOperationException", 404),
])
def test_error_status_comes_from_the_model(code: str, status: int) -> None:
    got, headers, body = wire.serialize_error(ServiceError(code, "boom"))
    assert got == status
    assert headers["x-amzn-errortype"] == code
    assert json.loads(body) == {"message": "boom"}


def test_unknown_route_through_handle_http(emu) -> None:
    status, headers, body = emu.handle_http("GET", "/no/such/thing", {}, b"")
    assert status == 404 and headers["x-amzn-errortype"] == "UnknownOperationException"
    assert emu.calls()[-1].operation == "UnknownOperation"
