"""The InvokeAgent loop: pre-processing, orchestration steps, tools, post-processing, the answer.

``Orchestrator.run(turn)`` yields the ``completion`` events of one InvokeAgent call as
``(member, value)`` pairs (``trace``, ``chunk``, ``returnControl`` or an in-stream error member)
and leaves the outcome on the ``Turn`` (answer, pending return of control, attribute changes).

The order of events follows service-behaviour.md §10.3: [pre-processing: modelInvocationInput,
modelInvocationOutput] -> per orchestration step (sharing one traceId): modelInvocationInput,
modelInvocationOutput, rationale, invocationInput, observation ... until an observation of type
FINISH -> [post-processing] -> ``chunk``. A DISABLED pre-/post-processing step emits nothing.

Tool calls: a call the version does not have is rejected as Bedrock's parser does - an
observation of type REPROMPT (source PARSER) that the model sees next; too many in a row end the
turn with a failure trace. Lambda groups run the world's handler (``lambdas``); a Lambda error,
a malformed response or ``responseState: FAILURE`` ends the turn with a failure trace and an
in-stream ``dependencyFailedException``. Return-of-control groups, and functions with
``requireConfirmation``, end the stream with a ``returnControl`` event; the caller's results
(``sessionState.returnControlInvocationResults``) continue the same turn. Knowledge-base
queries are answered by ``retrieval`` and cited in the chunk's attribution.

Must not: touch the store (the service loads and saves sessions), or raise for anything a model,
a handler or a document does: those are trace entries and stream errors.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

from agentctl.emulator.runtime import prompts
from agentctl.emulator.runtime.lambdas import LambdaExecutor, LambdaFailure, event_for, parse_response
from agentctl.emulator.runtime.models.base import (FoundationModel, ModelError, ModelReply, ModelRequest,
                                                   StepRecord)
from agentctl.emulator.runtime.retrieval import DEFAULT_RESULTS, Retriever
from agentctl.emulator.runtime.snapshot import AgentSnapshot
from agentctl.emulator.runtime.tools import Call, ToolError, ToolUse, catalogue, check

Event = tuple[str, dict[str, Any]]

# What the agent answers when the turn cannot finish (Bedrock's wording for an orchestration it
# gives up on; UNCONFIRMED when exactly it is used).
APOLOGY = "Sorry, I am unable to assist you with this request."
REJECTED_INPUT = "Sorry, I cannot answer that request."
MAX_PARSER_FAILURES = 3
DENIED_TEXT = "The user denied the execution of {name}; do not call it again unless the user asks."


@dataclass
class Turn:
    """One InvokeAgent call's inputs and, after ``run``, its outcome."""

    snapshot: AgentSnapshot
    session_id: str
    input_text: str
    session_attributes: dict[str, str]
    prompt_session_attributes: dict[str, str]
    history: tuple[tuple[str, str], ...]
    memory: tuple[str, ...]
    enable_trace: bool
    now: float
    kb_results: Mapping[str, int] = field(default_factory=dict)
    """numberOfResults per knowledge base (sessionState.knowledgeBaseConfigurations)."""
    resume: Mapping[str, Any] | None = None
    """The pending return of control this call continues, with the caller's results."""
    matched: tuple[tuple[Call, Mapping[str, Any]], ...] = ()
    """The pending calls paired with the caller's results (``match_results``, checked by the
    service before the stream starts)."""
    # --- outcome ---
    answer: str | None = None
    pending: dict[str, Any] | None = None
    failed: str | None = None
    steps: list[StepRecord] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)


