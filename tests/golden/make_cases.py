"""Writes the inputs of the golden cases (``desired/`` project, ``live.json`` service responses,
``options.json``; see ``service.py``).

Run from ``tests/``: ``python -m golden.make_cases``, then ``pytest tests/golden
--update-golden`` to regenerate the expected outputs, and review the diff. Each case is one
function below; its docstring says what it shows. The cases are built with the planner tests'
builders and turned into spec files and service responses by ``service.write_inputs``.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any, Callable

from agentctl.core.model import TRACK_LATEST, AgentConfig, LiveState, Ref
from agentctl.core.normalize import canonicalize

try:
    from golden.service import write_inputs
    from plan import builders as B
except ImportError:  # imported by the test as tests.golden.make_cases
    from .service import write_inputs
    from ..plan import builders as B

HERE = Path(__file__).parent
CASES: dict[str, Callable[[], tuple[dict[str, AgentConfig], LiveState, dict[str, Any]]]] = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def one(cfg: AgentConfig) -> dict[str, AgentConfig]:
    return {cfg.name: canonicalize(cfg)}


def edited(**members: Any) -> AgentConfig:
    base = B.config()
    return dataclasses.replace(base, agent={**base.agent, **members})


def live() -> LiveState:
    return B.state(B.live_agent())


@case
def create_from_scratch():
    """A new agent with an action group, a KB and two aliases: everything is created, STAGING
    cuts version 1, PROD is created routed to it."""
    return one(B.config()), B.state(), {}


@case
def no_op():
    """Live matches the spec."""
    return one(B.config()), live(), {}


@case
def instruction_changed():
    """A multi-line instruction edit: unified diff, prepare, new version, STAGING follows."""
    return one(edited(instruction=B.INSTRUCTION + "\nNever invent order numbers.\nSign as Ada.")), live(), {}


@case
def model_changed():
    return one(edited(foundationModel="anthropic.claude-3-haiku-20240307-v1:0")), live(), {}


@case
def description_changed():
    return one(edited(description="Customer support for orders and returns.")), live(), {}


@case
def idle_ttl_changed():
    return one(edited(idleSessionTTLInSeconds=600)), live(), {}


@case
def guardrail_added():
    return one(edited(guardrailConfiguration={"guardrailIdentifier": "abcdef123456",
                                              "guardrailVersion": "1"})), live(), {}


@case
def kms_key_changed():
    key = f"arn:aws:kms:us-east-1:{B.ACCOUNT}:key/"
    old = edited(customerEncryptionKeyArn=key + "a" * 36)
    new = edited(customerEncryptionKeyArn=key + "b" * 36)
    return one(new), B.state(B.live_agent(old, versions=(B.version("3", old),))), {}


@case
def tags_changed():
    """User tags only: Tag/UntagResource, no prepare, no version."""
    cfg = dataclasses.replace(B.config(), tags={"team": "care", "cost-center": "42"})
    live_cfg = dataclasses.replace(B.config(), tags={"team": "support", "legacy": "yes"})
    return one(cfg), B.state(B.live_agent(live_cfg, versions=(B.version("3", live_cfg),))), {}


@case
def action_group_added():
    cfg = dataclasses.replace(B.config(), action_groups={
        "OrderTools": B.ORDER_TOOLS,
        "UserInput": {"parentActionGroupSignature": "AMAZON.UserInput"}})
    return one(cfg), live(), {}


@case
def action_group_removed():
    """An ENABLED group is disabled (complete update) before it is deleted."""
    live_cfg = dataclasses.replace(B.config(), action_groups={
        "OrderTools": B.ORDER_TOOLS, "OrderApi": B.ORDER_API})
    return one(B.config()), B.state(B.live_agent(live_cfg, versions=(B.version("3", live_cfg),))), {}


@case
def action_group_renamed():
    """A new name is a new resource: delete + create."""
    cfg = dataclasses.replace(B.config(), action_groups={"Orders": B.ORDER_TOOLS})
    return one(cfg), live(), {}


@case
def function_changed():
    """Paths name the function and the parameter, not list indexes."""
    group = copy.deepcopy(B.ORDER_TOOLS)
    fn = group["functionSchema"]["functions"][0]
    fn["parameters"]["order_id"]["description"] = "The customer-facing order ID, e.g. A-482."
    fn["parameters"]["include_history"] = {"type": "boolean", "description": "Include history."}
    group["functionSchema"]["functions"][1]["requireConfirmation"] = "DISABLED"
    return one(dataclasses.replace(B.config(), action_groups={"OrderTools": group})), live(), {}


@case
def openapi_changed():
    live_cfg = dataclasses.replace(B.config(), action_groups={"OrderApi": B.ORDER_API})
    group = copy.deepcopy(B.ORDER_API)
    get = group["apiSchema"]["payload"]["paths"]["/orders/{orderId}"]["get"]
    get["description"] = "Get one order by its ID."
    group["apiSchema"]["payload"]["paths"]["/orders"] = {"get": {
        "operationId": "listOrders", "description": "List orders.",
        "responses": {"200": {"description": "Orders."}}}}
    cfg = dataclasses.replace(B.config(), action_groups={"OrderApi": group})
    return one(cfg), B.state(B.live_agent(live_cfg, versions=(B.version("3", live_cfg),))), {}


@case
def openapi_parameter_changed():
    """One field of one OpenAPI parameter (issue 12 item 5): one line naming the parameter by
    its name, not the whole ``parameters`` list twice; an added parameter is one ``+``."""
    live_cfg = dataclasses.replace(B.config(), action_groups={"OrderApi": B.ORDER_API})
    group = copy.deepcopy(B.ORDER_API)
    get = group["apiSchema"]["payload"]["paths"]["/orders/{orderId}"]["get"]
    get["parameters"][0]["description"] = "The customer-facing order ID, e.g. A-482."
    get["parameters"].append({"name": "verbose", "in": "query", "description": "Include history.",
                              "schema": {"type": "boolean"}})
    cfg = dataclasses.replace(B.config(), action_groups={"OrderApi": group})
    return one(cfg), B.state(B.live_agent(live_cfg, versions=(B.version("3", live_cfg),))), {}


@case
def kb_description_changed():
    cfg = dataclasses.replace(B.config(), knowledge_bases={
        "KB1234ABCD": {"description": "HR policies incl. PTO and parental leave."}})
    return one(cfg), live(), {}


@case
def prompt_override_changed():
    """A template edit and a state-only override (disabling PRE_PROCESSING)."""
    def with_prompts(template: str, extra: list[dict[str, Any]]) -> AgentConfig:
        return edited(promptOverrideConfiguration={"promptConfigurations": [
            {"promptType": "ORCHESTRATION", "promptCreationMode": "OVERRIDDEN",
             "basePromptTemplate": template,
             "inferenceConfiguration": {"temperature": 0.0, "topP": 1.0, "maximumLength": 2048}},
            *extra]})

    old = with_prompts("System: be helpful.\n$instruction$\nUser: $question$", [])
    new = with_prompts("System: be helpful and brief.\n$instruction$\nUser: $question$", [
        {"promptType": "PRE_PROCESSING", "promptCreationMode": "OVERRIDDEN", "promptState": "DISABLED"}])
    return one(new), B.state(B.live_agent(old, versions=(B.version("3", old),))), {}


@case
def memory_enabled():
    return one(edited(memoryConfiguration={"enabledMemoryTypes": ["SESSION_SUMMARY"],
                                           "storageDays": 7})), live(), {}


@case
def memory_disabled():
    old = edited(memoryConfiguration={"enabledMemoryTypes": ["SESSION_SUMMARY"]})
    return one(B.config()), B.state(B.live_agent(old, versions=(B.version("3", old),))), {}


@case
def defaults_changed():
    """Members moved away from their service defaults (issue 12 item 1): memory storageDays
    30 -> 60, action group state ENABLED -> DISABLED, alias PROD paused. Each is ``~ default ->
    value``, never a ``+`` that hides the default; PROD's invocation-state update does not move
    it (``PROD stays on 3``)."""
    old = edited(memoryConfiguration={"enabledMemoryTypes": ["SESSION_SUMMARY"]})
    new = edited(memoryConfiguration={"enabledMemoryTypes": ["SESSION_SUMMARY"], "storageDays": 60})
    new = dataclasses.replace(new, action_groups={
        k: {**g, "actionGroupState": "DISABLED"} for k, g in new.action_groups.items()},
        aliases={**new.aliases, "PROD": dataclasses.replace(new.aliases["PROD"],
                                                          invocation_state="REJECT_INVOCATIONS")})
    return one(new), B.state(B.live_agent(old, versions=(B.version("3", old),))), {}


@case
def pinned_only_release():
    """Every alias pinned and the content changed (issue 12 item 2): agentctl's release alias
    is created to cut version 4; PROD stays on 3, and the lifecycle line says how to promote."""
    pinned = dataclasses.replace(B.config(), aliases={"PROD": B.config().aliases["PROD"]})
    old = pinned
    new = dataclasses.replace(pinned, agent={**pinned.agent, "description": "Orders and returns."})
    live_agent = B.live_agent(old, aliases={"PROD": B.live_alias("PROD", "3", tags={"stage": "prod"})},
                              versions=(B.version("3", old),))
    return one(new), B.state(live_agent), {}


@case
def alias_added():
    """A new pinned alias routes to the newest version; no version is cut."""
    cfg = dataclasses.replace(B.config(), aliases={
        **B.config().aliases, "CANARY": B.alias("CANARY", description="Canary users")})
    return one(cfg), live(), {}


@case
def collaborator_added():
    """A supervisor gains a collaborator whose alias exists (resolved ARN) and one whose agent
    is created in the same apply (ordered first, known after apply)."""
    billing_live = B.live_agent(B.config("billing-agent"), agent_id="BILLING001")
    sup = edited(agentCollaboration="SUPERVISOR")
    sup = dataclasses.replace(sup, collaborators={
        "billing": {"agentDescriptor": {"aliasArn": Ref("agent.billing-agent.alias.PROD", "agentAliasArn")},
                    "collaborationInstruction": "Route billing and invoice questions here.",
                    "relayConversationHistory": "TO_COLLABORATOR"},
        "returns": {"agentDescriptor": {"aliasArn": Ref("agent.returns-agent.alias.PROD", "agentAliasArn")},
                    "collaborationInstruction": "Route returns here."}})
    desired = {"support-bot": canonicalize(sup),
               "billing-agent": canonicalize(B.config("billing-agent")),
               "returns-agent": canonicalize(B.config("returns-agent", aliases={
                   "PROD": B.alias("PROD", TRACK_LATEST)}, action_groups={}, knowledge_bases={}))}
    return desired, B.state(B.live_agent(), billing_live), {}


@case
def collaboration_disabled():
    """A supervisor becomes a plain agent: its collaborators are disassociated first (AWS:
    disassociate all before disabling collaboration), then UpdateAgent sends DISABLED, then one
    PrepareAgent (never on a SUPERVISOR without collaborators, service-behaviour.md §2.2)."""
    arn = "arn:aws:bedrock:us-east-1:123456789012:agent-alias/BILLING001/PROD000000"
    sup = dataclasses.replace(edited(agentCollaboration="SUPERVISOR"), collaborators={
        "billing": {"agentDescriptor": {"aliasArn": arn},
                    "collaborationInstruction": "Route billing and invoice questions here.",
                    "relayConversationHistory": "TO_COLLABORATOR"},
        "returns": {"agentDescriptor": {"aliasArn": arn.replace("BILLING001", "RETURNS001")},
                    "collaborationInstruction": "Route returns here."}})
    return one(B.config()), B.state(B.live_agent(sup)), {}


@case
def collaborator_released():
    """A supervisor drops its billing collaborator and the billing agent is pruned: the
    billing agent's alias and agent deletions carry ``after`` (the supervisor's disassociate
    and PrepareAgent must complete first: preparing releases the alias, §2.2), and the
    supervisor is listed first."""
    billing = B.config("billing-agent", aliases={"PROD": B.alias("PROD", TRACK_LATEST)},
                       action_groups={}, knowledge_bases={})
    billing_live = B.live_agent(billing, agent_id="BILLING001", aliases={
        "PROD": B.live_alias("PROD", "3", agent_id="BILLING001")})
    returns = {"agentDescriptor": {"aliasArn": "arn:aws:bedrock:us-east-1:123456789012:"
                                               "agent-alias/RETURNS001/PROD000000"},
               "collaborationInstruction": "Route returns here."}
    sup = edited(agentCollaboration="SUPERVISOR")
    live_sup = dataclasses.replace(sup, collaborators={
        "billing": {"agentDescriptor": {"aliasArn": billing_live.aliases["PROD"].arn},
                    "collaborationInstruction": "Route billing and invoice questions here."},
        "returns": returns})
    desired = {"support-bot": canonicalize(dataclasses.replace(sup, collaborators={
        "returns": returns}))}
    return desired, B.state(B.live_agent(live_sup), billing_live), {"prune": True}


@case
def pinned_vs_tracking():
    """Content changed: STAGING (latest) moves to the new version, PROD (pinned) stays on its
    version; old unreferenced versions beyond retention are deleted."""
    versions = tuple(B.version(str(n), B.config() if n == 7 else None) for n in range(1, 8))
    aliases = {"STAGING": B.live_alias("STAGING", "7", description="Pre-production"),
               "PROD": B.live_alias("PROD", "5", tags={"stage": "prod"})}
    cfg = edited(instruction=B.INSTRUCTION + " Mention the returns policy when relevant.")
    return one(cfg), B.state(B.live_agent(versions=versions, aliases=aliases)), {"version_retention": 3}


@case
def removed_agent_kept():
    """An agent whose spec was deleted is only noted without --prune."""
    old = B.live_agent(B.config("old-bot"), agent_id="OLDAGENT01")
    return one(B.config()), B.state(B.live_agent(), old), {}


@case
def removed_agent_pruned():
    old = B.live_agent(B.config("old-bot"), agent_id="OLDAGENT01")
    return one(B.config()), B.state(B.live_agent(), old), {"prune": True}


def main() -> None:
    for name, fn in CASES.items():
        desired, live_state, options = fn()
        write_inputs(HERE / name, desired, live_state, options)
        print(name)


if __name__ == "__main__":
    main()
