"""The executor: runs a plan's steps against a target. The only code in agentctl that mutates.

What it does (ARCHITECTURE.md §1; chalice's deployer/executor split — the planner decides, the
executor only carries out):
- walks the steps **in plan order per agent**: writes to one agent are serialized, and after each
  step the executor waits for the step's ``wait_for`` stable status before the next one
  (service-behaviour.md §9.3 item 6: concurrent writers to one agent race with PREPARING /
  VERSIONING);
- runs **different agents concurrently** (a thread per agent); an agent whose step references
  another agent's output (``{"$ref": "agent.billing.alias.PROD", "key": "agentAliasArn"}``) waits
  until that output exists, and gives up if the producing agent stopped without it;
- honours each step's explicit ``after`` addresses the same way: the step starts only once every
  plan step at those addresses has completed, and does not run if one of them failed or did not
  run (e.g. a collaborator's alias is deleted only after the supervisor has disassociated it and
  been prepared again, which releases its reference to the alias);
- refuses, before any call, a plan whose dependencies (each agent's own order, ``$ref``s and
  ``after``) form a cycle or whose ``after`` names an address no step has;
- resolves ``$ref`` placeholders from earlier outputs;
- gives every create call a **deterministic clientToken** (a digest of project, environment, plan
  id, plan time, step index, address, operation and parameters): re-running the same saved plan
  after a crash never creates a second resource (§1.2: same token => the request is ignored);
  a freshly computed plan gets fresh tokens, so destroy-then-recreate is not swallowed by the
  service's idempotency window;
- after a version-cutting alias step (Create/UpdateAgentAlias without routingConfiguration, §3.1)
  waits for the alias to be PREPARED and the agent back to PREPARED (VERSIONING in between), then
  reads the new version number back (GetAgentAlias routingConfiguration) as output ``version``;
- is tolerant of correct-but-different endpoints and strict about wrong ones: every status the
  API documents as a settled outcome of a step is accepted (``DOCUMENTED_OUTCOMES``), an alias
  step's effect is verified (a version really cut, the alias routed as asked), and an endpoint
  that did something else fails the step with ``EndpointError`` (not a spec problem);
- checks, before the first change of an existing agent, that it is tagged as managed by the
  plan's project (one ListTagsForResource per agent), whoever built the plan;
- settles calls whose answer was lost after the service committed them (a 5xx or a dropped
  connection, then the SDK's retry; ``aws.client`` marks the error ``maybe_committed``): a
  repeated delete that meets ResourceNotFoundException is done, a repeated create or
  association that meets ConflictException adopts what the first attempt made (an agent only if
  it carries this plan's ownership tags), and a version-cutting UpdateAgentAlias, which
  botocore does not repeat, is first checked (alias UPDATING, or routed to a new version: it
  took effect) and sent again only if it did not, so no second, orphan version is cut;
- handles interruption (``Interrupt``): on SIGINT / SIGTERM no new step starts, the calls in
  flight finish and their transitions are waited for within a grace period; a second signal
  abandons those waits; the result lists completed, in flight (last status seen) and not run;
- stops an agent's sequence at its first failure, keeps going with independent agents, and returns
  exactly what completed, what failed, what was in flight and what did not run
  (``raise_for_result`` turns that into ``PartialApply``: exit APPLY_FAILED or INTERRUPTED).

Every plan agentctl runs goes through ``execute``: apply's, destroy's (the planner's removal
plan), promote / rollback's alias moves, adopt's tagging, the runtime's candidate alias.

Must not: plan, read specs, print (progress goes through the ``progress`` callback), or retry
what ``agentctl.aws.client.call`` (and botocore under it) already retried.
"""

from __future__ import annotations

import hashlib
import re
import threading
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping

from agentctl.aws import client as aws
from agentctl.aws.ratelimit import WaitCancelled
from agentctl.core import servicemodel
from agentctl.errors import AgentctlError, AwsError, EndpointError, NotOwned, PartialApply
from agentctl.exitcodes import ExitCode
from agentctl.core.model import Ref, canonical_json, is_ref
from agentctl.plan import graph
from agentctl.plan.model import (
    VERSION_CUTTING_OPS,
    ApplyResult,
    InFlight,
    Plan,
    Step,
    StepResult,
)

Progress = Callable[[str], None]
AfterStep = Callable[[Step, Mapping[str, Any]], None]

# Outputs every step of these operations exposes even if the plan did not declare them (the
# executor needs ids for polling; later steps may reference them).
DEFAULT_OUTPUTS: Mapping[str, Mapping[str, str]] = {
    "CreateAgent": {"agentId": "agent.agentId", "agentArn": "agent.agentArn"},
    "UpdateAgent": {"agentId": "agent.agentId", "agentArn": "agent.agentArn"},
    "CreateAgentAlias": {"agentAliasId": "agentAlias.agentAliasId",
                         "agentAliasArn": "agentAlias.agentAliasArn"},
    "UpdateAgentAlias": {"agentAliasId": "agentAlias.agentAliasId",
                         "agentAliasArn": "agentAlias.agentAliasArn"},
    "CreateAgentActionGroup": {"actionGroupId": "agentActionGroup.actionGroupId"},
    "AssociateAgentCollaborator": {"collaboratorId": "agentCollaborator.collaboratorId"},
}


