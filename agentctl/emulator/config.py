"""Configuration of the local Bedrock Agents emulator: delays, quotas, faults and behaviour switches.

Every behaviour that service-behaviour.md marks **UNCONFIRMED** (§12) is a named switch here, with
its default and the reason for the default next to it, so a test (or a user who has seen the real
service do otherwise) can flip it without touching the emulator's code.

Sources, in increasing precedence: the defaults below, a YAML/JSON file (``EmulatorConfig.load``,
or the file named by ``AGENTCTL_EMULATOR_CONFIG``), and ``AGENTCTL_EMULATOR_<FIELD>`` environment
variables (``AGENTCTL_EMULATOR_TIME_SCALE=0``, ``AGENTCTL_EMULATOR_FAULTS='{"seed": 1, ...}'``).
Values in env variables are parsed as YAML, so JSON objects, numbers and booleans all work. Any
other ``AGENTCTL_EMULATOR_*`` variable is refused, naming the closest known one (a typo must not
silently leave the emulator on its defaults).

Pure data: no I/O except reading the config file, no clock, no boto3.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from agentctl.errors import AgentctlError
from agentctl.exitcodes import ExitCode

ENV_PREFIX = "AGENTCTL_EMULATOR_"
ENV_CONFIG_FILE = "AGENTCTL_EMULATOR_CONFIG"


def env_names() -> frozenset[str]:
    """Every ``AGENTCTL_EMULATOR_*`` variable agentctl reads: the config file and one per
    ``EmulatorConfig`` field."""
    return frozenset({ENV_CONFIG_FILE}
                     | {ENV_PREFIX + f.name.upper() for f in dataclasses.fields(EmulatorConfig)})


class EmulatorConfigError(AgentctlError):
    """The emulator configuration (file or environment) is not usable."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class Durations:
    """Seconds each asynchronous transition takes before ``time_scale`` is applied.

    Short but not zero by default, so clients that forget to poll see CREATING / PREPARING /
    VERSIONING in tests instead of an instantly settled resource (service-behaviour.md §2.2, §11.1).
    """

    create: float = 0.3
    """CreateAgent: CREATING -> NOT_PREPARED (or FAILED)."""
    update: float = 0.3
    """UpdateAgent: UPDATING -> NOT_PREPARED (or PREPARED, see ``update_settles_to``)."""
    prepare: float = 0.5
    """PrepareAgent: PREPARING -> PREPARED (or FAILED)."""
    version: float = 0.3
    """Version cut by CreateAgentAlias/UpdateAgentAlias: agent VERSIONING -> PREPARED; DeleteAgentVersion."""
    alias: float = 0.2
    """Alias CREATING/UPDATING -> PREPARED; DeleteAgentAlias DELETING -> gone."""
    delete: float = 0.3
    """DeleteAgent: DELETING -> gone."""


@dataclass(frozen=True)
class Quotas:
    """Count quotas (service-behaviour.md §7, defaults per account and Region, mid-2025).

    Exceeding one answers ServiceQuotaExceededException (HTTP 402 in the control-plane model),
    except the instruction length, which AWS reports as a ValidationException (§6.3).
    ``None`` disables a quota.
    """

    agents_per_account: int | None = 200
    action_groups_per_agent: int | None = 20
    enabled_action_groups_per_agent: int | None = 15
    apis_per_agent: int | None = 11
    parameters_per_function: int | None = 5
    aliases_per_agent: int | None = 10
    knowledge_bases_per_agent: int | None = 2
    collaborators_per_agent: int | None = 10
    instruction_characters: int | None = 20_000
    """The service quota L-6E3CDA2D; botocore's model still says 4000 (stale, §6.3)."""
    versions_per_agent: int | None = None
    """Not in the published quota table (§7, UNCONFIRMED): unlimited by default."""
    tags_per_resource: int | None = 50
    """AWS's usual per-resource tag limit; TagResource models ServiceQuotaExceededException."""


