"""Return-of-control resolvers: who answers a ``returnControl`` event, and how.

A ``returnControl`` payload lists 1..5 invocation inputs (``functionInvocationInput`` or
``apiInvocationInput``, service-behaviour.md §10.2). Each becomes a ``RocCall`` (parameters as
``{name: value}`` strings, the API path, method and request body), is answered by a resolver, and
turned back into the ``functionResult`` / ``apiResult`` member InvokeAgent expects (§10.4):

- ``SpecHandlers(project, agent_spec, fallback)``: the spec's ``executor.handler:
  module:function`` of the call's action group (return-of-control groups), imported from inside
  the project directory only. Function groups: ``handler(**parameters)``; API groups: the path,
  query and body parameters as keyword arguments, plus ``api_path``, ``http_method`` and
  ``request_body`` when the handler accepts them. Groups without a handler go to ``fallback``.
- ``PromptUser(console)``: asks at the terminal for the result text.
- ``PresetResults(results)``: answers from a table (eval cases).

A handler returns the result text (``str``), or a mapping ``{"body": str, "responseState":
"FAILURE"|"REPROMPT", "httpStatusCode": int}`` (only ``body`` required). Anything else is a
``HandlerError`` naming the handler and what it returned.

Confirmation (``requireConfirmation`` in the spec; Bedrock's ``actionInvocationType``
``USER_CONFIRMATION`` for a Lambda-executed function, ``USER_CONFIRMATION_AND_RESULT`` for a
return-of-control one): a ``confirmer(call) -> bool`` decides; the result carries
``confirmationState`` CONFIRM or DENY. On DENY no handler runs. Without a confirmer the call is
refused with a ``HandlerError`` that says to pass ``--confirm`` or ``--deny``.

Must not: print (``PromptUser`` writes through the console it is given), import modules from
outside the project, or send anything (``agentctl.runtime.session`` does).
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from agentctl.errors import HandlerError
from agentctl.runtime.trace import params_of

HANDLER_REF = re.compile(r"^(?P<module>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)"
                         r":(?P<func>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)$")
CONFIRMING = frozenset({"USER_CONFIRMATION", "USER_CONFIRMATION_AND_RESULT"})
RESPONSE_STATES = ("FAILURE", "REPROMPT")
DENIED_TEXT = "The user denied this action; it was not run."
CONFIRMED_TEXT = "The user confirmed this action."


@dataclass(frozen=True)
class RocCall:
    """One invocation input of a returnControl payload, parsed."""

    action_group: str
    function: str | None
    api_path: str | None
    http_method: str | None
    parameters: Mapping[str, str]
    request_body: Mapping[str, Mapping[str, str]] | None
    invocation_type: str
    """RESULT | USER_CONFIRMATION | USER_CONFIRMATION_AND_RESULT."""
    agent_id: str | None = None
    collaborator: str | None = None

    @property
    def is_api(self) -> bool:
        return self.function is None and self.api_path is not None

    @property
    def name(self) -> str:
        if self.is_api:
            return f"{self.action_group} {self.http_method or ''} {self.api_path}".replace("  ", " ")
        return f"{self.action_group}.{self.function}"

    @property
    def needs_confirmation(self) -> bool:
        return self.invocation_type in CONFIRMING

    @property
    def needs_result(self) -> bool:
        """USER_CONFIRMATION alone asks only for the decision (Bedrock then runs the Lambda)."""
        return self.invocation_type != "USER_CONFIRMATION"


Confirmer = Callable[[RocCall], bool]


def parse_calls(roc: Mapping[str, Any]) -> list[RocCall]:
    """The calls of ``roc`` (``Invocation.return_control`` or a raw ``returnControl``)."""
    items = roc.get("inputs", roc.get("invocationInputs")) or []
    out = []
    for i, member in enumerate(items if isinstance(items, list) else []):
        member = member if isinstance(member, Mapping) else {}
        fi, ai = member.get("functionInvocationInput"), member.get("apiInvocationInput")
        if isinstance(fi, Mapping):
            out.append(RocCall(str(fi.get("actionGroup") or ""), str(fi.get("function") or ""),
                               None, None, params_of(fi.get("parameters")), None,
                               str(fi.get("actionInvocationType") or "RESULT"),
                               fi.get("agentId"), fi.get("collaboratorName")))
        elif isinstance(ai, Mapping):
            content = (ai.get("requestBody") or {}).get("content") if isinstance(
                ai.get("requestBody"), Mapping) else None
            body = {str(ct): params_of((v or {}).get("properties") if isinstance(v, Mapping)
                                       else v)
                    for ct, v in content.items()} if isinstance(content, Mapping) else None
            out.append(RocCall(str(ai.get("actionGroup") or ""), None,
                               str(ai.get("apiPath") or ""), str(ai.get("httpMethod") or ""),
                               params_of(ai.get("parameters")), body or None,
                               str(ai.get("actionInvocationType") or "RESULT"),
                               ai.get("agentId"), ai.get("collaboratorName")))
        else:
            raise HandlerError(f"return-of-control input {i + 1} is neither a function nor an "
                               "API invocation", where=f"invocation {roc.get('invocationId')}")
    return out


@dataclass(frozen=True)
class Outcome:
    """What a handler produced for one call."""

    body: str | None
    response_state: str | None = None
    http_status: int | None = None
    confirmation: str | None = None
    """CONFIRM | DENY, for calls that asked for confirmation."""


def outcome_of(value: Any, who: str) -> Outcome:
    """A handler's return value as an ``Outcome``, or a ``HandlerError`` saying what is wrong."""
    expected = ("return the result text (str) or a mapping {'body': str, 'responseState': "
                "'FAILURE'|'REPROMPT', 'httpStatusCode': int}")
    if isinstance(value, str):
        return Outcome(value)
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - {"body", "responseState", "httpStatusCode"})
        body = value.get("body")
        state = value.get("responseState")
        status = value.get("httpStatusCode")
        problems = []
        if unknown:
            problems.append(f"unknown key(s) {', '.join(map(repr, unknown))}")
        if not isinstance(body, str):
            problems.append(f"'body' must be a string, got {type(body).__name__}")
        if state is not None and state not in RESPONSE_STATES:
            problems.append(f"'responseState' must be FAILURE or REPROMPT, got {state!r}")
        if status is not None and (not isinstance(status, int) or isinstance(status, bool)):
            problems.append(f"'httpStatusCode' must be an integer, got {status!r}")
        if problems:
            raise HandlerError(f"{who} returned a mapping that is not a result: "
                               + "; ".join(problems), hint=expected)
        return Outcome(body, state, status)
    raise HandlerError(f"{who} returned {type(value).__name__} "
                       f"({_short(repr(value))}), not a result", hint=expected)


