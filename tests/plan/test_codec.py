"""codec: exact round-trip and clear refusals."""

from __future__ import annotations

import json

import pytest

from agentctl.errors import AgentctlError, StalePlan
from agentctl.exitcodes import ExitCode
from agentctl.plan import codec
from agentctl.plan.planner import build_plan

from . import builders as B
from .test_invariants import rich_config


def sample_plans():
    live = B.state(B.live_agent(B.config("old-bot"), agent_id="OLDAGENT01"))
    return [
        build_plan({"support-bot": rich_config()}, live, project="support", environment="local",
                   created_at="2026-11-24T23:00:00Z", prune=True),
        build_plan({"support-bot": B.config()}, B.state(B.live_agent()), project="support",
                   environment="local"),
    ]


@pytest.mark.parametrize("plan", sample_plans())
def test_round_trip_is_exact(plan):
    text = codec.dumps(plan)
    again = codec.loads(text)
    assert again == plan
    assert codec.dumps(again) == text
    assert json.loads(text)["format_version"] == 1


def test_wrong_format_version_is_a_stale_plan():
    doc = json.loads(codec.dumps(sample_plans()[1]))
    doc["format_version"] = 99
    with pytest.raises(StalePlan) as e:
        codec.loads(json.dumps(doc), source="plan.json")
    assert e.value.exit_code is ExitCode.STALE_PLAN
    assert "99" in e.value.what and e.value.where == "plan.json"


@pytest.mark.parametrize("text", ["", "{", "[]", '{"plan": 1}', "null"])
def test_not_a_plan(text):
    with pytest.raises(AgentctlError, match="not a saved plan") as e:
        codec.loads(text)
    # The hint names the flag that writes a plan file (``-o`` is ``--output``).
    assert "`agentctl plan --out FILE`" in e.value.hint


def test_missing_field_is_corrupt():
    doc = json.loads(codec.dumps(sample_plans()[0]))
    del doc["steps"][0]["params"]
    with pytest.raises(AgentctlError, match="corrupt saved plan.*params"):
        codec.loads(json.dumps(doc))


def test_wrong_type_is_corrupt():
    doc = json.loads(codec.dumps(sample_plans()[0]))
    doc["changes"][0]["action"] = "explode"
    with pytest.raises(AgentctlError, match="corrupt saved plan"):
        codec.loads(json.dumps(doc))


def test_edited_plan_is_refused():
    doc = json.loads(codec.dumps(sample_plans()[0]))
    doc["steps"][0]["params"]["agentName"] = "someone-else"
    with pytest.raises(AgentctlError, match="does not match its plan_id"):
        codec.loads(json.dumps(doc))


def test_created_at_may_change_without_invalidating():
    doc = json.loads(codec.dumps(sample_plans()[0]))
    doc["created_at"] = "2030-01-01T00:00:00Z"
    assert codec.loads(json.dumps(doc)).created_at == "2030-01-01T00:00:00Z"