@dataclass(frozen=True)
class ErrorAfterCommit:
    """The service applies a change and then its answer is lost: a 500 after the commit, or the
    connection drops before the response (a load balancer timeout, a network blip). The SDK
    then retries a call that already happened: a Create* with the same clientToken is ignored
    (§1.2), but a repeated Delete* meets ResourceNotFoundException, a repeated
    AssociateAgentKnowledgeBase (no clientToken) ConflictException, and a repeated
    UpdateAgentAlias without routingConfiguration cuts a *second* version (§3.1).

    Each distinct request (operation and parameters) gets the fault at most once, so the SDK's
    retry of it is answered normally: what a client does after the first, lost answer is what
    is tested, not how long it retries."""

    rate: float = 0.0
    """Probability (0..1) that a committed mutating call's answer is lost (with ``seed``)."""
    operations: tuple[str, ...] = ()
    """Mutating operations it applies to; empty means every mutating operation."""
    answer: str = "InternalServerException"
    """``InternalServerException`` (HTTP 500 after the commit) or ``connection`` (the connection
    is closed without an answer)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise EmulatorConfigError(f"ErrorAfterCommit.rate is a probability (0..1), got {self.rate!r}")


@dataclass(frozen=True)
class FaultConfig:
    """Injected faults. Everything is off by default; ``seed`` makes probabilities repeatable."""

    seed: int | None = None
    latency: Mapping[str, float] = field(default_factory=dict)
    """Extra seconds per operation name; the key ``"*"`` applies to every operation."""
    throttle: str = "off"
    """``off`` | ``tps`` (token bucket per operation at the §7 TPS quotas) | ``probability``."""
    throttle_probability: float = 0.0
    tps: Mapping[str, float] = field(default_factory=dict)
    """Overrides of the §7 TPS table for ``throttle: tps`` (operation name -> requests/second)."""
    operations: tuple[str, ...] = ()
    """Operations the probabilistic faults apply to; empty means all."""
    internal_error_probability: float = 0.0
    prepare_failure_probability: float = 0.0
    """Probability that a PrepareAgent which would succeed ends in FAILED instead."""
    prepare_failure_reason: str = "[emulator fault injection] Prepare failed: injected failure"
    slow_prepare_seconds: float = 0.0
    """Added to every PrepareAgent's duration (after scaling), to exercise long polls."""
    kill_after_mutation: int | None = None
    """Crash tests: SIGKILL the process running the emulator right after the N-th successful
    mutating call of that process committed, before its response reaches the client (the
    nastiest realistic crash: the change happened, the caller never learns it did). With the
    embedded local target that process is the agentctl command itself."""
    kill_when_status: str | None = None
    """Crash tests: SIGKILL the process when a GetAgent read returns an agent in this status
    (``PREPARING``, ``VERSIONING``, ...): the caller dies while waiting for a transition."""
    kill_when_status_occurrence: int = 1
    """Which agent's wait is killed: the first read showing the K-th distinct agent in
    ``kill_when_status`` (1 = the first agent this process sees in it)."""
    error_after_commit: ErrorAfterCommit = field(default_factory=ErrorAfterCommit)
    """The answer of a committed change lost (500 or a dropped connection); see the class."""

    @property
    def active(self) -> bool:
        return bool(self.latency or self.throttle != "off" or self.internal_error_probability
                    or self.prepare_failure_probability or self.slow_prepare_seconds
                    or self.kill_after_mutation or self.kill_when_status
                    or self.error_after_commit.rate)


