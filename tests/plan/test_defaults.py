"""Service defaults in plans (issue 12 item 1): a change away from a default, or back to it, is an
update that shows both values (``~ storageDays = 30 -> 60``), never a ``+``/``-`` that hides one.

The class behind the instances: canonical values leave every service default out
(``normalize.SERVICE_DEFAULTS``). These tests check that table against what canonicalization
really drops, enum by enum and boolean by boolean from botocore's model (so a new default dropped
in ``normalize`` without a table entry fails here), and that the differ fills every entry in.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from botocore.model import ListShape, MapShape, StructureShape

from agentctl.core.model import ACTION_GROUP, AGENT, ALIAS, COLLABORATOR, KNOWLEDGE_BASE, AliasConfig
from agentctl.core.normalize import (
    SERVICE_DEFAULTS,
    canonical_action_group,
    canonical_agent,
    canonical_alias,
    canonical_collaborator,
    canonical_knowledge_base,
    with_defaults,
)
from agentctl.core.servicemodel import service_model
from agentctl.plan.differ import alias_value, resource_change
from agentctl.plan.model import Action
from agentctl.render._text import CHANGE, field_lines

OPERATION = {AGENT: "UpdateAgent", ACTION_GROUP: "UpdateAgentActionGroup",
             KNOWLEDGE_BASE: "UpdateAgentKnowledgeBase", COLLABORATOR: "UpdateAgentCollaborator",
             ALIAS: "UpdateAgentAlias"}

# A canonical value of each kind in which every container of a defaulted member exists.
BASE: dict[str, dict[str, Any]] = {
    AGENT: {
        "agentName": "a", "foundationModel": "m", "instruction": "i" * 40,
        "memoryConfiguration": {"enabledMemoryTypes": ["SESSION_SUMMARY"]},
        "promptOverrideConfiguration": {"promptConfigurations": [
            {"promptType": "ORCHESTRATION", "promptCreationMode": "OVERRIDDEN",
             "basePromptTemplate": "t"}]},
    },
    ACTION_GROUP: {
        "actionGroupExecutor": {"lambda": "arn:aws:lambda:us-east-1:123456789012:function:f"},
        "functionSchema": {"functions": [{"name": "f", "parameters": {"p": {"type": "string"}}}]},
    },
    KNOWLEDGE_BASE: {"description": "d"},
    COLLABORATOR: {"agentDescriptor": {"aliasArn": "arn:x"}, "collaborationInstruction": "c"},
    ALIAS: {"description": "d"},
}


def canonical(kind: str, value: dict[str, Any]) -> dict[str, Any]:
    if kind == ALIAS:
        cfg = AliasConfig(name="PROD", description=value.get("description"),
                          invocation_state=value.get("aliasInvocationState"))
        return alias_value(canonical_alias(cfg))
    return {AGENT: canonical_agent, ACTION_GROUP: canonical_action_group,
            KNOWLEDGE_BASE: canonical_knowledge_base,
            COLLABORATOR: canonical_collaborator}[kind](value)


def _step(node: Any, seg: str, create: bool) -> Any:
    if seg == "*":
        return next(iter(node.values())) if isinstance(node, dict) and node else None
    name, each = (seg[:-2], True) if seg.endswith("[]") else (seg, False)
    if not isinstance(node, dict):
        return None
    if name not in node and create:
        node[name] = {}
    child = node.get(name)
    if each:
        return child[0] if isinstance(child, list) and child else None
    return child


def get_path(value: Any, path: str) -> Any:
    *parents, leaf = path.split(".")
    node = value
    for seg in parents:
        node = _step(node, seg, create=False)
    return node.get(leaf, "<absent>") if isinstance(node, dict) else "<no container>"


def set_path(value: dict[str, Any], path: str, v: Any) -> dict[str, Any]:
    out = copy.deepcopy(value)
    *parents, leaf = path.split(".")
    node = out
    for seg in parents:
        node = _step(node, seg, create=True)
    node[leaf] = v
    return out


def member_shape(kind: str, path: str):
    shape = service_model().operation_model(OPERATION[kind]).input_shape
    for seg in path.split("."):
        if seg == "*":
            shape = shape.value
            continue
        shape = shape.members[seg.removesuffix("[]")]
        if seg.endswith("[]"):
            shape = shape.member
    return shape


def other_value(kind: str, path: str, default: Any) -> Any:
    shape = member_shape(kind, path)
    if getattr(shape, "enum", None):
        return next(v for v in shape.enum if v != default)
    if shape.type_name == "boolean":
        return not default
    assert shape.type_name in ("integer", "long"), (path, shape.type_name)
    top = shape.metadata.get("max")
    return default + 1 if top is None or default + 1 <= top else default - 1


ENTRIES = [(kind, path, default) for kind, entries in SERVICE_DEFAULTS.items()
           for path, default in entries]


@pytest.mark.parametrize("kind,path,default", ENTRIES, ids=[f"{k}:{p}" for k, p, _ in ENTRIES])
def test_every_table_default_is_what_canonicalization_drops(kind, path, default):
    out = canonical(kind, set_path(BASE[kind], path, default))
    # Dropped, and only the member: its feature (the top-level member) is still there; an
    # intermediate map left empty goes with it (sessionSummaryConfiguration).
    assert get_path(out, path) in ("<absent>", "<no container>")
    assert path.split(".")[0].removesuffix("[]") in out or "." not in path
    changed = other_value(kind, path, default)
    assert get_path(canonical(kind, set_path(BASE[kind], path, changed)), path) == changed


@pytest.mark.parametrize("kind,path,default", ENTRIES, ids=[f"{k}:{p}" for k, p, _ in ENTRIES])
def test_away_from_and_back_to_a_default_is_an_update_showing_both_values(kind, path, default):
    changed = other_value(kind, path, default)
    at_default = canonical(kind, BASE[kind])
    moved = canonical(kind, set_path(BASE[kind], path, changed))
    for before, after, values in ((at_default, moved, (default, changed)),
                                  (moved, at_default, (changed, default))):
        rc = resource_change(f"agent.a.{kind}.k", kind, before, after)
        assert rc.action is Action.UPDATE
        (f,) = rc.fields
        assert (f.before, f.after) == values
        kind_, line = next(field_lines(f))
        assert kind_ == CHANGE and line.startswith("~ ") and " -> " in line, line


@pytest.mark.parametrize("kind", sorted(BASE))
def test_with_defaults_is_undone_by_canonicalization(kind):
    value = canonical(kind, BASE[kind])
    filled = with_defaults(kind, value)
    assert filled != value  # something was filled in ...
    assert canonical(kind, filled) == value  # ... and it is exactly what canonical form drops


def test_absent_feature_is_not_filled_with_its_defaults():
    # No memory block = memory disabled; no functionSchema = an OpenAPI group: nothing to fill.
    assert "memoryConfiguration" not in with_defaults(AGENT, {"agentName": "a"})
    assert "functionSchema" not in with_defaults(ACTION_GROUP, {"apiSchema": {"payload": {}}})
    filled = with_defaults(AGENT, {"memoryConfiguration": {"enabledMemoryTypes": ["SESSION_SUMMARY"]}})
    assert filled["memoryConfiguration"] == {"enabledMemoryTypes": ["SESSION_SUMMARY"],
                                             "storageDays": 30,
                                             "sessionSummaryConfiguration": {"maxRecentSessions": 20}}


def _probe_paths(shape, path: str = "", depth: int = 0):
    """(dotted path, shape) of every enum and boolean member below ``shape``."""
    if depth > 6:
        return
    if isinstance(shape, StructureShape):
        for name, member in shape.members.items():
            yield from _probe_paths(member, f"{path}.{name}" if path else name, depth + 1)
    elif isinstance(shape, ListShape):
        yield from _probe_paths(shape.member, f"{path}[]", depth + 1)
    elif isinstance(shape, MapShape):
        yield from _probe_paths(shape.value, f"{path}.*", depth + 1)
    elif getattr(shape, "enum", None) or shape.type_name == "boolean":
        yield path, shape


def _probe_cases():
    for kind in (AGENT, ACTION_GROUP, KNOWLEDGE_BASE, COLLABORATOR, ALIAS):
        shape = service_model().operation_model(OPERATION[kind]).input_shape
        for path, member in _probe_paths(shape):
            if get_path(BASE[kind], path) == "<no container>" and "." in path:
                continue  # the base value has no such container (another union branch)
            values = getattr(member, "enum", None) or [True, False]
            for v in values:
                yield kind, path, v


@pytest.mark.parametrize("kind", [AGENT, ACTION_GROUP, KNOWLEDGE_BASE, COLLABORATOR, ALIAS])
def test_every_value_canonicalization_drops_is_a_listed_default(kind):
    """From botocore's model: set each enum value / boolean of every member of the kind's request
    shape; when canonicalization drops the member while its container stays, the table must
    name that value as the member's default, or the differ would show ``+`` for a change away
    from it."""
    table = {p: d for p, d in SERVICE_DEFAULTS[kind]}
    dropped, probed = [], 0
    for k, path, v in _probe_cases():
        if k != kind:
            continue
        if kind == AGENT and path.endswith(("promptType", "promptCreationMode")):
            continue  # keys of the entry: changing them is another entry, not a member value
        probed += 1
        out = canonical(kind, set_path(BASE[kind], path, v))
        if get_path(out, path) == "<absent>":
            dropped.append((path, v))
    assert probed > 0
    missing = [(p, v) for p, v in dropped if table.get(p) != v]
    assert missing == [], f"dropped by canonicalization but not in SERVICE_DEFAULTS: {missing}"
