"""AWS access: the one module that builds boto3 clients for Bedrock (the emulator package aside).

What it does:
- ``make_clients(environment)`` builds a real boto3 ``bedrock-agent`` client for an environment:
  target ``aws`` -> a boto3 Session (profile, region) with botocore's *standard* retry mode;
  target ``local`` -> a plain client on ``environment.endpoint`` / ``AWS_ENDPOINT_URL_BEDROCK_AGENT``
  with dummy credentials, or else a client with the **embedded** emulator attached to it (the same
  boto3 code path either way: serializers, validation and parsers all run).
- ``call`` runs one operation with error translation (botocore ``ClientError`` -> ``AwsError``
  naming the operation, the code, AWS's message and a hint; a wire body such as a proxy's HTML
  page is summarized, never printed). Retries are not doubled: botocore's *standard* retry
  mode owns throttling, 5xx and connection errors on every target (on the local target with a
  backoff scaled to the emulator); ``call``'s own loop retries only what botocore cannot know,
  the state refusals of service-behaviour.md §2.3 (wait for the agent to reach a stable status,
  then retry) and the UpdateAgent OptLock refusal, with capped exponential backoff and full
  jitter. **Answers lost after the commit**: a 5xx, or a connection dropped after the request
  was sent, may come from a call that *did* take effect; ``call`` marks the error it finally
  raises ``maybe_committed`` (the executor then counts a repeated delete's
  ResourceNotFoundException as done and adopts what a repeated create's ConflictException
  names), and a call that is not safe to repeat (``safe_to_repeat``: UpdateAgentAlias without
  routingConfiguration cuts a version each time) is not retried blindly by botocore at all:
  the executor first looks whether it took effect.
- every client gets the per-operation rate limiter of ``agentctl.aws.ratelimit`` (§7 TPS
  quotas; ``AGENTCTL_RATE_LIMIT=off`` disables it; the embedded emulator is limited at the quotas
  it enforces, i.e. only with its ``throttle: tps`` fault);
- ``paginate`` follows ``nextToken`` on every List* (pages may hold only 10 items, §1).
- ``wait_for`` polls an agent or alias until it reaches one of the statuses named by a plan
  step's ``wait_for`` string (``agent:PREPARED``, ``agent:NOT_PREPARED|PREPARED``,
  ``alias:PREPARED``, ``agent:DELETED``), reporting progress, within a deadline; when it gives
  up it says what it waited for. FAILED raises with failureReasons; a stable status the API
  does not document as an outcome raises ``EndpointError`` (the endpoint's fault, not the
  spec's); a ``cancel`` callback (an interrupted run) stops it early with ``WaitAbandoned``.

What it must not do: decide *what* to change (that is the planner), print anything (progress goes
through callbacks), or log credentials / botocore wire dumps (botocore's debug logging is never
enabled here, and no request headers are ever put into an error).
"""

from __future__ import annotations

import dataclasses
import functools
import datetime
import os
import random
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import botocore.exceptions
from botocore import xform_name
from botocore.config import Config
from botocore.parsers import ResponseParserError

from agentctl.core import backoff, servicemodel
from agentctl.core.quotas import TPS_QUOTAS
from agentctl.errors import AgentctlError, AwsError, EndpointError, ProjectError, UsageError
from agentctl.core.model import Target

ENDPOINT_ENV = "AWS_ENDPOINT_URL_BEDROCK_AGENT"
POOL_CONNECTIONS = 64
"""HTTP connections one client keeps: botocore's default of 10 is below the reader's and the
executor's concurrency (``agentctl.aws.live.MAX_WORKERS``, a thread per agent), and each call
beyond it would open and then discard a connection of its own."""

# Statuses an agent / alias can rest in (service-behaviour.md §2.1, §3.4). Anything else is a
# transition that settles by itself.
AGENT_STABLE = frozenset({"NOT_PREPARED", "PREPARED", "FAILED"})
ALIAS_STABLE = frozenset({"PREPARED", "FAILED", "DISSOCIATED"})


# §2.3: "<Op> operation can't be performed on <Agent|AgentAlias> when [Agent] is in <State> state."
# (AWS sometimes uses a typographic apostrophe; accept both.)
STATE_REFUSAL = re.compile(
    r"operation can[’']t be performed on \w+ when (?:\w+ )?is in (?P<state>[A-Za-z ]+?) state",
)
# §2.2 footnote: concurrent UpdateAgent writers; Terraform retries it, so do we.
OPTLOCK = re.compile(r"OptLock failure", re.IGNORECASE)

ProgressFn = Callable[[str, float], None]
"""(status, elapsed seconds) while polling."""


@dataclass(frozen=True)
class Timing:
    """Every delay agentctl itself introduces (not the service's). Injected so tests are fast and
    deterministic: contract tests pass a ``sleep`` that records instead of sleeping."""

    poll_initial: float = 1.0
    poll_max: float = 5.0
    wait_timeout: float = 900.0
    """Seconds to wait for a stable status before giving up (PrepareAgent can take minutes)."""
    retries: int = 6
    """Retries of agentctl's own loop for the UpdateAgent OptLock refusal (botocore cannot know
    it); on the local target also botocore's retries of throttling / 5xx (AWS: botocore's
    standard mode, 5 attempts)."""
    backoff_base: float = 0.5
    backoff_max: float = 20.0
    """agentctl's backoff: ``random() * min(backoff_max, backoff_base * 2 ** (n - 1))`` before
    retry n (capped exponential, full jitter)."""
    throttle_budget: float = 300.0
    """Seconds a throttled call keeps being retried once its ``retries`` are used up. A throttled
    request was not executed, and an apply of many agents at once meets the 2-TPS quotas
    (PrepareAgent, CreateAgentAlias, §7) for far longer than a fixed number of attempts covers:
    the fault matrix's 50-agent case failed (exit 8, twice in a row) with attempts alone."""
    refusal_retries: int = 5
    """How many times a state-refused call is retried after waiting for a stable status."""
    settle_grace: float = 30.0
    """Seconds a status that is not yet the step's outcome but can precede it is tolerated
    (NOT_PREPARED right after PrepareAgent on an endpoint slow to show PREPARING)."""
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    jitter: bool = True


