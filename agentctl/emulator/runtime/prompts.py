"""Filling Bedrock prompt templates (default or overridden) with their placeholders.

The placeholders are the ones Bedrock's advanced-prompts documentation lists for each step, e.g.
ORCHESTRATION: ``$instruction$``, ``$tools$`` / ``$functions$``, ``$question$``,
``$agent_scratchpad$``, ``$conversation_history$``, ``$prompt_session_attributes$``,
``$knowledge_base_guideline$``, ``$memory_guideline$``, ``$memory_content$``,
``$memory_action_guideline$``, ``$code_interpreter_guideline$``, ``$multi_agent_collaboration$``;
PRE_PROCESSING: ``$functions$``, ``$question$``, ``$conversation_history$``; POST_PROCESSING:
``$latest_response$``, ``$bot_trace$``, ``$question$``; MEMORY_SUMMARIZATION:
``$past_conversation_summary$``, ``$conversation$``. Placeholders the emulator has no value for
are left as written, so a typo in an override shows in the model-input trace.

Templates that are JSON documents (Bedrock's Anthropic templates: ``{"system": ..., "messages":
...}``) get JSON-escaped values, as Bedrock's own filled prompts show them; ``system_of`` reads
the system part back for providers that take a system prompt.

Pure: no I/O. The exact wording of the guideline texts is the emulator's (UNCONFIRMED).
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from agentctl.emulator.runtime.models.base import StepRecord
from agentctl.emulator.runtime.snapshot import AgentSnapshot
from agentctl.emulator.runtime.tools import Tool, render_functions, render_tools

_PLACEHOLDER = re.compile(r"\$([a-z_]+)\$")


def is_json_template(template: str) -> bool:
    return template.lstrip().startswith("{")


def fill(template: str, values: Mapping[str, str]) -> str:
    escape = is_json_template(template)

    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in values:
            return m.group(0)
        value = values[name]
        return json.dumps(value, ensure_ascii=False)[1:-1] if escape else value
    return _PLACEHOLDER.sub(repl, template)


def system_of(prompt: str) -> str:
    if is_json_template(prompt):
        try:
            doc = json.loads(prompt, strict=False)
        except ValueError:
            return prompt
        if isinstance(doc, dict) and isinstance(doc.get("system"), str):
            return doc["system"]
    return prompt


def prompt_session_attributes(attrs: Mapping[str, str]) -> str:
    if not attrs:
        return ""
    inner = "\n".join(f"<{k}>{v}</{k}>" for k, v in attrs.items())
    return f"<prompt_session_attributes>\n{inner}\n</prompt_session_attributes>"


def knowledge_base_guideline(snapshot: AgentSnapshot) -> str:
    kbs = snapshot.enabled_knowledge_bases
    if not kbs:
        return ""
    lines = "\n".join(f"- GET__x_amz_knowledgebase_{kb.id}__Search: {kb.description}" for kb in kbs)
    return ("You can search these knowledge bases; answer from the search results and cite them:\n"
            + lines)


def memory_content(memory: tuple[str, ...]) -> str:
    if not memory:
        return ""
    inner = "\n".join(f"<session_summary>{m}</session_summary>" for m in memory)
    return f"<memory>\n{inner}\n</memory>"


def conversation_history(history: tuple[tuple[str, str], ...]) -> str:
    return "\n".join(f"{'User' if role == 'user' else 'Assistant'}: {text}" for role, text in history)


def scratchpad(steps: tuple[StepRecord, ...]) -> str:
    out = []
    for s in steps:
        params = {v.name: v.value for v in (s.call.parameters if s.call else ())}
        if s.call and s.call.body:
            params.update({v.name: v.value for v in s.call.body})
        if s.call and s.call.kind == "knowledge_base":
            params = {"searchQuery": s.call.query}
        name = s.call.tool_name if s.call else s.use.describe()
        inner = "".join(f"<{k}>{v}</{k}>" for k, v in params.items())
        out.append(f"<function_calls><invoke><tool_name>{name}</tool_name><parameters>{inner}"
                   f"</parameters></invoke></function_calls>")
        tag = "error" if s.status in ("error", "denied") else "stdout"
        out.append(f"<function_results><result><tool_name>{name}</tool_name><{tag}>{s.output}</{tag}>"
                   f"</result></function_results>")
    return "\n".join(out)


def orchestration_values(snapshot: AgentSnapshot, tools: tuple[Tool, ...], *, question: str,
                         steps: tuple[StepRecord, ...], history: tuple[tuple[str, str], ...],
                         prompt_attrs: Mapping[str, str], memory: tuple[str, ...]) -> dict[str, str]:
    memory_on = snapshot.memory is not None
    return {
        "instruction": snapshot.instruction,
        "tools": render_tools(tools),
        "functions": render_tools(tools),
        "question": question,
        "agent_scratchpad": scratchpad(steps),
        "conversation_history": conversation_history(history),
        "prompt_session_attributes": prompt_session_attributes(prompt_attrs),
        "knowledge_base_guideline": knowledge_base_guideline(snapshot),
        "knowledge_base_additional_guideline": "",
        "memory_guideline": ("You have memory of earlier sessions with this user in <memory>; use it when "
                             "the user refers to earlier conversations.") if memory_on else "",
        "memory_content": memory_content(memory) if memory_on else "",
        "memory_action_guideline": "",
        "code_interpreter_guideline": "",
        "multi_agent_collaboration": "",
        "ask_user_missing_information": "If a required parameter is missing, ask the user for it.",
    }


def pre_processing_values(tools: tuple[Tool, ...], *, question: str,
                          history: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return {"functions": render_functions(tools), "tools": render_functions(tools), "question": question,
            "conversation_history": conversation_history(history)}


def post_processing_values(*, question: str, answer: str, steps: tuple[StepRecord, ...]) -> dict[str, str]:
    return {"latest_response": answer, "bot_trace": scratchpad(steps), "question": question,
            "responses": answer}


def summary_values(*, history: tuple[tuple[str, str], ...], past: tuple[str, ...]) -> dict[str, Any]:
    return {"conversation": conversation_history(history), "past_conversation_summary": "\n".join(past)}
