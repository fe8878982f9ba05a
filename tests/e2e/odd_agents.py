"""Agents created directly with boto3 on the local target (the emulator), with every field of
the bedrock-agent API used at least once and settings no agentctl spec produced: every prompt
type overridden (enabled and disabled, a parser Lambda), memory, a guardrail, a customer KMS
key, a non-default idle TTL, function schemas and OpenAPI (payload and S3), a RETURN_CONTROL
group, the built-in user-input and code-interpreter groups, disabled action groups and
knowledge bases, a supervisor with a collaborator, several aliases (one paused, one pinned to
an older version), user tags and a stray tag in agentctl's namespace.

Only the plain boto3 client of ``agentctl.emulator.Emulator`` is used: what a user's own script
would have done against Bedrock.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from agentctl.emulator import Emulator, EmulatorConfig, World

ACCT, REGION = "123456789012", "us-east-1"
ROLE = f"arn:aws:iam::{ACCT}:role/OddRole"
LAMBDA = f"arn:aws:lambda:{REGION}:{ACCT}:function:odd-tools"
KMS = f"arn:aws:kms:{REGION}:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
MODEL = "anthropic.claude-3-5-sonnet-20241022-v2:0"



def wait(c, agent_id: str, want=("NOT_PREPARED", "PREPARED")) -> str:
    for _ in range(4000):
        status = c.get_agent(agentId=agent_id)["agent"]["agentStatus"]
        if status in want:
            return status
        time.sleep(0.005)
    raise AssertionError(f"agent {agent_id} stayed {status}")


def wait_alias(c, agent_id: str, alias_id: str) -> None:
    for _ in range(4000):
        alias = c.get_agent_alias(agentId=agent_id, agentAliasId=alias_id)["agentAlias"]
        if alias["agentAliasStatus"] == "PREPARED":
            return
        time.sleep(0.005)
    raise AssertionError(f"alias {alias_id} stayed {alias['agentAliasStatus']}")


PROMPT_TYPES = ["PRE_PROCESSING", "ORCHESTRATION", "POST_PROCESSING",
                "KNOWLEDGE_BASE_RESPONSE_GENERATION", "MEMORY_SUMMARIZATION"]
OPENAPI = {"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": {"/x/{id}": {
    "get": {"operationId": "getX", "description": "Get x",
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {"200": {"description": "ok"}}}}}}


def _prompts() -> list[dict]:
    out = []
    for i, pt in enumerate(PROMPT_TYPES):
        out.append({
            "promptType": pt, "promptCreationMode": "OVERRIDDEN",
            "promptState": "ENABLED" if i % 2 == 0 else "DISABLED",
            "basePromptTemplate": f"Template for {pt} with $question$ and ${{literal}}\n",
            "inferenceConfiguration": {"temperature": [0.0, 0.1, 0.2, 0.3, 0.4][i], "topP": 0.9,
                                       "topK": 10 + i, "maximumLength": 1000 + i,
                                       "stopSequences": ["\n\nHuman:", "END"]},
            # the parser Lambda (overrideLambda) needs one OVERRIDDEN parser
            "parserMode": "OVERRIDDEN" if pt == "ORCHESTRATION" else "DEFAULT"})
    return out


def make(state: Path) -> dict[str, str]:
    """Create the agents in the emulator database at ``state``; name -> agentId."""
    emu = Emulator(state_path=state, config=EmulatorConfig(time_scale=0.0), region=REGION,
                   account=ACCT)
    emu.seed_world(World(knowledge_bases=[{"id": "KBODD00001", "name": "a", "description": "a"},
                                          {"id": "KBODD00002", "name": "b", "description": "b"}],
                         lambdas=[{"arn": LAMBDA, "handler": "h:h"}]))
    c = emu.client()
    # The collaborator, with an alias.
    sub = c.create_agent(agentName="odd-helper", foundationModel=MODEL, agentResourceRoleArn=ROLE,
                         instruction="Help the odd agent with any question it routes here."
                         )["agent"]["agentId"]
    wait(c, sub)
    c.prepare_agent(agentId=sub)
    wait(c, sub, ("PREPARED",))
    sub_alias = c.create_agent_alias(agentId=sub, agentAliasName="LIVE")["agentAlias"]
    wait_alias(c, sub, sub_alias["agentAliasId"])
    wait(c, sub, ("PREPARED",))

    settings = dict(
        agentName="odd-agent", description="An agent with unusual settings: ${not.a.var}",
        foundationModel=MODEL, agentResourceRoleArn=ROLE,
        instruction="You are an odd agent.\nUse every tool you are given, carefully.\n",
        idleSessionTTLInSeconds=3600, customerEncryptionKeyArn=KMS,
        guardrailConfiguration={"guardrailIdentifier": "gr0123456789", "guardrailVersion": "2"},
        memoryConfiguration={"enabledMemoryTypes": ["SESSION_SUMMARY"], "storageDays": 7,
                             "sessionSummaryConfiguration": {"maxRecentSessions": 5}},
        promptOverrideConfiguration={"promptConfigurations": _prompts(), "overrideLambda": LAMBDA},
        agentCollaboration="SUPERVISOR")
    agent_id = c.create_agent(**settings, tags={
        "team": "odd", "cost-center": "42",
        "agentctl:managed-by": "someone-else-typed-this"})["agent"]["agentId"]
    wait(c, agent_id)
    draft = {"agentId": agent_id, "agentVersion": "DRAFT"}
    c.create_agent_action_group(
        **draft, actionGroupName="Fns", description="Functions",
        actionGroupExecutor={"lambda": LAMBDA},
        functionSchema={"functions": [
            {"name": "f1", "description": "first", "requireConfirmation": "ENABLED",
             "parameters": {"a": {"type": "string", "description": "A", "required": True},
                            "b": {"type": "integer", "required": False},
                            "c": {"type": "array", "description": "C"}}},
            {"name": "f0"}]})
    c.create_agent_action_group(**draft, actionGroupName="Api",
                                actionGroupExecutor={"lambda": LAMBDA},
                                apiSchema={"payload": json.dumps(OPENAPI)})
    c.create_agent_action_group(**draft, actionGroupName="ApiS3",
                                actionGroupExecutor={"lambda": LAMBDA},
                                apiSchema={"s3": {"s3BucketName": "odd-bucket",
                                                  "s3ObjectKey": "schemas/api.yaml"}})
    c.create_agent_action_group(**draft, actionGroupName="Client", actionGroupState="DISABLED",
                                actionGroupExecutor={"customControl": "RETURN_CONTROL"},
                                functionSchema={"functions": [{"name": "pick",
                                                               "description": "pick one"}]})
    c.create_agent_action_group(**draft, actionGroupName="UserInput",
                                parentActionGroupSignature="AMAZON.UserInput")
    c.create_agent_action_group(**draft, actionGroupName="Code",
                                parentActionGroupSignature="AMAZON.CodeInterpreter")
    c.associate_agent_knowledge_base(**draft, knowledgeBaseId="KBODD00001",
                                     description="first KB")
    c.associate_agent_knowledge_base(**draft, knowledgeBaseId="KBODD00002",
                                     description="second KB, off", knowledgeBaseState="DISABLED")
    c.associate_agent_collaborator(**draft, collaboratorName="helper",
                                   agentDescriptor={"aliasArn": sub_alias["agentAliasArn"]},
                                   collaborationInstruction="Ask the helper.",
                                   relayConversationHistory="TO_COLLABORATOR")
    c.prepare_agent(agentId=agent_id)
    wait(c, agent_id, ("PREPARED",))
    # STAGING cuts version 1; PROD is pinned to it; STAGING then cuts version 2.
    staging = c.create_agent_alias(agentId=agent_id, agentAliasName="STAGING", description="latest",
                                   tags={"stage": "staging"})["agentAlias"]
    wait_alias(c, agent_id, staging["agentAliasId"])
    wait(c, agent_id, ("PREPARED",))
    prod = c.create_agent_alias(agentId=agent_id, agentAliasName="PROD",
                                routingConfiguration=[{"agentVersion": "1"}])["agentAlias"]
    wait_alias(c, agent_id, prod["agentAliasId"])
    c.update_agent(agentId=agent_id, **settings)  # a DRAFT edit, released as version 2 below
    wait(c, agent_id)
    c.prepare_agent(agentId=agent_id)
    wait(c, agent_id, ("PREPARED",))
    c.update_agent_alias(agentId=agent_id, agentAliasId=staging["agentAliasId"],
                         agentAliasName="STAGING", description="latest")
    wait_alias(c, agent_id, staging["agentAliasId"])
    wait(c, agent_id, ("PREPARED",))
    # A paused alias (aliasInvocationState is set with UpdateAgentAlias only).
    paused = c.create_agent_alias(agentId=agent_id, agentAliasName="PAUSED",
                                  routingConfiguration=[{"agentVersion": "1"}])["agentAlias"]
    wait_alias(c, agent_id, paused["agentAliasId"])
    c.update_agent_alias(agentId=agent_id, agentAliasId=paused["agentAliasId"],
                         agentAliasName="PAUSED", routingConfiguration=[{"agentVersion": "1"}],
                         aliasInvocationState="REJECT_INVOCATIONS")
    emu.close()
    return {"odd-agent": agent_id, "odd-helper": sub}
