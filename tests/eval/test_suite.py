"""Suite files: loading, located problems (file:line:col), the published schema, the digest."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest

from agentctl.errors import SpecInvalid
from agentctl.spec import eval_schema as suite_schema
from agentctl.eval.suite import check_suite, load_suite
from agentctl.spec import load_project

REPO = Path(__file__).resolve().parents[2]

GOOD = """\
suite: orders
agent: support-bot
defaults:
  maxSteps: 5
cases:
  - name: order-status
    memoryId: user-1
    turns:
      - input: Where is order A-482?
        sessionAttributes: {tier: gold, n: 5}
        expect:
          toolCalls:
            order: exact
            calls:
              - actionGroup: OrderTools
                function: get_order_status
                parameters:
                  order_id: A-482
                  reason: {absent: true}
          answer: {contains: shipped, notContains: [cancelled]}
      - input: Thanks
        newSession: true
        returnControl:
          - {actionGroup: ClientCalendar, function: open_calendar, body: "free at 9"}
        expect:
          maxSteps: 1
          judge: The answer is polite.
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def problems(tmp_path, text, agents=None):
    _, found = check_suite(write(tmp_path, text), display="evals/s.yaml", agents=agents)
    return found


def test_a_valid_suite_loads_into_values(tmp_path):
    s = load_suite(write(tmp_path, GOOD))
    assert s.name == "orders" and s.agent == "support-bot"
    (case,) = s.cases
    t1, t2 = case.turns
    assert case.memory_id == "user-1"
    assert t1.session_attributes == {"tier": "gold", "n": "5"}
    assert t1.expect.tool_order == "exact"
    (c,) = t1.expect.tool_calls
    assert c.tool == "OrderTools.get_order_status"
    assert c.parameters["order_id"].kind == "equals" and c.parameters["reason"].kind == "absent"
    assert t1.expect.max_steps == 5  # from defaults
    assert t1.expect.answer_not_contains == ("cancelled",)
    assert t1.roc_results is None  # spec handlers
    assert t2.new_session and t2.roc_results[0].body == "free at 9"
    assert t2.expect.max_steps == 1 and t2.expect.judge == "The answer is polite."
    assert t2.expect.tool_calls is None  # not checked


def test_unknown_key_is_located_with_a_suggestion(tmp_path):
    (p,) = problems(tmp_path, """\
    cases:
      - name: a
        turns:
          - input: hi
            expect:
              answr: {contains: x}
    """)
    assert (p.location.file, p.location.line, p.location.col) == ("evals/s.yaml", 6, 11)
    assert p.code == "schema.unknown-key" and "answer" in p.hint
    assert p.path == "cases[0].turns[0].expect.answr"


def test_matcher_with_two_kinds_and_bad_order_mode(tmp_path):
    found = problems(tmp_path, """\
    cases:
      - name: a
        turns:
          - input: hi
            expect:
              toolCalls:
                order: sorted
                calls:
                  - actionGroup: G
                    function: f
                    parameters: {x: {equals: 1, regex: "1"}}
    """)
    codes = {(p.code, p.location.line) for p in found}
    assert ("schema.enum", 7) in codes
    assert any(p.location.line == 11 and "parameters.x" in p.path for p in found)


def test_semantic_problems(tmp_path):
    found = problems(tmp_path, """\
    cases:
      - name: a
        turns:
          - input: hi
            expect:
              toolCalls:
                calls:
                  - {actionGroup: G, function: f, apiPath: /x}
                  - {actionGroup: G}
                  - {actionGroup: G, function: f, parameters: {p: {regex: "(unclosed"}}}
              answer: {matches: "[bad"}
              noKnowledgeBase: true
              knowledgeBase: [{knowledgeBaseId: KB1}]
      - name: a
        turns: [{input: x}]
    """)
    by_code = {}
    for p in found:
        by_code.setdefault(p.code, []).append(p.location.line)
    assert by_code["eval.call-target"] == [8, 9]
    assert sorted(by_code["eval.regex"]) == [10, 11]
    assert by_code["eval.duplicate-case"] == [14]
    assert by_code["eval.contradiction"] == [12]


def test_suite_checked_against_the_project_agent(tmp_path):
    project = load_project(REPO / "examples" / "support-bot")
    found = problems(tmp_path, """\
    agent: support-bot
    cases:
      - name: a
        turns:
          - input: hi
            expect:
              toolCalls:
                calls: [{actionGroup: OrderTools, function: get_order_stat}]
              knowledgeBase: [{knowledgeBaseId: KBNOPE}]
    """, agents=project.desired)
    assert [(p.code, p.severity, p.location.line) for p in found] == [
        ("eval.unknown-tool", "warning", 8), ("eval.unknown-kb", "warning", 9)]
    assert "get_order_status" in found[0].hint
    found = problems(tmp_path, "agent: nobody\ncases: [{name: a, turns: [{input: x}]}]\n",
                     agents=project.desired)
    assert found[0].code == "eval.unknown-agent" and "support-bot" in found[0].hint
    assert found[0].severity == "warning"


@pytest.mark.parametrize("text,code", [
    ("", "eval.not-mapping"),
    ("- a\n", "eval.not-mapping"),
    ("cases: [\n", "yaml.syntax"),
    ("cases: []\n", "schema.too-few"),
    ("cases:\n  - name: a\n    name: b\n    turns: [{input: x}]\n", "yaml.duplicate-key"),
    ("cases: [{name: 'bad name', turns: [{input: x}]}]\n", "schema.pattern"),
    ("cases: [{name: a, memoryId: 'has space', turns: [{input: x}]}]\n", "schema.pattern"),
])
def test_bad_files_are_problems_not_tracebacks(tmp_path, text, code):
    found = problems(tmp_path, text)
    assert code in {p.code for p in found}
    with pytest.raises(SpecInvalid):
        load_suite(write(tmp_path, text))


def test_digest_ignores_formatting_but_not_expectations(tmp_path):
    a = load_suite(write(tmp_path, GOOD, "a.yaml"))
    b = load_suite(write(tmp_path, "# a comment\n" + GOOD.replace("{tier: gold, n: 5}",
                                                               "{n: 5, tier: gold}"), "b.yaml"))
    c = load_suite(write(tmp_path, GOOD.replace("A-482?", "A-483?"), "c.yaml"))
    assert a.digest == b.digest != c.digest


# ------------------------------------------------------------------------- the schema

def test_published_schema_is_up_to_date_and_packaged():
    hint = "run `python -m agentctl.spec.eval_schema` and commit the result"
    published = (REPO / "specs" / "eval-suite.schema.json").read_text(encoding="utf-8")
    packaged = (REPO / "agentctl" / "schemas" / "eval-suite.schema.json").read_text("utf-8")
    assert published == suite_schema.render(), hint
    assert packaged == published, hint


def test_schema_is_valid_and_documents_every_property():
    schema = json.loads(suite_schema.render())
    jsonschema.Draft202012Validator.check_schema(schema)
    missing = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, prop in (node.get("properties") or {}).items():
                if not (prop.get("title") and prop.get("description")):
                    missing.append(f"{path}.{key}")
            for key, value in node.items():
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    walk(schema, "")
    assert not missing


def test_example_suites_validate_against_the_published_schema():
    import yaml

    schema = json.loads((REPO / "specs" / "eval-suite.schema.json").read_text())
    files = sorted((REPO / "examples").glob("*/evals/*.yaml"))
    assert files
    for f in files:
        jsonschema.validate(yaml.safe_load(f.read_text()), schema)
