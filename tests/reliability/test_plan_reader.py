"""Damaged saved plans that still carry a matching plan_id (edited by hand, then re-hashed)
are refused by the reader, not by whatever later splits their addresses or calls their
operations. Found by test_hostile_input.py's damaged-plan property (an empty address crashed
the renderer with IndexError)."""

from __future__ import annotations

import json

import pytest

from agentctl.errors import AgentctlError
from agentctl.plan import codec
from tests.reliability.test_hostile_input import _saved_plan_doc


def _rehashed(doc: dict) -> str:
    """``doc`` with a plan_id that matches its (damaged) content."""
    plan = None
    original = codec.compute_plan_id
    try:
        codec.compute_plan_id = lambda p: p.plan_id   # parse once without the integrity check
        plan = codec.loads(json.dumps(doc))
    finally:
        codec.compute_plan_id = original
    return json.dumps({**doc, "plan_id": codec.compute_plan_id(plan)})


@pytest.mark.parametrize("where,value", [
    ("change-address", ""), ("change-address", "billing-agent"), ("change-address", "agent."),
    ("change-address", "agent.x.alias"), ("step-address", "nope.x"), ("step-after", "agent"),
    ("step-operation", "DropEverything"),
])
def test_a_rehashed_plan_with_a_damaged_address_or_operation_is_refused(where, value):
    doc = _saved_plan_doc()
    damaged = json.loads(json.dumps(doc))
    if where == "change-address":
        damaged["changes"][0]["address"] = value
    elif where == "step-address":
        damaged["steps"][0]["address"] = value
    elif where == "step-after":
        damaged["steps"][0]["after"] = [value]
    else:
        damaged["steps"][0]["operation"] = value
    with pytest.raises(AgentctlError) as ei:
        codec.loads(_rehashed_or_raw(damaged), source="p.plan")
    assert ei.value.where == "p.plan"
    assert "corrupt saved plan" in ei.value.what


def _rehashed_or_raw(doc: dict) -> str:
    # With the fix the reader refuses the damage before hashing, so no plan_id can be computed
    # for it: the raw document then carries the original (now wrong) plan_id, and the refusal
    # must still be about the damage, not the hash.
    try:
        return _rehashed(doc)
    except AgentctlError:
        return json.dumps(doc)


def test_an_intact_plan_still_loads():
    doc = _saved_plan_doc()
    plan = codec.loads(json.dumps(doc), source="p.plan")
    assert plan.plan_id == doc["plan_id"] and plan.steps
