"""``agentctl invoke`` end to end on examples/support-bot: apply to the embedded emulator, then
invoke through the real CLI, the real boto3 ``bedrock-agent-runtime`` client and the emulator's
InvokeAgent (event stream, scripted model, the example's Lambda handler, knowledge base, return
of control, sessions and memory). One applied project is shared by the module (apply is the
slow part); the tests that change the example's order table run in one test, in order."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from agentctl.cli import run
from agentctl.exitcodes import ExitCode

from .conftest import EXAMPLES, Result


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("AGENTCTL_EMULATOR_TIME_SCALE", "0.02")
    for var in ("AGENTCTL_ENV", "AWS_ENDPOINT_URL_BEDROCK_AGENT", "AGENTCTL_EMULATOR_FAULTS",
                "AGENTCTL_EMULATOR_CONFIG", "AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME", "NO_COLOR"):
        mp.delenv(var, raising=False)
    path = tmp_path_factory.mktemp("invoke") / "support-bot"
    shutil.copytree(EXAMPLES / "support-bot", path,
                    ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
    assert run(["-C", str(path), "apply", "--auto-approve"]) == 0
    yield path
    mp.undo()


@pytest.fixture
def cli(root, capsys, monkeypatch):
    monkeypatch.setenv("AGENTCTL_EMULATOR_TIME_SCALE", "0.02")

    def _cli(*args: str) -> Result:
        capsys.readouterr()
        code = run(["-C", str(root), *args])
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return _cli


STAGING = ("--agent", "support-bot", "--alias", "STAGING")

# Until the emulator's InvokeAgent (agentctl/emulator/runtime) is on main these must fail; once
# it is, the mark is off and they must pass. Remove the mark when it has landed.
needs_runtime = pytest.mark.xfail(
    importlib.util.find_spec("agentctl.emulator.runtime") is None, strict=True,
    reason="the local emulator does not answer InvokeAgent yet")


def _orders() -> dict:
    """The example's order table, read from its handler file (a private copy of the module:
    the emulator's own import of the handler keeps its state)."""
    import runpy

    return runpy.run_path(str(EXAMPLES / "support-bot" / "handlers" / "order_tools.py"))["ORDERS"]


A482 = _orders()["A-482"]


@needs_runtime
def test_order_status_with_trace_shows_the_tool_call_result_and_answer(cli):
    r = cli("invoke", "Where is order A-482?", *STAGING, "--trace")
    assert r.code == 0, r.err
    assert r.out == (f"Order A-482 is {A482['status']}; the estimated delivery date is "
                     f"{A482['eta']}.\n")
    assert "tool call        OrderTools.get_order_status  (Lambda)" in r.err
    assert "order_id = A-482" in r.err
    assert f'"status": "{A482["status"]}"' in r.err  # the handler's result, as the observation
    assert "rationale        The user asks for the status of order A-482" in r.err
    assert f"final answer     Order A-482 is {A482['status']}" in r.err
    assert "pre-processing" not in r.err            # PRE_PROCESSING is DISABLED in the spec


