"""The fast yes/no schema check (jsonschema-rs, ``schema.compile_check``) agrees with jsonschema.

``schema.validate`` trusts the fast check's "valid" and asks jsonschema only about documents
the check refuses, so the two must agree on every document (jsonschema-rs's regular expressions
are ECMA 262's, jsonschema's Python's: where they differ on the shipped patterns, this finds it): here on thousands of documents
made by mutating the examples' specs, project files and eval suites (values replaced by ones
near the schemas' own bounds, enum values, wrong types; keys added and removed), on random
values against every sub-schema, and on the corner cases of jsonschema's semantics.
"""

from __future__ import annotations

import copy
import datetime
import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentctl.spec import schema
from agentctl.spec.yamlload import PositionMap, load_file

REPO = Path(__file__).resolve().parents[2]
NAMES = ("agent", "project", "eval-suite")


def _full_valid(s: Any, doc: Any) -> bool:
    return next(iter(jsonschema.Draft202012Validator(s).iter_errors(doc)), None) is None


def _documents(name: str) -> list[Any]:
    globs = {"agent": ["examples/*/agents/*.yaml"], "project": ["examples/*/agentctl.yaml"],
             "eval-suite": ["examples/*/evals/*.yaml"]}[name]
    out = [load_file(f).value for g in globs for f in sorted(REPO.glob(g))]
    assert out, name
    return out


def _walk_schema(s: Any, at: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    if isinstance(s, dict):
        yield at, s
        for k, v in s.items():
            if k in ("properties", "$defs"):
                for name, sub in v.items():
                    yield from _walk_schema(sub, at + (k, name))
            elif k in ("items", "additionalProperties", "propertyNames", "not"):
                yield from _walk_schema(v, at + (k,))
            elif k in ("oneOf", "anyOf", "allOf"):
                for i, sub in enumerate(v):
                    yield from _walk_schema(sub, at + (k, i))


def _vocabulary(name: str) -> dict[str, list[Any]]:
    """Values worth trying against schema ``name``: its enum and const values, property names,
    lengths and numbers at and around its bounds, and every scalar of the example documents."""
    words: set[str] = set()
    scalars: list[Any] = []
    numbers: set[Any] = {0, 1, -1, 1.0, 2.5, True, False}
    lengths: set[int] = {0, 1, 2}
    for _, node in _walk_schema(schema.load_schema(name)):
        words.update(node.get("properties") or ())
        words.update(node.get("required") or ())
        for v in list(node.get("enum") or []) + ([node["const"]] if "const" in node else []):
            scalars.append(v)
        for k in ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"):
            if k in node:
                lengths.update({node[k] - 1, node[k], node[k] + 1})
        for k in ("minimum", "maximum", "exclusiveMinimum"):
            if k in node:
                b = node[k]
                numbers.update({b - 1, b, b + 1, float(b), b - 0.5, b + 0.5})

    def leaves(v: Any) -> None:
        if isinstance(v, dict):
            words.update(v)
            for x in v.values():
                leaves(x)
        elif isinstance(v, list):
            for x in v:
                leaves(x)
        else:
            scalars.append(v)
    for d in _documents(name):
        leaves(d)
    texts = ["x" * n for n in sorted(lengths) if 0 <= n <= 25_000]
    return {"words": sorted(words), "scalars": scalars + texts + sorted(numbers, key=repr) + [None, "",
                                                                                           "${var.x}"]}


def _paths(doc: Any, at: tuple = ()) -> Iterator[tuple]:
    yield at
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, at + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, at + (i,))


def _get(doc: Any, path: tuple) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _random_value(rng: random.Random, vocab: dict[str, list[Any]], depth: int = 0) -> Any:
    roll = rng.random()
    if depth < 2 and roll < 0.15:
        return [_random_value(rng, vocab, depth + 1) for _ in range(rng.randint(0, 3))]
    if depth < 2 and roll < 0.3:
        return {rng.choice(vocab["words"]): _random_value(rng, vocab, depth + 1)
                for _ in range(rng.randint(0, 3))}
    return copy.deepcopy(rng.choice(vocab["scalars"]))


