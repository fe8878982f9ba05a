"""Validate an action group's OpenAPI document: OpenAPI 3.0 itself (``openapi-spec-validator``)
plus the extra rules Bedrock imposes (service-behaviour.md §4.1, agents-api-schema.html):

- ``openapi`` is a 3.0.x version (reported alongside every other problem of the document,
  never instead of them: "all problems at once");
- every path starts with ``/``; only get, post, put, patch and delete operations;
- every operation has a ``description`` and an ``operationId`` that is unique and made of
  ``[a-zA-Z0-9_-]`` (no ``__``: it is the tool-name separator);
- the tool name ``<verb>__<actionGroup>__<operationId>`` fits ``^[a-zA-Z0-9_-]{1,64}$`` (its
  characters are those of the operationId and the group name, checked on their own, so only its
  length is reported here);
- no ``requestBody`` on GET/DELETE; request bodies are ``application/json`` only;
- parameter types are string, number, integer, boolean or array;
- ``enum`` is **a warning** (``openapi.enum-unsupported``, an error under ``--strict``): the
  docs say it is not supported and to list allowed values in the description instead; whether
  the service rejects it or ignores it is not documented, so agentctl does not refuse it.
- only local ``$ref``s (``#/...``): external references would need a download, and Bedrock
  receives the document as one payload.

Must not: fetch anything (external references are refused before the validator sees them).
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Iterator

from agentctl.core import servicemodel
from agentctl.errors import Problem
from agentctl.spec import rules_constants as rc
from agentctl.spec.resolve import OpenApiDoc
from agentctl.spec.yamlload import PathT, render_path

_OP_ID = re.compile(rc.OPENAPI_OPERATION_ID_PATTERN)
_ALL_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def parameter_types() -> tuple[str, ...]:
    """Parameter types Bedrock supports: the function-schema ParameterDetail.type enum of the
    model; the API-schema docs list the same set (agents-api-schema.html)."""
    shape = servicemodel.member_shape("CreateAgentActionGroup", "functionSchema.functions.parameters.type")
    return tuple(servicemodel.shape_constraints(shape)["enum"])


def operations(value: Any) -> Iterator[tuple[str, str, Any]]:
    """(path, method, operation) for every supported-or-not HTTP operation of the document."""
    paths = value.get("paths") if isinstance(value, dict) else None
    if not isinstance(paths, dict):
        return
    for p, item in paths.items():
        if not isinstance(item, dict):
            continue
        for method, op in item.items():
            if method.lower() in _ALL_METHODS:
                yield p, method, op


def count_operations(doc: OpenApiDoc) -> int:
    return sum(1 for _, m, _ in operations(doc.value) if m.lower() in rc.OPENAPI_METHODS)


_CHECKED: dict[tuple[Any, ...], tuple[Any, Any, tuple[Problem, ...]]] = {}
"""The problems of the documents checked last, by (document, positions, group, prefix): a file
every spec of a project includes is parsed once per load (``resolve.IncludeContext.parsed``),
so each spec hands over the same, read-only, objects; the entry keeps them alive, so their ids
cannot be reused while it exists."""
_CHECKED_MAX = 64


def validate(doc: OpenApiDoc, group_name: str, prefix: PathT) -> list[Problem]:
    """Every problem of one action group's OpenAPI document, located in its own file (or the
    spec, inline), with spec paths under ``prefix``."""
    key = (id(doc.value), id(doc.positions), group_name, tuple(prefix))
    try:
        hit = _CHECKED.get(key)
    except TypeError:  # an unhashable group name (the schema reports it): no memo
        return _validate(doc, group_name, prefix)
    if hit is not None and hit[0] is doc.value and hit[1] is doc.positions:
        return list(hit[2])
    out = _validate(doc, group_name, prefix)
    _CHECKED[key] = (doc.value, doc.positions, tuple(out))
    while len(_CHECKED) > _CHECKED_MAX:
        del _CHECKED[next(iter(_CHECKED))]
    return out


def _validate(doc: OpenApiDoc, group_name: str, prefix: PathT) -> list[Problem]:
    out: list[Problem] = []
    value = doc.value

    def add(path: PathT, message: str, code: str, hint: str | None = None, severity: str = "error",
            key: bool = False) -> None:
        loc = doc.positions.key(path) if key else doc.positions.value(path)
        out.append(Problem(loc, render_path(prefix + path), message, code, hint=hint, severity=severity))

    if not isinstance(value, dict):
        add((), "the OpenAPI document must be a mapping", "openapi.invalid")
        return out
    # Every problem at once: a wrong version is one problem, not a reason to hide the others.
    # Bedrock's own rules below apply whatever the version says; the OpenAPI 3.0 validator runs
    # on any 3.x document (a 3.1 document must become valid 3.0 for Bedrock, so what 3.0 does
    # not allow is worth reporting), not on a Swagger 2.0 or unversioned one, where it would
    # report little but noise.
    version = value.get("openapi")
    is_30 = isinstance(version, str) and re.fullmatch(r"3\.0\.\d+", version) is not None
    if not is_30 and "openapi" in value:
        add(("openapi",), f"Bedrock needs an OpenAPI 3.0.x document, got openapi: {version!r}",
            "openapi.version", hint='set `openapi: 3.0.0` (quote it if YAML reads it as a number)')
    elif not is_30:
        swagger = value.get("swagger")
        add((), "Bedrock needs an OpenAPI 3.0.x document; this one has no `openapi:` key"
            + (f" (it is Swagger {swagger})" if swagger is not None else ""), "openapi.version",
            hint="add `openapi: 3.0.0` at the top" + (", after converting the document to "
                                                      "OpenAPI 3.0" if swagger is not None else ""))

    external = list(_external_refs(value, ()))
    for path, ref in external:
        add(path, f"external $ref {ref!r} is not supported", "openapi.external-ref",
            hint="inline the referenced schema, or use a local #/components/... reference")
    if not external and (is_30 or (isinstance(version, str) and version.startswith("3."))):
        out.extend(_spec_validator(doc, prefix))

    # Paths must start with "/": checked here, for every path, rather than left to the 3.0
    # validator (which does not run on other versions or with an external $ref).
    paths = value.get("paths")
    for p in (paths if isinstance(paths, dict) else {}):
        if not str(p).startswith("/"):
            add(("paths", p), f"path {p!r} must start with '/'", "openapi.path",
                hint=f"write it as '/{str(p).lstrip('/')}'", key=True)

    seen_ids: dict[str, PathT] = {}
    for p, method, op in operations(value):
        opath: PathT = ("paths", p, method)
        m = method.lower()
        # (a path without "/" was reported above; its operations are still checked)
        if m not in rc.OPENAPI_METHODS:
            add(opath, f"HTTP method {method.upper()} is not supported by Bedrock action groups",
                "openapi.method", hint=f"use one of: {', '.join(rc.OPENAPI_METHODS)}", key=True)
            continue
        if not isinstance(op, dict):
            continue
        op_id = op.get("operationId")
        if not isinstance(op_id, str) or not op_id:
            add(opath, f"{method.upper()} {p} has no operationId", "openapi.operation-id-missing",
                hint="Bedrock names the tool after it; add `operationId: someName`", key=True)
        else:
            id_ok = bool(_OP_ID.fullmatch(op_id)) and "__" not in op_id
            if not id_ok:
                suggestion = re.sub(r"_{2,}", "_", re.sub(r"[^A-Za-z0-9_-]+", "_", op_id)).strip("_")
                add(opath + ("operationId",), f"operationId {op_id!r} may use only letters, digits, _ and - "
                    "(and no '__')", "openapi.operation-id-pattern",
                    hint=f"rename it, e.g. operationId: {suggestion or 'getOrder'}")
            if op_id in seen_ids:
                add(opath + ("operationId",), f"operationId {op_id!r} is used twice", "openapi.operation-id-duplicate",
                    hint=f"give each operation its own operationId (first used at "
                         f"{render_path(prefix + seen_ids[op_id])})")
            else:
                seen_ids[op_id] = opath + ("operationId",)
            tool = f"{m}__{group_name}__{op_id}"
            # Only a length problem is reported here: bad characters in the operationId were
            # just reported, and in the group name by the schema (one problem, one message).
            if id_ok and len(tool) > rc.TOOL_NAME_MAX_CHARS:
                add(opath + ("operationId",), f"tool name {tool!r} is {len(tool)} characters; Bedrock "
                    f"allows {rc.TOOL_NAME_MAX_CHARS}", "openapi.tool-name-length",
                    hint=f"shorten the operationId (or the action group name) by "
                         f"{len(tool) - rc.TOOL_NAME_MAX_CHARS} characters")
        if not (isinstance(op.get("description"), str) and op["description"].strip()):
            add(opath, f"{method.upper()} {p} has no description", "openapi.description-missing",
                hint="add `description: ...` saying what it does and when to use it; Bedrock "
                     "requires it and the model picks the operation by this text", key=True)
        if "requestBody" in op and m in rc.OPENAPI_NO_BODY_METHODS:
            add(opath + ("requestBody",), f"{method.upper()} operations cannot have a requestBody in Bedrock",
                "openapi.request-body-method", hint="use query or path parameters, or POST/PUT", key=True)
        body = op.get("requestBody")
        if isinstance(body, dict) and isinstance(body.get("content"), dict):
            for ctype in body["content"]:
                if ctype != "application/json":
                    add(opath + ("requestBody", "content", ctype), f"request body type {ctype!r} is not supported",
                        "openapi.content-type",
                        hint="use application/json, the only request body type Bedrock sends", key=True)
        for i, param in enumerate(op.get("parameters") or [] if isinstance(op.get("parameters"), list) else []):
            if not isinstance(param, dict) or not isinstance(param.get("schema"), dict):
                continue
            t = param["schema"].get("type")
            if t is not None and t not in parameter_types():
                add(opath + ("parameters", i, "schema", "type"), f"parameter type {t!r} is not supported",
                    "openapi.parameter-type", hint=f"use one of: {', '.join(parameter_types())}")
    for path in _enums(value, ()):
        add(path, "`enum` is not supported by Bedrock action groups", "openapi.enum-unsupported",
            hint="list the allowed values in the description instead", severity="warning", key=True)
    return out


def _content_key(value: Any) -> str:
    """The document's content, canonically (key order and YAML formatting do not matter; a
    non-JSON scalar keeps its type in the key, so two documents share a key only when the
    validator would see the same values)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"),
                      default=lambda o: f"<{type(o).__name__}:{o!r}>")


