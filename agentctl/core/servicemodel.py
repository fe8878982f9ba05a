"""Constraints of the bedrock-agent API, read from botocore's own service model.

botocore's client validates only required members, types and minimums; length maxima, patterns
and enums are enforced by the service alone ([BC-validate] in service-behaviour.md §0). Two parts of
agentctl need those server-side rules: ``validate`` (to catch offline what AWS would reject) and
the local emulator (to reject what AWS rejects). Both derive them from here, so nothing is
retyped and a botocore upgrade moves the rules with it.

The shapes here (``Shape``, ``StructureShape``, ``ListShape``, ``MapShape``, from ``model()``)
are read straight from botocore's data file (``botocore/data/<service>/<version>/service-2.json``,
located without importing botocore), with the attribute names botocore's own shapes have
(``type_name``, ``metadata``, ``members``, ``required_members``, ``member``, ``key``,
``value``, ``enum``). So ``agentctl validate`` and the spec layer never import botocore (about
0.15 s of start-up; tests/test_import_contract.py checks it). ``service_model()`` is botocore's
full ``ServiceModel`` (HTTP bindings, serialization), for the emulator's wire layer and aws/;
it imports botocore when called, never at import time.

Pure: no network, no boto3 client.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

SERVICE = "bedrock-agent"


@functools.lru_cache(maxsize=4)
def service_model(name: str = SERVICE) -> Any:
    """botocore's ``ServiceModel`` of ``name`` (imports botocore)."""
    import botocore.session

    return botocore.session.get_session().get_service_model(name)


# ------------------------------------------------------------------------ the light model

# botocore.model.Shape.METADATA_ATTRS: the shape keys botocore exposes as ``metadata``.
_METADATA = ("required", "min", "max", "pattern", "sensitive", "enum", "idempotencyToken",
             "error", "exception", "endpointdiscoveryid", "retryable", "document", "union",
             "contextParam", "clientContextParams", "requiresLength")


class Shape:
    """One shape of the model, like ``botocore.model.Shape``: ``name``, ``type_name``,
    ``metadata`` (constraints and traits, member-level traits merged in, as botocore does),
    ``enum`` (strings)."""

    def __init__(self, name: str, definition: Mapping[str, Any], model: "ServiceShapes"):
        self.name = name
        self._def = definition
        self._model = model
        self.type_name: str = definition.get("type", "")
        self.metadata: dict[str, Any] = {k: definition[k] for k in _METADATA if k in definition}

    @property
    def enum(self) -> list[str]:
        return list(self.metadata.get("enum", []))

    def __repr__(self) -> str:
        return f"<Shape({self.name})>"


class StructureShape(Shape):
    @functools.cached_property
    def members(self) -> dict[str, Shape]:
        return {name: self._model.resolve(ref) for name, ref in
                (self._def.get("members") or {}).items()}

    @property
    def required_members(self) -> list[str]:
        return list(self.metadata.get("required", []))


class ListShape(Shape):
    @functools.cached_property
    def member(self) -> Shape:
        return self._model.resolve(self._def["member"])


class MapShape(Shape):
    @functools.cached_property
    def key(self) -> Shape:
        return self._model.resolve(self._def["key"])

    @functools.cached_property
    def value(self) -> Shape:
        return self._model.resolve(self._def["value"])


_CLASSES = {"structure": StructureShape, "list": ListShape, "map": MapShape}


@dataclass(frozen=True)
class OperationShapes:
    name: str
    input_shape: Shape | None
    output_shape: Shape | None


class ServiceShapes:
    """The shapes and operations of one service model document (``model()``)."""

    def __init__(self, document: Mapping[str, Any]):
        self._shapes: Mapping[str, Any] = document["shapes"]
        self._operations: Mapping[str, Any] = document["operations"]
        self._cache: dict[str, Shape] = {}

    @property
    def operation_names(self) -> list[str]:
        return list(self._operations)

    def shape_for(self, name: str, traits: Mapping[str, Any] | None = None) -> Shape:
        if not traits and name in self._cache:
            return self._cache[name]
        definition = dict(self._shapes[name])
        if traits:
            definition.update(traits)
        shape = _CLASSES.get(definition.get("type", ""), Shape)(name, definition, self)
        if not traits:
            self._cache[name] = shape
        return shape

    def resolve(self, ref: Mapping[str, Any]) -> Shape:
        traits = {k: v for k, v in ref.items() if k != "shape"}
        return self.shape_for(ref["shape"], traits)

    def operation_model(self, name: str) -> OperationShapes:
        op = self._operations[name]
        return OperationShapes(
            name,
            self.resolve(op["input"]) if "input" in op else None,
            self.resolve(op["output"]) if "output" in op else None)


