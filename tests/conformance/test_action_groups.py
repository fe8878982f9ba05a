"""Action groups: DRAFT-only edits, read-back quirks, full replacement, deletion rules, quotas
(service-behaviour.md §1.1, §4, §7)."""

from __future__ import annotations

import pytest

from .helpers import (
    OPENAPI_PAYLOAD,
    create_ready_agent,
    expect_error,
    function_group,
)


def _get(bedrock, agent_id, group_id, version="DRAFT"):
    return bedrock.get_agent_action_group(agentId=agent_id, agentVersion=version,
                                          actionGroupId=group_id)["agentActionGroup"]


@pytest.mark.server
def test_function_schema_group_round_trips(bedrock, target):
    """§4.3: a function-schema group reads back as sent, parameters including required: false;
    actionGroupState defaults to ENABLED (§4.1)."""
    agent = create_ready_agent(bedrock, target)
    params = function_group(target, agent["agentId"])
    created = bedrock.create_agent_action_group(**params)["agentActionGroup"]
    assert created["agentVersion"] == "DRAFT"
    got = _get(bedrock, agent["agentId"], created["actionGroupId"])
    assert got["actionGroupName"] == params["actionGroupName"]
    assert got["description"] == params["description"]
    assert got["actionGroupExecutor"] == {"customControl": "RETURN_CONTROL"}
    assert got["actionGroupState"] == "ENABLED"
    fn = got["functionSchema"]["functions"][0]
    assert fn["name"] == "get_order"
    assert fn["parameters"]["verbose"] == {"type": "boolean", "description": "Include lines",
                                           "required": False}
    assert fn["parameters"]["order_id"]["required"] is True


def test_api_schema_payload_round_trips(bedrock, target):
    """§4.3: an inline OpenAPI payload comes back as the payload string."""
    agent = create_ready_agent(bedrock, target)
    params = function_group(target, agent["agentId"], functionSchema=None,
                            apiSchema={"payload": OPENAPI_PAYLOAD})
    created = bedrock.create_agent_action_group(**params)["agentActionGroup"]
    got = _get(bedrock, agent["agentId"], created["actionGroupId"])
    assert got["apiSchema"] == {"payload": OPENAPI_PAYLOAD}
    assert "functionSchema" not in got


@pytest.mark.server
def test_parent_signature_reads_back_as_parent_action_signature(bedrock, target):
    """§4.1/§4.3: parentActionGroupSignature is returned as parentActionSignature, and a built-in
    group carries no description or schema."""
    agent = create_ready_agent(bedrock, target)
    created = bedrock.create_agent_action_group(
        agentId=agent["agentId"], agentVersion="DRAFT", actionGroupName="UserInputAction",
        parentActionGroupSignature="AMAZON.UserInput")["agentActionGroup"]
    got = _get(bedrock, agent["agentId"], created["actionGroupId"])
    assert got["parentActionSignature"] == "AMAZON.UserInput"
    assert "parentActionGroupSignature" not in got
    for absent in ("description", "apiSchema", "functionSchema"):
        assert absent not in got


def test_action_group_edits_are_draft_only(bedrock, target):
    """§1.1: Create/Update/DeleteAgentActionGroup accept only agentVersion DRAFT (pattern checked
    by the service, not by boto3)."""
    agent = create_ready_agent(bedrock, target)
    with expect_error("ValidationException", r"Member must satisfy regular expression pattern: DRAFT"):
        bedrock.create_agent_action_group(**function_group(target, agent["agentId"],
                                                           agentVersion="00001"))


@pytest.mark.server
def test_update_action_group_is_full_replacement(bedrock, target):
    """§4.2: UpdateAgentActionGroup replaces everything: an omitted description is cleared and an
    omitted actionGroupState comes back ENABLED; switching to an apiSchema works in one update."""
    agent = create_ready_agent(bedrock, target)
    created = bedrock.create_agent_action_group(
        **function_group(target, agent["agentId"], actionGroupState="DISABLED"))["agentActionGroup"]
    assert created["actionGroupState"] == "DISABLED"
    bedrock.update_agent_action_group(
        agentId=agent["agentId"], agentVersion="DRAFT", actionGroupId=created["actionGroupId"],
        actionGroupName=created["actionGroupName"],
        actionGroupExecutor={"customControl": "RETURN_CONTROL"},
        apiSchema={"payload": OPENAPI_PAYLOAD})
    got = _get(bedrock, agent["agentId"], created["actionGroupId"])
    assert "description" not in got
    assert "functionSchema" not in got
    assert got["apiSchema"] == {"payload": OPENAPI_PAYLOAD}
    assert got["actionGroupState"] == "ENABLED"


def test_update_action_group_rename_is_read_back(bedrock, target):
    """§4.2: the name and state sent on update are what Get returns."""
    agent = create_ready_agent(bedrock, target)
    params = function_group(target, agent["agentId"])
    created = bedrock.create_agent_action_group(**params)["agentActionGroup"]
    params.update(actionGroupId=created["actionGroupId"], actionGroupName="renamed_group",
                  actionGroupState="DISABLED", description="new")
    updated = bedrock.update_agent_action_group(**params)["agentActionGroup"]
    assert updated["actionGroupName"] == "renamed_group"
    got = _get(bedrock, agent["agentId"], created["actionGroupId"])
    assert (got["actionGroupName"], got["actionGroupState"], got["description"]) == \
        ("renamed_group", "DISABLED", "new")


