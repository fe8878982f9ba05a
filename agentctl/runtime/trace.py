"""The one normalized trace model of an InvokeAgent call, shared by invoke, chat and eval.

``from_events(events)`` folds the event dicts boto3 yields from ``response["completion"]``
(botocore's ``bedrock-agent-runtime`` ``ResponseStream``: ``chunk``, ``trace``, ``returnControl``,
``files`` and the in-stream exception members) into an ``Invocation``: the ordered ``Step``s, the
answer text, the tool calls, knowledge-base lookups, the return-of-control payload, failures,
guardrail interventions and citations. ``steps_of_event(event)`` is the per-event half of it,
used to render a trace while the stream is still arriving.

Step kinds and their ``data`` (every value JSON-compatible; ``trace_id`` and, for a step a
collaborator emitted in a multi-agent run, ``emitted_by`` are added when Bedrock sends them):

==================== =========================================================================
kind                 data
==================== =========================================================================
pre_processing       ``is_valid`` (bool | None), ``rationale``, ``raw``
model_input          ``stage`` (PRE_PROCESSING, ORCHESTRATION, ...), ``text`` (the prompt),
                     ``foundation_model``, ``inference``, ``prompt_creation_mode``
model_output         ``stage``, ``raw``, ``reasoning``, ``usage`` ({inputTokens, outputTokens})
rationale            ``text``
tool_call            ``action_group``, ``function``, ``api_path``, ``http_method``,
                     ``parameters`` (name -> value), ``request_body``, ``execution``,
                     ``invocation_id``
kb_lookup            ``knowledge_base_id``, ``query``
collaborator_call    ``collaborator``, ``alias_arn``, ``input`` (text)
code_interpreter     ``code``, ``files``
observation          ``type`` (ACTION_GROUP, KNOWLEDGE_BASE, REPROMPT, AGENT_COLLABORATOR,
                     CODE_INTERPRETER), ``text``, ``references`` (for KNOWLEDGE_BASE), ``source``
                     (for REPROMPT), ``error`` (code interpreter)
final_answer         ``text``, ``type`` (FINISH or ASK_USER)
return_control       ``invocation_id``, ``inputs`` (botocore ``InvocationInputMember`` dicts)
post_processing      ``text``, ``raw``
guardrail            ``action`` (INTERVENED | NONE), ``findings`` (one readable line each),
                     ``input_assessments``, ``output_assessments``
failure              ``code``, ``reason``
custom_orchestration ``text``
files                ``files`` ([{name, type, size}])
other                ``event`` or ``trace_type`` (the unknown member's name), ``raw``
==================== =========================================================================

Unknown or malformed members never raise: an unknown trace type or event becomes an ``other``
step, a missing field reads as None/empty (botocore adds members over time; a newer service may
send what this botocore does not model yet).

Pure: no I/O, no boto3, no printing. Renderers live in ``agentctl.render.trace``.
"""

from __future__ import annotations

import base64
import datetime as _dt
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

STEP_KINDS = (
    "pre_processing", "model_input", "model_output", "rationale", "tool_call", "kb_lookup",
    "collaborator_call", "code_interpreter", "observation", "final_answer", "return_control",
    "post_processing", "guardrail", "failure", "custom_orchestration", "files", "other",
)

# The in-stream exception members of botocore's ResponseStream (service-behaviour.md §10.2).
EXCEPTION_EVENTS = frozenset({
    "accessDeniedException", "badGatewayException", "conflictException",
    "dependencyFailedException", "internalServerException", "modelNotReadyException",
    "resourceNotFoundException", "serviceQuotaExceededException", "throttlingException",
    "validationException",
})


@dataclass(frozen=True)
class Reference:
    """A retrieved passage: its text and where it came from (S3 URI, web URL, ...)."""

    text: str
    uri: str | None = None


@dataclass(frozen=True)
class ToolCall:
    """One action-group invocation chosen by the model."""

    action_group: str
    function: str | None
    """Function-schema groups."""
    api_path: str | None
    """OpenAPI groups."""
    http_method: str | None
    parameters: Mapping[str, Any]
    """name -> value (strings, as Bedrock sends them, §10.2)."""
    request_body: Mapping[str, Any] | None
    """content type -> {property name -> value}, OpenAPI groups with a body."""
    execution: str
    """"lambda" | "return_control"."""
    output: str | None
    """The observation text (the action group's output), when known."""


