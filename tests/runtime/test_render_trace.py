"""Golden renderings of the trace (byte-exact). ``pytest --update-golden`` rewrites them."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentctl.render.trace import render_invocation, render_turn
from agentctl.runtime.session import RocExchange, TurnResult
from agentctl.runtime.trace import from_events

from tests.runtime import events as ev

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "trace"

CASES = {
    "order_status": ev.order_turn(),
    "pre_post_processing": [
        ev.model_input("PRE_PROCESSING", "Classify the input.\n" + "\n".join(
            f"line {i}" for i in range(1, 10))),
        ev.pre_processing(True, "The user asks about an order (category D)."),
        *ev.order_turn()[2:6],
        ev.post_processing("Your order A-482 shipped; it arrives on 2026-04-27."),
    ],
    "knowledge_base": [
        ev.rationale("This is an HR policy question; search the HR knowledge base."),
        ev.kb_lookup("KB1234ABCD", "parental leave weeks"),
        ev.kb_output([ev.retrieved("Parental leave: 16 weeks fully paid, for every parent.",
                                   "s3://hr-policies/parental-leave.md"),
                      ev.retrieved("x" * 300, "s3://hr-policies/long.md")]),
        ev.final("You get 16 weeks of paid parental leave."),
    ],
    "api_and_reprompt": [
        ev.api_call("OrderApi", "/orders/{order_id}/eta", "GET", {"order_id": "A-482"},
                    {"note": "multi\nline"}),
        ev.action_output('{"eta": "2026-04-27"}', trace_id="t-2"),
        ev.reprompt("The tool call was malformed; try again.", "PARSER"),
    ],
    "return_control": [
        ev.rationale("Open the calendar on the client."),
        ev.function_call("ClientCalendar", "open_calendar", {"date": "2026-04-27"},
                         execution="RETURN_CONTROL", invocation_id="inv-7"),
        ev.return_control("inv-7", [
            ev.roc_function("ClientCalendar", "open_calendar", {"date": "2026-04-27"}),
            ev.roc_function("OrderTools", "cancel_order", {"order_id": "A-483"},
                            "USER_CONFIRMATION"),
            ev.roc_api("Slots", "/slots/{day}", "POST", {"day": "mon"}, {"size": "2"})]),
    ],
    "guardrail_failure_other": [
        ev.guardrail("INTERVENED"),
        ev.failure("The Lambda response did not match the expected format."),
        {"dependencyFailedException": {"message": "handler raised", "resourceName": "order-tools"}},
        ev.custom("custom step"),
        ev.collaborator_call("billing", "Refund order A-510?"),
        ev.collaborator_output("billing", "Refunded."),
        ev.part({"futureTrace": {"traceId": "x", "what": 1}}),
        {"files": {"files": [{"name": "chart.png", "type": "image/png", "bytes": b"\x89PNG"}]}},
    ],
    "markup_is_verbatim": [
        ev.rationale("[bold red]not markup[/] and [link=x]y[/link] stay as typed"),
        ev.function_call("OrderTools", "get_order_status", {"order_id": "[b]A-482[/b]"}),
        ev.action_output("functions[get_order_status] /orders/{orderId} \x1b[31m"),
    ],
}


def _check(name: str, text: str, update: bool) -> None:
    path = GOLDEN / f"{name}.txt"
    if update or not path.exists():
        path.write_text(text, encoding="utf-8", newline="")
        if not update:
            pytest.fail(f"golden file {path.name} was missing and has been written; review it")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(CASES))
def test_rendering_matches_golden(name, update_golden):
    _check(name, render_invocation(from_events(CASES[name])), update_golden)


def test_turn_with_return_of_control_round(update_golden):
    first = from_events(CASES["return_control"][:2] + [ev.return_control("inv-7", [
        ev.roc_function("ClientCalendar", "open_calendar", {"date": "2026-04-27"})])])
    second = from_events([ev.final("Your calendar is open on 2026-04-27."),
                          ev.chunk("Your calendar is open on 2026-04-27.")])
    results = [{"functionResult": {"actionGroup": "ClientCalendar", "function": "open_calendar",
                                   "responseBody": {"TEXT": {"body": "free: 09:00-12:00"}}}}]
    turn = TurnResult(answer=second.answer, session_id="s-1", memory_id=None,
                      invocations=(first, second),
                      roc_exchanges=(RocExchange("inv-7", first.return_control["inputs"],
                                                 results),),
                      tool_calls=first.tool_calls, kb_lookups=(), failures=(),
                      guardrail_interventions=0, citations=(), timings={})
    _check("turn_return_control", render_turn(turn), update_golden)
