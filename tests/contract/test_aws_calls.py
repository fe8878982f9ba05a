"""Contract tests of ``agentctl.aws``: error translation, retries, state-refusal retry,
pagination and polling, pinned with botocore's Stubber (service-behaviour.md §2.3, §8)."""

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


def test_throttling_is_not_retried_again_by_agentctl(stub, clients, sleeper):
    # Issue 7 item 7: botocore's standard retry mode owns throttling and 5xx (on AWS and, tuned,
    # on the local target); agentctl's loop retrying them too multiplied the attempts (5 x 6).
    # Stubber answers before botocore's retry handler, so what is left here is agentctl's own.
    stub.error("get_agent", "ThrottlingException", "Rate exceeded", {"agentId": AGENT_ID}, 429)
    with pytest.raises(AwsError) as ei:
        aws.call(clients, "GetAgent", {"agentId": AGENT_ID})
    assert ei.value.code == "ThrottlingException"
    assert sleeper.slept == []


def test_internal_error_is_not_retried_again_by_agentctl(stub, clients, sleeper):
    stub.error("get_agent", "InternalServerException", "oops", {"agentId": AGENT_ID}, 500)
    with pytest.raises(AwsError) as ei:
        aws.call(clients, "GetAgent", {"agentId": AGENT_ID})
    assert ei.value.code == "InternalServerException"
    assert sleeper.slept == []


def test_optlock_refusal_is_retried_by_agentctl_with_backoff(stub, clients, sleeper):
    # botocore cannot know this one (its class is UNCONFIRMED; a 409 is not retryable to it).
    msg = "Exceeded the number of retries on OptLock failure. Too many concurrent requests."
    stub.error("get_agent", "ConflictException", msg, {"agentId": AGENT_ID}, 409)
    stub.error("get_agent", "ConflictException", msg, {"agentId": AGENT_ID}, 409)
    stub.get_agent("PREPARED")
    assert aws.call(clients, "GetAgent", {"agentId": AGENT_ID})["agent"]["agentStatus"] == "PREPARED"
    assert sleeper.slept == [0.5, 1.0]  # capped exponential (jitter off in this Timing)


