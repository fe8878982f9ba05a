"""`agentctl eval` through the real runtime path (candidate alias via the executor, run_turn,
SpecHandlers / PresetResults, confirmation) with runtime-client's scripted stand-in for the
bedrock-agent-runtime client, on the emulator's control plane."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from agentctl.cli import run
from agentctl.exitcodes import ExitCode
from tests.runtime.fakes import FakeRuntime, support_bot

REPO = Path(__file__).resolve().parents[2]

SUITE = """\
agent: support-bot
cases:
  - name: order
    turns:
      - input: Where is order A-482?
        expect:
          toolCalls:
            order: exact
            calls: [{actionGroup: OrderTools, function: get_order_status,
                     parameters: {order_id: A-482}}]
          answer: {contains: shipped}
  - name: calendar-by-handler
    turns:
      - input: Open my calendar for next Monday.
        expect:
          returnControl: [{actionGroup: ClientCalendar, function: open_calendar,
                           parameters: {date: 2026-04-27}}]
          answer: {contains: "free delivery slots"}
  - name: calendar-preset
    turns:
      - input: Open my calendar for next Monday.
        returnControl: [{actionGroup: ClientCalendar, function: open_calendar,
                         body: "busy all day"}]
        expect:
          answer: {contains: "busy all day", notContains: "free delivery slots"}
  - name: cancel-denied
    turns:
      - input: Please cancel order A-483.
        confirm: false
        expect:
          answer: {contains: "did not cancel"}
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTCTL_EMULATOR_TIME_SCALE", "0.02")
    for var in ("AGENTCTL_ENV", "AWS_ENDPOINT_URL_BEDROCK_AGENT", "AGENTCTL_EMULATOR_FAULTS",
                "AGENTCTL_EMULATOR_CONFIG", "AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME"):
        monkeypatch.delenv(var, raising=False)
    root = tmp_path / "support-bot"
    shutil.copytree(REPO / "examples" / "support-bot", root,
                    ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
    (root / "evals" / "support-bot.yaml").write_text(SUITE)
    assert run(["-C", str(root), "apply", "--auto-approve"]) == 0
    client = FakeRuntime(support_bot)
    monkeypatch.setattr("agentctl.aws.runtime.make_runtime_client", lambda env, clients: client)
    return root, client


def aliases(capsys, root):
    capsys.readouterr()
    assert run(["-C", str(root), "status", "-o", "json"]) == 0
    (agent,) = json.loads(capsys.readouterr().out)["agents"]
    return {a["name"]: a for a in agent["aliases"]}


def alias_ids(root) -> dict[str, str]:
    from agentctl.emulator import Emulator

    emu = Emulator(state_path=root / ".agentctl" / "local.db", region="us-east-1",
                   account="123456789012")
    try:
        c = emu.client()
        (agent,) = c.list_agents()["agentSummaries"]
        return {a["agentAliasName"]: a["agentAliasId"] for a in
                c.list_agent_aliases(agentId=agent["agentId"])["agentAliasSummaries"]}
    finally:
        emu.close()


def test_every_case_runs_on_the_pinned_candidate_alias(project, capsys):
    root, client = project
    before = aliases(capsys, root)
    ids = alias_ids(root)
    assert {"STAGING", "PROD"} <= set(ids)
    capsys.readouterr()
    code = run(["-C", str(root), "eval", "--agent", "support-bot", "--alias", "STAGING",
                "-o", "json", "--parallel", "2"])
    out = capsys.readouterr()
    doc = json.loads(out.out)
    assert code == 0, json.dumps(doc["suites"], indent=1)[:3000] + out.err
    assert doc["version"] == before["STAGING"]["version"]
    # Every InvokeAgent call went to the candidate alias, never to STAGING itself.
    used = {c["agentAliasId"] for c in client.calls}
    assert len(used) == 1 and used.pop() not in ids.values()
    assert "agentctl-candidate" not in aliases(capsys, root)  # released afterwards
    sessions = {c["sessionId"] for c in client.calls}
    assert len(sessions) == 4
    # the handler's result went back for the calendar case
    roc = [c for c in client.calls if (c.get("sessionState") or {}).get(
        "returnControlInvocationResults")]
    bodies = [json.dumps(c["sessionState"]) for c in roc]
    assert any("free delivery slots" in b for b in bodies)
    assert any("busy all day" in b for b in bodies)
    assert any("DENY" in b for b in bodies)


def test_a_confirmation_without_an_answer_fails_the_case_clearly(project, capsys):
    root, client = project
    suite = root / "evals" / "support-bot.yaml"
    suite.write_text(suite.read_text().replace("        confirm: false\n", ""))
    capsys.readouterr()
    code = run(["-C", str(root), "eval", "--agent", "support-bot", "--alias", "STAGING"])
    out = capsys.readouterr().out
    assert code == ExitCode.EVAL_FAILED
    assert "FAIL support-bot-regression" not in out  # suite name is the file's: support-bot
    assert "cancel-denied" in out and "requires the user's confirmation" in out
