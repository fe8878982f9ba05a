"""A yes/no JSON Schema check for the common case, a valid document, without jsonschema.

``compile_schema(schema)`` turns a schema into one Python predicate built from closures
(milliseconds, once per process and schema) that answers exactly the question
``not any(Draft202012Validator(schema).iter_errors(doc))``, several times faster than
jsonschema's per-keyword descent and without importing jsonschema (~0.15 s per process).
``schema.validate`` asks it first and runs jsonschema only for a document it refuses, so every
message, location and hint still comes from jsonschema's errors.

Only the keywords agentctl's schemas use are implemented, with jsonschema 4's draft 2020-12
semantics (types: ``integer`` includes integral floats, booleans are not numbers; ``enum`` and
``const`` compare with jsonschema's ``equal``, where ``True != 1``; ``pattern`` is
``re.search``; a keyword applies only to instances of its type). Any other keyword, a
non-local ``$ref`` or an embedded ``$id`` makes ``compile_schema`` raise ``Unsupported``: the
caller then uses jsonschema for every document rather than a predicate that could disagree.
Annotations (``title``, ``description``, ``x-bedrock``, ...) are ignored, as jsonschema ignores
them; so is ``format``, which draft 2020-12 treats as an annotation unless the validator has a
format checker (agentctl's has none; tests/spec/test_schema_fast.py checks both).

Must not: produce messages (jsonschema does), or import jsonschema.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Mapping, Sequence
from typing import Any, Callable

Check = Callable[[Any], bool]

ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "default",
                         "examples", "deprecated", "readOnly", "writeOnly", "format"})
"""Keywords that never make a document invalid here (``format``: no format checker)."""

ASSERTIONS = frozenset({"type", "enum", "const", "pattern", "minLength", "maxLength", "minimum",
                        "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems",
                        "minProperties", "maxProperties", "required", "properties",
                        "additionalProperties", "propertyNames", "items", "oneOf", "anyOf",
                        "allOf", "not", "$ref", "$defs"})
"""Keywords implemented below."""


class Unsupported(Exception):
    """The schema uses something this module does not implement (use jsonschema for it)."""


def equal(one: Any, two: Any) -> bool:
    """jsonschema's ``_utils.equal``: ``==`` except that booleans are not numbers, recursively."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(equal(a, b) for a, b in zip(one, two))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(k in two and equal(v, two[k]) for k, v in one.items())
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    return one == two


