"""The ``Emulator``: one local Bedrock Agents control plane and runtime over one SQLite state file.

It ties the pieces together: ``transports.wire`` (REST-JSON routing and serialization from
botocore's models), ``faults`` (injected latency / throttling / errors), ``control`` (the
control-plane semantics, one module per resource family, run in one store transaction per
operation after settling due transitions), the runtime side (``runtime/``: InvokeAgent,
GetAgentMemory, DeleteAgentMemory) and the call log. Both transports end in ``handle_http``: the
in-process botocore hook (``transports.inprocess``: ``client()`` / ``runtime_client()`` /
``attach()``) and the loopback HTTP server (``transports.server``), which serves both services on
one port (a request is routed by the operations' URIs in botocore's models).

Must not: print (diagnostics go to the ``agentctl.emulator`` logger), start threads, or reach
the network.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from agentctl.core import servicemodel
from agentctl.emulator.config import EmulatorConfig
from agentctl.emulator.control import ControlPlane
from agentctl.emulator.errors import AnswerLost, ServiceError, internal
from agentctl.emulator.faults import FaultInjector
from agentctl.emulator.store import Store
from agentctl.emulator.transports import inprocess, wire
from agentctl.errors import UsageError

log = logging.getLogger("agentctl.emulator")

DUMMY_ACCESS_KEY = "AKIAEMULATOR00000000"
DUMMY_SECRET_KEY = "emulator-secret-not-a-credential"


_SESSION: Any = None
_SESSION_LOCK = threading.Lock()


def _new_client(region: str, config: Any, service: str = "bedrock-agent") -> Any:
    """A client from one shared boto3 session (dummy credentials): creating a session reloads
    botocore's models, which costs more than the client. Sessions are not thread-safe, hence the
    lock around client creation."""
    global _SESSION
    with _SESSION_LOCK:
        if _SESSION is None:
            import boto3

            _SESSION = boto3.session.Session(aws_access_key_id=DUMMY_ACCESS_KEY,
                                             aws_secret_access_key=DUMMY_SECRET_KEY)
        return _SESSION.client(service, region_name=region, config=config)


def _mutating(operation: str) -> bool:
    return not operation.startswith(("Get", "List"))


# Operations that change state; "a second apply made zero mutating calls" is asserted with these.
MUTATING_OPERATIONS: frozenset[str] = frozenset(
    op for op in servicemodel.service_model().operation_names if _mutating(op))


REDACTED = "(redacted)"
"""What the call log keeps of a session attribute's value."""


