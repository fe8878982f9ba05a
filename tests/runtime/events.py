"""Event dicts shaped exactly like the ones boto3 yields from ``invoke_agent(...)["completion"]``
(botocore's bedrock-agent-runtime ``ResponseStream``). ``test_trace.py`` checks every key used
here against the botocore model, so these builders cannot drift from the real shapes."""

from __future__ import annotations

import datetime as dt
from typing import Any

T0 = dt.datetime(2026, 4, 25, 10, 0, 0, tzinfo=dt.timezone.utc)


def part(trace: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"trace": {"agentId": "AGENT12345", "agentAliasId": "ALIAS12345", "agentVersion": "1",
                      "sessionId": "s-1", "eventTime": T0, "trace": trace, **extra}}


def chunk(text: str, citations: list | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"bytes": text.encode("utf-8")}
    if citations is not None:
        body["attribution"] = {"citations": citations}
    return {"chunk": body}


def model_input(stage: str, text: str, trace_id: str = "t-1") -> dict[str, Any]:
    key = {"PRE_PROCESSING": "preProcessingTrace", "POST_PROCESSING": "postProcessingTrace",
           "ROUTING_CLASSIFIER": "routingClassifierTrace"}.get(stage, "orchestrationTrace")
    return part({key: {"modelInvocationInput": {
        "traceId": trace_id, "text": text, "type": stage,
        "foundationModel": "anthropic.claude-3-5-sonnet-20241022-v2:0",
        "inferenceConfiguration": {"temperature": 0.0, "topP": 1.0, "maximumLength": 2048,
                                   "stopSequences": ["</answer>"]},
        "promptCreationMode": "OVERRIDDEN", "parserMode": "DEFAULT"}}})


def pre_processing(valid: bool, rationale: str) -> dict[str, Any]:
    return part({"preProcessingTrace": {"modelInvocationOutput": {
        "traceId": "t-pre", "parsedResponse": {"isValid": valid, "rationale": rationale},
        "rawResponse": {"content": "<thinking>...</thinking>"},
        "metadata": {"usage": {"inputTokens": 812, "outputTokens": 40}}}}})


def model_output(raw: str, trace_id: str = "t-1") -> dict[str, Any]:
    return part({"orchestrationTrace": {"modelInvocationOutput": {
        "traceId": trace_id, "rawResponse": {"content": raw},
        "metadata": {"usage": {"inputTokens": 1200, "outputTokens": 64},
                     "startTime": T0, "endTime": T0, "totalTimeMs": 800}}}})


def rationale(text: str, trace_id: str = "t-1") -> dict[str, Any]:
    return part({"orchestrationTrace": {"rationale": {"traceId": trace_id, "text": text}}})


def function_call(group: str, function: str, params: dict[str, str], *,
                  execution: str = "LAMBDA", trace_id: str = "t-1",
                  invocation_id: str | None = None) -> dict[str, Any]:
    ag: dict[str, Any] = {"actionGroupName": group, "function": function,
                          "parameters": [{"name": k, "type": "string", "value": v}
                                         for k, v in params.items()],
                          "executionType": execution}
    if invocation_id:
        ag["invocationId"] = invocation_id
    return part({"orchestrationTrace": {"invocationInput": {
        "traceId": trace_id, "invocationType": "ACTION_GROUP",
        "actionGroupInvocationInput": ag}}})


def api_call(group: str, path: str, verb: str, params: dict[str, str],
             body: dict[str, str] | None = None, trace_id: str = "t-2") -> dict[str, Any]:
    ag: dict[str, Any] = {"actionGroupName": group, "apiPath": path, "verb": verb,
                          "parameters": [{"name": k, "type": "string", "value": v}
                                         for k, v in params.items()],
                          "executionType": "LAMBDA"}
    if body is not None:
        ag["requestBody"] = {"content": {"application/json": [
            {"name": k, "type": "string", "value": v} for k, v in body.items()]}}
    return part({"orchestrationTrace": {"invocationInput": {
        "traceId": trace_id, "invocationType": "ACTION_GROUP",
        "actionGroupInvocationInput": ag}}})


def action_output(text: str, trace_id: str = "t-1") -> dict[str, Any]:
    return part({"orchestrationTrace": {"observation": {
        "traceId": trace_id, "type": "ACTION_GROUP",
        "actionGroupInvocationOutput": {"text": text,
                                        "metadata": {"totalTimeMs": 12}}}}})


def kb_lookup(kb_id: str, query: str, trace_id: str = "t-3") -> dict[str, Any]:
    return part({"orchestrationTrace": {"invocationInput": {
        "traceId": trace_id, "invocationType": "KNOWLEDGE_BASE",
        "knowledgeBaseLookupInput": {"knowledgeBaseId": kb_id, "text": query}}}})


def retrieved(text: str, uri: str) -> dict[str, Any]:
    return {"content": {"text": text, "type": "TEXT"},
            "location": {"type": "S3", "s3Location": {"uri": uri}},
            "metadata": {"x-amz-bedrock-kb-source-uri": uri}}


