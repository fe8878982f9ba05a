"""REST-JSON on the wire, driven by botocore's service model: routing, request parsing, response
and error serialization.

Routing: every operation's ``http.method`` + ``http.requestUri`` template from the model (labels
like ``{agentId}``, greedy ``{name+}``, trailing slashes exactly as modelled, static query keys)
becomes a matcher; when several match, the one with the most literal characters wins (``PUT
/agents/`` is CreateAgent, ``PUT /agents/X/`` UpdateAgent).

Parsing: URI labels, ``querystring`` and ``header`` members are read per the input shape and
coerced to the member's type; everything else comes from the JSON body. Serialization: header /
status-code members of the output shape go to headers / status, the rest to a JSON body with
timestamps in the shape's format (ISO-8601 for bedrock-agent's DateTimestamp). Errors become
``x-amzn-errortype`` + ``{"message": ...}`` with the HTTP status of the modelled error shape.

Must not: know Bedrock semantics (that is ``control/``) or verify signatures (accepted as sent).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import parse_qs, unquote, urlsplit

from botocore.model import OperationModel, Shape

from agentctl.core import servicemodel
from agentctl.emulator.errors import UNMODELLED_STATUS, ServiceError

Response = tuple[int, dict[str, str], bytes]


@dataclass(frozen=True)
class Route:
    operation: str
    method: str
    regex: re.Pattern[str]
    labels: tuple[str, ...]
    static_query: tuple[str, ...]
    literal_chars: int


@functools.lru_cache(maxsize=2)
def routes(service: str = servicemodel.SERVICE) -> tuple[Route, ...]:
    model = servicemodel.service_model(service)
    out = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri = http["requestUri"]
        path, _, query = uri.partition("?")
        labels: list[str] = []
        pattern = ""
        literal = 0
        for piece in re.split(r"(\{[^}]+\})", path):
            if piece.startswith("{") and piece.endswith("}"):
                label = piece[1:-1]
                greedy = label.endswith("+")
                labels.append(label.rstrip("+"))
                pattern += "(.+)" if greedy else "([^/]+)"
            else:
                pattern += re.escape(piece)
                literal += len(piece)
        static = tuple(k for k in (q.split("=")[0] for q in query.split("&")) if k)
        out.append(Route(name, http["method"].upper(), re.compile(pattern + r"\Z"), tuple(labels),
                         static, literal))
    # Most specific first: more literal characters, then fewer labels.
    return tuple(sorted(out, key=lambda r: (-r.literal_chars, len(r.labels))))


def match(method: str, path: str, query: Mapping[str, list[str]],
          service: str = servicemodel.SERVICE) -> tuple[str, dict[str, str]] | None:
    """(operation, URI labels) for a request, or None. ``path`` is still percent-encoded, so a
    label value containing an encoded ``/`` (an ARN in ``/tags/{resourceArn}``) stays one label."""
    for candidate in (path, path[:-1] if path.endswith("/") else path + "/"):
        for r in routes(service):
            if r.method != method.upper() or any(k not in query for k in r.static_query):
                continue
            m = r.regex.match(candidate)
            if m:
                return r.operation, {name: unquote(v) for name, v in zip(r.labels, m.groups())}
    return None


def split_target(path_and_query: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(path_and_query)
    return parts.path or "/", parse_qs(parts.query, keep_blank_values=True)


# ----------------------------------------------------------------------------------------------
# Requests
# ----------------------------------------------------------------------------------------------

def parse_request(op: OperationModel, labels: Mapping[str, str], query: Mapping[str, list[str]],
                  headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    shape = op.input_shape
    if shape is None:
        return {}
    lower_headers = {k.lower(): v for k, v in headers.items()}
    params: dict[str, Any] = {}
    body_doc: Any = None
    payload = shape.serialization.get("payload")
    if body:
        try:
            body_doc = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ServiceError("SerializationException", f"Request body is not valid JSON: {exc}") from None
    for name, member in shape.members.items():
        loc = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if loc == "uri":
            if wire_name in labels:
                params[name] = _coerce(member, labels[wire_name])
        elif loc == "querystring":
            if member.type_name == "list":
                if wire_name in query:
                    params[name] = [_coerce(member.member, v) for v in query[wire_name]]  # type: ignore[attr-defined]
            elif wire_name in query:
                params[name] = _coerce(member, query[wire_name][0])
        elif loc == "header":
            if wire_name.lower() in lower_headers:
                params[name] = _coerce(member, lower_headers[wire_name.lower()])
        elif payload == name:
            if body_doc is not None:
                params[name] = body_doc
        elif isinstance(body_doc, dict) and wire_name in body_doc:
            params[name] = body_doc[wire_name]
    return params


def _coerce(shape: Shape, raw: str) -> Any:
    """Text from a URI/query/header to the member's type; left as text when it does not parse, so
    validation reports the type error the way the service would."""
    t = shape.type_name
    if t == "boolean":
        return {"true": True, "false": False}.get(raw.lower(), raw)
    if t in ("integer", "long"):
        try:
            return int(raw)
        except ValueError:
            return raw
    if t in ("float", "double"):
        try:
            return float(raw)
        except ValueError:
            return raw
    return raw


# ----------------------------------------------------------------------------------------------
# Responses
# ----------------------------------------------------------------------------------------------

def _base_headers() -> dict[str, str]:
    return {"x-amzn-requestid": str(uuid.uuid4()), "content-type": "application/json"}


def serialize_response(op: OperationModel, result: Mapping[str, Any]) -> Response:
    status = int(op.http.get("responseCode", 200))
    headers = _base_headers()
    shape = op.output_shape
    if shape is None:
        return status, headers, b"" if status == 204 else b"{}"
    body: dict[str, Any] = {}
    payload_name = shape.serialization.get("payload")
    payload_value: Any = None
    for name, member in shape.members.items():
        if result.get(name) is None:
            continue
        loc = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        value = result[name]
        if loc == "header":
            headers[wire_name.lower()] = _header_value(member, value)
        elif loc == "statusCode":
            status = int(value)
        elif name == payload_name:
            payload_value = _to_wire(member, value)
        else:
            body[wire_name] = _to_wire(member, value)
    if status == 204:
        return status, headers, b""
    data = payload_value if payload_name else body
    return status, headers, json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def serialize_error(err: ServiceError, service: str = servicemodel.SERVICE) -> Response:
    status = UNMODELLED_STATUS.get(err.code)
    if status is None:
        try:
            meta = servicemodel.service_model(service).shape_for(err.code).metadata
            status = int(meta.get("error", {}).get("httpStatusCode", 400))
        except Exception:  # noqa: BLE001 - an unmodelled code: 400 like any client error
            status = 400
    headers = _base_headers()
    headers["x-amzn-errortype"] = err.code
    return status, headers, json.dumps(err.body(), separators=(",", ":")).encode("utf-8")


def _to_wire(shape: Shape, value: Any) -> Any:
    t = shape.type_name
    if value is None:
        return None
    if t == "structure" and shape.metadata.get("document"):
        return value   # free-form JSON document (additionalModelRequestFields): as stored
    if t == "structure":
        out = {}
        for name, member in shape.members.items():  # type: ignore[attr-defined]
            if isinstance(value, Mapping) and value.get(name) is not None:
                out[member.serialization.get("name", name)] = _to_wire(member, value[name])
        return out
    if t == "list":
        return [_to_wire(shape.member, v) for v in value]  # type: ignore[attr-defined]
    if t == "map":
        return {k: _to_wire(shape.value, v) for k, v in value.items()}  # type: ignore[attr-defined]
    if t == "timestamp":
        return _timestamp(value, shape.serialization.get("timestampFormat", "unixTimestamp"))
    if t == "blob":
        return value if isinstance(value, str) else base64.b64encode(value).decode()
    return value


to_wire = _to_wire
"""A value of ``shape`` as it appears in a JSON body (also used for event-stream payloads)."""


def _timestamp(value: Any, fmt: str) -> Any:
    when = value if isinstance(value, dt.datetime) else dt.datetime.fromtimestamp(float(value), dt.timezone.utc)
    if fmt == "iso8601":
        return when.astimezone(dt.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")
    return when.timestamp()


def _header_value(shape: Shape, value: Any) -> str:
    if shape.type_name == "boolean":
        return "true" if value else "false"
    if shape.type_name == "timestamp":
        return str(_timestamp(value, shape.serialization.get("timestampFormat", "iso8601")))
    return str(value)
