"""Contract tests of ``agentctl.aws``: error translation, retries, state-refusal retry,
pagination and polling, pinned with botocore's Stubber (bedrock-semantics.md §2.3, §8)."""

from __future__ import annotations

import pytest

from agentctl.aws import client as aws
from agentctl.errors import AgentctlError, AwsError
from .stubs import AGENT_ID, agent_obj


def test_conflict_is_translated_with_operation_code_message_and_hint(stub, clients):
    msg = f"Could not delete Agent with ID {AGENT_ID}, since it has active aliases"
    stub.error("delete_agent", "ConflictException", msg, {"agentId": AGENT_ID}, status=409)
    with pytest.raises(AwsError) as ei:
        aws.call(clients, "DeleteAgent", {"agentId": AGENT_ID}, where="agent.support-bot")
    e = ei.value
    assert (e.operation, e.code, e.aws_message) == ("DeleteAgent", "ConflictException", msg)
    assert e.where == "agent.support-bot"
    assert "in use" in e.hint
    assert "DeleteAgent failed: ConflictException" in e.message()


def test_resource_not_found_is_not_retried(stub, clients, sleeper):
    stub.error("get_agent", "ResourceNotFoundException",
               "Failed to retrieve resource because it doesn't exist.", {"agentId": AGENT_ID},
               status=404)
    with pytest.raises(AwsError) as ei:
        aws.call(clients, "GetAgent", {"agentId": AGENT_ID})
    assert ei.value.code == "ResourceNotFoundException"
    assert "agentctl plan" in ei.value.hint
    assert sleeper.slept == []


def test_throttling_is_retried_with_exponential_backoff(stub, clients, sleeper):
    stub.error("get_agent", "ThrottlingException", "Rate exceeded", {"agentId": AGENT_ID}, 429)
    stub.error("get_agent", "InternalServerException", "oops", {"agentId": AGENT_ID}, 500)
    stub.get_agent("PREPARED")
    resp = aws.call(clients, "GetAgent", {"agentId": AGENT_ID})
    assert resp["agent"]["agentStatus"] == "PREPARED"
    assert "ResponseMetadata" not in resp
    assert sleeper.slept == [0.5, 1.0]


def test_throttling_gives_up_after_the_bounded_number_of_retries(stub, clients, sleeper):
    for _ in range(4):  # 1 attempt + 3 retries
        stub.error("get_agent", "ThrottlingException", "Rate exceeded", {"agentId": AGENT_ID}, 429)
    with pytest.raises(AwsError) as ei:
        aws.call(clients, "GetAgent", {"agentId": AGENT_ID})
    assert ei.value.code == "ThrottlingException"
    assert len(sleeper.slept) == 3


def test_state_refusal_waits_for_a_stable_status_then_retries(stub, clients):
    # §2.3: PrepareAgent right after a version was cut is refused while VERSIONING.
    stub.error("prepare_agent", "ValidationException",
               "Prepare operation can't be performed on Agent when it is in Versioning state. "
               "Retry the request when the agent is in a valid state.", {"agentId": AGENT_ID})
    stub.get_agent("VERSIONING")
    stub.get_agent("PREPARED")
    stub.ok("prepare_agent", {"agentId": AGENT_ID},
            {"agentId": AGENT_ID, "agentStatus": "PREPARING", "agentVersion": "DRAFT",
             "preparedAt": agent_obj()["createdAt"]})
    resp = aws.call(clients, "PrepareAgent", {"agentId": AGENT_ID})
    assert resp["agentStatus"] == "PREPARING"


def test_state_refusal_retry_is_bounded(stub, clients):
    refusal = "Update operation can't be performed on Agent when it is in Preparing state."
    for _ in range(3):  # first call + refusal_retries (2)
        stub.error("prepare_agent", "ValidationException", refusal, {"agentId": AGENT_ID})
        if _ < 2:
            stub.get_agent("PREPARED")
    with pytest.raises(AwsError) as ei:
        aws.call(clients, "PrepareAgent", {"agentId": AGENT_ID})
    assert aws.state_refusal(ei.value) == "Preparing"


def test_not_prepared_refusal_is_not_retried(stub, clients):
    # Waiting cannot help: NOT_PREPARED is a stable status; the agent must be prepared first.
    stub.error("create_agent_alias", "ValidationException",
               "Create operation can't be performed on AgentAlias when Agent is in Not Prepared "
               "state.", {"agentId": AGENT_ID, "agentAliasName": "PROD"})
    with pytest.raises(AwsError) as ei:
        aws.call(clients, "CreateAgentAlias", {"agentId": AGENT_ID, "agentAliasName": "PROD"})
    assert aws.state_refusal(ei.value) == "Not Prepared"


def test_plain_validation_error_is_not_retried(stub, clients, sleeper):
    msg = ("1 validation error detected: Value 'TSTALIASID' at 'agentAliasId' failed to satisfy "
           "constraint: Member must satisfy regular expression pattern: (?!\\bTSTALIASID\\b)[0-9a-zA-Z]+")
    stub.error("delete_agent_alias", "ValidationException", msg,
               {"agentId": AGENT_ID, "agentAliasId": "TSTALIASID"})
    with pytest.raises(AwsError) as ei:
        aws.call(clients, "DeleteAgentAlias", {"agentId": AGENT_ID, "agentAliasId": "TSTALIASID"})
    assert aws.state_refusal(ei.value) is None
    assert sleeper.slept == []