@needs_runtime
def test_order_status_as_one_json_document(cli):
    r = cli("invoke", "Where is order A-482?", *STAGING, "--output", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["ok"] is True and doc["alias"]["name"] == "STAGING"
    [call] = doc["tool_calls"]
    assert (call["action_group"], call["function"], call["parameters"], call["execution"]) == (
        "OrderTools", "get_order_status", {"order_id": "A-482"}, "lambda")
    assert json.loads(call["output"])["status"] == A482["status"]
    assert doc["answer"].startswith(f"Order A-482 is {A482['status']}")
    stages = [s["stage"] for s in doc["trace"][0] if s["kind"] == "model_input"]
    assert stages and set(stages) == {"ORCHESTRATION"}


@needs_runtime
def test_calendar_completes_through_return_of_control(cli, tmp_path):
    trace_out = tmp_path / "calendar.jsonl"
    r = cli("invoke", "Open my calendar for next Monday.", *STAGING, "--output", "json",
            "--trace-out", str(trace_out))
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    [exchange] = doc["return_control"]
    [result] = exchange["results"]
    body = result["functionResult"]["responseBody"]["TEXT"]["body"]
    assert body.startswith("The user opened their calendar on ")  # handlers.calendar ran
    assert doc["answer"].endswith("Which slot would you like?")
    assert body in doc["answer"]
    [call] = doc["tool_calls"]
    assert (call["action_group"], call["execution"], call["output"]) == (
        "ClientCalendar", "return_control", body)
    events = [json.loads(line) for line in trace_out.read_text().splitlines()]
    assert any("returnControl" in e for e in events)
    assert any("chunk" in e for e in events)


@needs_runtime
def test_hr_question_is_answered_from_the_knowledge_base(cli):
    r = cli("invoke", "How many PTO days do I get per year?", *STAGING, "--trace")
    assert r.code == 0, r.err
    assert "kb lookup        KB1234ABCD: How many PTO days do I get per year?" in r.err
    assert "retrieved" in r.err and "pto.md" in r.err
    assert r.out.startswith("According to our HR policy:")


@needs_runtime
def test_session_attribute_reaches_the_lambda(cli):
    r = cli("invoke", "Show my recent orders.", *STAGING, "--session-attr",
            "customer_id=C-1001", "--output", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    [call] = doc["tool_calls"]
    assert call["api_path"] == "/customers/{customer_id}/orders"
    assert call["parameters"]["customer_id"] == "C-1001"
    newest = max((o for o in _orders().items() if o[1]["customer_id"] == "C-1001"),
                 key=lambda o: o[1]["placed"])[0]
    assert doc["answer"].startswith(f"Your most recent order is {newest}")
    r = cli("invoke", "Show my recent orders.", *STAGING)
    assert "I need your customer ID" in r.out


@needs_runtime
def test_memory_across_two_sessions_with_one_memory_id(cli):
    r = cli("invoke", "Please remember that I prefer morning deliveries.", *STAGING,
            "--session", "mem-session-1", "--memory-id", "user-9921", "--end-session")
    assert r.code == 0, r.err
    r = cli("invoke", "What did we talk about last time?", *STAGING, "--session",
            "mem-session-2", "--memory-id", "user-9921", "--output", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["memory_id"] == "user-9921" and doc["session_id"] == "mem-session-2"
    assert "morning deliveries" in doc["answer"]
    r = cli("invoke", "What did we talk about last time?", *STAGING, "--memory-id",
            "someone-else")
    assert "don't remember" in r.out


@needs_runtime
def test_draft_and_a_version_number_can_be_invoked(cli, root):
    r = cli("invoke", "Where is order A-482?", "--agent", "support-bot", "--draft",
            "--output", "json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["alias"] == {"name": "AgentTestAlias", "id": "TSTALIASID",
                                          "version": "DRAFT"}
    r = cli("invoke", "Where is order A-482?", "--agent", "support-bot", "--version", "1",
            "--output", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["alias"]["name"] == "agentctl-candidate" and doc["alias"]["version"] == "1"
    assert doc["answer"].startswith(f"Order A-482 is {A482['status']}")
    r = cli("plan", "--detailed-exitcode")
    assert r.code == 0, r.out + r.err   # the candidate alias is gone again


def test_unknown_alias_and_bad_session_id(cli):
    r = cli("invoke", "hi", "--agent", "support-bot", "--alias", "NOPE")
    assert r.code == ExitCode.USAGE and "has no alias 'NOPE'" in r.err
    r = cli("invoke", "hi", *STAGING, "--session", "x")
    assert r.code == ExitCode.USAGE and "2 to 100 characters" in r.err
    assert "Traceback" not in r.err


@needs_runtime
def test_cancel_asks_for_confirmation_deny_then_confirm(cli):
    # Last in the module: a confirmed cancel changes the example's (in-memory) order table.
    # A-482 has shipped (the Lambda refuses to cancel it); A-483 is still being processed.
    assert _orders()["A-483"]["status"] == "PROCESSING", "the example's A-483 must be cancellable"
    text = "Where is order A-483, and can you cancel it if it hasn't shipped?"
    r = cli("invoke", text, *STAGING, "--output", "json")  # no terminal, no decision
    assert r.code == ExitCode.HANDLER_FAILED
    assert "requires the user's confirmation" in json.loads(r.out)["error"]["message"]
    r = cli("invoke", text, *STAGING, "--deny", "--output", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert [c["function"] for c in doc["tool_calls"]] == ["get_order_status", "cancel_order"]
    sent = doc["return_control"][0]["results"][0]["functionResult"]
    assert sent["confirmationState"] == "DENY"
    assert "did not cancel order A-483" in doc["answer"]
    r = cli("invoke", text, *STAGING, "--confirm", "--trace")
    assert r.code == 0, r.err
    assert "It had not shipped yet" in r.out
    assert "OrderTools.cancel_order  [asks the user to confirm]" in r.err
