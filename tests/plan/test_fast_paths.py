"""Fast paths of the plan/codec/render pipeline (issue 13) agree with the general definitions.

Each fast path replaces a general one for the common case (exact built-in types, text without
special characters); these properties compare the two on generated values, hostile ones
included (str/int/dict subclasses, enums, read-only mappings, non-str keys, NaN, deep nesting,
``Ref`` objects and look-alike ``$ref`` dicts).
"""

from __future__ import annotations

import enum
import json
import math
import types

from hypothesis import given, settings, strategies as st

from agentctl.core import model
from agentctl.core.jsontext import json_text
from agentctl.core.model import Ref, is_ref, plain, refs_from_json


class _Colour(str, enum.Enum):
    RED = "red"


class _Num(int):
    pass


class _Text(str):
    pass


class _Dict(dict):
    pass


class _List(list):
    pass


_keys = st.one_of(st.text(max_size=6), st.sampled_from(["$ref", "key", "agent.a", ""]))
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from([_Colour.RED, _Num(3), _Text("t"), "agent.x.alias.P"]),
)


def _values(with_refs: bool = True, exotic: bool = True):
    leaves = _scalars | (st.builds(Ref, st.sampled_from(["agent.a", "agent.b.alias.PROD"]),
                                   st.sampled_from(["arn", "id"])) if with_refs else st.nothing())

    def containers(children):
        out = [st.lists(children, max_size=4), st.lists(children, max_size=4).map(tuple),
               st.dictionaries(_keys, children, max_size=4),
               st.fixed_dictionaries({"$ref": st.sampled_from(["agent.a", "#/x", 3]),
                                      "key": st.sampled_from(["arn", 1])})]
        if exotic:
            out += [st.dictionaries(_keys, children, max_size=3).map(_Dict),
                    st.lists(children, max_size=3).map(_List),
                    st.dictionaries(_keys, children, max_size=3).map(types.MappingProxyType),
                    st.dictionaries(st.one_of(st.integers(), st.booleans(), st.none(),
                                              st.sampled_from([_Colour.RED, 1.5])),
                                    children, max_size=3)]
        return st.one_of(*out)

    return st.recursive(leaves, containers, max_leaves=25)


def _same(a, b) -> bool:
    """Equal, NaN equal to NaN, and of the same types all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b or a is b


@settings(max_examples=250, deadline=None)
@given(_values(), st.booleans())
def test_plain_fast_path_equals_the_general_definition(value, refs_as_json):
    def general(v):
        # The definition, recursing through itself only (no fast path anywhere below).
        if isinstance(v, (str, int, float, bool)) or v is None:
            return v
        if isinstance(v, dict) or isinstance(v, model._AbcMapping):
            return {str(k): general(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [general(x) for x in v]
        if refs_as_json and isinstance(v, Ref):
            return model.ref_to_json(v)
        return v

    assert _same(plain(value, refs_as_json=refs_as_json), general(value))


@settings(max_examples=300, deadline=None)
@given(_values())
def test_refs_from_json_fast_path_equals_the_definition(value):
    value = plain(value, refs_as_json=True)  # what it is given: JSON-shaped text read back

    def definition(v):
        if isinstance(v, dict):
            if set(v) == {"$ref", "key"} and isinstance(v["key"], str) \
                    and isinstance(v["$ref"], str) and v["$ref"].startswith("agent."):
                return Ref(v["$ref"], v["key"])
            return {k: definition(x) for k, x in v.items()}
        if isinstance(v, list):
            return [definition(x) for x in v]
        return v

    assert _same(refs_from_json(value), definition(value))


def _dumps_or_error(fn):
    try:
        return fn()
    except (TypeError, ValueError) as e:
        return type(e), str(e)


@settings(max_examples=300, deadline=None)
@given(_values(with_refs=False), st.booleans())
def test_json_text_equals_json_dumps_indent_2(value, sort_keys):
    got = _dumps_or_error(lambda: json_text(value, sort_keys=sort_keys))
    want = _dumps_or_error(lambda: json.dumps(value, indent=2, sort_keys=sort_keys,
                                              ensure_ascii=False))
    assert got == want


@settings(max_examples=200, deadline=None)
@given(_values(), st.booleans())
def test_json_text_with_default_equals_json_dumps(value, sort_keys):
    got = _dumps_or_error(lambda: json_text(value, sort_keys=sort_keys,
                                            default=model.ref_to_json))
    want = _dumps_or_error(lambda: json.dumps(value, indent=2, sort_keys=sort_keys,
                                              ensure_ascii=False, default=model.ref_to_json))
    assert got == want


def test_json_text_without_default_refuses_what_json_refuses():
    value = {"a": [Ref("agent.a", "arn")]}
    assert _dumps_or_error(lambda: json_text(value)) == _dumps_or_error(
        lambda: json.dumps(value, indent=2, ensure_ascii=False))
    assert _dumps_or_error(lambda: json_text(value))[0] is TypeError


def test_json_text_of_deep_and_circular_structures_behaves_as_json_dumps():
    deep: list = []
    cur = deep
    for _ in range(200):  # deeper than the cached indents, shallower than the recursion limit
        cur.append([])
        cur = cur[0]
    cur.append({"x": 1.0, "y": "é\n\u2028"})
    assert json_text(deep) == json.dumps(deep, indent=2, ensure_ascii=False)
    loop: dict = {}
    loop["self"] = loop
    assert _dumps_or_error(lambda: json_text(loop)) == _dumps_or_error(
        lambda: json.dumps(loop, indent=2, ensure_ascii=False))


@settings(max_examples=300, deadline=None)
@given(_values())
def test_format_value_equals_its_definition(value):
    from agentctl.render import _text as T

    def definition(v):  # format_value as it was: copy through _unref, then json.dumps
        if is_ref(v):
            return T.KNOWN_AFTER_APPLY
        if v is None:
            return "null"
        if isinstance(v, (dict, list, tuple)):
            plain_ = T._unref(v)
            text = json.dumps(plain_, ensure_ascii=False, sort_keys=True)
            if len(text) > 72 or "\\n" in text:
                block = T.yaml_block(plain_, text)
                if "\n" in block:
                    return block
            return text.replace(json.dumps(T.KNOWN_AFTER_APPLY), T.KNOWN_AFTER_APPLY)
        return json.dumps(v, ensure_ascii=False)

    def outcome(fn):  # (values no plan holds, e.g. a str enum in a YAML block, raise alike)
        try:
            return fn()
        except Exception as e:  # noqa: BLE001
            return type(e), str(e)

    assert outcome(lambda: T.format_value(value)) == outcome(lambda: definition(value))