@dataclass(frozen=True)
class EmulatorConfig:
    time_scale: float = 1.0
    """Multiplies every duration in ``durations``; 0 makes every transition due at once (the
    response of the triggering call still shows the transitional status)."""
    durations: Durations = field(default_factory=Durations)
    quotas: Quotas = field(default_factory=Quotas)
    faults: FaultConfig = field(default_factory=FaultConfig)
    page_size_cap: int = 10
    """List pages hold at most this many items whatever ``maxResults`` says. The model caps the
    summary lists at 10 (``max: 10``); whether the service really does is UNCONFIRMED (§12.10).
    Capping flushes out clients that forget to follow ``nextToken``."""
    busy_timeout_seconds: float = 30.0
    """SQLite busy timeout when another process holds the state file's write lock."""

    # --- Switches for UNCONFIRMED behaviour (service-behaviour.md §12) -------------------------
    update_settles_to: str = "NOT_PREPARED"
    """§12.2: status after UpdateAgent settles. NOT_PREPARED is the safe assumption (§2.2):
    it forces clients to prepare after every update. Alternative: PREPARED."""
    subresource_edit_unprepares: bool = True
    """§12.1: whether a DRAFT action-group / KB / collaborator edit flips a PREPARED agent to
    NOT_PREPARED. True models "the DRAFT must be prepared again" (§2.2) visibly."""
    duplicate_agent_name: str = "async-failed"
    """§12.4: ``async-failed`` (observed: CreateAgent succeeds, the agent then ends FAILED with
    "Cannot create a new agent as an agent with the same name already exists.") or ``conflict``
    (a synchronous ConflictException)."""
    transitional_state_error: str = "ValidationException"
    """§12.3: exception class for UpdateAgent / sub-resource edits refused because the agent is
    in a transitional state. PrepareAgent and alias refusals are ValidationException (observed)."""
    idle_session_ttl_default: int = 1800
    """§12.9: idleSessionTTLInSeconds returned when never set (console default is 30 minutes)."""
    knowledge_base_state_default: str = "ENABLED"
    """§12.9: knowledgeBaseState when omitted on Associate/UpdateAgentKnowledgeBase."""
    memory_storage_days_default: int | None = 30
    """§12.9: storageDays filled in on read when memory is enabled without it (CDK default);
    None leaves it absent."""
    memory_max_recent_sessions_default: int | None = 20
    """§12.9: sessionSummaryConfiguration.maxRecentSessions filled in on read (CDK default)."""
    pre_processing_default_state: str = "DISABLED"
    """§12.9 / §6.2: PRE_PROCESSING's default promptState. botocore 1.44.8 (the newest source)
    says DISABLED; the user guide and CloudFormation say ENABLED."""
    default_prompts_include_memory_summarization: bool = True
    """§9.1: whether GetAgent's filled-in promptOverrideConfiguration has a MEMORY_SUMMARIZATION
    entry (5 entries) or not (4). It is in the control-plane enum, so 5 by default."""
    empty_routing_cuts_version: bool = True
    """§12.14: an empty ``routingConfiguration: []`` behaves like an omitted one (Terraform
    treats them the same). False: the alias is created/left without a version (DISSOCIATED)."""
    test_alias_updatable: bool = False
    """§12.6: UpdateAgentAlias on TSTALIASID. Refused by default, like DeleteAgentAlias."""
    test_alias_counts_towards_quota: bool = False
    """§12.8: whether TSTALIASID counts towards the 10-aliases-per-agent quota."""
    alias_history_max: int = 10
    """§12.7: agentAliasHistoryEvents kept (newest first); the model allows at most 10."""
    reuse_deleted_version_numbers: bool = False
    """§12.5: False = a monotonic counter per agent (numbers never re-used)."""
    runtime_refusal_error: str = "ValidationException"
    """§12.12: class of the InvokeAgent refusal for a DRAFT that was never prepared, a paused
    alias (REJECT_INVOCATIONS) or an alias without a version. Alternative: ConflictException."""
    runtime_max_iterations: int = 10
    """Orchestration steps (model calls) one InvokeAgent may take before it fails; Bedrock's own
    limit is not published (UNCONFIRMED)."""
    enabled_action_group_delete_error: str = "ValidationException"
    """§12.13: class of the "cannot be deleted when it is Enabled" refusal (CloudFormation
    mapped it to InvalidRequest, i.e. ValidationException). Alternative: ConflictException."""

    # ------------------------------------------------------------------------------------------

    def __post_init__(self) -> None:
        # A zero page size would make every paginator loop forever; no history makes no sense.
        for name in ("page_size_cap", "alias_history_max", "runtime_max_iterations"):
            if getattr(self, name) < 1:
                raise EmulatorConfigError(f"EmulatorConfig.{name} must be at least 1, got {getattr(self, name)}")

    def scaled(self, seconds: float) -> float:
        return max(0.0, seconds * self.time_scale)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, where: str = "emulator config") -> "EmulatorConfig":
        return _build(cls, data, where)

    @classmethod
    def load(cls, path: str | Path) -> "EmulatorConfig":
        """Read a YAML or JSON file whose keys are this class's fields (nested for
        ``durations``, ``quotas``, ``faults``)."""
        p = Path(path)
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except OSError as exc:
            raise EmulatorConfigError(f"cannot read emulator config: {exc.strerror}", where=str(p),
                                      hint="check the path given to --config / AGENTCTL_EMULATOR_CONFIG")
        except yaml.YAMLError as exc:
            raise EmulatorConfigError(f"emulator config is not valid YAML/JSON: {exc}", where=str(p))
        if data is None:
            data = {}
        return _build(cls, data, str(p))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "EmulatorConfig":
        """Defaults, then the file in ``AGENTCTL_EMULATOR_CONFIG``, then each
        ``AGENTCTL_EMULATOR_<FIELD>`` variable. Any other ``AGENTCTL_EMULATOR_*`` name is an
        ``EmulatorConfigError`` suggesting the closest known one: nothing else in agentctl reads
        that prefix, so such a name is a typo (``AGENTCTL_EMULATOR_TIMESCALE``) that would
        otherwise be ignored silently."""
        env = os.environ if environ is None else environ
        known = env_names()
        for name in sorted(env):
            if name.startswith(ENV_PREFIX) and name not in known:
                # Compare what follows the prefix: the shared prefix would make every name look
                # alike (AGENTCTL_EMULATOR_STATE "close" to AGENTCTL_EMULATOR_QUOTAS).
                suffixes = sorted(k[len(ENV_PREFIX):] for k in known)
                close = difflib.get_close_matches(name[len(ENV_PREFIX):], suffixes, n=1,
                                                  cutoff=0.6)
                raise EmulatorConfigError(
                    f"unknown emulator variable {name}", where="environment",
                    hint=f"did you mean {ENV_PREFIX}{close[0]}?" if close else
                    f"agentctl reads {ENV_CONFIG_FILE} and {ENV_PREFIX}<SETTING> for SETTING in "
                    + ", ".join(x for x in suffixes if x != "CONFIG")
                    + "; unset it or fix its name")
        base = cls.load(env[ENV_CONFIG_FILE]) if env.get(ENV_CONFIG_FILE) else cls()
        overrides: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            name = ENV_PREFIX + f.name.upper()
            if name in env:
                try:
                    overrides[f.name] = yaml.safe_load(env[name])
                except yaml.YAMLError as exc:
                    raise EmulatorConfigError(f"{name} is not valid YAML/JSON: {exc}")
        if not overrides:
            return base
        return base.merged(overrides, where="environment")

    def merged(self, overrides: Mapping[str, Any], *, where: str = "overrides") -> "EmulatorConfig":
        """A copy with ``overrides`` applied (nested mappings merge into nested sections)."""
        data = _as_mapping(self)
        for key, value in overrides.items():
            if key in data and isinstance(data[key], dict) and isinstance(value, Mapping):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        return _build(type(self), data, where)


