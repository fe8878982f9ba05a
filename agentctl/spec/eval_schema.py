"""The JSON Schema of eval suite files (``evals/*.yaml``), published as
``specs/eval-suite.schema.json`` with a package copy in ``agentctl/schemas/``, plus the schema of
the project setting ``settings.gates`` (embedded in the project schema by ``spec.gen_schema``).

Hand-written here because a suite is agentctl's own format (no botocore shape describes it);
``tests/eval/test_suite.py`` fails until ``python -m agentctl.spec.eval_schema`` is re-run after
a change, exactly like the agent schema. Every property has a title and a description (what an
editor shows through ``# yaml-language-server: $schema=...``).

It lives in ``spec/`` (not ``eval/``) because the project schema embeds ``settings.gates``, and
``spec`` may not import ``eval`` (docs/architecture.md).

Must not: validate anything itself (``agentctl.eval.suite`` does, through ``agentctl.spec.schema``)
or do I/O at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentctl.spec.schema_common import DRAFT, SCHEMA_BASE, dumps, report_written, write_schemas
from agentctl.spec.schema_common import obj as _obj
from agentctl.spec.schema_common import prop as _p

NAME = "eval-suite"

ORDER_MODES = ("exact", "in_order", "any_order")
"""As Google ADK's trajectory evaluators: ``exact`` the same calls in the same order and nothing
else; ``in_order`` the expected calls in this order, other calls allowed between them;
``any_order`` every expected call in any order, other calls allowed."""

MATCHER_KEYS = ("equals", "regex", "any", "absent", "contains")


def _strings(title: str, description: str) -> dict[str, Any]:
    """One string or a list of strings (``contains: A-482`` or ``contains: [A-482, shipped]``)."""
    return _p(title, description, ["string", "array"], minLength=1,
              items=_p("Text", "One string.", "string", minLength=1))


def _matcher() -> dict[str, Any]:
    return {
        "title": "Value matcher",
        "description": "A plain value (equals, compared as text, since Bedrock sends every "
                       "parameter as a string) or exactly one of equals / regex / any / absent / "
                       "contains.",
        "type": ["string", "number", "boolean", "object"],
        "properties": {
            "equals": _p("Equals", "The value, compared as text.", ["string", "number", "boolean"]),
            "regex": _p("Regex", "A Python regular expression the whole value must match.",
                        "string", minLength=1, format="regex"),
            "any": _p("Any", "Present, with any value.", "boolean", const=True),
            "absent": _p("Absent", "Must not be given at all.", "boolean", const=True),
            "contains": _p("Contains", "Text the value must contain (case-insensitive).",
                           "string", minLength=1),
        },
        "additionalProperties": False,
        "minProperties": 1,
        "maxProperties": 1,
    }


def _attrs(title: str, description: str) -> dict[str, Any]:
    return _p(title, description, "object",
              additionalProperties=_p("Value", "Attribute value (text).",
                                      ["string", "number", "boolean"]))


def _call(title: str, description: str) -> dict[str, Any]:
    return _obj(title, description, {
        "actionGroup": _p("Action group", "The action group's name.", "string", minLength=1),
        "function": _p("Function", "Function name (function-schema groups).", "string",
                       minLength=1),
        "apiPath": _p("API path", "OpenAPI path, e.g. /orders/{order_id}/eta (OpenAPI groups).",
                      "string", minLength=1),
        "httpMethod": _p("HTTP method", "OpenAPI method, e.g. GET.", "string", minLength=1),
        "parameters": _p("Parameters", "Parameter name -> matcher; parameters not listed may have "
                                       "any value.", "object", additionalProperties=_matcher()),
    }, required=["actionGroup"])


def _roc_result() -> dict[str, Any]:
    return _obj("Return-of-control result", "What the caller answers for one returned call.", {
        "actionGroup": _p("Action group", "The action group of the returned call.", "string",
                          minLength=1),
        "function": _p("Function", "The function of the returned call.", "string", minLength=1),
        "apiPath": _p("API path", "The API path of the returned call.", "string", minLength=1),
        "httpMethod": _p("HTTP method", "The HTTP method of the returned call.", "string",
                         minLength=1),
        "body": _p("Body", "The result text posted back (responseBody TEXT, or application/json "
                           "for API calls).", "string"),
        "responseState": _p("Response state", "FAILURE or REPROMPT (absent: success).", "string",
                            enum=["FAILURE", "REPROMPT"]),
        "httpStatusCode": _p("HTTP status", "HTTP status code of an API result.", "integer",
                             minimum=100, maximum=599),
    }, required=["actionGroup", "body"])


def _expect() -> dict[str, Any]:
    return _obj("Expectations", "What the turn's normalized trace must show.", {
        "toolCalls": _obj("Tool calls", "The action-group calls (the trajectory).", {
            "order": _p("Order", "exact: these calls, in this order, nothing else; in_order: "
                                 "these calls in this order, others allowed between; any_order: "
                                 "these calls in any order, others allowed.", "string",
                        enum=list(ORDER_MODES), default="in_order"),
            "calls": _p("Calls", "The expected calls; an empty list with order exact means no "
                                 "tool may be called.", "array", items=_call(
                                     "Expected call", "One expected action-group call.")),
        }, required=["calls"]),
        "knowledgeBase": _p("Knowledge-base lookups", "Lookups that must happen (any order).",
                            "array", items=_obj("Expected lookup", "One knowledge-base lookup.", {
                                "knowledgeBaseId": _p("Knowledge base", "Its id (as in the spec, "
                                                      "after interpolation).", "string",
                                                      minLength=1),
                                "query": _matcher(),
                                "minReferences": _p("Minimum references", "At least this many "
                                                    "retrieved references.", "integer",
                                                    minimum=0),
                                "referenceContains": _p("Reference contains", "Text one "
                                                        "retrieved reference must contain "
                                                        "(case-insensitive).", "string",
                                                        minLength=1),
                            })),
        "noKnowledgeBase": _p("No knowledge base", "No knowledge-base lookup may happen.",
                              "boolean", const=True),
        "returnControl": _p("Return of control", "Calls that must be returned to the caller "
                                                 "(in order).", "array",
                            items=_call("Returned call", "One call returned to the caller.")),
        "answer": _obj("Answer", "Checks on the final answer text.", {
            "contains": _strings("Contains", "Text the answer must contain (case-insensitive)."),
            "matches": _strings("Matches", "Python regular expressions the answer must match "
                                           "(re.search)."),
            "notContains": _strings("Must not contain", "Text the answer must not contain "
                                                        "(case-insensitive)."),
        }),
        "maxSteps": _p("Step limit", "At most this many orchestration steps (each tool call, "
                                     "knowledge-base lookup and the final answer is one).",
                       "integer", minimum=1),
        "noFailure": _p("No failure", "The trace shows no failure (default true).", "boolean"),
        "noGuardrailIntervention": _p("No guardrail intervention", "No guardrail intervened "
                                      "(default true).", "boolean"),
        "judge": _p("Judged criterion", "A criterion a judge model decides from the transcript; "
                                        "skipped, with a note, when no judge model is configured.",
                    "string", minLength=1),
    })


def _turn() -> dict[str, Any]:
    return _obj("Turn", "One user message and what must happen.", {
        "input": _p("Input", "The user's text (inputText).", "string", minLength=1),
        "sessionAttributes": _attrs("Session attributes", "sessionState.sessionAttributes "
                                    "(passed to Lambdas)."),
        "promptSessionAttributes": _attrs("Prompt session attributes",
                                          "sessionState.promptSessionAttributes (in the prompt)."),
        "newSession": _p("New session", "Start a new session before this turn (memory cases).",
                         "boolean"),
        "endSession": _p("End session", "End the session after this turn (writes memory).",
                         "boolean"),
        "confirm": _p("Confirm", "The user's answer to calls that need confirmation "
                                 "(requireConfirmation): true confirms, false denies; absent: "
                                 "such a call fails the turn.", "boolean"),
        "returnControl": {
            "title": "Return-of-control results",
            "description": "handlers: run the spec's executor.handler (default); or the results "
                           "to post back, per returned call.",
            "oneOf": [
                _p("Spec handlers", "Use the spec's handlers.", "string", enum=["handlers"]),
                _p("Preset results", "Results to post back.", "array", items=_roc_result()),
            ],
        },
        "expect": _expect(),
    }, required=["input"])


def suite_schema() -> dict[str, Any]:
    case = _obj("Case", "One scenario: one or more turns in one session.", {
        "name": _p("Name", "Unique within the suite; shown in reports and JUnit.", "string",
                   minLength=1, maxLength=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"),
        "description": _p("Description", "What the case checks.", "string"),
        "memoryId": _p("Memory id", "memoryId for every turn (SESSION_SUMMARY memory).", "string",
                       minLength=2, maxLength=100, pattern=r"^[0-9a-zA-Z._:-]+$"),
        "tags": _p("Tags", "Free labels.", "array", items=_p("Tag", "A label.", "string")),
        "turns": _p("Turns", "The turns, in order, in one session.", "array", minItems=1,
                    items=_turn()),
    }, required=["name", "turns"])
    defaults = _expect()
    defaults = dict(defaults, title="Defaults",
                    description="Expectations every turn has unless it sets its own.")
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_BASE + f"{NAME}.schema.json",
        "title": "agentctl eval suite (evals/*.yaml)",
        "description": "Regression cases run by `agentctl eval` against one agent version "
                       "(docs/evals.md).",
        "type": "object",
        "additionalProperties": False,
        "required": ["cases"],
        "properties": {
            "suite": _p("Suite", "Suite name (default: the file name).", "string", minLength=1),
            "description": _p("Description", "What the suite covers.", "string"),
            "agent": _p("Agent", "The agent the suite is for; `agentctl eval --agent` runs only "
                                 "suites for that agent (absent: any agent).", "string",
                        minLength=1),
            "defaults": defaults,
            "cases": _p("Cases", "The cases.", "array", minItems=1, items=case),
        },
    }


def gates_schema() -> dict[str, Any]:
    """``settings.gates`` of agentctl.yaml: alias name -> what a version needs to reach it."""
    return _p("Gates", "Alias name -> the eval suites and pass rate a version needs before "
                       "`agentctl promote` routes that alias to it.", "object",
              propertyNames=_p("Alias name", "An alias of the project's agents.", "string",
                               pattern=r"^[0-9a-zA-Z_-]{1,100}$"),
              additionalProperties=_obj("Gate", "What a version needs to reach this alias.", {
                  "suites": _p("Suites", "Globs of suite files, relative to agentctl.yaml.",
                               "array", minItems=1,
                               items=_p("Glob", "e.g. evals/*.yaml", "string", minLength=1)),
                  "passRate": _p("Pass rate", "Fraction of case runs that must pass (0..1; "
                                              "default 1.0).", "number", minimum=0, maximum=1),
              }, required=["suites"]))


def eval_suites_setting() -> dict[str, Any]:
    """``settings.evalSuites``: where ``agentctl eval`` / ``validate`` find suites."""
    return _p("Eval suites", "Globs of eval suite files, relative to agentctl.yaml (default "
                             "evals/*.yaml).", "array",
              items=_p("Glob", "e.g. evals/*.yaml", "string", minLength=1))


def judge_setting() -> dict[str, Any]:
    """``settings.judge``: the model that decides judged criteria."""
    return _obj("Judge", "The model that decides judged eval criteria (`judge:` in suites); "
                         "without it they are skipped with a note.", {
                             "model": _p("Model", "A foundation model, as runtime.model of a "
                                                  "local environment: provider scripted | "
                                                  "bedrock | openai-compatible and its "
                                                  "settings (docs/local-runtime.md).", "object",
                                         required=["provider"]),
                         }, required=["model"])


def render() -> str:
    return dumps(suite_schema())


def write(targets: list[Path] | None = None) -> list[Path]:
    return write_schemas({NAME: render}, targets)


def main(argv: list[str] | None = None) -> int:
    return report_written(write())


if __name__ == "__main__":
    raise SystemExit(main())
