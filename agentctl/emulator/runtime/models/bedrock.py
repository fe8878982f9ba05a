"""The ``bedrock`` foundation model: Amazon Bedrock Runtime's Converse API with tool calling.

For users with AWS access who want the local runtime to think with a real model while the
agent's tools, knowledge bases, sessions and memory stay local. Each orchestration step is one
``Converse`` call: ``system`` is the system part of the filled ORCHESTRATION prompt (instruction,
tool and knowledge-base guidelines, prompt-session attributes, memory), ``messages`` are the
session's earlier turns, the user's input and this turn's tool uses and results, and
``toolConfig`` is built from the version's action groups and ENABLED knowledge bases
(``tools.catalogue``). The inference configuration comes from the prompt configuration
(temperature, topP, maxTokens <- maximumLength, stopSequences).

Settings (``runtime.model``): ``modelId`` (default: the agent's foundationModel), ``region``,
``profile``, ``endpoint``. Errors (throttling, access, validation) become ``ModelError`` with the
service's code, so the stream reports them as Bedrock does.

Must not: log request bodies or credentials.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from agentctl.emulator.runtime.models.base import (ModelError, ModelReply, ModelRequest, PlainSteps,
                                                   StepRecord, strip_answer)
from agentctl.emulator.runtime.tools import ToolUse

_STREAM_CODES = {"ThrottlingException", "ServiceQuotaExceededException", "ModelNotReadyException",
                 "AccessDeniedException", "ValidationException", "InternalServerException"}


def _call_id(i: int, step: StepRecord) -> str:
    return step.use.call_id or f"agentctl-{i}"


def _tool_input(step: StepRecord) -> dict[str, Any]:
    if step.call is not None:
        if step.call.kind == "knowledge_base":
            return {"searchQuery": step.call.query}
        out: dict[str, Any] = {v.name: v.value for v in step.call.parameters}
        out.update({v.name: v.value for v in step.call.body or ()})
        return out
    return {**step.use.parameters, **(step.use.request_body or {})}


def _tool_name(step: StepRecord) -> str:
    return step.call.tool_name if step.call is not None else (step.use.tool_name or step.use.describe())


def converse_messages(request: ModelRequest) -> list[dict[str, Any]]:
    """Converse ``messages``: earlier turns, the input, then one toolUse/toolResult pair per step
    (roles alternate; consecutive same-role texts are merged)."""
    messages: list[dict[str, Any]] = []

    def add(role: str, block: dict[str, Any]) -> None:
        if messages and messages[-1]["role"] == role and "text" in block and "text" in messages[-1]["content"][-1]:
            messages[-1]["content"][-1]["text"] += "\n" + block["text"]
        elif messages and messages[-1]["role"] == role:
            messages[-1]["content"].append(block)
        else:
            messages.append({"role": role, "content": [block]})

    for role, text in request.history:
        add(role, {"text": text or "(empty)"})
    add("user", {"text": request.input_text or "(empty)"})
    for i, step in enumerate(request.steps):
        cid = _call_id(i, step)
        add("assistant", {"toolUse": {"toolUseId": cid, "name": _tool_name(step), "input": _tool_input(step)}})
        result: dict[str, Any] = {"toolUseId": cid, "content": [{"text": step.output or "(empty)"}]}
        if step.status in ("error", "denied"):
            result["status"] = "error"
        add("user", {"toolResult": result})
    return messages


def tool_config(request: ModelRequest) -> dict[str, Any] | None:
    if not request.tools:
        return None
    return {"tools": [{"toolSpec": {"name": t.name, "description": t.description[:1000] or t.name,
                                    "inputSchema": {"json": dict(t.input_schema)}}} for t in request.tools]}


def inference_config(inference: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "temperature" in inference:
        out["temperature"] = float(inference["temperature"])
    if "topP" in inference:
        out["topP"] = float(inference["topP"])
    if inference.get("maximumLength"):
        out["maxTokens"] = int(inference["maximumLength"])
    if inference.get("stopSequences"):
        out["stopSequences"] = list(inference["stopSequences"])[:4]
    return out


class ConverseModel(PlainSteps):
    def __init__(self, settings: Mapping[str, Any], *, client: Any = None):
        self.settings = dict(settings)
        self._client = client
        self.name = f"bedrock:{self.settings.get('modelId') or 'agent foundationModel'}"

    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            session = boto3.Session(profile_name=self.settings.get("profile") or None,
                                    region_name=self.settings.get("region") or None)
            self._client = session.client("bedrock-runtime", endpoint_url=self.settings.get("endpoint") or None,
                                          config=Config(retries={"mode": "standard", "max_attempts": 3},
                                                        read_timeout=300, user_agent_extra="agentctl-local-runtime"))
        return self._client

    def _converse(self, request: ModelRequest, *, system: str, messages: list[dict[str, Any]],
                  tools: bool) -> dict[str, Any]:
        import botocore.exceptions

        model_id = self.settings.get("modelId") or request.foundation_model
        if not model_id:
            raise ModelError("No model to call: set runtime.model.modelId or the agent's foundation model.",
                             code="ModelNotReadyException")
        params: dict[str, Any] = {"modelId": model_id, "messages": messages}
        if system:
            params["system"] = [{"text": system}]
        inference = inference_config(request.inference)
        if inference:
            params["inferenceConfig"] = inference
        config = tool_config(request) if tools else None
        if config:
            params["toolConfig"] = config
        try:
            return self.client().converse(**params)
        except botocore.exceptions.ClientError as e:
            err = e.response.get("Error", {})
            code = str(err.get("Code") or "DependencyFailedException")
            raise ModelError(f"Bedrock Runtime Converse ({model_id}) failed: {code}: {err.get('Message')}",
                             code=code if code in _STREAM_CODES else "DependencyFailedException") from None
        except botocore.exceptions.BotoCoreError as e:
            raise ModelError(f"Bedrock Runtime Converse ({model_id}) failed: {e}") from None

    @staticmethod
    def _text_and_tools(response: Mapping[str, Any]) -> tuple[str, list[ToolUse], int, int]:
        content = ((response.get("output") or {}).get("message") or {}).get("content") or []
        texts, uses = [], []
        for block in content:
            if "text" in block:
                texts.append(block["text"])
            elif "toolUse" in block:
                tu = block["toolUse"]
                uses.append(ToolUse(tool_name=tu.get("name"), parameters=dict(tu.get("input") or {}),
                                    call_id=tu.get("toolUseId")))
        usage = response.get("usage") or {}
        return "\n".join(texts).strip(), uses, int(usage.get("inputTokens") or 0), int(usage.get("outputTokens") or 0)

    def orchestrate(self, request: ModelRequest) -> ModelReply:
        response = self._converse(request, system=request.system, messages=converse_messages(request), tools=True)
        text, uses, tin, tout = self._text_and_tools(response)
        raw = json.dumps((response.get("output") or {}).get("message") or {}, ensure_ascii=False, default=str)
        if uses:
            return ModelReply(raw=raw, rationale=text or None, tool_uses=tuple(uses), input_tokens=tin,
                              output_tokens=tout)
        return ModelReply(raw=raw, answer=strip_answer(text), input_tokens=tin, output_tokens=tout)

    def _plain(self, request: ModelRequest, user: str) -> tuple[str, int, int]:
        response = self._converse(request, system=request.system,
                                  messages=[{"role": "user", "content": [{"text": user or "(empty)"}]}], tools=False)
        text, _, tin, tout = self._text_and_tools(response)
        return text, tin, tout
