"""Action-group Lambdas on the local target: the world's Python handlers, called with Bedrock's event.

The environment's world maps Lambda ARNs to handlers (``world.lambdas[]: {arn, handler:
module:function}``). A handler is imported from inside the project directory only (its file must
resolve under the project root; nothing is taken from ``sys.path``), once per emulator instance
(one warm "container": module state lives as long as the emulator, like a warm Lambda's), and
called as ``handler(event, context)``.

``event_for(...)`` builds exactly the input event of service-behaviour.md §10.4 (messageVersion,
agent, inputText, sessionId, actionGroup, function or apiPath/httpMethod, parameters,
requestBody, sessionAttributes, promptSessionAttributes); ``parse_response`` checks the handler's
answer against Bedrock's response format and returns a ``LambdaResult``. A missing handler, an
exception, or a response that breaks the format raise ``LambdaFailure``, which the orchestrator
reports as a failure trace plus DependencyFailedException, as Bedrock does (§10.4).

Must not: import anything from outside the project, or swallow a handler's exception silently.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
import threading
import time
import types
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from agentctl.emulator.runtime.tools import Call

# Bedrock's text for a Lambda answer it cannot use (quoted in public reports of
# DependencyFailedException from InvokeAgent).
BAD_RESPONSE_TEXT = ("The server encountered an error processing the Lambda response. Check the "
                     "Lambda response and retry the request")

_COUNTER = itertools.count(1)


class LambdaFailure(Exception):
    """The Lambda could not produce a usable result. ``message`` is the stream error's text,
    ``detail`` the trace's failure reason (what exactly is wrong)."""

    def __init__(self, message: str, detail: str, resource: str):
        super().__init__(detail)
        self.message = message
        self.detail = detail
        self.resource = resource


@dataclass(frozen=True)
class LambdaResult:
    text: str
    response_state: str | None = None
    """None, ``REPROMPT`` or ``FAILURE``."""
    http_status: int | None = None
    session_attributes: Mapping[str, str] | None = None
    prompt_session_attributes: Mapping[str, str] | None = None


class _Context:
    """The parts of a Lambda context object handlers commonly read."""

    def __init__(self, arn: str, deadline: float):
        self.invoked_function_arn = arn
        self.function_name = arn.rsplit(":", 1)[-1]
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 128
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "agentctl-emulator"
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _unqualified(arn: str) -> str:
    """``arn:aws:lambda:r:a:function:name:alias`` -> ``arn:aws:lambda:r:a:function:name``."""
    parts = arn.split(":")
    return ":".join(parts[:7]) if len(parts) > 7 else arn