def _data_dir() -> Path:
    # find_spec of a top-level package locates it without running its __init__.
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("botocore is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@functools.lru_cache(maxsize=4)
def model(name: str = SERVICE) -> ServiceShapes:
    """The light model of ``name``: the newest API version botocore ships, as botocore's
    loader picks it."""
    versions = sorted(p for p in (_data_dir() / name).iterdir() if p.is_dir())
    if not versions:
        raise RuntimeError(f"botocore has no service model for {name}")
    newest = versions[-1]
    plain_file, gz_file = newest / "service-2.json", newest / "service-2.json.gz"
    if plain_file.exists():
        document = json.loads(plain_file.read_text(encoding="utf-8"))
    else:
        with gzip.open(gz_file, "rt", encoding="utf-8") as f:
            document = json.load(f)
    return ServiceShapes(document)


@functools.lru_cache(maxsize=512)
def compiled(pattern: str) -> re.Pattern[str]:
    # Coral validates patterns against the whole value; the model's regexes are unanchored.
    return re.compile(pattern, re.DOTALL)


@dataclass(frozen=True)
class Violation:
    """One constraint a value breaks. ``member`` is Coral-style: ``functionSchema.functions.1.member.name``."""

    member: str
    value: Any
    constraint: str
    """AWS wording, e.g. "Member must have length less than or equal to 200"."""
    kind: str
    """required | type | length | range | pattern | enum | union"""

    def aws_text(self) -> str:
        shown = self.value if not isinstance(self.value, (dict, list)) else "..."
        if self.kind == "required":
            return f"Value null at '{self.member}' failed to satisfy constraint: {self.constraint}"
        return f"Value '{shown}' at '{self.member}' failed to satisfy constraint: {self.constraint}"


def aws_validation_message(violations: list[Violation]) -> str:
    """The ValidationException text AWS (Coral) produces for a list of violations."""
    n = len(violations)
    noun = "error" if n == 1 else "errors"
    return f"{n} validation {noun} detected: " + "; ".join(v.aws_text() for v in violations)


def shape_constraints(shape: Shape) -> dict[str, Any]:
    """min/max/pattern/enum of a shape, as a plain dict (keys absent when unconstrained)."""
    out: dict[str, Any] = {}
    meta = shape.metadata
    for key in ("min", "max", "pattern"):
        if key in meta:
            out[key] = meta[key]
    if shape.enum:
        out["enum"] = list(shape.enum)
    return out


def member_shape(operation: str, dotted: str) -> Shape:
    """Shape of a request member by dotted path (``functionSchema.functions.parameters``);
    list and map levels are stepped through transparently ("member"/"value" implied)."""
    shape: Shape | None = model().operation_model(operation).input_shape
    for part in dotted.split("."):
        while isinstance(shape, (ListShape, MapShape)):
            shape = shape.member if isinstance(shape, ListShape) else shape.value
        if not isinstance(shape, StructureShape) or part not in shape.members:
            raise KeyError(f"{operation}: no member {dotted!r}")
        shape = shape.members[part]
    return shape


def validate(operation: str, params: dict[str, Any], *, output: bool = False,
             service: str = SERVICE) -> list[Violation]:
    """All violations of ``params`` against the operation's input (or output) shape: required,
    type, length/range (min and max), pattern, enum, and union (exactly one member).
    ``service`` names the botocore model (``bedrock-agent-runtime`` for the runtime side)."""
    op = model(service).operation_model(operation)
    shape = op.output_shape if output else op.input_shape
    if shape is None:
        return []
    return list(_walk(shape, params, ""))


def _walk(shape: Shape, value: Any, path: str) -> Iterator[Violation]:
    t = shape.type_name
    if value is None:
        return
    if t == "structure":
        if not isinstance(value, dict):
            yield Violation(path or shape.name, value, "Member must be a structure", "type")
            return
        assert isinstance(shape, StructureShape)
        for req in shape.required_members:
            if value.get(req) is None:
                yield Violation(_join(path, req), None, "Member must not be null", "required")
        if shape.metadata.get("union"):
            present = [k for k in value if value.get(k) is not None]
            if len(present) != 1:
                yield Violation(path or shape.name, value,
                                "Member must have exactly one of its members set", "union")
        for name, sub in value.items():
            if name in shape.members:
                yield from _walk(shape.members[name], sub, _join(path, name))
        return
    if t == "list":
        if not isinstance(value, list):
            yield Violation(path, value, "Member must be a list", "type")
            return
        yield from _length(shape, value, path, len(value))
        assert isinstance(shape, ListShape)
        for i, item in enumerate(value, start=1):
            yield from _walk(shape.member, item, f"{path}.{i}.member")
        return
    if t == "map":
        if not isinstance(value, dict):
            yield Violation(path, value, "Member must be a map", "type")
            return
        yield from _length(shape, value, path, len(value))
        assert isinstance(shape, MapShape)
        for i, (k, v) in enumerate(value.items(), start=1):
            yield from _walk(shape.key, k, f"{path}.{i}.key")
            yield from _walk(shape.value, v, f"{path}.{i}.value")
        return
    if t == "string":
        if not isinstance(value, str):
            yield Violation(path, value, "Member must be a string", "type")
            return
        yield from _length(shape, value, path, len(value))
        pat = shape.metadata.get("pattern")
        if pat is not None and not compiled(pat).fullmatch(value):
            yield Violation(path, value,
                            f"Member must satisfy regular expression pattern: {pat}", "pattern")
        if shape.enum and value not in shape.enum:
            yield Violation(path, value,
                            f"Member must satisfy enum value set: [{', '.join(shape.enum)}]", "enum")
        return
    if t in ("integer", "long", "float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            yield Violation(path, value, f"Member must be a number", "type")
            return
        lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
        if lo is not None and value < lo:
            yield Violation(path, value, f"Member must have value greater than or equal to {lo}", "range")
        if hi is not None and value > hi:
            yield Violation(path, value, f"Member must have value less than or equal to {hi}", "range")
        return
    if t == "boolean" and not isinstance(value, bool):
        yield Violation(path, value, "Member must be a boolean", "type")


def _length(shape: Shape, value: Any, path: str, n: int) -> Iterator[Violation]:
    lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
    if lo is not None and n < lo:
        yield Violation(path, value, f"Member must have length greater than or equal to {lo}", "length")
    if hi is not None and n > hi:
        yield Violation(path, value, f"Member must have length less than or equal to {hi}", "length")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