WAIT_TIMEOUT_ENV = "AGENTCTL_WAIT_TIMEOUT"


def env_timing(default: Timing) -> Timing:
    """``default`` with ``AGENTCTL_WAIT_TIMEOUT`` (seconds to wait for a stable status) applied:
    a pipeline with a hard time budget, or a test of a prepare slower than the deadline, sets it."""
    raw = os.environ.get(WAIT_TIMEOUT_ENV)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not (value > 0 and value != float("inf")):
        raise UsageError(f"{WAIT_TIMEOUT_ENV}={raw!r} is not a number of seconds",
                         hint=f"set {WAIT_TIMEOUT_ENV} to a positive number such as 600, or unset it")
    return dataclasses.replace(default, wait_timeout=value)


LOCAL_TIMING = Timing(poll_initial=0.05, poll_max=0.5, wait_timeout=120.0, retries=10,
                      backoff_base=0.05, backoff_max=1.0, settle_grace=5.0,
                      throttle_budget=120.0)
"""The emulator settles in fractions of a second: poll faster."""


@dataclass(frozen=True)
class Clients:
    """What the readers and the executor need to talk to one target."""

    agent: Any
    """A boto3 ``bedrock-agent`` client (real, or with the emulator attached)."""
    target: Target
    timing: Timing = field(default_factory=Timing)
    emulator: Any = None
    """The embedded ``agentctl.emulator.Emulator`` when the local target runs in-process."""
    limiter: Any = None
    """The ``agentctl.aws.ratelimit.RateLimiter`` every thread's calls go through (None: off)."""

    def close(self) -> None:
        if self.emulator is not None:
            close = getattr(self.emulator, "close", None)
            if close is not None:
                close()


def target_of(environment: Any, root: Path | None = None) -> Target:
    """The ``Target`` an environment applies to (recorded in plans; a saved plan is refused on a
    different one). The embedded emulator is identified by its database path, relative to the
    project root when inside it, so two projects (or two state files) are different targets."""
    kind = environment.target
    # boto3 itself honours AWS_ENDPOINT_URL_BEDROCK_AGENT for every client, so it is part of
    # the target on aws too.
    endpoint = getattr(environment, "endpoint", None) or os.environ.get(ENDPOINT_ENV) or None
    if kind == "local" and not endpoint:
        state = Path(environment.state_path)
        shown = str(state)
        if root is not None:
            try:
                shown = state.resolve().relative_to(Path(root).resolve()).as_posix()
            except ValueError:
                pass
        endpoint = f"embedded:{shown}"
    return Target(kind=kind, region=environment.region, account=str(environment.account),
                  endpoint=endpoint)


def make_clients(environment: Any, *, root: Path | None = None, emulator_config: Any = None,
                 timing: Timing | None = None) -> Clients:
    """Build the clients for ``environment`` (an ``agentctl.spec.Environment``)."""
    import boto3  # local import: keep `agentctl --help` fast

    target = target_of(environment, root)
    if environment.target == "aws":
        try:
            session = boto3.Session(profile_name=environment.profile or None,
                                    region_name=environment.region)
        except botocore.exceptions.ProfileNotFound as e:
            raise ProjectError(str(e), where=f"environment {environment.name}",
                               hint="check `profile:` in agentctl.yaml and ~/.aws/config") from None
        config = Config(retries={"mode": "standard", "max_attempts": 5},
                        user_agent_extra="agentctl", max_pool_connections=POOL_CONNECTIONS)
        client = _make_client(environment, lambda: session.client(
            "bedrock-agent", endpoint_url=environment.endpoint or None, config=config))
        _check_account(session, environment)
        timing = timing or env_timing(Timing())
        # botocore's standard mode and its 5 attempts, plus the throttling budget.
        use_backoff(client, timing, max_attempts=5)
        return Clients(agent=client, target=target, timing=timing,
                       limiter=_rate_limit(client, TPS_QUOTAS))

    # local target
    endpoint = target.endpoint if not target.endpoint.startswith("embedded:") else None
    timing = timing or env_timing(LOCAL_TIMING)
    # Local target: botocore's standard retry mode too (one retry mechanism everywhere), with
    # its backoff scaled to the emulator, which answers in milliseconds (botocore's own backoff
    # is tuned for AWS: up to 1 s, 2 s, 4 s ... per throttled try).
    config = Config(retries={"mode": "standard", "total_max_attempts": timing.retries + 1},
                    max_pool_connections=POOL_CONNECTIONS)
    if endpoint:
        client = _make_client(environment, lambda: boto3.client(
            "bedrock-agent", region_name=environment.region, endpoint_url=endpoint,
            aws_access_key_id="agentctl", aws_secret_access_key="agentctl", config=config))
        use_backoff(client, timing)
        # A remote local endpoint (`agentctl emulator serve`, or another emulator): whether it
        # throttles is unknown here, so it is treated as AWS is.
        return Clients(agent=client, target=target, timing=timing,
                       limiter=_rate_limit(client, TPS_QUOTAS))

    import sqlite3  # the embedded local target's state (a served endpoint needs none of it)

    from agentctl.emulator import Emulator, EmulatorConfig, World  # the embedded local target

    if emulator_config is None:
        # AGENTCTL_EMULATOR_CONFIG / AGENTCTL_EMULATOR_* (e.g. TIME_SCALE), as `emulator serve`.
        emulator_config = EmulatorConfig.from_env()
    state_path = Path(environment.state_path)
    emu = _open_emulator(Emulator, state_path, environment, emulator_config)
    world = getattr(environment, "world", None) or {}
    try:
        emu.seed_world(World(knowledge_bases=list(world.get("knowledgeBases", []) or []),
                             lambdas=list(world.get("lambdas", []) or [])))
    except sqlite3.Error as e:  # e.g. a read-only file: opening works, the first write fails
        emu.close()
        raise _state_error(state_path, environment, e) from None
    client = boto3.client("bedrock-agent", region_name=environment.region,
                          aws_access_key_id="agentctl", aws_secret_access_key="agentctl",
                          config=config)
    use_backoff(client, timing)
    emu.attach(client)
    # The local runtime (InvokeAgent through agentctl.aws.runtime): the project's handlers,
    # documents and the environment's foundation model.
    from agentctl.emulator.runtime.settings import RuntimeSettings

    emu.configure_runtime(RuntimeSettings.lenient(getattr(environment, "runtime", None), root,
                                                  where=f"environments.{environment.name}.runtime",
                                                  region=environment.region))
    # The embedded emulator: limited at the published quotas when it enforces quotas, not at all
    # when it does not throttle (tests stay fast). Its `tps` overrides are not looked at: they
    # stand for a service whose real limits differ from the published ones (another client
    # spending part of the account's quota), which the adaptive limiter must cope with.
    quotas = TPS_QUOTAS if emulator_config.faults.throttle == "tps" else {}
    return Clients(agent=client, target=target, timing=timing, emulator=emu,
                   limiter=_rate_limit(client, quotas))


