"""matchers: every expectation kind on hand-built turns, each passing and failing."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, strategies as st

from agentctl.eval.matchers import (
    JudgeVerdict,
    check_turn,
    count_steps,
    match_sequence,
    match_value,
    returned_calls,
)
from agentctl.eval.suite import Matcher, expect_from, matcher_of

from .fakes import RocExchange, call, lookup, turn

ORDER = call("OrderTools", "get_order_status", order_id="A-482")
CANCEL = call("OrderTools", "cancel_order", order_id="A-482", reason="late")
ETA = call("OrderApi", api_path="/orders/{order_id}/eta", method="GET", order_id="A-482")


def expect(**raw):
    return expect_from(raw, {})


def failed(outcome):
    return [c.name for c in outcome.failed_checks]


# ------------------------------------------------------------------------ value matchers

@pytest.mark.parametrize("raw,value,ok", [
    ("A-482", "A-482", True),
    ("A-482", "a-482", False),
    (5, "5", True),                        # Bedrock sends strings; YAML 5 compares as "5"
    (True, "true", True),
    ({"equals": "x"}, "x", True),
    ({"regex": "A-\\d+"}, "A-482", True),
    ({"regex": "A-\\d+"}, "order A-482", False),   # whole value
    ({"regex": "A-4"}, "A-482", False),
    ({"contains": "shipped"}, "It has SHIPPED.", True),
    ({"contains": "shipped"}, "pending", False),
    ({"any": True}, "", True),
])
def test_value_matchers(raw, value, ok):
    assert match_value(matcher_of(raw), value) is ok


def test_absent_and_any_distinguish_missing_from_empty():
    missing = object.__new__(object)
    m_absent, m_any = Matcher("absent"), Matcher("any")
    assert match_value(m_absent) is True
    assert match_value(m_absent, "") is False
    assert match_value(m_any) is False
    assert match_value(m_any, "") is True
    assert match_value(Matcher("equals", "x")) is False
    del missing


@given(st.text(max_size=30))
def test_equals_matches_exactly_itself(text):
    assert match_value(Matcher("equals", text), text)
    assert not match_value(Matcher("equals", text), text + "x")


@given(st.text(max_size=30))
def test_escaped_regex_matches_the_literal(text):
    assert match_value(Matcher("regex", re.escape(text)), text)


# ---------------------------------------------------------------------------- order modes

def _eq(a, b):
    return a == b


@pytest.mark.parametrize("order,expected,actual,ok", [
    ("exact", "ab", "ab", True),
    ("exact", "ab", "ba", False),
    ("exact", "ab", "abc", False),
    ("exact", "", "", True),
    ("exact", "", "a", False),
    ("in_order", "ab", "xaybz", True),
    ("in_order", "ab", "ba", False),
    ("in_order", "aa", "a", False),
    ("in_order", "", "abc", True),
    ("any_order", "ab", "ba", True),
    ("any_order", "ab", "bxa", True),
    ("any_order", "aa", "a", False),
    ("any_order", "aa", "aba", True),
])
def test_order_modes(order, expected, actual, ok):
    assert match_sequence(order, list(expected), list(actual), _eq) is ok


def test_any_order_needs_a_real_matching_not_greedy():
    # expected[0] accepts anything, expected[1] only "x": greedy would give "x" to expected[0].
    pred = lambda e, a: e == "*" or e == a  # noqa: E731
    assert match_sequence("any_order", ["*", "x"], ["x", "y"], pred)
    assert not match_sequence("any_order", ["*", "x"], ["y", "z"], pred)


@given(st.lists(st.sampled_from("abc"), max_size=6), st.lists(st.sampled_from("abc"), max_size=6))
def test_mode_strength(expected, actual):
    # exact implies in_order implies any_order (the ADK evaluators' ordering of strictness)
    e = match_sequence("exact", expected, actual, _eq)
    i = match_sequence("in_order", expected, actual, _eq)
    a = match_sequence("any_order", expected, actual, _eq)
    assert (not e or i) and (not i or a)
    assert a == all(actual.count(x) >= expected.count(x) for x in set(expected))


# ------------------------------------------------------------------------------ tool calls

def test_tool_calls_pass_with_the_right_call_and_arguments():
    out = check_turn(expect(toolCalls={"calls": [
        {"actionGroup": "OrderTools", "function": "get_order_status",
         "parameters": {"order_id": "A-482"}}]}), turn("It shipped.", calls=(ORDER,)))
    assert out.passed and out.tool_selection is True
    assert out.actual_trajectory == ("OrderTools.get_order_status(order_id='A-482')",)


def test_wrong_argument_fails_but_tool_selection_is_right():
    out = check_turn(expect(toolCalls={"calls": [
        {"actionGroup": "OrderTools", "function": "get_order_status",
         "parameters": {"order_id": "A-999"}}]}), turn("x", calls=(ORDER,)))
    assert failed(out) == ["toolCalls (in_order)"]
    assert out.tool_selection is True
    assert "wrong arguments" in out.failed_checks[0].note


def test_wrong_tool_fails_selection():
    spec = {"calls": [{"actionGroup": "OrderTools", "function": "get_order_status"}]}
    out = check_turn(expect(toolCalls=spec), turn("x", calls=(CANCEL,)))
    assert not out.passed and out.tool_selection is False
    assert out.failed_checks[0].note == "wrong tool(s) selected"
    assert "cancel_order" in out.failed_checks[0].actual


def test_renamed_function_is_a_wrong_tool():
    renamed = call("OrderTools", "lookup_order_status", order_id="A-482")
    spec = {"calls": [{"actionGroup": "OrderTools", "function": "get_order_status"}]}
    assert check_turn(expect(toolCalls=spec), turn("x", calls=(renamed,))).tool_selection is False


def test_absent_parameter():
    spec = lambda p: {"calls": [{"actionGroup": "OrderTools", "function": "cancel_order",  # noqa
                                 "parameters": p}]}
    assert not check_turn(expect(toolCalls=spec({"reason": {"absent": True}})),
                          turn("x", calls=(CANCEL,))).passed
    no_reason = call("OrderTools", "cancel_order", order_id="A-482")
    assert check_turn(expect(toolCalls=spec({"reason": {"absent": True}})),
                      turn("x", calls=(no_reason,))).passed
    assert not check_turn(expect(toolCalls=spec({"reason": {"any": True}})),
                          turn("x", calls=(no_reason,))).passed


def test_exact_order_rejects_an_extra_call_in_order_allows_it():
    calls = {"calls": [{"actionGroup": "OrderTools", "function": "get_order_status"}]}
    t = turn("x", calls=(ORDER, CANCEL))
    assert check_turn(expect(toolCalls=calls), t).passed
    assert not check_turn(expect(toolCalls={**calls, "order": "exact"}), t).passed


def test_exact_with_no_calls_means_no_tool():
    spec = {"order": "exact", "calls": []}
    assert check_turn(expect(toolCalls=spec), turn("hi")).passed
    out = check_turn(expect(toolCalls=spec), turn("hi", calls=(ORDER,)))
    assert not out.passed and out.failed_checks[0].expected == "no tool calls"


def test_api_path_and_method():
    base = {"actionGroup": "OrderApi", "apiPath": "/orders/{order_id}/eta"}
    assert check_turn(expect(toolCalls={"calls": [{**base, "httpMethod": "get"}]}),
                      turn("x", calls=(ETA,))).passed
    assert not check_turn(expect(toolCalls={"calls": [{**base, "httpMethod": "POST"}]}),
                          turn("x", calls=(ETA,))).passed


def test_request_body_properties_are_matched_like_parameters():
    body = {"content": {"application/json": {"properties": [
        {"name": "reason", "type": "string", "value": "damaged"}]}}}
    c = call("OrderApi", api_path="/orders/{order_id}/cancel", method="POST", body=body,
             order_id="A-483")
    spec = {"calls": [{"actionGroup": "OrderApi", "apiPath": "/orders/{order_id}/cancel",
                       "parameters": {"reason": {"contains": "DAMAGE"}, "order_id": "A-483"}}]}
    assert check_turn(expect(toolCalls=spec), turn("x", calls=(c,))).passed


# ------------------------------------------------------------------------ knowledge base

def test_knowledge_base_lookup():
    lk = lookup("KB1234ABCD", "parental leave policy", ("Parental leave is 16 weeks.",
                                                         "s3://hr/parental-leave.md"))
    ok = expect(knowledgeBase=[{"knowledgeBaseId": "KB1234ABCD",
                                "query": {"contains": "parental"}, "minReferences": 1,
                                "referenceContains": "16 weeks"}])
    assert check_turn(ok, turn("16 weeks", lookups=(lk,))).passed
    for bad in ({"knowledgeBaseId": "KBOTHER"}, {"minReferences": 2},
                {"referenceContains": "20 weeks"}, {"query": {"regex": "pto.*"}}):
        out = check_turn(expect(knowledgeBase=[bad]), turn("x", lookups=(lk,)))
        assert failed(out) == ["knowledgeBase"], bad
    assert failed(check_turn(ok, turn("x"))) == ["knowledgeBase"]


def test_no_knowledge_base():
    lk = lookup("KB1", "q")
    assert check_turn(expect(noKnowledgeBase=True), turn("x")).passed
    assert failed(check_turn(expect(noKnowledgeBase=True), turn("x", lookups=(lk,)))) == \
        ["noKnowledgeBase"]


# ---------------------------------------------------------------------- return of control

def test_return_control_from_tool_calls():
    cal = call("ClientCalendar", "open_calendar", execution="return_control", date="2026-04-27")
    spec = expect(returnControl=[{"actionGroup": "ClientCalendar", "function": "open_calendar",
                                  "parameters": {"date": {"regex": r"\d{4}-\d{2}-\d{2}"}}}])
    assert check_turn(spec, turn("Done", calls=(cal,))).passed
    lam = call("ClientCalendar", "open_calendar", execution="lambda", date="2026-04-27")
    assert failed(check_turn(spec, turn("Done", calls=(lam,)))) == ["returnControl"]


def test_return_control_from_raw_exchange_inputs():
    ex = RocExchange(invocation_id="inv-1", inputs=[{"functionInvocationInput": {
        "actionGroup": "ClientCalendar", "function": "open_calendar",
        "parameters": [{"name": "date", "type": "string", "value": "2026-04-27"}]}}],
        results=[])
    t = turn("ok", roc=(ex,))
    assert [c.function for c in returned_calls(t)] == ["open_calendar"]
    spec = expect(returnControl=[{"actionGroup": "ClientCalendar", "function": "open_calendar",
                                  "parameters": {"date": "2026-04-27"}}])
    assert check_turn(spec, t).passed


def test_return_control_empty_list_means_nothing_returned():
    cal = call("ClientCalendar", "open_calendar", execution="return_control", date="x")
    assert check_turn(expect(returnControl=[]), turn("x")).passed
    assert not check_turn(expect(returnControl=[]), turn("x", calls=(cal,))).passed


# --------------------------------------------------------------------------------- answer

def test_answer_checks():
    t = turn("Order A-482 has SHIPPED; ETA 2026-04-27.")
    assert check_turn(expect(answer={"contains": ["a-482", "shipped"],
                                     "matches": r"ETA \d{4}-\d{2}-\d{2}",
                                     "notContains": "cancelled"}), t).passed
    assert failed(check_turn(expect(answer={"contains": "delivered"}), t)) == ["answer.contains"]
    assert failed(check_turn(expect(answer={"matches": "^ETA"}), t)) == ["answer.matches"]
    assert failed(check_turn(expect(answer={"notContains": ["Shipped"]}), t)) == \
        ["answer.notContains"]


# --------------------------------------------------------------- steps, failure, guardrail

def test_step_limit_counts_calls_lookups_and_the_answer():
    t = turn("done", calls=(ORDER, CANCEL), lookups=(lookup("KB1", "q"),))
    assert count_steps(t) == 4
    assert check_turn(expect(maxSteps=4), t).passed
    assert failed(check_turn(expect(maxSteps=3), t)) == ["maxSteps"]


def test_failure_and_guardrail_are_checked_by_default():
    assert failed(check_turn(expect(), turn("x", failures=("Lambda response invalid",)))) == \
        ["noFailure"]
    assert failed(check_turn(expect(), turn("x", guardrail=1))) == ["noGuardrailIntervention"]
    assert check_turn(expect(noFailure=False, noGuardrailIntervention=False),
                      turn("x", failures=("boom",), guardrail=2)).passed


# ---------------------------------------------------------------------------------- judge

def test_judge_skipped_visibly_without_a_model():
    out = check_turn(expect(judge="The answer is polite."), turn("Sure!"))
    assert out.passed
    assert out.skipped_checks[0].name == "judge"
    assert "no judge model" in out.skipped_checks[0].note


def test_judge_verdicts_and_transcript():
    seen = {}

    def judge(criterion, transcript):
        seen["t"] = transcript
        return JudgeVerdict("polite" in criterion and "Sure" in transcript, "looked")

    first = turn("Hello", calls=(ORDER,))
    out = check_turn(expect(judge="polite"), turn("Sure!"), input_text="again", judge=judge,
                     history=[("hi", first)])
    assert out.passed
    assert "USER: hi" in seen["t"] and "TOOL CALL: OrderTools.get_order_status" in seen["t"]
    assert "USER: again" in seen["t"] and "AGENT: Sure!" in seen["t"]
    assert not check_turn(expect(judge="rude"), turn("Sure!"), judge=judge).passed


def test_a_failing_judge_is_a_failed_check_not_a_crash():
    def judge(criterion, transcript):
        raise RuntimeError("model down")

    out = check_turn(expect(judge="x"), turn("y"), judge=judge)
    assert failed(out) == ["judge"] and "model down" in out.failed_checks[0].note
