"""Constraints of the bedrock-agent API, read from botocore's own service model.

botocore's client validates only required members, types and minimums; length maxima, patterns
and enums are enforced by the service alone ([BC-validate] in bedrock-semantics.md). Two parts of
agentctl need those server-side rules: ``validate`` (to catch offline what AWS would reject) and
the local emulator (to reject what AWS rejects). Both derive them from here, so nothing is
retyped and a botocore upgrade moves the rules with it.

Pure: no network, no boto3 client; only ``botocore.session`` to locate the JSON model.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Iterator

import botocore.session
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape

SERVICE = "bedrock-agent"


@functools.lru_cache(maxsize=4)
def service_model(name: str = SERVICE) -> ServiceModel:
    return botocore.session.get_session().get_service_model(name)


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
    if getattr(shape, "enum", None):
        out["enum"] = list(shape.enum)
    return out


def member_shape(operation: str, dotted: str) -> Shape:
    """Shape of a request member by dotted path (``functionSchema.functions.parameters``);
    list and map levels are stepped through transparently ("member"/"value" implied)."""
    shape: Shape = service_model().operation_model(operation).input_shape
    for part in dotted.split("."):
        while isinstance(shape, (ListShape, MapShape)):
            shape = shape.member if isinstance(shape, ListShape) else shape.value
        if not isinstance(shape, StructureShape) or part not in shape.members:
            raise KeyError(f"{operation}: no member {dotted!r}")
        shape = shape.members[part]
    return shape


def validate(operation: str, params: dict[str, Any], *, output: bool = False) -> list[Violation]:
    """All violations of ``params`` against the operation's input (or output) shape: required,
    type, length/range (min and max), pattern, enum, and union (exactly one member)."""
    op = service_model().operation_model(operation)
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
