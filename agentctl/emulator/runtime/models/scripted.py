"""The ``scripted`` foundation model: a YAML file of model turns, for deterministic tests and demos.

File format (docs/local-runtime.md has the full reference)::

    turns:                       # tried in order; the first whose `when` matches is the reply
      - name: order-status       # optional; shown in the raw model output of the trace
        when:
          input: {regex: "where is order (?P<order_id>[A-Z]-\\d+)"}   # or {contains: ...} / "text"
          after: start           # what happened last in this turn (default: start)
          result: {contains: PROCESSING}    # matcher on the last step's output (optional)
          memory: {regex: "."}    # matcher on the memory summaries (optional)
          session: {customer_id: {regex: "^C-"}}   # matchers on session attributes (optional)
        rationale: The user wants the status of order {order_id}.
        call:                    # one call or a list; or `search:` (knowledge base) or `answer:`
          actionGroup: OrderTools
          function: get_order_status        # or apiPath: /orders/{order_id}/eta + method: GET
          parameters: {order_id: "{order_id}"}
    preProcessing: [{when: {input: ...}, valid: false, rationale: ...}]
    postProcessing: "{answer}"   # template of the post-processed answer
    summary: "..."               # template of the session summary ({conversation})
    fallback: "..."              # answer when no turn matches

``after`` names the last step of the current turn: ``start`` (nothing yet), ``any``, a function
name, an operationId or ``METHOD /path``, ``knowledge_base``, ``denied:<function>`` (the user
refused a confirmation) or ``error`` (the previous call was rejected); a list means any of them.
Placeholders in texts and parameter values: ``{name}`` (a named group of a `when` regex),
``{input}``, ``{result}`` / ``{result.field}`` (the last step's output, JSON fields),
``{results.<step>.field}``, ``{session.key}``, ``{prompt.key}``, ``{memory}``, ``{answer}``,
``{conversation}``, ``{date:today|tomorrow|next monday|...}``; ``{{`` and ``}}`` are braces.

Errors in the file are ``ScriptInvalid`` (a ``SpecInvalid``): every problem with file:line:col.

Must not: do I/O other than reading its file; call tools itself (it only says what to call).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from agentctl.errors import Location, Problem, SpecInvalid
from agentctl.emulator.runtime.models.base import (ModelReply, ModelRequest, StepRecord,
                                                   default_summary, estimate_tokens, today)
from agentctl.emulator.runtime.tools import ToolUse
from agentctl.spec.yamlload import PathT, PositionMap, YamlFailure, load_file, render_path

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
_ROOTS = {"input", "result", "results", "session", "prompt", "memory", "answer", "conversation"}
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_RULE_KEYS = {"name", "when", "rationale", "call", "search", "answer"}
_WHEN_KEYS = {"input", "after", "result", "memory", "session"}
_CALL_KEYS = {"actionGroup", "function", "apiPath", "method", "parameters", "requestBody"}
_TOP_KEYS = {"turns", "preProcessing", "postProcessing", "summary", "fallback"}
DEFAULT_FALLBACK = "Sorry, I am unable to assist you with this request."


class ScriptInvalid(SpecInvalid):
    """The scripted model file has errors (each located)."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        self.what = f"{len(self.problems)} problem(s) in the scripted model file"
        self.hint = "fix the problems listed above (format: docs/local-runtime.md)"
        self.args = (self.message(),)


@dataclass(frozen=True)
class Matcher:
    contains: tuple[str, ...] = ()
    regex: re.Pattern[str] | None = None

    def match(self, text: str) -> dict[str, str] | None:
        low = text.lower()
        if any(c.lower() not in low for c in self.contains):
            return None
        if self.regex is None:
            return {}
        m = self.regex.search(text)
        if m is None:
            return None
        return {k: v for k, v in m.groupdict().items() if v is not None}

    @property
    def groups(self) -> frozenset[str]:
        return frozenset(self.regex.groupindex) if self.regex is not None else frozenset()


