"""The plan: what will change (ResourceChange) and exactly how (Step).

Modelled on Terraform's plans package: a tiny action enum; ``before``/``after`` are the canonical
values (``agentctl.core.model``) of one resource. Steps carry botocore operation names and their
parameters, so a saved plan shows exactly what will be sent, Stubber expectations come straight
from it, and the emulator implements the same names.

| action  | before          | after           |
|---------|-----------------|-----------------|
| NOOP    | live value      | same value      |
| CREATE  | None            | desired value   |
| UPDATE  | live value      | desired value   |
| REPLACE | live value      | desired value   |  (delete then create, e.g. a renamed key)
| DELETE  | live value      | None            |

Pure; frozen dataclasses only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Mapping

FORMAT_VERSION = 1
"""Version of the saved-plan file and of ``--output json``; bump on incompatible change."""

VERSION_CUTTING_OPS = frozenset({"CreateAgentAlias", "UpdateAgentAlias"})
"""The alias operations that mint a new version when sent without routingConfiguration (§3.1)."""


class Action(str, enum.Enum):
    NOOP = "no-op"
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"

    @property
    def symbol(self) -> str:
        return {"no-op": " ", "create": "+", "update": "~", "replace": "-/+", "delete": "-"}[self.value]

    @property
    def terraform_actions(self) -> list[str]:
        """Terraform's JSON ``actions`` list for this action."""
        return {
            "no-op": ["no-op"],
            "create": ["create"],
            "update": ["update"],
            "replace": ["delete", "create"],
            "delete": ["delete"],
        }[self.value]


@dataclass(frozen=True)
class FieldChange:
    """One attribute that differs. ``path`` is dotted with [i] for list items, e.g.
    ``promptOverrideConfiguration.promptConfigurations[ORCHESTRATION].basePromptTemplate``."""

    path: str
    before: Any
    after: Any
    sensitive: bool = False
    text_diff: bool = False
    """Prose (instruction, prompt templates, any multi-line string): renderers show a unified
    diff instead of ``old -> new``. Set by the differ; how it looks is the renderer's choice."""


@dataclass(frozen=True)
class ResourceChange:
    address: str
    """Stable, readable: ``agent.support-bot``, ``agent.support-bot.action_group.OrderTools``,
    ``agent.support-bot.knowledge_base.KB1234ABCD``, ``agent.support-bot.alias.PROD``."""
    kind: str
    """One of the kinds in ``agentctl.core.model`` (agent, action_group, ...)."""
    action: Action
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    fields: tuple[FieldChange, ...] = ()
    reason: str | None = None
    """Why, when not obvious (e.g. "the agent's spec left the project, --prune given")."""


@dataclass(frozen=True)
class Step:
    """One API call the executor will make, in order.

    ``params`` are the exact botocore parameters, except that values not known before apply are
    ``{"$ref": address, "key": ...}`` placeholders (see ``agentctl.core.model.Ref``), resolved from
    the outputs of earlier steps. ``wait_for`` names the stable status to poll for afterwards
    (e.g. ``agent:NOT_PREPARED|PREPARED``, ``agent:PREPARED``, ``alias:PREPARED``), or None.
    ``outputs`` says which response fields later steps may reference under this address, as
    key -> dotted response path (e.g. ``{"agentId": "agent.agentId"}``).
    ``after`` lists step addresses (usually of another agent) whose steps must all have
    completed before this one starts: an ordering the ``$ref``s in ``params`` do not imply,
    e.g. a collaborator's alias is deleted only after the supervisor that used it has
    disassociated it and been prepared again (``after=("agent.sup.collaborator.billing",
    "agent.sup")``). The executor honours it on top of ``$ref`` dependencies and refuses a plan
    whose dependencies form a cycle before making any call.
    """

    operation: str
    params: Mapping[str, Any]
    address: str
    description: str
    wait_for: str | None = None
    outputs: Mapping[str, str] = field(default_factory=dict)
    mutating: bool = True
    after: tuple[str, ...] = ()

    @property
    def cuts_version(self) -> bool:
        """§3.1: CreateAgentAlias / UpdateAgentAlias without routingConfiguration mint a version
        (the executor then waits for the agent too and reads the number back; renderers mark
        it)."""
        return self.operation in VERSION_CUTTING_OPS and not self.params.get("routingConfiguration")


@dataclass(frozen=True)
class AliasMove:
    """Lifecycle summary of one alias: ``STAGING 7 -> 8``. ``to_version`` may be "new" (the
    version this apply cuts, number known after apply)."""

    agent: str
    alias: str
    from_version: str | None
    to_version: str | None


