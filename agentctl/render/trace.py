"""Readable text of an agent trace (``agentctl invoke --trace``, ``agentctl chat`` ``/trace``).

One line per step, a fixed-width label then the content; values that span lines continue
indented under the content column. User and model data (prompts, parameters, observations,
answers) are printed verbatim: nothing here interprets markup, and a console printing these lines
must not either (print them with markup and highlighting off). The one exception: control
characters other than newline and tab are shown escaped (``\\x1b``), so a tool's output cannot
drive the terminal.

Pure: functions of ``agentctl.runtime.trace`` values returning text; no I/O, no colour.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping, Sequence

from agentctl.runtime.trace import Invocation, Step

LABEL_WIDTH = 17
INDENT = " " * LABEL_WIDTH
PROMPT_LINES = 3
"""Lines of a model prompt shown (the JSON output and ``--trace-out`` keep all of it)."""
PROMPT_LINE_CHARS = 120
"""Characters shown of each of those lines (prompts often hold one long JSON line)."""
PASSAGE_CHARS = 240
"""Characters of a retrieved passage shown per reference."""


_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0, 9), *range(11, 32), 127]}


def _safe(text: str) -> str:
    """Control characters (other than newline and tab) shown as ``\\xNN``: a model or tool
    output must not be able to drive the terminal (colours, cursor moves, titles)."""
    return text.translate(_CONTROL)


def _lines(label: str, text: str, *, suffix: str = "") -> list[str]:
    """``label`` padded, then ``text``; further lines of ``text`` indented under it."""
    parts = _safe(text if text is not None else "").split("\n")
    head = f"{label:<{LABEL_WIDTH - 1}} {parts[0]}{suffix}".rstrip()
    return [head] + [(INDENT + p).rstrip() for p in parts[1:]]


def _sub(text: str) -> list[str]:
    """A detail line under the content column; its further lines indented two more."""
    parts = _safe(text).split("\n")
    more = " " * (len(parts[0]) - len(parts[0].lstrip(" ")) + 4)
    return [(INDENT + "  " + parts[0]).rstrip()] + [(INDENT + more + p).rstrip()
                                                   for p in parts[1:]]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + " ..."


def _value(v: Any) -> str:
    # Bedrock sends every parameter value as a string (§10.2): show it as is, not repr()'d.
    if isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False, sort_keys=True)


def _who(d: Mapping[str, Any]) -> str:
    return f"  (from {d['emitted_by']})" if d.get("emitted_by") else ""


def _call_name(d: Mapping[str, Any]) -> str:
    group = d.get("action_group") or d.get("actionGroup") or "?"
    if d.get("function"):
        return f"{group}.{d['function']}"
    method = d.get("http_method") or d.get("httpMethod") or ""
    path = d.get("api_path") or d.get("apiPath") or "?"
    return f"{group} {method} {path}".replace("  ", " ")


def _params(params: Mapping[str, Any] | None, body: Mapping[str, Any] | None) -> list[str]:
    out: list[str] = []
    for name, v in (params or {}).items():
        out.extend(_sub(f"{name} = {_value(v)}"))
    for ctype, props in (body or {}).items():
        out.extend(_sub(f"body ({ctype}):"))
        for name, v in (props or {}).items() if isinstance(props, Mapping) else ():
            out.extend(_sub(f"  {name} = {_value(v)}"))
    return out


def _roc_inputs(inputs: Sequence[Any]) -> list[str]:
    out: list[str] = []
    for member in inputs or ():
        if not isinstance(member, Mapping):
            continue
        fi = member.get("functionInvocationInput") or member.get("apiInvocationInput")
        if not isinstance(fi, Mapping):
            continue
        kind = fi.get("actionInvocationType") or "RESULT"
        note = {"USER_CONFIRMATION": "  [asks the user to confirm]",
                "USER_CONFIRMATION_AND_RESULT": "  [asks the user to confirm, then for the "
                                                "result]"}.get(kind, "")
        out.extend(_sub(_call_name(fi) + note))
        params = {p.get("name"): p.get("value") for p in fi.get("parameters") or ()
                  if isinstance(p, Mapping)}
        for name, v in params.items():
            out.extend(_sub(f"  {name} = {_value(v)}"))
        content = (fi.get("requestBody") or {}).get("content") if isinstance(
            fi.get("requestBody"), Mapping) else None
        for ctype, props in (content or {}).items() if isinstance(content, Mapping) else ():
            out.extend(_sub(f"  body ({ctype}):"))
            for p in (props or {}).get("properties") or () if isinstance(props, Mapping) else ():
                if isinstance(p, Mapping):
                    out.extend(_sub(f"    {p.get('name')} = {_value(p.get('value'))}"))
    return out


def render_step(step: Step) -> list[str]:
    """The lines of one step."""
    d = step.data
    k = step.kind
    who = _who(d)
    if k == "pre_processing":
        verdict = {True: "valid", False: "rejected", None: "no verdict"}[d.get("is_valid")]
        text = f"{verdict}: {d['rationale']}" if d.get("rationale") else verdict
        return _lines("pre-processing", text, suffix=who)
    if k == "model_input":
        prompt = d.get("text") or ""
        lines = prompt.split("\n")
        head = f"{d.get('stage') or '?'} prompt, {len(prompt)} chars"
        if d.get("foundation_model"):
            head += f", {d['foundation_model']}"
        out = _lines("model input", head, suffix=who)
        shown = lines[:PROMPT_LINES]
        out.extend((INDENT + "| " + _safe(_clip(line, PROMPT_LINE_CHARS))).rstrip()
                   for line in shown)
        if len(lines) > PROMPT_LINES:
            out.append(f"{INDENT}| ... ({len(lines) - PROMPT_LINES} more lines)")
        return out
    if k == "model_output":
        usage = d.get("usage") or {}
        head = str(d.get("stage") or "?")
        if usage:
            head += (f", {usage.get('inputTokens', '?')} tokens in, "
                     f"{usage.get('outputTokens', '?')} out")
        out = _lines("model output", head, suffix=who)
        if d.get("reasoning"):
            out.extend(_sub("reasoning: " + str(d["reasoning"])))
        return out
    if k == "rationale":
        return _lines("rationale", str(d.get("text") or ""), suffix=who)
    if k == "tool_call":
        how = "return of control" if d.get("execution") == "return_control" else "Lambda"
        out = _lines("tool call", f"{_call_name(d)}  ({how})", suffix=who)
        return out + _params(d.get("parameters"), d.get("request_body"))
    if k == "kb_lookup":
        return _lines("kb lookup", f"{d.get('knowledge_base_id')}: {d.get('query')}", suffix=who)
    if k == "collaborator_call":
        return _lines("collaborator", f"{d.get('collaborator')} <- {d.get('input') or ''}",
                      suffix=who)
    if k == "code_interpreter":
        return _lines("code", str(d.get("code") or ""), suffix=who)
    if k == "observation":
        otype = d.get("type")
        if otype == "KNOWLEDGE_BASE":
            refs = d.get("references") or []
            out = _lines("retrieved", f"{len(refs)} reference{'s' if len(refs) != 1 else ''}",
                         suffix=who)
            for i, r in enumerate(refs, 1):
                out.extend(_sub(f"[{i}] {r.get('uri') or '(no location)'}"))
                # A preview: whitespace runs (a document's line breaks) folded to one space.
                passage = " ".join(str(r.get("text") or "").split())
                out.extend(_sub("    " + _clip(passage, PASSAGE_CHARS)))
            return out
        if otype == "REPROMPT":
            return _lines("reprompt", f"({d.get('source') or '?'}) {d.get('text') or ''}",
                          suffix=who)
        if otype == "AGENT_COLLABORATOR":
            return _lines("observation", f"{d.get('collaborator')}: {d.get('text') or ''}",
                          suffix=who)
        if otype == "CODE_INTERPRETER":
            text = str(d.get("text") or "")
            if d.get("error"):
                text += ("\n" if text else "") + f"error: {d['error']}"
            return _lines("observation", text, suffix=who)
        return _lines("observation", str(d.get("text") or ""), suffix=who)
    if k == "final_answer":
        label = "asks the user" if d.get("type") == "ASK_USER" else "final answer"
        return _lines(label, str(d.get("text") or ""), suffix=who)
    if k == "return_control":
        inputs = d.get("inputs") or []
        out = _lines("return control", f"invocation {d.get('invocation_id')}: "
                                       f"{len(inputs)} call{'s' if len(inputs) != 1 else ''} "
                                       "for the caller to run")
        return out + _roc_inputs(inputs)
    if k == "post_processing":
        return _lines("post-processing", str(d.get("text") or ""), suffix=who)
    if k == "guardrail":
        findings = d.get("findings") or []
        out = _lines("guardrail", str(d.get("action") or "NONE"), suffix=who)
        for f in findings:
            out.extend(_sub(str(f)))
        return out
    if k == "failure":
        code = d.get("code")
        text = f"({code}) {d.get('reason')}" if code not in (None, "") else str(d.get("reason"))
        if d.get("resource"):
            text += f" [resource {d['resource']}]"
        return _lines("failure", text, suffix=who)
    if k == "custom_orchestration":
        return _lines("orchestration", str(d.get("text") or ""), suffix=who)
    if k == "files":
        names = ", ".join(f"{f.get('name')} ({f.get('type')}, {f.get('size')} bytes)"
                          for f in d.get("files") or [])
        return _lines("files", names or "(none)")
    what = d.get("trace_type") or d.get("event") or "?"
    raw = json.dumps(d.get("raw"), ensure_ascii=False, sort_keys=True, default=str)
    return _lines("other", f"{what}: {_clip(raw, 200)}", suffix=who)


def render_steps(steps: Iterable[Step]) -> str:
    """The lines of ``steps``, newline-terminated ('' for none)."""
    lines = [line for s in steps for line in render_step(s)]
    return "".join(line + "\n" for line in lines)


def render_invocation(inv: Invocation) -> str:
    return render_steps(inv.steps)


def render_exchange(exchange: Any) -> str:
    """One return-of-control round trip: what the caller sent back."""
    lines = _lines("results sent", f"invocation {exchange.invocation_id}")
    for r in exchange.results:
        member = r.get("functionResult") or r.get("apiResult") or {}
        name = _call_name(member)
        bits = []
        if member.get("confirmationState"):
            bits.append(member["confirmationState"])
        if member.get("responseState"):
            bits.append(member["responseState"])
        if member.get("httpStatusCode") is not None:
            bits.append(f"HTTP {member['httpStatusCode']}")
        head = name + (f"  [{', '.join(bits)}]" if bits else "")
        lines.extend(_sub(head))
        for ctype, body in (member.get("responseBody") or {}).items():
            text = body.get("body") if isinstance(body, Mapping) else None
            if text is not None:
                lines.extend(_sub(f"  {ctype}: {text}"))
    return "".join(line + "\n" for line in lines)


def render_turn(turn: Any) -> str:
    """Every invocation of a turn (``agentctl.runtime.session.TurnResult``) with the
    return-of-control results sent between them."""
    out = []
    exchanges = list(getattr(turn, "roc_exchanges", ()) or ())
    for i, inv in enumerate(turn.invocations):
        out.append(render_invocation(inv))
        if i < len(exchanges):
            out.append(render_exchange(exchanges[i]))
    return "".join(out)
