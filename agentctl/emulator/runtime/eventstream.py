"""The ``application/vnd.amazon.eventstream`` encoding of InvokeAgent's ``completion`` stream.

Each event is one binary message: a 12-byte prelude (total length, headers length, CRC32 of those
8 bytes), the headers, the payload and a CRC32 of everything before it, all big-endian. Events
carry ``:message-type: event``, ``:event-type: <member of ResponseStream>`` (``chunk``, ``trace``,
``returnControl``, ``files``) and ``:content-type: application/json``; errors raised after the
stream started carry ``:message-type: exception`` and ``:exception-type: <member>``
(``dependencyFailedException``, ``throttlingException``, ...). The JSON payload is the member's
shape serialized the way the rest-json protocol does (blobs base64, timestamps per the shape's
format), so botocore's own ``EventStream`` parser yields exactly the dicts AWS's stream would.

Pure: no I/O. Must not: know Bedrock semantics (which events to send is the orchestrator's job).
"""

from __future__ import annotations

import binascii
import json
import struct
from typing import Any, Mapping

from agentctl.core import servicemodel
from agentctl.emulator.transports import wire

SERVICE = "bedrock-agent-runtime"
CONTENT_TYPE = "application/vnd.amazon.eventstream"
_STRING_HEADER = 7


def _headers(items: Mapping[str, str]) -> bytes:
    out = bytearray()
    for name, value in items.items():
        raw_name, raw_value = name.encode("utf-8"), value.encode("utf-8")
        out += struct.pack(">B", len(raw_name)) + raw_name
        out += struct.pack(">BH", _STRING_HEADER, len(raw_value)) + raw_value
    return bytes(out)


def message(headers: Mapping[str, str], payload: bytes) -> bytes:
    """One event-stream message (prelude, headers, payload, CRCs)."""
    head = _headers(headers)
    total = 12 + len(head) + len(payload) + 4
    prelude = struct.pack(">II", total, len(head))
    prelude += struct.pack(">I", binascii.crc32(prelude) & 0xFFFFFFFF)
    body = prelude + head + payload
    return body + struct.pack(">I", binascii.crc32(body) & 0xFFFFFFFF)


def _member_shape(member: str) -> Any:
    stream = servicemodel.service_model(SERVICE).shape_for("ResponseStream")
    try:
        return stream.members[member]
    except KeyError:
        raise ValueError(f"ResponseStream has no member {member!r}") from None


def event(member: str, value: Mapping[str, Any]) -> bytes:
    """An event of the ``completion`` stream: ``member`` is ``chunk``, ``trace``, ... and
    ``value`` the member's structure as plain data (bytes for blobs, epoch floats for times)."""
    shape = _member_shape(member)
    payload = json.dumps(wire.to_wire(shape, value), separators=(",", ":"),
                         ensure_ascii=False).encode("utf-8")
    return message({":event-type": member, ":content-type": "application/json",
                    ":message-type": "event"}, payload)


def exception(member: str, message_text: str, **extra: str) -> bytes:
    """An in-stream error (``dependencyFailedException``, ``throttlingException``, ...): what
    AWS sends when a failure happens after the response started streaming."""
    _member_shape(member)  # only modelled error members
    payload = json.dumps({"message": message_text, **extra}, separators=(",", ":"),
                         ensure_ascii=False).encode("utf-8")
    return message({":exception-type": member, ":content-type": "application/json",
                    ":message-type": "exception"}, payload)


def error_member(code: str) -> str:
    """``ThrottlingException`` -> ``throttlingException`` (the stream member of that error)."""
    return code[:1].lower() + code[1:]