class UnresolvedRef(AgentctlError):
    """A ``$ref`` whose producer did not run or did not produce the key."""


def agent_of(address: str) -> str:
    """``agent.support-bot.alias.PROD`` -> ``support-bot`` (agent names contain no dots, §1.2)."""
    parts = address.split(".")
    if len(parts) < 2 or parts[0] != "agent":
        raise AgentctlError(f"step address {address!r} does not name an agent")
    return parts[1]


def ref_parts(value: Ref) -> tuple[str, str]:
    return value.address, value.key


def iter_refs(value: Any):
    if is_ref(value):
        yield ref_parts(value)
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from iter_refs(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from iter_refs(v)


def client_token(plan: Plan, index: int, step: Step, params: Mapping[str, Any]) -> str:
    """Deterministic idempotency token (§1.2: 33..256 chars of ``[a-zA-Z0-9-]``): 64 hex chars."""
    body = {k: v for k, v in params.items() if k != "clientToken"}
    text = canonical_json([plan.project, plan.environment, plan.plan_id, plan.created_at, index,
                           step.address, step.operation, body])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def takes_client_token(operation: str, model: Any = None) -> bool:
    """``model``: the client's own service model (``aws.model_of``), not a second one."""
    shape = (model or servicemodel.service_model()).operation_model(operation).input_shape
    member = shape.members.get("clientToken") if shape is not None else None
    return member is not None and bool(member.metadata.get("idempotencyToken"))


def is_version_cut(step: Step) -> bool:
    """§3.1: CreateAgentAlias / UpdateAgentAlias without routingConfiguration mint a version."""
    return step.cuts_version


def dig(obj: Any, path: str) -> Any:
    """Value at a dotted response path; numeric parts index lists (``routingConfiguration.0``)."""
    for part in path.split("."):
        if isinstance(obj, (list, tuple)) and part.isdigit():
            if int(part) >= len(obj):
                return None
            obj = obj[int(part)]
        elif isinstance(obj, Mapping) and part in obj:
            obj = obj[part]
        else:
            return None
    return obj


class _Outputs:
    """address -> {key: value}, shared between agent threads; waiting readers are woken when an
    output is written or an agent finishes."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._values: dict[str, dict[str, Any]] = {}
        self._finished: set[str] = set()
        self._done: set[int] = set()
        """Indices (in the plan) of the steps that completed."""

    def put(self, address: str, values: Mapping[str, Any]) -> None:
        with self._cond:
            self._values.setdefault(address, {}).update(values)
            self._cond.notify_all()

    def finish(self, agent: str) -> None:
        with self._cond:
            self._finished.add(agent)
            self._cond.notify_all()

    def get(self, address: str, key: str, *, requester: str, agents: set[str],
            stop: threading.Event) -> Any:
        producer = agent_of(address)
        with self._cond:
            while True:
                if key in self._values.get(address, {}):
                    return self._values[address][key]
                if producer == requester or producer not in agents or producer in self._finished:
                    raise UnresolvedRef(
                        f"{key} of {address} is not known",
                        hint=("the step that produces it did not run (it failed or is not in "
                              "the plan); run `agentctl plan` again"))
                if stop.is_set():
                    raise UnresolvedRef(f"interrupted while waiting for {key} of {address}")
                self._cond.wait(timeout=0.5)

    def mark_done(self, index: int) -> None:
        with self._cond:
            self._done.add(index)
            self._cond.notify_all()

    def all_done(self, indices: Iterable[int]) -> bool:
        with self._cond:
            return all(j in self._done for j in indices)

    def wait_done(self, indices: Mapping[int, str], *, stop: threading.Event) -> None:
        """Wait until every step in ``indices`` (step index -> its address) completed; raise
        ``UnresolvedRef`` once one of them can no longer complete (its agent stopped)."""
        with self._cond:
            while True:
                missing = [j for j in indices if j not in self._done]
                if not missing:
                    return
                gone = sorted({indices[j] for j in missing
                               if agent_of(indices[j]) in self._finished})
                if gone:
                    raise UnresolvedRef(
                        f"it must run after {', '.join(gone)}, which did not complete",
                        hint="a step it waits for failed or did not run; fix that and run "
                             "`agentctl apply` again")
                if stop.is_set():
                    raise UnresolvedRef(f"interrupted while waiting for "
                                        f"{', '.join(sorted(set(indices.values())))}")
                self._cond.wait(timeout=0.5)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        with self._cond:
            return {k: dict(v) for k, v in self._values.items()}


# ------------------------------------------------------------------------------ interruption

class Interrupt:
    """What Ctrl-C / SIGTERM mean to a run. The first asks to stop: no new step starts, the
    steps in flight finish their call and wait for its transition, for at most ``grace`` more
    seconds; the second abandons those waits at once (the calls themselves were sent and
    cannot be taken back). ``request()`` is what the signal handler calls; tests call it too."""

    def __init__(self, grace: float = 120.0, *, monotonic: Callable[[], float] | None = None):
        import time

        self.grace = grace
        self._monotonic = monotonic or time.monotonic
        self.stop = threading.Event()
        self.abandon = threading.Event()
        self.stopped_at: float | None = None
        self.signals: list[str] = []

    def request(self, why: str = "interrupted") -> None:
        self.signals.append(why)
        if not self.stop.is_set():
            self.stopped_at = self._monotonic()
            self.stop.set()
        else:
            self.abandon.set()

    def cancel_reason(self) -> str | None:
        """For waits in flight: why to stop waiting now, or None to go on."""
        if self.abandon.is_set():
            return "interrupted twice: abandoned"
        if self.stopped_at is not None and self._monotonic() - self.stopped_at > self.grace:
            return f"interrupted: gave up after {self.grace:g}s of grace"
        return None

    @contextmanager
    def handling_signals(self) -> Iterator[None]:
        """SIGINT / SIGTERM call ``request`` while the block runs (main thread only: Python
        delivers signals there; elsewhere this does nothing)."""
        import signal

        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {}

        def on_signal(signum: int, _frame: Any) -> None:
            self.request(signal.Signals(signum).name)

        try:
            for sig in (signal.SIGINT, signal.SIGTERM):
                previous[sig] = signal.signal(sig, on_signal)
        except ValueError:  # pragma: no cover - not the main interpreter
            yield
            return
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


ABANDON_JOIN_SECONDS = 3.0
"""After the second interruption, how long the run still waits for threads whose call has not
answered; then it reports them as in flight and returns."""


@dataclass
class _AgentRun:
    """One agent's sequence and what became of it; mutable on purpose: written by that agent's
    worker thread (under ``lock``), read by the main thread."""

    name: str
    steps: list[tuple[int, Step]]
    completed: list[StepResult] = field(default_factory=list)
    failed: StepResult | None = None
    not_run: list[tuple[int, Step]] = field(default_factory=list)
    in_flight: list[InFlight] = field(default_factory=list)
    crash: BaseException | None = None
    current: tuple[int, Step] | None = None
    """The step being run now."""
    accepted: bool = False
    """Its call was accepted."""
    last_status: str | None = None
    """The status its waits saw last."""
    ended: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


# -------------------------------------------------------------------------------- graphs

def dependency_graph(plan: Plan, *, with_after: bool = False) -> dict[str, set[str]]:
    """agent -> agents whose outputs its steps reference (and, ``with_after``, the agents of
    the addresses its steps must run after)."""
    deps: dict[str, set[str]] = {}
    for step in plan.steps:
        me = agent_of(step.address)
        deps.setdefault(me, set())
        for address, _ in iter_refs(step.params):
            other = agent_of(address)
            if other != me:
                deps[me].add(other)
        if with_after:
            deps[me].update(other for other in map(agent_of, step.after) if other != me)
    return deps


def _possible_outputs(step: Step) -> set[str]:
    """Output keys a step can produce (see ``_run_step``)."""
    keys = set(DEFAULT_OUTPUTS.get(step.operation, {})) | set(step.outputs) | {"agentId"}
    if step.operation in VERSION_CUTTING_OPS:
        keys |= {"agentAliasId", "agentAliasArn", "version"}
    return keys


def step_graph(plan: Plan) -> dict[int, set[int]]:
    """Step index -> indices of the steps that must complete before it: the previous step of
    its agent, every step at one of its ``after`` addresses, and, for a ``$ref`` to another
    agent's output, the first step at that address able to produce the key. Raises
    ``AgentctlError`` for an ``after`` address that no step of the plan has."""
    by_address: dict[str, list[int]] = {}
    for i, step in enumerate(plan.steps):
        by_address.setdefault(step.address, []).append(i)
    previous: dict[str, int] = {}
    deps_of: dict[int, set[int]] = {}
    for i, step in enumerate(plan.steps):
        me = agent_of(step.address)
        deps: set[int] = set()
        if me in previous:
            deps.add(previous[me])
        previous[me] = i
        for address in step.after:
            if address not in by_address:
                raise AgentctlError(
                    f"step {step.operation} of {step.address} must run after {address}, which "
                    "no step of the plan has", where="plan",
                    hint="the plan is damaged; create it again with `agentctl plan`")
            deps.update(j for j in by_address[address] if j != i)
        for address, key in iter_refs(step.params):
            if agent_of(address) == me:
                continue  # the agent's own order already covers it
            producer = next((j for j in by_address.get(address, ())
                             if key in _possible_outputs(plan.steps[j])), None)
            if producer is not None:
                deps.add(producer)
        deps_of[i] = deps
    return deps_of


def check_plan(plan: Plan) -> None:
    """Refuse, before any call, a plan that could not run to the end: an ``after`` naming no
    step, steps that wait for each other in a loop (the run would hang part-way), or agents
    whose ``$ref``s form a loop."""
    agents = dependency_graph(plan)
    loop = graph.find_cycle(agents)
    if loop is not None:
        raise AgentctlError(f"agents reference each other in a cycle: {' -> '.join(loop)}",
                            hint="collaborator references between project agents must not "
                                 "form a loop")
    steps = graph.find_cycle(step_graph(plan))
    if steps is not None:
        shown = " waits for ".join(f"{plan.steps[j].operation} {plan.steps[j].address}"
                                   for j in steps)
        raise AgentctlError(f"the plan's steps wait for each other in a cycle: {shown}",
                            where="plan",
                            hint="no call was made; apply the changes in two runs "
                                 "(e.g. first the supervisor with --agent)")


# ------------------------------------------------------------------------------- running

_current = threading.local()


def running_step() -> Step | None:
    """The step the calling thread is executing, if any (the one-executor test checks that
    every mutating call happens inside one)."""
    return getattr(_current, "step", None)


def execute(plan: Plan, clients: aws.Clients, *, progress: Progress | None = None,
            after_step: AfterStep | None = None, stop: threading.Event | None = None,
            serial: bool = False, interrupt: Interrupt | None = None,
            handle_signals: bool = True, check_ownership: bool = True) -> ApplyResult:
    """Run ``plan``'s steps; never raises for a failed step (see ``ApplyResult``). A
    ``BaseException`` escaping a step (a crash, used by tests through ``after_step``) is
    re-raised once every agent thread has stopped.

    Interruption (``Interrupt``): SIGINT / SIGTERM while this runs (``handle_signals``, main
    thread), ``interrupt.request()``, or a set ``stop`` event. The result then says
    ``interrupted`` and lists the steps in flight (with the last status seen) apart from the
    completed ones and those not run.

    Ownership (``check_ownership``): before the first mutating step on an existing agent, the
    executor reads its tags and refuses (that agent's step fails, NotOwned's wording) to touch
    an agent not tagged as managed by the plan's project, whoever built the plan. Only
    ``adopt``, whose one step takes ownership, runs without it."""
    say = progress or (lambda line: None)
    check_plan(plan)
    deps = dependency_graph(plan)
    if serial:
        # One agent at a time: an agent must also start after the agents it runs ``after``.
        deps = dependency_graph(plan, with_after=True)
        loop = graph.find_cycle(deps)
        if loop is not None:
            raise AgentctlError(f"agents reference each other in a cycle: {' -> '.join(loop)}",
                                hint="collaborator references between project agents must not "
                                     "form a loop")
    intr = interrupt or Interrupt(grace=_grace(clients))
    if stop is not None:
        # A caller's stop event (tests, embedders): the same as a first interruption.
        intr.stop = stop
    by_address: dict[str, list[int]] = {}
    for i, step in enumerate(plan.steps):
        by_address.setdefault(step.address, []).append(i)
    outputs = _Outputs()
    runs: dict[str, _AgentRun] = {}
    for i, step in enumerate(plan.steps):
        name = agent_of(step.address)
        runs.setdefault(name, _AgentRun(name, [])).steps.append((i, step))
    agents = set(runs)
    cancel = intr.cancel_reason
    owned: dict[str, bool] = {}
    """agent id -> verified as the project's (shared by the agent threads; one check each)."""

    def worker(run: _AgentRun) -> None:
        pos = 0
        try:
            while pos < len(run.steps):
                i, step = run.steps[pos]
                if intr.stop.is_set():
                    break
                try:
                    waits = {j: plan.steps[j].address for a in step.after
                             for j in by_address[a] if j != i}
                    if waits and not outputs.all_done(waits):
                        say(f"{run.name}: {step.operation} for {step.address} waits for "
                            f"{', '.join(sorted(set(waits.values())))}")
                    outputs.wait_done(waits, stop=intr.stop)
                    params = _resolve(step.params, outputs, requester=run.name, agents=agents,
                                      stop=intr.stop)
                except UnresolvedRef as e:
                    if intr.stop.is_set():
                        break  # not a failure: the run was interrupted while this step waited
                    # The cause is elsewhere (another agent failed): not a failure of this step.
                    say(f"{run.name}: cannot run {step.operation} for {step.address}: {e.what}")
                    break
                if check_ownership and step.mutating:
                    refusal = _ownership_refusal(plan, step, params, clients, owned)
                    if refusal is not None:
                        say(f"{run.name}: {step.operation} refused: not managed by project "
                            f"{plan.project}")
                        with run.lock:
                            run.failed = StepResult(step=step, ok=False, error=refusal)
                        pos += 1
                        break
                with run.lock:
                    run.current, run.accepted, run.last_status = (i, step), False, None
                _current.step = step
                try:
                    result = _run_step(plan, i, step, params, clients, outputs, say, run, cancel)
                finally:
                    _current.step = None
                with run.lock:
                    if result is NOT_SENT:
                        run.current = None
                        break  # not run: the worker's clean-up lists it with the rest
                    if isinstance(result, InFlight):
                        run.in_flight.append(result)
                        run.current = None
                        pos += 1
                        break
                    run.current = None
                    if not result.ok:
                        run.failed = result
                        pos += 1
                        break
                    run.completed.append(result)
                outputs.mark_done(i)
                pos += 1
                if after_step is not None:
                    after_step(step, result.response or {})
        except BaseException as e:  # noqa: BLE001 - a crash: re-raised on the main thread
            run.crash = e
        finally:
            with run.lock:
                run.not_run.extend(run.steps[pos:])
                run.ended = True
            outputs.finish(run.name)

    # serial: one agent after another, in order of first appearance in the plan (destroy uses
    # it so a supervisor is gone before the collaborators it references lose their aliases).
    # Producers of referenced outputs still go before their consumers (else a consumer would
    # wait for an agent that has not started).
    batches = [[runs[n]] for n in graph.order(list(runs), deps)] if serial \
        else [list(runs.values())]
    started: set[str] = set()
    announced = 0
    abandoned_at: float | None = None
    import time

    def watch() -> bool:
        """Say what an interruption means as it happens; False once the run must stop
        waiting for its threads (abandoned, and they had their chance)."""
        nonlocal announced, abandoned_at
        if intr.stop.is_set() and announced == 0:
            announced = 1
            if limiter is not None:
                # A call still waiting for its token under the TPS quota was not sent: it must
                # not start now, nor keep the run waiting for its turn.
                limiter.interrupt()
            say("interrupted: finishing the calls in flight and waiting for their result "
                f"(at most {intr.grace:g}s more; interrupt again to stop waiting)")
        if intr.abandon.is_set() and announced < 2:
            announced = 2
            abandoned_at = time.monotonic()
            if limiter is not None:
                limiter.interrupt(abandon=True)
            say("interrupted again: no longer waiting for the calls in flight")
        return not (abandoned_at is not None
                    and time.monotonic() - abandoned_at > ABANDON_JOIN_SECONDS)

    limiter = getattr(clients, "limiter", None)
    signals = intr.handling_signals() if handle_signals else nullcontext()
    with signals:
        try:
            for batch in batches:
                if intr.stop.is_set() or any(r.crash is not None for r in runs.values()):
                    break
                started.update(run.name for run in batch)
                threads = [threading.Thread(target=worker, args=(run,),
                                            name=f"apply-{run.name}", daemon=True)
                           for run in batch]
                for t in threads:
                    t.start()
                keep_waiting = True
                while keep_waiting and any(t.is_alive() for t in threads):
                    for t in threads:
                        t.join(timeout=0.1)
                    keep_waiting = watch()
                if not keep_waiting:
                    break
        except KeyboardInterrupt:
            # Without our handlers (not the main thread's run, or a KeyboardInterrupt raised
            # before they were installed): the same as a first interruption.
            intr.request("KeyboardInterrupt")
            watch()
            for run in runs.values():
                while not run.ended and watch():
                    time.sleep(0.1)
        watch()
    if limiter is not None:
        limiter.reset()  # the command may still make calls (records, a release's clean-up)

    for run in runs.values():
        if run.name not in started:  # serial mode, stopped before this agent's turn
            run.not_run.extend(run.steps)
            outputs.finish(run.name)

    for run in runs.values():
        if run.crash is not None:
            raise run.crash

    order = {id(s): i for i, s in enumerate(plan.steps)}
    completed: list[StepResult] = []
    failures: list[StepResult] = []
    in_flight: list[InFlight] = []
    not_run: dict[int, Step] = {}
    for run in runs.values():
        with run.lock:
            completed.extend(run.completed)
            if run.failed is not None:
                failures.append(run.failed)
            in_flight.extend(run.in_flight)
            if not run.ended:
                # Abandoned while its call had not answered (or its thread not yet noticed).
                if run.current is not None:
                    i, step = run.current
                    in_flight.append(InFlight(step, run.last_status, run.accepted,
                                              "abandoned: no answer yet"
                                              if not run.accepted else "abandoned"))
                    pending = [(j, s) for j, s in run.steps if j > i]
                else:
                    done = {id(r.step) for r in run.completed}
                    pending = [(j, s) for j, s in run.steps if id(s) not in done]
                not_run.update(pending)
            else:
                not_run.update(run.not_run)
    completed.sort(key=lambda r: order[id(r.step)])
    failures.sort(key=lambda r: order[id(r.step)])
    in_flight.sort(key=lambda r: order[id(r.step)])
    return ApplyResult(
        completed=tuple(completed),
        failed=failures[0] if failures else None,
        not_run=tuple(s for _, s in sorted(not_run.items())),
        outputs=outputs.snapshot(),
        failures=tuple(failures),
        interrupted=intr.stop.is_set(),
        in_flight=tuple(in_flight),
    )


def raise_for_result(result: ApplyResult) -> None:
    """``PartialApply`` naming exactly what completed, what was in flight and what did not run:
    exit INTERRUPTED after an interruption, APPLY_FAILED when a step failed."""
    if result.ok:
        return
    # A step's error usually already starts with its address (the AwsError's ``where``, e.g.
    # "agent.x.alias.PROD: UpdateAgentAlias failed: ..."): do not say it twice.
    causes = [r.error if r.error and r.error.startswith(f"{r.step.address}: ")
              else f"{r.step.address}: {r.step.operation}: {r.error}" for r in result.failures]
    if result.interrupted:
        if result.all_completed:
            lead = "interrupted, after every step had completed"
        elif result.in_flight:
            lead = "interrupted while steps were in flight"
        else:
            lead = "interrupted"
        causes = [lead] + causes
    if not causes:
        causes = ["some steps could not run (a step they depend on did not complete)"]
    raise PartialApply(
        cause="; ".join(causes),
        completed=[f"{r.step.address}: {r.step.operation}" for r in result.completed],
        remaining=[f"{s.address}: {s.operation}" for s in result.not_run],
        in_flight=[f"{f.step.address}: {f.step.operation}, last seen "
                   f"{f.last_status or 'no answer yet'}" for f in result.in_flight],
        exit_code=ExitCode.INTERRUPTED if result.interrupted else ExitCode.APPLY_FAILED,
    )


_AGENT_IN_ARN = re.compile(r":agent(?:-alias)?/(?P<id>[0-9A-Za-z]{10})(?:/|$)")


def _agent_id_of(step: Step, params: Mapping[str, Any]) -> str | None:
    """The id of the existing agent a step changes (None for one this plan creates: its id is
    a ``$ref`` in the plan)."""
    if is_ref(step.params.get("agentId")) or is_ref(step.params.get("resourceArn")):
        return None
    agent_id = params.get("agentId")
    if isinstance(agent_id, str):
        return agent_id
    arn = params.get("resourceArn")
    m = _AGENT_IN_ARN.search(arn) if isinstance(arn, str) else None
    return m.group("id") if m else None


def _ownership_refusal(plan: Plan, step: Step, params: Mapping[str, Any],
                       clients: aws.Clients, owned: dict[str, bool]) -> str | None:
    """None when the agent ``step`` changes is the plan's project's (or created by this plan,
    or gone: the step itself then fails with the service's answer); else the refusal."""
    from agentctl.aws import live as live_mod

    agent_id = _agent_id_of(step, params)
    if agent_id is None or step.operation == "CreateAgent":
        return None
    if agent_id not in owned:
        try:
            tags = aws.call(clients, "ListTagsForResource",
                            {"resourceArn": live_mod.agent_arn(clients, agent_id)},
                            where=step.address).get("tags", {})
        except AgentctlError as e:
            if getattr(e, "code", None) == "ResourceNotFoundException":
                return None
            return e.message()
        owned[agent_id] = live_mod.is_owned(tags, plan.project)
    if owned[agent_id]:
        return None
    return NotOwned(f"agent {agent_id} is not managed by project {plan.project!r}; refusing to "
                    f"run {step.operation}", where=step.address,
                    hint="its ownership tags changed since the plan was made, or the plan is "
                         "for another project; `agentctl status` shows who manages it "
                         "(`agentctl adopt` takes over an unmanaged agent)").message()


def _grace(clients: aws.Clients) -> float:
    """How long, after an interruption, the waits in flight may still take."""
    return min(clients.timing.wait_timeout, 120.0)


def _resolve(value: Any, outputs: _Outputs, *, requester: str, agents: set[str],
             stop: threading.Event) -> Any:
    if is_ref(value):
        address, key = ref_parts(value)
        return outputs.get(address, key, requester=requester, agents=agents, stop=stop)
    if isinstance(value, Mapping):
        return {k: _resolve(v, outputs, requester=requester, agents=agents, stop=stop)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_resolve(v, outputs, requester=requester, agents=agents, stop=stop)
                for v in value]
    return value


# Statuses the API documents as the settled outcome of an operation (service-behaviour.md §2.2),
# accepted whatever the step's ``wait_for`` names: CreateAgent settles NOT_PREPARED, but an
# endpoint may prepare a new agent at once and report PREPARED; UpdateAgent settles at either.
DOCUMENTED_OUTCOMES: Mapping[str, frozenset[str]] = {
    "CreateAgent": frozenset({"NOT_PREPARED", "PREPARED"}),
    "UpdateAgent": frozenset({"NOT_PREPARED", "PREPARED"}),
}
# Statuses that may still precede the outcome right after the call (Terraform's
# waitAgentPrepared treats NOT_PREPARED as pending: an endpoint may not show PREPARING yet).
PENDING_BEFORE: Mapping[str, frozenset[str]] = {
    "PrepareAgent": frozenset({"NOT_PREPARED"}),
}


def _wait_spec(step: Step) -> str | None:
    if not step.wait_for:
        return None
    kind, _, statuses = step.wait_for.partition(":")
    extra = DOCUMENTED_OUTCOMES.get(step.operation) if kind == "agent" else None
    if not extra:
        return step.wait_for
    wanted = {s for s in statuses.split("|") if s} | set(extra)
    return f"{kind}:{'|'.join(sorted(wanted))}"


NOT_SENT = object()
"""``_run_step``'s answer for a step whose first call an interruption kept from being sent."""


def _run_step(plan: Plan, index: int, step: Step, params: dict[str, Any], clients: aws.Clients,
              outputs: _Outputs, say: Progress, run: _AgentRun,
              cancel: Callable[[], str | None]) -> Any:
    """The step's ``StepResult``, ``InFlight`` (interrupted after its call was sent), or
    ``NOT_SENT``."""
    start = clients.timing.monotonic()
    label = f"{run.name}: {step.operation}"
    if step.mutating and takes_client_token(step.operation, aws.model_of(clients)) \
            and "clientToken" not in params:
        params["clientToken"] = client_token(plan, index, step, params)
    description = _described(step.description, params)
    say(f"{label} ... {description}" if description else f"{label} ...")
    poller = _Poller(say, label, run)
    accepted = False
    try:
        response = _call_settled(plan, step, params, clients, say, label, poller, cancel)
        accepted = True
        with run.lock:
            run.accepted = True
        values = {}
        for key, path in {**DEFAULT_OUTPUTS.get(step.operation, {}), **step.outputs}.items():
            v = dig(response, path)
            if v is not None:
                values[key] = v
        agent_id = params.get("agentId") or dig(response, "agent.agentId")
        alias_id = params.get("agentAliasId") or dig(response, "agentAlias.agentAliasId")
        if agent_id:
            values.setdefault("agentId", agent_id)
        outputs.put(step.address, values)

        if is_version_cut(step):
            # §2.2/§3.1: alias CREATING/UPDATING -> PREPARED while the agent is VERSIONING ->
            # PREPARED; only then is the new version number visible in routingConfiguration.
            aws.wait_for(clients, "alias:PREPARED", agent_id=agent_id, alias_id=alias_id,
                         progress=poller, where=step.address, cancel=cancel,
                         operation=step.operation)
            aws.wait_for(clients, "agent:PREPARED", agent_id=agent_id, progress=poller,
                         where=step.address, cancel=cancel, operation=step.operation,
                         what=f"agent {agent_id} to be PREPARED again after cutting a version")
        elif step.wait_for:
            spec = _wait_spec(step)
            kind = spec.partition(":")[0]
            aws.wait_for(clients, spec, agent_id=agent_id,
                         alias_id=alias_id if kind == "alias" else None,
                         progress=poller, where=step.address, cancel=cancel,
                         operation=step.operation,
                         pending=PENDING_BEFORE.get(step.operation, frozenset()))
        if step.operation in VERSION_CUTTING_OPS and alias_id:
            alias = aws.call(clients, "GetAgentAlias",
                             {"agentId": agent_id, "agentAliasId": alias_id},
                             where=step.address)["agentAlias"]
            routed = [str(r.get("agentVersion")) for r in alias.get("routingConfiguration") or ()
                      if r.get("agentVersion")]
            _check_alias_effect(plan, step, params, routed, clients)
            extra = {"agentAliasId": alias_id, "agentAliasArn": alias.get("agentAliasArn")}
            if routed:
                extra["version"] = routed[0]
            outputs.put(step.address, {k: v for k, v in extra.items() if v})
        elapsed = clients.timing.monotonic() - start
        say(f"{label} done ({_secs(elapsed)})")
        return StepResult(step=step, ok=True, response=aws.response_json(response),
                          elapsed=elapsed, accepted=True)
    except aws.WaitAbandoned as e:
        say(f"{label} in flight: {e.what}")
        return InFlight(step, e.status, accepted, e.what)
    except WaitCancelled as e:
        # An interruption cancelled a wait for a token under the TPS quota (aws/ratelimit.py).
        if not accepted:
            say(f"{label} not run: {e.what}")
            return NOT_SENT  # the step's call was never sent: it did not run
        with run.lock:
            status = run.last_status
        say(f"{label} in flight: {e.what}")
        return InFlight(step, status, accepted, "abandoned while waiting under the TPS quota")
    except AgentctlError as e:
        elapsed = clients.timing.monotonic() - start
        say(f"{label} FAILED ({_secs(elapsed)})")
        return StepResult(step=step, ok=False, error=e.message(), elapsed=elapsed,
                          accepted=accepted)


DELETE_PREFIXES = ("Delete", "Disassociate")
CREATE_OPERATIONS = frozenset({"CreateAgent", "CreateAgentActionGroup", "CreateAgentAlias",
                               "AssociateAgentKnowledgeBase", "AssociateAgentCollaborator"})


def _call_settled(plan: Plan, step: Step, params: dict[str, Any], clients: aws.Clients,
                  say: Progress, label: str, poller: "_Poller",
                  cancel: Callable[[], str | None]) -> dict[str, Any]:
    """The step's call, settled when an attempt's answer was lost after the service may have
    committed it (module docstring; service-behaviour.md §1.2, §3.1). Raises the call's error
    when it cannot be settled."""
    attempts = 0
    while True:
        try:
            return aws.call(clients, step.operation, params, where=step.address,
                            wait_progress=poller, cancel=cancel)
        except AwsError as e:
            if not e.maybe_committed:
                raise
            op = step.operation
            lost = f"the answer to an earlier attempt was lost ({e.code})"
            if op.startswith(DELETE_PREFIXES) and e.code == "ResourceNotFoundException":
                say(f"{label}: {lost}; it is gone, so that attempt did it")
                return {}
            if op in CREATE_OPERATIONS and e.code == "ConflictException":
                found = aws.find_created(clients, op, params, where=step.address)
                if found is None or not _ours(op, params, found, clients, step):
                    raise
                say(f"{label}: {lost}; that attempt made it: adopted")
                return found
            if aws.safe_to_repeat(op, params) or attempts >= clients.timing.retries:
                raise
            attempts += 1
            alias = _version_cut_done(plan, step, params, clients)
            if alias is not None:
                say(f"{label}: {lost}; the alias was updated anyway: not sent again")
                return {"agentAlias": alias}
            say(f"{label}: {lost}; the alias was not updated: sending it again")
            clients.timing.sleep(aws.FullJitter(clients.timing).delay(attempts))


def _ours(operation: str, params: Mapping[str, Any], found: Mapping[str, Any],
          clients: aws.Clients, step: Step) -> bool:
    """An agent found by name is adopted only if it carries the tags this create sent (the
    ownership tags among them): an agent someone else made under that name is never taken."""
    if operation != "CreateAgent":
        return True
    wanted = params.get("tags") or {}
    arn = (found.get("agent") or {}).get("agentArn")
    if not arn:
        return False
    tags = aws.call(clients, "ListTagsForResource", {"resourceArn": arn},
                    where=step.address).get("tags", {})
    return all(tags.get(k) == v for k, v in wanted.items())


def _version_cut_done(plan: Plan, step: Step, params: Mapping[str, Any],
                      clients: aws.Clients) -> dict[str, Any] | None:
    """The alias after a version-cutting UpdateAgentAlias whose answer was lost, when that call
    took effect (the alias is UPDATING, or already routes to a version newer than any before);
    None when it did not."""
    alias = aws.call(clients, "GetAgentAlias", {"agentId": params["agentId"],
                                                "agentAliasId": params["agentAliasId"]},
                     where=step.address)["agentAlias"]
    if alias.get("agentAliasStatus") in ("UPDATING", "CREATING"):
        return alias
    routed = [str(r.get("agentVersion")) for r in alias.get("routingConfiguration") or ()
              if r.get("agentVersion")]
    return alias if _is_new_version(plan, step, routed) is True else None


def _is_new_version(plan: Plan, step: Step, routed: list[str]) -> bool | None:
    """Whether ``routed`` (an alias's routing after a version-cutting step) is one new version,
    judged from the plan: not the version the alias routed to before, and newer than the newest
    the agent had. None when the plan knows neither (then only "one numbered version" is
    checked)."""
    alias_name = step.address.rsplit(".", 1)[-1]
    lc = next((lc for lc in plan.lifecycle if lc.agent == agent_of(step.address)), None)
    before = next((m.from_version for m in (lc.moves if lc else ()) if m.alias == alias_name),
                  None)
    newest = None
    if lc is not None and lc.next_version_hint and lc.next_version_hint.isdigit():
        newest = int(lc.next_version_hint) - 1
    one = len(routed) == 1 and routed[0].isdigit()
    if before is None and newest is None:
        return None if one else False
    return one and routed[0] != before and (newest is None or int(routed[0]) > newest)


def _check_alias_effect(plan: Plan, step: Step, params: Mapping[str, Any], routed: list[str],
                        clients: aws.Clients) -> None:
    """Verify an alias step did what the API promises (§3.1, §3.4): an alias call without
    routingConfiguration cut a *new* version and routes the alias to it; one with a routing
    routes the alias to exactly that version. Raises ``EndpointError`` otherwise (a spec cannot
    cause either)."""
    alias_name = step.address.rsplit(".", 1)[-1]
    shown = ", ".join(routed) or "no version"
    if step.cuts_version:
        lc = next((lc for lc in plan.lifecycle if lc.agent == agent_of(step.address)), None)
        before = next((m.from_version for m in (lc.moves if lc else ())
                       if m.alias == alias_name), None)
        newest = None
        if lc is not None and lc.next_version_hint and lc.next_version_hint.isdigit():
            newest = int(lc.next_version_hint) - 1
        cut = _is_new_version(plan, step, routed) is not False
        if not cut:
            raise EndpointError(
                f"{step.operation} without routingConfiguration must cut a new version and "
                f"route alias {alias_name} to it, but the alias routes to {shown}"
                + (f" (it routed to {before} before; the newest version was {newest})"
                   if before or newest else ""),
                where=step.address, operation=step.operation, target=clients.target)
        return
    wanted = [str(r.get("agentVersion")) for r in params.get("routingConfiguration") or ()
              if r.get("agentVersion")]
    if wanted and routed != wanted:
        raise EndpointError(
            f"{step.operation} asked to route alias {alias_name} to version "
            f"{', '.join(wanted)}, but it routes to {shown}",
            where=step.address, operation=step.operation, target=clients.target)


def _described(description: str, params: Mapping[str, Any]) -> str:
    """The step's description with the version it routes to filled in: the plan could only say
    "(known after apply)", but by the time the step runs its ``$ref`` is resolved, and progress
    saying "routed to version (known after apply)" then is simply wrong."""
    placeholder = "(known after apply)"
    if placeholder not in description:
        return description
    versions = [r.get("agentVersion") for r in params.get("routingConfiguration") or ()
                if isinstance(r, Mapping)]
    if versions and isinstance(versions[0], str):
        return description.replace(placeholder, versions[0])
    return description


class _Poller:
    """Turns (status, elapsed) polls into progress lines: one per status change, then one every
    ~10 s while it stays the same (``support-bot: PrepareAgent ... PREPARING (3s)``); remembers
    the last status for the report of an interrupted run."""

    def __init__(self, say: Progress, label: str, run: _AgentRun | None = None):
        self.say, self.label, self.run = say, label, run
        self.last: str | None = None
        self.last_time = -1e9

    def __call__(self, status: str, elapsed: float) -> None:
        if self.run is not None:
            with self.run.lock:
                self.run.last_status = status
        if status != self.last or elapsed - self.last_time >= 10:
            self.say(f"{self.label} ... {status} ({int(elapsed)}s)")
            self.last, self.last_time = status, elapsed


def _secs(s: float) -> str:
    return f"{s:.1f}s"
