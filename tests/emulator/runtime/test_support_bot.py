"""The support-bot example run end to end on the embedded local target: plain boto3
``bedrock-agent-runtime`` calls, botocore's own event-stream parser, the scripted model of the
example, its order-tools Lambda handler and its HR documents."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from botocore.exceptions import ClientError

from tests.emulator.runtime.conftest import answer, return_control, steps, traces

CANCEL = "Where is order A-482, and can you cancel it if it hasn't shipped?"     # A-482 has shipped
CANCEL_UNSHIPPED = "Where is order A-483, and can you cancel it if it hasn't shipped?"


def _tool_calls(events):
    return [t["orchestrationTrace"]["invocationInput"]["actionGroupInvocationInput"]
            for t in traces(events) if "invocationInput" in t.get("orchestrationTrace", {})
            and "actionGroupInvocationInput" in t["orchestrationTrace"]["invocationInput"]]


def _observations(events):
    return [t["orchestrationTrace"]["observation"] for t in traces(events)
            if "observation" in t.get("orchestrationTrace", {})]


def test_order_status_calls_the_lambda_and_answers(support_bot):
    events = support_bot.invoke("Where is order A-482?")
    calls = _tool_calls(events)
    assert [(c["actionGroupName"], c["function"], c["executionType"]) for c in calls] == [
        ("OrderTools", "get_order_status", "LAMBDA")]
    assert calls[0]["parameters"] == [{"name": "order_id", "type": "string", "value": "A-482"}]
    obs = _observations(events)
    assert obs[0]["type"] == "ACTION_GROUP"
    assert json.loads(obs[0]["actionGroupInvocationOutput"]["text"])["status"] == "SHIPPED"
    assert obs[-1]["type"] == "FINISH"
    assert answer(events) == "Order A-482 is SHIPPED; the estimated delivery date is 2026-04-27."
    assert obs[-1]["finalResponse"]["text"] == answer(events)
    # One chunk, after every trace event (service-behaviour.md §10.2/§10.3).
    assert "chunk" in events[-1] and sum("chunk" in e for e in events) == 1


def test_trace_order_and_shared_trace_ids(support_bot):
    events = support_bot.invoke("Where is order A-482?")
    # PRE_PROCESSING is DISABLED in the example: no pre-processing trace at all.
    assert steps(events) == [
        "orchestrationTrace.modelInvocationInput", "orchestrationTrace.modelInvocationOutput",
        "orchestrationTrace.rationale", "orchestrationTrace.invocationInput", "orchestrationTrace.observation",
        "orchestrationTrace.modelInvocationInput", "orchestrationTrace.modelInvocationOutput",
        "orchestrationTrace.observation"]
    ids = [next(iter(t["orchestrationTrace"].values()))["traceId"] for t in traces(events)]
    assert len(set(ids[:5])) == 1 and len(set(ids[5:])) == 1 and ids[0] != ids[5]
    part = next(e["trace"] for e in events if "trace" in e)
    assert part["agentId"] == support_bot.agent_id and part["agentVersion"] == "1"
    assert part["agentAliasId"] == support_bot.aliases["STAGING"]
    assert isinstance(part["eventTime"], dt.datetime)


def test_without_enable_trace_only_the_chunk_streams(support_bot):
    events = support_bot.invoke("Where is order A-482?", trace=False)
    assert [list(e) for e in events] == [["chunk"]]


def test_model_input_shows_the_filled_override_template(support_bot):
    events = support_bot.invoke("Where is order A-482?", sessionState={
        "promptSessionAttributes": {"current_date": "2026-04-25"}})
    mii = traces(events)[0]["orchestrationTrace"]["modelInvocationInput"]
    assert mii["type"] == "ORCHESTRATION" and mii["promptCreationMode"] == "OVERRIDDEN"
    assert mii["inferenceConfiguration"] == {"temperature": 0.0, "topP": 1.0, "maximumLength": 2048}
    text = mii["text"]
    # The project's override (prompts/orchestration.txt) with every documented placeholder filled.
    assert "Always confirm before cancelling an order." in text
    assert "You are a helpful customer support assistant" in text       # $instruction$
    assert "OrderTools__get_order_status" in text and "ClientCalendar__open_calendar" in text  # $tools$
    assert "Where is order A-482?" in text                               # $question$
    assert "<current_date>2026-04-25</current_date>" in text             # $prompt_session_attributes$
    assert "GET__x_amz_knowledgebase_KB1234ABCD__Search" in text         # $knowledge_base_guideline$
    for placeholder in ("$instruction$", "$tools$", "$question$", "$prompt_session_attributes$",
                        "$memory_content$", "$knowledge_base_guideline$", "$agent_scratchpad$"):
        assert placeholder not in text


def _confirm(deployed, session, roc, state="CONFIRM"):
    return deployed.invoke(session=session, sessionState={
        "invocationId": roc["invocationId"],
        "returnControlInvocationResults": [{"functionResult": {
            "actionGroup": "OrderTools", "function": "cancel_order", "confirmationState": state}}]})


def test_cancel_needs_confirmation_then_runs_the_lambda(support_bot):
    session = "cancel-confirm"
    events = support_bot.invoke(CANCEL, session=session)
    assert [c["function"] for c in _tool_calls(events)] == ["get_order_status", "cancel_order"]
    roc = return_control(events)
    assert roc is not None and not any("chunk" in e for e in events)
    (item,) = roc["invocationInputs"]
    fn = item["functionInvocationInput"]
    assert (fn["actionGroup"], fn["function"], fn["actionInvocationType"]) == (
        "OrderTools", "cancel_order", "USER_CONFIRMATION")
    assert {p["name"]: p["value"] for p in fn["parameters"]}["order_id"] == "A-482"
    events = _confirm(support_bot, session, roc)
    # The confirmed call ran the Lambda: its result (A-482 has shipped) is the observation.
    assert _observations(events)[0]["actionGroupInvocationOutput"]["text"] == (
        "Order A-482 has already shipped and cannot be cancelled.")
    assert answer(events) == ("Order A-482 has already shipped and cannot be cancelled. It is on its way: "
                              "the estimated delivery date is 2026-04-27.")


def test_cancel_of_an_unshipped_order_and_a_denied_one(tmp_path_factory):
    from tests.emulator.runtime.conftest import apply_example, open_example

    # A fresh deployment: the Lambda's order table is the example's, whatever other tests did.
    deployed = open_example(apply_example(tmp_path_factory.mktemp("cancel")))
    try:
        roc = return_control(deployed.invoke(CANCEL_UNSHIPPED, session="deny"))
        events = _confirm(deployed, "deny", roc, "DENY")
        assert answer(events) == ("All right, I did not cancel order A-483; its status is PROCESSING "
                                  "(estimated delivery 2026-05-02).")
        assert "PROCESSING" in answer(deployed.invoke("Where is order A-483?"))
        roc = return_control(deployed.invoke(CANCEL_UNSHIPPED, session="confirm"))
        events = _confirm(deployed, "confirm", roc)
        assert answer(events) == ("Order A-483 is cancelled. It had not shipped yet, so nothing will be "
                                  "delivered or charged.")
        assert "CANCELLED" in answer(deployed.invoke("Where is order A-483?"))
    finally:
        deployed.emulator.close()


def test_calendar_returns_control_and_the_result_completes_the_turn(support_bot):
    session = "calendar-1"
    events = support_bot.invoke("Open my calendar for next Monday.", session=session,
                                sessionState={"promptSessionAttributes": {"current_date": "2026-04-22"}})
    roc = return_control(events)
    (item,) = roc["invocationInputs"]
    fn = item["functionInvocationInput"]
    assert (fn["actionGroup"], fn["function"], fn["actionInvocationType"]) == ("ClientCalendar", "open_calendar", "RESULT")
    assert fn["parameters"] == [{"name": "date", "type": "string", "value": "2026-04-27"}]
    (call,) = _tool_calls(events)
    assert call["executionType"] == "RETURN_CONTROL" and call["invocationId"] == roc["invocationId"]
    events = support_bot.invoke(session=session, sessionState={
        "invocationId": roc["invocationId"],
        "returnControlInvocationResults": [{"functionResult": {
            "actionGroup": "ClientCalendar", "function": "open_calendar",
            "responseBody": {"TEXT": {"body": "Free slots on 2026-04-27: 09:00-12:00."}}}}]})
    assert answer(events) == "Free slots on 2026-04-27: 09:00-12:00. Which slot would you like?"
    assert _observations(events)[0]["actionGroupInvocationOutput"]["text"].startswith("Free slots")


def test_results_for_another_function_are_refused(support_bot):
    session = "calendar-bad"
    roc = return_control(support_bot.invoke("Open my calendar for next Monday.", session=session))
    with pytest.raises(ClientError) as err:
        support_bot.invoke(session=session, sessionState={
            "invocationId": roc["invocationId"],
            "returnControlInvocationResults": [{"functionResult": {
                "actionGroup": "ClientCalendar", "function": "close_calendar",
                "responseBody": {"TEXT": {"body": "x"}}}}]})
    assert err.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as err:
        support_bot.invoke(session=session, sessionState={
            "invocationId": "not-the-pending-one",
            "returnControlInvocationResults": [{"functionResult": {
                "actionGroup": "ClientCalendar", "function": "open_calendar",
                "responseBody": {"TEXT": {"body": "x"}}}}]})
    assert "does not match the pending invocation" in err.value.response["Error"]["Message"]


def test_hr_question_is_answered_from_the_knowledge_base_with_citations(support_bot):
    events = support_bot.invoke("How many PTO days can I carry over into next year?")
    lookups = [t["orchestrationTrace"]["invocationInput"] for t in traces(events)
               if "invocationInput" in t.get("orchestrationTrace", {})]
    assert lookups[0]["invocationType"] == "KNOWLEDGE_BASE"
    assert lookups[0]["knowledgeBaseLookupInput"] == {
        "knowledgeBaseId": "KB1234ABCD", "text": "How many PTO days can I carry over into next year?"}
    kb_obs = next(o for o in _observations(events) if o["type"] == "KNOWLEDGE_BASE")
    refs = kb_obs["knowledgeBaseLookupOutput"]["retrievedReferences"]
    assert refs[0]["location"] == {"type": "CUSTOM", "customDocumentLocation": {"id": "kb/hr/pto.md"}}
    assert "Up to 5 unused PTO days carry over" in refs[0]["content"]["text"]
    text = answer(events)
    assert "Up to 5 unused PTO days carry over" in text
    chunk = next(e["chunk"] for e in events if "chunk" in e)
    (citation,) = chunk["attribution"]["citations"]
    assert citation["generatedResponsePart"]["textResponsePart"]["text"] == text
    assert citation["retrievedReferences"][0]["location"]["customDocumentLocation"]["id"] == "kb/hr/pto.md"


def test_session_attributes_reach_the_lambda_and_persist(support_bot):
    session = "attrs-1"
    events = support_bot.invoke("What are my recent orders?", session=session,
                                sessionState={"sessionAttributes": {"customer_id": "C-1001"}})
    (call,) = _tool_calls(events)
    assert (call["actionGroupName"], call["apiPath"], call["verb"]) == (
        "OrderApi", "/customers/{customer_id}/orders", "get")
    assert {p["name"]: p["value"] for p in call["parameters"]} == {"customer_id": "C-1001", "limit": "3"}
    assert answer(events) == "Your most recent order is A-483 (PROCESSING, placed 2026-04-22)."
    # Session attributes persist for the session: the next turn needs no sessionState.
    assert answer(support_bot.invoke("Show my orders", session=session)).startswith("Your most recent order is")
    # Another session has none.
    assert answer(support_bot.invoke("What are my recent orders?")).startswith("I need your customer ID")


def test_memory_across_two_sessions_with_one_memory_id(support_bot):
    alias = support_bot.aliases["STAGING"]
    memory_id = "user-9921"
    first = support_bot.invoke("Please remember that I prefer morning deliveries.", session="mem-1",
                               memoryId=memory_id, endSession=True)
    assert answer(first).startswith("Noted: I prefer morning deliveries")
    memory = support_bot.runtime.get_agent_memory(agentId=support_bot.agent_id, agentAliasId=alias,
                                                  memoryId=memory_id, memoryType="SESSION_SUMMARY")
    (content,) = memory["memoryContents"]
    summary = content["sessionSummary"]
    assert summary["memoryId"] == memory_id and summary["sessionId"] == "mem-1"
    assert "morning deliveries" in summary["summaryText"]
    assert summary["sessionStartTime"] <= summary["sessionExpiryTime"]
    second = support_bot.invoke("What did we agree on last time?", session="mem-2", memoryId=memory_id)
    assert "prefer morning deliveries" in answer(second)
    mii = traces(second)[0]["orchestrationTrace"]["modelInvocationInput"]["text"]
    assert "morning deliveries" in mii      # $memory_content$
    # Another user has no memory.
    assert answer(support_bot.invoke("What did we agree on last time?", memoryId="user-1")).startswith(
        "I don't remember")
    support_bot.runtime.delete_agent_memory(agentId=support_bot.agent_id, agentAliasId=alias, memoryId=memory_id)
    memory = support_bot.runtime.get_agent_memory(agentId=support_bot.agent_id, agentAliasId=alias,
                                                  memoryId=memory_id, memoryType="SESSION_SUMMARY")
    assert memory["memoryContents"] == []


def test_response_headers(support_bot):
    resp = support_bot.runtime.invoke_agent(agentId=support_bot.agent_id, agentAliasId=support_bot.aliases["PROD"],
                                            sessionId="hdr-1", inputText="hello", memoryId="m-1")
    assert resp["sessionId"] == "hdr-1" and resp["memoryId"] == "m-1"
    assert resp["contentType"] == "application/json"
    assert answer(list(resp["completion"])) == "Sorry, I can only help with orders, deliveries and HR policies."
