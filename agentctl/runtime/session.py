"""One turn of a conversation with an agent: ``run_turn``.

A turn is the user's text and everything until the agent's final answer: the first InvokeAgent
call, and, each time the stream ends with a ``returnControl`` event instead of an answer, one
more call carrying the caller's results (``sessionState.invocationId`` +
``returnControlInvocationResults``, service-behaviour.md §10.1), until an answer (or a limit of
rounds). Each call's events are folded by ``agentctl.runtime.trace.from_events``; the turn
gathers them into a ``TurnResult`` for invoke, chat and the eval runner.

Checks made before any call (so a typo never reaches the service): the session and memory ids
against the pattern and length botocore's model gives InvokeAgent (§10.1: 2..100 chars of
``[0-9a-zA-Z._:-]``), and the attribute maps' types.

Must not: print (answer text goes to ``on_chunk``, raw events to ``raw_events``), import boto3
(``agentctl.aws.runtime`` makes the call), or decide how return of control is answered (the
``RocResolver`` does).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping, Protocol, Sequence

from agentctl.core import servicemodel
from agentctl.errors import AgentctlError, HandlerError, UsageError
from agentctl.runtime import trace as tr
from agentctl.runtime.trace import Invocation, KbLookup, Reference, ToolCall

MAX_ROC_ROUNDS = 10
"""Return-of-control rounds per turn before giving up (a model looping on a tool)."""
MAX_RESULTS = 5
"""returnControlInvocationResults holds 1..5 items (botocore model)."""


class RocResolver(Protocol):
    def resolve(self, roc: Mapping[str, Any]) -> list[dict[str, Any]]:
        """``roc`` is ``Invocation.return_control`` (``{"invocationId", "inputs"}``); returns the
        ``returnControlInvocationResults`` list (``functionResult`` / ``apiResult`` members)."""
        ...


@dataclass(frozen=True)
class RocExchange:
    invocation_id: str
    inputs: Sequence[Mapping[str, Any]]
    results: Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class TurnResult:
    answer: str
    session_id: str
    memory_id: str | None
    invocations: tuple[Invocation, ...]
    """The first call plus one per return-of-control round."""
    roc_exchanges: tuple[RocExchange, ...]
    tool_calls: tuple[ToolCall, ...]
    """Every invocation's tool calls, in order; return-of-control calls carry the result the
    caller sent back as their ``output``."""
    kb_lookups: tuple[KbLookup, ...]
    failures: tuple[str, ...]
    guardrail_interventions: int
    citations: tuple[Reference, ...]
    timings: Mapping[str, float]
    """Seconds: ``total``, ``first_chunk`` (when an answer arrived), ``handlers`` (time spent
    in return-of-control resolvers, user prompts included)."""


# --------------------------------------------------------------------------- input checks

def _constraints(member: str) -> dict[str, Any]:
    shape = servicemodel.service_model("bedrock-agent-runtime").operation_model(
        "InvokeAgent").input_shape.members[member]
    return servicemodel.shape_constraints(shape)


def check_id(value: str, member: str, flag: str) -> str:
    """``value`` if it satisfies the InvokeAgent model's length and pattern for ``member``
    (sessionId, memoryId), else a ``UsageError`` naming the flag."""
    c = _constraints(member)
    lo, hi = c.get("min", 0), c.get("max", 10**9)
    if not (lo <= len(value) <= hi):
        raise UsageError(f"{flag} {value!r} must be {lo} to {hi} characters long "
                         f"(it has {len(value)})",
                         hint=f"use letters, digits and . _ : - only, e.g. {flag} user-9921")
    pattern = c.get("pattern")
    if pattern and not servicemodel.compiled(pattern).fullmatch(value):
        raise UsageError(f"{flag} {value!r} does not match the pattern InvokeAgent requires "
                         f"({pattern})",
                         hint=f"use letters, digits and . _ : - only, e.g. {flag} user-9921")
    return value


def new_session_id() -> str:
    return str(uuid.uuid4())


def _check_attrs(attrs: Mapping[str, str] | None, what: str) -> dict[str, str] | None:
    if attrs is None:
        return None
    out = {}
    for k, v in attrs.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise UsageError(f"{what} must map strings to strings (got {k!r}: {v!r})")
        out[k] = v
    return out


def check_results(results: Any, roc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The resolver's answer, checked against the InvokeAgent model before it is sent: a list
    of 1..5 ``{functionResult: ...}`` / ``{apiResult: ...}`` members (``HandlerError`` if not)."""
    if not isinstance(results, list) or not results:
        raise HandlerError(f"return-of-control results must be a non-empty list, got "
                           f"{type(results).__name__}", where=f"invocation {roc.get('invocationId')}")
    if len(results) > MAX_RESULTS:
        raise HandlerError(f"{len(results)} return-of-control results; InvokeAgent takes at "
                           f"most {MAX_RESULTS}")
    violations = _validate_results(results)
    if violations:
        raise HandlerError("the return-of-control results do not fit InvokeAgent: "
                           + "; ".join(violations),
                           hint="a handler returns a string (the result text) or a mapping "
                                "{body, responseState?, httpStatusCode?}")
    return results


