"""The executor: runs a plan's steps against a target. The only code in agentctl that mutates.

What it does (ARCHITECTURE.md §1; chalice's deployer/executor split — the planner decides, the
executor only carries out):
- walks the steps **in plan order per agent**: writes to one agent are serialized, and after each
  step the executor waits for the step's ``wait_for`` stable status before the next one
  (bedrock-semantics.md §9.3 item 6: concurrent writers to one agent race with PREPARING /
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
- stops an agent's sequence at its first failure, keeps going with independent agents, and returns
  exactly what completed, what failed and what did not run (the caller raises ``PartialApply``).

Must not: plan, read specs, print (progress goes through the ``progress`` callback), or retry
what ``agentctl.aws.client.call`` already retried.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from agentctl.aws import client as aws
from agentctl.core import servicemodel
from agentctl.errors import AgentctlError
from agentctl.core.model import Ref, canonical_json
from agentctl.plan.model import VERSION_CUTTING_OPS, ApplyResult, Plan, Step, StepResult

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


def is_ref(value: Any) -> bool:
    return isinstance(value, Ref) or (isinstance(value, dict) and "$ref" in value
                                      and set(value) <= {"$ref", "key"})


def ref_parts(value: Any) -> tuple[str, str]:
    if isinstance(value, Ref):
        return value.address, value.key
    return str(value["$ref"]), str(value.get("key", ""))


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


def takes_client_token(operation: str) -> bool:
    shape = servicemodel.service_model().operation_model(operation).input_shape
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


@dataclass
class _AgentRun:
    """One agent's sequence and what became of it; mutable on purpose: written only by that
    agent's worker thread, read by the main thread after the thread has ended."""

    name: str
    steps: list[tuple[int, Step]]
    completed: list[StepResult] = field(default_factory=list)
    failed: StepResult | None = None
    not_run: list[tuple[int, Step]] = field(default_factory=list)
    crash: BaseException | None = None


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
    graph: dict[int, set[int]] = {}
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
            deps.update(by_address[address])
        for address, key in iter_refs(step.params):
            if agent_of(address) == me:
                continue  # the agent's own order already covers it
            producer = next((j for j in by_address.get(address, ())
                             if key in _possible_outputs(plan.steps[j])), None)
            if producer is not None:
                deps.add(producer)
        graph[i] = deps
    return graph


def _check_step_cycles(plan: Plan, graph: Mapping[int, set[int]]) -> None:
    """Refuse a plan whose steps wait for each other in a loop (it would hang part-way)."""
    state: dict[int, int] = {}  # 1: on the current path, 2: done
    for root in sorted(graph):
        if state.get(root):
            continue
        state[root] = 1
        path = [root]
        stack = [iter(sorted(graph[root]))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            if state.get(nxt) == 1:
                loop = path[path.index(nxt):] + [nxt]
                shown = " waits for ".join(f"{plan.steps[j].operation} {plan.steps[j].address}"
                                           for j in loop)
                raise AgentctlError(f"the plan's steps wait for each other in a cycle: {shown}",
                                    where="plan",
                                    hint="no call was made; apply the changes in two runs "
                                         "(e.g. first the supervisor with --agent)")
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph[nxt])))


def _check_acyclic(deps: Mapping[str, set[str]]) -> None:
    state: dict[str, int] = {}

    def visit(n: str, path: list[str]) -> None:
        if state.get(n) == 2:
            return
        if state.get(n) == 1:
            cycle = " -> ".join(path[path.index(n):] + [n])
            raise AgentctlError(f"agents reference each other in a cycle: {cycle}",
                                hint="collaborator references between project agents must not "
                                     "form a loop")
        state[n] = 1
        for m in sorted(deps.get(n, ())):
            visit(m, path + [n])
        state[n] = 2

    for n in sorted(deps):
        visit(n, [])


def _serial_order(names: list[str], deps: Mapping[str, set[str]]) -> list[str]:
    """``names`` in their order, moved only as needed so every agent follows the agents it
    references (deps are acyclic, checked before)."""
    order: list[str] = []
    remaining = list(names)
    while remaining:
        ready = next(n for n in remaining
                     if all(d in order or d not in names for d in deps.get(n, ())))
        order.append(ready)
        remaining.remove(ready)
    return order


