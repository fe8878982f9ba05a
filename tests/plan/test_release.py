"""Releases of agents whose aliases are all pinned (issue 12 item 2).

Before: such an agent (the multi-agent example's supervisor, LIVE pinned) could never release a
change: the plan said ``prepare DRAFT; LIVE stays on 1``, the next plan "No changes", status
"DRAFT has unreleased changes", and there was no version to promote. Now agentctl's release
alias (``agentctl-release``, tracking the latest version) cuts the version, planned and shown
like any other alias; declared aliases never move. And a pinned supervisor alias still routed
to a version whose collaborator alias is gone gets a note saying what to promote.
"""

from __future__ import annotations

import dataclasses

from agentctl.core.model import RELEASE_ALIAS, RELEASE_ALIAS_DESCRIPTION, TRACK_LATEST, Ref
from agentctl.plan.model import Action
from agentctl.plan.planner import build_plan
from agentctl.render._text import lifecycle_line

from . import builders as B

PINNED = {"LIVE": B.alias("LIVE", description="Chat widget")}
RELEASE_ADDRESS = f"agent.support-bot.alias.{RELEASE_ALIAS}"


def plan_for(desired, live):
    return build_plan({desired.name: desired}, live, project="support", environment="local")


def pinned_config(**kw):
    return B.config(aliases=dict(PINNED), **kw)


def pinned_live(cfg, *, release_on: str | None = None, live_on: str = "1", versions=None):
    aliases = {"LIVE": B.live_alias("LIVE", live_on, description="Chat widget")}
    if release_on is not None:
        aliases[RELEASE_ALIAS] = B.live_alias(RELEASE_ALIAS, release_on, alias_id="RELEASE000",
                                              description=RELEASE_ALIAS_DESCRIPTION)
    return B.live_agent(cfg, aliases=aliases,
                        versions=versions or (B.version("1", cfg),))


def changed(cfg):
    return dataclasses.replace(cfg, agent={**cfg.agent, "description": "Now with returns."})


def test_a_change_to_a_pinned_only_agent_cuts_a_version_through_the_release_alias():
    old = pinned_config()
    plan = plan_for(changed(old), B.state(pinned_live(old)))
    alias_steps = [s for s in plan.steps if s.operation.endswith("AgentAlias")]
    assert [(s.operation, s.address, s.cuts_version) for s in alias_steps] == [
        ("CreateAgentAlias", RELEASE_ADDRESS, True)]  # LIVE is not touched
    (lc,) = plan.lifecycle
    assert lc.new_version and lc.next_version_hint == "2"
    assert [(m.alias, m.from_version) for m in lc.stays] == [("LIVE", "1")]
    line = lifecycle_line(lc)
    assert "cut version 2" in line and "LIVE stays on 1" in line
    assert f"agentctl promote LIVE --agent support-bot --from {RELEASE_ALIAS}" in line
    # Shown as a resource, like any alias the plan creates.
    change = next(c for c in plan.changes if c.address == RELEASE_ADDRESS)
    assert change.action is Action.CREATE


def test_after_the_release_plan_and_content_agree():
    new = changed(pinned_config())
    live = pinned_live(new, release_on="2",
                       versions=(B.version("1", pinned_config()), B.version("2", new)))
    plan = plan_for(new, B.state(live))
    assert not plan.has_changes
    assert all(c.action is Action.NOOP for c in plan.changes)


def test_a_converged_pinned_only_agent_never_gains_the_release_alias():
    cfg = pinned_config()
    plan = plan_for(cfg, B.state(pinned_live(cfg)))
    assert not plan.has_changes and RELEASE_ADDRESS not in {c.address for c in plan.changes}


def test_the_first_version_is_still_cut_by_the_first_alias_created():
    plan = plan_for(pinned_config(), B.state())
    (cut,) = [s for s in plan.steps if s.cuts_version]
    assert (cut.operation, cut.address) == ("CreateAgentAlias", "agent.support-bot.alias.LIVE")
    assert RELEASE_ADDRESS not in {s.address for s in plan.steps}