RATE_LIMIT_ENV = "AGENTCTL_RATE_LIMIT"


def _rate_limit(client: Any, quotas: Mapping[str, float]) -> Any:
    """Install the client-side rate limiter (service-behaviour.md §7) on ``client``, unless
    ``AGENTCTL_RATE_LIMIT=off`` (benchmarks compare with and without) or nothing is limited.
    ``AGENTCTL_RATE_LIMIT=F`` (a fraction, 0 < F <= 1) keeps to F times the published quotas,
    for an account whose other clients spend the rest."""
    from agentctl.aws import ratelimit

    raw = (os.environ.get(RATE_LIMIT_ENV) or "on").strip().lower()
    fraction = 1.0
    if raw not in ("on", "off"):
        try:
            fraction = float(raw)
        except ValueError:
            fraction = float("nan")
        if not 0 < fraction <= 1:
            raise UsageError(f"{RATE_LIMIT_ENV}={os.environ.get(RATE_LIMIT_ENV)!r} is not on, "
                             "off or a fraction of the published quotas",
                             hint=f"set {RATE_LIMIT_ENV} to on (the default), off, or a number "
                                  "such as 0.5 (half the quotas), or unset it")
    if raw == "off" or not quotas:
        return None
    return ratelimit.install(client, ratelimit.RateLimiter(
        {op: q * fraction for op, q in quotas.items()}))


class FullJitter:
    """Capped exponential backoff with full jitter (``Timing``'s base and cap): the delay before
    retry ``n`` (1-based) is uniform in ``[0, min(cap, base * 2 ** (n - 1))]``."""

    def __init__(self, timing: Timing, rand: Callable[[], float] = random.random):
        self.timing, self.rand = timing, rand

    def delay(self, attempt: int) -> float:
        t = self.timing
        if not t.jitter:
            return backoff.ceiling(attempt, t.backoff_base, t.backoff_max)
        return backoff.full_jitter(attempt, t.backoff_base, t.backoff_max, self.rand)

    def delay_amount(self, context: Any) -> float:
        """botocore's ``RetryBackoff`` interface (``context.attempt_number`` is 1-based)."""
        return self.delay(int(context.attempt_number))


_attempt = threading.local()
"""Per thread, for the ``call`` in progress (botocore retries in the calling thread):
``maybe_committed`` (an attempt was answered 5xx or lost after sending) and ``no_blind_retry``
(the call is not ``safe_to_repeat``)."""


def safe_to_repeat(operation: str, params: Mapping[str, Any]) -> bool:
    """Whether sending ``operation`` again, after an attempt whose answer was lost, can do no
    more than that attempt did. Creates and associations are protected by their clientToken
    (§1.2: the same token is ignored; botocore keeps one token for all attempts) or end in a
    ConflictException the executor understands; updates replace the whole configuration;
    deletes end in ResourceNotFoundException. The exception: UpdateAgentAlias without
    routingConfiguration cuts a *new* version every time it is sent (§3.1), and has no token."""
    return not (operation == "UpdateAgentAlias" and not params.get("routingConfiguration"))


def _outcome_unknown(context: Any) -> bool:
    """The attempt reached the service and its answer says nothing about whether the change
    happened: a 5xx, or the connection lost after sending (not one that never connected)."""
    exc = getattr(context, "caught_exception", None)
    if exc is not None:
        return isinstance(exc, (botocore.exceptions.ConnectionClosedError,
                                botocore.exceptions.ReadTimeoutError))
    response = getattr(context, "http_response", None)
    status = getattr(response, "status_code", None)
    return isinstance(status, int) and status >= 500


