"""Service errors the emulator answers with, as the real bedrock-agent control plane would.

These are *wire* errors: ``transports/wire.py`` turns them into REST-JSON error responses
(``x-amzn-errortype`` header, ``{"message": ...}`` body, HTTP status from the model's error shape),
which botocore then parses into ``ClientError`` exactly as it does for AWS. They never reach an
agentctl user as Python exceptions, so they are deliberately not ``AgentctlError`` subclasses.

Message texts that service-behaviour.md quotes verbatim are reproduced verbatim where they are
raised (``control/``); this module only carries code + message.
"""

from __future__ import annotations

from typing import Any

# The text AWS returns for an unknown agent/alias/action group/... (service-behaviour.md §8).
NOT_FOUND_TEXT = ("Failed to retrieve resource because it doesn't exist. "
                  "Retry the request with a different resource identifier.")


class ServiceError(Exception):
    """An error response of the emulated service: ``code`` is the modelled exception name."""

    def __init__(self, code: str, message: str, *, field_list: list[dict[str, str]] | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.field_list = field_list

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message}
        if self.field_list:
            out["fieldList"] = self.field_list
        return out


def validation(message: str, field_list: list[dict[str, str]] | None = None) -> ServiceError:
    return ServiceError("ValidationException", message, field_list=field_list)


def conflict(message: str) -> ServiceError:
    return ServiceError("ConflictException", message)


def not_found(message: str = NOT_FOUND_TEXT) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message)


def quota(message: str) -> ServiceError:
    return ServiceError("ServiceQuotaExceededException", message)


def throttling(message: str = "Rate exceeded") -> ServiceError:
    return ServiceError("ThrottlingException", message)


def internal(message: str = "Internal server error. Retry your request.") -> ServiceError:
    return ServiceError("InternalServerException", message)


# Errors of the emulator's HTTP front itself (no modelled shape): code -> HTTP status.
UNMODELLED_STATUS = {
    "UnknownOperationException": 404,
    "SerializationException": 400,
    "NotImplementedException": 501,
}


class AnswerLost(Exception):
    """Not a service error: the operation committed and its answer must be lost on the way back
    (``faults: error_after_commit: {answer: connection}``). The transports close the connection
    without a response (the in-process one raises botocore's ConnectionClosedError)."""
