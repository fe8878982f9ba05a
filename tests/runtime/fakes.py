"""A stand-in ``bedrock-agent-runtime`` client: ``invoke_agent(**params)`` validates the request
against botocore's model (as the real client does before sending) and answers with scripted
event dicts, shaped as boto3 yields them."""

from __future__ import annotations

from typing import Any, Callable, Iterable

import botocore.session
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator

from tests.runtime import events as ev

Script = Callable[[dict[str, Any]], Iterable[dict[str, Any]]]


class FakeStream:
    def __init__(self, events: Iterable[dict[str, Any]]):
        self._events = iter(events)
        self.closed = False

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._events)

    def close(self) -> None:
        self.closed = True


class FakeRuntime:
    def __init__(self, script: Script, *, memory: bool = False):
        self.script = script
        self.calls: list[dict[str, Any]] = []
        self.streams: list[FakeStream] = []
        self.memory = memory
        model = botocore.session.get_session().get_service_model("bedrock-agent-runtime")
        self._input = model.operation_model("InvokeAgent").input_shape

    def invoke_agent(self, **params: Any) -> dict[str, Any]:
        report = ParamValidator().validate(params, self._input)
        if report.has_errors():  # what botocore raises before sending
            raise AssertionError(report.generate_report())
        self.calls.append(params)
        stream = FakeStream(self.script(params))
        self.streams.append(stream)
        out = {"sessionId": params["sessionId"], "contentType": "application/json",
               "completion": stream}
        if params.get("memoryId"):
            out["memoryId"] = params["memoryId"]
        return out


def client_error(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": 400}}, "InvokeAgent")


def support_bot(params: dict[str, Any]) -> list[dict[str, Any]]:
    """A tiny scripted support-bot: order status through its Lambda, the calendar through
    return of control, cancel with confirmation."""
    state = params.get("sessionState") or {}
    results = state.get("returnControlInvocationResults")
    if results:
        member = results[0].get("functionResult") or results[0].get("apiResult")
        if member.get("confirmationState") == "DENY":
            return [ev.final("OK, I did not cancel it."), ev.chunk("OK, I did not cancel it.")]
        if member.get("confirmationState") == "CONFIRM" and member.get("function") == "cancel_order":
            # Bedrock runs the confirmed Lambda itself; the resumed stream shows its output.
            return [ev.action_output("Order A-483 is cancelled."), ev.final("Cancelled."),
                    ev.chunk("Cancelled.")]
        body = next(iter((member.get("responseBody") or {}).values()), {}).get("body", "")
        text = f"Done: {body}"
        return [ev.action_output(body), ev.final(text), ev.chunk(text)]
    text = params.get("inputText", "")
    if "calendar" in text:
        return [ev.rationale("Open the client's calendar."),
                ev.function_call("ClientCalendar", "open_calendar", {"date": "2026-04-27"},
                                 execution="RETURN_CONTROL", invocation_id="inv-1"),
                ev.return_control("inv-1", [ev.roc_function("ClientCalendar", "open_calendar",
                                                            {"date": "2026-04-27"})])]
    if "cancel" in text:
        return [ev.function_call("OrderTools", "cancel_order", {"order_id": "A-483"},
                                 invocation_id="inv-2"),
                ev.return_control("inv-2", [ev.roc_function(
            "OrderTools", "cancel_order", {"order_id": "A-483"}, "USER_CONFIRMATION")])]
    if "attrs" in text:
        attrs = state.get("sessionAttributes") or {}
        answer = "attrs: " + ", ".join(f"{k}={v}" for k, v in sorted(attrs.items()))
        return [ev.chunk(answer)]
    return ev.order_turn()