class _ThrottleBudget:
    """botocore retry condition: ``inner``'s decision, and beyond its attempt limit, throttling
    errors keep being retried until ``timing.throttle_budget`` seconds have passed since the
    call was first throttled (recorded in the request context, shared by a call's attempts).
    An attempt whose outcome is unknown (5xx, connection lost after sending; a throttled
    request was not executed) is recorded for ``call`` (``_attempt.maybe_committed``) and not
    retried at all for a call that is not ``safe_to_repeat``."""

    def __init__(self, inner: Any, detector: Any, timing: Timing):
        self.inner, self.detector, self.timing = inner, detector, timing

    def is_retryable(self, context: Any) -> bool:
        throttled = self.detector.is_throttling_error_from_context(context)
        if not throttled and _outcome_unknown(context):
            _attempt.maybe_committed = True
            if getattr(_attempt, "no_blind_retry", False):
                return False
        if throttled and "agentctl_throttled_since" not in context.request_context:
            context.request_context["agentctl_throttled_since"] = self.timing.monotonic()
        if self.inner.is_retryable(context):
            return True
        if not throttled:
            return False
        since = context.request_context["agentctl_throttled_since"]
        return self.timing.monotonic() - since < self.timing.throttle_budget


def use_backoff(client: Any, timing: Timing, *, max_attempts: int | None = None) -> None:
    """Replace the backoff of ``client``'s botocore standard retry handler by ``FullJitter`` at
    ``timing``'s scale, keeping botocore's decision of *what* is retryable (throttling, 5xx,
    connection errors) and its attempt limit (``max_attempts``, default ``timing.retries + 1``),
    extended for throttling by ``timing.throttle_budget``. The retry quota is made large: it
    would only turn injected faults (local) or a burst of throttling (many agents at once on
    AWS) into failures."""
    from botocore.retries import quota, standard

    name = client.meta.service_model.service_id.hyphenize()
    adapter = standard.RetryEventAdapter()
    handler = standard.RetryHandler(
        retry_policy=standard.RetryPolicy(
            retry_checker=_ThrottleBudget(
                standard.StandardRetryConditions(max_attempts=max_attempts or timing.retries + 1),
                standard.ThrottlingErrorDetector(adapter), timing),
            retry_backoff=FullJitter(timing)),
        retry_event_adapter=adapter,
        retry_quota=standard.RetryQuotaChecker(quota.RetryQuota(initial_capacity=10**9),
                                               standard.ThrottlingErrorDetector(adapter)),
        service_name=name)
    unique_id = f"retry-config-{name}"
    client.meta.events.unregister(f"needs-retry.{name}", unique_id=unique_id)
    client.meta.events.register(f"needs-retry.{name}", handler.needs_retry, unique_id=unique_id)


def _make_client(environment: Any, factory: Callable[[], Any]) -> Any:
    """``factory()``; botocore's ValueError for an endpoint it cannot use ("Invalid endpoint:
    garbage") becomes an error naming where that endpoint came from."""
    try:
        return factory()
    except ValueError as e:
        if "endpoint" not in str(e).lower():
            raise
        if getattr(environment, "endpoint", None):
            raise ProjectError(f"endpoint {environment.endpoint!r} is not usable: {e}",
                               where=f"environment {environment.name} (endpoint:)",
                               hint="use a URL such as http://127.0.0.1:4599") from None
        raise UsageError(f"{ENDPOINT_ENV}={os.environ.get(ENDPOINT_ENV)!r} is not usable: {e}",
                         hint=f"set {ENDPOINT_ENV} to a URL such as http://127.0.0.1:4599, or "
                              "unset it") from None


def _open_emulator(emulator_cls: Any, state_path: Path, environment: Any,
                   emulator_config: Any) -> Any:
    """The embedded emulator on ``state_path``; a state file that cannot be created, opened or
    written (corrupt, read-only, a directory, ...) is the user's to fix, so it gets a message
    naming the file, not the boundary's "internal error"."""
    import sqlite3

    try:
        state_path.parent.mkdir(parents=True, exist_ok=True)
        return emulator_cls(state_path=state_path, config=emulator_config,
                            region=environment.region, account=str(environment.account))
    except (sqlite3.Error, OSError) as e:
        raise _state_error(state_path, environment, e) from None


def _state_error(state_path: Path, environment: Any, e: BaseException) -> AgentctlError:
    detail = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
    if state_path.exists() and not state_path.is_file():
        # A directory, /dev/null, ...: nothing to delete, only a path to fix.
        return AgentctlError(f"{state_path} is not a usable emulator state file: it is not a "
                             f"regular file ({detail})",
                             where=f"environment {environment.name} (state:)",
                             hint="point `state:` in agentctl.yaml at a file path, e.g. "
                                  ".agentctl/local.db")
    return AgentctlError(
        f"{state_path} is not a usable emulator state file: {detail}",
        where=f"environment {environment.name} (state:)",
        hint="check that the file and its directory are writable; if the file is corrupt, "
             "`agentctl emulator reset --yes` starts it empty (the local agents in it are "
             "lost), or point `state:` in agentctl.yaml at another file")