def execute(plan: Plan, clients: aws.Clients, *, progress: Progress | None = None,
            after_step: AfterStep | None = None, stop: threading.Event | None = None,
            serial: bool = False) -> ApplyResult:
    """Run ``plan``'s steps; never raises for a failed step (see ``ApplyResult``). A
    ``BaseException`` escaping a step (a crash, used by tests through ``after_step``) is
    re-raised once every agent thread has stopped."""
    say = progress or (lambda line: None)
    deps = dependency_graph(plan)
    _check_acyclic(deps)
    _check_step_cycles(plan, step_graph(plan))
    if serial:
        # One agent at a time: an agent must also start after the agents it runs ``after``.
        deps = dependency_graph(plan, with_after=True)
        _check_acyclic(deps)
    by_address: dict[str, list[int]] = {}
    for i, step in enumerate(plan.steps):
        by_address.setdefault(step.address, []).append(i)
    stop = stop or threading.Event()
    outputs = _Outputs()
    runs: dict[str, _AgentRun] = {}
    for i, step in enumerate(plan.steps):
        name = agent_of(step.address)
        runs.setdefault(name, _AgentRun(name, [])).steps.append((i, step))
    agents = set(runs)

    def worker(run: _AgentRun) -> None:
        pos = 0
        try:
            while pos < len(run.steps):
                i, step = run.steps[pos]
                if stop.is_set():
                    break
                try:
                    waits = {j: plan.steps[j].address for a in step.after
                             for j in by_address[a] if j != i}
                    if waits and not outputs.all_done(waits):
                        say(f"{run.name}: {step.operation} for {step.address} waits for "
                            f"{', '.join(sorted(set(waits.values())))}")
                    outputs.wait_done(waits, stop=stop)
                    params = _resolve(step.params, outputs, requester=run.name, agents=agents,
                                      stop=stop)
                except UnresolvedRef as e:
                    # The cause is elsewhere (another agent failed): not a failure of this step.
                    say(f"{run.name}: cannot run {step.operation} for {step.address}: {e.what}")
                    break
                result = _run_step(plan, i, step, params, clients, outputs, say, run.name)
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
            run.not_run.extend(run.steps[pos:])
            outputs.finish(run.name)

    # serial: one agent after another, in order of first appearance in the plan (destroy uses
    # it so a supervisor is gone before the collaborators it references lose their aliases).
    # Producers of referenced outputs still go before their consumers (else a consumer would
    # wait for an agent that has not started).
    batches = [[runs[n]] for n in _serial_order(list(runs), deps)] if serial \
        else [list(runs.values())]
    threads: list[threading.Thread] = []
    started: set[str] = set()
    try:
        for batch in batches:
            if stop.is_set() or any(r.crash is not None for r in runs.values()):
                break
            started.update(run.name for run in batch)
            threads = [threading.Thread(target=worker, args=(run,), name=f"apply-{run.name}",
                                        daemon=True) for run in batch]
            for t in threads:
                t.start()
            for t in threads:
                while t.is_alive():
                    t.join(timeout=0.2)
    except KeyboardInterrupt:
        # Let each agent finish the call in flight (a half-sent sequence is worse), then stop.
        stop.set()
        say("interrupted: finishing the steps in flight, then stopping")
        for t in threads:
            t.join()
    for run in runs.values():
        if run.name not in started:  # serial mode, stopped before this agent's turn
            run.not_run.extend(run.steps)
            outputs.finish(run.name)

    for run in runs.values():
        if run.crash is not None:
            raise run.crash

    order = {id(s): i for i, s in enumerate(plan.steps)}
    completed = sorted((r for run in runs.values() for r in run.completed),
                       key=lambda r: order[id(r.step)])
    failures = sorted((run.failed for run in runs.values() if run.failed is not None),
                      key=lambda r: order[id(r.step)])
    not_run = sorted({i: s for run in runs.values() for i, s in run.not_run}.items())
    return ApplyResult(
        completed=tuple(completed),
        failed=failures[0] if failures else None,
        not_run=tuple(s for _, s in not_run),
        outputs=outputs.snapshot(),
        failures=tuple(failures),
        interrupted=stop.is_set(),
    )


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


def _run_step(plan: Plan, index: int, step: Step, params: dict[str, Any], clients: aws.Clients,
              outputs: _Outputs, say: Progress, agent: str) -> StepResult:
    start = clients.timing.monotonic()
    label = f"{agent}: {step.operation}"
    if step.mutating and takes_client_token(step.operation) and "clientToken" not in params:
        params["clientToken"] = client_token(plan, index, step, params)
    say(f"{label} ... {step.description}" if step.description else f"{label} ...")
    poller = _Poller(say, label)
    try:
        response = aws.call(clients, step.operation, params, where=step.address,
                            wait_progress=poller)
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
                         progress=poller, where=step.address)
            aws.wait_for(clients, "agent:PREPARED", agent_id=agent_id, progress=poller,
                         where=step.address)
        elif step.wait_for:
            kind = step.wait_for.partition(":")[0]
            aws.wait_for(clients, step.wait_for, agent_id=agent_id,
                         alias_id=alias_id if kind == "alias" else None,
                         progress=poller, where=step.address)
        if step.operation in VERSION_CUTTING_OPS and alias_id:
            alias = aws.call(clients, "GetAgentAlias",
                             {"agentId": agent_id, "agentAliasId": alias_id},
                             where=step.address)["agentAlias"]
            routed = [r.get("agentVersion") for r in alias.get("routingConfiguration") or ()
                      if r.get("agentVersion")]
            extra = {"agentAliasId": alias_id, "agentAliasArn": alias.get("agentAliasArn")}
            if routed:
                extra["version"] = str(routed[0])
            outputs.put(step.address, {k: v for k, v in extra.items() if v})
        elapsed = clients.timing.monotonic() - start
        say(f"{label} done ({_secs(elapsed)})")
        return StepResult(step=step, ok=True, response=aws.response_json(response),
                          elapsed=elapsed)
    except AgentctlError as e:
        elapsed = clients.timing.monotonic() - start
        say(f"{label} FAILED ({_secs(elapsed)})")
        return StepResult(step=step, ok=False, error=e.message(), elapsed=elapsed)


class _Poller:
    """Turns (status, elapsed) polls into progress lines: one per status change, then one every
    ~10 s while it stays the same (``support-bot: PrepareAgent ... PREPARING (3s)``)."""

    def __init__(self, say: Progress, label: str):
        self.say, self.label = say, label
        self.last: str | None = None
        self.last_time = -1e9

    def __call__(self, status: str, elapsed: float) -> None:
        if status != self.last or elapsed - self.last_time >= 10:
            self.say(f"{self.label} ... {status} ({int(elapsed)}s)")
            self.last, self.last_time = status, elapsed


def _secs(s: float) -> str:
    return f"{s:.1f}s"