def test_full_jitter_backoff_is_capped_exponential_with_full_jitter():
    t = aws.Timing(backoff_base=0.5, backoff_max=3.0)
    top = aws.FullJitter(t, rand=lambda: 0.999999)
    assert [round(top.delay(n), 3) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    # full jitter: anywhere from 0 up to the ceiling
    assert aws.FullJitter(t, rand=lambda: 0.0).delay(4) == 0.0
    assert aws.FullJitter(t, rand=lambda: 0.25).delay(3) == 0.5
    no_jitter = aws.FullJitter(aws.Timing(backoff_base=0.5, backoff_max=3.0, jitter=False))
    assert no_jitter.delay(2) == 1.0


def _throttled_client(answers, timing):
    """A bedrock-agent client on a dead endpoint whose sends are answered by ``answers``
    (status, body) in order, through botocore's retry handler with agentctl's backoff."""
    import boto3
    from botocore.awsrequest import AWSResponse
    from botocore.config import Config

    client = boto3.client("bedrock-agent", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x", endpoint_url="http://127.0.0.1:9",
                          config=Config(retries={"mode": "standard",
                                                 "total_max_attempts": timing.retries + 1}))
    aws.use_backoff(client, timing)
    sent = []

    class Raw:
        def __init__(self, body):
            self.body = body

        def stream(self, **_):
            yield self.body

    def answer(request, **_):
        status, body, ctype = answers[min(len(sent), len(answers) - 1)]
        sent.append(request.url)
        return AWSResponse(request.url, status, {"content-type": ctype,
                                                 "x-amzn-errortype": "" if status < 300 else
                                                 body.split(b'"')[3].decode()}, Raw(body))

    client.meta.events.register("before-send.bedrock-agent", answer)
    return client, sent


THROTTLED = (429, b'{"__type":"ThrottlingException","message":"Rate exceeded"}',
             "application/json")
AGENT_BODY = ('{"agent":{"agentId":"%s","agentName":"a","agentArn":"arn:aws:bedrock:us-east-1:'
              '123456789012:agent/%s","agentVersion":"DRAFT","agentStatus":"PREPARED",'
              '"idleSessionTTLInSeconds":600,"agentResourceRoleArn":"arn:aws:iam::123456789012:'
              'role/r","createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"}}'
              % (AGENT_ID, AGENT_ID)).encode()


def test_botocore_retries_throttling_once_per_attempt_with_the_local_backoff():
    timing = aws.Timing(retries=3, backoff_base=0.001, backoff_max=0.002)
    client, sent = _throttled_client([THROTTLED, THROTTLED, (200, AGENT_BODY, "application/json")],
                                     timing)
    clients = aws.Clients(agent=client, target=aws.Target("local", "us-east-1", "1", None),
                          timing=timing)
    assert aws.call(clients, "GetAgent", {"agentId": AGENT_ID})["agent"]["agentId"] == AGENT_ID
    assert len(sent) == 3  # botocore's attempts, not multiplied by an agentctl loop


def test_throttling_that_never_ends_costs_exactly_botocores_attempts():
    # throttle_budget=0: the attempts alone (the budget is the next tests').
    timing = aws.Timing(retries=3, backoff_base=0.001, backoff_max=0.002, throttle_budget=0)
    client, sent = _throttled_client([THROTTLED], timing)
    clients = aws.Clients(agent=client, target=aws.Target("local", "us-east-1", "1", None),
                          timing=timing)
    with pytest.raises(AwsError) as ei:
        aws.call(clients, "GetAgent", {"agentId": AGENT_ID})
    assert ei.value.code == "ThrottlingException"
    assert len(sent) == 4  # 1 + timing.retries, once


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


def test_wait_for_times_out_and_says_what_it_waited_for(stub, clients, sleeper):
    # Polls at 0, 1, 2.5, 4.75, 8.125 and 12.125 s (1 s initial, x1.5, 4 s max): the sixth is
    # past the 10 s deadline. Exactly six reads are stubbed; the fixture fails on leftovers.
    for _ in range(6):
        stub.get_agent("PREPARING")
    with pytest.raises(AwsError) as ei:
        aws.wait_for(clients, "agent:PREPARED", agent_id=AGENT_ID, timeout=10,
                     operation="PrepareAgent")
    assert ei.value.code == "Timeout"
    assert sleeper.slept == [1.0, 1.5, 2.25, 3.375, 4.0]
    assert ("gave up after 12s waiting for agent AGENT00001 to be PREPARED after PrepareAgent: "
            "still PREPARING") in ei.value.message()


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


def _ticking(step: float = 1.0):
    """A monotonic clock that advances ``step`` seconds per reading."""
    now = [0.0]

    def monotonic() -> float:
        now[0] += step
        return now[0]

    return monotonic


def test_throttling_keeps_being_retried_past_the_attempts_until_its_time_budget_is_spent():
    # §7: 50 agents applied at once stay throttled at PrepareAgent's and CreateAgentAlias's
    # 2 TPS for longer than `retries` attempts cover (the fault matrix's throttle-tps case
    # failed with exit 8 twice in a row). A throttled request did nothing: retried until the
    # budget is spent.
    timing = aws.Timing(retries=2, backoff_base=0.001, backoff_max=0.002, throttle_budget=100,
                        monotonic=_ticking())
    client, sent = _throttled_client([THROTTLED] * 8 + [(200, AGENT_BODY, "application/json")],
                                     timing)
    clients = aws.Clients(agent=client, target=aws.Target("local", "us-east-1", "1", None),
                          timing=timing)
    assert aws.call(clients, "GetAgent", {"agentId": AGENT_ID})["agent"]["agentId"] == AGENT_ID
    assert len(sent) == 9


def test_throttling_gives_up_once_its_time_budget_is_spent():
    timing = aws.Timing(retries=2, backoff_base=0.001, backoff_max=0.002, throttle_budget=5,
                        monotonic=_ticking())
    client, sent = _throttled_client([THROTTLED], timing)
    clients = aws.Clients(agent=client, target=aws.Target("local", "us-east-1", "1", None),
                          timing=timing)
    with pytest.raises(AwsError) as ei:
        aws.call(clients, "GetAgent", {"agentId": AGENT_ID})
    assert ei.value.code == "ThrottlingException"
    # First throttled at t=1; past the 3 attempts each one reads the clock once (t=2, 3, ...):
    # attempts 3 to 6 are retried (1 to 4 s throttled), attempt 7 (5 s) gives up.
    assert len(sent) == 7


def test_internal_errors_do_not_get_the_throttling_budget():
    timing = aws.Timing(retries=2, backoff_base=0.001, backoff_max=0.002, throttle_budget=100,
                        monotonic=_ticking())
    failing = (500, b'{"__type":"InternalServerException","message":"oops"}', "application/json")
    client, sent = _throttled_client([failing], timing)
    clients = aws.Clients(agent=client, target=aws.Target("local", "us-east-1", "1", None),
                          timing=timing)
    with pytest.raises(AwsError) as ei:
        aws.call(clients, "GetAgent", {"agentId": AGENT_ID})
    assert ei.value.code == "InternalServerException"
    assert len(sent) == 3
