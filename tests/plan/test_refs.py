"""One ``Ref`` form: in memory a value known after apply is a ``Ref`` object and nothing else
(``agentctl.core.model.is_ref``, the one predicate); ``{"$ref", "key"}`` exists only as text in
saved plans and ``--output json``, and user data containing ``$ref`` keys is never taken for one."""

from __future__ import annotations

import json

import pytest

from agentctl.core.model import Ref, is_ref, plain, refs_from_json
from agentctl.plan import codec
from agentctl.plan.planner import build_plan

from . import builders as B


@pytest.mark.parametrize("value", [
    {"$ref": "agent.a", "key": "agentId"},       # the JSON form is text, not a Ref
    {"$ref": "#/components/schemas/Order"},       # OpenAPI's own references
    {"$ref": "agent.a"},
    "agent.a",
])
def test_only_ref_objects_are_refs(value):
    assert not is_ref(value)
    assert is_ref(Ref("agent.a", "agentId"))


def test_json_form_round_trips_and_leaves_user_dollar_refs_alone():
    value = {"id": Ref("agent.a.alias.PROD", "agentAliasArn"),
             "openapi": {"$ref": "#/components/schemas/Order"},
             "lookalike": {"$ref": "#/x", "key": "y"}}
    text = json.dumps(plain(value, refs_as_json=True))
    assert json.loads(text)["id"] == {"$ref": "agent.a.alias.PROD", "key": "agentAliasArn"}
    assert refs_from_json(json.loads(text)) == value


def test_saved_plan_keeps_refs_and_user_data_apart():
    """A plan holding both a Ref and user data with ``$ref`` keys survives the saved-plan file:
    the Ref comes back as a Ref, the user's dicts as dicts (the plan id proves nothing moved)."""
    desired = B.config(agent={**B.config().agent, "promptOverrideConfiguration": {"promptConfigurations": [{
        "promptType": "ORCHESTRATION", "promptCreationMode": "OVERRIDDEN", "basePromptTemplate": "T",
        "additionalModelRequestFields": {"schema": {"$ref": "#/defs/answer"}}}]}})
    plan = build_plan({desired.name: desired}, B.state(), project="support", environment="local")
    assert any(is_ref(s.params.get("agentId")) for s in plan.steps)
    again = codec.loads(codec.dumps(plan))
    assert again == plan
    create = next(s for s in again.steps if s.operation == "CreateAgent")
    poc = create.params["promptOverrideConfiguration"]["promptConfigurations"][0]
    assert poc["additionalModelRequestFields"] == {"schema": {"$ref": "#/defs/answer"}}


def test_drift_resolves_a_recorded_collaborator_ref_to_the_live_alias_arn():
    """A last-applied record is JSON text; its collaborator placeholder is read back as a Ref and
    resolved to the live alias ARN, so an unchanged supervisor is in sync (with the predicate that
    only knew the dict form, and the key it expected, the placeholder stayed and read as drift)."""
    import dataclasses

    from agentctl.core.normalize import canonicalize, config_document
    from agentctl.plan.drift import IN_SYNC, compute_drift

    billing = B.live_agent(B.config("billing-agent"), agent_id="BILLING001")
    arn = billing.aliases["PROD"].arn
    sup = dataclasses.replace(B.config(), agent={**B.config().agent, "agentCollaboration": "SUPERVISOR"})
    desired = canonicalize(dataclasses.replace(sup, collaborators={"billing": {
        "agentDescriptor": {"aliasArn": Ref("agent.billing-agent.alias.PROD", "agentAliasArn")},
        "collaborationInstruction": "Billing questions."}}))
    live_sup = B.live_agent(dataclasses.replace(desired, collaborators={"billing": {
        "agentDescriptor": {"aliasArn": arn}, "collaborationInstruction": "Billing questions."}}))
    record = {"configuration": json.loads(json.dumps(config_document(desired))),
              "applied_at": "2026-01-01T00:00:00Z", "plan_id": "p"}
    report = compute_drift({"support-bot": record}, B.state(live_sup, billing),
                           project="support", environment="local", names=["support-bot"])
    (drift,) = report.agents
    # (The builders' live aliases carry the raw ACCEPT_INVOCATIONS the real reader canonicalizes;
    # only the collaborator matters here.)
    assert [c for c in drift.changes if "collaborator" in str(c)] == []
    assert drift.status == IN_SYNC or all("aliasInvocationState" in str(c) for c in drift.changes)