def _mutate(rng: random.Random, doc: Any, vocab: dict[str, list[Any]]) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(list(_paths(doc)))
        if not path:
            if rng.random() < 0.05:
                doc = _random_value(rng, vocab)
            continue
        parent, last = _get(doc, path[:-1]), path[-1]
        op = rng.random()
        if op < 0.5:
            parent[last] = _random_value(rng, vocab)
        elif op < 0.7:
            del parent[last]
        elif isinstance(parent, dict):
            parent[rng.choice(vocab["words"])] = _random_value(rng, vocab)
        else:
            parent.insert(last, copy.deepcopy(rng.choice(parent)))
    return doc


@pytest.mark.parametrize("name", NAMES)
def test_the_shipped_schemas_compile_and_their_examples_pass(name):
    for doc in _documents(name):
        assert schema._fast_check(name)(doc)
    for env in _documents("project")[0]["environments"].values():
        assert schema._environment_check("project")(env)


@pytest.mark.parametrize("name", NAMES)
def test_fast_and_full_agree_on_mutated_example_documents(name):
    s = schema.load_schema(name)
    fast = schema.compile_check(s)
    vocab = _vocabulary(name)
    rng = random.Random(f"schema-fast-{name}")
    docs = _documents(name)
    outcomes = {True: 0, False: 0}
    for doc in docs:
        assert fast(doc) and _full_valid(s, doc)
    for i in range(700):
        doc = _mutate(rng, rng.choice(docs), vocab)
        want = _full_valid(s, doc)
        assert fast(doc) == want, json.dumps(doc, default=repr)[:2000]
        outcomes[want] += 1
    # Both answers occur often: the agreement is not the trivial one.
    assert outcomes[True] > 50 and outcomes[False] > 200, outcomes


def _subschemas() -> list[tuple[str, tuple, Any]]:
    out = []
    for name in NAMES:
        root = schema.load_schema(name)
        for at, node in _walk_schema(root):
            if at:
                out.append((name, at, node))
    return out


SUBSCHEMAS = _subschemas()
VOCAB = {name: _vocabulary(name) for name in NAMES}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(SUBSCHEMAS))), st.randoms(use_true_random=False))
def test_fast_and_full_agree_on_random_values_for_every_subschema(index, rng):
    name, at, node = SUBSCHEMAS[index]
    root = schema.load_schema(name)
    # The sub-schema keeps the root's $defs, so its references resolve as they do in place.
    sub = {**node, "$defs": root["$defs"]} if "$defs" in root and isinstance(node, dict) else node
    fast = schema.compile_check(sub)
    for _ in range(10):
        value = _random_value(rng, VOCAB[name])
        assert fast(value) == _full_valid(sub, value), (name, at, value)


@pytest.mark.parametrize("s, doc", [
    ({"enum": [1]}, True), ({"enum": [True]}, 1), ({"enum": [0]}, False), ({"const": False}, 0),
    ({"enum": [[1, True]]}, [1, 1]), ({"enum": [{"a": 1}]}, {"a": True}), ({"enum": [1.0]}, 1),
    ({"type": "integer"}, 1.0), ({"type": "integer"}, 1.5), ({"type": "integer"}, True),
    ({"type": "number"}, False), ({"type": ["string", "null"]}, None), ({"type": "object"}, []),
    ({"minimum": 1}, "0"), ({"maxLength": 1}, 5), ({"minItems": 1}, {}), ({"required": ["a"]}, []),
    ({"pattern": "b"}, "abc"), ({"pattern": "^b"}, "abc"), ({"exclusiveMinimum": 0}, 0),
    ({"minimum": 0}, float("nan")), ({"maximum": 0}, float("inf")),
    ({"additionalProperties": False, "properties": {"a": True}}, {"a": 1, "b": 2}),
    ({"additionalProperties": {"type": "string"}, "properties": {"a": True}}, {"a": 1, "b": 2}),
    ({"propertyNames": {"maxLength": 1}}, {"ab": 1}), ({"items": False}, []), ({"items": False}, [1]),
    ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 1),
    ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 1.5),
    ({"oneOf": [{"type": "string"}, {"type": "number"}]}, None),
    ({"$defs": {"n": {"type": "array", "items": {"$ref": "#/$defs/n"}}}, "$ref": "#/$defs/n"},
     [[[]], [[[1]]]]),
    ({"$defs": {"n": {"type": "array", "items": {"$ref": "#/$defs/n"}}}, "$ref": "#/$defs/n"},
     [[[]], [[[]]]]),
    ({"format": "email"}, "not an email"), ({"not": {"type": "string"}}, "x"),
    # Python's re and ECMA 262 differ: "$" before a final newline, Unicode digits for "\\d".
    ({"pattern": "^a$"}, "a\n"), ({"pattern": "^\\d+$"}, "\u0661\u0662"),
    ({"pattern": "^\\w+$"}, "\u00e9t\u00e9"), ({"minimum": 0}, -10 ** 30),
])
def test_corner_cases_of_jsonschemas_semantics(s, doc):
    # A "valid" from the fast check must be jsonschema's "valid"; a refusal where jsonschema finds
    # nothing only costs the slow path (validate() then returns jsonschema's empty answer).
    fast, full = schema.compile_check(s)(doc), _full_valid(s, doc)
    assert fast <= full, (s, doc)


