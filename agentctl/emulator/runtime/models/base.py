"""The foundation-model interface of the local runtime: what the orchestrator asks, what it gets.

A ``FoundationModel`` answers four kinds of request, one per Bedrock prompt step:
``orchestrate`` (rationale plus tool calls, a knowledge-base query, or the final answer),
``pre_process`` (is the input valid), ``post_process`` (rewrite the final answer) and
``summarize`` (the SESSION_SUMMARY memory of an ended session). Each request carries the filled
prompt template (what the model-input trace shows) and the structured context it was built from,
so a scripted model can match on facts while a real model reads the prompt.

Providers: ``scripted`` (a YAML file of turns), ``bedrock`` (Converse), ``openai-compatible``
(chat completions). Provider failures are ``ModelError``; the orchestrator turns them into the
stream errors Bedrock would send.

Pure data: no I/O here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol

from agentctl.emulator.runtime.tools import Call, Tool, ToolUse


@dataclass(frozen=True)
class StepRecord:
    """One completed step of the current turn, as the model sees it next."""

    use: ToolUse
    call: Call | None
    status: str
    """``ok`` (a result), ``reprompt`` (the tool asked the model to try again), ``error`` (the
    call was rejected: unknown tool or parameter), ``denied`` (the user did not confirm)."""
    output: str
    references: tuple[Mapping[str, Any], ...] = ()

    @property
    def name(self) -> str:
        """How scripts name the step: the function, the operationId (else ``METHOD /path``), or
        ``knowledge_base``."""
        if self.call is not None:
            if self.call.kind == "knowledge_base":
                return "knowledge_base"
            if self.call.function is not None:
                return self.call.function.name
            if self.call.operation is not None:
                return self.call.operation.operation_id or f"{self.call.operation.method} {self.call.operation.path}"
        if self.use.is_knowledge_base:
            return "knowledge_base"
        return self.use.function or self.use.api_path or self.use.tool_name or ""

    @property
    def names(self) -> tuple[str, ...]:
        out = [self.name]
        if self.call is not None and self.call.operation is not None:
            out.append(f"{self.call.operation.method} {self.call.operation.path}")
        return tuple(out)


@dataclass(frozen=True)
class ModelRequest:
    prompt_type: str
    """PRE_PROCESSING | ORCHESTRATION | POST_PROCESSING | MEMORY_SUMMARIZATION"""
    prompt: str
    """The filled prompt template (what the model-input trace shows)."""
    system: str
    """The system part of the prompt (the template's ``system`` when it is JSON, else all of it)."""
    input_text: str
    foundation_model: str
    inference: Mapping[str, Any] = field(default_factory=dict)
    history: tuple[tuple[str, str], ...] = ()
    """Earlier turns of the session: (``user`` | ``assistant``, text)."""
    steps: tuple[StepRecord, ...] = ()
    tools: tuple[Tool, ...] = ()
    session_attributes: Mapping[str, str] = field(default_factory=dict)
    prompt_session_attributes: Mapping[str, str] = field(default_factory=dict)
    memory: tuple[str, ...] = ()
    """Session summaries of earlier sessions (memory), oldest first."""
    answer: str | None = None
    """POST_PROCESSING: the answer to rewrite."""
    now: float = 0.0


@dataclass(frozen=True)
class ModelReply:
    raw: str
    """The model's raw output (rawResponse.content in the trace)."""
    rationale: str | None = None
    tool_uses: tuple[ToolUse, ...] = ()
    answer: str | None = None
    is_valid: bool | None = None
    """PRE_PROCESSING only."""
    input_tokens: int = 0
    output_tokens: int = 0


class ModelError(Exception):
    """The provider failed (unreachable, throttled, refused, unusable output)."""

    def __init__(self, message: str, *, code: str = "DependencyFailedException"):
        super().__init__(message)
        self.code = code
        self.message = message


class FoundationModel(Protocol):
    name: str
    """For the trace's ``foundationModel`` when the agent names none."""

    def orchestrate(self, request: ModelRequest) -> ModelReply: ...

    def pre_process(self, request: ModelRequest) -> ModelReply: ...

    def post_process(self, request: ModelRequest) -> ModelReply: ...

    def summarize(self, request: ModelRequest) -> ModelReply: ...


def estimate_tokens(text: str) -> int:
    """A rough token count (about 4 characters a token) for providers that report none."""
    return max(1, (len(text) + 3) // 4) if text else 0


def default_summary(request: ModelRequest) -> str:
    """A deterministic session summary: what the user asked and what the agent answered."""
    lines = []
    for role, text in request.history:
        who = "The user" if role == "user" else "The assistant"
        lines.append(f"{who} said: {text.strip()}")
    return "\n".join(lines) if lines else "The session had no messages."


_CATEGORY = re.compile(r"<category>\s*([A-E])\s*</category>", re.IGNORECASE)


def parse_pre_processing(raw: str) -> tuple[bool, str]:
    """Bedrock's default pre-processing parser: categories A-C are rejected, D-E accepted; the
    text before the category is the rationale. Output without a category counts as valid."""
    m = _CATEGORY.search(raw)
    rationale = (raw[: m.start()] if m else raw).strip()
    if not m:
        return True, rationale
    return m.group(1).upper() in ("D", "E"), rationale


def today(request: ModelRequest) -> dt.date:
    """The date a model should assume: ``promptSessionAttributes.current_date`` when given (the
    pattern Bedrock's docs suggest), else the emulator clock's date."""
    given = request.prompt_session_attributes.get("current_date")
    if given:
        try:
            return dt.date.fromisoformat(given[:10])
        except ValueError:
            pass
    return dt.datetime.fromtimestamp(request.now or 0, dt.timezone.utc).date()


def strip_answer(text: str) -> str:
    """Bedrock's default parser takes the text inside <answer> (or <final_response>) when present."""
    for tag in ("answer", "final_response"):
        start = text.find(f"<{tag}>")
        if start == -1:
            continue
        end = text.find(f"</{tag}>", start)
        # A stop sequence (</answer>) may have cut the closing tag off.
        return text[start + len(tag) + 2:end if end != -1 else None].strip()
    return text


class PlainSteps:
    """Pre-processing, post-processing and session summaries for a model reached over an API
    (Converse, chat completions): one plain, tool-less exchange each, parsed the way Bedrock's
    default parsers do. A subclass supplies ``_plain(request, user) -> (text, tokens in, tokens
    out)``."""

    def _plain(self, request: ModelRequest, user: str) -> tuple[str, int, int]:
        raise NotImplementedError

    def pre_process(self, request: ModelRequest) -> ModelReply:
        text, tin, tout = self._plain(request, request.input_text)
        valid, rationale = parse_pre_processing(text)
        return ModelReply(raw=text, rationale=rationale, is_valid=valid, input_tokens=tin, output_tokens=tout)

    def post_process(self, request: ModelRequest) -> ModelReply:
        text, tin, tout = self._plain(request, request.answer or "")
        return ModelReply(raw=text, answer=strip_answer(text) or request.answer, input_tokens=tin, output_tokens=tout)

    def summarize(self, request: ModelRequest) -> ModelReply:
        text, tin, tout = self._plain(request, default_summary(request))
        return ModelReply(raw=text, answer=text, input_tokens=tin, output_tokens=tout)
