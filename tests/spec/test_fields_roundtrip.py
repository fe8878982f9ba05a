"""The field table round-trips: spec -> requests -> apply on the emulator -> live read ->
``mapping.spec_document`` gives the spec back, on the shipped examples and on generated specs
that together use every field of ``agentctl.spec.fields``.

What "the spec back" means: the inverse produces the canonical spec form (every value inline,
defaults absent, lists in natural-key order), and nothing AWS does not store (an alias's
``track``, local handlers). For the examples the expected document is derived from the loaded
spec by ``canonical_spec`` below, written independently of the table; generated specs are drawn
in that form already, so for them the identity is literal. The one documented "don't care" rule
(``normalize.align_live_to_desired``: members of an OVERRIDDEN prompt the spec leaves out are
filled in by the service) is applied to the live side, as the differ does.

Budget: ``ROUNDTRIP_EXAMPLES`` (default 60, about 0.2 s each: one apply of the changed spec on
one emulator state, so updates are exercised as well as creates); set
``AGENTCTL_ROUNDTRIP_EXAMPLES=500`` for a thorough run.
"""

from __future__ import annotations

import copy
import os
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentctl.apply import lifecycle
from agentctl.aws import client as aws
from agentctl.core.normalize import align_live_to_desired, canonicalize
from agentctl.emulator import EmulatorConfig
from agentctl.spec import fields
from agentctl.spec.mapping import spec_document, to_config
from agentctl.spec.resolve import OpenApiDoc

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.parent for p in (REPO / "examples").glob("*/agentctl.yaml"))
FAST = EmulatorConfig(time_scale=0.0)
TIMING = aws.Timing(poll_initial=0.001, poll_max=0.01, wait_timeout=30.0, retries=10,
                    backoff_base=0.001, backoff_max=0.01, jitter=False)
ROUNDTRIP_EXAMPLES = int(os.environ.get("AGENTCTL_ROUNDTRIP_EXAMPLES", "60"))


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for var in ("AGENTCTL_ENV", "AWS_ENDPOINT_URL_BEDROCK_AGENT", "AGENTCTL_EMULATOR_FAULTS",
                "AGENTCTL_EMULATOR_CONFIG", "AGENTCTL_EMULATOR_TIME_SCALE"):
        monkeypatch.delenv(var, raising=False)


def apply_and_read(root: Path):
    """Apply the project at ``root`` on its emulator state; (project, live state) afterwards."""
    with lifecycle.opened(root, None, timing=TIMING, emulator_config=FAST) as ctx:
        plan = lifecycle.compute_plan(ctx, prune=True)
        lifecycle.raise_for_result(lifecycle.apply_plan(ctx, plan, record=False))
        return ctx.project, lifecycle.read_project_live(ctx)


def alias_names(live) -> dict[str, tuple[str, str]]:
    return {a.arn: (name, a.name) for name, agent in live.agents.items() for a in agent.aliases.values()}


def read_back(project, live, name: str) -> dict[str, Any]:
    """The spec document of a live agent, with the "don't care" rule applied (module docstring)."""
    desired = canonicalize(project.desired[name])
    cfg = live.agents[name].config
    cfg = replace(cfg, agent=align_live_to_desired(desired.agent, cfg.agent))
    return spec_document(cfg, alias_names=alias_names(live))


# --- an oracle for the examples, written without the field table -----------------------------------

_DEFAULTS = {  # spec path (with * for any list item / map key) -> the value that means "absent"
    "idleSessionTtl": 1800, "memory.storageDays": 30, "memory.maxRecentSessions": 20,
    "orchestration.type": "DEFAULT", "collaboration.mode": "DISABLED",
    "prompts.overrides.*.state": "ENABLED", "prompts.overrides.*.parser": "DEFAULT",
    "actionGroups.*.state": "ENABLED", "actionGroups.*.functions.*.requireConfirmation": False,
    "actionGroups.*.functions.*.parameters.*.required": False,
    "knowledgeBases.*.state": "ENABLED", "collaboration.collaborators.*.relayConversationHistory": False,
}
_LOCAL = ("actionGroups.*.executor.handler", "aliases.*.track")


