"""Check one turn's normalized trace against its expectations. Pure.

Input: an ``Expect`` (``agentctl.eval.suite``) and a ``TurnResult`` (``agentctl.runtime.session``:
its ``answer``, ``tool_calls``, ``kb_lookups``, ``roc_exchanges``, ``failures``,
``guardrail_interventions``), read by attribute only. Output: a ``TurnOutcome`` with one
``Check`` per expectation (passed, expected, actual), the expected and actual trajectories as
text, and whether the tool *selection* was right (the same matching on tool names alone, which
is what tool-selection accuracy counts).

Order modes are Google ADK's trajectory evaluators: ``exact`` (the same calls in the same order,
nothing else), ``in_order`` (the expected calls as a subsequence, others allowed between them),
``any_order`` (every expected call matched by a distinct actual call, in any order).

Matching rules, also in docs/evals.md: parameter values are compared as text (Bedrock sends every
value as a string); ``regex`` must match the whole value (``re.fullmatch``), answer ``matches`` may
match anywhere (``re.search``); ``contains`` / ``notContains`` ignore case.

Must not: do I/O, call a model (a judge is passed in as a function), or raise on odd traces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from agentctl.eval.suite import CallSpec, Expect, KbSpec, Matcher

Judge = Callable[[str, str], "JudgeVerdict"]
"""``judge(criterion, transcript) -> JudgeVerdict``."""


@dataclass(frozen=True)
class JudgeVerdict:
    passed: bool
    reason: str = ""


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool | None
    """None: skipped (e.g. a judged criterion without a judge model); never fails the case."""
    expected: str
    actual: str
    note: str = ""


@dataclass(frozen=True)
class TurnOutcome:
    index: int
    input: str
    answer: str
    checks: tuple[Check, ...]
    expected_trajectory: tuple[str, ...]
    actual_trajectory: tuple[str, ...]
    tool_selection: bool | None
    """Whether the right tools were chosen (names only, in the order mode); None when the turn
    has no tool expectation."""
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and all(c.passed is not False for c in self.checks)

    @property
    def failed_checks(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.passed is False)

    @property
    def skipped_checks(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.passed is None)


# ------------------------------------------------------------------------- value matchers

def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


_MISSING = object()


def match_value(m: Matcher, value: Any = _MISSING) -> bool:
    """Whether ``value`` (``_MISSING`` when the parameter was not given) satisfies ``m``."""
    if m.kind == "absent":
        return value is _MISSING
    if value is _MISSING:
        return False
    if m.kind == "any":
        return True
    text = _text(value)
    if m.kind == "equals":
        return text == _text(m.value)
    if m.kind == "regex":
        return re.fullmatch(str(m.value), text, flags=re.DOTALL) is not None
    if m.kind == "contains":
        return str(m.value).casefold() in text.casefold()
    raise ValueError(f"unknown matcher kind {m.kind!r}")  # pragma: no cover - suite validates


# ---------------------------------------------------------------------------- tool calls

def call_parameters(call: Any) -> dict[str, Any]:
    """A ToolCall's parameters, plus the properties of an OpenAPI request body
    (``{"content": {"application/json": {"properties": [{name, value}]}}}`` as Bedrock sends it,
    or a plain mapping)."""
    out: dict[str, Any] = dict(getattr(call, "parameters", None) or {})
    body = getattr(call, "request_body", None)
    if isinstance(body, Mapping):
        content = body.get("content")
        if isinstance(content, Mapping):
            for media in content.values():
                props = media.get("properties") if isinstance(media, Mapping) else None
                for p in props or ():
                    if isinstance(p, Mapping) and "name" in p:
                        out.setdefault(str(p["name"]), p.get("value"))
        else:
            for k, v in body.items():
                out.setdefault(str(k), v)
    return out


def same_tool(spec: CallSpec, call: Any) -> bool:
    if spec.action_group != getattr(call, "action_group", None):
        return False
    if spec.function is not None:
        return getattr(call, "function", None) == spec.function
    if getattr(call, "api_path", None) != spec.api_path:
        return False
    if spec.http_method is not None:
        return _text(getattr(call, "http_method", None)).upper() == spec.http_method.upper()
    return True


def match_call(spec: CallSpec, call: Any) -> bool:
    if not same_tool(spec, call):
        return False
    params = call_parameters(call)
    return all(match_value(m, params.get(name, _MISSING)) for name, m in spec.parameters.items())


def describe_call(call: Any) -> str:
    group = getattr(call, "action_group", "?")
    fn = getattr(call, "function", None)
    if fn:
        tool = f"{group}.{fn}"
    else:
        method = getattr(call, "http_method", None)
        tool = f"{group} {(method + ' ') if method else ''}{getattr(call, 'api_path', None) or '?'}"
    args = ", ".join(f"{k}={_text(v)!r}" for k, v in sorted(call_parameters(call).items()))
    suffix = " [returned to caller]" if getattr(call, "execution", None) == "return_control" else ""
    return f"{tool}({args}){suffix}"


def match_sequence(order: str, expected: Sequence[Any], actual: Sequence[Any],
                   pred: Callable[[Any, Any], bool]) -> bool:
    """Whether ``actual`` satisfies ``expected`` under ``order`` with ``pred(spec, item)``."""
    if order == "exact":
        return len(expected) == len(actual) and all(pred(e, a) for e, a in zip(expected, actual))
    if order == "in_order":
        # Greedy earliest match is optimal for subsequence matching: matching an expected call
        # as early as possible leaves the most actual calls for the ones after it.
        i = 0
        for a in actual:
            if i < len(expected) and pred(expected[i], a):
                i += 1
        return i == len(expected)
    if order == "any_order":
        return _bipartite(expected, actual, pred) == len(expected)
    raise ValueError(f"unknown order mode {order!r}")  # pragma: no cover - suite validates


def _bipartite(expected: Sequence[Any], actual: Sequence[Any],
               pred: Callable[[Any, Any], bool]) -> int:
    """Size of a maximum matching expected -> distinct actual (augmenting paths; tiny inputs).
    Greedy is wrong here: with a=any and b=A-482, a greedy a->A-482 leaves b unmatched."""
    owner: dict[int, int] = {}

    def augment(e: int, seen: set[int]) -> bool:
        for j, a in enumerate(actual):
            if j in seen or not pred(expected[e], a):
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = e
                return True
        return False

    return sum(1 for e in range(len(expected)) if augment(e, set()))


# ------------------------------------------------------------------------ knowledge bases

def match_lookup(spec: KbSpec, lookup: Any) -> bool:
    if spec.knowledge_base_id is not None and \
            getattr(lookup, "knowledge_base_id", None) != spec.knowledge_base_id:
        return False
    if spec.query is not None and not match_value(spec.query, getattr(lookup, "query", _MISSING)):
        return False
    refs = tuple(getattr(lookup, "references", None) or ())
    if spec.min_references is not None and len(refs) < spec.min_references:
        return False
    if spec.reference_contains is not None:
        needle = spec.reference_contains.casefold()
        if not any(needle in _text(getattr(r, "text", "")).casefold()
                   or needle in _text(getattr(r, "uri", "")).casefold() for r in refs):
            return False
    return True


def describe_lookup(lookup: Any) -> str:
    refs = tuple(getattr(lookup, "references", None) or ())
    uris = [getattr(r, "uri", None) for r in refs]
    shown = ", ".join(u for u in uris if u) or f"{len(refs)} reference(s)"
    return (f"lookup(kb={getattr(lookup, 'knowledge_base_id', '?')}, "
            f"query={_text(getattr(lookup, 'query', ''))!r}) -> {shown}")


# ---------------------------------------------------------------------- return of control

@dataclass(frozen=True)
class _Returned:
    """A returned call read from a RocExchange's raw ``invocationInputs`` (when the trace model
    did not list it among the tool calls)."""

    action_group: str | None
    function: str | None
    api_path: str | None
    http_method: str | None
    parameters: Mapping[str, Any]
    request_body: Mapping[str, Any] | None = None
    execution: str = "return_control"


def returned_calls(turn: Any) -> list[Any]:
    calls = [c for c in getattr(turn, "tool_calls", ()) or ()
             if getattr(c, "execution", None) == "return_control"]
    if calls:
        return calls
    out: list[Any] = []
    for ex in getattr(turn, "roc_exchanges", ()) or ():
        for item in getattr(ex, "inputs", ()) or ():
            if not isinstance(item, Mapping):
                continue
            inv = item.get("functionInvocationInput") or item.get("apiInvocationInput") or item
            params = {str(p.get("name")): p.get("value") for p in inv.get("parameters") or ()
                      if isinstance(p, Mapping)}
            out.append(_Returned(inv.get("actionGroup"), inv.get("function"), inv.get("apiPath"),
                                 inv.get("httpMethod"), params, inv.get("requestBody")))
    return out


# -------------------------------------------------------------------------------- a turn

def count_steps(turn: Any) -> int:
    """Orchestration steps: each tool call, each knowledge-base lookup, and the final answer."""
    answer = 1 if _text(getattr(turn, "answer", "")).strip() else 0
    return len(getattr(turn, "tool_calls", ()) or ()) + \
        len(getattr(turn, "kb_lookups", ()) or ()) + answer


def transcript(inputs: Sequence[str], turns: Sequence[Any]) -> str:
    """The conversation as a judge reads it: user turns, tool calls, answers."""
    lines = []
    for text, turn in zip(inputs, turns):
        lines.append(f"USER: {text}")
        for c in getattr(turn, "tool_calls", ()) or ():
            lines.append(f"TOOL CALL: {describe_call(c)}")
            if getattr(c, "output", None):
                lines.append(f"TOOL RESULT: {c.output}")
        for k in getattr(turn, "kb_lookups", ()) or ():
            lines.append(f"KNOWLEDGE BASE: {describe_lookup(k)}")
        lines.append(f"AGENT: {_text(getattr(turn, 'answer', ''))}")
    return "\n".join(lines)


def _short(text: str, n: int = 300) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= n else text[: n - 3] + "..."


def check_turn(expect: Expect, turn: Any, *, index: int = 0, input_text: str = "",
               judge: Judge | None = None, history: Sequence[tuple[str, Any]] = ()) -> TurnOutcome:
    """Every expectation of ``expect`` on ``turn``. ``history``: earlier (input, TurnResult)
    pairs of the case, for the judge's transcript."""
    checks: list[Check] = []
    answer = _text(getattr(turn, "answer", ""))
    calls = list(getattr(turn, "tool_calls", ()) or ())
    lookups = list(getattr(turn, "kb_lookups", ()) or ())
    actual_traj = tuple([describe_call(c) for c in calls] + [describe_lookup(k) for k in lookups])
    expected_traj: list[str] = []
    selection: bool | None = None

    if expect.tool_calls is not None:
        order = expect.tool_order or "in_order"
        ok = match_sequence(order, expect.tool_calls, calls, match_call)
        selection = match_sequence(order, expect.tool_calls, calls, same_tool)
        want = "; ".join(c.describe() for c in expect.tool_calls) or "no tool calls"
        got = "; ".join(describe_call(c) for c in calls) or "no tool calls"
        note = "" if ok else ("wrong tool(s) selected" if not selection
                              else "right tools, wrong arguments or order")
        checks.append(Check(f"toolCalls ({order})", ok, want, got, note))
        expected_traj.extend(c.describe() for c in expect.tool_calls)

    if expect.knowledge_base is not None:
        ok = _bipartite(expect.knowledge_base, lookups, match_lookup) == len(expect.knowledge_base)
        checks.append(Check("knowledgeBase", ok,
                            "; ".join(k.describe() for k in expect.knowledge_base) or "-",
                            "; ".join(describe_lookup(k) for k in lookups) or "no lookups"))
        expected_traj.extend(k.describe() for k in expect.knowledge_base)
    if expect.no_knowledge_base:
        checks.append(Check("noKnowledgeBase", not lookups, "no lookups",
                            "; ".join(describe_lookup(k) for k in lookups) or "no lookups"))

    if expect.return_control is not None:
        returned = returned_calls(turn)
        ok = match_sequence("in_order", expect.return_control, returned, match_call)
        if not expect.return_control:
            ok = not returned
        checks.append(Check("returnControl", ok,
                            "; ".join(c.describe() for c in expect.return_control)
                            or "nothing returned",
                            "; ".join(describe_call(c) for c in returned) or "nothing returned"))

    for needle in expect.answer_contains:
        checks.append(Check("answer.contains", needle.casefold() in answer.casefold(),
                            repr(needle), _short(answer)))
    for pattern in expect.answer_matches:
        checks.append(Check("answer.matches", re.search(pattern, answer) is not None,
                            f"/{pattern}/", _short(answer)))
    for needle in expect.answer_not_contains:
        checks.append(Check("answer.notContains", needle.casefold() not in answer.casefold(),
                            f"not {needle!r}", _short(answer)))

    if expect.max_steps is not None:
        n = count_steps(turn)
        checks.append(Check("maxSteps", n <= expect.max_steps, f"<= {expect.max_steps} steps",
                            f"{n} steps"))
    if expect.no_failure:
        failures = tuple(getattr(turn, "failures", ()) or ())
        checks.append(Check("noFailure", not failures, "no failure",
                            "; ".join(map(str, failures)) or "no failure"))
    if expect.no_guardrail_intervention:
        n = int(getattr(turn, "guardrail_interventions", 0) or 0)
        checks.append(Check("noGuardrailIntervention", n == 0, "no guardrail intervention",
                            f"{n} intervention(s)"))

    if expect.judge is not None:
        if judge is None:
            checks.append(Check("judge", None, expect.judge, "-",
                                "skipped: no judge model is configured (settings.judge in "
                                "agentctl.yaml)"))
        else:
            inputs = [h[0] for h in history] + [input_text]
            turns = [h[1] for h in history] + [turn]
            try:
                verdict = judge(expect.judge, transcript(inputs, turns))
            except Exception as e:  # noqa: BLE001 - a judge failure is a finding, not a crash
                checks.append(Check("judge", False, expect.judge, "-",
                                    f"the judge model failed: {type(e).__name__}: {e}"))
            else:
                checks.append(Check("judge", bool(verdict.passed), expect.judge,
                                    verdict.reason or ("yes" if verdict.passed else "no")))

    return TurnOutcome(index=index, input=input_text, answer=answer, checks=tuple(checks),
                       expected_trajectory=tuple(expected_traj), actual_trajectory=actual_traj,
                       tool_selection=selection)