@dataclass(frozen=True)
class KbLookup:
    knowledge_base_id: str
    query: str
    references: tuple[Reference, ...] = ()


@dataclass(frozen=True)
class Step:
    """One trace step, in stream order. ``kind`` is one of ``STEP_KINDS``."""

    kind: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Invocation:
    """One InvokeAgent call (a turn may need several because of return of control)."""

    steps: tuple[Step, ...]
    answer: str
    tool_calls: tuple[ToolCall, ...]
    kb_lookups: tuple[KbLookup, ...]
    return_control: Mapping[str, Any] | None
    """``{"invocationId": ..., "inputs": [InvocationInputMember, ...]}`` when the stream handed
    control back to the caller."""
    failures: tuple[str, ...]
    guardrail_interventions: int
    citations: tuple[Reference, ...]


# ----------------------------------------------------------------------------- small readers

def _m(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _l(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _s(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else str(value)


def plain(value: Any) -> Any:
    """``value`` as JSON values: botocore's parsed events carry ``datetime`` (eventTime, metadata
    times) and ``bytes`` (chunk bytes, files, redacted reasoning). Bytes that are UTF-8 text stay
    text; other bytes become ``{"base64": ...}``."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def params_of(items: Any) -> dict[str, Any]:
    """``[{name, type, value}, ...]`` (Bedrock's parameter lists) -> ``{name: value}``."""
    out: dict[str, Any] = {}
    for p in _l(items):
        p = _m(p)
        name = _s(p.get("name"))
        if name is not None:
            out[name] = plain(p.get("value"))
    return out


def _body_of(content: Any) -> dict[str, Any] | None:
    """A request body as ``{content type: {name: value}}``. The trace sends ``content`` as
    content type -> parameter list, returnControl as content type -> ``{properties: [...]}``."""
    content = _m(content)
    if not content:
        return None
    out: dict[str, Any] = {}
    for ctype, v in content.items():
        if isinstance(v, Mapping):
            out[str(ctype)] = params_of(v.get("properties"))
        else:
            out[str(ctype)] = params_of(v)
    return out


def reference_of(ref: Any) -> Reference:
    """A ``RetrievedReference`` -> ``Reference``: its text, and the first location member that
    names a place (s3Location.uri, webLocation.url, confluenceLocation.url, ...)."""
    ref = _m(ref)
    content = _m(ref.get("content"))
    text = _s(content.get("text"))
    if text is None:
        text = _s(content.get("byteContent")) or ""
    location = _m(ref.get("location"))
    uri = None
    for key, member in location.items():
        if key == "type" or not isinstance(member, Mapping):
            continue
        for field_name in ("uri", "url", "id", "query"):
            if _s(member.get(field_name)):
                uri = _s(member.get(field_name))
                break
        if uri:
            break
    return Reference(text=text, uri=uri)


def _ref_json(r: Reference) -> dict[str, Any]:
    return {"text": r.text, "uri": r.uri}


# ----------------------------------------------------------------------------- event -> steps

def _with_meta(data: dict[str, Any], inner: Mapping[str, Any], part: Mapping[str, Any]) -> dict:
    trace_id = _s(inner.get("traceId"))
    if trace_id:
        data["trace_id"] = trace_id
    emitter = _s(part.get("collaboratorName"))
    if emitter:
        # TracePart.collaboratorName: which collaborator of a multi-agent run emitted the step.
        data["emitted_by"] = emitter
    return data


def _model_input(mi: Mapping[str, Any], stage_default: str) -> dict[str, Any]:
    return {
        "stage": _s(mi.get("type")) or stage_default,
        "text": _s(mi.get("text")) or "",
        "foundation_model": _s(mi.get("foundationModel")),
        "inference": plain(_m(mi.get("inferenceConfiguration"))),
        "prompt_creation_mode": _s(mi.get("promptCreationMode")),
    }


def _reasoning(mo: Mapping[str, Any]) -> str | None:
    rc = _m(mo.get("reasoningContent"))
    text = _s(_m(rc.get("reasoningText")).get("text"))
    if text is None and rc.get("redactedContent") is not None:
        return "(redacted)"
    return text


def _usage(mo: Mapping[str, Any]) -> dict[str, Any]:
    return plain(_m(_m(mo.get("metadata")).get("usage")))


def _invocation_input_steps(ii: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    ag = ii.get("actionGroupInvocationInput")
    if isinstance(ag, Mapping):
        execution = "return_control" if _s(ag.get("executionType")) == "RETURN_CONTROL" \
            else "lambda"
        out.append(("tool_call", {
            "action_group": _s(ag.get("actionGroupName")) or "",
            "function": _s(ag.get("function")),
            "api_path": _s(ag.get("apiPath")),
            "http_method": _s(ag.get("verb")),
            "parameters": params_of(ag.get("parameters")),
            "request_body": _body_of(_m(ag.get("requestBody")).get("content")),
            "execution": execution,
            "invocation_id": _s(ag.get("invocationId")),
        }))
    kb = ii.get("knowledgeBaseLookupInput")
    if isinstance(kb, Mapping):
        out.append(("kb_lookup", {"knowledge_base_id": _s(kb.get("knowledgeBaseId")) or "",
                                  "query": _s(kb.get("text")) or ""}))
    co = ii.get("agentCollaboratorInvocationInput")
    if isinstance(co, Mapping):
        payload = _m(co.get("input"))
        out.append(("collaborator_call", {
            "collaborator": _s(co.get("agentCollaboratorName")),
            "alias_arn": _s(co.get("agentCollaboratorAliasArn")),
            "input": _s(payload.get("text")),
            "input_type": _s(payload.get("type")),
        }))
    ci = ii.get("codeInterpreterInvocationInput")
    if isinstance(ci, Mapping):
        out.append(("code_interpreter", {"code": _s(ci.get("code")) or "",
                                         "files": [_s(f) for f in _l(ci.get("files"))]}))
    if not out:
        # invocationType FINISH (or a member this botocore does not know): keep it visible.
        out.append(("other", {"trace_type": "invocationInput",
                              "invocation_type": _s(ii.get("invocationType")),
                              "raw": plain(ii)}))
    return out


def _observation_steps(ob: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    otype = _s(ob.get("type"))
    final = ob.get("finalResponse")
    if isinstance(final, Mapping):
        out.append(("final_answer", {"text": _s(final.get("text")) or "",
                                     "type": otype or "FINISH"}))
    ag = ob.get("actionGroupInvocationOutput")
    if isinstance(ag, Mapping):
        out.append(("observation", {"type": "ACTION_GROUP", "text": _s(ag.get("text")) or ""}))
    kb = ob.get("knowledgeBaseLookupOutput")
    if isinstance(kb, Mapping):
        refs = [reference_of(r) for r in _l(kb.get("retrievedReferences"))]
        out.append(("observation", {"type": "KNOWLEDGE_BASE", "text": None,
                                    "references": [_ref_json(r) for r in refs]}))
    rp = ob.get("repromptResponse")
    if isinstance(rp, Mapping):
        out.append(("observation", {"type": "REPROMPT", "text": _s(rp.get("text")) or "",
                                    "source": _s(rp.get("source"))}))
    co = ob.get("agentCollaboratorInvocationOutput")
    if isinstance(co, Mapping):
        payload = _m(co.get("output"))
        text = _s(payload.get("text"))
        if text is None and payload.get("returnControlPayload") is not None:
            text = "(the collaborator returned control)"
        out.append(("observation", {"type": "AGENT_COLLABORATOR", "text": text or "",
                                    "collaborator": _s(co.get("agentCollaboratorName"))}))
    ci = ob.get("codeInterpreterInvocationOutput")
    if isinstance(ci, Mapping):
        out.append(("observation", {"type": "CODE_INTERPRETER",
                                    "text": _s(ci.get("executionOutput")) or "",
                                    "error": _s(ci.get("executionError")),
                                    "timeout": bool(ci.get("executionTimeout"))}))
    if not out:
        out.append(("other", {"trace_type": "observation", "observation_type": otype,
                              "raw": plain(ob)}))
    return out


def _finding_lines(assessments: Any) -> list[str]:
    lines: list[str] = []
    for a in _l(assessments):
        a = _m(a)
        for t in _l(_m(a.get("topicPolicy")).get("topics")):
            t = _m(t)
            lines.append(f"topic {_s(t.get('name'))}: {_s(t.get('action'))}")
        for f in _l(_m(a.get("contentPolicy")).get("filters")):
            f = _m(f)
            lines.append(f"content {_s(f.get('type'))} ({_s(f.get('confidence'))}): "
                         f"{_s(f.get('action'))}")
        wp = _m(a.get("wordPolicy"))
        for w in _l(wp.get("customWords")) + _l(wp.get("managedWordLists")):
            w = _m(w)
            lines.append(f"word {_s(w.get('match'))!r}: {_s(w.get('action'))}")
        sp = _m(a.get("sensitiveInformationPolicy"))
        for p in _l(sp.get("piiEntities")):
            p = _m(p)
            lines.append(f"PII {_s(p.get('type'))}: {_s(p.get('action'))}")
        for r in _l(sp.get("regexes")):
            r = _m(r)
            lines.append(f"regex {_s(r.get('name'))}: {_s(r.get('action'))}")
    return lines


def _trace_steps(part: Mapping[str, Any]) -> list[Step]:
    trace = _m(part.get("trace"))
    raw_steps: list[tuple[str, dict[str, Any], Mapping[str, Any]]] = []
    for ttype, body in trace.items():
        if not isinstance(body, Mapping):
            raw_steps.append(("other", {"trace_type": str(ttype), "raw": plain(body)}, {}))
            continue
        if ttype in ("preProcessingTrace", "postProcessingTrace", "orchestrationTrace",
                     "routingClassifierTrace"):
            stage = {"preProcessingTrace": "PRE_PROCESSING",
                     "postProcessingTrace": "POST_PROCESSING",
                     "orchestrationTrace": "ORCHESTRATION",
                     "routingClassifierTrace": "ROUTING_CLASSIFIER"}[ttype]
            known = False
            mi = body.get("modelInvocationInput")
            if isinstance(mi, Mapping):
                known = True
                raw_steps.append(("model_input", _model_input(mi, stage), mi))
            mo = body.get("modelInvocationOutput")
            if isinstance(mo, Mapping):
                known = True
                raw = _s(_m(mo.get("rawResponse")).get("content"))
                parsed = _m(mo.get("parsedResponse"))
                if ttype == "preProcessingTrace":
                    valid = parsed.get("isValid")
                    raw_steps.append(("pre_processing", {
                        "is_valid": valid if isinstance(valid, bool) else None,
                        "rationale": _s(parsed.get("rationale")), "raw": raw}, mo))
                elif ttype == "postProcessingTrace":
                    raw_steps.append(("post_processing", {"text": _s(parsed.get("text")),
                                                          "raw": raw}, mo))
                else:
                    raw_steps.append(("model_output", {
                        "stage": stage, "raw": raw, "reasoning": _reasoning(mo),
                        "usage": _usage(mo)}, mo))
            ra = body.get("rationale")
            if isinstance(ra, Mapping):
                known = True
                raw_steps.append(("rationale", {"text": _s(ra.get("text")) or ""}, ra))
            ii = body.get("invocationInput")
            if isinstance(ii, Mapping):
                known = True
                for kind, data in _invocation_input_steps(ii):
                    raw_steps.append((kind, data, ii))
            ob = body.get("observation")
            if isinstance(ob, Mapping):
                known = True
                for kind, data in _observation_steps(ob):
                    raw_steps.append((kind, data, ob))
            if not known:
                raw_steps.append(("other", {"trace_type": str(ttype), "raw": plain(body)}, {}))
        elif ttype == "guardrailTrace":
            findings = (_finding_lines(body.get("inputAssessments"))
                        + _finding_lines(body.get("outputAssessments")))
            raw_steps.append(("guardrail", {
                "action": _s(body.get("action")) or "NONE", "findings": findings,
                "input_assessments": plain(_l(body.get("inputAssessments"))),
                "output_assessments": plain(_l(body.get("outputAssessments")))}, body))
        elif ttype == "failureTrace":
            code = body.get("failureCode")
            raw_steps.append(("failure", {
                "code": code if isinstance(code, int) and not isinstance(code, bool) else
                _s(code),
                "reason": _s(body.get("failureReason")) or "(no reason given)"}, body))
        elif ttype == "customOrchestrationTrace":
            raw_steps.append(("custom_orchestration",
                              {"text": _s(_m(body.get("event")).get("text")) or ""}, body))
        else:
            raw_steps.append(("other", {"trace_type": str(ttype), "raw": plain(body)}, {}))
    return [Step(kind, _with_meta(data, inner, part)) for kind, data, inner in raw_steps]


def steps_of_event(event: Mapping[str, Any]) -> list[Step]:
    """The trace steps one stream event contributes (a chunk contributes none: it is answer
    text). Never raises on unknown or malformed members."""
    steps: list[Step] = []
    if not isinstance(event, Mapping):
        return [Step("other", {"event": type(event).__name__, "raw": plain(event)})]
    for key, body in event.items():
        if key == "chunk":
            continue
        if key == "trace":
            steps.extend(_trace_steps(_m(body)))
        elif key == "returnControl":
            body = _m(body)
            steps.append(Step("return_control", {
                "invocation_id": _s(body.get("invocationId")),
                "inputs": plain(_l(body.get("invocationInputs")))}))
        elif key == "files":
            files = []
            for f in _l(_m(body).get("files")):
                f = _m(f)
                data = f.get("bytes")
                files.append({"name": _s(f.get("name")), "type": _s(f.get("type")),
                              "size": len(data) if isinstance(data, (bytes, str)) else None})
            steps.append(Step("files", {"files": files}))
        elif key in EXCEPTION_EVENTS:
            body = _m(body)
            steps.append(Step("failure", {
                "code": key[0].upper() + key[1:],
                "reason": _s(body.get("message")) or _s(body.get("Message")) or "(no message)",
                **({"resource": _s(body.get("resourceName"))} if body.get("resourceName")
                   else {})}))
        else:
            steps.append(Step("other", {"event": str(key), "raw": plain(body)}))
    return steps


def chunk_text(event: Mapping[str, Any]) -> str:
    """The answer text a ``chunk`` event carries ('' for other events). Accepts the bytes boto3
    yields and the text a replayed ``--trace-out`` file holds."""
    if not isinstance(event, Mapping):
        return ""
    chunk = event.get("chunk")
    if not isinstance(chunk, Mapping):
        return ""
    return _s(chunk.get("bytes")) or ""


def citations_of(event: Mapping[str, Any]) -> list[Reference]:
    if not isinstance(event, Mapping):
        return []
    chunk = _m(event.get("chunk"))
    out = []
    for c in _l(_m(chunk.get("attribution")).get("citations")):
        for r in _l(_m(c).get("retrievedReferences")):
            out.append(reference_of(r))
    return out


def roc_tool_calls(roc: Mapping[str, Any] | None) -> list[ToolCall]:
    """The tool calls a returnControl payload hands to the caller (``inputs`` as in
    ``Invocation.return_control``, or botocore's ``invocationInputs``)."""
    if not roc:
        return []
    items = roc.get("inputs", roc.get("invocationInputs"))
    out = []
    for member in _l(items):
        member = _m(member)
        fi = member.get("functionInvocationInput")
        ai = member.get("apiInvocationInput")
        if isinstance(fi, Mapping):
            out.append(ToolCall(_s(fi.get("actionGroup")) or "", _s(fi.get("function")), None,
                                None, params_of(fi.get("parameters")), None, "return_control",
                                None))
        elif isinstance(ai, Mapping):
            out.append(ToolCall(_s(ai.get("actionGroup")) or "", None, _s(ai.get("apiPath")),
                                _s(ai.get("httpMethod")), params_of(ai.get("parameters")),
                                _body_of(_m(ai.get("requestBody")).get("content")),
                                "return_control", None))
    return out


# ------------------------------------------------------------------------------- the fold

@dataclass
class _Fold:
    steps: list[Step] = field(default_factory=list)
    answer: list[str] = field(default_factory=list)
    tools: list[ToolCall] = field(default_factory=list)
    kbs: list[KbLookup] = field(default_factory=list)
    roc: dict[str, Any] | None = None
    failures: list[str] = field(default_factory=list)
    interventions: int = 0
    citations: list[Reference] = field(default_factory=list)
    pending_tool: int | None = None
    pending_kb: int | None = None


def _tool_from(data: Mapping[str, Any]) -> ToolCall:
    return ToolCall(action_group=data["action_group"], function=data["function"],
                    api_path=data["api_path"], http_method=data["http_method"],
                    parameters=dict(data["parameters"]), request_body=data["request_body"],
                    execution=data["execution"], output=None)


def _same_call(a: ToolCall, b: ToolCall) -> bool:
    return (a.action_group, a.function, a.api_path) == (b.action_group, b.function, b.api_path)


def _apply(f: _Fold, step: Step) -> None:
    d = step.data
    if step.kind == "tool_call":
        f.tools.append(_tool_from(d))
        f.pending_tool = len(f.tools) - 1
    elif step.kind == "kb_lookup":
        f.kbs.append(KbLookup(d["knowledge_base_id"], d["query"]))
        f.pending_kb = len(f.kbs) - 1
    elif step.kind == "observation":
        # An observation follows its invocation input in the same step (same traceId, §10.3);
        # Bedrock does not repeat the action group in it, so it belongs to the last open call.
        if d.get("type") == "ACTION_GROUP" and f.pending_tool is not None:
            f.tools[f.pending_tool] = replace(f.tools[f.pending_tool], output=d.get("text"))
            f.pending_tool = None
        elif d.get("type") == "KNOWLEDGE_BASE" and f.pending_kb is not None:
            refs = tuple(Reference(r.get("text") or "", r.get("uri"))
                         for r in d.get("references") or ())
            f.kbs[f.pending_kb] = replace(f.kbs[f.pending_kb], references=refs)
            f.pending_kb = None
    elif step.kind == "return_control":
        f.roc = {"invocationId": d.get("invocation_id"), "inputs": list(d.get("inputs") or ())}
        # The trace usually shows the calls too (executionType RETURN_CONTROL, or LAMBDA for a
        # Lambda-executed function waiting for the user's confirmation); add only the calls it
        # did not show (trace off).
        shown = [t for t in f.tools if t.output is None]
        for call in roc_tool_calls(f.roc):
            match = next((t for t in shown if _same_call(t, call)), None)
            if match is not None:
                shown.remove(match)
            else:
                f.tools.append(call)
    elif step.kind == "failure":
        code = d.get("code")
        reason = d.get("reason") or ""
        f.failures.append(f"{code}: {reason}" if isinstance(code, str) and code else reason)
    elif step.kind == "guardrail" and d.get("action") == "INTERVENED":
        f.interventions += 1


def from_events(events: Iterable[Mapping[str, Any]]) -> Invocation:
    """Fold one InvokeAgent stream's events (as boto3 yields them, or as ``--trace-out`` wrote
    them) into an ``Invocation``."""
    f = _Fold()
    for event in events:
        text = chunk_text(event)
        if text:
            f.answer.append(text)
        f.citations.extend(citations_of(event))
        for step in steps_of_event(event):
            f.steps.append(step)
            _apply(f, step)
    return Invocation(steps=tuple(f.steps), answer="".join(f.answer), tool_calls=tuple(f.tools),
                      kb_lookups=tuple(f.kbs), return_control=f.roc,
                      failures=tuple(f.failures), guardrail_interventions=f.interventions,
                      citations=tuple(f.citations))


# ------------------------------------------------------------------------------- JSON views

def tool_call_json(t: ToolCall) -> dict[str, Any]:
    return {"action_group": t.action_group, "function": t.function, "api_path": t.api_path,
            "http_method": t.http_method, "parameters": plain(t.parameters),
            "request_body": plain(t.request_body), "execution": t.execution, "output": t.output}


def kb_lookup_json(k: KbLookup) -> dict[str, Any]:
    return {"knowledge_base_id": k.knowledge_base_id, "query": k.query,
            "references": [_ref_json(r) for r in k.references]}


def reference_json(r: Reference) -> dict[str, Any]:
    return _ref_json(r)


def step_json(s: Step) -> dict[str, Any]:
    return {"kind": s.kind, **plain(s.data)}


def invocation_json(inv: Invocation) -> dict[str, Any]:
    return {"steps": [step_json(s) for s in inv.steps], "answer": inv.answer,
            "tool_calls": [tool_call_json(t) for t in inv.tool_calls],
            "kb_lookups": [kb_lookup_json(k) for k in inv.kb_lookups],
            "return_control": plain(inv.return_control), "failures": list(inv.failures),
            "guardrail_interventions": inv.guardrail_interventions,
            "citations": [_ref_json(r) for r in inv.citations]}
