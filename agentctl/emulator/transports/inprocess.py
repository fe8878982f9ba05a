"""The in-process transport: a botocore ``before-send`` hook that answers from the emulator.

Registered on a bedrock-agent or bedrock-agent-runtime client's own event system
(``before-send.bedrock-agent`` / ``before-send.bedrock-agent-runtime``, as moto does), it receives the fully prepared (serialized, signed) request, hands method, path, headers
and body to ``Emulator.handle_http`` and returns a ``botocore.awsrequest.AWSResponse``. Returning
a response from ``before-send`` makes botocore skip the network send only: its parameter
validation, serializer, response parser, error mapping and **retry handler** all run unchanged,
so throttling / 500 faults go through the SDK's real retry path. An InvokeAgent answer is a real
event stream: the emulator's messages are collected (the whole turn runs before the call
returns) and botocore's own ``EventStream`` parses them when ``completion`` is iterated.

Must not: touch the network, change the client's configuration (retries included), or parse
requests itself.
"""

from __future__ import annotations

from typing import Any, Iterator, Protocol
from urllib.parse import urlsplit

from botocore.awsrequest import AWSResponse

from agentctl.emulator.errors import AnswerLost
from agentctl.errors import UsageError

SERVICES = ("bedrock-agent", "bedrock-agent-runtime")
EVENT = "before-send.bedrock-agent"
_UNIQUE_ID = "agentctl-emulator-inprocess"


class _Handler(Protocol):
    def handle_http(self, method: str, path_and_query: str, headers: Any, body: bytes, *,
                    transport: str = ..., service: str | None = ...) -> tuple[int, dict[str, str], Any]: ...


class _RawBody:
    """The ``raw`` object AWSResponse reads its content from (``stream()``); botocore's
    EventStream reads event-stream bodies from it too, and closes it."""

    def __init__(self, data: bytes | list[bytes]):
        self._parts = [data] if isinstance(data, bytes) else list(data)

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield from self._parts

    def close(self) -> None:
        self._parts = []


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        if hasattr(body, "seek"):
            body.seek(0)   # a retry re-sends the same prepared request
        return data if isinstance(data, bytes) else str(data).encode("utf-8")
    return bytes(body)


def _header_text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def attach(client: Any, emulator: _Handler) -> Any:
    """Route every request of ``client`` (a boto3/botocore bedrock-agent or bedrock-agent-runtime
    client) to ``emulator``."""
    service = getattr(getattr(client, "meta", None), "service_model", None)
    if service is None or service.service_name not in SERVICES:
        name = getattr(service, "service_name", type(client).__name__)
        raise UsageError(f"the emulator serves the bedrock-agent and bedrock-agent-runtime APIs, not {name!r}",
                         hint='pass a client made with boto3.client("bedrock-agent") or '
                              'boto3.client("bedrock-agent-runtime")')
    name = service.service_name
    event = f"before-send.{name}"

    def before_send(request: Any, **_: Any) -> AWSResponse:
        parts = urlsplit(request.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {str(k): _header_text(v) for k, v in request.headers.items()}
        try:
            status, out_headers, data = emulator.handle_http(request.method, target, headers,
                                                             _body_bytes(request.body),
                                                             transport="inprocess", service=name)
        except AnswerLost:
            # Fault injection: the change committed, the connection drops before the answer.
            # botocore's retry handler treats this exception like a real dropped connection.
            from botocore.exceptions import ConnectionClosedError

            raise ConnectionClosedError(endpoint_url=request.url) from None
        return AWSResponse(request.url, status, out_headers, _RawBody(data))

    # One emulator per client: re-attaching replaces the previous hook instead of stacking a second.
    client.meta.events.unregister(event, unique_id=_UNIQUE_ID)
    client.meta.events.register(event, before_send, unique_id=_UNIQUE_ID)
    return client
