"""The ``bedrock-agent-runtime`` client: built by the same factory as the control plane, and the
one place InvokeAgent is called and its event stream read.

- ``make_runtime_client(environment, clients)``: target ``aws`` -> a real client from the
  environment's profile and region (botocore standard retries; a long read timeout, because the
  stream stays open while the agent thinks); target ``local`` -> a client on the environment's
  endpoint (``endpoint:``, ``AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME``, or the control plane's
  endpoint: ``agentctl emulator serve`` answers both APIs on one port), else a client attached
  to the embedded emulator of ``clients`` (the same in-process transport as the control plane).
- ``invoke(client, params)``: one InvokeAgent call, yielding the response headers' session and
  memory ids first, then every event dict of ``completion`` as boto3 parses it. botocore errors
  (before the stream, and exception events inside it) become ``AwsError``.

Must not: decide what to send (``agentctl.runtime.session`` does), print, or log request
bodies (the input text and session attributes are user data).
"""

from __future__ import annotations

import os
from typing import Any, Iterator, Mapping

import botocore.exceptions
from botocore.config import Config

from agentctl.aws import client as aws
from agentctl.errors import AwsError, UsageError

SERVICE = "bedrock-agent-runtime"
ENDPOINT_ENV = "AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME"

_HINTS = {
    "ResourceNotFoundException": "the agent or alias does not exist on the target (deleted "
                                 "outside agentctl?); `agentctl status` lists what is deployed",
    "DependencyFailedException": "a dependency of the agent failed (an action group's Lambda or a "
                                 "knowledge base); the trace (--trace) shows which step",
    "ConflictException": "the agent or alias is being changed (preparing, versioning); retry when "
                         "`agentctl status` shows it settled",
    "ValidationException": "the request was refused; check the alias (is the DRAFT prepared, is "
                           "the alias accepting invocations?) and the session/memory ids",
    "ThrottlingException": "the InvokeAgent rate limit was hit; retry later",
    "ServiceQuotaExceededException": "a runtime quota was reached; retry later or request more",
    "ModelNotReadyException": "the foundation model is not ready yet; retry in a moment",
    "AccessDeniedException": "the credentials may not invoke this agent (bedrock:InvokeAgent)",
}


def make_runtime_client(environment: Any, clients: aws.Clients) -> Any:
    """A boto3 ``bedrock-agent-runtime`` client for ``environment`` (see the module doc)."""
    import boto3  # local import: keep `agentctl --help` fast

    if environment.target == "aws":
        session = boto3.Session(profile_name=environment.profile or None,
                                region_name=environment.region)
        config = Config(retries={"mode": "standard", "max_attempts": 3}, read_timeout=300,
                        user_agent_extra="agentctl")
        return session.client(SERVICE, endpoint_url=os.environ.get(ENDPOINT_ENV) or None,
                              config=config)
    config = Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=300)
    endpoint = (getattr(environment, "endpoint", None) or os.environ.get(ENDPOINT_ENV)
                or os.environ.get(aws.ENDPOINT_ENV))
    if endpoint or clients.emulator is None:
        if not endpoint:
            raise UsageError("no endpoint for the local target's runtime API",
                             hint="set endpoint: in agentctl.yaml, or start `agentctl emulator "
                                  "serve` and set " + ENDPOINT_ENV)
        try:
            return boto3.client(SERVICE, region_name=environment.region, endpoint_url=endpoint,
                                aws_access_key_id="agentctl", aws_secret_access_key="agentctl",
                                config=config)
        except ValueError as e:
            raise UsageError(f"endpoint {endpoint!r} is not usable: {e}",
                             hint="use a URL such as http://127.0.0.1:4599") from None
    client = boto3.client(SERVICE, region_name=environment.region,
                          aws_access_key_id="agentctl", aws_secret_access_key="agentctl",
                          config=config)
    try:
        clients.emulator.attach(client)
    except UsageError:
        # An emulator that serves only the control plane: say what is missing, not how it broke.
        raise UsageError("this version of the local emulator does not answer InvokeAgent",
                         hint="run agents against AWS (-e ENV with target: aws) or update "
                              "agentctl") from None
    return client


def translate(e: botocore.exceptions.ClientError, *, where: str | None = None) -> AwsError:
    err = aws.translate(e, "InvokeAgent", where=where)
    hint = _HINTS.get(err.code, err.hint)
    return AwsError("InvokeAgent", err.code, err.aws_message, where=where, hint=hint)


def invoke(client: Any, params: Mapping[str, Any], *,
           where: str | None = None) -> Iterator[tuple[str, Any]]:
    """One InvokeAgent call. Yields ``("headers", {"sessionId", "memoryId", "contentType"})``
    first, then ``("event", event_dict)`` for each event of the stream, in order. Closing the
    generator (Ctrl-C, an error of the caller) closes the HTTP stream."""
    try:
        response = client.invoke_agent(**params)
    except botocore.exceptions.ParamValidationError as e:
        raise UsageError(f"InvokeAgent request is invalid: {e}", where=where) from None
    except botocore.exceptions.ClientError as e:
        raise translate(e, where=where) from None
    except (botocore.exceptions.EndpointConnectionError,
            botocore.exceptions.ConnectionClosedError,
            botocore.exceptions.ReadTimeoutError) as e:
        raise AwsError("InvokeAgent", type(e).__name__, str(e), where=where,
                       hint="check the endpoint / network (is `agentctl emulator serve` "
                            "running?)") from None
    yield "headers", {k: response.get(k) for k in ("sessionId", "memoryId", "contentType")}
    stream = response.get("completion")
    if stream is None:
        return
    try:
        for event in stream:
            yield "event", event
    except botocore.exceptions.ClientError as e:
        # EventStreamError (a ClientError): an exception event after the stream began (§10.2).
        raise translate(e, where=where) from None
    except (botocore.exceptions.ReadTimeoutError,
            botocore.exceptions.ConnectionClosedError,
            botocore.exceptions.ResponseStreamingError) as e:
        raise AwsError("InvokeAgent", type(e).__name__, f"the response stream broke: {e}",
                       where=where, hint="retry; the session id keeps the conversation") from None
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