class LambdaExecutor:
    def __init__(self, root: Path | None, handlers: Mapping[str, str]):
        self.root = root.resolve() if root is not None else None
        self.handlers = {_unqualified(a): h for a, h in handlers.items()}
        self._loaded: dict[str, Callable[..., Any]] = {}
        self._prefix = f"_agentctl_lambda_{next(_COUNTER)}"
        self._lock = threading.Lock()   # one import per handler, also from server threads

    def handler_for(self, arn: str) -> Callable[..., Any]:
        spec = self.handlers.get(_unqualified(arn))
        if spec is None:
            raise LambdaFailure(
                f"Lambda function {arn} could not be invoked: the function does not exist on the local target.",
                f"no local handler is mapped to Lambda {arn}; add it under the environment's "
                "world.lambdas in agentctl.yaml with `handler: module:function`", arn)
        with self._lock:
            if spec not in self._loaded:
                self._loaded[spec] = self._import(spec, arn)
            return self._loaded[spec]

    def _import(self, spec: str, arn: str) -> Callable[..., Any]:
        if self.root is None:
            raise LambdaFailure(f"Lambda function {arn} could not be invoked.",
                                f"handler {spec} cannot be loaded: the emulator was started without a "
                                "project directory (run it with -e ENV inside the project)", arn)
        module_name, _, func_name = spec.partition(":")
        parts = module_name.split(".")
        base = self.root
        if self._prefix not in sys.modules:
            top = types.ModuleType(self._prefix)
            top.__path__ = []
            sys.modules[self._prefix] = top
        # Packages on the way: real directories inside the project, each its own fresh module.
        for i, part in enumerate(parts[:-1]):
            base = base / part
            self._check_inside(base, spec, arn)
            if not base.is_dir():
                raise self._missing(spec, arn, f"package directory {part}/ not found")
            name = f"{self._prefix}.{'.'.join(parts[: i + 1])}"
            if name not in sys.modules:
                init = base / "__init__.py"
                if init.is_file():
                    self._exec(name, init, spec, arn, package_dir=base)
                else:
                    pkg = types.ModuleType(name)
                    pkg.__path__ = [str(base)]  # a namespace package
                    sys.modules[name] = pkg
        leaf = base / f"{parts[-1]}.py"
        package_dir = None
        if not leaf.is_file() and (base / parts[-1] / "__init__.py").is_file():
            package_dir = base / parts[-1]
            leaf = package_dir / "__init__.py"
        self._check_inside(leaf, spec, arn)
        if not leaf.is_file():
            raise self._missing(spec, arn, f"{leaf.relative_to(self.root)} not found")
        module = self._exec(f"{self._prefix}.{module_name}", leaf, spec, arn, package_dir=package_dir)
        func = getattr(module, func_name, None)
        if not callable(func):
            raise self._missing(spec, arn, f"module {module_name} has no function {func_name}")
        return func

    def _check_inside(self, path: Path, spec: str, arn: str) -> None:
        assert self.root is not None
        if not path.resolve().is_relative_to(self.root):
            raise LambdaFailure(f"Lambda function {arn} could not be invoked.",
                                f"handler {spec} resolves outside the project directory {self.root}; "
                                "handlers must live inside the project", arn)

    def _missing(self, spec: str, arn: str, why: str) -> LambdaFailure:
        return LambdaFailure(f"Lambda function {arn} could not be invoked.",
                             f"handler {spec} of Lambda {arn} cannot be loaded: {why} (paths are relative "
                             f"to the project directory {self.root})", arn)

    def _exec(self, name: str, path: Path, spec: str, arn: str, *, package_dir: Path | None) -> types.ModuleType:
        mspec = importlib.util.spec_from_file_location(
            name, path, submodule_search_locations=[str(package_dir)] if package_dir else None)
        if mspec is None or mspec.loader is None:
            raise self._missing(spec, arn, f"{path} is not a Python module")
        module = importlib.util.module_from_spec(mspec)
        sys.modules[name] = module
        try:
            mspec.loader.exec_module(module)
        except Exception as exc:  # noqa: BLE001 - the user's module failed to import: report it
            sys.modules.pop(name, None)
            raise LambdaFailure(f"Lambda function {arn} failed to initialize.",
                                f"importing handler {spec} raised {type(exc).__name__}: {exc}", arn) from exc
        return module

    def invoke(self, arn: str, event: Mapping[str, Any], *, timeout: float = 900.0) -> Any:
        handler = self.handler_for(arn)
        try:
            return handler(dict(event), _Context(arn, time.monotonic() + timeout))
        except Exception as exc:  # noqa: BLE001 - a Lambda error is the agent's dependency failing
            # Text invented (UNCONFIRMED): Bedrock reports a failing Lambda as DependencyFailedException.
            raise LambdaFailure(f"Lambda function {arn} returned an error: Unhandled.",
                                f"handler raised {type(exc).__name__}: {exc}", arn) from exc