def _validate_results(results: list[Any]) -> list[str]:
    shape = servicemodel.service_model("bedrock-agent-runtime").operation_model(
        "InvokeAgent").input_shape.members["sessionState"].members[
        "returnControlInvocationResults"].member
    problems = []
    for i, r in enumerate(results):
        if not isinstance(r, Mapping):
            problems.append(f"result {i + 1} is {type(r).__name__}, not a mapping")
            continue
        members = [k for k in r if r.get(k) is not None]
        if len(members) != 1 or members[0] not in shape.members:
            problems.append(f"result {i + 1} must have exactly one of "
                            f"{', '.join(sorted(shape.members))} (has {', '.join(members) or 'none'})")
            continue
        sub = shape.members[members[0]]
        body = r[members[0]]
        if not isinstance(body, Mapping):
            problems.append(f"result {i + 1}: {members[0]} is not a mapping")
            continue
        for req in sub.required_members:
            if body.get(req) is None:
                problems.append(f"result {i + 1}: {members[0]}.{req} is missing")
        for k, v in body.items():
            if k not in sub.members:
                problems.append(f"result {i + 1}: {members[0]} has no member {k!r}")
                continue
            enum = getattr(sub.members[k], "enum", None)
            if enum and v not in enum:
                problems.append(f"result {i + 1}: {members[0]}.{k} must be one of "
                                f"{', '.join(enum)} (got {v!r})")
        rb = body.get("responseBody")
        if rb is not None:
            if not isinstance(rb, Mapping) or not all(
                    isinstance(b, Mapping) and isinstance(b.get("body", ""), str)
                    for b in rb.values()):
                problems.append(f"result {i + 1}: {members[0]}.responseBody must map a content "
                                "type to {body: text}")
    return problems


# ------------------------------------------------------------------------------- the turn

