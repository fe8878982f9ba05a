"""validate's costly checks stay cheap at fleet size without changing what they report:
the near-duplicate description check compares only pairs that can be near-duplicates (same
result as comparing every pair), and an OpenAPI document is validated once per content."""

from __future__ import annotations

import difflib

from hypothesis import given, settings
from hypothesis import strategies as st

from agentctl.spec import openapi, rules
from agentctl.spec.resolve import OpenApiDoc


def _every_pair(texts, r=0.9):
    """The check as it was: each text against every earlier one, in order."""
    out = []
    for b in range(1, len(texts)):
        for a in range(b):
            ratio = difflib.SequenceMatcher(None, texts[a].lower(), texts[b].lower()).ratio()
            if ratio >= r:
                out.append((b, a, ratio))
                break
    return out


WORDS = st.sampled_from(["Look", "up", "the", "order", "status", "by", "ID", "cancel", "an",
                         "HR", "policy", "return", "refund", "customer", "shipping", "."])
TEXT = st.lists(WORDS, min_size=1, max_size=14).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(TEXT, TEXT.map(lambda t: t + "s"), TEXT.map(str.upper)), max_size=12))
def test_near_duplicates_finds_exactly_what_comparing_every_pair_finds(texts):
    got = rules.near_duplicates(texts)
    want = _every_pair(texts)
    assert [(b, a) for b, a, _ in got] == [(b, a) for b, a, _ in want]
    assert [round(x, 9) for *_, x in got] == [round(x, 9) for *_, x in want]


def test_near_duplicates_skips_pairs_whose_lengths_rule_them_out(monkeypatch):
    compared = []
    real = difflib.SequenceMatcher

    class Counting(real):
        def __init__(self, isjunk=None, a="", b="", autojunk=True):
            compared.append((a, b))
            super().__init__(isjunk, a, b, autojunk)

    monkeypatch.setattr(rules.difflib, "SequenceMatcher", Counting)
    rules._ratio.cache_clear()
    texts = ["x" * n for n in range(10, 400, 10)]   # 39 texts: 741 pairs
    rules.near_duplicates(texts)
    assert 0 < len(compared) < 741 // 4


def _doc(value):
    class Positions:
        def value(self, path):
            return None

        def key(self, path):
            return None

    return OpenApiDoc.__new__(OpenApiDoc) if False else _Doc(value, Positions())


class _Doc:
    def __init__(self, value, positions):
        self.value, self.positions = value, positions


def test_an_openapi_document_is_validated_once_per_content(monkeypatch):
    import openapi_spec_validator

    runs = []
    real = openapi_spec_validator.OpenAPIV30SpecValidator

    class Counting(real):
        def iter_errors(self):
            runs.append(1)
            return super().iter_errors()

    monkeypatch.setattr(openapi_spec_validator, "OpenAPIV30SpecValidator", Counting)
    openapi._validator_errors.cache_clear()
    broken = {"openapi": "3.0.0", "info": {"title": "t"}, "paths": {"/x": {"get": {}}}}
    reordered = {"paths": {"/x": {"get": {}}}, "info": {"title": "t"}, "openapi": "3.0.0"}
    first = openapi._spec_validator(_Doc(broken, _doc(None).positions), ("a",))
    again = openapi._spec_validator(_Doc(reordered, _doc(None).positions), ("b",))
    assert len(runs) == 1
    assert first and [p.message for p in first] == [p.message for p in again]
    assert {p.path for p in again} != {p.path for p in first}    # each under its own prefix
    other = dict(broken, info={"title": "t", "version": "1"})
    openapi._spec_validator(_Doc(other, _doc(None).positions), ("c",))
    assert len(runs) == 2
