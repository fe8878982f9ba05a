"""Server-side constraints derived from botocore's bedrock-agent model (agentctl.core.servicemodel)."""

from __future__ import annotations

import pytest

from agentctl.core import servicemodel as sm

AGENT_ID = "ABCDEFGHIJ"


def test_valid_request_has_no_violations():
    assert sm.validate("CreateAgent", {"agentName": "support-bot", "idleSessionTTLInSeconds": 600}) == []


@pytest.mark.parametrize(
    "params,member,kind",
    [
        ({"agentName": "bad name"}, "agentName", "pattern"),
        ({"agentName": "a__b"}, "agentName", "pattern"),
        ({"agentName": "ok", "description": "x" * 201}, "description", "length"),
        ({"agentName": "ok", "description": ""}, "description", "length"),
        ({"agentName": "ok", "agentCollaboration": "ALWAYS"}, "agentCollaboration", "enum"),
        ({"agentName": "ok", "idleSessionTTLInSeconds": 59}, "idleSessionTTLInSeconds", "range"),
        ({"agentName": "ok", "idleSessionTTLInSeconds": 5401}, "idleSessionTTLInSeconds", "range"),
        ({}, "agentName", "required"),
    ],
)
def test_violations_name_member_and_kind(params, member, kind):
    found = [(v.member, v.kind) for v in sm.validate("CreateAgent", params)]
    assert (member, kind) in found


def test_union_needs_exactly_one_member():
    params = {"agentId": AGENT_ID, "agentVersion": "DRAFT", "actionGroupName": "g",
              "actionGroupExecutor": {"lambda": "arn:aws:lambda:us-east-1:123456789012:function:f",
                                      "customControl": "RETURN_CONTROL"}}
    kinds = [v.kind for v in sm.validate("CreateAgentActionGroup", params)]
    assert kinds == ["union"]


def test_nested_list_and_map_paths_are_coral_style():
    params = {"agentId": AGENT_ID, "agentVersion": "DRAFT", "actionGroupName": "g",
              "functionSchema": {"functions": [
                  {"name": "ok"},
                  {"name": "bad name", "parameters": {"p": {"type": "date"}}},
              ]}}
    members = {v.member for v in sm.validate("CreateAgentActionGroup", params)}
    assert "functionSchema.functions.2.member.name" in members
    assert "functionSchema.functions.2.member.parameters.1.value.type" in members


def test_draft_only_ops_reject_numbered_versions():
    params = {"agentId": AGENT_ID, "agentVersion": "3", "actionGroupName": "g"}
    assert ("agentVersion", "length") in [(v.member, v.kind) for v in sm.validate("CreateAgentActionGroup", params)]


def test_aws_message_wording():
    msg = sm.aws_validation_message(sm.validate("CreateAgent", {"agentName": "bad name"}))
    assert msg.startswith("1 validation error detected: Value 'bad name' at 'agentName' failed to "
                          "satisfy constraint: Member must satisfy regular expression pattern: ")


def test_output_shape_validation():
    found = sm.validate("PrepareAgent", {"agentId": AGENT_ID}, output=True)
    # Every required response member that is missing is named, and nothing else.
    assert sorted((v.member, v.kind) for v in found) == [
        ("agentStatus", "required"), ("agentVersion", "required"), ("preparedAt", "required")]


def test_member_shape_and_constraints_come_from_the_model():
    c = sm.shape_constraints(sm.member_shape("CreateAgentActionGroup", "functionSchema.functions.description"))
    assert c == {"min": 1, "max": 1200}
    with pytest.raises(KeyError):
        sm.member_shape("CreateAgent", "noSuchMember")
