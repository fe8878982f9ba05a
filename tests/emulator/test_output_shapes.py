"""Every response the emulator emits, as parsed by botocore, validates against the output shape
(types, required members, lengths, patterns, enums) of botocore's own model."""

from __future__ import annotations

from typing import Any

from agentctl.core import servicemodel

from .conftest import FUNCTIONS, INSTRUCTION, KB_ID, MODEL, NO_RETRIES, ROLE, make_emulator

PAYLOAD = """openapi: 3.0.0
info: {title: Orders, version: "1.0"}
paths:
  /orders/{id}:
    get:
      operationId: getOrder
      description: Get an order
      responses: {"200": {description: OK}}
"""


class Recorder:
    """Calls the client and keeps (operation, parsed response) for every call."""

    def __init__(self, client: Any):
        self.client = client
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, method: str, **params: Any) -> dict[str, Any]:
        response = getattr(self.client, method)(**params)
        op = self.client.meta.method_to_api_mapping[method]
        self.seen.append((op, {k: v for k, v in response.items() if k != "ResponseMetadata"}))
        return response


def _scenario(call: Recorder, clock: Any) -> None:
    worker = call("create_agent", agentName="worker", instruction=INSTRUCTION, foundationModel=MODEL,
                  agentResourceRoleArn=ROLE, tags={"team": "a"})["agent"]["agentId"]
    clock.advance(1)
    call("prepare_agent", agentId=worker)
    clock.advance(1)
    worker_alias = call("create_agent_alias", agentId=worker, agentAliasName="live")["agentAlias"]
    clock.advance(1)
    agent = call("create_agent", agentName="boss", instruction=INSTRUCTION, foundationModel=MODEL,
                 agentResourceRoleArn=ROLE, agentCollaboration="SUPERVISOR", idleSessionTTLInSeconds=900,
                 memoryConfiguration={"enabledMemoryTypes": ["SESSION_SUMMARY"]},
                 guardrailConfiguration={"guardrailIdentifier": "abcdef123456", "guardrailVersion": "1"},
                 promptOverrideConfiguration={"promptConfigurations": [{
                     "promptType": "ORCHESTRATION", "promptCreationMode": "OVERRIDDEN",
                     "basePromptTemplate": "tpl", "additionalModelRequestFields": {"k": [1, {"x": True}]},
                     "inferenceConfiguration": {"temperature": 0.5, "topP": 0.9, "maximumLength": 100}}]},
                 )["agent"]
    aid = agent["agentId"]
    call("get_agent", agentId=aid)
    clock.advance(1)
    call("update_agent", agentId=aid, agentName="boss", instruction=INSTRUCTION, foundationModel=MODEL,
         agentResourceRoleArn=ROLE, agentCollaboration="SUPERVISOR", description="boss agent")
    clock.advance(1)
    fg = call("create_agent_action_group", agentId=aid, agentVersion="DRAFT", actionGroupName="fns",
              functionSchema=FUNCTIONS, actionGroupExecutor={"customControl": "RETURN_CONTROL"})["agentActionGroup"]
    api = call("create_agent_action_group", agentId=aid, agentVersion="DRAFT", actionGroupName="api",
               apiSchema={"payload": PAYLOAD},
               actionGroupExecutor={"lambda": "arn:aws:lambda:us-east-1:123456789012:function:orders"})["agentActionGroup"]
    call("create_agent_action_group", agentId=aid, agentVersion="DRAFT", actionGroupName="ask",
         parentActionGroupSignature="AMAZON.UserInput")
    call("update_agent_action_group", agentId=aid, agentVersion="DRAFT", actionGroupId=api["actionGroupId"],
         actionGroupName="api", apiSchema={"s3": {"s3BucketName": "my-bucket", "s3ObjectKey": "o.yaml"}},
         actionGroupState="DISABLED", actionGroupExecutor={"customControl": "RETURN_CONTROL"})
    call("get_agent_action_group", agentId=aid, agentVersion="DRAFT", actionGroupId=fg["actionGroupId"])
    call("list_agent_action_groups", agentId=aid, agentVersion="DRAFT")
    call("associate_agent_knowledge_base", agentId=aid, agentVersion="DRAFT", knowledgeBaseId=KB_ID,
         description="HR policies")
    call("update_agent_knowledge_base", agentId=aid, agentVersion="DRAFT", knowledgeBaseId=KB_ID,
         description="HR policies v2", knowledgeBaseState="DISABLED")
    call("get_agent_knowledge_base", agentId=aid, agentVersion="DRAFT", knowledgeBaseId=KB_ID)
    call("list_agent_knowledge_bases", agentId=aid, agentVersion="DRAFT")
    collab = call("associate_agent_collaborator", agentId=aid, agentVersion="DRAFT",
                  agentDescriptor={"aliasArn": worker_alias["agentAliasArn"]}, collaboratorName="worker",
                  collaborationInstruction="Delegate order questions.")["agentCollaborator"]
    call("update_agent_collaborator", agentId=aid, agentVersion="DRAFT", collaboratorId=collab["collaboratorId"],
         agentDescriptor={"aliasArn": worker_alias["agentAliasArn"]}, collaboratorName="worker",
         collaborationInstruction="Delegate order questions.", relayConversationHistory="TO_COLLABORATOR")
    call("get_agent_collaborator", agentId=aid, agentVersion="DRAFT", collaboratorId=collab["collaboratorId"])
    call("list_agent_collaborators", agentId=aid, agentVersion="DRAFT")
    call("prepare_agent", agentId=aid)
    clock.advance(1)
    alias = call("create_agent_alias", agentId=aid, agentAliasName="PROD", description="prod",
                 tags={"stage": "prod"})["agentAlias"]
    clock.advance(1)
    call("update_agent_alias", agentId=aid, agentAliasId=alias["agentAliasId"], agentAliasName="PROD",
         routingConfiguration=[{"agentVersion": "1"}], aliasInvocationState="REJECT_INVOCATIONS")
    clock.advance(1)
    call("get_agent_alias", agentId=aid, agentAliasId=alias["agentAliasId"])
    call("get_agent_alias", agentId=aid, agentAliasId="TSTALIASID")
    call("list_agent_aliases", agentId=aid)
    call("get_agent_version", agentId=aid, agentVersion="1")
    call("list_agent_versions", agentId=aid)
    call("list_agent_action_groups", agentId=aid, agentVersion="1")
    call("get_agent_collaborator", agentId=aid, agentVersion="1", collaboratorId=collab["collaboratorId"])
    call("list_agents", maxResults=1)
    call("tag_resource", resourceArn=agent["agentArn"], tags={"env": "dev"})
    call("untag_resource", resourceArn=agent["agentArn"], tagKeys=["env"])
    call("list_tags_for_resource", resourceArn=alias["agentAliasArn"])
    call("get_knowledge_base", knowledgeBaseId=KB_ID)
    call("list_knowledge_bases")
    call("disassociate_agent_collaborator", agentId=aid, agentVersion="DRAFT", collaboratorId=collab["collaboratorId"])
    call("disassociate_agent_knowledge_base", agentId=aid, agentVersion="DRAFT", knowledgeBaseId=KB_ID)
    call("delete_agent_action_group", agentId=aid, agentVersion="DRAFT", actionGroupId=fg["actionGroupId"],
         skipResourceInUseCheck=True)
    call("delete_agent_alias", agentId=aid, agentAliasId=alias["agentAliasId"])
    clock.advance(1)
    call("delete_agent_version", agentId=aid, agentVersion="1")
    call("delete_agent", agentId=aid)


def test_every_response_of_a_full_scenario_validates_against_its_output_shape(tmp_path, clock) -> None:
    emu = make_emulator(tmp_path / "s.db", clock)
    call = Recorder(emu.client(config=NO_RETRIES))
    _scenario(call, clock)
    assert len({op for op, _ in call.seen}) >= 34
    problems = []
    for op, response in call.seen:
        for v in servicemodel.validate(op, response, output=True):
            problems.append(f"{op}: {v.aws_text()}")
    assert problems == []
    emu.close()


def test_output_validation_would_catch_a_broken_response() -> None:
    # Guard against a vacuous check: a response missing required members does not validate.
    assert servicemodel.validate("GetAgent", {"agent": {"agentId": "ABCDEFGHIJ"}}, output=True)