def _check_account(session: Any, environment: Any) -> None:
    """spec-format.md: on aws the environment's account is checked against the caller identity,
    so a plan for prod can never be applied with staging credentials."""
    try:
        ident = session.client("sts", region_name=environment.region).get_caller_identity()
    except botocore.exceptions.NoCredentialsError:
        raise AwsError("GetCallerIdentity", "NoCredentials", "no AWS credentials found",
                       hint="configure credentials (AWS_PROFILE, `aws sso login`, or `profile:` "
                            "in agentctl.yaml)") from None
    except botocore.exceptions.ClientError as e:
        raise translate(e, "GetCallerIdentity") from None
    except botocore.exceptions.BotoCoreError as e:
        raise AwsError("GetCallerIdentity", type(e).__name__, str(e),
                       hint="check network access and the region") from None
    if str(ident.get("Account")) != str(environment.account):
        raise ProjectError(
            f"credentials are for account {ident.get('Account')}, environment "
            f"{environment.name!r} is account {environment.account}",
            where=f"environment {environment.name}",
            hint="use the profile for the right account, or fix `account:` in agentctl.yaml",
        )


# --------------------------------------------------------------------------- error translation

_HINTS = {
    "AccessDeniedException": "check the IAM permissions of your credentials (and iam:PassRole on "
                             "the agent role)",
    "ResourceNotFoundException": "the resource no longer exists (changed outside agentctl?); run "
                                 "`agentctl plan` to see the current state",
    "ConflictException": "the resource is in use or being changed by someone else; run "
                         "`agentctl plan` and try again",
    "ServiceQuotaExceededException": "a Bedrock quota was reached (docs/service-behaviour.md §7); delete "
                                     "unused resources or request a quota increase",
    "ValidationException": "the request was rejected by the service; `agentctl validate` catches "
                           "most of these offline",
    "ThrottlingException": "the API rate limit was hit repeatedly; retry later",
    "InternalServerException": "a transient service error persisted; retry later",
    "UnrecognizedClientException": "the credentials are invalid",
    "ExpiredTokenException": "the credentials have expired; refresh them",
}


def translate(e: botocore.exceptions.ClientError, operation: str, *,
              where: str | None = None) -> AwsError:
    err = e.response.get("Error", {}) if isinstance(e.response, Mapping) else {}
    code = str(err.get("Code") or "Unknown")
    message = str(err.get("Message") or e)
    hint = _HINTS.get(code)
    wire = wire_summary(e.response, message)
    if wire is not None:
        # Not an API error document (a proxy's or load balancer's HTML page, a truncated body):
        # its text is not for the terminal (it can be long, or echo request details).
        return AwsError(operation, code, wire, where=where,
                        hint="the endpoint (or something in front of it) did not answer as the "
                             "Bedrock API does; check the target's endpoint and network, then "
                             "retry")
    m = STATE_REFUSAL.search(message)
    if m:
        # §2.3: refused because of the agent's state, not because of the request.
        hint = (f"the agent was {m.group('state').strip()}; `agentctl apply` prepares the DRAFT "
                "and waits for stable states, so re-running it usually resolves this")
    return AwsError(operation, code, message, where=where, hint=hint)


_WIRE_MARKERS = ("<!doctype", "<html", "<body", "<head", "<?xml")


def wire_summary(response: Any, message: str) -> str | None:
    """A one-line summary (status code, content type, size) when ``message`` is a raw wire body
    rather than an API error message, else None. botocore puts an unparsable error body into
    the message verbatim."""
    text = message.strip()
    lowered = text[:200].lower()
    if not (text.startswith("<") or any(m in lowered for m in _WIRE_MARKERS)):
        return None
    meta = response.get("ResponseMetadata", {}) if isinstance(response, Mapping) else {}
    status = meta.get("HTTPStatusCode")
    headers = meta.get("HTTPHeaders") or {}
    ctype = str(headers.get("content-type") or "unknown content type").split(";")[0].strip()
    shown = f"HTTP {status}" if status else "an HTTP error"
    return (f"the endpoint answered {shown} with a {ctype} body ({len(message.encode())} bytes, "
            "not shown) instead of an API error")


def state_refusal(error: AwsError) -> str | None:
    """The state named by a §2.3 state refusal ("Preparing", "Not Prepared", ...), else None."""
    # AWS reports these as ValidationException; the class for some variants is UNCONFIRMED
    # (§12.3), and flows use ConflictException for the same thing (§8): accept both.
    if error.code not in ("ValidationException", "ConflictException"):
        return None
    m = STATE_REFUSAL.search(error.aws_message)
    return m.group("state").strip() if m else None


# --------------------------------------------------------------------------------- calls

Cancel = Callable[[], "str | None"]
"""Asked between polls: a reason to stop waiting now (an interrupted run), or None."""


def call(clients: Clients, operation: str, params: Mapping[str, Any] | None = None, *,
         where: str | None = None, wait_progress: ProgressFn | None = None,
         cancel: Cancel | None = None) -> dict[str, Any]:
    """Run ``operation`` (botocore name, e.g. ``UpdateAgent``) with ``params``; return the parsed
    response without ResponseMetadata. Raises ``AwsError`` once botocore's retries (throttling,
    5xx, connection) and agentctl's own (state refusals, OptLock) are exhausted."""
    params = dict(params or {})
    # The reads a call makes while it runs (waiting out a state refusal) are calls too: each
    # has its own flags, and the outer call's are restored when it returns.
    outer = (getattr(_attempt, "maybe_committed", False), getattr(_attempt, "no_blind_retry", False))
    _attempt.maybe_committed = False
    _attempt.no_blind_retry = not safe_to_repeat(operation, params)
    try:
        return _call(clients, operation, params, where=where, wait_progress=wait_progress,
                     cancel=cancel)
    except AwsError as e:
        # Whatever ended the call (its own error, or a wait or retry after a refusal), an
        # earlier attempt may have committed: the executor decides what that means for its step.
        e.maybe_committed = e.maybe_committed or bool(_attempt.maybe_committed)
        raise
    finally:
        _attempt.maybe_committed, _attempt.no_blind_retry = outer