def _short(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[:n] + "..."


def result_member(call: RocCall, outcome: Outcome) -> dict[str, Any]:
    """The ``returnControlInvocationResults`` member for ``call`` (§10.4 shapes)."""
    if call.is_api:
        member: dict[str, Any] = {"actionGroup": call.action_group, "apiPath": call.api_path,
                                  "httpMethod": call.http_method}
        if outcome.body is not None:
            member["httpStatusCode"] = outcome.http_status if outcome.http_status is not None \
                else 200
            member["responseBody"] = {"application/json": {"body": outcome.body}}
        key = "apiResult"
    else:
        member = {"actionGroup": call.action_group, "function": call.function}
        if outcome.body is not None:
            # Function results take one content type only: TEXT (§10.1).
            member["responseBody"] = {"TEXT": {"body": outcome.body}}
        key = "functionResult"
    if outcome.response_state:
        member["responseState"] = outcome.response_state
    if outcome.confirmation:
        member["confirmationState"] = outcome.confirmation
    if call.agent_id:
        # A collaborator's call (multi-agent): the result goes back to that agent.
        member["agentId"] = call.agent_id
    return {key: member}


class _Base:
    """Shared loop: parse the calls, settle confirmation, run ``answer`` for each call."""

    def __init__(self, confirmer: Confirmer | None = None):
        self.confirmer = confirmer

    def answer(self, call: RocCall) -> Outcome:  # pragma: no cover - abstract
        raise NotImplementedError

    def resolve(self, roc: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [result_member(call, self._one(call)) for call in parse_calls(roc)]

    def _one(self, call: RocCall) -> Outcome:
        decision = None
        if call.needs_confirmation:
            if self.confirmer is None:
                raise HandlerError(f"{call.name} requires the user's confirmation",
                                   hint="run it in a terminal to be asked, or pass --confirm "
                                        "or --deny")
            decision = "CONFIRM" if self.confirmer(call) else "DENY"
            if decision == "DENY":
                return Outcome(DENIED_TEXT, confirmation="DENY")
            if not call.needs_result:
                # USER_CONFIRMATION: Bedrock runs the (Lambda) function itself once confirmed.
                return Outcome(CONFIRMED_TEXT, confirmation="CONFIRM")
        out = self.answer(call)
        if decision:
            out = Outcome(out.body, out.response_state, out.http_status, decision)
        return out


# ------------------------------------------------------------------------------ SpecHandlers

def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def _module_file(root: Path, module: str) -> Path | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def load_handler(root: Path, ref: str, *, where: str) -> Callable[..., Any]:
    """Import ``module:function`` from the project directory ``root`` (and nowhere else)."""
    m = HANDLER_REF.match(ref or "")
    if m is None:
        raise HandlerError(f"handler {ref!r} is not module:function", where=where,
                           hint="e.g. handler: handlers.calendar:open_calendar (a module under "
                                "the project directory)")
    module, func = m.group("module"), m.group("func")
    root = Path(root).resolve()
    file = _module_file(root, module)
    if file is None:
        raise HandlerError(f"handler module {module!r} not found in the project",
                           where=where,
                           hint=f"create {Path(*module.split('.')).as_posix()}.py under {root}")
    if not _inside(file, root):
        raise HandlerError(f"handler module {module!r} resolves outside the project "
                           f"({file.resolve()})", where=where,
                           hint="handlers must live inside the project directory")
    # A module of the same name imported from elsewhere (another project, the standard
    # library) must not be reused: drop it and its parents' stale entries first.
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        name = ".".join(parts[:i])
        cached = sys.modules.get(name)
        cached_file = getattr(cached, "__file__", None) if cached is not None else None
        if cached is not None and (cached_file is None or not _inside(Path(cached_file), root)):
            for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
                del sys.modules[key]
    sys.path.insert(0, str(root))
    try:
        mod = importlib.import_module(module)
    except Exception as e:  # noqa: BLE001 - user code: any failure is the user's to see
        raise HandlerError(f"importing handler module {module!r} failed: "
                           f"{type(e).__name__}: {e}", where=where) from None
    finally:
        try:
            sys.path.remove(str(root))
        except ValueError:
            pass
    mod_file = getattr(mod, "__file__", None)
    if mod_file is None or not _inside(Path(mod_file), root):
        raise HandlerError(f"handler module {module!r} was not imported from the project",
                           where=where, hint="handlers must live inside the project directory")
    target: Any = mod
    for attr in func.split("."):
        target = getattr(target, attr, None)
        if target is None:
            raise HandlerError(f"handler module {module!r} has no {func!r}", where=where,
                               hint=f"define `def {func.split('.')[-1]}(...)` in "
                                    f"{file.relative_to(root).as_posix()}")
    if not callable(target):
        raise HandlerError(f"handler {ref!r} is not callable", where=where)
    return target


def _accepts(fn: Callable[..., Any], name: str) -> bool:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    return name in sig.parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD
                                         for p in sig.parameters.values())


def call_handler(fn: Callable[..., Any], call: RocCall, who: str) -> Outcome:
    """Run one handler for one call; any exception it raises becomes a ``HandlerError``."""
    kwargs: dict[str, Any] = dict(call.parameters)
    if call.is_api:
        for props in (call.request_body or {}).values():
            for k, v in props.items():
                kwargs.setdefault(k, v)
        for name, value in (("api_path", call.api_path), ("http_method", call.http_method),
                            ("request_body", call.request_body)):
            if _accepts(fn, name):
                kwargs[name] = value
    try:
        value = fn(**kwargs)
    except KeyboardInterrupt:
        raise
    except Exception as e:  # noqa: BLE001 - user code
        raise HandlerError(f"{who} raised {type(e).__name__}: {e}",
                           hint="fix the handler; the session is still open, so the next "
                                "message continues it") from None
    return outcome_of(value, who)


class SpecHandlers(_Base):
    """The spec's ``executor.handler`` of each return-of-control action group."""

    def __init__(self, project: Any, agent_spec: Any, fallback: Any = None, *,
                 confirmer: Confirmer | None = None):
        super().__init__(confirmer)
        self.root = Path(project.root)
        self.source = Path(getattr(agent_spec, "source", "") or "")
        self.fallback = fallback
        self.refs: dict[str, str] = {}
        doc = getattr(agent_spec, "doc", agent_spec) or {}
        for group in doc.get("actionGroups") or ():
            ex = group.get("executor") if isinstance(group, Mapping) else None
            if isinstance(ex, Mapping) and ex.get("handler"):
                self.refs[str(group.get("name"))] = str(ex["handler"])
        self._loaded: dict[str, Callable[..., Any]] = {}

    def _where(self, group: str) -> str:
        try:
            shown = self.source.relative_to(self.root).as_posix()
        except ValueError:
            shown = str(self.source)
        return f"{shown} (action group {group}, executor.handler)"

    def answer(self, call: RocCall) -> Outcome:
        ref = self.refs.get(call.action_group)
        if ref is None:
            if self.fallback is None:
                raise HandlerError(f"no handler for {call.name}: the spec declares no "
                                   f"executor.handler for action group {call.action_group!r}",
                                   hint="add `handler: module:function` under its executor, or "
                                        "run in a terminal to answer it yourself")
            return self.fallback.answer(call)
        fn = self._loaded.get(ref)
        if fn is None:
            fn = self._loaded[ref] = load_handler(self.root, ref,
                                                  where=self._where(call.action_group))
        return call_handler(fn, call, f"handler {ref} ({call.name})")


# --------------------------------------------------------------------------------- PromptUser

class PromptUser(_Base):
    """Asks at the terminal. ``console`` needs ``ask(prompt) -> str`` and ``say(text)``."""

    def __init__(self, console: Any, *, confirmer: Confirmer | None = None):
        super().__init__(confirmer)
        self.console = console

    def answer(self, call: RocCall) -> Outcome:
        self.console.say(f"The agent asks the caller to run {call.name}")
        for k, v in call.parameters.items():
            self.console.say(f"  {k} = {v}")
        for ctype, props in (call.request_body or {}).items():
            self.console.say(f"  body ({ctype}):")
            for k, v in props.items():
                self.console.say(f"    {k} = {v}")
        text = self.console.ask("Result to send back")
        if text is None:
            raise HandlerError(f"no result given for {call.name}")
        return Outcome(str(text))


# ------------------------------------------------------------------------------ PresetResults

@dataclass
class PresetResults(_Base):
    """Results from a table, keyed ``"Group.function"`` / ``"Group METHOD /path"`` (or just the
    function name / API path). Values: what a handler may return (str or mapping). Calls not in
    the table go to ``fallback`` or fail."""

    results: Mapping[str, Any]
    fallback: Any = None
    confirmer: Confirmer | None = None
    calls: list[RocCall] = field(default_factory=list)
    """Every call answered, in order (eval assertions read it)."""

    def __post_init__(self) -> None:
        _Base.__init__(self, self.confirmer)

    def _keys(self, call: RocCall) -> Sequence[str]:
        if call.is_api:
            return (f"{call.action_group} {call.http_method} {call.api_path}",
                    f"{call.http_method} {call.api_path}", str(call.api_path))
        return (f"{call.action_group}.{call.function}", str(call.function))

    def answer(self, call: RocCall) -> Outcome:
        self.calls.append(call)
        for key in self._keys(call):
            if key in self.results:
                value = self.results[key]
                return outcome_of(value(call) if callable(value) else value,
                                  f"preset result {key!r}")
        if self.fallback is not None:
            return self.fallback.answer(call)
        raise HandlerError(f"no preset result for {call.name}",
                           hint=f"add one keyed {self._keys(call)[0]!r}")
