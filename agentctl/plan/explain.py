"""Say *what* differs between two versions of a project's configuration, in the spec's words.

Two users, both comparing JSON documents of whole agents (``agentctl.core.normalize
.config_document`` shape: ``agent`` members, ``action_groups`` / ``knowledge_bases`` /
``collaborators`` / ``aliases`` keyed by their natural key, ``tags``):

- **Stale saved plans**: ``configuration_changes(then, now)`` names, per agent, the attributes
  whose configuration changed since a plan was made (``support-bot: instruction and
  actionGroups[OrderTools] changed since the plan was made``), so ``apply PLANFILE`` can refuse
  it saying why.
- **Drift**: ``field_changes(before, after)`` lists every leaf that differs, with a readable
  path and both values (``agentctl drift``: live now vs what agentctl last applied).

Both use DeepDiff: the question is "what differs between two arbitrary documents", which it
answers completely (type changes, added/removed keys and list items, nested values), and the
answer is only explanatory. The plan differ (``agentctl.plan.differ``) stays hand-written:
plans need natural-key paths for keyed lists (``functions[get_order_status]``, not ``[0]``),
Terraform's one-attribute-per-line shape and speed on every plan (docs/architecture.md).

Pure: documents in, strings / tuples out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from deepdiff import DeepDiff

# config_document's keys -> the spec's names for them.
_COLLECTIONS = {
    "action_groups": "actionGroups",
    "knowledge_bases": "knowledgeBases",
    "collaborators": "collaborators",
    "aliases": "aliases",
}


@dataclass(frozen=True)
class FieldDifference:
    """One leaf that differs. ``path`` is readable (``actionGroups[OrderTools].description``);
    ``before`` / ``after`` are None for a side where it is absent (``kind`` says which)."""

    path: str
    kind: str
    """``changed``, ``added`` or ``removed``."""
    before: Any
    after: Any


_KIND = {
    "values_changed": "changed",
    "type_changes": "changed",
    "dictionary_item_added": "added",
    "iterable_item_added": "added",
    "attribute_added": "added",
    "set_item_added": "added",
    "dictionary_item_removed": "removed",
    "iterable_item_removed": "removed",
    "attribute_removed": "removed",
    "set_item_removed": "removed",
}


def _label(keys: list[Any], depth: int | None = None) -> str:
    """``['action_groups', 'OrderTools', 'functionSchema', 'functions', 0, 'name']`` ->
    ``actionGroups[OrderTools].functionSchema.functions[0].name``; ``['agent', 'instruction']``
    -> ``instruction``. ``depth`` keeps only the first attribute (and the collection key)."""
    if not keys:
        return "(whole agent)"
    head, rest = keys[0], list(keys[1:])
    if head in _COLLECTIONS:
        text = _COLLECTIONS[head]
        if rest:
            text += f"[{rest.pop(0)}]"
    elif head == "agent":
        if not rest:
            return "(agent settings)"
        text = str(rest.pop(0))
    else:
        text = str(head)
    if depth is not None:
        return text
    for k in rest:
        text += f"[{k}]" if isinstance(k, int) else f".{k}"
    return text


def _differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> Iterable[tuple[str, list[Any], Any, Any]]:
    tree = DeepDiff(before, after, view="tree", verbose_level=2)
    for report, items in tree.items():
        kind = _KIND.get(report)
        if kind is None:  # e.g. repetition changes: not produced without ignore_order
            continue
        for item in items:
            keys = item.path(output_format="list")
            t1 = None if kind == "added" else item.t1
            t2 = None if kind == "removed" else item.t2
            yield kind, keys, t1, t2


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldDifference, ...]:
    """Every leaf that differs from ``before`` to ``after``, sorted by path."""
    out = [FieldDifference(_label(keys), kind, _plain(t1), _plain(t2))
           for kind, keys, t1, t2 in _differences(before, after)]
    return tuple(sorted(out, key=lambda d: d.path))


def changed_attributes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, str]:
    """Top-level attribute label -> ``changed`` / ``added`` / ``removed`` (``instruction``,
    ``actionGroups[OrderTools]``); one entry per attribute however many leaves changed."""
    out: dict[str, str] = {}
    order: dict[str, tuple[int, str]] = {}
    groups = ["agent", *_COLLECTIONS]
    for kind, keys, _, _ in _differences(before, after):
        label = _label(keys, depth=1)
        whole = len(keys) <= (2 if keys and (keys[0] in _COLLECTIONS or keys[0] == "agent") else 1)
        k = kind if whole else "changed"
        out[label] = k if out.get(label, k) == k else "changed"
        # The agent's own settings first, then its sub-resources, as the spec lists them.
        order[label] = (groups.index(keys[0]) if keys and keys[0] in groups else len(groups),
                        label)
    return {label: out[label] for label in sorted(out, key=order.__getitem__)}


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def describe_attributes(attrs: Mapping[str, str]) -> str:
    """``instruction and actionGroups[OrderTools] changed, actionGroups[New] added``."""
    parts = []
    for kind in ("changed", "added", "removed"):
        names = [a for a, k in attrs.items() if k == kind]
        if names:
            parts.append(f"{_join(names)} {kind}")
    return ", ".join(parts)


def configuration_changes(then: Mapping[str, Mapping[str, Any]],
                          now: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per agent whose configuration differs between ``then`` and ``now`` (agent name
    -> config document): ``support-bot: instruction and actionGroups[OrderTools] changed``,
    ``billing-agent: spec added``, ``old-bot: spec removed``. Empty when nothing changed."""
    lines = []
    for name in sorted(set(then) | set(now)):
        if name not in now:
            lines.append(f"{name}: spec removed")
        elif name not in then:
            lines.append(f"{name}: spec added")
        else:
            attrs = changed_attributes(then[name], now[name])
            if attrs:
                lines.append(f"{name}: {describe_attributes(attrs)}")
    return lines


def _plain(value: Any) -> Any:
    # DeepDiff's "not present" marker and the like are not values.
    if type(value).__name__ == "NotPresent":
        return None
    return value