_CHOICES = {
    "update_settles_to": ("NOT_PREPARED", "PREPARED"),
    "duplicate_agent_name": ("async-failed", "conflict"),
    "transitional_state_error": ("ValidationException", "ConflictException"),
    "knowledge_base_state_default": ("ENABLED", "DISABLED"),
    "pre_processing_default_state": ("ENABLED", "DISABLED"),
    "enabled_action_group_delete_error": ("ValidationException", "ConflictException"),
    "runtime_refusal_error": ("ValidationException", "ConflictException"),
    "throttle": ("off", "tps", "probability"),
    "answer": ("InternalServerException", "connection"),
    # The agentStatus enum (§2.1): statuses a GetAgent read can show.
    "kill_when_status": ("CREATING", "PREPARING", "PREPARED", "NOT_PREPARED", "DELETING",
                         "FAILED", "VERSIONING", "UPDATING"),
}


def _as_mapping(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        out[f.name] = _as_mapping(v) if dataclasses.is_dataclass(v) else (dict(v) if isinstance(v, Mapping) else v)
    return out


def _build(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, Mapping):
        raise EmulatorConfigError(f"expected a mapping for {cls.__name__}, got {type(data).__name__}", where=where)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise EmulatorConfigError(f"unknown emulator setting(s): {', '.join(unknown)}", where=where,
                                  hint=f"known settings of {cls.__name__}: {', '.join(fields)}")
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        kwargs[name] = _coerce(cls, fields[name], value, where)
    try:
        return cls(**kwargs)
    except EmulatorConfigError as exc:   # from __post_init__: add where the values came from
        if exc.where:
            raise
        raise EmulatorConfigError(exc.what, where=where, hint=exc.hint) from None


def _coerce(cls: type, f: dataclasses.Field, value: Any, where: str) -> Any:
    default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
    label = f"{cls.__name__}.{f.name}"
    if dataclasses.is_dataclass(default):
        return _build(type(default), value, f"{where}: {f.name}")
    if isinstance(default, Mapping):
        if not isinstance(value, Mapping) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                     for v in value.values()):
            raise EmulatorConfigError(f"{label} must map names to numbers", where=where)
        return {str(k): float(v) for k, v in value.items()}
    if isinstance(default, tuple):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise EmulatorConfigError(f"{label} must be a list of operation names", where=where)
        return tuple(value)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise EmulatorConfigError(f"{label} must be true or false, got {value!r}", where=where)
        return value
    typ = str(f.type)
    if default is None and typ.startswith("str"):
        if value is not None and not isinstance(value, str):
            raise EmulatorConfigError(f"{label} must be a string, got {value!r}", where=where)
        choices = _CHOICES.get(f.name)
        if value is not None and choices and value not in choices:
            raise EmulatorConfigError(f"{label} must be one of {', '.join(choices)}, got {value!r}", where=where)
        return value
    if isinstance(default, (int, float)) or default is None:
        if value is None and "None" in typ:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise EmulatorConfigError(f"{label} must be a number, got {value!r}", where=where)
        if value < 0:
            raise EmulatorConfigError(f"{label} must not be negative, got {value!r}", where=where)
        if "probability" in f.name and value > 1:
            raise EmulatorConfigError(f"{label} is a probability (0..1), got {value!r}", where=where)
        if typ.startswith("int"):
            if not float(value).is_integer():
                raise EmulatorConfigError(f"{label} must be a whole number, got {value!r}", where=where)
            return int(value)
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise EmulatorConfigError(f"{label} must be a string, got {value!r}", where=where)
        choices = _CHOICES.get(f.name)
        if choices and value not in choices:
            raise EmulatorConfigError(f"{label} must be one of {', '.join(choices)}, got {value!r}", where=where)
        return value
    return value