@pytest.mark.server
def test_deleting_an_enabled_action_group_needs_the_skip_flag(bedrock, target):
    """§4.2: an ENABLED group cannot be deleted without skipResourceInUseCheck ("... cannot be
    deleted when it is Enabled ..."); with the flag it is deleted (204)."""
    agent = create_ready_agent(bedrock, target)
    created = bedrock.create_agent_action_group(**function_group(target, agent["agentId"]))["agentActionGroup"]
    with expect_error("ValidationException", r"cannot be deleted when it is Enabled"):
        bedrock.delete_agent_action_group(agentId=agent["agentId"], agentVersion="DRAFT",
                                          actionGroupId=created["actionGroupId"])
    resp = bedrock.delete_agent_action_group(agentId=agent["agentId"], agentVersion="DRAFT",
                                             actionGroupId=created["actionGroupId"],
                                             skipResourceInUseCheck=True)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    with expect_error("ResourceNotFoundException"):
        _get(bedrock, agent["agentId"], created["actionGroupId"])


def test_deleting_a_disabled_action_group_needs_no_flag(bedrock, target):
    """§4.2: a DISABLED group is deleted without the flag (204)."""
    agent = create_ready_agent(bedrock, target)
    created = bedrock.create_agent_action_group(
        **function_group(target, agent["agentId"], actionGroupState="DISABLED"))["agentActionGroup"]
    resp = bedrock.delete_agent_action_group(agentId=agent["agentId"], agentVersion="DRAFT",
                                             actionGroupId=created["actionGroupId"])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    listed = bedrock.list_agent_action_groups(agentId=agent["agentId"], agentVersion="DRAFT")
    assert created["actionGroupId"] not in [s["actionGroupId"] for s in listed["actionGroupSummaries"]]


def test_unknown_action_group_is_not_found(bedrock, target):
    """§8: an unknown action group id is a ResourceNotFoundException."""
    agent = create_ready_agent(bedrock, target)
    with expect_error("ResourceNotFoundException", status=404):
        _get(bedrock, agent["agentId"], "ZZZZZZZZZ9")


def test_action_group_with_both_schemas_is_rejected(bedrock, target):
    """§4.1: exactly one of functionSchema or apiSchema ("you can't specify both")."""
    agent = create_ready_agent(bedrock, target)
    with expect_error("ValidationException"):
        bedrock.create_agent_action_group(**function_group(
            target, agent["agentId"], apiSchema={"payload": OPENAPI_PAYLOAD}))


def test_parameter_type_enum_is_checked_server_side(bedrock, target):
    """§11.10/[BC-validate]: enums are enforced by the service with Coral wording."""
    agent = create_ready_agent(bedrock, target)
    params = function_group(target, agent["agentId"])
    params["functionSchema"]["functions"][0]["parameters"]["order_id"]["type"] = "object"
    with expect_error("ValidationException", r"Member must satisfy enum value set"):
        bedrock.create_agent_action_group(**params)


def test_parameters_per_function_quota(bedrock, target):
    """§7: at most 5 parameters per function."""
    agent = create_ready_agent(bedrock, target)
    params = function_group(target, agent["agentId"])
    params["functionSchema"]["functions"][0]["parameters"] = {
        f"p{i}": {"type": "string", "description": f"param {i}", "required": False} for i in range(6)}
    with expect_error("ServiceQuotaExceededException"):
        bedrock.create_agent_action_group(**params)


def test_apis_per_agent_quota(bedrock, target):
    """§7: at most 11 APIs (functions) per agent, counted across its action groups."""
    agent = create_ready_agent(bedrock, target)

    def fns(prefix, n):
        return {"functions": [{"name": f"{prefix}{i}", "description": "f"} for i in range(n)]}

    bedrock.create_agent_action_group(**function_group(target, agent["agentId"],
                                                       functionSchema=fns("a", 6)))
    bedrock.create_agent_action_group(**function_group(target, agent["agentId"],
                                                       functionSchema=fns("b", 5)))
    with expect_error("ServiceQuotaExceededException"):
        bedrock.create_agent_action_group(**function_group(target, agent["agentId"],
                                                           functionSchema=fns("c", 1)))


def test_parent_signature_group_must_leave_description_empty(bedrock, target):
    """§4.1 [BC]: with parentActionGroupSignature set, description, apiSchema and
    actionGroupExecutor must be left empty."""
    agent = create_ready_agent(bedrock, target)
    with expect_error("ValidationException"):
        bedrock.create_agent_action_group(
            agentId=agent["agentId"], agentVersion="DRAFT", actionGroupName="UserInputAction",
            parentActionGroupSignature="AMAZON.UserInput", description="not allowed here")
