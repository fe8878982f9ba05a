"""Builders for canonical values, live state and AWS-shaped read-backs used by the plan tests.

Every builder takes keyword overrides, so a test states only what it is about. The
``aws_*_response`` functions play the service: they turn the request the planner sends into the
shape the real GetAgent / GetAgentActionGroup / ... return (server-owned fields added, defaults
filled in, the ``parentActionSignature`` rename, DEFAULT-mode prompt entries echoed, the OpenAPI
payload as text), for the "plan after apply is empty" invariant.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, Mapping

from agentctl.core.model import (
    OWNER_TAG,
    OWNER_TAG_VALUE,
    PROJECT_TAG,
    TRACK_LATEST,
    TRACK_PINNED,
    AgentConfig,
    AliasConfig,
    LiveAgent,
    LiveAlias,
    LiveState,
    LiveVersion,
    Target,
)
from agentctl.core.normalize import canonicalize

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/AgentRole"
MODEL = "anthropic.claude-3-5-sonnet-20241022-v2:0"
LAMBDA = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:order-tools"
INSTRUCTION = ("You are a support agent for an online shop. Answer questions about orders "
               "politely and concisely.")
TARGET = Target(kind="local", region=REGION, account=ACCOUNT, endpoint="http://127.0.0.1:0")

ORDER_TOOLS = {
    "description": "Look up and cancel customer orders.",
    "actionGroupExecutor": {"lambda": LAMBDA},
    "functionSchema": {"functions": [
        {"name": "get_order_status",
         "description": "Look up the shipping status of a customer order by ID.",
         "parameters": {"order_id": {"type": "string", "description": "The order ID.",
                                     "required": True}}},
        {"name": "cancel_order", "description": "Cancel an order.",
         "requireConfirmation": "ENABLED",
         "parameters": {"order_id": {"type": "string", "description": "The order ID.",
                                     "required": True},
                        "reason": {"type": "string", "description": "Why.", "required": False}}},
    ]},
}

ORDER_API = {
    "description": "Orders REST API.",
    "actionGroupExecutor": {"lambda": LAMBDA},
    "apiSchema": {"payload": {
        "openapi": "3.0.0",
        "info": {"title": "Orders", "version": "1.0.0"},
        "paths": {"/orders/{orderId}": {"get": {
            "operationId": "getOrder", "description": "Get one order.",
            "parameters": [{"name": "orderId", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {"200": {"description": "The order."}}}}},
    }},
}


def agent_members(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "agentName": "support-bot",
        "foundationModel": MODEL,
        "instruction": INSTRUCTION,
        "agentResourceRoleArn": ROLE,
        "description": "Customer support for orders.",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def alias(name: str, track: str = TRACK_PINNED, **kw: Any) -> AliasConfig:
    return AliasConfig(name=name, track=track, **kw)


def config(name: str = "support-bot", *, agent: Mapping[str, Any] | None = None,
           **overrides: Any) -> AgentConfig:
    """A desired config (not canonicalized: the planner does that)."""
    members = dict(agent) if agent is not None else agent_members(agentName=name)
    members.setdefault("agentName", name)
    fields: dict[str, Any] = {
        "name": name,
        "agent": members,
        "tags": {"team": "support"},
        "action_groups": {"OrderTools": copy.deepcopy(ORDER_TOOLS)},
        "knowledge_bases": {"KB1234ABCD": {"description": "HR policies."}},
        "collaborators": {},
        "aliases": {"STAGING": alias("STAGING", TRACK_LATEST, description="Pre-production"),
                    "PROD": alias("PROD", TRACK_PINNED, tags={"stage": "prod"})},
    }
    fields.update(overrides)
    return AgentConfig(**fields)


def live_alias(name: str, version: str | None, *, agent_id: str = "AGENT00001",
               alias_id: str | None = None, **kw: Any) -> LiveAlias:
    alias_id = alias_id or (name.upper() + "0000000000")[:10]
    base = dict(alias_id=alias_id, name=name,
                arn=f"arn:aws:bedrock:{REGION}:{ACCOUNT}:agent-alias/{agent_id}/{alias_id}",
                description=None, routed_version=version, status="PREPARED",
                invocation_state="ACCEPT_INVOCATIONS", tags={}, history=())
    base.update(kw)
    return LiveAlias(**base)


def live_agent(cfg: AgentConfig | None = None, *, agent_id: str = "AGENT00001",
               versions: tuple[LiveVersion, ...] | None = None,
               aliases: Mapping[str, LiveAlias] | None = None, **overrides: Any) -> LiveAgent:
    """A live agent whose DRAFT is ``cfg`` (default: ``config()``), canonicalized."""
    cfg = canonicalize(cfg or config())
    if aliases is None:
        aliases = {"STAGING": live_alias("STAGING", "3", agent_id=agent_id,
                                         description="Pre-production"),
                   "PROD": live_alias("PROD", "2", agent_id=agent_id, tags={"stage": "prod"})}
    if versions is None:
        versions = tuple(version(str(n), cfg if n == 3 else None) for n in (1, 2, 3))
    base = dict(
        agent_id=agent_id,
        arn=f"arn:aws:bedrock:{REGION}:{ACCOUNT}:agent/{agent_id}",
        status="PREPARED",
        config=dataclasses.replace(cfg, aliases={
            k: AliasConfig(name=k, description=a.description, tags=a.tags,
                           invocation_state=a.invocation_state) for k, a in aliases.items()}),
        owner_tags={OWNER_TAG: OWNER_TAG_VALUE, PROJECT_TAG: "support"},
        action_group_ids={g: (g.upper() + "XXXXXXXXXX")[:10] for g in cfg.action_groups},
        action_group_states={g: cfg.action_groups[g].get("actionGroupState", "ENABLED")
                             for g in cfg.action_groups},
        aliases=dict(aliases),
        versions=versions,
        fingerprint=f"fp-{agent_id}",
        collaborator_ids={c: (c.upper() + "CCCCCCCCCC")[:10] for c in cfg.collaborators},
    )
    base.update(overrides)
    return LiveAgent(**base)


def version(number: str, cfg: AgentConfig | None = None) -> LiveVersion:
    return LiveVersion(version=number, status="PREPARED", created_at=None,
                       content=canonicalize(cfg).content() if cfg is not None else None)


def state(*agents: LiveAgent, unowned: Mapping[str, str] | None = None,
          absent: frozenset[str] = frozenset()) -> LiveState:
    return LiveState(target=TARGET, agents={a.config.name: a for a in agents},
                     absent=absent, unowned=dict(unowned or {}))
