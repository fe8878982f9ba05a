"""The published schemas are generated from botocore's model, and the package copies are the
published files byte for byte (one source of truth)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from agentctl.core import servicemodel
from agentctl.spec import gen_schema
from agentctl.spec import rules_constants as rc
from agentctl.spec.schema import load_schema

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", gen_schema.NAMES)
def test_committed_schema_is_up_to_date(name):
    expected = gen_schema.render(name)
    published = (REPO / "specs" / f"{name}.schema.json").read_text(encoding="utf-8")
    packaged = (REPO / "agentctl" / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")
    hint = "run `python -m agentctl.spec.gen_schema` and commit the result"
    assert published == expected, hint
    assert packaged == published, hint


@pytest.mark.parametrize("name", gen_schema.NAMES)
def test_schema_is_valid_draft_2020_12_and_documents_every_property(name):
    schema = load_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    missing = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, prop in (node.get("properties") or {}).items():
                if not (prop.get("title") and prop.get("description")):
                    missing.append(f"{path}.{key}")
                if prop.get("type") == "object" and "properties" in prop:
                    assert prop.get("additionalProperties") is False, f"{path}.{key}"
            for key, value in node.items():
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")

    walk(schema, "")
    assert not missing
    assert schema["additionalProperties"] is False


def test_constraints_come_from_the_model_not_from_hand():
    agent = load_schema("agent")
    name = agent["properties"]["name"]
    model_pattern = servicemodel.shape_constraints(servicemodel.member_shape("CreateAgent", "agentName"))["pattern"]
    assert model_pattern in name["pattern"] and name["x-bedrock"] == "CreateAgent:agentName"
    ttl = agent["properties"]["idleSessionTtl"]
    c = servicemodel.shape_constraints(servicemodel.member_shape("CreateAgent", "idleSessionTTLInSeconds"))
    assert (ttl["minimum"], ttl["maximum"]) == (c["min"], c["max"])
    # The one deliberate departure: the instruction quota, not the stale model max (§6.3).
    inline = agent["properties"]["instruction"]["oneOf"][0]
    assert inline["maxLength"] == rc.INSTRUCTION_MAX_CHARS
    assert inline["minLength"] == servicemodel.shape_constraints(
        servicemodel.member_shape("CreateAgent", "instruction"))["min"]


def test_generator_follows_the_model(monkeypatch):
    # A changed model changes the generated schema: nothing is pinned by hand.
    real = servicemodel.shape_constraints

    def fake(shape):
        out = real(shape)
        if shape.name == "SessionTTL":
            out = {**out, "max": 7200}
        return out

    monkeypatch.setattr(servicemodel, "shape_constraints", fake)
    assert gen_schema.generate("agent")["properties"]["idleSessionTtl"]["maximum"] == 7200


def test_write_targets_both_copies(tmp_path):
    written = gen_schema.write([tmp_path / "a", tmp_path / "b"])
    assert len(written) == 4
    assert (tmp_path / "a" / "agent.schema.json").read_text() == (tmp_path / "b" / "agent.schema.json").read_text()
    json.loads((tmp_path / "a" / "project.schema.json").read_text())
