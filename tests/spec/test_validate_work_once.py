"""validate does each piece of work once per load, or only when its result is needed (issue 13),
and reports exactly what it reported before:

- the member -> spec path map of a botocore request (``mapping.Request.origin``) is built only
  for a request with a violation, and then places the problem where it always did;
- an include shared by every spec is resolved and read once per load;
- a YAML scalar's tag (PyYAML's implicit resolvers) is looked up once per distinct text, with
  PyYAML's own answer;
- the cyclic garbage collector is paused while a project loads, and resumes as it was.
"""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from yaml.nodes import ScalarNode

from agentctl.errors import SpecInvalid
from agentctl.spec import fields, load_project, resolve, yamlload

from .conftest import BASE, GROUP


def _counting(monkeypatch, module, name):
    calls = []
    real = getattr(module, name)

    def wrapper(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)
    monkeypatch.setattr(module, name, wrapper)
    return calls


def test_origins_are_built_only_for_a_request_with_a_violation(project, monkeypatch):
    root = project({"agents/bot.yaml": BASE + GROUP})
    calls = _counting(monkeypatch, fields, "origins")
    load_project(root, "local", environ={})
    assert calls == []
    # A value only botocore's model checks (an included instruction longer than CreateAgent's
    # minimum allows is the schema's business; a too-short included one is botocore's).
    bad = BASE.replace("instruction: You are a careful assistant that answers questions about "
                       "customer orders.", "instruction: { file: ../prompts/i.md }")
    root = project({"agents/bot.yaml": bad + GROUP, "prompts/i.md": "Be nice."})
    try:
        load_project(root, "local", environ={})
    except SpecInvalid as e:
        problems = [p for p in e.problems if p.code == "bedrock.length"]
    else:
        raise AssertionError("a 8-character instruction was accepted")
    assert [(p.path, p.location.line, p.location.col) for p in problems] == [("instruction", 3, 14)]
    assert len(calls) == 1 and calls[0][0] is fields.AGENT


def test_a_shared_include_is_resolved_and_read_once_per_load(project, monkeypatch):
    spec = BASE.replace("instruction: You are a careful assistant that answers questions about "
                        "customer orders.", "instruction: { file: ../prompts/i.md }")
    files = {f"agents/bot{i}.yaml": spec.replace("name: bot", f"name: bot{i}") for i in range(5)}
    root = project({**files, "prompts/i.md": "You are a careful assistant for customer orders."})
    reads = _counting(monkeypatch, resolve, "read_text")
    loaded = load_project(root, "local", environ={})
    assert [c[0].name for c in reads] == ["i.md"]
    assert {a.agent["instruction"] for a in loaded.desired.values()} == {
        "You are a careful assistant for customer orders."}
    load_project(root, "local", environ={})
    assert len(reads) == 2    # per load, not per process: a changed file is read again


SCALAR = st.one_of(
    st.sampled_from(["yes", "No", "on", "OFF", "~", "null", "Null", "", "0x1F", "0o17", "1_000",
                     "+12", "-0", ".5", "1e3", "1.0e+3", ".inf", "-.Inf", ".NaN", "2024-01-31",
                     "2024-01-31T10:00:00Z", "<<", "=", "1:30", "0b101", "12e", "true", "tRue"]),
    st.text(alphabet="0123456789.-+_:eExXoObyYnNtTfF~ ", max_size=8),
    st.text(max_size=6))


@settings(max_examples=300, deadline=None)
@given(SCALAR, st.booleans(), st.booleans())
def test_the_memoised_scalar_tags_are_pyyamls_own(text, plain, quoted):
    reference = yaml.SafeLoader("").resolve(ScalarNode, text, (plain, quoted))
    loader = yamlload._Loader("")
    try:
        assert loader.resolve(ScalarNode, text, (plain, quoted)) == reference
        assert loader.resolve(ScalarNode, text, (plain, quoted)) == reference  # from the memo
    finally:
        loader.dispose()


def test_each_distinct_scalar_is_resolved_once(monkeypatch):
    seen = []
    real = yaml.SafeLoader.resolve

    def counting(self, kind, value, implicit):
        if kind is ScalarNode:
            seen.append(value)
        return real(self, kind, value, implicit)
    monkeypatch.setattr(yamlload._Loader.__mro__[1], "resolve", counting)
    monkeypatch.setattr(yamlload, "_RESOLVED", {})
    text = "a: {name: one, size: 12}\nb: {name: two, size: 12}\nc: [one, two, 12]\n"
    first = yamlload.load_text(text, "f.yaml").value
    assert sorted(seen) == sorted({"a", "b", "c", "name", "one", "size", "12", "two"})
    assert yamlload.load_text(text, "f.yaml").value == first == yaml.safe_load(text)
    assert len(seen) == 8


