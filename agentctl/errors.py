"""One error hierarchy for everything a user can cause or meet.

Each error says *where* (file:line:col, a resource address, an AWS operation), *what* went wrong
and *what to do next*. The CLI's single error boundary (``agentctl.cli``) turns these into a
message on stderr and the error's exit code; only ``--debug`` shows a traceback. Code below the
CLI raises these and never prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agentctl.exitcodes import ExitCode


@dataclass(frozen=True)
class Location:
    """A position in a source file. ``line``/``col`` are 1-based; 0 means unknown."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.col or 1}"
        return self.file


class AgentctlError(Exception):
    """Base class. ``where`` / ``what`` / ``hint`` make the message; ``exit_code`` the status."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, what: str, *, where: str | Location | None = None, hint: str | None = None):
        self.what = what
        self.where = str(where) if where is not None else None
        self.hint = hint
        super().__init__(self.message())

    def message(self) -> str:
        head = f"{self.where}: {self.what}" if self.where else self.what
        return f"{head}\n  hint: {self.hint}" if self.hint else head


class UsageError(AgentctlError):
    exit_code = ExitCode.USAGE


class ProjectError(AgentctlError):
    """The project cannot be found or its agentctl.yaml / environment is unusable."""

    exit_code = ExitCode.INVALID_SPEC


@dataclass(frozen=True)
class Problem:
    """One validation finding. ``severity`` is "error", "warning" (an error with ``--strict``) or
    "note" (a check validation did not make, and why; never an error)."""

    location: Location
    path: str
    """JSON-pointer-like path inside the document, e.g. ``actionGroups[0].functions[1].name``."""
    message: str
    code: str
    """Stable machine-readable kind, e.g. ``yaml.duplicate-key``, ``schema.unknown-key``."""
    hint: str | None = None
    severity: str = "error"

    def render(self) -> str:
        path = f" [{self.path}]" if self.path else ""
        text = f"{self.location}: {self.severity}: {self.message}{path} ({self.code})"
        return f"{text}\n  hint: {self.hint}" if self.hint else text


class SpecInvalid(AgentctlError):
    """One or more validation problems; carries all of them so every one is reported at once."""

    exit_code = ExitCode.INVALID_SPEC

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        super().__init__(
            f"{len(errors)} problem(s) in the spec",
            hint="fix the problems listed above, then run `agentctl validate` again",
        )


class AwsError(AgentctlError):
    """An AWS (or local target) API call failed after retries."""

    def __init__(self, operation: str, code: str, message: str, *, where: str | None = None,
                 hint: str | None = None):
        self.operation = operation
        self.code = code
        self.aws_message = message
        self.maybe_committed = False
        """An earlier attempt of this call may have taken effect: it was answered with a 5xx or
        lost its connection after the request was sent (``agentctl.aws.client.call``)."""
        super().__init__(f"{operation} failed: {code}: {message}", where=where, hint=hint)


class HandlerError(AgentctlError):
    """A return-of-control handler (``executor.handler`` of a spec, an eval preset, the terminal
    prompt) could not produce a result: missing, raised, wrong shape, or refused outright."""

    exit_code = ExitCode.HANDLER_FAILED


class EndpointError(AwsError):
    """The endpoint did not do what the API promises (a status the API does not document as an
    outcome of the call, no version cut where one must be, an alias routed elsewhere): the
    endpoint's fault, not the spec's, and said so."""

    def __init__(self, what: str, *, where: str | None = None, operation: str = "",
                 target: object = None):
        endpoint = getattr(target, "endpoint", None) or getattr(target, "kind", None) or "the target"
        self.what_happened = what
        super().__init__(operation or "endpoint check", "UnexpectedEndpointBehaviour", what,
                         where=where,
                         hint=f"this is a problem of the endpoint ({endpoint}), not of the spec: "
                              "the API documents another outcome; check which service the "
                              "target's endpoint points at, and report it to its maintainers if "
                              "it claims to implement the Bedrock Agents API")


class StalePlan(AgentctlError):
    exit_code = ExitCode.STALE_PLAN


class NotOwned(AgentctlError):
    exit_code = ExitCode.NOT_OWNED


class LockTimeout(AgentctlError):
    exit_code = ExitCode.LOCK_TIMEOUT


class Aborted(AgentctlError):
    """The user declined the confirmation prompt (no, end of input, or Ctrl-C at the prompt)."""

    exit_code = ExitCode.ABORTED


class Interrupted(AgentctlError):
    """A signal (Ctrl-C = SIGINT, or SIGTERM) stopped a command before it finished, outside the
    executor's steps (those report completed / in flight / not run through ``PartialApply``)."""

    exit_code = ExitCode.INTERRUPTED


class MoveIncomplete(AgentctlError):
    """promote / rollback: the alias update was accepted, then the wait for it failed; the
    message says what was done and what is unknown."""

    exit_code = ExitCode.APPLY_FAILED


@dataclass
class PartialApply(AgentctlError):
    """Apply stopped part-way. ``completed``, ``in_flight`` and ``remaining`` are step
    descriptions; ``exit_code`` is INTERRUPTED when an interruption stopped it."""

    cause: str
    completed: list[str] = field(default_factory=list)
    remaining: list[str] = field(default_factory=list)
    exit_code: ExitCode = ExitCode.APPLY_FAILED
    in_flight: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        flight = (f", {len(self.in_flight)} in flight ({'; '.join(self.in_flight)})"
                  if self.in_flight else "")
        AgentctlError.__init__(
            self,
            self.cause,
            hint=(
                f"{len(self.completed)} step(s) completed{flight}, {len(self.remaining)} not "
                "run; the plan is safe to re-run: `agentctl plan` shows what remains"
            ),
        )