def _call(clients: Clients, operation: str, params: dict[str, Any], *, where: str | None,
          wait_progress: ProgressFn | None, cancel: Cancel | None) -> dict[str, Any]:
    method = getattr(clients.agent, xform_name(operation))
    t = clients.timing
    optlock = 0
    refusals = 0
    backoff = FullJitter(t)
    while True:
        try:
            resp = dict(method(**params))
            meta = resp.pop("ResponseMetadata", None)
            _check_response(operation, resp, meta, where, model_of(clients))
            return resp
        except botocore.exceptions.ClientError as e:
            err = translate(e, operation, where=where)
        except botocore.exceptions.ParamValidationError as e:
            # botocore's client-side check (required/type/min) - a bug in a plan or a hand-edited
            # plan file; never retried.
            raise AwsError(operation, "ParamValidation", str(e), where=where,
                           hint="the request is malformed; re-create the plan with `agentctl plan`"
                           ) from None
        except botocore.exceptions.NoCredentialsError:
            raise AwsError(operation, "NoCredentials", "no AWS credentials found", where=where,
                           hint="configure credentials (AWS_PROFILE, `aws sso login`)") from None
        except (botocore.exceptions.EndpointConnectionError,
                botocore.exceptions.ConnectionClosedError,
                botocore.exceptions.ReadTimeoutError) as e:
            # botocore's standard mode already retried these (a call not safe to repeat: not).
            err = AwsError(operation, type(e).__name__, str(e), where=where,
                           hint="check the endpoint / network (is `agentctl emulator serve` "
                                "running?)")
            err.maybe_committed = not isinstance(e, botocore.exceptions.EndpointConnectionError)
            raise err from None
        except ResponseParserError as e:
            # A success status with a body that is not the API's JSON (e.g. an HTML page from a
            # proxy); botocore's message quotes the body, which is not shown.
            raise AwsError(operation, "UnparsableResponse",
                           f"the endpoint's answer is not a {operation} response "
                           f"({len(str(e))} characters, not shown)", where=where,
                           hint="the endpoint does not speak the Bedrock API; check the "
                                "target's endpoint") from None

        if OPTLOCK.search(err.aws_message):
            # §2.2 footnote: concurrent UpdateAgent writers; its class is UNCONFIRMED, so
            # botocore may not retry it. Terraform retries it; so do we.
            optlock += 1
            if optlock > t.retries:
                raise err
            t.sleep(backoff.delay(optlock))
            continue
        state = state_refusal(err)
        if state is not None and state.replace(" ", "").upper() not in ("NOTPREPARED", "FAILED"):
            # §2.3: the call hit a transitional state (Preparing, Versioning, Creating,
            # Updating). Waiting for the agent to settle and retrying is what Terraform does
            # (PR #43179, #43232). "Not Prepared" is stable: waiting would not help. botocore
            # cannot know this: to it, the refusal is a plain 400.
            refusals += 1
            agent_id = params.get("agentId")
            if refusals > t.refusal_retries or not agent_id:
                raise err
            wait_for(clients, "agent:" + "|".join(sorted(AGENT_STABLE)), agent_id=agent_id,
                     progress=wait_progress, where=where, cancel=cancel,
                     what=f"the agent to leave {state} so {operation} can be retried")
            if refusals > 1:
                # Settled, then refused again (another writer?): do not hammer the service.
                t.sleep(backoff.delay(refusals - 1))
            continue
        raise _with_specific_hint(err, clients, operation, params)


def model_of(clients: Clients) -> Any:
    """botocore's ``ServiceModel`` of the bedrock-agent client: the one the client already
    loaded (``servicemodel.service_model()`` would build a second botocore session and parse the
    same data file again, ~0.07 s of CPU per process), or that one for a stand-in client."""
    model = getattr(getattr(clients.agent, "meta", None), "service_model", None)
    if getattr(model, "service_name", None) == servicemodel.SERVICE:
        return model
    return servicemodel.service_model()


@functools.lru_cache(maxsize=None)
def _output_members(operation: str, model: Any) -> tuple[frozenset[str], frozenset[str]]:
    """(every member, the required members) of ``operation``'s output shape."""
    shape = model.operation_model(operation).output_shape
    if shape is None:
        return frozenset(), frozenset()
    return frozenset(shape.members), frozenset(getattr(shape, "required_members", None) or ())


def _check_response(operation: str, resp: Mapping[str, Any], meta: Any,
                    where: str | None, model: Any = None) -> None:
    """botocore turns a success answer whose body is not JSON (an HTML page from a proxy, say)
    into ``{}`` (or ``{"message": <the body>}``). That is the endpoint's fault: say so, without
    the body. Only an answer with none of the output's members is refused: one that merely
    lacks a member is tolerated."""
    members, required = _output_members(operation, model or servicemodel.service_model())
    if not required or set(resp) & members or not set(resp) <= {"message"}:
        return
    meta = meta if isinstance(meta, Mapping) else {}
    headers = meta.get("HTTPHeaders") or {}
    ctype = str(headers.get("content-type") or "unknown content type").split(";")[0].strip()
    size = headers.get("content-length") or (len(str(resp["message"]).encode())
                                             if resp.get("message") else None)
    body = f"a {ctype} body of {size} bytes, not shown" if size else f"a {ctype} body"
    raise AwsError(operation, "UnparsableResponse",
                   f"the endpoint's answer is not a {operation} response (HTTP "
                   f"{meta.get('HTTPStatusCode') or '?'}, {body})", where=where,
                   hint="the endpoint does not answer as the Bedrock API does; check the "
                        "target's endpoint")


