"""Every hint says what to do (issue 12 item 7).

Before: ``hint: agentAliasName.`` for a missing alias name and ``hint: agentName: unique per
account and region.`` for a pattern error: the schema description, which names the member,
shown as if it were advice. Three checks:

- every pattern of the generated schemas has a hint of its own (``agentctl.spec.hints``), so a
  botocore upgrade that brings a new pattern fails here until it gets one;
- every hint that validation produces, over all the invalid-spec cases, says what to do (one of
  its clauses starts with an instruction, or it asks "did you mean ...?") and does not merely
  restate a field or member name;
- every hint literal written in ``agentctl/spec/`` passes the same check (hints of problems no
  test case triggers included).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from agentctl.errors import SpecInvalid
from agentctl.spec import load_project
from agentctl.spec.hints import IMPERATIVES, PATTERN_HINTS
from agentctl.spec.schema import model_pattern

from .test_invalid_specs import CASES, Case

SPEC_DIR = Path(__file__).resolve().parents[2] / "agentctl" / "spec"
SCHEMAS = Path(__file__).resolve().parents[2] / "agentctl" / "schemas"


def says_what_to_do(hint: str) -> bool:
    text = hint.strip().lower()
    if text.startswith("did you mean"):
        return True
    clauses = re.split(r"[;:,.()]|\bor\b|\bthen\b|\band\b", text)
    return any(c.strip().split(" ", 1)[0].strip("`'\"") in IMPERATIVES for c in clauses if c.strip())


def restates_a_name(hint: str, path: str = "") -> bool:
    text = hint.strip()
    leaf = re.split(r"[.\[\]]", path.rstrip("]"))[-1].strip('"') if path else ""
    bare = text.rstrip(". ")
    # "agentAliasName." / "knowledgeBaseId" / "agentName: unique per account and region."
    return (bool(re.fullmatch(r"[A-Za-z0-9_.\[\]]+", bare))
            or bool(re.match(r"^[a-z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*\s*[:,]", text))
            or (bool(leaf) and bare.lower() == leaf.lower()))


@pytest.mark.parametrize("hint", ["agentAliasName.", "agentName: unique per account and region.",
                                  "knowledgeBaseId.", "first defined at agents/a.yaml:3:9",
                                  "known environments: local, prod"])
def test_the_check_rejects_the_reported_non_hints(hint):
    assert restates_a_name(hint) or not says_what_to_do(hint)


def _schema_patterns() -> set[str]:
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                found.add(model_pattern(node["pattern"]))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for f in SCHEMAS.glob("*.schema.json"):
        walk(json.loads(f.read_text("utf-8")))
    return found


def test_every_schema_pattern_has_a_hint_that_says_what_to_do():
    patterns = _schema_patterns()
    assert patterns, "no patterns found: the schema layout changed"
    missing = sorted(patterns - set(PATTERN_HINTS))
    assert missing == [], f"add a hint to agentctl/spec/hints.py for: {missing}"
    bad = {p: h for p, h in PATTERN_HINTS.items() if not says_what_to_do(h) or restates_a_name(h)}
    assert bad == {}


def _produced(case: Case, project, monkeypatch) -> list:
    monkeypatch.delenv("AGENTCTL_ENV", raising=False)
    root = project({**case.files, **case.extra}, project_file=case.project)
    try:
        load_project(root, case.env, strict=case.strict)
    except SpecInvalid as e:
        return list(e.problems)
    return []


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_produced_hint_says_what_to_do(case, project, monkeypatch):
    problems = _produced(case, project, monkeypatch)
    assert problems, "the case no longer produces a problem"
    bad = [(p.code, p.hint) for p in problems
           if p.hint and (not says_what_to_do(p.hint) or restates_a_name(p.hint, p.path))]
    assert bad == []


def test_required_key_hint_says_to_add_it(project, monkeypatch):
    # The reported instance: an alias without a name gave ``hint: agentAliasName.``.
    case = Case("x", {"agents/bot.yaml": "name: bot\nmodel: anthropic.claude-3-5-sonnet-20241022-v2:0\n"
                      "instruction: You are a careful assistant that answers questions about orders.\n"
                      "role: arn:aws:iam::123456789012:role/AgentRole\naliases:\n  - description: x\n"},
                "agents/bot.yaml", 0, 0, "schema.required")
    (p,) = [p for p in _produced(case, project, monkeypatch) if p.code == "schema.required"]
    assert p.hint == "add `name: ...` here"


def test_pattern_hint_is_the_instruction_not_the_description(project, monkeypatch):
    case = Case("x", {"agents/bot.yaml": "name: 'bot bot'\nmodel: anthropic.claude-3-5-sonnet-20241022-v2:0\n"
                      "instruction: You are a careful assistant that answers questions about orders.\n"
                      "role: arn:aws:iam::123456789012:role/AgentRole\n"},
                "agents/bot.yaml", 0, 0, "schema.pattern")
    (p,) = [p for p in _produced(case, project, monkeypatch) if p.code == "schema.pattern"]
    assert p.hint.startswith("use letters and digits") and "unique per account" not in p.hint


def _hint_literals() -> list[tuple[str, int, str]]:
    """(file, line, text) of every ``hint=`` argument written as a literal in agentctl/spec/:
    f-strings with their placeholders as ``X``; conditional expressions give both branches."""
    out = []

    def texts(node) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.JoinedStr):
            return ["".join(v.value if isinstance(v, ast.Constant) else "X" for v in node.values)]
        if isinstance(node, ast.IfExp):
            return texts(node.body) + texts(node.orelse)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = texts(node.left), texts(node.right)
            return [a + b for a in left or ["X"] for b in right or ["X"]]
        return []

    for f in sorted(SPEC_DIR.glob("*.py")):
        if f.name == "gen_schema.py":
            continue  # schema titles and descriptions, not hints
        tree = ast.parse(f.read_text("utf-8"))
        for node in ast.walk(tree):
            values = []
            if isinstance(node, ast.keyword) and node.arg == "hint":
                values = [node.value]
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "hint"
                                                      for t in node.targets):
                values = [node.value]
            for v in values:
                for text in texts(v):
                    out.append((f.name, v.lineno, text))
    return out


def test_every_hint_literal_in_the_spec_package_says_what_to_do():
    literals = _hint_literals()
    assert len(literals) > 40, "the scan found too few hints: the code layout changed"
    bad = [(f, line, t) for f, line, t in literals
           if t.strip("X ") and (not says_what_to_do(t) or restates_a_name(t))]
    assert bad == [], "\n".join(f"{f}:{line}: {t}" for f, line, t in bad)
