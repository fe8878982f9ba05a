"""The emulated ``bedrock-agent-runtime`` operations: InvokeAgent, GetAgentMemory, DeleteAgentMemory.

``RuntimeService.handle(operation, params, transport)`` runs one already-parsed request and
returns ``(status, headers, body)``; for InvokeAgent the body is an iterator of event-stream
messages (``eventstream``) that the transport writes as it comes (the HTTP server streams it with
chunked encoding; the in-process hook collects it).

Before the stream starts, errors are ordinary HTTP errors, as on AWS: injected faults
(throttling, 500s), server-side validation from botocore's model (lengths, patterns: a session id
breaking ``^[0-9a-zA-Z._:-]+$``), an unknown agent or alias, a DRAFT never prepared, a
return-of-control answer that matches no pending invocation, no usable model. Failures during the
turn (a Lambda, the model) arrive in the stream (service-behaviour.md §10.2, §10.5).

Sessions and memory are read and written in short store transactions around the turn; no
transaction is held while a model or a handler runs.

Must not: parse HTTP (``wire`` does) or decide orchestration (``orchestrator`` does).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from typing import Any, Callable, Iterator, Mapping

from agentctl.core import servicemodel
from agentctl.emulator.errors import ServiceError, validation
from agentctl.emulator.runtime import eventstream, prompts, sessions, snapshot
from agentctl.emulator.runtime.lambdas import LambdaExecutor
from agentctl.emulator.runtime.models import ModelCache, ModelError, ModelUnavailable
from agentctl.emulator.runtime.models.base import ModelRequest, default_summary
from agentctl.emulator.runtime.orchestrator import Orchestrator, Turn, match_results, pending_calls
from agentctl.emulator.runtime.retrieval import Retriever
from agentctl.emulator.runtime.settings import RuntimeSettings
from agentctl.emulator.runtime.tools import ToolError

log = logging.getLogger("agentctl.emulator")

SERVICE = eventstream.SERVICE
OPERATIONS = frozenset({"InvokeAgent", "GetAgentMemory", "DeleteAgentMemory"})
KB_DOCUMENTS = "kb_documents"
Body = bytes | Iterator[bytes]


class RuntimeService:
    def __init__(self, emulator: Any, settings: RuntimeSettings | None = None):
        self._emu = emulator
        self.settings = settings or RuntimeSettings()
        self._models = ModelCache()
        self._executor: LambdaExecutor | None = None
        self._executor_key: Any = None
        self._retriever: Retriever | None = None
        self._retriever_key: Any = None
        # The HTTP server answers on worker threads: building the caches is serialized.
        self._lock = threading.RLock()

    # --- plumbing ---------------------------------------------------------------------------

    def configure(self, settings: RuntimeSettings) -> None:
        self.settings = settings
        self._executor = self._retriever = None
        self._executor_key = self._retriever_key = None

    @property
    def config(self) -> Any:
        return self._emu.config

    def _now(self) -> float:
        return self._emu._clock()

    def _tx(self) -> Any:
        return self._emu._store.transaction()

    def _lambdas(self) -> LambdaExecutor:
        handlers = {arn: doc.get("handler") for arn, doc in self._emu.lambdas().items() if doc.get("handler")}
        key = (self.settings.root, tuple(sorted(handlers.items())))
        with self._lock:
            if self._executor is None or key != self._executor_key:
                self._executor, self._executor_key = LambdaExecutor(self.settings.root, handlers), key
            return self._executor

    def _retrieval(self) -> Retriever:
        with self._tx() as tx:
            docs = {r.rid: list(r.doc.get("documents") or []) for r in tx.rows(KB_DOCUMENTS)}
        key = (self.settings.root, tuple(sorted((k, tuple(v)) for k, v in docs.items())))
        with self._lock:
            if self._retriever is None or key != self._retriever_key:
                self._retriever, self._retriever_key = Retriever(self.settings.root, docs), key
            return self._retriever

    def _model(self) -> Any:
        try:
            with self._lock:
                return self._models.get(self.settings)
        except ModelUnavailable as exc:
            raise ServiceError("ModelNotReadyException", str(exc)) from None

    def _validate(self, operation: str, params: Mapping[str, Any]) -> None:
        violations = servicemodel.validate(operation, dict(params), service=SERVICE)
        if violations:
            raise validation(servicemodel.aws_validation_message(violations))

    def handle(self, operation: str, params: dict[str, Any], *, transport: str,
               log_call: Callable[[str, dict[str, Any], str, str], None]) -> tuple[int, dict[str, str], Body]:
        injected = self._emu._faults.before(operation)
        if injected is not None:
            log_call(operation, params, injected.code, transport)
            raise injected
        try:
            if operation == "InvokeAgent":
                return self.invoke_agent(params, transport=transport, log_call=log_call)
            if operation == "GetAgentMemory":
                result = self.get_agent_memory(params)
            elif operation == "DeleteAgentMemory":
                result = self.delete_agent_memory(params)
            else:
                raise ServiceError("NotImplementedException",
                                   f"The agentctl emulator does not implement {operation} of {SERVICE}.")
        except ServiceError as err:
            log_call(operation, params, err.code, transport)
            raise
        log_call(operation, params, "ok", transport)
        from agentctl.emulator.transports import wire

        op_model = servicemodel.service_model(SERVICE).operation_model(operation)
        return wire.serialize_response(op_model, result)

    # --- memory -----------------------------------------------------------------------------

    def _summarize(self, snap: snapshot.AgentSnapshot | None, ended: list[sessions.Ended]) -> None:
        """Write the SESSION_SUMMARY of each ended session that had a memory id (memory on)."""
        if snap is None or snap.memory is None:
            return
        for e in ended:
            if not e.memory_id or not e.history:
                continue
            cfg = snap.prompt("MEMORY_SUMMARIZATION")
            past: tuple[str, ...] = ()
            with self._tx() as tx:
                past = tuple(d["summaryText"] for d in reversed(sessions.summaries(tx, e.agent_id, e.alias_id, e.memory_id)))
            text = prompts.fill(cfg.template, prompts.summary_values(history=e.history, past=past))
            request = ModelRequest(prompt_type="MEMORY_SUMMARIZATION", prompt=text, system=prompts.system_of(text),
                                   input_text="", foundation_model=snap.foundation_model, inference=cfg.inference,
                                   history=e.history, memory=past, now=self._now())
            try:
                with self._lock:
                    model = self._models.get(self.settings)
                summary = model.summarize(request).answer
            except (ModelError, ModelUnavailable) as exc:
                log.warning("memory summary of session %s: the model failed (%s); keeping a plain summary",
                            e.session_id, exc)
                summary = None
            with self._tx() as tx:
                sessions.store_summary(tx, e, summary or default_summary(request), snap.memory, self._now())

    def _memory_target(self, tx: Any, p: Mapping[str, Any]) -> snapshot.AgentSnapshot | None:
        from agentctl.emulator.control.base import ALIAS, AGENT, DRAFT
        from agentctl.emulator.errors import not_found

        self._emu._control.settle(tx, self._now())
        if tx.get(AGENT, p["agentId"], DRAFT, "") is None or tx.get(ALIAS, p["agentId"], "", p["agentAliasId"]) is None:
            raise not_found()
        try:
            return snapshot.resolve(tx, self.config, p["agentId"], p["agentAliasId"])
        except ServiceError:
            return None  # memory stays readable while the alias cannot be invoked

    def get_agent_memory(self, p: dict[str, Any]) -> dict[str, Any]:
        self._validate("GetAgentMemory", p)
        with self._tx() as tx:
            snap = self._memory_target(tx, p)
            ended = sessions.expire_idle(tx, p["agentId"], snap.idle_ttl, self._now(),
                                         alias_id=p["agentAliasId"]) if snap else []
        self._summarize(snap, ended)
        with self._tx() as tx:
            items = sessions.summaries(tx, p["agentId"], p["agentAliasId"], p["memoryId"])
        start = _decode_token(p.get("nextToken"))
        size = int(p.get("maxItems") or 100)
        page = items[start:start + size]
        out: dict[str, Any] = {"memoryContents": [{"sessionSummary": d} for d in page]}
        if start + size < len(items):
            out["nextToken"] = _encode_token(start + size)
        return out

    def delete_agent_memory(self, p: dict[str, Any]) -> dict[str, Any]:
        self._validate("DeleteAgentMemory", p)
        with self._tx() as tx:
            self._memory_target(tx, p)
            sessions.delete_memory(tx, p["agentId"], p["agentAliasId"], p.get("memoryId"), p.get("sessionId"))
        return {}

    # --- InvokeAgent ------------------------------------------------------------------------

    def invoke_agent(self, p: dict[str, Any], *, transport: str,
                     log_call: Callable[[str, dict[str, Any], str, str], None]) -> tuple[int, dict[str, str], Body]:
        self._validate("InvokeAgent", p)
        agent_id, alias_id, session_id = p["agentId"], p["agentAliasId"], p["sessionId"]
        state = p.get("sessionState") or {}
        results = tuple(state.get("returnControlInvocationResults") or ())
        now = self._now()
        with self._tx() as tx:
            self._emu._control.settle(tx, now)
            snap = snapshot.resolve(tx, self.config, agent_id, alias_id)
            ended = sessions.expire_idle(tx, agent_id, snap.idle_ttl, now, alias_id=alias_id)
            doc = sessions.load(tx, agent_id, alias_id, session_id)
        self._summarize(snap, ended)
        model = self._model()
        memory_id = p.get("memoryId") or (doc or {}).get("memoryId")
        if doc is None:
            if results:
                raise validation(f"Session {session_id} has no pending return of control to answer: it ended "
                                 "or never returned control.")  # text invented
            doc = sessions.new(session_id, memory_id, now)
        doc["memoryId"] = memory_id
        turn_input = p.get("inputText") or ""
        matched: tuple = ()
        resume = None
        prompt_attrs = dict(state.get("promptSessionAttributes") or {})
        if results:
            resume = doc.get("pending")
            if not resume:
                raise validation(f"Session {session_id} has no pending return of control to answer.")  # invented
            given = state.get("invocationId")
            if given and given != resume["invocationId"]:
                raise validation(f"The invocationId {given} does not match the pending invocation "
                                 f"{resume['invocationId']} of session {session_id}.")  # invented
            try:
                matched = tuple(match_results(pending_calls(snap, resume), results))
            except (ToolError, ValueError) as exc:
                raise validation(str(exc)) from None
            # §10.1: with returnControlInvocationResults, inputText is ignored.
            turn_input = resume.get("inputText", "")
            if "promptSessionAttributes" not in state:
                prompt_attrs = dict(resume.get("promptSessionAttributes") or {})
        elif not turn_input.strip() and not p.get("endSession"):
            raise validation("InvokeAgent needs inputText, or sessionState.returnControlInvocationResults "
                             "to continue a returned invocation.")  # text invented
        session_attrs = dict(state["sessionAttributes"]) if "sessionAttributes" in state \
            else dict(doc.get("sessionAttributes") or {})
        memory: tuple[str, ...] = ()
        if snap.memory is not None and memory_id:
            with self._tx() as tx:
                memory = tuple(d["summaryText"] for d in reversed(sessions.summaries(tx, agent_id, alias_id, memory_id)))
        kb_results = {}
        for kbc in state.get("knowledgeBaseConfigurations") or []:
            rc = kbc.get("retrievalConfiguration") or {}
            n = (rc.get("vectorSearchConfiguration") or rc.get("managedSearchConfiguration") or {}).get("numberOfResults")
            if n:
                kb_results[kbc["knowledgeBaseId"]] = int(n)
        history = tuple((r, t) for r, t in doc.get("history") or [])
        given_history = (state.get("conversationHistory") or {}).get("messages")
        if given_history:
            # sessionState.conversationHistory: the caller supplies the earlier turns.
            history = tuple((m["role"], "\n".join(c.get("text") or "" for c in m.get("content") or []))
                            for m in given_history)
        turn = Turn(snapshot=snap, session_id=session_id, input_text=turn_input, session_attributes=session_attrs,
                    prompt_session_attributes=prompt_attrs, history=history, memory=memory,
                    enable_trace=bool(p.get("enableTrace")), now=now, kb_results=kb_results,
                    resume=resume, matched=matched)
        orchestrator = Orchestrator(model, self._lambdas(), self._retrieval(),
                                    max_iterations=self.config.runtime_max_iterations, clock=self._now)
        run_turn = bool(turn_input.strip()) or bool(results)
        headers = {"content-type": eventstream.CONTENT_TYPE, "x-amzn-bedrock-agent-content-type": "application/json",
                   "x-amz-bedrock-agent-session-id": session_id}
        if memory_id:
            headers["x-amz-bedrock-agent-memory-id"] = memory_id

        def stream() -> Iterator[bytes]:
            outcome = "ok"
            try:
                if run_turn:
                    for member, value in orchestrator.run(turn):
                        if member in ("chunk", "trace", "returnControl", "files"):
                            yield eventstream.event(member, value)
                        else:
                            outcome = member[:1].upper() + member[1:]
                            extra = {k: str(v) for k, v in value.items() if k != "message" and v}
                            yield eventstream.exception(member, value.get("message", ""), **extra)
            except Exception as exc:  # noqa: BLE001 - an emulator bug ends the stream like a 500
                log.error("emulator bug in InvokeAgent: %s: %s", type(exc).__name__, exc)
                log.debug("traceback", exc_info=True)
                outcome = "InternalServerException"
                yield eventstream.exception("internalServerException",
                                            f"Internal error in the agentctl emulator ({type(exc).__name__}: {exc}).")
            finally:
                self._finish(snap, doc, turn, p, run_turn)
                log_call("InvokeAgent", p, outcome, transport)

        return 200, headers, stream()

    def _finish(self, snap: snapshot.AgentSnapshot, doc: dict[str, Any], turn: Turn, p: Mapping[str, Any],
                ran: bool) -> None:
        now = self._now()
        doc["sessionAttributes"] = turn.session_attributes
        doc["lastUsedAt"] = now
        if ran:
            doc["pending"] = turn.pending
            if turn.answer is not None and turn.pending is None:
                doc["history"] = list(doc.get("history") or []) + [["user", turn.input_text],
                                                                   ["assistant", turn.answer]]
        ended = []
        with self._tx() as tx:
            if p.get("endSession"):
                # §10.1: endSession ends the session (attributes dropped); with memory on, it is
                # summarized. The turn given with it runs first (UNCONFIRMED).
                ended.append(sessions.end(tx, snap.agent_id, snap.alias_id, doc, now))
            else:
                sessions.save(tx, snap.agent_id, snap.alias_id, doc)
        self._summarize(snap, ended)


def _encode_token(position: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": position}).encode()).decode().rstrip("=")


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return max(0, int(data["after"]))
    except (ValueError, KeyError, TypeError):
        raise validation("Invalid pagination token. Retry the request with the nextToken from a previous "
                         "response.") from None
