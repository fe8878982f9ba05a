"""The normalized trace model: pure folds of boto3-shaped event dicts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from agentctl.core import servicemodel
from agentctl.runtime import trace as tr
from agentctl.runtime.trace import KbLookup, Reference, ToolCall, from_events

from tests.runtime import events as ev


# ------------------------------------------------------------ the fixtures are botocore's shapes

def _stream_shape():
    op = servicemodel.service_model("bedrock-agent-runtime").operation_model("InvokeAgent")
    return op.output_shape.members["completion"]


def _unknown_keys(shape, value, path="") -> list[str]:
    t = shape.type_name
    if shape.metadata.get("document"):
        return []  # a document member holds any JSON
    if t == "structure":
        if not isinstance(value, dict):
            return [f"{path}: not a structure"]
        out = []
        for k, v in value.items():
            if k not in shape.members:
                out.append(f"{path}.{k}")
            else:
                out.extend(_unknown_keys(shape.members[k], v, f"{path}.{k}"))
        return out
    if t == "list":
        return [e for i, item in enumerate(value) for e in
                _unknown_keys(shape.member, item, f"{path}[{i}]")]
    if t == "map":
        return [e for k, v in value.items() for e in _unknown_keys(shape.value, v, f"{path}{{{k}}}")]
    return []


ALL_FIXTURES = [
    *ev.order_turn(), ev.pre_processing(True, "ok"), ev.post_processing("done"),
    ev.model_input("PRE_PROCESSING", "p"), ev.api_call("OrderApi", "/orders/{order_id}/eta", "GET",
                                                       {"order_id": "A-482"}, {"note": "x"}),
    ev.kb_lookup("KB1234ABCD", "q"), ev.kb_output([ev.retrieved("t", "s3://b/k")]),
    ev.reprompt("try again"), ev.guardrail(), ev.failure("boom"), ev.custom("c"),
    ev.collaborator_call("billing", "hi"), ev.collaborator_output("billing", "ok"),
    ev.return_control("inv-1", [ev.roc_function("ClientCalendar", "open_calendar",
                                                {"date": "2026-04-27"}),
                                ev.roc_api("Api", "/x", "POST", {"a": "1"}, {"b": "2"})]),
    ev.chunk("x", citations=[{"generatedResponsePart": {"textResponsePart": {
        "text": "x", "span": {"start": 0, "end": 1}}},
        "retrievedReferences": [ev.retrieved("t", "s3://b/k")]}]),
]


@pytest.mark.parametrize("event", ALL_FIXTURES, ids=lambda e: next(iter(e)))
def test_fixture_events_use_only_members_of_the_botocore_model(event):
    assert _unknown_keys(_stream_shape(), event) == []


# ------------------------------------------------------------------------------ folds

def test_order_turn_folds_into_one_tool_call_with_its_output_and_the_answer():
    inv = from_events(ev.order_turn())
    assert [s.kind for s in inv.steps] == ["model_input", "model_output", "rationale",
                                           "tool_call", "observation", "final_answer"]
    assert inv.tool_calls == (ToolCall(
        action_group="OrderTools", function="get_order_status", api_path=None, http_method=None,
        parameters={"order_id": "A-482"}, request_body=None, execution="lambda",
        output='{"order_id": "A-482", "status": "SHIPPED", "eta": "2026-04-27"}'),)
    assert inv.answer == "Order A-482 has shipped and should arrive on 2026-04-27."
    assert inv.return_control is None and inv.failures == () and inv.citations == ()
    mi = inv.steps[0].data
    assert mi["stage"] == "ORCHESTRATION" and mi["text"].endswith("Where is order A-482?")
    assert mi["inference"]["stopSequences"] == ["</answer>"]
    assert inv.steps[1].data["usage"] == {"inputTokens": 1200, "outputTokens": 64}
    assert inv.steps[2].data == {"text": "The user wants the status of order A-482; I will look "
                                         "it up.", "trace_id": "t-1"}


def test_chunks_concatenate_in_order():
    inv = from_events([ev.chunk("Order "), ev.chunk("A-482 "), ev.chunk("shipped.")])
    assert inv.answer == "Order A-482 shipped."
    assert inv.steps == ()


def test_kb_lookup_gets_its_references_and_chunk_citations_are_collected():
    cit = {"generatedResponsePart": {"textResponsePart": {"text": "20 days",
                                                           "span": {"start": 0, "end": 7}}},
           "retrievedReferences": [ev.retrieved("Employees get 20 days of PTO.",
                                                "s3://hr/pto.md")]}
    inv = from_events([
        ev.kb_lookup("KB1234ABCD", "PTO days per year"),
        ev.kb_output([ev.retrieved("Employees get 20 days of PTO.", "s3://hr/pto.md"),
                      {"content": {"text": "Remote work: 2 days."},
                       "location": {"type": "WEB", "webLocation": {"url": "https://hr/remote"}}}]),
        ev.chunk("You get 20 days.", citations=[cit]),
    ])
    assert inv.kb_lookups == (KbLookup("KB1234ABCD", "PTO days per year", (
        Reference("Employees get 20 days of PTO.", "s3://hr/pto.md"),
        Reference("Remote work: 2 days.", "https://hr/remote"))),)
    assert inv.citations == (Reference("Employees get 20 days of PTO.", "s3://hr/pto.md"),)
    obs = inv.steps[1]
    assert obs.kind == "observation" and obs.data["type"] == "KNOWLEDGE_BASE"
    assert obs.data["references"][1] == {"text": "Remote work: 2 days.",
                                         "uri": "https://hr/remote"}


def test_two_tool_calls_each_get_their_own_output():
    inv = from_events([
        ev.function_call("OrderTools", "get_order_status", {"order_id": "A-482"}),
        ev.action_output("SHIPPED"),
        ev.function_call("OrderTools", "cancel_order", {"order_id": "A-482", "reason": "late"},
                         trace_id="t-2"),
        ev.action_output("cannot cancel", trace_id="t-2"),
    ])
    assert [(t.function, t.output) for t in inv.tool_calls] == [
        ("get_order_status", "SHIPPED"), ("cancel_order", "cannot cancel")]
    assert inv.tool_calls[1].parameters == {"order_id": "A-482", "reason": "late"}


def test_api_call_keeps_path_method_and_request_body():
    inv = from_events([ev.api_call("OrderApi", "/orders/{order_id}/eta", "GET",
                                   {"order_id": "A-482"}, {"note": "asap"})])
    t = inv.tool_calls[0]
    assert (t.action_group, t.function, t.api_path, t.http_method) == \
        ("OrderApi", None, "/orders/{order_id}/eta", "GET")
    assert t.parameters == {"order_id": "A-482"}
    assert t.request_body == {"application/json": {"note": "asap"}}


def test_return_control_without_trace_synthesizes_the_tool_calls():
    inv = from_events([ev.return_control("inv-7", [
        ev.roc_function("ClientCalendar", "open_calendar", {"date": "2026-04-27"}),
        ev.roc_api("Api", "/slots", "POST", {"day": "mon"}, {"size": "2"})])])
    assert inv.return_control["invocationId"] == "inv-7"
    assert len(inv.return_control["inputs"]) == 2
    assert inv.tool_calls == (
        ToolCall("ClientCalendar", "open_calendar", None, None, {"date": "2026-04-27"}, None,
                 "return_control", None),
        ToolCall("Api", None, "/slots", "POST", {"day": "mon"},
                 {"application/json": {"size": "2"}}, "return_control", None))
    assert inv.steps[-1].kind == "return_control"
    assert inv.answer == ""


def test_return_control_shown_in_the_trace_is_not_counted_twice():
    inv = from_events([
        ev.function_call("ClientCalendar", "open_calendar", {"date": "2026-04-27"},
                         execution="RETURN_CONTROL", invocation_id="inv-7"),
        ev.return_control("inv-7", [ev.roc_function("ClientCalendar", "open_calendar",
                                                    {"date": "2026-04-27"})]),
    ])
    assert len(inv.tool_calls) == 1
    assert inv.tool_calls[0].execution == "return_control"
    assert inv.steps[0].data["invocation_id"] == "inv-7"


def test_confirmation_of_a_lambda_function_is_one_call():
    inv = from_events([
        ev.function_call("OrderTools", "cancel_order", {"order_id": "A-483"},
                         invocation_id="inv-8"),
        ev.return_control("inv-8", [ev.roc_function("OrderTools", "cancel_order",
                                                    {"order_id": "A-483"}, "USER_CONFIRMATION")]),
    ])
    assert [(t.function, t.execution) for t in inv.tool_calls] == [("cancel_order", "lambda")]


def test_pre_and_post_processing_and_prompts_of_each_stage():
    inv = from_events([ev.model_input("PRE_PROCESSING", "classify"),
                       ev.pre_processing(False, "Category E: malicious"),
                       ev.model_input("POST_PROCESSING", "polish"),
                       ev.post_processing("Polished answer.")])
    assert [s.kind for s in inv.steps] == ["model_input", "pre_processing", "model_input",
                                           "post_processing"]
    assert inv.steps[0].data["stage"] == "PRE_PROCESSING"
    assert inv.steps[1].data["is_valid"] is False
    assert inv.steps[1].data["rationale"] == "Category E: malicious"
    assert inv.steps[3].data["text"] == "Polished answer."


def test_guardrail_interventions_are_counted_with_readable_findings():
    inv = from_events([ev.guardrail("INTERVENED"), ev.guardrail("NONE")])
    assert inv.guardrail_interventions == 1
    assert inv.steps[0].data["findings"] == [
        "topic Investment advice: BLOCKED", "content INSULTS (HIGH): BLOCKED",
        "word '[darn]': BLOCKED", "PII EMAIL: ANONYMIZED", "regex order-id: BLOCKED"]


def test_failure_trace_and_in_stream_exception_are_failures():
    inv = from_events([ev.failure("Lambda response is invalid"),
                       {"dependencyFailedException": {"message": "handler raised",
                                                      "resourceName": "order-tools"}}])
    assert inv.failures == ("Lambda response is invalid",
                            "DependencyFailedException: handler raised")
    assert inv.steps[1].data["resource"] == "order-tools"


def test_reprompt_custom_orchestration_and_collaborators():
    inv = from_events([ev.reprompt("Malformed tool call", "PARSER"), ev.custom("step 1"),
                       ev.collaborator_call("billing", "refund?"),
                       ev.collaborator_output("billing", "refunded")])
    kinds = [s.kind for s in inv.steps]
    assert kinds == ["observation", "custom_orchestration", "collaborator_call", "observation"]
    assert inv.steps[0].data["source"] == "PARSER"
    assert inv.steps[2].data["collaborator"] == "billing"  # the call's target
    assert inv.steps[2].data["emitted_by"] == "supervisor"  # TracePart.collaboratorName
    assert inv.steps[3].data["text"] == "refunded"


def test_unknown_trace_types_and_events_become_generic_steps():
    inv = from_events([
        ev.part({"futureTrace": {"traceId": "x", "what": 1}}),
        ev.part({"orchestrationTrace": {"somethingNew": {"a": 1}}}),
        {"brandNewEvent": {"x": b"\xff\xfe"}},
        ev.part({"orchestrationTrace": {"invocationInput": {"invocationType": "FINISH"}}}),
    ])
    assert [s.kind for s in inv.steps] == ["other", "other", "other", "other"]
    assert inv.steps[0].data["trace_type"] == "futureTrace"
    assert inv.steps[2].data == {"event": "brandNewEvent", "raw": {"x": {"base64": "//4="}}}
    json.dumps([tr.step_json(s) for s in inv.steps])


def test_replaying_the_json_form_of_the_events_gives_the_same_invocation():
    events = [*ev.order_turn(), ev.kb_lookup("KB1234ABCD", "q"),
              ev.kb_output([ev.retrieved("t", "s3://b/k")]), ev.guardrail()]
    replayed = [json.loads(json.dumps(tr.plain(e))) for e in events]
    assert from_events(replayed) == from_events(events)


def test_invocation_json_is_json():
    files = {"files": {"files": [{"name": "a.csv", "type": "text/csv", "bytes": b"1,2"}]}}
    inv = from_events([*ev.order_turn(), files])
    assert inv.steps[-1] == tr.Step("files", {"files": [{"name": "a.csv", "type": "text/csv",
                                                         "size": 3}]})
    doc = tr.invocation_json(inv)
    assert json.loads(json.dumps(doc)) == doc
    assert doc["tool_calls"][0]["parameters"] == {"order_id": "A-482"}


# ---------------------------------------------------------------------------- hostile input

_json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                       st.text(max_size=8), st.binary(max_size=8))
_json = st.recursive(_json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(
        ["trace", "chunk", "returnControl", "orchestrationTrace", "preProcessingTrace",
         "invocationInput", "observation", "actionGroupInvocationInput", "parameters",
         "knowledgeBaseLookupOutput", "retrievedReferences", "content", "location",
         "guardrailTrace", "inputAssessments", "failureTrace", "invocationInputs",
         "functionInvocationInput", "name", "value", "text", "bytes", "attribution",
         "citations", "finalResponse", "modelInvocationOutput", "x"]), inner, max_size=4)),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(st.lists(_json, max_size=6))
def test_arbitrary_event_streams_never_crash(events):
    inv = from_events(events)
    json.dumps(tr.invocation_json(inv))
    assert all(s.kind in tr.STEP_KINDS for s in inv.steps)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=10), _json, max_size=3))
def test_unknown_members_inside_known_traces_never_crash(extra: dict[str, Any]):
    event = ev.part({"orchestrationTrace": {"invocationInput": {
        "actionGroupInvocationInput": {"actionGroupName": "G", **extra}}}})
    inv = from_events([event])
    assert inv.tool_calls[0].action_group == "G"
