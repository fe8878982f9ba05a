"""Golden renderings of the lifecycle results (render/result.py, render/drift.py): status,
history and emulator call tables, the destroy preview, apply outcomes and the drift view, byte
for byte, plain and (for one of each kind) coloured with the palette. Inputs are built here from
the public dataclasses; ``pytest --update-golden`` rewrites ``tests/golden/results/*.txt``.
User data with rich-markup look-alikes (``[bold]``, ``functions[get_order_status]``,
``/orders/{orderId}``) must come out verbatim."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentctl.apply.lifecycle import AgentStatus, AliasStatus, HistoryEntry
from agentctl.plan.drift import AgentDrift, DriftReport
from agentctl.plan.explain import FieldDifference
from agentctl.plan.model import Action, AgentLifecycle, ApplyResult, Plan, ResourceChange, Step, StepResult
from agentctl.render import drift as drift_render
from agentctl.render import result as R
from agentctl.render.palette import to_text

HERE = Path(__file__).parent / "results"

STATUSES = [
    AgentStatus("support-bot", True, True, True, "F2FIR1QV44", "PREPARED", "2", True,
                (AliasStatus("PROD", "1", "PREPARED", None),
                 AliasStatus("STAGING", "2", "PREPARED", "REJECT_INVOCATIONS")), ("1", "2")),
    AgentStatus("billing [bold]x[/bold]", True, True, True, "AGENT00002", "FAILED", "1", False,
                (), ("1",), ("functions[get_order_status]: bad /orders/{orderId}",)),
    AgentStatus("old-bot", False, True, True, "AGENT00003", "NOT_PREPARED"),
    AgentStatus("stranger", True, True, False, "AGENT00004"),
    AgentStatus("new-bot", True, False, False),
]

HISTORY = [HistoryEntry("2", "2026-12-01T09:00:00+00:00", None, True),
           HistoryEntry("1", "2026-11-30T08:00:00+00:00", "2026-12-01T09:00:00+00:00", False)]

CALLS = [
    {"seq": 1, "time": "2026-12-01T09:00:00.000+00:00", "transport": "inprocess",
     "operation": "CreateAgent", "outcome": "ok"},
    {"seq": 12, "time": "2026-12-01T09:00:01.250+00:00", "transport": "http",
     "operation": "PrepareAgent", "outcome": "ConflictException"},
]


def _step(addr: str, op: str, desc: str) -> Step:
    return Step(op, {}, addr, desc)


DESTROY_STEPS = (
    _step("agent.bot.alias.PROD", "DeleteAgentAlias", "delete alias PROD"),
    _step("agent.bot.action_group.OrderTools", "UpdateAgentActionGroup",
          "disable action group OrderTools"),
    _step("agent.bot.action_group.OrderTools", "DeleteAgentActionGroup",
          "delete action group OrderTools"),
    _step("agent.bot", "DeleteAgent", "delete agent bot and its versions"),
)


def _destroy_plan() -> Plan:
    changes = tuple(ResourceChange(a, k, Action.DELETE, {"x": 1}, None) for a, k in (
        ("agent.bot", "agent"), ("agent.bot.alias.PROD", "alias"),
        ("agent.bot.action_group.OrderTools", "action_group")))
    return Plan(1, "support", "local", {"kind": "local"}, "", {"bot": "f"}, changes,
                (AgentLifecycle("bot", False, False, None, delete_versions=("1", "2")),),
                DESTROY_STEPS, plan_id="p" * 64)


def _ok(steps) -> ApplyResult:
    return ApplyResult(tuple(StepResult(s, True) for s in steps), None, (), {})


def _failed() -> ApplyResult:
    done = StepResult(DESTROY_STEPS[0], True)
    bad = StepResult(DESTROY_STEPS[1], False,
                     error="agent.bot.action_group.OrderTools: UpdateAgentActionGroup failed: "
                           "ConflictException: busy [bold]")
    return ApplyResult((done,), bad, DESTROY_STEPS[2:], {}, failures=(bad,))


DRIFT = DriftReport("support", "local", (
    AgentDrift("support-bot", "drifted", (
        FieldDifference("actionGroups[OrderTools].functionSchema.functions[0].description",
                        "changed", "Look up /orders/{orderId}", "[bold]changed[/bold]"),
        FieldDifference("instruction", "changed", "Help.\nBe kind.\n", "Help.\nBe brief.\n"),
        FieldDifference("tags.owner", "added", None, "console-user"),
        FieldDifference("aliases[HOTFIX]", "added", None, {}),
        FieldDifference("memoryConfiguration", "removed",
                        {"enabledMemoryTypes": ["SESSION_SUMMARY"]}, None),
    ), "2026-12-01T09:00:00.000Z", "a" * 64),
    AgentDrift("billing-agent", "in_sync", (), "2026-12-01T09:00:00.000Z", "b" * 64),
    AgentDrift("gone-bot", "deleted", (), "2026-11-01T09:00:00.000Z", "c" * 64),
    AgentDrift("new-bot", "never_applied"),
))

CASES = {
    "status": lambda color: R.render_status(STATUSES, color=color),
    "status_empty": lambda color: R.render_status([], color=color),
    "history": lambda color: R.render_history("support-bot", "PROD", HISTORY, color=color),
    "history_empty": lambda color: R.render_history("support-bot", "PROD", [], color=color),
    "calls": lambda color: to_text(R.calls_table(CALLS), color=color),
    "destroy_preview": lambda color: R.render_destroy_preview(_destroy_plan()),
    "destroy_result": lambda color: R.render_apply_result(_ok(DESTROY_STEPS), plan=_destroy_plan(),
                                                          color=color, verb="Destroy"),
    "apply_failed": lambda color: R.render_apply_result(_failed(), plan=_destroy_plan(),
                                                        color=color),
    "drift": lambda color: drift_render.render_drift(DRIFT, color=color),
}
COLOURED = {"status", "calls", "apply_failed", "drift"}


@pytest.mark.parametrize("case,color", [(c, False) for c in CASES] +
                         [(c, True) for c in sorted(COLOURED)])
def test_result_golden(case: str, color: bool, update_golden: bool) -> None:
    text = CASES[case](color)
    path = HERE / (f"{case}.ansi.txt" if color else f"{case}.txt")
    if update_golden:
        path.write_text(text, encoding="utf-8")
        return
    assert text == path.read_text("utf-8")
    if not color:
        assert "\x1b" not in text


@pytest.mark.parametrize("case", sorted(COLOURED))
def test_colour_changes_no_character(case: str) -> None:
    import re

    assert re.sub(r"\x1b\[[0-9;]*m", "", CASES[case](True)) == CASES[case](False)


def test_markup_look_alikes_are_verbatim():
    assert "billing [bold]x[/bold]" in CASES["status"](False)
    assert "functions[get_order_status]: bad /orders/{orderId}" in CASES["status"](True)
    assert '"[bold]changed[/bold]"' in CASES["drift"](True)
    assert "busy [bold]" in CASES["apply_failed"](True)
