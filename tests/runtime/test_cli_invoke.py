"""``agentctl invoke`` / ``agentctl chat`` through the real CLI on the support-bot example, applied
to the embedded emulator (control plane), with the runtime client replaced by a scripted fake
(its requests validated against botocore's model). The end-to-end runs against the emulator's
own InvokeAgent are in tests/e2e/test_invoke_e2e.py."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from agentctl.cli import run
from agentctl.exitcodes import ExitCode

from tests.runtime.fakes import FakeRuntime, support_bot

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "support-bot"


@pytest.fixture(scope="module")
def applied(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("AGENTCTL_EMULATOR_TIME_SCALE", "0.02")
    for var in ("AGENTCTL_ENV", "AWS_ENDPOINT_URL_BEDROCK_AGENT", "AGENTCTL_EMULATOR_FAULTS",
                "AGENTCTL_EMULATOR_CONFIG", "AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME"):
        mp.delenv(var, raising=False)
    root = tmp_path_factory.mktemp("inv") / "support-bot"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
    assert run(["-C", str(root), "apply", "--auto-approve"]) == 0
    yield root
    mp.undo()


@pytest.fixture
def fake(monkeypatch, applied):
    monkeypatch.setenv("AGENTCTL_EMULATOR_TIME_SCALE", "0.02")
    client = FakeRuntime(support_bot)
    monkeypatch.setattr("agentctl.aws.runtime.make_runtime_client", lambda env, clients: client)
    return client


def cli(capsys, root, *args, stdin: str | None = None, monkeypatch=None):
    capsys.readouterr()
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = run(["-C", str(root), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _aliases(root: Path) -> dict[str, str]:
    from agentctl.emulator import Emulator

    emu = Emulator(state_path=root / ".agentctl" / "local.db", region="us-east-1",
                   account="123456789012")
    try:
        c = emu.client()
        agent = next(a for a in c.list_agents()["agentSummaries"]
                     if a["agentName"] == "support-bot")
        return {a["agentAliasName"]: a["agentAliasId"]
                for a in c.list_agent_aliases(agentId=agent["agentId"])["agentAliasSummaries"]}
    finally:
        emu.close()


def test_invoke_streams_the_answer_and_renders_the_trace(capsys, applied, fake):
    code, out, err = cli(capsys, applied, "invoke", "Where is order A-482?", "--agent",
                         "support-bot", "--alias", "STAGING", "--trace")
    assert code == 0, err
    assert out == "Order A-482 has shipped and should arrive on 2026-04-27.\n"
    assert "tool call        OrderTools.get_order_status  (Lambda)" in err
    assert "order_id = A-482" in err
    assert 'observation      {"order_id": "A-482", "status": "SHIPPED"' in err
    assert "session: " in err
    assert fake.calls[0]["agentAliasId"] == _aliases(applied)["STAGING"]


def test_invoke_json_is_one_document(capsys, applied, fake):
    code, out, err = cli(capsys, applied, "invoke", "Where is order A-482?", "--agent",
                         "support-bot", "--alias", "STAGING", "--output", "json",
                         "--session", "sess-1", "--memory-id", "user-9921")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["ok"] is True and doc["kind"] == "invoke" and doc["error"] is None
    assert doc["answer"].startswith("Order A-482 has shipped")
    assert doc["session_id"] == "sess-1" and doc["memory_id"] == "user-9921"
    assert doc["alias"]["name"] == "STAGING" and doc["alias"]["version"] == "1"
    assert doc["tool_calls"][0]["parameters"] == {"order_id": "A-482"}
    assert [s["kind"] for s in doc["trace"][0]][:3] == ["model_input", "model_output",
                                                       "rationale"]
    assert set(doc["timings"]) >= {"total", "handlers"}


def test_calendar_completes_through_the_spec_handler(capsys, applied, fake, tmp_path):
    trace_out = tmp_path / "trace.jsonl"
    code, out, err = cli(capsys, applied, "invoke", "Open my calendar for next Monday.",
                         "--agent", "support-bot", "--alias", "STAGING", "--trace",
                         "--trace-out", str(trace_out))
    assert code == 0, err
    assert out.startswith("Done: The user opened their calendar on 2026-04-27")
    assert "return control   invocation inv-1" in err
    sent = fake.calls[1]["sessionState"]
    assert sent["invocationId"] == "inv-1"
    lines = trace_out.read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert len(events) == 3 + 3  # both invocations' events, one JSON object per line
    assert "returnControl" in events[2]


def test_session_attributes_are_sent(capsys, applied, fake):
    code, out, err = cli(capsys, applied, "invoke", "show attrs", "--agent", "support-bot",
                         "--alias", "STAGING", "--session-attr", "user_id=u-9921",
                         "--session-attr", "tier=gold", "--prompt-attr", "today=2026-04-25")
    assert code == 0, err
    assert out == "attrs: tier=gold, user_id=u-9921\n"
    assert fake.calls[0]["sessionState"]["promptSessionAttributes"] == {"today": "2026-04-25"}


def test_draft_uses_the_test_alias(capsys, applied, fake):
    code, out, err = cli(capsys, applied, "invoke", "Where is order A-482?", "--agent",
                         "support-bot", "--draft")
    assert code == 0, err
    assert fake.calls[0]["agentAliasId"] == "TSTALIASID"


def test_version_goes_through_a_candidate_alias_that_is_removed_after(capsys, applied, fake):
    code, out, err = cli(capsys, applied, "invoke", "Where is order A-482?", "--agent",
                         "support-bot", "--version", "1", "--output", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["alias"]["name"] == "agentctl-candidate" and doc["alias"]["version"] == "1"
    assert fake.calls[0]["agentAliasId"] == doc["alias"]["id"]
    assert "agentctl-candidate" not in _aliases(applied)
    # ... and nothing is left for the next plan to do.
    code, out, err = cli(capsys, applied, "plan", "--detailed-exitcode")
    assert code == 0, out + err


@pytest.mark.parametrize("args,fragment", [
    (["--agent", "nope", "--alias", "STAGING"], "no agent named 'nope'"),
    (["--agent", "support-bot"], "say which alias of 'support-bot' to invoke"),
    (["--agent", "support-bot", "--alias", "LIVE"], "has no alias 'LIVE'"),
    (["--agent", "support-bot", "--version", "99"], "has no version '99'"),
    (["--agent", "support-bot", "--alias", "PROD", "--draft"], "give one of"),
    (["--agent", "support-bot", "--alias", "PROD", "--session", "bad id!"],
     "does not match the pattern"),
    (["--agent", "support-bot", "--alias", "PROD", "--session-attr", "novalue"],
     "takes KEY=VALUE"),
    (["--agent", "support-bot", "--alias", "PROD", "--confirm", "--deny"], "not both"),
])
def test_bad_input_is_a_usage_error_with_json_too(capsys, applied, fake, args, fragment):
    code, out, err = cli(capsys, applied, "invoke", "hi", *args)
    assert code == ExitCode.USAGE, err
    assert fragment in err and "Traceback" not in err
    code, out, err = cli(capsys, applied, "invoke", "hi", *args, "--output", "json")
    assert code == ExitCode.USAGE
    doc = json.loads(out)
    assert doc["ok"] is False and fragment in doc["error"]["message"]
    assert fake.calls == []


def test_confirmation_needs_a_decision_without_a_terminal(capsys, applied, fake):
    code, out, err = cli(capsys, applied, "invoke", "cancel A-483", "--agent", "support-bot",
                         "--alias", "STAGING", "--output", "json")
    assert code == ExitCode.HANDLER_FAILED
    doc = json.loads(out)
    assert doc["ok"] is False and "requires the user's confirmation" in doc["error"]["message"]
    code, out, err = cli(capsys, applied, "invoke", "cancel A-483", "--agent", "support-bot",
                         "--alias", "STAGING", "--deny")
    assert code == 0 and out == "OK, I did not cancel it.\n"
    member = fake.calls[-1]["sessionState"]["returnControlInvocationResults"][0]
    assert member["functionResult"]["confirmationState"] == "DENY"


def test_a_raising_handler_is_a_clear_error(capsys, applied, fake, monkeypatch):
    cal = applied / "handlers" / "calendar.py"
    original = cal.read_text()
    cal.write_text(original.replace("    try:\n        day", "    raise OSError('calendar app "
                                                           "not running')\n    try:\n        day"))
    import sys
    monkeypatch.delitem(sys.modules, "handlers.calendar", raising=False)
    try:
        code, out, err = cli(capsys, applied, "invoke", "Open my calendar", "--agent",
                             "support-bot", "--alias", "STAGING")
    finally:
        cal.write_text(original)
        sys.modules.pop("handlers.calendar", None)
    assert code == ExitCode.HANDLER_FAILED
    assert "raised OSError: calendar app not running" in err and "Traceback" not in err


def test_chat_keeps_one_session_and_survives_a_failing_turn(capsys, applied, fake, monkeypatch):
    script = "\n".join(["Where is order A-482?", "/trace", "cancel A-483", "show attrs",
                        "/session", "/bogus", "/exit"]) + "\n"
    code, out, err = cli(capsys, applied, "chat", "--agent", "support-bot", "--alias",
                         "STAGING", "--session", "chat-1", "--session-attr", "user_id=u-1",
                         stdin=script, monkeypatch=monkeypatch)
    assert code == 0, err
    assert "agent> Order A-482 has shipped" in out
    assert "agent> attrs: user_id=u-1" in out
    assert "requires the user's confirmation" in err  # that turn failed ...
    assert "the session is still open" in err         # ... and the chat went on
    assert "trace on" in err and "return control   invocation inv-2" in err
    assert "session: chat-1" in err and "unknown command /bogus" in err
    assert {c["sessionId"] for c in fake.calls} == {"chat-1"}
