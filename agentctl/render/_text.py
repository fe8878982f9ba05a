"""Formatting pieces shared by the human and markdown plan renderers: values, attribute lines,
text diffs, the lifecycle line and the summary. Pure; no colour (``human`` adds it).

Every function here formats; none compares values except to lay out a unified diff of two texts
the differ already said differ.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any, Iterator, Mapping

from agentctl.plan.model import Action, AgentLifecycle, FieldChange, Plan, ResourceChange

KNOWN_AFTER_APPLY = "(known after apply)"
SENSITIVE = "(sensitive value)"

# Line kinds; ``human`` maps them to colours, ``markdown`` to diff prefixes.
ADD, REMOVE, CHANGE, CONTEXT, NOTE = "+", "-", "~", " ", "#"

_VERB = {
    Action.CREATE: "will be created",
    Action.UPDATE: "will be updated in-place",
    Action.DELETE: "will be destroyed",
    Action.REPLACE: "must be replaced",
    Action.NOOP: "is unchanged",
}

_LEGEND = {
    Action.CREATE: "create",
    Action.UPDATE: "update in-place",
    Action.DELETE: "destroy",
    Action.REPLACE: "destroy and then create replacement",
}


def is_ref(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {"$ref", "key"}


def _contains_ref(value: Any) -> bool:
    if is_ref(value):
        return True
    if isinstance(value, Mapping):
        return any(_contains_ref(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_contains_ref(v) for v in value)
    return False


def _unref(value: Any) -> Any:
    if is_ref(value):
        return KNOWN_AFTER_APPLY
    if isinstance(value, Mapping):
        return {k: _unref(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_unref(v) for v in value]
    return value


def format_value(value: Any, *, sensitive: bool = False) -> str:
    """One value on one or more lines: strings quoted, maps and lists as JSON (pretty when
    long), refs as ``(known after apply)``."""
    if sensitive:
        return SENSITIVE
    if is_ref(value):
        return KNOWN_AFTER_APPLY
    if value is None:
        return "null"
    if isinstance(value, (dict, list, tuple)):
        plain = _unref(value)
        compact = json.dumps(plain, ensure_ascii=False, sort_keys=True)
        if len(compact) <= 72:
            return compact
        return json.dumps(plain, ensure_ascii=False, sort_keys=True, indent=2)
    return json.dumps(value, ensure_ascii=False)


def action_verb(action: Action) -> str:
    return _VERB[action]


def legend(actions: set[Action]) -> list[tuple[Action, str]]:
    """Terraform's legend, only for the symbols the plan uses."""
    return [(a, f"  {a.symbol} {_LEGEND[a]}") for a in _LEGEND if a in actions]


def resource_label(change: ResourceChange) -> str:
    """``agent "support-bot"``, ``action_group "OrderTools"``, ``version "3"``."""
    parts = change.address.split(".", 3)
    name = parts[3] if len(parts) == 4 else parts[1]
    return f'{change.kind} "{name}"'


