"""Hand-built trace values for the eval tests, shaped exactly like the contract's
``agentctl.runtime.trace`` / ``agentctl.runtime.session`` dataclasses (attribute access only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

try:  # the real trace model, once the runtime is on main
    from agentctl.runtime.trace import KbLookup, Reference, ToolCall  # type: ignore
    from agentctl.runtime.session import TurnResult, RocExchange  # type: ignore
    REAL = True
except ImportError:  # pragma: no cover - before the runtime lands
    REAL = False

    @dataclass(frozen=True)
    class ToolCall:  # type: ignore[no-redef]
        action_group: str
        function: str | None
        api_path: str | None
        http_method: str | None
        parameters: Mapping[str, Any]
        request_body: Mapping[str, Any] | None
        execution: str
        output: str | None

    @dataclass(frozen=True)
    class Reference:  # type: ignore[no-redef]
        text: str
        uri: str | None

    @dataclass(frozen=True)
    class KbLookup:  # type: ignore[no-redef]
        knowledge_base_id: str
        query: str
        references: tuple

    @dataclass(frozen=True)
    class RocExchange:  # type: ignore[no-redef]
        invocation_id: str
        inputs: Any
        results: Any

    @dataclass(frozen=True)
    class TurnResult:  # type: ignore[no-redef]
        answer: str
        session_id: str
        memory_id: str | None
        invocations: tuple
        roc_exchanges: tuple
        tool_calls: tuple
        kb_lookups: tuple
        failures: tuple
        guardrail_interventions: int
        citations: tuple
        timings: Mapping[str, float] = field(default_factory=dict)


def call(group: str, function: str | None = None, *, api_path: str | None = None,
         method: str | None = None, execution: str = "lambda", output: str | None = None,
         body: Mapping[str, Any] | None = None, **params: Any) -> ToolCall:
    return ToolCall(action_group=group, function=function, api_path=api_path,
                    http_method=method, parameters=dict(params), request_body=body,
                    execution=execution, output=output)


def lookup(kb: str, query: str, *refs: tuple[str, str | None]) -> KbLookup:
    return KbLookup(knowledge_base_id=kb, query=query,
                    references=tuple(Reference(text=t, uri=u) for t, u in refs))


def turn(answer: str = "", *, calls: tuple = (), lookups: tuple = (), failures: tuple = (),
         guardrail: int = 0, roc: tuple = (), session_id: str = "s-1") -> TurnResult:
    return TurnResult(answer=answer, session_id=session_id, memory_id=None, invocations=(),
                      roc_exchanges=tuple(roc), tool_calls=tuple(calls),
                      kb_lookups=tuple(lookups), failures=tuple(failures),
                      guardrail_interventions=guardrail, citations=(), timings={})
