"""run_turn against a fake runtime client (requests validated by botocore's model), and the
return-of-control resolvers."""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from agentctl.errors import AwsError, HandlerError, UsageError
from agentctl.exitcodes import ExitCode
from agentctl.runtime import handlers as h
from agentctl.runtime.session import check_id, run_turn

from tests.runtime import events as ev
from tests.runtime.fakes import FakeRuntime, client_error, support_bot


def _turn(client, resolver=None, **kw):
    kw.setdefault("session_id", "s-1")
    kw.setdefault("text", "Where is order A-482?")
    return run_turn(client, agent_id="AGENT12345", alias_id="ALIAS12345",
                    roc_resolver=resolver or h.PresetResults({}), **kw)


def test_order_turn_streams_chunks_and_reports_the_tool_call():
    client = FakeRuntime(support_bot)
    chunks, raw = [], []
    turn = _turn(client, on_chunk=chunks.append, raw_events=raw.append)
    assert chunks == ["Order A-482 has shipped and should arrive on 2026-04-27."]
    assert turn.answer == chunks[0]
    assert len(raw) == len(ev.order_turn())
    assert [(t.function, t.parameters["order_id"]) for t in turn.tool_calls] == [
        ("get_order_status", "A-482")]
    assert turn.session_id == "s-1" and turn.memory_id is None
    assert len(turn.invocations) == 1 and turn.roc_exchanges == ()
    assert set(turn.timings) >= {"total", "handlers", "first_chunk"}
    call = client.calls[0]
    assert call == {"agentId": "AGENT12345", "agentAliasId": "ALIAS12345", "sessionId": "s-1",
                    "enableTrace": True, "inputText": "Where is order A-482?"}
    assert client.streams[0].closed


def test_return_of_control_posts_results_back_with_the_invocation_id():
    client = FakeRuntime(support_bot)
    preset = h.PresetResults({"ClientCalendar.open_calendar": "free: 09:00-12:00"})
    turn = _turn(client, preset, text="Open my calendar for next Monday.",
                 session_attributes={"user_id": "u-1"}, prompt_session_attributes={"d": "x"})
    assert turn.answer == "Done: free: 09:00-12:00"
    assert len(client.calls) == 2 and len(turn.invocations) == 2
    second = client.calls[1]
    assert "inputText" not in second  # ignored by Bedrock with results (§10.1)
    assert second["sessionState"] == {
        "sessionAttributes": {"user_id": "u-1"}, "promptSessionAttributes": {"d": "x"},
        "invocationId": "inv-1",
        "returnControlInvocationResults": [{"functionResult": {
            "actionGroup": "ClientCalendar", "function": "open_calendar",
            "responseBody": {"TEXT": {"body": "free: 09:00-12:00"}}}}]}
    assert [c.parameters for c in preset.calls] == [{"date": "2026-04-27"}]
    # The RoC call appears once, with the result the caller sent as its output.
    assert [(t.function, t.execution, t.output) for t in turn.tool_calls] == [
        ("open_calendar", "return_control", "free: 09:00-12:00")]
    assert turn.roc_exchanges[0].invocation_id == "inv-1"


@pytest.mark.parametrize("decision,state,answer,output", [
    (True, "CONFIRM", "Cancelled.", "Order A-483 is cancelled."),
    (False, "DENY", "OK, I did not cancel it.", h.DENIED_TEXT)])
def test_confirmation_sends_confirmation_state(decision, state, answer, output):
    client = FakeRuntime(support_bot)
    asked = []
    preset = h.PresetResults({}, confirmer=lambda call: asked.append(call.name) or decision)
    turn = _turn(client, preset, text="cancel A-483")
    member = client.calls[1]["sessionState"]["returnControlInvocationResults"][0][
        "functionResult"]
    assert member["confirmationState"] == state
    assert asked == ["OrderTools.cancel_order"]
    assert turn.answer == answer
    assert preset.calls == []  # USER_CONFIRMATION: no handler runs, Bedrock runs the Lambda
    # One call (the trace's LAMBDA invocation input and the returnControl input are the same
    # call), whose output is the Lambda's (confirmed) or the denial sent back.
    assert [(t.function, t.execution, t.output) for t in turn.tool_calls] == [
        ("cancel_order", "lambda", output)]


def test_confirmation_without_a_confirmer_is_refused_clearly():
    with pytest.raises(HandlerError) as ei:
        _turn(FakeRuntime(support_bot), h.PresetResults({}), text="cancel A-483")
    assert "requires the user's confirmation" in ei.value.what
    assert "--confirm" in ei.value.hint
    assert ei.value.exit_code == ExitCode.HANDLER_FAILED


@pytest.mark.parametrize("value", ["s", "x" * 101, "has space", "ü-nicode", "a/b"])
def test_session_ids_breaking_the_model_pattern_are_refused_before_calling(value):
    client = FakeRuntime(support_bot)
    with pytest.raises(UsageError) as ei:
        _turn(client, session_id=value)
    assert "--session" in ei.value.what
    assert client.calls == []