@dataclass(frozen=True)
class CallTemplate:
    action_group: str | None
    function: str | None
    api_path: str | None
    method: str | None
    parameters: Mapping[str, Any]
    request_body: Mapping[str, Any] | None


@dataclass(frozen=True)
class SearchTemplate:
    knowledge_base: str | None
    query: str


@dataclass(frozen=True)
class Rule:
    where: Location
    name: str = ""
    input: Matcher | None = None
    after: tuple[str, ...] = ("start",)
    result: Matcher | None = None
    memory: Matcher | None = None
    session: tuple[tuple[str, Matcher], ...] = ()
    rationale: str | None = None
    calls: tuple[CallTemplate, ...] = ()
    search: SearchTemplate | None = None
    answer: str | None = None
    valid: bool = True
    """preProcessing rules only."""

    def label(self) -> str:
        return f"{self.name or 'turn'} ({self.where})"


@dataclass(frozen=True)
class Script:
    path: Path
    turns: tuple[Rule, ...]
    pre_processing: tuple[Rule, ...] = ()
    post_processing: str | None = None
    summary: str | None = None
    fallback: str = DEFAULT_FALLBACK


# ---------------------------------------------------------------------------------------- loading

class _Checker:
    def __init__(self, display: str, positions: PositionMap):
        self.display = display
        self.pos = positions
        self.problems: list[Problem] = []

    def loc(self, path: PathT, *, key: bool = False) -> Location:
        return self.pos.key(path) if key else self.pos.value(path)

    def add(self, path: PathT, message: str, hint: str | None = None, *, key: bool = False,
            code: str = "model.invalid") -> None:
        self.problems.append(Problem(self.loc(path, key=key), render_path(path), message, code, hint=hint))

    def keys(self, value: Mapping[str, Any], allowed: set[str], path: PathT) -> None:
        for k in value:
            if k not in allowed:
                self.add(path + (k,), f"unknown key {k!r}", hint=f"allowed here: {', '.join(sorted(allowed))}",
                         key=True, code="model.unknown-key")

    def text(self, value: Any, path: PathT, groups: frozenset[str]) -> str | None:
        if value is None:
            return None
        if not isinstance(value, (str, int, float, bool)):
            self.add(path, "expected a text", code="model.type")
            return None
        text = value if isinstance(value, str) else json.dumps(value)
        for m in _PLACEHOLDER.finditer(text):
            expr = m.group(1)
            if expr is None:
                continue
            root = expr.split(".", 1)[0].split(":", 1)[0].strip()
            if root == "date":
                if _date_expr(expr.partition(":")[2].strip(), dt.date(2000, 1, 3)) is None:
                    self.add(path, f"unknown date expression {{{expr}}}",
                             hint="use {date:today}, {date:tomorrow}, {date:next monday}, {date:+3 days}")
            elif root not in _ROOTS and root not in groups:
                known = sorted(_ROOTS | groups | {"date"})
                self.add(path, f"unknown placeholder {{{expr}}}",
                         hint=f"known here: {', '.join(known)} (regex named groups of this turn's `when`)")
        return text

    def matcher(self, value: Any, path: PathT) -> Matcher | None:
        if value is None:
            return None
        if isinstance(value, str):
            return Matcher(contains=(value,))
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return Matcher(contains=tuple(value))
        if not isinstance(value, dict):
            self.add(path, "expected a text, a list of texts, or {contains: ..., regex: ...}", code="model.type")
            return None
        self.keys(value, {"contains", "regex"}, path)
        contains = value.get("contains") or ()
        if isinstance(contains, str):
            contains = (contains,)
        elif not (isinstance(contains, (list, tuple)) and all(isinstance(c, str) for c in contains)):
            self.add(path + ("contains",), "expected a text or a list of texts", code="model.type")
            contains = ()
        regex = None
        if value.get("regex") is not None:
            if not isinstance(value["regex"], str):
                self.add(path + ("regex",), "expected a regular expression (text)", code="model.type")
            else:
                try:
                    regex = re.compile(value["regex"], re.IGNORECASE | re.DOTALL)
                except re.error as e:
                    self.add(path + ("regex",), f"invalid regular expression: {e}", code="model.regex")
        return Matcher(contains=tuple(contains), regex=regex)

    def rule(self, raw: Any, path: PathT, *, pre: bool = False) -> Rule | None:
        if not isinstance(raw, dict):
            self.add(path, "expected a mapping (a turn)", code="model.type")
            return None
        allowed = {"name", "when", "valid", "rationale"} if pre else _RULE_KEYS
        self.keys(raw, allowed, path)
        when = raw.get("when") or {}
        if not isinstance(when, dict):
            self.add(path + ("when",), "expected a mapping", code="model.type")
            when = {}
        self.keys(when, _WHEN_KEYS if not pre else {"input"}, path + ("when",))
        inp = self.matcher(when.get("input"), path + ("when", "input"))
        res = self.matcher(when.get("result"), path + ("when", "result"))
        mem = self.matcher(when.get("memory"), path + ("when", "memory"))
        sess: list[tuple[str, Matcher]] = []
        if when.get("session") is not None:
            if not isinstance(when["session"], dict):
                self.add(path + ("when", "session"), "expected a mapping of session attribute -> matcher",
                         code="model.type")
            else:
                for k, v in when["session"].items():
                    m = self.matcher(v, path + ("when", "session", k))
                    if m is not None:
                        sess.append((k, m))
        groups = frozenset().union(*(m.groups for m in (inp, res, mem, *(m for _, m in sess)) if m))
        after_raw = when.get("after", "start")
        after = (after_raw,) if isinstance(after_raw, str) else after_raw
        if not (isinstance(after, (list, tuple)) and after and all(isinstance(a, str) and a for a in after)):
            self.add(path + ("when", "after"), "expected a step name or a list of them",
                     hint="start, any, a function name, an operationId, METHOD /path, knowledge_base, "
                          "denied:<function>, error", code="model.type")
            after = ("start",)
        name = raw.get("name") or ""
        rationale = self.text(raw.get("rationale"), path + ("rationale",), groups)
        if pre:
            valid = raw.get("valid", True)
            if not isinstance(valid, bool):
                self.add(path + ("valid",), "expected true or false", code="model.type")
                valid = True
            return Rule(self.loc(path), str(name), inp, ("any",), rationale=rationale, valid=valid)
        actions = [k for k in ("call", "search", "answer") if raw.get(k) is not None]
        if len(actions) != 1:
            self.add(path, "a turn needs exactly one of call, search or answer"
                     + (f" (it has {', '.join(actions)})" if actions else ""), code="model.action")
            return None
        calls: tuple[CallTemplate, ...] = ()
        search = None
        answer = None
        if "call" in actions:
            items = raw["call"] if isinstance(raw["call"], list) else [raw["call"]]
            built = [self.call(c, path + ("call",) + ((i,) if isinstance(raw["call"], list) else ()), groups)
                     for i, c in enumerate(items)]
            if not items:
                self.add(path + ("call",), "an empty list of calls", code="model.action")
            calls = tuple(c for c in built if c is not None)
        elif "search" in actions:
            s = raw["search"]
            if isinstance(s, str):
                s = {"query": s}
            if not isinstance(s, dict):
                self.add(path + ("search",), "expected {knowledgeBase: ID, query: TEXT}", code="model.type")
            else:
                self.keys(s, {"knowledgeBase", "query"}, path + ("search",))
                query = self.text(s.get("query", "{input}"), path + ("search", "query"), groups) or "{input}"
                kb = s.get("knowledgeBase")
                if kb is not None and not isinstance(kb, str):
                    self.add(path + ("search", "knowledgeBase"), "expected a knowledge base id", code="model.type")
                    kb = None
                search = SearchTemplate(kb, query)
        else:
            answer = self.text(raw["answer"], path + ("answer",), groups)
        return Rule(self.loc(path), str(name), inp, tuple(after), res, mem, tuple(sess), rationale, calls, search,
                    answer)

    def call(self, raw: Any, path: PathT, groups: frozenset[str]) -> CallTemplate | None:
        if not isinstance(raw, dict):
            self.add(path, "expected a mapping: {actionGroup, function | apiPath + method, parameters}",
                     code="model.type")
            return None
        self.keys(raw, _CALL_KEYS, path)
        if not raw.get("actionGroup") or not isinstance(raw.get("actionGroup"), str):
            self.add(path, "a call needs `actionGroup`", code="model.call")
        if bool(raw.get("function")) == bool(raw.get("apiPath")):
            self.add(path, "a call needs exactly one of `function` or `apiPath`", code="model.call")
        params = raw.get("parameters") or {}
        body = raw.get("requestBody")
        for key, value in (("parameters", params), ("requestBody", body)):
            if value is None:
                continue
            if not isinstance(value, dict):
                self.add(path + (key,), "expected a mapping of names to values", code="model.type")
                continue
            for pname, pval in value.items():
                self.text(pval, path + (key, pname), groups)
        return CallTemplate(raw.get("actionGroup"), raw.get("function"), raw.get("apiPath"),
                            str(raw.get("method") or "GET").upper(),
                            params if isinstance(params, dict) else {},
                            body if isinstance(body, dict) else None)