def run_turn(client: Any, *, agent_id: str, alias_id: str, session_id: str, text: str,
             session_attributes: Mapping[str, str] | None = None,
             prompt_session_attributes: Mapping[str, str] | None = None,
             memory_id: str | None = None, end_session: bool = False,
             roc_resolver: RocResolver, enable_trace: bool = True,
             on_chunk: Callable[[str], None] | None = None,
             raw_events: Callable[[Mapping[str, Any]], None] | None = None,
             clock: Callable[[], float] = time.monotonic) -> TurnResult:
    """Send ``text`` and follow return of control until the agent answers (see module doc)."""
    from agentctl.aws import runtime as rt  # the one boto3-facing module of the runtime

    check_id(session_id, "sessionId", "--session")
    if memory_id is not None:
        check_id(memory_id, "memoryId", "--memory-id")
    session_attributes = _check_attrs(session_attributes, "session attributes")
    prompt_session_attributes = _check_attrs(prompt_session_attributes,
                                             "prompt session attributes")

    base: dict[str, Any] = {"agentId": agent_id, "agentAliasId": alias_id,
                            "sessionId": session_id, "enableTrace": bool(enable_trace)}
    if memory_id is not None:
        base["memoryId"] = memory_id
    if end_session:
        base["endSession"] = True
    state: dict[str, Any] = {}
    if session_attributes:
        state["sessionAttributes"] = session_attributes
    if prompt_session_attributes:
        # One turn's worth (§10.1); the return-of-control calls belong to the same turn.
        state["promptSessionAttributes"] = prompt_session_attributes

    params = {**base, **({"inputText": text} if text else {}),
              **({"sessionState": dict(state)} if state else {})}
    start = clock()
    first_chunk: float | None = None
    handler_time = 0.0
    invocations: list[Invocation] = []
    exchanges: list[RocExchange] = []
    where = f"agent {agent_id} alias {alias_id}"
    secret_values = _attribute_values(session_attributes, prompt_session_attributes)
    while True:
        events: list[Mapping[str, Any]] = []
        for kind, item in rt.invoke(client, params, where=where):
            if kind == "headers":
                session_id = item.get("sessionId") or session_id
                memory_id = item.get("memoryId") or memory_id
                continue
            item = redact_prompts(item, secret_values)
            events.append(item)
            if raw_events is not None:
                raw_events(item)
            piece = tr.chunk_text(item)
            if piece:
                if first_chunk is None:
                    first_chunk = clock() - start
                if on_chunk is not None:
                    on_chunk(piece)
        inv = tr.from_events(events)
        invocations.append(inv)
        if inv.return_control is None:
            break
        if len(exchanges) >= MAX_ROC_ROUNDS:
            raise AgentctlError(f"the agent returned control {len(exchanges) + 1} times in one "
                                "turn; stopping", where=where,
                                hint="the model keeps calling client-side tools: check their "
                                     "results and the agent's instruction")
        roc = inv.return_control
        t0 = clock()
        results = check_results(roc_resolver.resolve(roc), roc)
        handler_time += clock() - t0
        exchanges.append(RocExchange(str(roc.get("invocationId") or ""),
                                     list(roc.get("inputs") or ()), results))
        params = {**base, "sessionState": {
            **state, "invocationId": roc.get("invocationId"),
            "returnControlInvocationResults": results}}
    timings = {"total": clock() - start, "handlers": handler_time}
    if first_chunk is not None:
        timings["first_chunk"] = first_chunk
    return TurnResult(
        answer="".join(i.answer for i in invocations), session_id=session_id,
        memory_id=memory_id, invocations=tuple(invocations), roc_exchanges=tuple(exchanges),
        tool_calls=_with_roc_outputs(invocations, exchanges),
        kb_lookups=tuple(k for i in invocations for k in i.kb_lookups),
        failures=tuple(f for i in invocations for f in i.failures),
        guardrail_interventions=sum(i.guardrail_interventions for i in invocations),
        citations=tuple(c for i in invocations for c in i.citations), timings=timings)


REDACTED = "(redacted)"
_SHORT = 4


def _attribute_values(*maps: Mapping[str, str] | None) -> tuple[str, ...]:
    """The values of the turn's session and prompt session attributes, longest first (so a
    value inside another is not replaced first)."""
    values = {str(v) for m in maps for v in (m or {}).values() if str(v)}
    return tuple(sorted(values, key=lambda v: (-len(v), v)))


def redact_text(text: str, values: Sequence[str]) -> str:
    """``text`` with every attribute value replaced by ``(redacted)``. A value shorter than
    four characters is replaced only where it stands alone between tags (``<value>7</value>``,
    how the prompt lists attributes), not inside every word and number of the prompt."""
    for v in values:
        if len(v) >= _SHORT:
            text = text.replace(v, REDACTED)
        else:
            text = text.replace(f">{v}<", f">{REDACTED}<")
    return text