def test_client_side_param_validation_becomes_awserror(clients):
    with pytest.raises(AwsError) as ei:
        aws.call(clients, "GetAgent", {})
    assert ei.value.code == "ParamValidation"


def test_paginate_follows_next_token(stub, clients):
    def summary(i):
        return {"agentId": f"AGENT{i:05d}", "agentName": f"a{i}", "agentStatus": "PREPARED",
                "updatedAt": agent_obj()["updatedAt"]}
    stub.ok("list_agents", {}, {"agentSummaries": [summary(i) for i in range(10)],
                                "nextToken": "t1"})
    stub.ok("list_agents", {"nextToken": "t1"}, {"agentSummaries": [summary(10)]})
    names = [s["agentName"] for s in aws.paginate(clients, "ListAgents")]
    assert names == [f"a{i}" for i in range(11)]


def test_list_key_comes_from_the_service_model():
    assert aws.list_key("ListAgentAliases") == "agentAliasSummaries"
    assert aws.list_key("ListAgentVersions") == "agentVersionSummaries"


def test_wait_for_polls_until_one_of_the_statuses(stub, clients, sleeper):
    stub.get_agent("PREPARING").get_agent("PREPARING").get_agent("PREPARED")
    seen = []
    obj = aws.wait_for(clients, "agent:PREPARED", agent_id=AGENT_ID,
                       progress=lambda s, e: seen.append((s, e)))
    assert obj["agentStatus"] == "PREPARED"
    assert [s for s, _ in seen] == ["PREPARING", "PREPARING", "PREPARED"]
    assert sleeper.slept == [1.0, 1.5]


def test_wait_for_failed_carries_failure_reasons(stub, clients):
    stub.get_agent("PREPARING")
    stub.get_agent("FAILED", failureReasons=["Exception: Agent Instruction cannot be null"])
    with pytest.raises(aws.WaitFailed) as ei:
        aws.wait_for(clients, "agent:PREPARED", agent_id=AGENT_ID)
    assert ei.value.failure_reasons == ("Exception: Agent Instruction cannot be null",)
    assert "Agent Instruction cannot be null" in ei.value.message()


def test_wait_for_deleted_treats_not_found_as_done(stub, clients):
    stub.get_agent("DELETING")
    stub.error("get_agent", "ResourceNotFoundException", "gone", {"agentId": AGENT_ID}, 404)
    assert aws.wait_for(clients, "agent:DELETED", agent_id=AGENT_ID) == {}


def test_wait_for_times_out(stub, clients, sleeper):
    for _ in range(30):
        stub.get_agent("PREPARING")
    with pytest.raises(AwsError) as ei:
        aws.wait_for(clients, "agent:PREPARED", agent_id=AGENT_ID, timeout=10)
    assert ei.value.code == "Timeout"
    stub.stubber._queue.clear()  # the rest were never needed


def test_wait_spec_parse_rejects_garbage():
    for garbage in ("agent", "agent:", "version:PREPARED", "alias: | "):
        with pytest.raises(AgentctlError, match="invalid wait condition"):
            aws.WaitSpec.parse(garbage)
    assert aws.WaitSpec.parse("agent:NOT_PREPARED|PREPARED").statuses == {"NOT_PREPARED",
                                                                          "PREPARED"}


def test_state_refusal_error_gets_a_state_specific_hint(stub, clients):
    stub.error("create_agent_alias", "ValidationException",
               "Create operation can't be performed on AgentAlias when Agent is in Not Prepared "
               "state.", {"agentId": AGENT_ID, "agentAliasName": "PROD"})
    with pytest.raises(AwsError) as ei:
        aws.call(clients, "CreateAgentAlias", {"agentId": AGENT_ID, "agentAliasName": "PROD"})
    assert "the agent was Not Prepared" in ei.value.hint


def test_state_refusal_reported_as_conflict_is_retried_too(stub, clients):
    # §12.3: the exception class of some refusals is unconfirmed; the emulator can switch it.
    stub.error("update_agent_action_group", "ConflictException",
               "Update operation can't be performed on Agent when it is in Preparing state.",
               status=409)
    stub.get_agent("PREPARED")
    stub.ok("update_agent_action_group", None, {"agentActionGroup": {
        "agentId": AGENT_ID, "agentVersion": "DRAFT", "actionGroupId": "AG00000001",
        "actionGroupName": "X", "createdAt": agent_obj()["createdAt"],
        "updatedAt": agent_obj()["createdAt"], "actionGroupState": "DISABLED"}})
    params = {"agentId": AGENT_ID, "agentVersion": "DRAFT", "actionGroupId": "AG00000001",
              "actionGroupName": "X", "actionGroupState": "DISABLED"}
    assert aws.call(clients, "UpdateAgentActionGroup", params)["agentActionGroup"][
        "actionGroupState"] == "DISABLED"
