"""``agentctl.core.sensitive``: masking, sealing and unsealing of values marked sensitive."""

from __future__ import annotations

import json

import pytest

from agentctl.core import sensitive
from agentctl.errors import StalePlan


@pytest.fixture(autouse=True)
def _clean():
    sensitive.clear()
    yield
    sensitive.clear()


def test_nothing_registered_changes_nothing():
    doc = {"a": ["x", {"b": "y"}], "n": 1}
    assert sensitive.mask(doc) == doc and sensitive.seal(doc) == doc
    assert sensitive.mask_text("plain") == "plain" and not sensitive.active()


def test_mask_covers_text_json_and_structures():
    secret = 'se"cr\\et-42'
    sensitive.register("apiKey", secret)
    assert sensitive.active()
    assert sensitive.mask_text(f"key={secret}!") == "key=(sensitive value)!"
    # Inside JSON text the value is escaped; it is masked there too.
    text = json.dumps({"k": f"Bearer {secret}"})
    assert secret not in json.loads(sensitive.mask_text(text))["k"]
    assert sensitive.mask({"t": [f"a {secret} b"], secret: 1}) == {
        "t": ["a (sensitive value) b"], "(sensitive value)": 1}


def test_longest_value_first():
    sensitive.register("short", "abcd")
    sensitive.register("long", "abcdefgh")
    assert sensitive.mask_text("abcdefgh abcd") == "(sensitive value) (sensitive value)"


def test_seal_then_unseal_round_trips_and_detects_a_change():
    sensitive.register("apiKey", "value-one-123")
    sealed = sensitive.seal({"p": ["x value-one-123 y"]})
    text = json.dumps(sealed)
    assert "value-one-123" not in text and "{{agentctl-sensitive:apiKey:" in text
    assert sensitive.unseal(sealed) == {"p": ["x value-one-123 y"]}
    # Another run with another value: stale, and the message names the variable only.
    sensitive.clear()
    sensitive.register("apiKey", "value-two-456")
    with pytest.raises(StalePlan, match="sensitive variable apiKey changed since") as e:
        sensitive.unseal(sealed)
    assert "value" not in str(e.value.what).replace("sensitive variable", "")
    assert sensitive.unseal(sealed, strict=False) == sealed  # the record keeps the marker
    sensitive.clear()
    with pytest.raises(StalePlan, match="no longer defined as sensitive"):
        sensitive.unseal(sealed)


def test_digests_are_salted_per_name():
    sensitive.register("a", "same-value")
    one = sensitive.seal("same-value")
    sensitive.clear()
    sensitive.register("b", "same-value")
    two = sensitive.seal("same-value")
    assert one.split(":")[2] != two.split(":")[2]