def test_memory_ids_are_checked_too_and_good_ids_pass():
    assert check_id("user-9921.a:b_c", "memoryId", "--memory-id") == "user-9921.a:b_c"
    client = FakeRuntime(support_bot)
    with pytest.raises(UsageError):
        _turn(client, memory_id="bad id")
    turn = _turn(client, memory_id="user-9921", end_session=True)
    assert turn.memory_id == "user-9921"
    assert client.calls[0]["memoryId"] == "user-9921" and client.calls[0]["endSession"] is True


def test_service_errors_become_aws_errors_with_a_hint():
    class Failing(FakeRuntime):
        def invoke_agent(self, **params):
            raise client_error("ResourceNotFoundException", "Failed to retrieve resource")

    with pytest.raises(AwsError) as ei:
        _turn(Failing(support_bot))
    assert ei.value.code == "ResourceNotFoundException"
    assert "agentctl status" in ei.value.hint


def test_an_exception_event_mid_stream_becomes_an_aws_error_and_closes_the_stream():
    def script(params):
        yield ev.chunk("Order ")
        raise client_error("ThrottlingException", "Rate exceeded")

    client = FakeRuntime(script)
    chunks = []
    with pytest.raises(AwsError) as ei:
        _turn(client, on_chunk=chunks.append)
    assert ei.value.code == "ThrottlingException" and chunks == ["Order "]
    assert client.streams[0].closed


def test_endless_return_of_control_stops():
    def script(params):
        return [ev.return_control("inv", [ev.roc_function("G", "f", {})])]

    with pytest.raises(Exception) as ei:
        _turn(FakeRuntime(script), h.PresetResults({"G.f": "again"}))
    assert "returned control" in str(ei.value)


@pytest.mark.parametrize("bad,fragment", [
    ([], "non-empty list"),
    ([{"functionResult": {"function": "f"}}], "actionGroup is missing"),
    ([{"functionResult": {"actionGroup": "G"}, "apiResult": {"actionGroup": "G"}}],
     "exactly one"),
    ([{"functionResult": {"actionGroup": "G", "responseState": "MAYBE"}}],
     "must be one of FAILURE, REPROMPT"),
    ([{"functionResult": {"actionGroup": "G", "responseBody": {"TEXT": {"body": 3}}}}],
     "responseBody"),
])
def test_resolver_results_are_checked_against_the_model(bad, fragment):
    class Bad:
        def resolve(self, roc):
            return bad

    def script(params):
        return [ev.return_control("inv", [ev.roc_function("G", "f", {})])]

    client = FakeRuntime(script)
    with pytest.raises(HandlerError) as ei:
        _turn(client, Bad())
    assert fragment in ei.value.message()
    assert len(client.calls) == 1


# ---------------------------------------------------------------------------- SpecHandlers

def _project(tmp_path: Path, handler_src: str, ref: str = "handlers.tools:run"):
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "__init__.py").write_text("")
    (tmp_path / "handlers" / "tools.py").write_text(textwrap.dedent(handler_src))
    spec = SimpleNamespace(source=tmp_path / "agents" / "bot.yaml", doc={"actionGroups": [
        {"name": "G", "executor": {"returnControl": True, "handler": ref}},
        {"name": "NoHandler", "executor": {"returnControl": True}}]})
    return SimpleNamespace(root=tmp_path), spec


ROC_F = {"invocationId": "i", "inputs": [ev.roc_function("G", "f", {"date": "2026-04-27"})]}
ROC_API = {"invocationId": "i", "inputs": [ev.roc_api("G", "/slots/{day}", "POST", {"day": "mon"},
                                                      {"size": "2"})]}


def test_spec_handler_gets_function_parameters(tmp_path):
    project, spec = _project(tmp_path, """
        def run(date):
            return f"opened {date}"
    """)
    results = h.SpecHandlers(project, spec).resolve(ROC_F)
    assert results == [{"functionResult": {"actionGroup": "G", "function": "f",
                                           "responseBody": {"TEXT": {"body": "opened 2026-04-27"}}}}]


def test_spec_handler_gets_api_path_method_and_body(tmp_path):
    project, spec = _project(tmp_path, """
        def run(day, size, api_path, http_method, request_body):
            return {"body": f"{http_method} {api_path} {day} {size} {sorted(request_body)}",
                    "httpStatusCode": 201}
    """)
    results = h.SpecHandlers(project, spec).resolve(ROC_API)
    assert results == [{"apiResult": {
        "actionGroup": "G", "apiPath": "/slots/{day}", "httpMethod": "POST",
        "httpStatusCode": 201,
        "responseBody": {"application/json": {
            "body": "POST /slots/{day} mon 2 ['application/json']"}}}}]


