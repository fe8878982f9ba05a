"""Hand-built trace values for the eval tests: the runtime's own ``agentctl.runtime.trace`` /
``agentctl.runtime.session`` dataclasses, built by short helpers."""

from __future__ import annotations

from typing import Any, Mapping

from agentctl.runtime.session import RocExchange, TurnResult
from agentctl.runtime.trace import KbLookup, Reference, ToolCall

__all__ = ["RocExchange", "TurnResult", "KbLookup", "Reference", "ToolCall", "call", "lookup",
           "turn"]


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
