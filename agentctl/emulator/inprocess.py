"""The in-process transport: a botocore ``before-send`` hook that answers from the emulator.

Registered on a bedrock-agent client's own event system (``before-send.bedrock-agent``, as moto
does), it receives the fully prepared (serialized, signed) request, hands method, path, headers
and body to ``Emulator.handle_http`` and returns a ``botocore.awsrequest.AWSResponse``. Returning
a response from ``before-send`` makes botocore skip the network send only: its parameter
validation, serializer, response parser, error mapping and **retry handler** all run unchanged,
so throttling / 500 faults go through the SDK's real retry path.

Must not: touch the network, change the client's configuration (retries included), or parse
requests itself.
"""

from __future__ import annotations

from typing import Any, Iterator, Protocol
from urllib.parse import urlsplit

from botocore.awsrequest import AWSResponse

from agentctl.errors import UsageError

EVENT = "before-send.bedrock-agent"
_UNIQUE_ID = "agentctl-emulator-inprocess"


class _Handler(Protocol):
    def handle_http(self, method: str, path_and_query: str, headers: Any, body: bytes, *,
                    transport: str = ...) -> tuple[int, dict[str, str], bytes]: ...


class _RawBody:
    """The ``raw`` object AWSResponse reads its content from (``stream()``)."""

    def __init__(self, data: bytes):
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


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
    """Route every request of ``client`` (a boto3/botocore bedrock-agent client) to ``emulator``."""
    service = getattr(getattr(client, "meta", None), "service_model", None)
    if service is None or service.service_name != "bedrock-agent":
        name = getattr(service, "service_name", type(client).__name__)
        raise UsageError(f"the emulator serves the bedrock-agent API, not {name!r}",
                         hint='pass a client made with boto3.client("bedrock-agent")')

    def before_send(request: Any, **_: Any) -> AWSResponse:
        parts = urlsplit(request.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {str(k): _header_text(v) for k, v in request.headers.items()}
        status, out_headers, data = emulator.handle_http(request.method, target, headers,
                                                         _body_bytes(request.body), transport="inprocess")
        return AWSResponse(request.url, status, out_headers, _RawBody(data))

    # One emulator per client: re-attaching replaces the previous hook instead of stacking a second.
    client.meta.events.unregister(EVENT, unique_id=_UNIQUE_ID)
    client.meta.events.register(EVENT, before_send, unique_id=_UNIQUE_ID)
    return client