@pytest.mark.parametrize("src,fragment", [
    ("def run(date):\n    raise RuntimeError('calendar offline')\n",
     "raised RuntimeError: calendar offline"),
    ("def run(date):\n    return 42\n", "returned int (42), not a result"),
    ("def run(date):\n    return {'text': 'x'}\n", "unknown key(s) 'text'"),
    ("def run(date):\n    return {'body': 'x', 'responseState': 'OK'}\n",
     "'responseState' must be FAILURE or REPROMPT"),
    ("def run():\n    return 'x'\n", "raised TypeError"),
    ("def other():\n    pass\n", "has no 'run'"),
    ("raise ImportError('broken module')\n", "importing handler module 'handlers.tools' failed"),
])
def test_bad_handlers_are_handler_errors(tmp_path, src, fragment):
    project, spec = _project(tmp_path, src)
    with pytest.raises(HandlerError) as ei:
        h.SpecHandlers(project, spec).resolve(ROC_F)
    assert fragment in ei.value.message()
    assert ei.value.exit_code == ExitCode.HANDLER_FAILED


@pytest.mark.parametrize("ref,fragment", [
    ("os:getcwd", "not found in the project"),
    ("handlers.missing:run", "not found in the project"),
    ("../evil:run", "is not module:function"),
    ("handlers/tools.py:run", "is not module:function"),
])
def test_handlers_are_imported_from_inside_the_project_only(tmp_path, ref, fragment):
    project, spec = _project(tmp_path, "def run(date):\n    return 'x'\n", ref)
    with pytest.raises(HandlerError) as ei:
        h.SpecHandlers(project, spec).resolve(ROC_F)
    assert fragment in ei.value.message()


def test_a_symlink_escaping_the_project_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.py").write_text("def run(date):\n    return 'pwned'\n")
    proj = tmp_path / "proj"
    proj.mkdir()
    project, spec = _project(proj, "def run(date):\n    return 'x'\n", "handlers.evil:run")
    (proj / "handlers" / "evil.py").symlink_to(outside / "evil.py")
    with pytest.raises(HandlerError) as ei:
        h.SpecHandlers(project, spec).resolve(ROC_F)
    assert "outside the project" in ei.value.message()


def test_same_module_name_in_two_projects_is_not_reused(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    pa, spec_a = _project(a, "def run(date):\n    return 'from a'\n")
    pb, spec_b = _project(b, "def run(date):\n    return 'from b'\n")
    body = lambda r: r[0]["functionResult"]["responseBody"]["TEXT"]["body"]  # noqa: E731
    assert body(h.SpecHandlers(pa, spec_a).resolve(ROC_F)) == "from a"
    assert body(h.SpecHandlers(pb, spec_b).resolve(ROC_F)) == "from b"


def test_groups_without_a_handler_use_the_fallback_or_fail(tmp_path):
    project, spec = _project(tmp_path, "def run(date):\n    return 'x'\n")
    roc = {"invocationId": "i", "inputs": [ev.roc_function("NoHandler", "f", {})]}
    with pytest.raises(HandlerError) as ei:
        h.SpecHandlers(project, spec).resolve(roc)
    assert "no handler for NoHandler.f" in ei.value.what

    class Console:
        lines: list = []

        def say(self, text):
            self.lines.append(text)

        def ask(self, prompt):
            return "typed by the user"

    results = h.SpecHandlers(project, spec, h.PromptUser(Console())).resolve(roc)
    assert results[0]["functionResult"]["responseBody"]["TEXT"]["body"] == "typed by the user"


def test_example_calendar_handler_runs_from_the_example_project():
    root = Path(__file__).resolve().parents[2] / "examples" / "support-bot"
    spec = SimpleNamespace(source=root / "agents" / "support-bot.yaml", doc={"actionGroups": [
        {"name": "ClientCalendar", "executor": {"returnControl": True,
                                                "handler": "handlers.calendar:open_calendar"}}]})
    roc = {"invocationId": "i", "inputs": [ev.roc_function("ClientCalendar", "open_calendar",
                                                           {"date": "2026-04-27"})]}
    body = h.SpecHandlers(SimpleNamespace(root=root), spec).resolve(roc)[0][
        "functionResult"]["responseBody"]["TEXT"]["body"]
    assert body.startswith("The user opened their calendar on 2026-04-27")


# ------------------------------------------------------------- the real client (Stubber)

def test_invoke_agent_errors_from_a_real_client_are_translated():
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("bedrock-agent-runtime", region_name="us-east-1",
                          aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_client_error("invoke_agent", "ResourceNotFoundException",
                              "Failed to retrieve resource because it doesn't exist.",
                              expected_params={"agentId": "AGENT12345",
                                               "agentAliasId": "ALIAS12345",
                                               "sessionId": "s-1", "enableTrace": True,
                                               "inputText": "hi"})
        with pytest.raises(AwsError) as ei:
            _turn(client, text="hi")
    assert ei.value.operation == "InvokeAgent"
    assert ei.value.code == "ResourceNotFoundException"
    assert "doesn't exist" in ei.value.aws_message