class Orchestrator:
    def __init__(self, model: FoundationModel, lambdas: LambdaExecutor, retriever: Retriever, *,
                 max_iterations: int, clock: Callable[[], float]):
        self.model = model
        self.lambdas = lambdas
        self.retriever = retriever
        self.max_iterations = max_iterations
        self.clock = clock

    # ------------------------------------------------------------------------------ helpers

    def _trace(self, turn: Turn, body: dict[str, Any]) -> Event | None:
        if not turn.enable_trace:
            return None
        s = turn.snapshot
        return ("trace", {"agentId": s.agent_id, "agentAliasId": s.alias_id, "agentVersion": s.version,
                          "sessionId": turn.session_id, "eventTime": self.clock(),
                          "callerChain": [{"agentAliasArn": s.alias_arn}] if s.alias_arn else [],
                          "trace": body})

    def _model_input(self, turn: Turn, step: str, trace_id: str, ptype: str, text: str) -> Event | None:
        cfg = turn.snapshot.prompt(ptype)
        body = {"traceId": trace_id, "text": text, "type": ptype,
                "inferenceConfiguration": _inference(cfg.inference),
                "promptCreationMode": cfg.creation_mode, "parserMode": cfg.parser_mode}
        if turn.snapshot.foundation_model:
            body["foundationModel"] = turn.snapshot.foundation_model
        return self._trace(turn, {step: {"modelInvocationInput": body}})

    def _failure(self, turn: Turn, trace_id: str, reason: str, code: int = 424) -> Iterator[Event]:
        turn.failed = reason
        ev = self._trace(turn, {"failureTrace": {"traceId": trace_id, "failureReason": reason,
                                                  "failureCode": code}})
        if ev:
            yield ev

    def _request(self, turn: Turn, ptype: str, prompt: str, **kw: Any) -> ModelRequest:
        cfg = turn.snapshot.prompt(ptype)
        inference = dict(cfg.inference)
        if cfg.creation_mode != "OVERRIDDEN":
            # The default stop sequences (</invoke>, </answer>) belong to Bedrock's XML prompt
            # format; models called with native tool use get only the ones an override chose.
            inference.pop("stopSequences", None)
        return ModelRequest(prompt_type=ptype, prompt=prompt, system=prompts.system_of(prompt),
                            input_text=turn.input_text, foundation_model=turn.snapshot.foundation_model,
                            inference=inference, history=turn.history, steps=tuple(turn.steps),
                            session_attributes=dict(turn.session_attributes),
                            prompt_session_attributes=dict(turn.prompt_session_attributes),
                            memory=turn.memory, now=turn.now, **kw)

    # ------------------------------------------------------------------------------ the loop

    def run(self, turn: Turn) -> Iterator[Event]:
        turn_id = secrets.token_hex(5)
        tools = catalogue(turn.snapshot)
        iteration = 0
        parser_failures = 0
        if turn.resume is not None:
            iteration = int(turn.resume.get("iteration", 0))
            stop = yield from self._resume(turn, turn_id)
            if stop:
                return
        else:
            rejected = yield from self._pre_process(turn, turn_id, tools)
            if rejected:
                return
        orch = turn.snapshot.prompt("ORCHESTRATION")
        while turn.answer is None:
            if iteration >= self.max_iterations:
                yield from self._failure(turn, f"{turn_id}-{iteration}",
                                         f"The agent reached the maximum number of orchestration steps "
                                         f"({self.max_iterations}) without a final answer.")
                turn.answer = APOLOGY
                break
            trace_id = f"{turn_id}-{iteration}"
            iteration += 1
            offered = tools if orch.state == "ENABLED" else ()
            if orch.state == "ENABLED":
                text = prompts.fill(orch.template, prompts.orchestration_values(
                    turn.snapshot, offered, question=turn.input_text, steps=tuple(turn.steps),
                    history=turn.history, prompt_attrs=turn.prompt_session_attributes, memory=turn.memory))
            else:
                # §6.2: a DISABLED orchestration sends only the user input and returns the answer as is.
                text = turn.input_text
            ev = self._model_input(turn, "orchestrationTrace", trace_id, "ORCHESTRATION", text)
            if ev:
                yield ev
            try:
                reply = self.model.orchestrate(self._request(turn, "ORCHESTRATION", text, tools=offered))
            except ModelError as exc:
                yield from self._failure(turn, trace_id, f"The foundation model failed: {exc.message}")
                yield (_member(exc.code), {"message": exc.message, "resourceName": turn.snapshot.foundation_model
                                           or self.model.name})
                return
            ev = self._trace(turn, {"orchestrationTrace": {"modelInvocationOutput": _model_output(trace_id, reply)}})
            if ev:
                yield ev
            if reply.rationale:
                ev = self._trace(turn, {"orchestrationTrace": {"rationale": {"traceId": trace_id,
                                                                             "text": reply.rationale}}})
                if ev:
                    yield ev
            if not reply.tool_uses or orch.state != "ENABLED":
                answer = reply.answer if reply.answer is not None else reply.raw
                ev = self._trace(turn, {"orchestrationTrace": {"observation": {
                    "traceId": trace_id, "type": "FINISH", "finalResponse": {"text": answer}}}})
                if ev:
                    yield ev
                turn.answer = answer
                break
            calls: list[Call] = []
            for use in reply.tool_uses:
                try:
                    calls.append(check(turn.snapshot, use))
                except ToolError as exc:
                    parser_failures += 1
                    turn.steps.append(StepRecord(use, None, "error", str(exc)))
                    ev = self._trace(turn, {"orchestrationTrace": {"observation": {
                        "traceId": trace_id, "type": "REPROMPT",
                        "repromptResponse": {"source": "PARSER", "text": str(exc)}}}})
                    if ev:
                        yield ev
            if not calls:
                if parser_failures >= MAX_PARSER_FAILURES:
                    yield from self._failure(turn, trace_id, f"The model's tool calls were rejected "
                                             f"{parser_failures} times; last: {turn.steps[-1].output}", 400)
                    turn.answer = APOLOGY
                continue
            parser_failures = 0
            handed_back: list[Call] = []
            for call in calls:
                if call.kind == "knowledge_base":
                    yield from self._knowledge_base(turn, trace_id, call)
                elif call.group is not None and (call.group.execution == "RETURN_CONTROL" or call.require_confirmation):
                    handed_back.append(call)
                else:
                    ok = yield from self._lambda(turn, trace_id, call)
                    if not ok:
                        return
            if handed_back:
                yield from self._return_control(turn, trace_id, handed_back, iteration)
                return
        if turn.answer is not None and turn.failed is None:
            yield from self._post_process(turn, turn_id)
        yield from self._chunk(turn)

    # ------------------------------------------------------------------------------ steps

    def _pre_process(self, turn: Turn, turn_id: str, tools: tuple) -> Iterator[Event]:
        cfg = turn.snapshot.prompt("PRE_PROCESSING")
        if cfg.state != "ENABLED":
            return False  # DISABLED: no pre-processing step, no trace
        trace_id = f"{turn_id}-pre"
        text = prompts.fill(cfg.template, prompts.pre_processing_values(tools, question=turn.input_text,
                                                                        history=turn.history))
        ev = self._model_input(turn, "preProcessingTrace", trace_id, "PRE_PROCESSING", text)
        if ev:
            yield ev
        try:
            reply = self.model.pre_process(self._request(turn, "PRE_PROCESSING", text, tools=tools))
        except ModelError as exc:
            yield from self._failure(turn, trace_id, f"The foundation model failed: {exc.message}")
            yield (_member(exc.code), {"message": exc.message})
            return True
        valid = True if reply.is_valid is None else reply.is_valid
        out = _model_output(trace_id, reply)
        out["parsedResponse"] = {"isValid": valid, "rationale": reply.rationale or ""}
        ev = self._trace(turn, {"preProcessingTrace": {"modelInvocationOutput": out}})
        if ev:
            yield ev
        if not valid:
            turn.answer = REJECTED_INPUT
            yield from self._chunk(turn)
            return True
        return False

    def _post_process(self, turn: Turn, turn_id: str) -> Iterator[Event]:
        cfg = turn.snapshot.prompt("POST_PROCESSING")
        if cfg.state != "ENABLED":
            return
        trace_id = f"{turn_id}-post"
        text = prompts.fill(cfg.template, prompts.post_processing_values(
            question=turn.input_text, answer=turn.answer or "", steps=tuple(turn.steps)))
        ev = self._model_input(turn, "postProcessingTrace", trace_id, "POST_PROCESSING", text)
        if ev:
            yield ev
        try:
            reply = self.model.post_process(self._request(turn, "POST_PROCESSING", text, answer=turn.answer))
        except ModelError as exc:
            yield from self._failure(turn, trace_id, f"The foundation model failed: {exc.message}")
            return
        if reply.answer is not None:
            turn.answer = reply.answer
        out = _model_output(trace_id, reply)
        out["parsedResponse"] = {"text": turn.answer or ""}
        ev = self._trace(turn, {"postProcessingTrace": {"modelInvocationOutput": out}})
        if ev:
            yield ev

    def _chunk(self, turn: Turn) -> Iterator[Event]:
        answer = turn.answer or ""
        value: dict[str, Any] = {"bytes": answer.encode("utf-8")}
        refs = [r for s in turn.steps if s.status == "ok" for r in s.references]
        if refs and answer and turn.failed is None:
            citation = {"generatedResponsePart": {"textResponsePart": {
                "text": answer, "span": {"start": 0, "end": max(0, len(answer) - 1)}}},
                "retrievedReferences": refs}
            turn.citations.append(citation)
            value["attribution"] = {"citations": [citation]}
        yield ("chunk", value)

    def _knowledge_base(self, turn: Turn, trace_id: str, call: Call) -> Iterator[Event]:
        assert call.knowledge_base is not None
        kb_id = call.knowledge_base.id
        ev = self._trace(turn, {"orchestrationTrace": {"invocationInput": {
            "traceId": trace_id, "invocationType": "KNOWLEDGE_BASE",
            "knowledgeBaseLookupInput": {"knowledgeBaseId": kb_id, "text": call.query}}}})
        if ev:
            yield ev
        refs = self.retriever.retrieve(kb_id, call.query, turn.kb_results.get(kb_id, DEFAULT_RESULTS))
        text = "\n\n".join(r["content"]["text"] for r in refs) if refs else "No results were found."
        turn.steps.append(StepRecord(call.use, call, "ok", text, tuple(refs)))
        ev = self._trace(turn, {"orchestrationTrace": {"observation": {
            "traceId": trace_id, "type": "KNOWLEDGE_BASE",
            "knowledgeBaseLookupOutput": {"retrievedReferences": refs}}}})
        if ev:
            yield ev

    def _agent_info(self, turn: Turn) -> dict[str, str]:
        s = turn.snapshot
        return {"name": s.agent_name, "id": s.agent_id, "alias": s.alias_id, "version": s.version}

    def _invocation_input(self, turn: Turn, trace_id: str, call: Call, execution: str,
                          invocation_id: str | None = None) -> Event | None:
        assert call.group is not None
        body: dict[str, Any] = {"actionGroupName": call.group.name, "executionType": execution,
                                "parameters": [{"name": v.name, "type": v.type, "value": v.value}
                                               for v in call.parameters]}
        if call.function is not None:
            body["function"] = call.function.name
        else:
            assert call.operation is not None
            body["apiPath"] = call.operation.path
            body["verb"] = call.operation.method.lower()
            if call.body is not None:
                body["requestBody"] = {"content": {call.operation.body_content_type or "application/json": [
                    {"name": v.name, "type": v.type, "value": v.value} for v in call.body]}}
        if invocation_id:
            body["invocationId"] = invocation_id
        return self._trace(turn, {"orchestrationTrace": {"invocationInput": {
            "traceId": trace_id, "invocationType": "ACTION_GROUP", "actionGroupInvocationInput": body}}})

    def _lambda(self, turn: Turn, trace_id: str, call: Call, *, announce: bool = True) -> Iterator[Event]:
        """Run one Lambda call; False when the turn ended with a failure."""
        assert call.group is not None
        if announce:
            ev = self._invocation_input(turn, trace_id, call, "LAMBDA")
            if ev:
                yield ev
        arn = call.group.lambda_arn or ""
        try:
            event = event_for(call, agent=self._agent_info(turn), input_text=turn.input_text,
                              session_id=turn.session_id, session_attributes=turn.session_attributes,
                              prompt_session_attributes=turn.prompt_session_attributes)
            result = parse_response(call, self.lambdas.invoke(arn, event), arn)
        except LambdaFailure as exc:
            yield from self._failure(turn, trace_id, f"Action group {call.group.name}: {exc.detail}")
            yield ("dependencyFailedException", {"message": exc.message, "resourceName": exc.resource})
            return False
        if result.session_attributes is not None:
            turn.session_attributes = dict(result.session_attributes)
        if result.prompt_session_attributes is not None:
            turn.prompt_session_attributes = dict(result.prompt_session_attributes)
        return (yield from self._observe(turn, trace_id, call, result.text, result.response_state, arn))

    def _observe(self, turn: Turn, trace_id: str, call: Call, text: str, state: str | None,
                 resource: str) -> Iterator[Event]:
        assert call.group is not None
        if state == "FAILURE":
            # §10.4: responseState FAILURE fails the InvokeAgent call.
            yield from self._failure(turn, trace_id, f"Action group {call.group.name} answered with "
                                     f"responseState FAILURE: {text}")
            yield ("dependencyFailedException", {
                "message": f"The action group {call.group.name} returned a failure: {text}",
                "resourceName": resource})
            return False
        if state == "REPROMPT":
            turn.steps.append(StepRecord(call.use, call, "reprompt", text))
            obs = {"traceId": trace_id, "type": "REPROMPT",
                   "repromptResponse": {"source": "ACTION_GROUP", "text": text}}
        else:
            turn.steps.append(StepRecord(call.use, call, "ok", text))
            obs = {"traceId": trace_id, "type": "ACTION_GROUP", "actionGroupInvocationOutput": {"text": text}}
        ev = self._trace(turn, {"orchestrationTrace": {"observation": obs}})
        if ev:
            yield ev
        return True

    def _return_control(self, turn: Turn, trace_id: str, calls: list[Call], iteration: int) -> Iterator[Event]:
        invocation_id = str(uuid.uuid4())
        inputs = []
        for call in calls:
            assert call.group is not None
            roc = call.group.execution == "RETURN_CONTROL"
            kind = ("USER_CONFIRMATION_AND_RESULT" if call.require_confirmation else "RESULT") if roc \
                else "USER_CONFIRMATION"
            ev = self._invocation_input(turn, trace_id, call, "RETURN_CONTROL" if roc else "LAMBDA", invocation_id)
            if ev:
                yield ev
            params = [{"name": v.name, "type": v.type, "value": v.value} for v in call.parameters]
            if call.function is not None:
                inputs.append({"functionInvocationInput": {
                    "actionGroup": call.group.name, "function": call.function.name, "parameters": params,
                    "actionInvocationType": kind, "agentId": turn.snapshot.agent_id}})
            else:
                assert call.operation is not None
                item: dict[str, Any] = {"actionGroup": call.group.name, "apiPath": call.operation.path,
                                        "httpMethod": call.operation.method, "parameters": params,
                                        "actionInvocationType": kind, "agentId": turn.snapshot.agent_id}
                if call.body is not None:
                    item["requestBody"] = {"content": {call.operation.body_content_type or "application/json": {
                        "properties": [{"name": v.name, "type": v.type, "value": v.value} for v in call.body]}}}
                inputs.append({"apiInvocationInput": item})
        turn.pending = {
            "invocationId": invocation_id, "iteration": iteration, "inputText": turn.input_text,
            "promptSessionAttributes": dict(turn.prompt_session_attributes),
            "calls": [_use_doc(c.use) for c in calls],
            "steps": [_step_doc(s) for s in turn.steps],
        }
        yield ("returnControl", {"invocationId": invocation_id, "invocationInputs": inputs})

    def _resume(self, turn: Turn, turn_id: str) -> Iterator[Event]:
        """Feed the caller's results for the pending calls back into the turn; True when the turn
        ended (a FAILURE result)."""
        assert turn.resume is not None
        trace_id = f"{turn_id}-roc"
        for doc in turn.resume.get("steps") or []:
            turn.steps.append(_step_from_doc(turn.snapshot, doc))
        for call, result in turn.matched:
            assert call.group is not None
            if result.get("confirmationState") == "DENY":
                text = DENIED_TEXT.format(name=call.function.name if call.function else call.operation.path)  # type: ignore[union-attr]
                turn.steps.append(StepRecord(call.use, call, "denied", text))
                ev = self._trace(turn, {"orchestrationTrace": {"observation": {
                    "traceId": trace_id, "type": "ACTION_GROUP", "actionGroupInvocationOutput": {"text": text}}}})
                if ev:
                    yield ev
                continue
            if call.group.execution != "RETURN_CONTROL":
                # A confirmed Lambda call: Bedrock runs it now.
                ok = yield from self._lambda(turn, trace_id, call, announce=False)
                if not ok:
                    return True
                continue
            text = result_text(result)
            ok = yield from self._observe(turn, trace_id, call, text, result.get("responseState"),
                                          call.group.name)
            if not ok:
                return True
        return False


