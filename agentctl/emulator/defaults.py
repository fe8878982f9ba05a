"""Values the service fills in on read: default prompt configurations and memory defaults.

GetAgent returns ``promptOverrideConfiguration`` even when it was never set, with a DEFAULT-mode
entry (default template, inference configuration, parser mode, state) for every prompt type not
overridden (service-behaviour.md §9.1, Terraform's ``removeDefaultPrompts``). The templates below are
*plausible* stand-ins for the real (long, model-specific) AWS templates: they keep the real
placeholders (``$instruction$``, ``$tools$``, ``$question$``...) so a prompt-aware client sees the
same structure, but they are not AWS's text.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from agentctl.core.servicemodel import service_model


def _template(system: str) -> str:
    return json.dumps({
        "anthropic_version": "bedrock-2023-05-31",
        "system": system,
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "$question$"}]},
            {"role": "assistant", "content": [{"type": "text", "text": "$agent_scratchpad$"}]},
        ],
    }, indent=4)


_TEMPLATES = {
    "PRE_PROCESSING": _template(
        "You are a classifying agent that filters user inputs into categories. Your job is to sort "
        "these inputs before they are passed along to our function calling agent. The purpose of our "
        "function calling agent is to call functions in order to answer user's questions. Here is the "
        "list of functions we are providing to our function calling agent: $functions$ ... Sort the "
        "input into one of the categories A-E and answer in <category></category> tags."),
    "ORCHESTRATION": _template(
        "$instruction$ You have been provided with a set of functions to answer the user's question. "
        "You must call the functions in the format below: <function_calls><invoke><tool_name>$TOOL_NAME"
        "</tool_name><parameters>...</parameters></invoke></function_calls> Here are the functions "
        "available: <functions>$tools$</functions> $knowledge_base_guideline$ $prompt_session_attributes$"
        " $memory_guideline$ $memory_content$"),
    "KNOWLEDGE_BASE_RESPONSE_GENERATION": _template(
        "You are a question answering agent. I will provide you with a set of search results. The user "
        "will provide you with a question. Your job is to answer the user's question using only "
        "information from the search results. Here are the search results in numbered order: "
        "$search_results$ $output_format_instructions$"),
    "POST_PROCESSING": _template(
        "You are an agent tasked with providing more context to an answer that a function calling "
        "agent outputs. The function calling agent takes in a user's question and calls the "
        "appropriate functions to answer it. Here is the latest answer: <latest_response>"
        "$latest_response$</latest_response> and the trace: <bot_trace>$bot_trace$</bot_trace>"),
    "MEMORY_SUMMARIZATION": _template(
        "You will be given a conversation between a user and an AI assistant. Summarize the "
        "conversation into topics the user discussed, keeping user goals, assistant actions and "
        "decisions. <past_conversation>$past_conversation_summary$</past_conversation> "
        "<conversation>$conversation$</conversation>"),
}

_INFERENCE = {
    "PRE_PROCESSING": {"temperature": 0.0, "topP": 1.0, "topK": 250, "maximumLength": 2048,
                       "stopSequences": ["\n\nHuman:"]},
    "ORCHESTRATION": {"temperature": 0.0, "topP": 1.0, "topK": 250, "maximumLength": 2048,
                      "stopSequences": ["</invoke>", "</answer>", "</error>"]},
    "KNOWLEDGE_BASE_RESPONSE_GENERATION": {"temperature": 0.0, "topP": 1.0, "topK": 250,
                                           "maximumLength": 2048, "stopSequences": ["\n\nHuman:"]},
    "POST_PROCESSING": {"temperature": 0.0, "topP": 1.0, "topK": 250, "maximumLength": 2048,
                        "stopSequences": ["\n\nHuman:"]},
    "MEMORY_SUMMARIZATION": {"temperature": 0.0, "topP": 1.0, "topK": 250, "maximumLength": 4096,
                             "stopSequences": ["\n\nHuman:"]},
}


def prompt_types() -> list[str]:
    """The control-plane PromptType enum, from botocore's model (ROUTING_CLASSIFIER is not in it, §6.2)."""
    return list(service_model().shape_for("PromptType").enum)


def default_state(prompt_type: str, *, memory_enabled: bool, pre_processing_state: str) -> str:
    # §6.2: ORCHESTRATION and KB generation ENABLED, POST_PROCESSING DISABLED, MEMORY_SUMMARIZATION
    # follows memory; PRE_PROCESSING is contradictory between sources -> a config switch.
    if prompt_type == "PRE_PROCESSING":
        return pre_processing_state
    if prompt_type == "POST_PROCESSING":
        return "DISABLED"
    if prompt_type == "MEMORY_SUMMARIZATION":
        return "ENABLED" if memory_enabled else "DISABLED"
    return "ENABLED"


def default_prompt_configuration(prompt_type: str, *, memory_enabled: bool, pre_processing_state: str) -> dict[str, Any]:
    return {
        "promptType": prompt_type,
        "promptCreationMode": "DEFAULT",
        "promptState": default_state(prompt_type, memory_enabled=memory_enabled,
                                     pre_processing_state=pre_processing_state),
        "basePromptTemplate": _TEMPLATES.get(prompt_type, _TEMPLATES["ORCHESTRATION"]),
        "inferenceConfiguration": copy.deepcopy(_INFERENCE.get(prompt_type, _INFERENCE["ORCHESTRATION"])),
        "parserMode": "DEFAULT",
    }


def filled_prompt_override(stored: dict[str, Any] | None, *, memory_enabled: bool, pre_processing_state: str,
                           include_memory_summarization: bool) -> dict[str, Any]:
    """The promptOverrideConfiguration GetAgent returns: every prompt type present, the stored
    (user-sent) entries first filled with the defaults for the members they leave out."""
    stored = stored or {}
    given = {c.get("promptType"): c for c in stored.get("promptConfigurations", [])}
    out: list[dict[str, Any]] = []
    for ptype in prompt_types():
        if ptype == "MEMORY_SUMMARIZATION" and not include_memory_summarization and ptype not in given:
            continue
        base = default_prompt_configuration(ptype, memory_enabled=memory_enabled,
                                            pre_processing_state=pre_processing_state)
        if ptype in given:
            entry = {**base, **copy.deepcopy(given[ptype])}
            entry.setdefault("promptCreationMode", "DEFAULT")
            out.append(entry)
        else:
            out.append(base)
    result: dict[str, Any] = {"promptConfigurations": out}
    if stored.get("overrideLambda"):
        result["overrideLambda"] = stored["overrideLambda"]
    return result


def filled_memory(stored: dict[str, Any] | None, *, storage_days: int | None,
                  max_recent_sessions: int | None) -> dict[str, Any] | None:
    """memoryConfiguration on read: absent when disabled (§9.1); defaults filled when enabled."""
    if not stored:
        return None
    out = copy.deepcopy(stored)
    if storage_days is not None:
        out.setdefault("storageDays", storage_days)
    if max_recent_sessions is not None:
        ssc = out.setdefault("sessionSummaryConfiguration", {})
        ssc.setdefault("maxRecentSessions", max_recent_sessions)
    return out