def _loggable(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` as the call log keeps them: InvokeAgent's session attributes and prompt session
    attributes (often credentials or personal data the caller passes on) with their values
    redacted and their names kept. The service keeps session attributes in the session, for its
    lifetime, and so does the emulator (its sessions); it keeps no log of them."""
    state = params.get("sessionState")
    if not isinstance(state, dict):
        return params
    clean = dict(state)
    for key in ("sessionAttributes", "promptSessionAttributes"):
        if isinstance(clean.get(key), dict):
            clean[key] = {k: REDACTED for k in clean[key]}
    return {**params, "sessionState": clean}


@dataclass(frozen=True)
class CallRecord:
    seq: int
    operation: str
    params: dict[str, Any]
    outcome: str
    """``ok`` or the error code (``ValidationException``, ``ThrottlingException``, ...)."""
    ts: float
    transport: str
    """``inprocess`` (botocore hook) or ``http`` (transports/server.py)."""


@dataclass(frozen=True)
class World:
    """Things outside the agent API that agents refer to (seeded, not created through the API)."""

    knowledge_bases: list[dict[str, Any]] = field(default_factory=list)
    """``{"id": "KB1234ABCD", "name": "hr-policies", "description": "..."}``"""
    lambdas: list[dict[str, Any]] = field(default_factory=list)
    """``{"arn": "arn:aws:lambda:...:function:x", "handler": "module:function"}`` (for the runtime)."""


RUNTIME_SERVICE = "bedrock-agent-runtime"


class Emulator:
    def __init__(self, state_path: Path | str | None = None, config: EmulatorConfig | None = None,
                 region: str = "us-east-1", account: str = "123456789012", *,
                 clock: Callable[[], float] | None = None, sleep: Callable[[float], None] | None = None,
                 runtime: Any = None,
                 before_commit: Callable[[str, Mapping[str, Any]], None] | None = None,
                 faults: FaultInjector | None = None):
        """Two seams for tests, both off by default:

        - ``before_commit(operation, result)`` runs inside every control-plane operation's
          transaction after the operation wrote and before it commits: whatever it raises rolls
          the whole operation back and is answered as InternalServerException (500), exactly
          like a bug in the emulator (atomicity tests: one operation, one transaction);
        - ``faults``: the fault injector to use instead of one built from ``config.faults`` on
          this emulator's clock (crash-fault tests give one whose kill raises instead of
          SIGKILL, with its own counters)."""
        self.config = config or EmulatorConfig()
        self.region = region
        self.account = account
        self._clock = clock or time.time
        self._tmpdir: str | None = None
        if state_path is None:
            self._tmpdir = tempfile.mkdtemp(prefix="agentctl-emulator-")
            state_path = Path(self._tmpdir) / "state.sqlite3"
        self.state_path = Path(state_path)
        self._store = Store(self.state_path, busy_timeout=self.config.busy_timeout_seconds)
        self._faults = faults or FaultInjector(self.config.faults, clock=self._clock, sleep=sleep or time.sleep)
        self._control = ControlPlane(self.config, region=region, account=account,
                                     prepare_hook=self._faults.prepare_outcome)
        self._before_commit = before_commit
        from agentctl.emulator.runtime.service import RuntimeService

        self._runtime = RuntimeService(self, runtime)
        self._closed = False

    def configure_runtime(self, settings: Any) -> None:
        """Where the project is and which foundation model runs (``runtime.RuntimeSettings``)."""
        self._runtime.configure(settings)

    # --- clients ------------------------------------------------------------------------------

    def client(self, *, config: Any = None) -> Any:
        """A boto3 ``bedrock-agent`` client (dummy credentials, this emulator's region) whose
        requests are answered in-process. ``config`` is a ``botocore.config.Config`` (e.g. to
        turn retries off in a test)."""
        return self.attach(_new_client(self.region, config))

    def runtime_client(self, *, config: Any = None) -> Any:
        """A boto3 ``bedrock-agent-runtime`` client answered in-process (InvokeAgent,
        GetAgentMemory, DeleteAgentMemory)."""
        return self.attach(_new_client(self.region, config, RUNTIME_SERVICE))

    def attach(self, client: Any) -> Any:
        return inprocess.attach(client, self)

    @property
    def operations(self) -> frozenset[str]:
        """The operation names this emulator answers (what its call log can record)."""
        return frozenset(self._control.operations)

    # --- the one entry point of both transports ---------------------------------------------

    def handle_http(self, method: str, path_and_query: str, headers: Mapping[str, str], body: bytes, *,
                    transport: str = "http", service: str | None = None) -> tuple[int, dict[str, str], Any]:
        """Answer one HTTP request. ``service`` is known in-process (the client's); over HTTP it
        is found from the path: the control plane's URIs first, then the runtime's (the two
        services' URIs do not overlap: ``agentaliases`` vs ``agentAliases``). The body of an
        InvokeAgent answer is an iterator of event-stream messages."""
        path, query = wire.split_target(path_and_query)
        routed = None
        for svc in ((service,) if service else (servicemodel.SERVICE, RUNTIME_SERVICE)):
            routed = wire.match(method, path, query, svc)
            if routed is not None:
                service = svc
                break
        if routed is None:
            names = service or f"{servicemodel.SERVICE} or {RUNTIME_SERVICE}"
            err = ServiceError("UnknownOperationException",
                               f"No {names} operation matches {method.upper()} {path}")
            self._log("UnknownOperation", {"method": method.upper(), "path": path}, err.code, transport)
            return wire.serialize_error(err)
        operation, labels = routed
        op_model = servicemodel.service_model(service).operation_model(operation)
        if service == RUNTIME_SERVICE:
            return self._handle_runtime(op_model, labels, query, headers, body, transport)
        try:
            params = wire.parse_request(op_model, labels, query, headers, body or b"")
        except ServiceError as err:
            self._log(operation, {}, err.code, transport)
            return wire.serialize_error(err)
        try:
            result = self.invoke(operation, params, transport=transport)
            return wire.serialize_response(op_model, result)
        except ServiceError as err:
            return wire.serialize_error(err)
        except AnswerLost:
            raise  # the transport drops the connection (faults: error_after_commit)
        except Exception as exc:  # noqa: BLE001 - a serialization bug is a 500, like invoke's
            log.error("emulator bug serializing %s: %s", operation, exc)
            log.debug("traceback", exc_info=True)
            return wire.serialize_error(internal(f"Internal error in the agentctl emulator ({exc})."))

    def _handle_runtime(self, op_model: Any, labels: Mapping[str, str], query: Any, headers: Mapping[str, str],
                        body: bytes, transport: str) -> tuple[int, dict[str, str], Any]:
        operation = op_model.name
        try:
            params = wire.parse_request(op_model, labels, query, headers, body or b"")
        except ServiceError as err:
            self._log(operation, {}, err.code, transport)
            return wire.serialize_error(err, RUNTIME_SERVICE)
        try:
            return self._runtime.handle(operation, params, transport=transport, log_call=self._log)
        except ServiceError as err:
            return wire.serialize_error(err, RUNTIME_SERVICE)
        except Exception as exc:  # noqa: BLE001 - an emulator bug must look like AWS's 500
            log.error("emulator bug in %s: %s: %s", operation, type(exc).__name__, exc)
            log.debug("traceback", exc_info=True)
            self._log(operation, params, "InternalServerException", transport)
            return wire.serialize_error(internal(f"Internal error in the agentctl emulator "
                                                 f"({type(exc).__name__}: {exc})."), RUNTIME_SERVICE)

    def invoke(self, operation: str, params: dict[str, Any], *, transport: str = "direct") -> dict[str, Any]:
        """Run one operation on already-parsed parameters; raises ``ServiceError``. The result
        has timestamps as epoch floats (the wire layer formats them)."""
        injected = self._faults.before(operation)
        if injected is not None:
            self._log(operation, params, injected.code, transport)
            raise injected
        now = self._clock()
        outcome = "ok"
        try:
            with self._store.transaction() as tx:
                self._control.settle(tx, now)
                result = self._control.dispatch(tx, operation, params, now)
                if self._before_commit is not None:
                    self._before_commit(operation, result)
        except ServiceError as err:
            outcome = err.code
            raise
        except Exception as exc:  # noqa: BLE001 - a bug must look like AWS's 500, not hang a client
            # A traceback only at debug level: callers see a modelled 500 (and may retry).
            log.error("emulator bug in %s: %s: %s", operation, type(exc).__name__, exc)
            log.debug("traceback", exc_info=True)
            outcome = "InternalServerException"
            raise internal(f"Internal error in the agentctl emulator ({type(exc).__name__}: {exc}).") from exc
        finally:
            self._log(operation, params, outcome, transport)
        # Committed and logged: a crash fault may kill the process now, before the caller
        # sees the response, or the answer may be lost (faults.py). A lost answer is logged as
        # the caller sees it, after the "ok" of the commit.
        mutating = operation in MUTATING_OPERATIONS
        self._faults.after(operation, result, mutating=mutating)
        try:
            self._faults.after_commit(operation, params, mutating=mutating)
        except ServiceError as err:
            self._log(operation, params, f"{err.code} after commit", transport)
            raise
        except AnswerLost:
            self._log(operation, params, "connection dropped after commit", transport)
            raise
        return result

    def _log(self, operation: str, params: dict[str, Any], outcome: str, transport: str) -> None:
        if self._closed:
            # A call of a thread the command no longer waits for (abandoned after Ctrl-C),
            # answering after the emulator was closed: nobody reads its log entry.
            return
        try:
            with self._store.transaction() as tx:
                tx.log_call(operation, _loggable(params), outcome, self._clock(), transport)
        except sqlite3.Error as e:
            # The answer has been decided; a state file locked past the busy timeout must not
            # turn it into a traceback. The gap in the log is reported instead (the traceback
            # only with --debug).
            log.warning("could not record %s (%s) in the call log: %s", operation, outcome, e)
            log.debug("traceback", exc_info=True)

    # --- call log, state ----------------------------------------------------------------------

    def calls(self, operation: str | None = None) -> list[CallRecord]:
        with self._store.transaction() as tx:
            return [CallRecord(*row) for row in tx.calls(operation)]

    def clear_calls(self) -> None:
        with self._store.transaction() as tx:
            tx.clear_calls()

    def reset(self) -> None:
        """Forget every resource, token and call (the state file stays)."""
        with self._store.transaction() as tx:
            tx.clear_all()

    def seed_world(self, world: World) -> None:
        """Create (or refresh) the knowledge bases and Lambda functions of ``world``; idempotent."""
        now = self._clock()
        with self._store.transaction() as tx:
            for kb in world.knowledge_bases:
                kb_id = kb.get("id") or kb.get("knowledgeBaseId")
                if not kb_id or not servicemodel.compiled("[0-9a-zA-Z]{10}").fullmatch(kb_id):
                    raise UsageError(f"World knowledge base needs a 10-character alphanumeric id, got {kb_id!r}")
                self._control.seed_knowledge_base(tx, kb_id, kb.get("name") or kb_id, kb.get("description"), now)
                # The documents the local runtime retrieves from (files in the project).
                tx.put("kb_documents", "", "", kb_id, {"documents": list(kb.get("documents") or [])})
            for fn in world.lambdas:
                if not fn.get("arn"):
                    raise UsageError(f"World lambda needs an 'arn': {fn!r}")
                tx.put("lambda", "", "", fn["arn"], dict(fn))

    def lambdas(self) -> dict[str, dict[str, Any]]:
        """Seeded Lambda functions by ARN (for the runtime side)."""
        with self._store.transaction() as tx:
            return {r.rid: r.doc for r in tx.rows("lambda")}

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._store.close()
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    def __enter__(self) -> "Emulator":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
