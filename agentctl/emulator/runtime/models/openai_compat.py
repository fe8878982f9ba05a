"""The ``openai-compatible`` foundation model: any chat-completions endpoint with tool calling
(a model served locally by Ollama, vLLM, llama.cpp, LM Studio, or a hosted API).

Each orchestration step is one ``POST {baseUrl}/chat/completions``: a ``system`` message (the
system part of the filled ORCHESTRATION prompt), the session's earlier turns, the user's input,
then this turn's tool calls (``assistant`` messages with ``tool_calls``) and their results
(``tool`` messages); ``tools`` are the version's functions, OpenAPI operations and ENABLED
knowledge bases as JSON-Schema functions (``tools.catalogue``). ``temperature``, ``top_p``,
``max_tokens`` and ``stop`` come from the prompt configuration.

Settings (``runtime.model``): ``baseUrl``, ``model``, ``apiKeyEnv`` (the name of the environment
variable holding the key, sent as a bearer token; never stored in agentctl.yaml), ``timeout``.
Uses the standard library's HTTP client: no SDK dependency.

Must not: log request bodies, responses or the API key.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any, Mapping

from agentctl.emulator.runtime.models.base import (ModelError, ModelReply, ModelRequest, PlainSteps,
                                                   strip_answer)
from agentctl.emulator.runtime.models.bedrock import _tool_input, _tool_name
from agentctl.emulator.runtime.tools import ToolUse


def chat_messages(request: ModelRequest) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    if request.system:
        messages.append({"role": "system", "content": request.system})
    for role, text in request.history:
        messages.append({"role": role, "content": text})
    messages.append({"role": "user", "content": request.input_text})
    for i, step in enumerate(request.steps):
        cid = step.use.call_id or f"call_agentctl_{i}"
        messages.append({"role": "assistant", "content": None, "tool_calls": [{
            "id": cid, "type": "function",
            "function": {"name": _tool_name(step), "arguments": json.dumps(_tool_input(step), ensure_ascii=False)}}]})
        messages.append({"role": "tool", "tool_call_id": cid, "content": step.output})
    return messages


def chat_tools(request: ModelRequest) -> list[dict[str, Any]]:
    return [{"type": "function", "function": {"name": t.name, "description": t.description,
                                              "parameters": dict(t.input_schema)}} for t in request.tools]


class ChatCompletionsModel(PlainSteps):
    def __init__(self, settings: Mapping[str, Any]):
        self.settings = dict(settings)
        self.name = f"openai-compatible:{self.settings.get('model')}"

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        url = str(self.settings["baseUrl"]).rstrip("/") + "/chat/completions"
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key_env = self.settings.get("apiKeyEnv")
        if key_env:
            key = os.environ.get(str(key_env))
            if not key:
                raise ModelError(f"The API key variable {key_env} named by runtime.model.apiKeyEnv is not set.",
                                 code="AccessDeniedException")
            headers["Authorization"] = f"Bearer {key}"
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(url, data=data, headers=headers, method="POST")
        timeout = float(self.settings.get("timeout") or 120)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - configured URL
                payload = resp.read()
        except urllib.error.HTTPError as e:
            detail = e.read(2000).decode("utf-8", "replace")
            code = "ThrottlingException" if e.code == 429 else (
                "AccessDeniedException" if e.code in (401, 403) else "DependencyFailedException")
            raise ModelError(f"The chat-completions endpoint {url} answered HTTP {e.code}: {detail[:500]}",
                             code=code) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise ModelError(f"The chat-completions endpoint {url} is not reachable: {reason}") from None
        try:
            doc = json.loads(payload)
            doc["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ModelError(f"The chat-completions endpoint {url} answered something that is not a chat "
                             "completion.") from None
        return doc

    def _body(self, request: ModelRequest, messages: list[dict[str, Any]], *, tools: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.settings["model"], "messages": messages}
        inf = request.inference
        if "temperature" in inf:
            body["temperature"] = inf["temperature"]
        if "topP" in inf:
            body["top_p"] = inf["topP"]
        if inf.get("maximumLength"):
            body["max_tokens"] = int(inf["maximumLength"])
        if inf.get("stopSequences"):
            body["stop"] = list(inf["stopSequences"])[:4]
        if tools and request.tools:
            body["tools"] = chat_tools(request)
        return body

    @staticmethod
    def _reply(doc: Mapping[str, Any]) -> tuple[str, list[ToolUse], int, int, str]:
        message = doc["choices"][0]["message"]
        uses = []
        for call in message.get("tool_calls") or []:
            fn = call.get("function") or {}
            try:
                args = json.loads(fn.get("arguments") or "{}")
            except ValueError:
                args = {"__unparsable_arguments__": fn.get("arguments")}
            if not isinstance(args, dict):
                args = {"__unparsable_arguments__": fn.get("arguments")}
            uses.append(ToolUse(tool_name=fn.get("name"), parameters=args, call_id=call.get("id")))
        usage = doc.get("usage") or {}
        raw = json.dumps(message, ensure_ascii=False)
        return (message.get("content") or "").strip(), uses, int(usage.get("prompt_tokens") or 0), \
            int(usage.get("completion_tokens") or 0), raw

    def orchestrate(self, request: ModelRequest) -> ModelReply:
        text, uses, tin, tout, raw = self._reply(self._post(self._body(request, chat_messages(request), tools=True)))
        if uses:
            return ModelReply(raw=raw, rationale=text or None, tool_uses=tuple(uses), input_tokens=tin,
                              output_tokens=tout)
        return ModelReply(raw=raw, answer=strip_answer(text), input_tokens=tin, output_tokens=tout)

    def _plain(self, request: ModelRequest, user: str) -> tuple[str, int, int]:
        messages = ([{"role": "system", "content": request.system}] if request.system else []) + [
            {"role": "user", "content": user}]
        text, _, tin, tout, _ = self._reply(self._post(self._body(request, messages, tools=False)))
        return text, tin, tout