def _drop(doc: Any, path: list[str], when: Any = ...) -> None:
    if not path or not isinstance(doc, (dict, list)):
        return
    head, rest = path[0], path[1:]
    items = (doc.values() if isinstance(doc, dict) else doc) if head == "*" else \
        ([doc[head]] if isinstance(doc, dict) and head in doc else [])
    if not rest:
        if isinstance(doc, dict) and head in doc and (when is ... or doc[head] == when):
            del doc[head]
        return
    for item in list(items):
        _drop(item, rest, when)


def canonical_spec(doc: dict[str, Any], openapi: dict[int, Any]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    for i, g in enumerate(out.get("actionGroups") or []):
        if isinstance(g.get("openapi"), dict) and "s3" not in g["openapi"]:
            g["openapi"] = {"inline": openapi[i].value}
    for path, default in _DEFAULTS.items():
        _drop(out, path.split("."), default)
    for path in _LOCAL:
        _drop(out, path.split("."))
    for g in out.get("actionGroups") or []:
        if isinstance(g.get("executor"), dict) and not g["executor"]:
            del g["executor"]
        if g.get("functions"):
            g["functions"].sort(key=lambda f: f["name"])
        for f in g.get("functions") or []:
            if "parameters" in f and not f["parameters"]:
                del f["parameters"]
    for ov in ((out.get("prompts") or {}).get("overrides") or {}).values():
        for key in ("temperature", "topP"):
            if key in (ov.get("inference") or {}):
                ov["inference"][key] = float(ov["inference"][key])
    for key, natural in (("actionGroups", "name"), ("knowledgeBases", "id"), ("aliases", "name")):
        if key in out:
            out[key].sort(key=lambda x: x[natural])
    if "collaborators" in (out.get("collaboration") or {}):
        out["collaboration"]["collaborators"].sort(key=lambda x: x["name"])
    return out


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_examples_round_trip(example: Path, tmp_path: Path):
    root = tmp_path / example.name
    shutil.copytree(example, root, ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
    project, live = apply_and_read(root)
    assert set(project.agents) <= set(live.agents)
    for name, spec in project.agents.items():
        back = read_back(project, live, name)
        assert back == canonical_spec(spec.doc, spec.openapi), name
        # ... and it means the same agent: mapped again, it canonicalizes to the desired config
        # (but for ``track``, which AWS does not store).
        assert canonicalize(to_config(back, _inline_docs(back))) == _pinned(canonicalize(project.desired[name]))


def _pinned(cfg):
    return replace(cfg, aliases={k: replace(a, track="pinned") for k, a in cfg.aliases.items()})


def _inline_docs(doc: dict[str, Any]) -> dict[int, OpenApiDoc]:
    """What the loader makes of ``openapi.inline`` documents (``resolve_includes``)."""
    return {i: OpenApiDoc(g["openapi"]["inline"], {}, "inline")
            for i, g in enumerate(doc.get("actionGroups") or []) if "inline" in (g.get("openapi") or {})}


def test_spec_document_is_inverse_of_to_config_on_refs():
    """A desired config (not yet applied) maps back too: a collaborator ``Ref`` becomes
    ``agent`` + ``alias`` again, a ``track: latest`` alias keeps its track."""
    doc = {"name": "sup", "model": "m", "instruction": "i", "role": "r",
           "collaboration": {"mode": "SUPERVISOR", "collaborators": [
               {"name": "c", "agent": "other", "alias": "PROD", "instruction": "go"}]},
           "aliases": [{"name": "LIVE", "track": "latest"}]}
    back = spec_document(canonicalize(to_config(doc, {})))
    assert back == doc


# --- generated specs ------------------------------------------------------------------------------

ACCOUNT = "123456789012"
LAMBDAS = [f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:tools-{n}" for n in ("a", "b")]
KBS = ["KB1111AAAA", "KB2222BBBB"]
EXTERNAL = "EXTERNAL-ALIAS-ARN"  # replaced by the alias ARN of an agent of another project

_words = st.lists(st.sampled_from(["order", "status", "refund", "parcel", "invoice", "policy",
                                   "look", "up", "the", "customer", "when", "asked", "today"]),
                  min_size=2, max_size=8).map(lambda ws: " ".join(ws).capitalize() + ".")
_names = st.from_regex(r"[a-z][a-z0-9]{0,6}(?:_[a-z0-9]{1,4})?", fullmatch=True)
_instruction = _words.map(lambda w: "You are a careful assistant. " + w + " Never guess an answer.")


def _unique(strategy, key, **kw):
    return st.lists(strategy, unique_by=key, **kw)


@st.composite
def _function(draw):
    f: dict[str, Any] = {"name": draw(_names)}
    if draw(st.booleans()):
        f["description"] = draw(_words)
    params = draw(st.dictionaries(_names, st.fixed_dictionaries(
        {"type": st.sampled_from(["string", "number", "integer", "boolean", "array"])},
        optional={"description": _words, "required": st.just(True)}), max_size=3))
    if params:
        f["parameters"] = params
    if draw(st.booleans()):
        f["requireConfirmation"] = True
    return f


def _openapi(path: str, summary: str) -> dict[str, Any]:
    return {"openapi": "3.0.0", "info": {"title": "Orders", "version": "1.0.0"},
            "paths": {f"/{path}/{{id}}": {"get": {
                "operationId": f"get{path.capitalize()}", "description": summary,
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "description": "The id.", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "Found.",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}}}}}}


@st.composite
def _action_group(draw, name: str):
    g: dict[str, Any] = {"name": name}
    kind = draw(st.sampled_from(["functions", "inline", "s3", "builtin"]))
    if kind == "builtin":
        g["builtin"] = draw(st.sampled_from(["AMAZON.UserInput", "AMAZON.CodeInterpreter"]))
        g["name"] = {"AMAZON.UserInput": "UserInput", "AMAZON.CodeInterpreter": "CodeInterpreter"}[g["builtin"]]
    else:
        g["description"] = draw(_words)
        g["executor"] = draw(st.sampled_from([{"lambda": LAMBDAS[0]}, {"lambda": LAMBDAS[1]},
                                              {"returnControl": True}]))
        if kind == "functions":
            g["functions"] = sorted(draw(_unique(_function(), lambda f: f["name"], min_size=1, max_size=3)),
                                    key=lambda f: f["name"])
        elif kind == "inline":
            g["openapi"] = {"inline": _openapi(draw(st.sampled_from(["orders", "items"])), draw(_words))}
        else:
            g["openapi"] = {"s3": {"bucket": "my-schemas", "key": draw(_names) + ".yaml"}}
    if draw(st.booleans()):
        g["state"] = "DISABLED"
    return g


@st.composite
def _override(draw, parser_lambda: bool):
    ov: dict[str, Any] = {}
    if not parser_lambda and draw(st.integers(0, 3)) == 0:
        return {"state": "DISABLED"}  # a state-only override switches a step off (§6.2)
    if draw(st.booleans()):
        ov["state"] = "DISABLED"
    ov["template"] = draw(_words.map(lambda w: "Human: $question$ " + w + " Assistant:"))
    inference = draw(st.fixed_dictionaries({}, optional={
        "temperature": st.sampled_from([0.0, 0.25, 1.0]), "topP": st.sampled_from([0.5, 1.0]),
        "topK": st.integers(0, 500), "maximumLength": st.integers(1, 4096),
        "stopSequences": st.lists(st.sampled_from(["\n\nHuman:", "END", "STOP"]), min_size=1, max_size=3,
                                  unique=True)}))
    if inference:
        ov["inference"] = inference
    if parser_lambda:
        ov["parser"] = "OVERRIDDEN"
    if draw(st.booleans()):
        ov["model"] = "anthropic.claude-3-haiku-20240307-v1:0"
    if draw(st.booleans()):
        ov["additionalModelRequestFields"] = {"top_k": draw(st.integers(1, 5))}
    return ov


@st.composite
def agent_specs(draw):
    """An agent spec in canonical spec form (no default values, lists in natural-key order)."""
    d: dict[str, Any] = {"name": "gen-agent", "model": draw(st.sampled_from(
        ["anthropic.claude-3-5-sonnet-20241022-v2:0", "anthropic.claude-3-haiku-20240307-v1:0"])),
        "instruction": draw(_instruction), "role": f"arn:aws:iam::{ACCOUNT}:role/GenRole"}
    opt = {
        "description": _words,
        "idleSessionTtl": st.integers(60, 5400).filter(lambda n: n != 1800),
        "encryptionKey": st.just(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
        "tags": st.dictionaries(_names, st.from_regex(r"[a-z0-9]{0,6}", fullmatch=True), min_size=1, max_size=3),
        "guardrail": st.fixed_dictionaries({"id": st.just("abcdef123456"),
                                            "version": st.sampled_from(["DRAFT", "1", "12"])}),
        "memory": st.fixed_dictionaries({"type": st.just("SESSION_SUMMARY")}, optional={
            "storageDays": st.integers(1, 365).filter(lambda n: n != 30),
            "maxRecentSessions": st.integers(1, 50).filter(lambda n: n != 20)}),
        "orchestration": st.just({"type": "CUSTOM_ORCHESTRATION", "lambda": LAMBDAS[1]}),
    }
    for key, strategy in opt.items():
        if draw(st.booleans()):
            d[key] = draw(strategy)
    if draw(st.booleans()):
        parser = draw(st.booleans())
        types = draw(st.lists(st.sampled_from(["PRE_PROCESSING", "ORCHESTRATION", "POST_PROCESSING",
                                               "KNOWLEDGE_BASE_RESPONSE_GENERATION"]),
                              min_size=1, max_size=3, unique=True))
        d["prompts"] = {"overrides": {t: draw(_override(parser and i == 0)) for i, t in enumerate(types)}}
        if parser:
            d["prompts"]["parserLambda"] = LAMBDAS[0]
    groups = draw(st.lists(st.sampled_from(["Orders", "Billing", "Calendar"]), unique=True, max_size=3))
    built = [draw(_action_group(n)) for n in groups]
    built = list({g["name"]: g for g in built}.values())  # two built-ins of one kind: keep one
    if built:
        d["actionGroups"] = sorted(built, key=lambda g: g["name"])
    kbs = draw(st.lists(st.sampled_from(KBS), unique=True, max_size=2))
    if kbs:
        d["knowledgeBases"] = [{"id": k, "description": draw(_words), **draw(st.fixed_dictionaries(
            {}, optional={"state": st.just("DISABLED")}))} for k in sorted(kbs)]
    if draw(st.booleans()):
        targets = draw(st.lists(st.sampled_from(["PROD", "BETA", EXTERNAL]), min_size=1, max_size=3, unique=True))
        collabs = []
        for i, t in enumerate(targets):
            c: dict[str, Any] = {"name": f"collab{i}"}
            c.update({"aliasArn": EXTERNAL} if t == EXTERNAL else {"agent": "gen-helper", "alias": t})
            c["instruction"] = draw(_words)
            if draw(st.booleans()):
                c["relayConversationHistory"] = True
            collabs.append(c)
        d["collaboration"] = {"mode": draw(st.sampled_from(["SUPERVISOR", "SUPERVISOR_ROUTER"])),
                              "collaborators": collabs}
    aliases = draw(st.lists(st.sampled_from(["LIVE", "CANARY"]), unique=True, max_size=2))
    if aliases:
        d["aliases"] = [{"name": a, **draw(st.fixed_dictionaries({}, optional={
            "description": _words, "tags": st.dictionaries(_names, _names, min_size=1, max_size=2),
            "invocationState": st.just("REJECT_INVOCATIONS")}))} for a in sorted(aliases)]
    return d


HELPER = {"name": "gen-helper", "model": "anthropic.claude-3-haiku-20240307-v1:0",
          "instruction": "You answer questions about parcels and invoices, briefly and exactly.",
          "role": f"arn:aws:iam::{ACCOUNT}:role/GenRole",
          "aliases": [{"name": "BETA"}, {"name": "PROD"}]}


def _project(root: Path, project: str, specs: list[dict[str, Any]], state: str) -> None:
    (root / "agents").mkdir(parents=True, exist_ok=True)
    (root / "handlers").mkdir(exist_ok=True)
    (root / "handlers" / "__init__.py").write_text("")
    (root / "handlers" / "tools.py").write_text("def handler(event, context):\n    return {}\n")
    env = {"target": "local", "region": "us-east-1", "account": ACCOUNT, "state": state,
           "world": {"knowledgeBases": [{"id": k, "name": k.lower()} for k in KBS],
                     "lambdas": [{"arn": a, "handler": "handlers.tools:handler"} for a in LAMBDAS]}}
    (root / "agentctl.yaml").write_text(yaml.safe_dump(
        {"project": project, "agents": ["agents/*.yaml"], "environments": {"local": env}}))
    for old in (root / "agents").glob("*.yaml"):
        old.unlink()
    for spec in specs:
        (root / "agents" / f"{spec['name']}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))


@pytest.fixture(scope="module")
def generated_root(tmp_path_factory):
    base = tmp_path_factory.mktemp("roundtrip")
    state = str(base / "state.db")
    # An agent of another project, so collaborators can name an alias ARN agentctl must not
    # turn into agent + alias (it is not this project's).
    outside = base / "outside"
    _project(outside, "outside", [{**HELPER, "name": "outside-agent"}], state)
    _, live = apply_and_read(outside)
    external = live.agents["outside-agent"].aliases["PROD"].arn
    root = base / "gen"
    return root, state, external


def _substitute(doc: Any, old: str, new: str) -> Any:
    if isinstance(doc, dict):
        return {k: _substitute(v, old, new) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_substitute(v, old, new) for v in doc]
    return new if doc == old else doc


def _round_trip(root: Path, state: str, spec: dict[str, Any]) -> None:
    _project(root, "gen", [spec, HELPER], state)
    project, live = apply_and_read(root)
    assert read_back(project, live, "gen-agent") == spec


@settings(max_examples=ROUNDTRIP_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(spec=agent_specs())
def test_generated_specs_round_trip(generated_root, spec):
    root, state, external = generated_root
    _round_trip(root, state, _substitute(spec, EXTERNAL, external))


# Every field of the table, in a few fixed specs (alternatives of one choice need separate
# action groups / collaborators); the test below proves these cover the whole table.
FULL = {
    "name": "gen-agent", "description": "Every field at once.",
    "model": "anthropic.claude-3-5-sonnet-20241022-v2:0",
    "instruction": "You are a careful assistant. Use every tool you have. Never guess an answer.",
    "role": f"arn:aws:iam::{ACCOUNT}:role/GenRole", "idleSessionTtl": 600,
    "encryptionKey": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "tags": {"team": "support", "empty": ""},
    "guardrail": {"id": "abcdef123456", "version": "3"},
    "memory": {"type": "SESSION_SUMMARY", "storageDays": 7, "maxRecentSessions": 5},
    "orchestration": {"type": "CUSTOM_ORCHESTRATION", "lambda": LAMBDAS[1]},
    "prompts": {"parserLambda": LAMBDAS[0], "overrides": {
        "ORCHESTRATION": {"template": "Human: $question$ Assistant:", "parser": "OVERRIDDEN",
                          "model": "anthropic.claude-3-haiku-20240307-v1:0",
                          "additionalModelRequestFields": {"top_k": 3},
                          "inference": {"temperature": 0.25, "topP": 0.5, "topK": 7, "maximumLength": 99,
                                        "stopSequences": ["END"]}},
        "PRE_PROCESSING": {"state": "DISABLED"}}},
    "actionGroups": [
        {"name": "Api", "description": "An OpenAPI group.", "executor": {"returnControl": True},
         "openapi": {"inline": _openapi("orders", "Get one order.")}},
        {"name": "Fns", "description": "A function group.", "state": "DISABLED",
         "executor": {"lambda": LAMBDAS[0]},
         "functions": [{"name": "f1", "description": "Does one thing.", "requireConfirmation": True,
                        "parameters": {"p": {"type": "string", "description": "A value.", "required": True},
                                       "q": {"type": "integer"}}}]},
        {"name": "S3", "description": "An S3 schema.", "executor": {"lambda": LAMBDAS[1]},
         "openapi": {"s3": {"bucket": "my-schemas", "key": "orders.yaml"}}},
        {"name": "Shell", "builtin": "ANTHROPIC.Bash", "builtinParams": {"type": "bash_20241022"}},
    ],
    "knowledgeBases": [{"id": KBS[0], "description": "HR policies.", "state": "DISABLED"}],
    "collaboration": {"mode": "SUPERVISOR", "collaborators": [
        {"name": "inside", "agent": "gen-helper", "alias": "PROD", "instruction": "Parcels.",
         "relayConversationHistory": True},
        {"name": "outside", "aliasArn": EXTERNAL, "instruction": "Anything else."}]},
    "aliases": [{"name": "LIVE", "description": "Paused.", "tags": {"stage": "prod"},
                 "invocationState": "REJECT_INVOCATIONS"}],
}
SMALL = {"name": "gen-agent", "model": "anthropic.claude-3-haiku-20240307-v1:0",
         "instruction": "You are a careful assistant who answers in one short sentence only.",
         "role": f"arn:aws:iam::{ACCOUNT}:role/GenRole"}
# User data that looks like a Ref placeholder is data: sent verbatim, read back verbatim (the
# executor's old second predicate took any ``{"$ref": ...}`` dict for a Ref and refused the plan).
DOLLAR_REF = {**SMALL, "prompts": {"overrides": {"ORCHESTRATION": {
    "template": "Human: $question$ Assistant:",
    "additionalModelRequestFields": {"schema": {"$ref": "#/defs/answer"},
                                     "pair": {"$ref": "agent.gen-helper", "key": "agentId"}}}}}}
FIXED = {"full": FULL, "small": SMALL, "dollar-ref": DOLLAR_REF}


@pytest.mark.parametrize("name", list(FIXED))
def test_fixed_specs_round_trip(generated_root, name):
    root, state, external = generated_root
    _round_trip(root, state, _substitute(FIXED[name], EXTERNAL, external))


def _used(resource: fields.Resource, item: Any, seen: set) -> None:
    if not isinstance(item, dict):
        return
    for f in resource.fields:
        if f.spec is None or f.kind == fields.CONST:
            continue
        v = fields.get(item, f.spec)
        if v is None:
            continue
        seen.add((resource.name, f.spec))
        if f.kind == fields.MAP_OF:
            for x in v.values():
                _used(f.item, x, seen)
        elif f.kind == fields.LIST_OF:
            for x in v:
                _used(f.item, x, seen)
        elif f.kind == fields.LIST_AS_MAP:
            for x in v.values():
                _used(f.item, x, seen)


def test_fixed_specs_cover_every_field_of_the_table():
    seen: set = set()
    for spec in FIXED.values():
        _used(fields.AGENT, spec, seen)
        for child in fields.CHILDREN:
            for item in fields.get(spec, child.spec) or []:
                _used(child.resource, item, seen)
    every = {(r.name, f.spec) for r in fields.RESOURCES for f in r.fields
             if f.spec is not None and f.kind not in (fields.CONST, fields.LOCAL)}
    assert every - seen == set()