def redact_prompts(event: Mapping[str, Any], values: Sequence[str]) -> Mapping[str, Any]:
    """``event`` with the attribute values taken out of the prompts its trace shows
    (``modelInvocationInput.text``): the service renders prompt session attributes into the
    prompt (§10.1), so without this ``--trace``, ``--output json``, ``--trace-out`` and eval
    records would carry them. Names stay, values go. What the model *does* with an attribute (a
    tool call's parameter, the answer) is the agent's behaviour and is kept: evals check it."""
    if not values:
        return event

    def walk(x: Any) -> Any:
        if isinstance(x, Mapping):
            out = {}
            for k, v in x.items():
                if k == "modelInvocationInput" and isinstance(v, Mapping) \
                        and isinstance(v.get("text"), str):
                    v = {**v, "text": redact_text(v["text"], values)}
                out[k] = walk(v)
            return out
        if isinstance(x, list):
            return [walk(v) for v in x]
        return x

    return walk(event)


def _result_text(member: Mapping[str, Any]) -> str | None:
    for body in (member.get("responseBody") or {}).values():
        if isinstance(body, Mapping) and isinstance(body.get("body"), str):
            return body["body"]
    state = member.get("confirmationState")
    return f"({state})" if state else None


def _leading_observations(inv: Invocation) -> list[str | None]:
    """Action-group observations a resumed stream starts with, before any new tool call: the
    outputs of the calls whose results (or confirmations) were just sent back."""
    out: list[str | None] = []
    for step in inv.steps:
        if step.kind == "tool_call":
            break
        if step.kind == "observation" and step.data.get("type") == "ACTION_GROUP":
            out.append(step.data.get("text"))
    return out


def _with_roc_outputs(invocations: Sequence[Invocation],
                      exchanges: Sequence[RocExchange]) -> tuple[ToolCall, ...]:
    """All tool calls. A call answered through return of control gets its output: the result
    the caller sent; for a confirmed Lambda-executed function (USER_CONFIRMATION), the Lambda's
    output, the first observation of the resumed stream."""
    out: list[ToolCall] = []
    for i, inv in enumerate(invocations):
        sent = []
        if i < len(exchanges):
            for r in exchanges[i].results:
                member = r.get("functionResult") or r.get("apiResult") or {}
                sent.append((member.get("actionGroup"), member.get("function"),
                             member.get("apiPath"), member))
        resumed = _leading_observations(invocations[i + 1]) if i + 1 < len(invocations) else []
        for t in inv.tool_calls:
            if t.output is None:
                hit = next((x for x in sent if x[:3] == (t.action_group, t.function,
                                                          t.api_path)), None)
                if hit is not None:
                    sent.remove(hit)
                    member = hit[3]
                    observed = resumed.pop(0) if resumed else None
                    if (t.execution == "lambda" and member.get("confirmationState") == "CONFIRM"
                            and observed is not None):
                        t = replace(t, output=observed)
                    else:
                        t = replace(t, output=_result_text(member))
            out.append(t)
    return tuple(out)


def turn_json(turn: TurnResult) -> dict[str, Any]:
    """The JSON view of a turn (``agentctl invoke --output json``'s core)."""
    return {
        "answer": turn.answer,
        "session_id": turn.session_id,
        "memory_id": turn.memory_id,
        "tool_calls": [tr.tool_call_json(t) for t in turn.tool_calls],
        "kb_lookups": [tr.kb_lookup_json(k) for k in turn.kb_lookups],
        "return_control": [{"invocation_id": x.invocation_id, "inputs": tr.plain(x.inputs),
                            "results": tr.plain(x.results)} for x in turn.roc_exchanges],
        "citations": [tr.reference_json(c) for c in turn.citations],
        "failures": list(turn.failures),
        "guardrail_interventions": turn.guardrail_interventions,
        "trace": [tr.invocation_json(i)["steps"] for i in turn.invocations],
        "timings": {k: round(v, 4) for k, v in sorted(turn.timings.items())},
    }