def load(path: Path, *, display: str | None = None) -> Script:
    """Read and check a scripted model file; ``ScriptInvalid`` lists every problem."""
    shown = display or str(path)
    try:
        loaded = load_file(path, display=shown)
    except YamlFailure as e:
        raise ScriptInvalid(e.problems) from None
    doc = loaded.value
    c = _Checker(shown, loaded.positions)
    if not isinstance(doc, dict):
        c.add((), "a scripted model file is a mapping with `turns:`", code="model.type")
        raise ScriptInvalid(c.problems)
    c.keys(doc, _TOP_KEYS, ())
    turns_raw = doc.get("turns")
    if not isinstance(turns_raw, list) or not turns_raw:
        c.add(("turns",) if "turns" in doc else (), "`turns` must be a non-empty list of model turns",
              code="model.turns")
        turns_raw = []
    turns = [c.rule(t, ("turns", i)) for i, t in enumerate(turns_raw)]
    pre_raw = doc.get("preProcessing") or []
    if not isinstance(pre_raw, list):
        c.add(("preProcessing",), "expected a list of rules", code="model.type")
        pre_raw = []
    pre = [c.rule(t, ("preProcessing", i), pre=True) for i, t in enumerate(pre_raw)]
    post = c.text(doc.get("postProcessing"), ("postProcessing",), frozenset())
    summary = c.text(doc.get("summary"), ("summary",), frozenset())
    fallback = c.text(doc.get("fallback"), ("fallback",), frozenset()) or DEFAULT_FALLBACK
    if c.problems:
        raise ScriptInvalid(c.problems)
    return Script(path, tuple(t for t in turns if t), tuple(p for p in pre if p), post, summary, fallback)