# ---------------------------------------------------------------------------------- helpers

def _member(code: str) -> str:
    return code[:1].lower() + code[1:]


def _inference(cfg: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: cfg[k] for k in ("temperature", "topP", "topK", "maximumLength", "stopSequences") if k in cfg}
    if "maximumLength" in out:
        out["maximumLength"] = min(int(out["maximumLength"]), 8192)  # the runtime shape's cap (§6.2)
    return out


def _model_output(trace_id: str, reply: ModelReply) -> dict[str, Any]:
    return {"traceId": trace_id, "rawResponse": {"content": reply.raw},
            "metadata": {"usage": {"inputTokens": reply.input_tokens, "outputTokens": reply.output_tokens}}}


def result_text(result: Mapping[str, Any]) -> str:
    bodies = result.get("responseBody") or {}
    if not isinstance(bodies, Mapping) or not bodies:
        return ""
    key = "TEXT" if "TEXT" in bodies else next(iter(bodies))
    part = bodies.get(key) or {}
    return str(part.get("body") or "") if isinstance(part, Mapping) else ""


def pending_calls(snapshot: AgentSnapshot, pending: Mapping[str, Any]) -> list[Call]:
    """The calls a pending return of control handed out, checked again against ``snapshot``
    (``ToolError`` if the version no longer has them)."""
    return [check(snapshot, _use_from_doc(d)) for d in pending.get("calls") or []]


