"""core/servicemodel's light model (read from botocore's data file without importing botocore)
must agree with botocore's own model on everything agentctl reads from it: every shape's type,
constraints and traits, structure members and required members, list members, map keys and
values, every operation's input and output shape. Derived by walking botocore's model, so a
botocore upgrade is checked too."""

from __future__ import annotations

import pytest

from agentctl.core import servicemodel


def _same(light, real, seen: set[str], where: str) -> None:
    assert light.type_name == real.type_name, where
    assert light.metadata == real.metadata, where
    assert light.enum == list(getattr(real, "enum", []) or []), where
    if real.name in seen:
        return
    seen.add(real.name)
    if real.type_name == "structure":
        assert list(light.members) == list(real.members), where
        assert light.required_members == list(real.required_members), where
        for name in real.members:
            _same(light.members[name], real.members[name], seen, f"{where}.{name}")
    elif real.type_name == "list":
        _same(light.member, real.member, seen, f"{where}.member")
    elif real.type_name == "map":
        _same(light.key, real.key, seen, f"{where}.key")
        _same(light.value, real.value, seen, f"{where}.value")


@pytest.mark.parametrize("service", ["bedrock-agent", "bedrock-agent-runtime"])
def test_light_model_matches_botocore(service):
    real = servicemodel.service_model(service)
    light = servicemodel.model(service)
    assert light.operation_names == list(real.operation_names)
    seen: set[str] = set()
    for op in real.operation_names:
        r, l = real.operation_model(op), light.operation_model(op)
        for side in ("input_shape", "output_shape"):
            rs, ls = getattr(r, side), getattr(l, side)
            assert (rs is None) == (ls is None), (op, side)
            if rs is not None:
                _same(ls, rs, seen, f"{op}.{side}")