# ------------------------------------------------------------------------------------- expansion

def _date_expr(expr: str, base: dt.date) -> dt.date | None:
    e = " ".join(expr.lower().split())
    if e in ("", "today"):
        return base
    if e == "tomorrow":
        return base + dt.timedelta(days=1)
    if e == "yesterday":
        return base - dt.timedelta(days=1)
    m = re.fullmatch(r"([+-]\d+) days?", e)
    if m:
        return base + dt.timedelta(days=int(m.group(1)))
    m = re.fullmatch(r"(next|this) (\w+)", e)
    if m and m.group(2) in _WEEKDAYS:
        ahead = (_WEEKDAYS.index(m.group(2)) - base.weekday()) % 7
        if m.group(1) == "next" and ahead == 0:
            ahead = 7
        return base + dt.timedelta(days=ahead)
    return None


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, TypeError):
        return None


def _lookup(value: Any, parts: list[str]) -> Any:
    for part in parts:
        if isinstance(value, str):
            value = _parse_json(value)
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@dataclass
class _Context:
    request: ModelRequest
    captures: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)

    def value(self, expr: str) -> str:
        expr = expr.strip()
        if expr.startswith("date:") or expr == "date":
            day = _date_expr(expr.partition(":")[2], today(self.request))
            return day.isoformat() if day else ""
        root, *parts = expr.split(".")
        req = self.request
        if root in self.captures and not parts:
            return self.captures[root]
        if root == "input":
            return req.input_text
        if root == "result":
            last = req.steps[-1] if req.steps else None
            if last is not None and last.references and not parts:
                return _first_reference(last)
            return _as_text(_lookup(last.output, parts) if (last and parts) else (last.output if last else ""))
        if root == "results":
            if not parts:
                return ""
            step = next((s for s in reversed(req.steps) if parts[0] in s.names), None)
            return _as_text(_lookup(step.output, parts[1:]) if (step and parts[1:]) else (step.output if step else ""))
        if root == "session":
            return _as_text(_lookup(dict(req.session_attributes), parts)) if parts else ""
        if root == "prompt":
            return _as_text(_lookup(dict(req.prompt_session_attributes), parts)) if parts else ""
        if root == "memory":
            return "\n".join(req.memory)
        if root in self.extra:
            return self.extra[root]
        return ""

    def expand(self, text: str) -> str:
        def repl(m: re.Match[str]) -> str:
            if m.group(0) == "{{":
                return "{"
            if m.group(0) == "}}":
                return "}"
            return self.value(m.group(1))
        return _PLACEHOLDER.sub(repl, text)