@pytest.mark.parametrize("s", [{}, {"type": "object", "additionalProperties": {"type": "object"}},
                               {"maximum": 0}, {"minimum": 0}, {"type": "string"}])
@pytest.mark.parametrize("doc", [datetime.date(2020, 1, 1), {1: "a"}, {"a": {(1, 2): 3}},
                                 {"a": {1: {}}}, float("nan"), float("inf"), float("-inf"),
                                 [float("inf")], object()])
def test_values_that_are_not_json_never_pass_where_jsonschema_refuses(s, doc):
    # YAML gives dates, non-string keys and .inf/.nan; jsonschema-rs raises on some and would
    # take inf as valid against a maximum (jsonschema refuses it): the check never raises, and
    # never says "valid" where jsonschema does not.
    fast = schema.compile_check(s)(doc)
    assert fast is False or _full_valid(s, doc), (s, doc)
    if isinstance(doc, float) or doc == [float("inf")]:
        assert fast is False  # non-finite numbers always go to jsonschema


def test_format_is_only_an_annotation_for_agentctls_validator():
    # The fast check ignores ``format`` because the full validator has no format checker.
    assert schema._validator("eval-suite").format_checker is None


def test_a_valid_document_never_reaches_jsonschema_and_an_invalid_one_does(monkeypatch):
    doc = _documents("agent")[0]
    calls = []
    real = schema._validator

    def counting(name):
        calls.append(name)
        return real(name)
    monkeypatch.setattr(schema, "_validator", counting)
    assert schema.validate("agent", doc, PositionMap()) == []
    assert calls == []
    bad = dict(doc, idleSessionTtl="ten minutes")
    problems = schema.validate("agent", bad, PositionMap())
    assert calls == ["agent"] and [p.code for p in problems] == ["schema.type"]


def test_loading_a_valid_project_without_openapi_does_not_import_jsonschema(tmp_path):
    (tmp_path / "agents").mkdir()
    (tmp_path / "agentctl.yaml").write_text(textwrap.dedent("""\
        project: t
        agents: ["agents/*.yaml"]
        environments:
          local: {target: local, region: us-east-1, account: "123456789012"}
        """))
    (tmp_path / "agents" / "bot.yaml").write_text(textwrap.dedent("""\
        name: bot
        model: anthropic.claude-3-5-sonnet-20241022-v2:0
        instruction: You are a careful assistant that answers questions about customer orders.
        role: arn:aws:iam::123456789012:role/AgentRole
        aliases: [{name: live}]
        """))
    code = ("import sys; from pathlib import Path; from agentctl.spec import load_project; "
            f"p = load_project(Path({str(tmp_path)!r}), 'local', environ={{}}); "
            "assert list(p.desired) == ['bot']; print(sorted(m for m in sys.modules if m.split('.')[0] == 'jsonschema'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
