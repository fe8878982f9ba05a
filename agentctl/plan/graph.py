"""Dependency graphs: ordering and cycle detection, on the standard library's ``graphlib``.

One place for what the planner (agents in collaborator order), the executor (steps and agents
waiting for each other) and destroy (supervisors before the agents whose aliases they use) need:

- ``order(nodes, deps)``: ``nodes`` in a dependency order, each after the nodes it depends on;
  among the nodes that are ready at the same time, the one listed first in ``nodes`` goes
  first, so the result is deterministic and moves a node only as far as its dependencies
  require. Raises ``Cycle``.
- ``find_cycle(deps)``: a cycle as a list of nodes (each depends on the next, the last is the
  first again; a node depending on itself is one), or None.
- ``reachable(deps, start)``: every node ``start`` depends on, directly or not.

A graph is a mapping node -> the nodes it depends on (must come first). Dependencies that are
not in ``nodes``, and a node's dependency on itself, are ignored by ``order`` (an agent outside
``--agent`` imposes nothing; an agent's own steps are ordered by the plan).

Pure: no I/O, no AWS, no error messages for users (callers say what a cycle means to them).
"""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter
from typing import Hashable, Iterable, Mapping, Sequence, TypeVar

N = TypeVar("N", bound=Hashable)


class Cycle(Exception):
    """The graph has a cycle: ``nodes`` lists it, each node depending on the next one, the last
    being the first again (``[a, b, a]``: a depends on b, b depends on a)."""

    def __init__(self, nodes: Sequence[Hashable]):
        self.nodes = list(nodes)
        super().__init__(" -> ".join(map(str, self.nodes)))


def _sorter(nodes: Sequence[N], deps: Mapping[N, Iterable[N]], *,
            self_loops: bool = False) -> TopologicalSorter:
    inside = set(nodes)
    ts: TopologicalSorter = TopologicalSorter()
    for n in nodes:
        ts.add(n, *(d for d in sorted_deps(deps.get(n, ()))
                    if d in inside and (self_loops or d != n)))
    return ts


def sorted_deps(values: Iterable[N]) -> list[N]:
    """Dependencies in a stable order (sorted when comparable), so reported cycles are
    deterministic."""
    items = list(dict.fromkeys(values))
    try:
        return sorted(items)  # type: ignore[type-var]
    except TypeError:
        return items


def _cycle(err: CycleError) -> Cycle:
    # graphlib reports the cycle with each node a predecessor (dependency) of the next; we say
    # it the other way round ("a depends on b"), which is how callers word it.
    found = list(err.args[1]) if len(err.args) > 1 else []
    return Cycle(list(reversed(found)))


def order(nodes: Sequence[N], deps: Mapping[N, Iterable[N]]) -> list[N]:
    """``nodes`` so that each comes after the nodes it depends on; ties keep the order of
    ``nodes``. Raises ``Cycle``."""
    rank = {n: i for i, n in enumerate(nodes)}
    ts = _sorter(nodes, deps)
    try:
        ts.prepare()
    except CycleError as e:
        raise _cycle(e) from None
    out: list[N] = []
    ready: list[N] = []
    while ts.is_active():
        ready.extend(ts.get_ready())
        ready.sort(key=rank.__getitem__)
        n = ready.pop(0)
        out.append(n)
        ts.done(n)
    return out


def find_cycle(deps: Mapping[N, Iterable[N]]) -> list[N] | None:
    """A cycle of ``deps`` (see ``Cycle.nodes``), or None when it has none."""
    nodes = list(deps)
    for values in deps.values():
        nodes.extend(v for v in values if v not in deps)
    try:
        _sorter(list(dict.fromkeys(nodes)), deps, self_loops=True).prepare()
    except CycleError as e:
        return _cycle(e).nodes
    return None


def reachable(deps: Mapping[N, Iterable[N]], start: N) -> set[N]:
    """Every node ``start`` depends on, directly or through others (``start`` itself only when
    it is on a cycle)."""
    seen: set[N] = set()
    todo = list(deps.get(start, ()))
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo.extend(deps.get(n, ()))
    return seen


__all__ = ["Cycle", "order", "find_cycle", "reachable"]