def test_the_collector_pauses_during_a_load_and_resumes_as_it_was(project, monkeypatch):
    import gc

    from agentctl.spec import schema

    states = []
    real = schema.validate

    def recording(*args, **kwargs):
        states.append(gc.isenabled())
        return real(*args, **kwargs)
    monkeypatch.setattr(schema, "validate", recording)
    good = project({"agents/bot.yaml": BASE + GROUP})
    assert gc.isenabled()
    load_project(good, "local", environ={})
    assert states and not any(states) and gc.isenabled()
    (good / "agents" / "bot.yaml").write_text(BASE + "idleSessionTtl: soon\n")
    try:
        load_project(good, "local", environ={})
    except SpecInvalid:
        pass
    assert gc.isenabled()
    gc.disable()
    try:
        (good / "agents" / "bot.yaml").write_text(BASE + GROUP)
        load_project(good, "local", environ={})
        assert not gc.isenabled()    # not switched on behind the caller's back
    finally:
        gc.enable()


OPENAPI = """\
openapi: 3.0.0
info: {title: Orders, version: "1"}
paths:
  /orders/{orderId}:
    get:
      operationId: getOrder
      description: Look up one order by its ID and return its status.
      parameters:
        - {name: orderId, in: path, required: true, schema: {type: string}}
      responses: {"200": {description: the order}}
"""


def test_a_shared_openapi_file_is_checked_once_per_load(project, monkeypatch):
    from agentctl.spec import openapi

    group = GROUP.replace("""    functions:
      - name: get_order
        description: Look up one order by its ID and return its status.
        parameters:
          order_id: { type: string, description: "The order ID, e.g. A-482.", required: true }
""", "    openapi: { file: ../openapi/orders.yaml }\n")
    files = {f"agents/bot{i}.yaml": (BASE + group).replace("name: bot", f"name: bot{i}")
             for i in range(4)}
    bad = OPENAPI.replace("operationId: getOrder", "operationId: get__order")
    root = project({**files, "openapi/orders.yaml": bad})
    calls = _counting(monkeypatch, openapi, "_validate")
    try:
        load_project(root, "local", environ={})
    except SpecInvalid as e:
        found = [(p.location.file, p.location.line, p.path) for p in e.problems
                 if p.code == "openapi.operation-id-pattern"]
    else:
        raise AssertionError("an operationId with '__' was accepted")
    assert len(calls) == 1
    # reported as before: at the document's own line, once (the specs' identical reports of a
    # shared file are one problem after deduplication)
    assert found == [("openapi/orders.yaml", 6,
                      'actionGroups[0].openapi.file.paths."/orders/{orderId}".get.operationId')]
    try:
        load_project(root, "local", environ={})
    except SpecInvalid:
        pass
    assert len(calls) == 2    # per load: the next load parses the file again


def test_children_shared_by_specs_are_walked_once_per_load_and_a_bad_one_is_placed_per_spec(
        project, monkeypatch):
    from agentctl.core import servicemodel

    aliases = "aliases:\n  - name: live\n    tags: {team: support}\n"
    files = {f"agents/bot{i}.yaml": (BASE + GROUP + aliases).replace("name: bot", f"name: bot{i}")
             for i in range(4)}
    root = project(files)
    walked = _counting(monkeypatch, servicemodel, "validate")
    load_project(root, "local", environ={})
    ops = [c[0] for c in walked]
    # each spec's own agent; the identical action group and alias once
    assert ops.count("CreateAgent") == 4
    assert ops.count("CreateAgentActionGroup") == 1 and ops.count("CreateAgentAlias") == 1
    # A bad child (a tag key longer than 128 characters) in every spec: not taken for a clean
    # one, reported in each file, at its own line.
    bad = aliases.replace("team: support", "k" * 129 + ": x")
    for i in range(4):
        (root / "agents" / f"bot{i}.yaml").write_text((BASE + GROUP + bad).replace("name: bot", f"name: bot{i}"))
    walked.clear()
    try:
        load_project(root, "local", environ={})
    except SpecInvalid as e:
        where = sorted((p.location.file, p.location.line, p.path) for p in e.problems
                       if p.code.startswith("bedrock.") or p.code.startswith("schema."))
    else:
        raise AssertionError("a 129-character tag key was accepted")
    assert [w[0] for w in where] == [f"agents/bot{i}.yaml" for i in range(4)]
    assert len({w[1:] for w in where}) == 1
    assert [c[0] for c in walked].count("CreateAgentAlias") == 4