def kb_output(refs: list[dict[str, Any]], trace_id: str = "t-3") -> dict[str, Any]:
    return part({"orchestrationTrace": {"observation": {
        "traceId": trace_id, "type": "KNOWLEDGE_BASE",
        "knowledgeBaseLookupOutput": {"retrievedReferences": refs}}}})


def final(text: str, trace_id: str = "t-9") -> dict[str, Any]:
    return part({"orchestrationTrace": {"observation": {
        "traceId": trace_id, "type": "FINISH", "finalResponse": {"text": text}}}})


def reprompt(text: str, source: str = "PARSER") -> dict[str, Any]:
    return part({"orchestrationTrace": {"observation": {
        "traceId": "t-4", "type": "REPROMPT",
        "repromptResponse": {"source": source, "text": text}}}})


def post_processing(text: str) -> dict[str, Any]:
    return part({"postProcessingTrace": {"modelInvocationOutput": {
        "traceId": "t-post", "parsedResponse": {"text": text},
        "rawResponse": {"content": text}}}})


def guardrail(action: str = "INTERVENED") -> dict[str, Any]:
    return part({"guardrailTrace": {
        "action": action, "traceId": "t-g",
        "inputAssessments": [{
            "topicPolicy": {"topics": [{"name": "Investment advice", "type": "DENY",
                                        "action": "BLOCKED"}]},
            "contentPolicy": {"filters": [{"type": "INSULTS", "confidence": "HIGH",
                                           "action": "BLOCKED"}]},
            "wordPolicy": {"customWords": [{"match": "[darn]", "action": "BLOCKED"}],
                           "managedWordLists": []},
            "sensitiveInformationPolicy": {
                "piiEntities": [{"match": "a@b.c", "type": "EMAIL", "action": "ANONYMIZED"}],
                "regexes": [{"name": "order-id", "match": "A-482", "regex": "A-\\d+",
                             "action": "BLOCKED"}]}}],
        "outputAssessments": []}})


def failure(reason: str, code: int = 500) -> dict[str, Any]:
    return part({"failureTrace": {"traceId": "t-f", "failureCode": code,
                                  "failureReason": reason}})


def custom(text: str) -> dict[str, Any]:
    return part({"customOrchestrationTrace": {"traceId": "t-c", "event": {"text": text}}})


def collaborator_call(name: str, text: str) -> dict[str, Any]:
    arn = "arn:aws:bedrock:us-east-1:123456789012:agent-alias/AGENT00001/ALIAS00001"
    return part({"routingClassifierTrace": {"invocationInput": {
        "traceId": "t-r", "invocationType": "AGENT_COLLABORATOR",
        "agentCollaboratorInvocationInput": {"agentCollaboratorName": name,
                                             "agentCollaboratorAliasArn": arn,
                                             "input": {"type": "TEXT", "text": text}}}}},
        collaboratorName="supervisor")


def collaborator_output(name: str, text: str) -> dict[str, Any]:
    return part({"routingClassifierTrace": {"observation": {
        "traceId": "t-r", "type": "AGENT_COLLABORATOR",
        "agentCollaboratorInvocationOutput": {"agentCollaboratorName": name,
                                              "output": {"type": "TEXT", "text": text}}}}})


def return_control(invocation_id: str, inputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"returnControl": {"invocationId": invocation_id, "invocationInputs": inputs}}


def roc_function(group: str, function: str, params: dict[str, str],
                 invocation_type: str = "RESULT") -> dict[str, Any]:
    return {"functionInvocationInput": {
        "actionGroup": group, "function": function, "actionInvocationType": invocation_type,
        "parameters": [{"name": k, "type": "string", "value": v} for k, v in params.items()]}}


def roc_api(group: str, path: str, method: str, params: dict[str, str],
            body: dict[str, str] | None = None) -> dict[str, Any]:
    ai: dict[str, Any] = {"actionGroup": group, "apiPath": path, "httpMethod": method,
                          "actionInvocationType": "RESULT",
                          "parameters": [{"name": k, "type": "string", "value": v}
                                         for k, v in params.items()]}
    if body is not None:
        ai["requestBody"] = {"content": {"application/json": {"properties": [
            {"name": k, "type": "string", "value": v} for k, v in body.items()]}}}
    return {"apiInvocationInput": ai}


def order_turn() -> list[dict[str, Any]]:
    """"Where is order A-482?" through the OrderTools Lambda, trace on."""
    return [
        model_input("ORCHESTRATION", "You are a helpful customer support assistant.\n"
                    "User: Where is order A-482?"),
        model_output('{"tool": "get_order_status"}'),
        rationale("The user wants the status of order A-482; I will look it up."),
        function_call("OrderTools", "get_order_status", {"order_id": "A-482"}),
        action_output('{"order_id": "A-482", "status": "SHIPPED", "eta": "2026-04-27"}'),
        final("Order A-482 has shipped and should arrive on 2026-04-27."),
        chunk("Order A-482 has shipped and should arrive on 2026-04-27."),
    ]
