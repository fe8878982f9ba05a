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
        checks = [c for c in (self._typed(schema, where), self._generic(schema, where)) if c]
        checks = [c for group in checks for c in group]
        if not checks:
            return lambda x: True
        if len(checks) == 1:
            return checks[0]
        return lambda x: all(c(x) for c in checks)

    # keywords that apply whatever the instance's type
    def _generic(self, s: dict[str, Any], where: str) -> list[Check]:
        out: list[Check] = []
        if "type" in s:
            names = s["type"] if isinstance(s["type"], list) else [s["type"]]
            try:
                tests = tuple(_TYPES[n] for n in names)
            except (KeyError, TypeError):
                raise Unsupported(f"{where}: type {s['type']!r}") from None
            if len(tests) == 1:
                out.append(tests[0])
            else:
                out.append(lambda x: any(t(x) for t in tests))
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
                    out.append(lambda x, subs=subs: all(c(x) for c in subs))
                elif key == "anyOf":
                    out.append(lambda x, subs=subs: any(c(x) for c in subs))
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

    # keywords that apply to one type of instance only
    def _typed(self, s: dict[str, Any], where: str) -> list[Check]:
        out: list[Check] = []
        string: list[Check] = []
        if "minLength" in s:
            n = s["minLength"]
            string.append(lambda x: len(x) >= n)
        if "maxLength" in s:
            m = s["maxLength"]
            string.append(lambda x: len(x) <= m)
        if "pattern" in s:
            string.append(_searcher(s["pattern"]))
        if string:
            out.append(_only(str, string))
        number: list[Check] = []
        # jsonschema's own comparisons, negated (``not x < b`` rather than ``x >= b``: NaN
        # passes every bound there, and must here).
        for key, test in (("minimum", lambda v, b: not v < b), ("maximum", lambda v, b: not v > b),
                          ("exclusiveMinimum", lambda v, b: not v <= b),
                          ("exclusiveMaximum", lambda v, b: not v >= b)):
            if key in s:
                number.append(lambda x, b=s[key], test=test: test(x, b))
        if number:
            out.append(lambda x: not _is_number(x) or all(c(x) for c in number))
        array: list[Check] = []
        if "minItems" in s:
            lo = s["minItems"]
            array.append(lambda x: len(x) >= lo)
        if "maxItems" in s:
            hi = s["maxItems"]
            array.append(lambda x: len(x) <= hi)
        if "items" in s:
            item = self.compile(s["items"], f"{where}/items")
            array.append(lambda x: all(item(v) for v in x))
        if array:
            out.append(_only(list, array))
        obj: list[Check] = []
        if "minProperties" in s:
            lo_p = s["minProperties"]
            obj.append(lambda x: len(x) >= lo_p)
        if "maxProperties" in s:
            hi_p = s["maxProperties"]
            obj.append(lambda x: len(x) <= hi_p)
        if "required" in s:
            required = tuple(s["required"])
            obj.append(lambda x: all(k in x for k in required))
        props = {k: self.compile(v, f"{where}/properties/{k}") for k, v in (s.get("properties") or {}).items()}
        if props:
            items = tuple(props.items())
            obj.append(lambda x: all(c(x[k]) for k, c in items if k in x))
        if "additionalProperties" in s:
            extra_schema = s["additionalProperties"]
            names = frozenset(props) | frozenset(s.get("properties") or ())
            if extra_schema is False:
                obj.append(lambda x: all(k in names for k in x))
            elif extra_schema is not True:
                extra = self.compile(extra_schema, f"{where}/additionalProperties")
                obj.append(lambda x: all(extra(v) for k, v in x.items() if k not in names))
        if "propertyNames" in s:
            key_check = self.compile(s["propertyNames"], f"{where}/propertyNames")
            obj.append(lambda x: all(key_check(k) for k in x))
        if obj:
            out.append(_only(dict, obj))
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


def _only(kind: type, checks: list[Check]) -> Check:
    """``checks`` applied to instances of ``kind``; anything else passes (jsonschema's rule)."""
    if len(checks) == 1:
        c = checks[0]
        return lambda x: not isinstance(x, kind) or c(x)
    return lambda x: not isinstance(x, kind) or all(c(x) for c in checks)


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
