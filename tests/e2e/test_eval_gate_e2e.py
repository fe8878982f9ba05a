"""The eval gate end to end on examples/support-bot and the embedded emulator, through the CLI:
eval STAGING -> promote PROD; a renamed tool fails the eval naming the case, promote is refused
and PROD stays; --skip-eval promotes and history shows the audit entry.

``fake_runtime`` replaces the runtime (pinned alias + run_turn) with a responder that reads the
*evaluated version's* content from the emulator, so what is evaluated is really the version the
alias served when the run started. ``test_real_runtime_*`` run the same story on the real local
runtime once it is available.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from contextlib import contextmanager

import pytest

from agentctl.exitcodes import ExitCode

from .conftest import GATE, Project

AGENT = "support-bot"


def _fake_turn(functions: set[str], req):
    from tests.eval.fakes import call, lookup, turn

    text = req.text
    # The "model" calls the status function of the version: renamed, the call is renamed too.
    status_fn = sorted(functions - {"cancel_order"})[0]
    if text.startswith("Where is order A-482, and"):
        answer = ("Order A-482 has already shipped and cannot be cancelled." if req.confirm
                  else "All right, I did not cancel order A-482.")
        return turn(answer,
                    calls=(call("OrderTools", status_fn, order_id="A-482"),
                           call("OrderTools", "cancel_order", order_id="A-482", reason="late")))
    if text.startswith("Where is order"):
        return turn("Order A-482 is PROCESSING; the estimated delivery date is 2026-04-29.",
                    calls=(call("OrderTools", status_fn, order_id="A-482"),))
    if text.startswith("Open my calendar"):
        return turn("Free delivery slots: 09:00-12:00. Which slot would you like?",
                    calls=(call("ClientCalendar", "open_calendar", execution="return_control",
                                date="2026-04-27"),))
    if "parental leave" in text:
        return turn("According to our HR policy: 16 weeks of paid parental leave.",
                    lookups=(lookup("KB1234ABCD", text,
                                    ("Parental leave: 16 weeks.", "kb/hr/parental-leave.md")),))
    if "recent orders" in text:
        cid = req.session_attributes.get("customer_id", "?")
        return turn("Your most recent order is A-482 (PROCESSING, placed 2026-04-22).",
                    calls=(call("OrderApi", api_path="/customers/{customer_id}/orders",
                                method="GET", customer_id=cid, limit="3"),))
    if text.startswith("Please remember"):
        return turn("Noted: I prefer morning deliveries.")
    if "last time" in text:
        return turn("From our earlier conversations I remember: you prefer morning deliveries.")
    return turn("Sorry, I can only help with orders, deliveries and HR policies.")


@pytest.fixture
def fake_runtime(monkeypatch):
    from agentctl.aws import live
    from agentctl.eval import runner

    seen = {"versions": []}

    @contextmanager
    def pin(ctx, agent_name, version, progress=None):
        seen["versions"].append(version)
        yield f"pinned-{version}"

    def invoker(ctx, agent_name, agent_id, alias_id):
        version = alias_id.removeprefix("pinned-")
        content = live.read_version_content(ctx.clients, agent_id, version, where="test")
        fns = {f["name"] for f in content["action_groups"]["OrderTools"]["functionSchema"]
               ["functions"]}
        return lambda req: _fake_turn(fns, req)

    monkeypatch.setattr(runner, "pinned_alias", pin)
    monkeypatch.setattr(runner, "runtime_invoker", invoker)
    return seen


def gated(p: Project) -> Project:
    """PROD gated on evals/*.yaml, as the README's walkthrough sets it up."""
    text = (p.root / "agentctl.yaml").read_text()
    if "gates:" not in text:
        p.edit("agentctl.yaml", "  versionRetention: 5\n",
               "  versionRetention: 5\n  gates:\n" + GATE)
    return p


def routed(p: Project, alias: str) -> str:
    r = p.cli("status", "--output", "json")
    doc = json.loads(r.out)
    (agent,) = [a for a in doc["agents"] if a["name"] == AGENT]
    return next(a["version"] for a in agent["aliases"] if a["name"] == alias)


def test_eval_then_promote_then_regression_refused_then_skip_eval(support_bot, fake_runtime,
                                                                   tmp_path):
    p = gated(support_bot)
    assert p.cli("apply", "--auto-approve").code == 0
    plan = p.cli("plan")
    assert "PROD (support-bot) is gated" in plan.out

    # Not evaluated yet: PROD is gated.
    r = p.cli("promote", "PROD", "--agent", AGENT, "--from", "STAGING")
    assert r.code == ExitCode.GATE_REFUSED, r.err
    assert "no run on this version's content" in r.err

    junit = tmp_path / "junit.xml"
    r = p.cli("eval", "--agent", AGENT, "--alias", "STAGING", "--junit", str(junit))
    assert r.code == 0, r.out + r.err
    assert "PASS" in r.out and "FAIL" not in r.out
    assert "Tool-selection accuracy: 100%" in r.out
    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures")) == ("7", "0")
    v1 = routed(p, "STAGING")
    assert fake_runtime["versions"] == [v1]

    r = p.cli("promote", "PROD", "--agent", AGENT, "--from", "STAGING")
    assert r.code == 0, r.err
    assert routed(p, "PROD") == v1

    # Regression: the tool is renamed; apply cuts a new version that STAGING follows.
    p.edit("agents/support-bot.yaml", "- name: get_order_status", "- name: lookup_order_status")
    assert p.cli("apply", "--auto-approve").code == 0
    v2 = routed(p, "STAGING")
    assert v2 != v1
    r = p.cli("eval", "--agent", AGENT, "--alias", "STAGING", "--output", "json")
    assert r.code == ExitCode.EVAL_FAILED
    doc = json.loads(r.out)
    assert doc["passed"] is False and doc["version"] == v2
    failed = {c["name"] for s in doc["suites"] for c in s["cases"] if not c["passed"]}
    assert failed == {"order-status", "cancel-declined-is-not-cancelled",
                      "cancel-of-shipped-order-is-refused"}
    human = p.cli("eval", "--agent", AGENT, "--alias", "STAGING")
    assert human.code == ExitCode.EVAL_FAILED
    assert "FAIL support-bot-regression: order-status" in human.out
    assert "expected trajectory: OrderTools.get_order_status(order_id='A-482')" in human.out
    assert "actual trajectory:   OrderTools.lookup_order_status(order_id='A-482')" in human.out

    r = p.cli("promote", "PROD", "--agent", AGENT, "--from", "STAGING")
    assert r.code == ExitCode.GATE_REFUSED
    assert "failing: order-status, cancel-declined-is-not-cancelled, " \
           "cancel-of-shipped-order-is-refused" in r.err
    assert routed(p, "PROD") == v1

    r = p.cli("promote", "PROD", "--agent", AGENT, "--from", "STAGING", "--skip-eval")
    assert r.code == ExitCode.USAGE and "--reason" in r.err
    r = p.cli("promote", "PROD", "--agent", AGENT, "--from", "STAGING", "--skip-eval",
              "--reason", "hotfix INC-42, rename reviewed")
    assert r.code == 0, r.err
    assert routed(p, "PROD") == v2

    h = p.cli("history", "PROD", "--agent", AGENT)
    assert h.code == 0
    line_v2 = next(line for line in h.out.splitlines() if line.startswith(v2 + " "))
    assert "eval failed" in line_v2 and "hotfix INC-42, rename reviewed" in line_v2
    line_v1 = next(line for line in h.out.splitlines() if line.startswith(v1 + " "))
    assert "eval passed" in line_v1
    hj = json.loads(p.cli("history", "PROD", "--agent", AGENT, "-o", "json").out)
    ev = {e["version"]: e for e in hj["events"]}
    assert ev[v2]["promotions"][0]["verdict"] == "skipped"
    assert ev[v1]["eval"] == "passed"


def test_eval_usage_errors(support_bot, fake_runtime):
    p = support_bot
    assert p.cli("eval", "--agent", AGENT).code == ExitCode.USAGE
    assert p.cli("eval", "--agent", AGENT, "--alias", "STAGING", "--version", "1").code == \
        ExitCode.USAGE
    assert p.cli("apply", "--auto-approve").code == 0
    r = p.cli("eval", "--agent", AGENT, "--alias", "NOPE")
    assert r.code == ExitCode.USAGE and "STAGING" in r.err
    r = p.cli("eval", "nope.yaml", "--agent", AGENT, "--alias", "STAGING")
    assert r.code == ExitCode.USAGE and "no such eval suite" in r.err
    r = p.cli("eval", "--agent", AGENT, "--alias", "STAGING", "--repeat", "0")
    assert r.code == ExitCode.USAGE
    p.edit("evals/support-bot.yaml", "order: exact", "order: exactly")
    lines = (p.root / "evals" / "support-bot.yaml").read_text().splitlines()
    n = next(i for i, line in enumerate(lines, 1) if "order: exactly" in line)
    col = lines[n - 1].index("exactly") + 1
    r = p.cli("eval", "--agent", AGENT, "--alias", "STAGING")
    assert r.code == ExitCode.INVALID_SPEC
    assert f"evals/support-bot.yaml:{n}:{col}: error: 'exactly' is not one of" in r.err


def test_eval_by_version_and_repeat(support_bot, fake_runtime):
    p = gated(support_bot)
    assert p.cli("apply", "--auto-approve").code == 0
    v = routed(p, "STAGING")
    r = p.cli("eval", "--agent", AGENT, "--version", v, "--repeat", "2", "-o", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["suites"][0]["attempts"] == 14 and doc["alias"] is None
    # A run by version counts for the gate like one by alias (same content).
    assert p.cli("promote", "PROD", "--agent", AGENT, "--version", v).code == 0


# ------------------------------------------------------------------ the real local runtime

def _local_runtime():
    # The emulator answers InvokeAgent (agentctl.emulator.runtime) with the example's scripted
    # model; without it these scenarios cannot run at all.
    return pytest.importorskip("agentctl.emulator.runtime")


def test_real_runtime_eval_gate_story(support_bot, tmp_path):
    """The issue's story on the local target, nothing faked: apply -> eval STAGING passes ->
    promote PROD; rename get_order_status, apply -> eval fails naming the case -> promote
    refused, PROD unchanged -> --skip-eval promotes, history shows the audit entry."""
    _local_runtime()
    p = gated(support_bot)
    assert p.cli("apply", "--auto-approve").code == 0
    r = p.cli("eval", "--agent", AGENT, "--alias", "STAGING")
    assert r.code == 0, r.out + r.err
    assert "support-bot-regression: passed: 7/7" in r.out
    v1 = routed(p, "STAGING")
    r = p.cli("promote", "PROD", "--agent", AGENT, "--from", "STAGING")
    assert r.code == 0, r.err

    p.edit("agents/support-bot.yaml", "- name: get_order_status", "- name: lookup_order_status")
    assert p.cli("apply", "--auto-approve").code == 0
    v2 = routed(p, "STAGING")
    r = p.cli("eval", "--agent", AGENT, "--alias", "STAGING")
    assert r.code == ExitCode.EVAL_FAILED
    assert "FAIL support-bot-regression: order-status" in r.out
    assert "expected OrderTools.get_order_status(order_id='A-482')" in r.out
    r = p.cli("promote", "PROD", "--agent", AGENT, "--from", "STAGING")
    assert r.code == ExitCode.GATE_REFUSED and "order-status" in r.err
    assert routed(p, "PROD") == v1
    r = p.cli("promote", "PROD", "--agent", AGENT, "--from", "STAGING", "--skip-eval",
              "--reason", "INC-7 hotfix")
    assert r.code == 0 and routed(p, "PROD") == v2
    h = p.cli("history", "PROD", "--agent", AGENT).out
    assert any(line.startswith(v2 + " ") and "INC-7 hotfix" in line and "eval failed" in line
               for line in h.splitlines()), h


def test_real_runtime_the_alias_moving_during_the_run_does_not_matter(support_bot, monkeypatch):
    """STAGING is moved back to the good version while the eval of the renamed one runs: every
    case still runs on the version STAGING served at the start (and fails where it should)."""
    _local_runtime()
    from agentctl.runtime import session

    p = support_bot
    assert p.cli("apply", "--auto-approve").code == 0
    v1 = routed(p, "STAGING")
    p.edit("agents/support-bot.yaml", "- name: get_order_status", "- name: lookup_order_status")
    assert p.cli("apply", "--auto-approve").code == 0
    v2 = routed(p, "STAGING")
    real = session.run_turn
    moved = []

    def run_turn(client, **kw):
        if not moved:
            emu, c = p.boto()
            try:
                (agent,) = c.list_agents()["agentSummaries"]
                aliases = c.list_agent_aliases(agentId=agent["agentId"])["agentAliasSummaries"]
                staging = next(a for a in aliases if a["agentAliasName"] == "STAGING")
                c.update_agent_alias(agentId=agent["agentId"],
                                     agentAliasId=staging["agentAliasId"],
                                     agentAliasName="STAGING",
                                     routingConfiguration=[{"agentVersion": v1}])
                moved.append(staging["agentAliasId"])
            finally:
                emu.close()
        assert kw["alias_id"] != moved[0]  # never the named alias itself
        return real(client, **kw)

    monkeypatch.setattr(session, "run_turn", run_turn)
    r = p.cli("eval", "--agent", AGENT, "--alias", "STAGING", "--parallel", "1", "-o", "json")
    doc = json.loads(r.out)
    assert moved and routed(p, "STAGING") == v1
    assert r.code == ExitCode.EVAL_FAILED and doc["version"] == v2
    failed = {c["name"] for s in doc["suites"] for c in s["cases"] if not c["passed"]}
    assert failed == {"order-status", "cancel-declined-is-not-cancelled",
                      "cancel-of-shipped-order-is-refused"}