def _with_specific_hint(err: AwsError, clients: Clients, operation: str,
                        params: Mapping[str, Any]) -> AwsError:
    """Replace the code's generic hint when the request says which resource was missing."""
    kb = params.get("knowledgeBaseId")
    if err.code == "ResourceNotFoundException" and operation == "AssociateAgentKnowledgeBase" \
            and kb:
        # The knowledge base lives outside the project (§5): "changed outside agentctl?" would
        # mislead; name it and say where it must come from.
        t = clients.target
        if t.kind == "local":
            fix = ("declare it under the environment's world.knowledgeBases in agentctl.yaml "
                   "(for `agentctl emulator serve`, start it with -e ENV so it loads that world)")
        else:
            fix = f"create it in {t.region} (account {t.account}) or check the credentials' access"
        return AwsError(operation, err.code, err.aws_message, where=err.where,
                        hint=f"knowledge base {kb} does not exist on the target: {fix}, or fix "
                             "knowledgeBases[].id in the agent spec")
    return err


# What a create / association makes, how to find it again by the name it was given, and the
# member its response carries it in (botocore's output shapes).
_CREATED: Mapping[str, tuple[str, str, str, str]] = {
    # operation: (list operation, name member, get operation, response member)
    "CreateAgent": ("ListAgents", "agentName", "GetAgent", "agent"),
    "CreateAgentActionGroup": ("ListAgentActionGroups", "actionGroupName", "GetAgentActionGroup",
                               "agentActionGroup"),
    "CreateAgentAlias": ("ListAgentAliases", "agentAliasName", "GetAgentAlias", "agentAlias"),
    "AssociateAgentCollaborator": ("ListAgentCollaborators", "collaboratorName",
                                   "GetAgentCollaborator", "agentCollaborator"),
}
_ID_MEMBER = {"GetAgent": "agentId", "GetAgentActionGroup": "actionGroupId",
              "GetAgentAlias": "agentAliasId", "GetAgentCollaborator": "collaboratorId"}


def find_created(clients: Clients, operation: str, params: Mapping[str, Any], *,
                 where: str | None = None) -> dict[str, Any] | None:
    """The resource a create / association call (``operation`` with ``params``) made, as that
    call's response would have carried it (``{"agentActionGroup": {...}}``), or None when there
    is no such resource. For a call whose answer was lost and whose retry met a
    ConflictException ("already exists"): the first attempt made it. Reads only."""
    if operation == "AssociateAgentKnowledgeBase":
        try:
            kb = call(clients, "GetAgentKnowledgeBase", {
                "agentId": params["agentId"], "agentVersion": params.get("agentVersion", "DRAFT"),
                "knowledgeBaseId": params["knowledgeBaseId"]}, where=where)
        except AwsError as e:
            if e.code == "ResourceNotFoundException":
                return None
            raise
        return {"agentKnowledgeBase": kb["agentKnowledgeBase"]}
    if operation not in _CREATED:
        return None
    list_op, name_member, get_op, member = _CREATED[operation]
    scope = {k: params[k] for k in ("agentId", "agentVersion") if k in params}
    name = params.get(name_member)
    if list_op == "ListAgentAliases":
        scope.pop("agentVersion", None)
    match = next((item for item in paginate(clients, list_op, scope, where=where)
                  if item.get(name_member) == name), None)
    if match is None:
        return None
    id_member = _ID_MEMBER[get_op]
    found = call(clients, get_op, {**{k: v for k, v in scope.items()
                                      if k != "agentVersion" or get_op != "GetAgentAlias"},
                                   id_member: match[id_member]}, where=where)
    return {member: found[member]}


@functools.lru_cache(maxsize=None)
def list_key(operation: str, model: Any = None) -> str:
    """The list member of a List* output (``agentSummaries``, ...), from the service model."""
    model = model or servicemodel.service_model()
    shape = model.operation_model(operation).output_shape
    keys = [n for n, s in shape.members.items() if s.type_name == "list"]
    if len(keys) != 1:  # pragma: no cover - model change
        raise AgentctlError(f"{operation}: cannot find the list member in the service model")
    return keys[0]


def paginate(clients: Clients, operation: str, params: Mapping[str, Any] | None = None, *,
             where: str | None = None) -> Iterator[dict[str, Any]]:
    """Every item of a List* operation, following ``nextToken`` (§1: pages may be capped at 10)."""
    key = list_key(operation, model_of(clients))
    params = dict(params or {})
    seen: set[str] = set()
    while True:
        resp = call(clients, operation, params, where=where)
        yield from resp.get(key, [])
        token = resp.get("nextToken")
        if not token:
            return
        if token in seen:  # a service bug would otherwise loop forever
            raise AwsError(operation, "PaginationLoop", "the service returned a nextToken twice",
                           where=where)
        seen.add(token)
        params["nextToken"] = token


# ------------------------------------------------------------------------------- polling

@dataclass(frozen=True)
class WaitSpec:
    kind: str
    """"agent" or "alias"."""
    statuses: frozenset[str]

    @classmethod
    def parse(cls, text: str) -> "WaitSpec":
        kind, sep, rest = text.partition(":")
        statuses = frozenset(s.strip() for s in rest.split("|") if s.strip())
        if not sep or kind not in ("agent", "alias") or not statuses:
            raise AgentctlError(f"invalid wait condition {text!r}",
                                hint="expected e.g. agent:PREPARED or alias:PREPARED")
        return cls(kind, statuses)