@dataclass(frozen=True)
class AgentLifecycle:
    """What happens to one agent after its DRAFT edits: prepare, cut a version, move aliases."""

    agent: str
    prepare: bool
    new_version: bool
    """True when DRAFT content (after apply) differs from the newest version, or none exists
    and an alias needs one."""
    next_version_hint: str | None
    """The number the new version will most likely get (newest + 1), for display only."""
    moves: tuple[AliasMove, ...] = ()
    stays: tuple[AliasMove, ...] = ()
    """Aliases that keep their version (pinned ones), shown as ``PROD stays on 7``."""
    delete_versions: tuple[str, ...] = ()
    """Versions this plan deletes: the older ones no alias routes to, beyond the newest
    ``versionRetention`` (version retention); in a ``destroy`` plan, every version of the agent
    (they go with DeleteAgent)."""


@dataclass(frozen=True)
class Plan:
    format_version: int
    project: str
    environment: str
    target: Mapping[str, Any]
    """``agentctl.core.model.Target`` as a dict; apply refuses a different target."""
    spec_digest: str
    """Digest of the desired canonical state; informational."""
    live_fingerprint: Mapping[str, str]
    """agent name -> fingerprint of the live agent ("absent" when it did not exist). Apply of a
    saved plan re-reads these agents and refuses if any differs."""
    changes: tuple[ResourceChange, ...]
    lifecycle: tuple[AgentLifecycle, ...]
    steps: tuple[Step, ...]
    plan_id: str = ""
    """Digest of everything above; identifies the plan for "already applied" detection."""
    created_at: str = ""
    """ISO timestamp, informational; not part of plan_id."""
    configuration: Mapping[str, Any] = field(default_factory=dict)
    """agent name -> config document (``agentctl.core.normalize.config_document``) of every
    agent the project's specs declared when the plan was made, canonical, before collaborator
    references were resolved against live state. Applying a saved plan refuses it as stale when
    the project's configuration differs now (Terraform does the same) and says what differs.
    Empty in plans saved before it existed (then that check is skipped). Not part of plan_id."""

    @property
    def has_changes(self) -> bool:
        return any(s.mutating for s in self.steps)

    def counts(self) -> dict[str, int]:
        """Terraform's ``Plan: X to add, Y to change, Z to destroy.`` numbers."""
        add = sum(1 for c in self.changes if c.action in (Action.CREATE, Action.REPLACE))
        change = sum(1 for c in self.changes if c.action is Action.UPDATE)
        destroy = sum(1 for c in self.changes if c.action in (Action.DELETE, Action.REPLACE))
        return {"add": add, "change": change, "destroy": destroy}


@dataclass(frozen=True)
class PlanSet:
    """The plans of several environments of one project, made by one ``agentctl plan -e A -e B``
    (or ``--all-envs``) and saved as one file; applied exactly, each plan checked for staleness
    against its own environment before any is applied."""

    plans: tuple[Plan, ...]

    @property
    def has_changes(self) -> bool:
        return any(p.has_changes for p in self.plans)

    @property
    def environments(self) -> tuple[str, ...]:
        return tuple(p.environment for p in self.plans)


@dataclass(frozen=True)
class StepResult:
    step: Step
    ok: bool
    response: Mapping[str, Any] | None = None
    error: str | None = None
    elapsed: float = 0.0
    accepted: bool = False
    """The step's call itself was accepted by the service (its effect may exist), even when the
    step then failed while waiting for or checking that effect."""


@dataclass(frozen=True)
class InFlight:
    """A step whose call was sent but whose outcome was not confirmed, because the run was
    interrupted: ``last_status`` is the status seen last while waiting (None when the call
    itself had not answered yet)."""

    step: Step
    last_status: str | None
    accepted: bool
    note: str = ""


@dataclass(frozen=True)
class ApplyResult:
    completed: tuple[StepResult, ...]
    failed: StepResult | None
    not_run: tuple[Step, ...]
    outputs: Mapping[str, Mapping[str, Any]]
    """address -> {agentId, agentArn, aliasId, version, ...} known after apply."""
    failures: tuple[StepResult, ...] = ()
    """Every failed step (one per agent at most; ``failed`` is the first)."""
    interrupted: bool = False
    """The run was stopped (Ctrl-C / SIGTERM, or a stop request)."""
    in_flight: tuple[InFlight, ...] = ()
    """Steps sent but not confirmed when an interrupted run stopped waiting for them."""

    @property
    def all_completed(self) -> bool:
        """Every step of the plan completed (a saved plan is recorded as applied only then)."""
        return (not self.failures and self.failed is None and not self.not_run
                and not self.in_flight)

    @property
    def ok(self) -> bool:
        """Every step completed and nothing interrupted the run: never true after an
        interruption, even one that came after the last step."""
        return self.all_completed and not self.interrupted