def _first_reference(step: StepRecord) -> str:
    """A knowledge-base step's ``{result}``: the best-ranked reference's text."""
    return str(((step.references[0].get("content") or {}).get("text")) or "") if step.references else step.output


def _last_output(request: ModelRequest) -> str:
    if not request.steps:
        return ""
    last = request.steps[-1]
    return _first_reference(last) if last.references else last.output


def _after_matches(after: tuple[str, ...], steps: tuple[StepRecord, ...]) -> bool:
    last = steps[-1] if steps else None
    for a in after:
        if a == "any":
            return True
        if a == "start":
            if last is None:
                return True
            continue
        if last is None:
            continue
        if a == "error":
            if last.status == "error":
                return True
            continue
        if a.startswith("denied:"):
            if last.status == "denied" and a.split(":", 1)[1].strip() in last.names:
                return True
            continue
        if last.status in ("ok", "reprompt") and a in last.names:
            return True
    return False


class ScriptedModel:
    """A ``FoundationModel`` answering from a ``Script``."""

    def __init__(self, script: Script):
        self.script = script
        self.name = f"scripted:{script.path.name}"

    def _match(self, rule: Rule, request: ModelRequest) -> _Context | None:
        ctx = _Context(request)
        if rule.input is not None:
            caps = rule.input.match(request.input_text)
            if caps is None:
                return None
            ctx.captures.update(caps)
        if not _after_matches(rule.after, request.steps):
            return None
        checks = [(rule.result, _last_output(request)), (rule.memory, "\n".join(request.memory))]
        checks += [(m, request.session_attributes.get(k)) for k, m in rule.session]
        for matcher, text in checks:
            if matcher is None:
                continue
            caps = matcher.match(text) if text is not None else None
            if caps is None:
                return None
            ctx.captures.update(caps)
        return ctx

    def orchestrate(self, request: ModelRequest) -> ModelReply:
        for rule in self.script.turns:
            ctx = self._match(rule, request)
            if ctx is None:
                continue
            rationale = ctx.expand(rule.rationale) if rule.rationale else None
            note = f"<!-- scripted turn {rule.label()} -->"
            if rule.answer is not None:
                answer = ctx.expand(rule.answer)
                raw = _raw(rationale, f"<answer>{answer}</answer>", note)
                return self._reply(request, raw, rationale=rationale, answer=answer)
            if rule.search is not None:
                query = ctx.expand(rule.search.query)
                use = ToolUse(knowledge_base_id=rule.search.knowledge_base, query=query)
                raw = _raw(rationale, _invoke_xml(f"GET__x_amz_knowledgebase_{rule.search.knowledge_base or ''}__Search",
                                                  {"searchQuery": query}), note)
                return self._reply(request, raw, rationale=rationale, tool_uses=(use,))
            uses = []
            for c in rule.calls:
                params = {k: ctx.expand(_as_text(v)) for k, v in c.parameters.items()}
                body = {k: ctx.expand(_as_text(v)) for k, v in c.request_body.items()} if c.request_body else None
                uses.append(ToolUse(action_group=c.action_group, function=c.function, api_path=c.api_path,
                                    http_method=c.method if c.api_path else None, parameters=params,
                                    request_body=body))
            raw = _raw(rationale, "".join(_invoke_xml(_tool_label(u), {**u.parameters, **(u.request_body or {})})
                                          for u in uses), note)
            return self._reply(request, raw, rationale=rationale, tool_uses=tuple(uses))
        answer = _Context(request).expand(self.script.fallback)
        raw = _raw(None, f"<answer>{answer}</answer>", "<!-- scripted: no turn matched; fallback answer -->")
        return self._reply(request, raw, answer=answer)

    def pre_process(self, request: ModelRequest) -> ModelReply:
        for rule in self.script.pre_processing:
            if rule.input is not None and rule.input.match(request.input_text) is None:
                continue
            ctx = _Context(request)
            rationale = ctx.expand(rule.rationale) if rule.rationale else (
                "The input is valid." if rule.valid else "The input is not something the agent should answer.")
            category = "D" if rule.valid else "A"
            return self._reply(request, f"{rationale}\n<category>{category}</category>",
                               rationale=rationale, is_valid=rule.valid)
        rationale = "The user's input can be answered with the available functions or knowledge."
        return self._reply(request, f"{rationale}\n<category>D</category>", rationale=rationale, is_valid=True)

    def post_process(self, request: ModelRequest) -> ModelReply:
        answer = request.answer or ""
        if self.script.post_processing:
            answer = _Context(request, extra={"answer": answer}).expand(self.script.post_processing)
        return self._reply(request, f"<final_response>{answer}</final_response>", answer=answer)

    def summarize(self, request: ModelRequest) -> ModelReply:
        conversation = default_summary(request)
        if self.script.summary:
            text = _Context(request, extra={"conversation": conversation}).expand(self.script.summary)
        else:
            text = conversation
        return self._reply(request, f"<summary>{text}</summary>", answer=text)

    @staticmethod
    def _reply(request: ModelRequest, raw: str, **kw: Any) -> ModelReply:
        return ModelReply(raw=raw, input_tokens=estimate_tokens(request.prompt),
                          output_tokens=estimate_tokens(raw), **kw)


def _tool_label(use: ToolUse) -> str:
    """The tool name as the catalogue spells it (``Group__function``, ``Group__GET__/path``)."""
    if use.function:
        return f"{use.action_group}__{use.function}"
    return f"{use.action_group}__{(use.http_method or 'GET').upper()}__{use.api_path}"


def _raw(rationale: str | None, body: str, note: str) -> str:
    head = f"<thinking>{rationale}</thinking>\n" if rationale else ""
    return f"{head}{body}\n{note}"


def _invoke_xml(name: str, params: Mapping[str, Any]) -> str:
    inner = "".join(f"<{k}>{_as_text(v)}</{k}>" for k, v in params.items())
    return f"<function_calls><invoke><tool_name>{name}</tool_name><parameters>{inner}</parameters></invoke></function_calls>"