@functools.lru_cache(maxsize=512)
def _validator_errors(key: str, value_ref: "_Ref") -> tuple[tuple[tuple[Any, ...], str], ...] | str:
    """(path, message) of every OpenAPI 3.0 error of the document whose content is ``key``, or
    the text of the validator's own failure. Cached per content: a fleet of agents sharing one
    OpenAPI file validates it once (it was half of ``validate``'s time for 200 specs)."""
    from openapi_spec_validator import OpenAPIV30SpecValidator

    try:
        errors = list(OpenAPIV30SpecValidator(value_ref.value).iter_errors())
    except Exception as e:  # noqa: BLE001 - a broken document must become a problem, not a crash
        return str(e)
    return tuple((tuple(getattr(err, "absolute_path", ()) or ()), err.message) for err in errors)


class _Ref:
    """Carries the document into the cached function without being part of its key."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Ref)


def _spec_validator(doc: OpenApiDoc, prefix: PathT) -> list[Problem]:
    out = []
    errors = _validator_errors(_content_key(doc.value), _Ref(doc.value))
    if isinstance(errors, str):
        return [Problem(doc.positions.value(()), render_path(prefix),
                        f"invalid OpenAPI document: {errors}", "openapi.invalid")]
    for path, message in errors:
        if "does not match any of the regexes: '^\\\\/'" in message or "'^\\/'" in message:
            continue  # a path without a leading "/": reported by ``validate`` itself
        if path == ("openapi",):
            continue  # the version: reported by ``validate`` itself
        if len(message) > 300:
            message = message[:297] + "..."
        out.append(Problem(doc.positions.value(path), render_path(prefix + path),
                           f"invalid OpenAPI 3.0: {message}", "openapi.invalid"))
    return out


def _external_refs(value: Any, path: PathT) -> Iterator[tuple[PathT, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "$ref" and isinstance(v, str) and not v.startswith("#"):
                yield path + (k,), v
            else:
                yield from _external_refs(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _external_refs(v, path + (i,))


def _enums(value: Any, path: PathT) -> Iterator[PathT]:
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "enum" and isinstance(v, list) and path and path[-1] != "properties":
                yield path + (k,)
            else:
                yield from _enums(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _enums(v, path + (i,))