def match_results(pending: list[Call], results: tuple[Mapping[str, Any], ...]) -> list[tuple[Call, Mapping[str, Any]]]:
    """Pair each caller result (functionResult / apiResult) with the pending call it answers.
    Raises ``ValueError`` (a ValidationException for the caller) for a result that answers none
    or a pending call left without a result."""
    out = []
    left = list(pending)
    for item in results:
        result = item.get("functionResult") or item.get("apiResult") or {}
        is_api = "apiResult" in item
        match = None
        for call in left:
            if call.group is None or call.group.name != result.get("actionGroup"):
                continue
            if not is_api and call.function is not None and call.function.name == result.get("function"):
                match = call
            elif is_api and call.operation is not None and call.operation.path == result.get("apiPath") \
                    and call.operation.method == str(result.get("httpMethod") or "").upper():
                match = call
            if match:
                break
        if match is None:
            what = result.get("function") or f"{result.get('httpMethod')} {result.get('apiPath')}"
            raise ValueError(f"The returnControlInvocationResults entry for action group "
                             f"{result.get('actionGroup')!r} ({what}) does not answer any function or API of "
                             "the invocation it returns to.")
        left.remove(match)
        out.append((match, result))
    if left:
        names = ", ".join(f"{c.group.name}.{c.function.name if c.function else c.operation.path}"  # type: ignore[union-attr]
                          for c in left)
        raise ValueError(f"returnControlInvocationResults has no result for: {names}.")
    return out


def _use_doc(use: ToolUse) -> dict[str, Any]:
    return {k: v for k, v in {
        "action_group": use.action_group, "function": use.function, "api_path": use.api_path,
        "http_method": use.http_method, "parameters": dict(use.parameters),
        "request_body": dict(use.request_body) if use.request_body is not None else None,
        "knowledge_base_id": use.knowledge_base_id, "query": use.query, "tool_name": use.tool_name,
        "call_id": use.call_id}.items() if v is not None}


def _use_from_doc(doc: Mapping[str, Any]) -> ToolUse:
    return ToolUse(**{k: v for k, v in doc.items()})


def _step_doc(step: StepRecord) -> dict[str, Any]:
    return {"use": _use_doc(step.use), "status": step.status, "output": step.output,
            "references": list(step.references)}


def _step_from_doc(snapshot: AgentSnapshot, doc: Mapping[str, Any]) -> StepRecord:
    use = _use_from_doc(doc["use"])
    try:
        call = check(snapshot, use) if doc.get("status") != "error" else None
    except ToolError:
        call = None
    return StepRecord(use, call, doc.get("status", "ok"), doc.get("output", ""),
                      tuple(doc.get("references") or ()))