def test_an_existing_release_alias_is_updated_without_routing_to_cut_the_next_version():
    old = pinned_config()
    live = pinned_live(old, release_on="1")
    plan = plan_for(changed(old), B.state(live))
    (cut,) = [s for s in plan.steps if s.cuts_version]
    assert (cut.operation, cut.address) == ("UpdateAgentAlias", RELEASE_ADDRESS)
    assert "routingConfiguration" not in cut.params
    assert not [s for s in plan.steps if s.address == "agent.support-bot.alias.LIVE"]


def test_the_release_alias_goes_once_a_declared_alias_tracks_the_latest_version():
    old = pinned_config()
    live = pinned_live(old, release_on="1")
    desired = dataclasses.replace(old, aliases={
        **old.aliases, "STAGING": B.alias("STAGING", TRACK_LATEST)})
    plan = plan_for(desired, B.state(live))
    deletes = [s.address for s in plan.steps if s.operation == "DeleteAgentAlias"]
    assert deletes == [RELEASE_ADDRESS]


def _supervisor(billing_arn):
    return B.config(agent=B.agent_members(agentCollaboration="SUPERVISOR"), aliases=dict(PINNED),
                    collaborators={"billing": {
                        "agentDescriptor": {"aliasArn": billing_arn},
                        "collaborationInstruction": "Route billing questions here."}})


def test_a_pinned_supervisor_alias_on_a_version_with_a_deleted_collaborator_alias_is_noted():
    # billing-agent was destroyed and created again: new agent id, new PROD alias ARN.
    old_arn = "arn:aws:bedrock:us-east-1:123456789012:agent-alias/OLDBILLING/PROD000000"
    billing = B.live_agent(B.config("billing-agent"), agent_id="NEWBILLING")
    new_arn = billing.aliases["PROD"].arn
    old, now = _supervisor(old_arn), _supervisor(new_arn)
    sup = pinned_live(now, live_on="1", release_on="2",
                      versions=(B.version("1", old), B.version("2", now)))
    desired = {"support-bot": _supervisor(Ref("agent.billing-agent.alias.PROD", "agentAliasArn")),
               "billing-agent": B.config("billing-agent")}
    plan = build_plan(desired, B.state(sup, billing), project="support", environment="local")
    assert not plan.has_changes  # "No changes" ... but not silently:
    (live_change,) = [c for c in plan.changes if c.address == "agent.support-bot.alias.LIVE"]
    assert "routes to version 1, whose collaborator billing uses alias " + old_arn in live_change.reason
    assert "whose agent no longer exists" in live_change.reason
    assert f"agentctl promote LIVE --agent support-bot --from {RELEASE_ALIAS}" in live_change.reason
    # Once LIVE is promoted to the version with the new alias, the note is gone.
    promoted = pinned_live(now, live_on="2", release_on="2",
                           versions=(B.version("1", old), B.version("2", now)))
    plan = build_plan(desired, B.state(promoted, billing), project="support", environment="local")
    assert not any(c.reason for c in plan.changes if c.address.startswith("agent.support-bot"))


def test_a_supervisor_alias_the_plan_moves_is_not_noted():
    old_arn = "arn:aws:bedrock:us-east-1:123456789012:agent-alias/OLDBILLING/PROD000000"
    billing = B.live_agent(B.config("billing-agent"), agent_id="NEWBILLING")
    old = _supervisor(old_arn)
    tracking = dataclasses.replace(old, aliases={"STAGING": B.alias("STAGING", TRACK_LATEST)})
    sup = B.live_agent(tracking, aliases={"STAGING": B.live_alias("STAGING", "1")},
                       versions=(B.version("1", old),))
    desired = {"support-bot": dataclasses.replace(
                   _supervisor(Ref("agent.billing-agent.alias.PROD", "agentAliasArn")),
                   aliases=tracking.aliases),
               "billing-agent": B.config("billing-agent")}
    plan = build_plan(desired, B.state(sup, billing), project="support", environment="local")
    assert not any(c.reason for c in plan.changes if c.address.startswith("agent.support-bot."))