class WaitFailed(AwsError):
    """The resource reached FAILED while waiting (§2.2: failures are asynchronous)."""

    def __init__(self, what: str, status: str, reasons: tuple[str, ...], *, where: str | None):
        self.status = status
        self.failure_reasons = reasons
        text = "; ".join(reasons) if reasons else "no failure reason given"
        super().__init__(f"wait for {what}", status, text, where=where,
                         hint="fix the cause in the spec and run `agentctl apply` again")


class WaitAbandoned(AgentctlError):
    """A wait stopped before its resource settled because the run was interrupted; ``status``
    is the last status seen."""

    def __init__(self, what: str, status: str | None, reason: str, *, where: str | None):
        self.status = status
        super().__init__(f"stopped waiting for {what} ({reason}); last seen: "
                         f"{status or 'unknown'}", where=where,
                         hint="run `agentctl status`, then `agentctl plan` to see what is left")


def wait_for(clients: Clients, spec: str, *, agent_id: str, alias_id: str | None = None,
             progress: ProgressFn | None = None, where: str | None = None,
             timeout: float | None = None, cancel: Cancel | None = None,
             operation: str | None = None, pending: frozenset[str] = frozenset(),
             what: str | None = None) -> dict[str, Any]:
    """Poll until the agent/alias status is one of ``spec``'s statuses; return the last Get*
    response object (``{}`` for ``DELETED``).

    Gives up, saying what it waited for, after ``timeout`` (default ``Timing.wait_timeout``)
    seconds. A stable status that was not awaited ends the wait: FAILED raises ``WaitFailed``
    with the failureReasons (§2.2: failures are asynchronous, not exceptions); any other one,
    except a ``pending`` status within ``Timing.settle_grace``, raises ``EndpointError``: the API
    does not document it as an outcome of ``operation``. ``cancel`` is asked between polls and
    ends the wait with ``WaitAbandoned`` when it gives a reason."""
    ws = WaitSpec.parse(spec)
    t = clients.timing
    limit = t.wait_timeout if timeout is None else timeout
    start = t.monotonic()
    delay = t.poll_initial
    subject = f"{ws.kind} {alias_id or agent_id}"
    awaited = "|".join(sorted(ws.statuses))
    waited_for = what or (f"{subject} to be {awaited}"
                          + (f" after {operation}" if operation else ""))
    status: str | None = None
    while True:
        obj = _read_status(clients, ws.kind, agent_id, alias_id, where)
        status = "DELETED" if obj is None else str(
            obj.get("agentStatus") if ws.kind == "agent" else obj.get("agentAliasStatus"))
        elapsed = t.monotonic() - start
        if progress is not None:
            progress(status, elapsed)
        if status in ws.statuses:
            return obj or {}
        if obj is None:
            raise AwsError(f"wait for {subject}", "ResourceNotFoundException",
                           "the resource disappeared while waiting", where=where,
                           hint="it was deleted outside agentctl; run `agentctl plan`")
        stable = AGENT_STABLE if ws.kind == "agent" else ALIAS_STABLE
        if status in stable and not (status in pending and elapsed < t.settle_grace):
            reasons = tuple(str(r) for r in obj.get("failureReasons") or ())
            if status == "FAILED":
                raise WaitFailed(f"{subject} to be {awaited}", status, reasons, where=where)
            after = f"after {operation} " if operation else ""
            raise EndpointError(
                f"the endpoint left {subject} {status} {after}(expected {awaited})"
                + (f": {'; '.join(reasons)}" if reasons else ""),
                where=where, operation=operation or f"wait for {subject}",
                target=clients.target)
        if elapsed >= limit:
            raise AwsError(f"wait for {subject}", "Timeout",
                           f"gave up after {int(elapsed)}s waiting for {waited_for}: still "
                           f"{status}", where=where,
                           hint="the service is slow or stuck; check its console, then re-run "
                                "(the operation is safe to repeat)")
        _pause(t, delay, cancel, waited_for, status, where)
        delay = min(t.poll_max, delay * 1.5)


def _pause(t: Timing, delay: float, cancel: Cancel | None, what: str, status: str | None,
           where: str | None) -> None:
    """Sleep ``delay`` between polls; with ``cancel``, in short slices, asking it before each."""
    if cancel is None:
        t.sleep(delay)
        return
    remaining = delay
    while True:
        reason = cancel()
        if reason:
            raise WaitAbandoned(what, status, reason, where=where)
        if remaining <= 0:
            return
        step = min(remaining, 0.1)
        t.sleep(step)
        remaining -= step


def _read_status(clients: Clients, kind: str, agent_id: str, alias_id: str | None,
                 where: str | None) -> dict[str, Any] | None:
    try:
        if kind == "agent":
            return call(clients, "GetAgent", {"agentId": agent_id}, where=where)["agent"]
        return call(clients, "GetAgentAlias", {"agentId": agent_id, "agentAliasId": alias_id},
                    where=where)["agentAlias"]
    except AwsError as e:
        if e.code == "ResourceNotFoundException":
            return None
        raise


def response_json(value: Any) -> Any:
    """A botocore response as JSON values: responses carry datetimes (and bytes, in theory).
    Used wherever a response is kept (live snapshots, fingerprints, apply results)."""
    if isinstance(value, dict):
        return {k: response_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [response_json(v) for v in value]
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value