def top_attribute(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def unchanged_count(change: ResourceChange) -> int:
    """Top-level attributes of an updated resource that no field change touches."""
    keys = set(change.before or {}) | set(change.after or {})
    touched = {top_attribute(f.path) for f in change.fields}
    return len(keys - touched)


def _is_long_text(f: FieldChange) -> bool:
    if f.sensitive:
        return False
    texts = [v for v in (f.before, f.after) if v is not None]
    return bool(texts) and all(isinstance(v, str) for v in texts) and (
        f.text_diff or any("\n" in v for v in texts))


def text_diff(before: str | None, after: str | None) -> list[tuple[str, str]]:
    """A unified diff of two texts as (kind, line) pairs, without the ---/+++ header."""
    a = (before or "").splitlines() if before is not None else []
    b = (after or "").splitlines() if after is not None else []
    out: list[tuple[str, str]] = []
    whole = before is None or after is None  # a created / destroyed text: no hunk header
    for line in difflib.unified_diff(a, b, lineterm="", n=3):
        if line.startswith(("---", "+++")) or (whole and line.startswith("@@")):
            continue
        if line.startswith("@@"):
            out.append((NOTE, line))
        elif line.startswith("+"):
            out.append((ADD, line[1:]))
        elif line.startswith("-"):
            out.append((REMOVE, line[1:]))
        else:
            out.append((CONTEXT, line[1:]))
    return out


def field_lines(f: FieldChange, width: int = 0) -> Iterator[tuple[str, str, str]]:
    """Lines of one attribute change as (kind, symbol+path part, rest); ``rest`` may span
    several lines (joined by the caller with the right indentation)."""
    path = f.path.ljust(width) if len(f.path) <= width else f.path
    if f.before is None and f.after is not None:
        kind = ADD
    elif f.after is None and f.before is not None:
        kind = REMOVE
    else:
        kind = CHANGE
    if _is_long_text(f):
        yield kind, f"{kind} {path} = <<-EOT", ""
        for k, line in text_diff(f.before, f.after):
            yield k, "", line
        yield CONTEXT, "  EOT", ""
        return
    if kind == ADD:
        yield kind, f"+ {path} = ", format_value(f.after, sensitive=f.sensitive)
    elif kind == REMOVE:
        yield kind, f"- {path} = ", format_value(f.before, sensitive=f.sensitive) + " -> null"
    else:
        yield kind, f"~ {path} = ", (format_value(f.before, sensitive=f.sensitive) + " -> "
                                     + format_value(f.after, sensitive=f.sensitive))


def lifecycle_line(lc: AgentLifecycle) -> str:
    """``support-bot: prepare DRAFT; cut version 8; STAGING 7 -> 8; PROD stays on 7``."""
    hint = lc.next_version_hint or KNOWN_AFTER_APPLY
    parts = []
    if lc.prepare:
        parts.append("prepare DRAFT")
    if lc.new_version:
        parts.append(f"cut version {hint}")
    for m in lc.moves:
        to = hint if m.to_version == "new" else (m.to_version or KNOWN_AFTER_APPLY)
        parts.append(f"{m.alias} {m.from_version or '(new)'} -> {to}")
    for m in lc.stays:
        parts.append(f"{m.alias} stays on {m.from_version}")
    if lc.delete_versions:
        noun = "version" if len(lc.delete_versions) == 1 else "versions"
        parts.append(f"delete {noun} {', '.join(lc.delete_versions)}")
    return f"{lc.agent}: " + ("; ".join(parts) if parts else "no lifecycle change")


def lifecycle_lines(plan: Plan) -> list[str]:
    lines = [lifecycle_line(lc) for lc in plan.lifecycle]
    for c in plan.changes:
        if c.kind == "agent" and c.action is Action.DELETE:
            lines.append(f"{c.address.split('.', 1)[1]}: delete agent")
    return lines


def summary_line(plan: Plan) -> str:
    n = plan.counts()
    return f"Plan: {n['add']} to add, {n['change']} to change, {n['destroy']} to destroy."


def is_empty(plan: Plan) -> bool:
    return not plan.has_changes and all(c.action is Action.NOOP for c in plan.changes)


def notes(plan: Plan) -> list[str]:
    """Reasons attached to resources that do not change (e.g. an agent left out of the specs)."""
    return [f"{c.address} {c.reason}" for c in plan.changes
            if c.action is Action.NOOP and c.reason]


def header(plan: Plan) -> str:
    t = plan.target
    where = ", ".join(str(t[k]) for k in ("kind", "region", "account") if t.get(k))
    return f'agentctl plan for project "{plan.project}", environment "{plan.environment}" ({where})'


def body_lines(change: ResourceChange) -> list[tuple[str, str]]:
    """The lines inside a resource block, as (kind, text) with two-space relative indent."""
    out: list[tuple[str, str]] = []
    simple = [f for f in change.fields if not _is_long_text(f)]
    # Align the ``=`` of short paths, as Terraform does; a long keyed path is not padded for.
    width = max((len(f.path) for f in simple if len(f.path) <= 32), default=0)
    for f in change.fields:
        pending: list[tuple[str, str, str]] = list(field_lines(f, width if f in simple else 0))
        for kind, head, rest in pending:
            if head and rest and "\n" in rest:
                first, *more = rest.split("\n")
                out.append((kind, head + first))
                out.extend((kind, "    " + m) for m in more)
            elif head:
                out.append((kind, head + rest))
            else:
                symbol = {ADD: "+ ", REMOVE: "- ", NOTE: "  ", CONTEXT: "  "}.get(kind, "  ")
                out.append((kind, "    " + symbol + rest))
    if change.action is Action.UPDATE:
        hidden = unchanged_count(change)
        if hidden:
            noun = "attribute" if hidden == 1 else "attributes"
            out.append((NOTE, f"  # ({hidden} unchanged {noun} hidden)"))
    return out


def contains_ref(value: Any) -> bool:
    return _contains_ref(value)
