"""The event-stream encoder, checked with botocore's own parser: what boto3 yields from
``response["completion"]`` for our bytes is exactly the value we encoded."""

from __future__ import annotations

import datetime as dt

import botocore.session
import pytest
from botocore.eventstream import ChecksumMismatch, EventStream, EventStreamBuffer
from botocore.exceptions import EventStreamError
from botocore.parsers import EventStreamJSONParser

from agentctl.emulator.runtime import eventstream


class _Raw:
    def __init__(self, data: bytes):
        self.data = data

    def stream(self):
        # Split at odd places: the parser must reassemble messages across reads.
        for i in range(0, len(self.data), 7):
            yield self.data[i:i + 7]

    def close(self):
        pass


def _stream(data: bytes) -> EventStream:
    model = botocore.session.get_session().get_service_model("bedrock-agent-runtime")
    shape = model.operation_model("InvokeAgent").output_shape.members["completion"]
    return EventStream(_Raw(data), shape, EventStreamJSONParser(), "InvokeAgent")


def _parse(data: bytes) -> list[dict]:
    return list(_stream(data))


def test_chunk_trace_and_return_control_round_trip():
    when = 1_770_000_000.25
    data = b"".join([
        eventstream.event("trace", {"agentId": "AGENT12345", "sessionId": "s-1", "eventTime": when,
                                    "trace": {"orchestrationTrace": {"rationale": {"traceId": "ab-0", "text": "why"}}}}),
        eventstream.event("returnControl", {"invocationId": "inv-1", "invocationInputs": [{"functionInvocationInput": {
            "actionGroup": "G", "function": "f", "parameters": [{"name": "x", "type": "integer", "value": "5"}]}}]}),
        eventstream.event("chunk", {"bytes": "Grüße ✓".encode("utf-8"), "attribution": {"citations": [
            {"retrievedReferences": [{"content": {"text": "t"}, "location": {"type": "CUSTOM",
                                                                             "customDocumentLocation": {"id": "a.md"}}}]}]}}),
    ])
    trace, roc, chunk = _parse(data)
    assert trace["trace"]["eventTime"] == dt.datetime.fromtimestamp(when, dt.timezone.utc)
    assert trace["trace"]["trace"] == {"orchestrationTrace": {"rationale": {"traceId": "ab-0", "text": "why"}}}
    assert roc["returnControl"]["invocationInputs"][0]["functionInvocationInput"]["parameters"][0]["value"] == "5"
    assert chunk["chunk"]["bytes"].decode("utf-8") == "Grüße ✓"
    assert chunk["chunk"]["attribution"]["citations"][0]["retrievedReferences"][0]["location"]["type"] == "CUSTOM"


def test_in_stream_exception_raises_the_modelled_error():
    data = eventstream.event("chunk", {"bytes": b"partial"}) + eventstream.exception(
        "dependencyFailedException", "Lambda failed", resourceName="arn:aws:lambda:x")
    events = []
    with pytest.raises(EventStreamError) as err:
        for e in _stream(data):
            events.append(e)
    assert events == [{"chunk": {"bytes": b"partial"}}]
    assert err.value.response["Error"] == {"Code": "dependencyFailedException", "Message": "Lambda failed"}


def test_messages_carry_real_crcs():
    data = bytearray(eventstream.event("chunk", {"bytes": b"hello"}))
    data[-6] ^= 0xFF   # flip a payload byte: the message CRC no longer matches
    buf = EventStreamBuffer()
    buf.add_data(bytes(data))
    with pytest.raises(ChecksumMismatch):
        list(buf)


def test_headers_name_the_event():
    buf = EventStreamBuffer()
    buf.add_data(eventstream.event("chunk", {"bytes": b"x"}))
    (msg,) = list(buf)
    assert msg.headers == {":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"}


def test_unknown_member_is_refused():
    with pytest.raises(ValueError):
        eventstream.event("nonsense", {})
