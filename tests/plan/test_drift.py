"""agentctl.plan.drift (pure): the last applied configuration vs a live snapshot."""

from __future__ import annotations

import dataclasses

from agentctl.core.model import Ref
from agentctl.core.normalize import canonicalize, config_document
from agentctl.plan.drift import compute_drift

from .builders import config, live_agent, live_alias, state


def _record(cfg) -> dict:
    return {"configuration": config_document(canonicalize(cfg)), "plan_id": "p" * 64,
            "applied_at": "2026-12-01T09:00:00.000Z"}


def test_what_was_applied_is_in_sync():
    cfg = config()
    report = compute_drift({"support-bot": _record(cfg)}, state(live_agent(cfg)),
                           project="support", environment="local", names=["support-bot"])
    assert [(a.agent, a.status, a.changes) for a in report.agents] == [
        ("support-bot", "in_sync", ())]
    assert not report.has_drift


def test_edits_outside_agentctl_are_listed_by_readable_path():
    applied = config()
    edited = config(agent={**applied.agent, "instruction": "Be rude. " * 10},
                    tags={"team": "support", "owner": "console-user"})
    report = compute_drift({"support-bot": _record(applied)}, state(live_agent(edited)),
                           project="support", environment="local", names=["support-bot"])
    (drift,) = report.agents
    assert drift.status == "drifted" and report.has_drift
    assert [(d.path, d.kind) for d in drift.changes] == [
        ("instruction", "changed"), ("tags.owner", "added")]


def test_deleted_unowned_and_never_applied():
    cfg = config()
    report = compute_drift({"a": _record(cfg), "b": _record(cfg)}, state(unowned={"b": "ID"}),
                           project="support", environment="local", names=["a", "b", "c"])
    assert [(a.agent, a.status) for a in report.agents] == [
        ("a", "deleted"), ("b", "unowned"), ("c", "never_applied")]


def test_collaborator_placeholders_resolve_to_the_live_alias():
    billing = live_agent(config("billing-agent"), agent_id="BILLING001",
                         aliases={"PROD": live_alias("PROD", "1", agent_id="BILLING001")})
    arn = billing.aliases["PROD"].arn
    collab = {"agentDescriptor": {"aliasArn": Ref("agent.billing-agent.alias.PROD", "aliasArn")},
              "collaborationInstruction": "Billing questions."}
    applied = config("sup", collaborators={"billing": collab})
    live_cfg = dataclasses.replace(applied, collaborators={
        "billing": {**collab, "agentDescriptor": {"aliasArn": arn}}})
    sup = live_agent(live_cfg, agent_id="SUPERVIS01")
    report = compute_drift({"sup": _record(applied)}, state(sup, billing),
                           project="support", environment="local", names=["sup"])
    assert report.agents[0].status == "in_sync", report.agents[0].changes
    # Pointing the collaborator elsewhere outside agentctl is drift.
    moved = live_agent(dataclasses.replace(applied, collaborators={
        "billing": {**collab, "agentDescriptor": {"aliasArn": arn + "X"}}}),
        agent_id="SUPERVIS01")
    report = compute_drift({"sup": _record(applied)}, state(moved, billing),
                           project="support", environment="local", names=["sup"])
    assert [d.path for d in report.agents[0].changes] == [
        "collaborators[billing].agentDescriptor.aliasArn"]