def _is_integer(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    return isinstance(x, int) or (isinstance(x, float) and x.is_integer())


def _is_number(x: Any) -> bool:
    return not isinstance(x, bool) and isinstance(x, numbers.Number)


_TYPES: dict[str, Check] = {
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "string": lambda x: isinstance(x, str),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "integer": _is_integer,
    "number": _is_number,
}


def compile_schema(schema: Any) -> Check:
    """The predicate ``doc -> valid?`` of a draft 2020-12 ``schema`` (see the module doc)."""
    return _Compiler(schema).compile(schema, "#")


class _Compiler:
    def __init__(self, root: Any):
        self.root = root
        self.refs: dict[str, list[Check]] = {}

    def compile(self, schema: Any, where: str) -> Check:
        if schema is True:
            return lambda x: True
        if schema is False:
            return lambda x: False
        if not isinstance(schema, dict):
            raise Unsupported(f"{where}: a schema must be an object or a boolean")
        if "$id" in schema and where != "#":
            raise Unsupported(f"{where}: embedded $id")
        unknown = [k for k in schema if k not in ANNOTATIONS and k not in ASSERTIONS
                   and not k.startswith("x-")]
        if unknown:
            raise Unsupported(f"{where}: keyword(s) {', '.join(sorted(unknown))}")
        return _every(self._typed(schema, where) + self._generic(schema, where))

    # keywords that apply whatever the instance's type
    def _generic(self, s: dict[str, Any], where: str) -> list[Check]:
        out: list[Check] = []
        if "type" in s:
            names = s["type"] if isinstance(s["type"], list) else [s["type"]]
            try:
                tests = tuple(_TYPES[n] for n in names)
            except (KeyError, TypeError):
                raise Unsupported(f"{where}: type {s['type']!r}") from None
            out.append(_some(list(tests)))
        if "enum" in s:
            values = list(s["enum"])
            strings = frozenset(v for v in values if isinstance(v, str))
            others = [v for v in values if not isinstance(v, str)]

            def enum(x: Any) -> bool:
                if isinstance(x, str):
                    return x in strings
                return any(equal(v, x) for v in others)
            out.append(enum)
        if "const" in s:
            const = s["const"]
            out.append(lambda x: equal(x, const))
        if "$ref" in s:
            out.append(self._ref(s["$ref"], where))
        for key in ("allOf", "anyOf", "oneOf"):
            if key in s:
                subs = [self.compile(sub, f"{where}/{key}/{i}") for i, sub in enumerate(s[key])]
                if key == "allOf":
                    out.append(_every(subs))
                elif key == "anyOf":
                    out.append(_some(subs))
                else:
                    def one_of(x: Any, subs: list[Check] = subs) -> bool:
                        found = 0
                        for c in subs:
                            if c(x):
                                found += 1
                                if found > 1:
                                    return False
                        return found == 1
                    out.append(one_of)
        if "not" in s:
            inner = self.compile(s["not"], f"{where}/not")
            out.append(lambda x: not inner(x))
        if "$defs" in s:
            for name, sub in s["$defs"].items():  # unreferenced definitions must compile too
                self._ref(f"#/$defs/{name}" if where == "#" else None, where, sub)
        return out

    # keywords that apply to one type of instance only: one check per type, which passes any
    # instance of another type (jsonschema's rule)
    def _typed(self, s: dict[str, Any], where: str) -> list[Check]:
        out: list[Check] = []
        if any(k in s for k in ("minLength", "maxLength", "pattern")):
            out.append(_string_check(s.get("minLength"), s.get("maxLength"),
                                     _searcher(s["pattern"]) if "pattern" in s else None))
        bounds = []
        # jsonschema's own comparisons, negated (``not x < b`` rather than ``x >= b``: NaN
        # passes every bound there, and must here).
        for key, test in (("minimum", lambda v, b: not v < b), ("maximum", lambda v, b: not v > b),
                          ("exclusiveMinimum", lambda v, b: not v <= b),
                          ("exclusiveMaximum", lambda v, b: not v >= b)):
            if key in s:
                bounds.append((test, s[key]))
        if bounds:
            out.append(_number_check(tuple(bounds)))
        if any(k in s for k in ("minItems", "maxItems", "items")):
            out.append(_array_check(s.get("minItems"), s.get("maxItems"),
                                    self.compile(s["items"], f"{where}/items") if "items" in s else None))
        if any(k in s for k in ("minProperties", "maxProperties", "required", "properties",
                                "additionalProperties", "propertyNames")):
            props = {k: self.compile(v, f"{where}/properties/{k}")
                     for k, v in (s.get("properties") or {}).items()}
            extra: Check | bool = True
            if "additionalProperties" in s:
                a = s["additionalProperties"]
                extra = a if isinstance(a, bool) else self.compile(a, f"{where}/additionalProperties")
            names = self.compile(s["propertyNames"], f"{where}/propertyNames") \
                if "propertyNames" in s else None
            out.append(_object_check(s.get("minProperties"), s.get("maxProperties"),
                                     tuple(s.get("required") or ()), props, extra, names))
        return out

    def _ref(self, ref: str | None, where: str, target: Any = None) -> Check:
        """A check for ``ref`` (``#/...`` inside the root), compiled once; recursion through a
        reference works because the compiled check is looked up at call time."""
        if ref is None:
            self.compile(target, where)
            return lambda x: True
        if not isinstance(ref, str) or not (ref == "#" or ref.startswith("#/")):
            raise Unsupported(f"{where}: $ref {ref!r} (only references inside the schema)")
        if ref not in self.refs:
            cell: list[Check] = []
            self.refs[ref] = cell
            cell.append(self.compile(_pointer(self.root, ref, where), ref))
        cell = self.refs[ref]

        def follow(x: Any) -> bool:
            return cell[0](x)
        return follow


def _searcher(pattern: str) -> Check:
    """``re.search(pattern, x) is not None``, the pattern compiled when first needed: a command
    checking one spec meets a few of the schema's patterns, not all of them."""
    compiled: list[Callable[[str], Any]] = []

    def search(x: str) -> bool:
        if not compiled:
            compiled.append(re.compile(pattern).search)
        return compiled[0](x) is not None
    return search


def _true(x: Any) -> bool:
    return True


def _every(checks: list[Check]) -> Check:
    """All of ``checks`` (explicit loops: a generator per call costs more than the checks)."""
    if not checks:
        return _true
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        a, b = checks
        return lambda x: a(x) and b(x)
    group = tuple(checks)

    def every(x: Any) -> bool:
        for c in group:
            if not c(x):
                return False
        return True
    return every


def _some(checks: list[Check]) -> Check:
    if len(checks) == 1:
        return checks[0]
    group = tuple(checks)

    def some(x: Any) -> bool:
        for c in group:
            if c(x):
                return True
        return False
    return some


def _string_check(lo: int | None, hi: int | None, search: Check | None) -> Check:
    def check(x: Any) -> bool:
        if not isinstance(x, str):
            return True
        if lo is not None and len(x) < lo:
            return False
        if hi is not None and len(x) > hi:
            return False
        return search is None or search(x)
    return check


def _number_check(bounds: tuple[tuple[Callable[[Any, Any], bool], Any], ...]) -> Check:
    def check(x: Any) -> bool:
        if not _is_number(x):
            return True
        for test, bound in bounds:
            if not test(x, bound):
                return False
        return True
    return check


def _array_check(lo: int | None, hi: int | None, item: Check | None) -> Check:
    def check(x: Any) -> bool:
        if not isinstance(x, list):
            return True
        if lo is not None and len(x) < lo:
            return False
        if hi is not None and len(x) > hi:
            return False
        if item is not None:
            for v in x:
                if not item(v):
                    return False
        return True
    return check


def _object_check(lo: int | None, hi: int | None, required: tuple[str, ...],
                  props: dict[str, Check], extra: Check | bool, names: Check | None) -> Check:
    """minProperties, maxProperties, required, properties, additionalProperties (True: any,
    False: none, or a check) and propertyNames, in one pass over the instance's entries."""
    def check(x: Any) -> bool:
        if not isinstance(x, dict):
            return True
        if lo is not None and len(x) < lo:
            return False
        if hi is not None and len(x) > hi:
            return False
        for k in required:
            if k not in x:
                return False
        for k, v in x.items():
            c = props.get(k)
            if c is not None:
                if not c(v):
                    return False
            elif extra is not True and (extra is False or not extra(v)):
                return False
            if names is not None and not names(k):
                return False
        return True
    return check


def _pointer(root: Any, ref: str, where: str) -> Any:
    node = root
    for raw in ref[2:].split("/") if ref != "#" else ():
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise Unsupported(f"{where}: $ref {ref!r} does not resolve")
    return node