def event_for(call: Call, *, agent: Mapping[str, str], input_text: str, session_id: str,
              session_attributes: Mapping[str, str], prompt_session_attributes: Mapping[str, str]) -> dict[str, Any]:
    """The Lambda input event Bedrock sends for ``call`` (§10.4)."""
    assert call.group is not None
    event: dict[str, Any] = {
        "messageVersion": "1.0",
        "agent": dict(agent),
        "inputText": input_text,
        "sessionId": session_id,
        "actionGroup": call.group.name,
    }
    if call.function is not None:
        event["function"] = call.function.name
    else:
        assert call.operation is not None
        event["apiPath"] = call.operation.path
        event["httpMethod"] = call.operation.method
    event["parameters"] = [{"name": v.name, "type": v.type, "value": v.value} for v in call.parameters]
    if call.body is not None and call.operation is not None:
        event["requestBody"] = {"content": {call.operation.body_content_type or "application/json": {
            "properties": [{"name": v.name, "type": v.type, "value": v.value} for v in call.body]}}}
    event["sessionAttributes"] = dict(session_attributes)
    event["promptSessionAttributes"] = dict(prompt_session_attributes)
    return event


def _bad(detail: str, arn: str) -> LambdaFailure:
    return LambdaFailure(BAD_RESPONSE_TEXT, f"the Lambda response breaks Bedrock's response format: {detail}", arn)


def _string_map(value: Any, what: str, arn: str) -> Mapping[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise _bad(f"`{what}` must map strings to strings", arn)
    return dict(value)


def parse_response(call: Call, response: Any, arn: str) -> LambdaResult:
    """Check a handler's return value against §10.4's response format."""
    if not isinstance(response, dict):
        raise _bad(f"the handler returned {type(response).__name__}, not a JSON object", arn)
    body_holder = response.get("response")
    if not isinstance(body_holder, dict):
        raise _bad("`response` is missing or not an object", arn)
    assert call.group is not None
    if body_holder.get("actionGroup") != call.group.name:
        raise _bad(f"`response.actionGroup` is {body_holder.get('actionGroup')!r}, the call was for "
                   f"{call.group.name!r}", arn)
    status = None
    if call.function is not None:
        if body_holder.get("function") != call.function.name:
            raise _bad(f"`response.function` is {body_holder.get('function')!r}, the call was for "
                       f"{call.function.name!r}", arn)
        inner = body_holder.get("functionResponse")
        if not isinstance(inner, dict):
            raise _bad("`response.functionResponse` is missing or not an object", arn)
        state = inner.get("responseState")
        bodies = inner.get("responseBody")
    else:
        assert call.operation is not None
        for key, want in (("apiPath", call.operation.path), ("httpMethod", call.operation.method)):
            got = body_holder.get(key)
            if not isinstance(got, str) or (got.upper() if key == "httpMethod" else got) != want:
                raise _bad(f"`response.{key}` is {got!r}, the call was for {want!r}", arn)
        status = body_holder.get("httpStatusCode")
        if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
            raise _bad("`response.httpStatusCode` must be an integer", arn)
        state = body_holder.get("responseState")
        bodies = body_holder.get("responseBody")
    if state is not None and state not in ("FAILURE", "REPROMPT"):
        raise _bad(f"`responseState` must be FAILURE or REPROMPT, got {state!r}", arn)
    if bodies is None and state is not None:
        bodies = {"TEXT": {"body": ""}}
    if not isinstance(bodies, dict) or not bodies:
        raise _bad("`responseBody` must map a content type to {\"body\": \"...\"}", arn)
    # Function groups answer with TEXT (docs); the first content type is used otherwise.
    key = "TEXT" if "TEXT" in bodies else next(iter(bodies))
    part = bodies[key]
    if not isinstance(part, dict) or not isinstance(part.get("body"), str):
        raise _bad(f"`responseBody.{key}.body` must be a string", arn)
    if response.get("messageVersion") not in (None, "1.0"):
        raise _bad(f"`messageVersion` must be \"1.0\", got {response.get('messageVersion')!r}", arn)
    return LambdaResult(text=part["body"], response_state=state, http_status=status,
                        session_attributes=_string_map(response.get("sessionAttributes"), "sessionAttributes", arn),
                        prompt_session_attributes=_string_map(response.get("promptSessionAttributes"),
                                                              "promptSessionAttributes", arn))
