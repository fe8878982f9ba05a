"""``agentctl.plan.graph`` (graphlib underneath): deterministic dependency order, cycles reported
in "depends on" direction, reachability. Pure unit tests."""

from __future__ import annotations

import pytest

from agentctl.plan import graph


def test_order_keeps_the_given_order_when_nothing_depends():
    assert graph.order(["c", "a", "b"], {}) == ["c", "a", "b"]


def test_order_moves_a_node_only_as_far_as_its_dependencies_require():
    # a depends on c: b is ready first and keeps its place before c; a waits for c.
    assert graph.order(["a", "b", "c"], {"a": {"c"}}) == ["b", "c", "a"]
    assert graph.order(["sup", "x", "billing", "orders"],
                       {"sup": {"billing", "orders"}}) == ["x", "billing", "orders", "sup"]


def test_order_ignores_dependencies_outside_the_nodes_and_on_itself():
    assert graph.order(["a", "b"], {"a": {"zzz", "a"}, "b": {"a"}}) == ["a", "b"]


def test_order_reports_a_cycle_in_depends_on_direction():
    with pytest.raises(graph.Cycle) as ei:
        graph.order(["a", "b", "c"], {"a": {"b"}, "b": {"c"}, "c": {"a"}})
    nodes = ei.value.nodes
    assert nodes[0] == nodes[-1] and set(nodes) == {"a", "b", "c"} and len(nodes) == 4
    deps = {"a": "b", "b": "c", "c": "a"}
    assert all(deps[x] == y for x, y in zip(nodes, nodes[1:]))  # each depends on the next
    assert str(ei.value) == " -> ".join(nodes)


def test_find_cycle():
    assert graph.find_cycle({1: {2}, 2: {3}, 3: set()}) is None
    assert graph.find_cycle({1: {2}, 2: {1}}) in ([1, 2, 1], [2, 1, 2])
    assert graph.find_cycle({"x": {"x"}}) == ["x", "x"]


def test_reachable_follows_dependencies_transitively():
    deps = {"a": {"b"}, "b": {"c"}, "c": set(), "d": {"a"}}
    assert graph.reachable(deps, "d") == {"a", "b", "c"}
    assert graph.reachable(deps, "c") == set()
    assert graph.reachable({"a": {"b"}, "b": {"a"}}, "a") == {"a", "b"}
