"""Attribute-level differences between a desired and a live agent, both canonical.

``diff_config`` returns one ``ResourceChange`` per resource of the agent (the agent itself with
its user tags, each action group, knowledge-base association, collaborator and alias) whose
``fields`` name every attribute that differs by a readable path. Keyed lists are compared by
their natural key, not by index (``promptOverrideConfiguration.promptConfigurations
[ORCHESTRATION].basePromptTemplate``, ``functionSchema.functions[get_order_status].parameters
.order_id.required``, OpenAPI ``...get.parameters[order_id].description``); other lists of
objects of unchanged length compare item by item (``allOf[1].required``); the rest compare as
whole values. An action group whose name changed
is a delete plus a create, because the name is its key.

A service default is absent from canonical values; the differ compares the values with every
default filled in (``normalize.with_defaults``), so moving a member away from its default is an
update with both values (``memoryConfiguration.storageDays: 30 -> 60``), never an addition.

The differ decides *what* differs, never how it looks: it marks prose members (instruction,
prompt templates, any multi-line string) with ``FieldChange.text_diff`` and the renderers decide
how to show them (Terraform's "the differ never formats; renderers never diff").

``FieldChange.sensitive`` is never set here: the members botocore's model marks sensitive
(instruction, prompt templates and the whole promptOverrideConfiguration, OpenAPI payloads,
collaboration instructions) are all text the user wrote in git, and reviewing them is the point
of a plan. The renderers still honour the flag (``(sensitive value)``) for any future member
that holds a secret.

Values in the returned changes are JSON-compatible: ``Ref`` objects become ``{"$ref": address,
"key": key}`` placeholders (rendered "(known after apply)").

This is a small, explicit recursive walk rather than DeepDiff: the paths it produces are the
user-facing ones above, and keyed-list handling is a two-line rule instead of a post-processing
pass over DeepDiff's index paths.

Pure: no I/O; expects canonical inputs (``agentctl.core.normalize``).
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from agentctl.core.model import (
    is_mapping,
    ACTION_GROUP,
    AGENT,
    ALIAS,
    COLLABORATOR,
    KNOWLEDGE_BASE,
    AgentConfig,
    AliasConfig,
    plain,
)
from agentctl.core.normalize import TEXT_MEMBERS, align_live_to_desired, with_defaults
from agentctl.plan.model import Action, FieldChange, ResourceChange

# Lists whose items carry a natural key: list member -> key member(s). A tuple is tried member
# by member: OpenAPI parameters are unique by (name, in), so ``parameters[order_id]`` when the
# names alone are unique, else ``parameters[path order_id]``.
_KEYED_LISTS: dict[str, tuple[str, ...]] = {
    "promptConfigurations": ("promptType",),
    "functions": ("name",),
    "parameters": ("name", "in"),
}

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_\-$]+$")


def jsonable(value: Any) -> Any:
    """Mappings to dicts, tuples to lists (``Ref`` objects kept: the one in-memory form; the
    codec writes them as ``{"$ref", "key"}``)."""
    return plain(value)


def agent_address(name: str) -> str:
    return f"{AGENT}.{name}"


def child_address(agent: str, kind: str, key: str) -> str:
    return f"{AGENT}.{agent}.{kind}.{key}"


# --------------------------------------------------------------------------------------------
# Value-level walk


def _join(path: str, key: str) -> str:
    if not _PLAIN_KEY.match(key):
        return f"{path}[{key}]" if path else f"[{key}]"
    return f"{path}.{key}" if path else key


def _is_text(path: str, before: Any, after: Any) -> bool:
    leaf = re.sub(r"\[[^\]]*\]$", "", path).rsplit(".", 1)[-1]
    if leaf in TEXT_MEMBERS:
        return True
    return any(isinstance(v, str) and "\n" in v for v in (before, after))


def _keyed_by(items: list[Any], keys: tuple[str, ...]) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    for item in items:
        if not is_mapping(item) or any(k not in item for k in keys):
            return None
        label = " ".join(str(item[k]) for k in reversed(keys))
        if label in out:
            return None
        out[label] = item
    return out


def _keyed(items: list[Any], keys: tuple[str, ...]) -> dict[str, Any] | None:
    """``items`` as key -> item (by the first key member, else by all of them), or None when
    they are not all mappings with distinct keys."""
    return _keyed_by(items, keys[:1]) or (_keyed_by(items, keys) if len(keys) > 1 else None)


def diff_values(before: Any, after: Any, path: str = "") -> list[FieldChange]:
    """Leaf-level changes from ``before`` to ``after`` (JSON-compatible values)."""
    if before == after:
        return []
    if is_mapping(before) and is_mapping(after):
        out: list[FieldChange] = []
        for key in sorted(set(before) | set(after)):
            sub = _join(path, str(key))
            out.extend(diff_values(before.get(key), after.get(key), sub))
        return out
    leaf = re.sub(r"\[[^\]]*\]$", "", path).rsplit(".", 1)[-1]
    if isinstance(before, list) and isinstance(after, list):
        if leaf in _KEYED_LISTS:
            kb, ka = _keyed(before, _KEYED_LISTS[leaf]), _keyed(after, _KEYED_LISTS[leaf])
            if kb is not None and ka is not None:
                out = []
                for key in sorted(set(kb) | set(ka)):
                    out.extend(diff_values(kb.get(key), ka.get(key), f"{path}[{key}]"))
                return out
        if (len(before) == len(after) and before
                and all(is_mapping(v) for v in (*before, *after))):
            # Lists of objects without a natural key (OpenAPI allOf, servers, ...) of the same
            # length compare item by item, so a one-field change is one line, not the whole
            # list twice; a list that grew or shrank is shown whole.
            out = []
            for i, (b, a) in enumerate(zip(before, after)):
                out.extend(diff_values(b, a, f"{path}[{i}]"))
            return out
    return [FieldChange(path=path, before=before, after=after,
                        text_diff=_is_text(path, before, after))]


def _top_level_fields(before: Mapping[str, Any] | None,
                      after: Mapping[str, Any] | None) -> tuple[FieldChange, ...]:
    # A created or destroyed resource lists each attribute once, as Terraform does.
    b, a = before or {}, after or {}
    return tuple(
        FieldChange(path=k, before=b.get(k), after=a.get(k), text_diff=_is_text(k, b.get(k), a.get(k)))
        for k in sorted(set(b) | set(a))
    )


def resource_change(address: str, kind: str, before: Mapping[str, Any] | None,
              after: Mapping[str, Any] | None) -> ResourceChange:
    b = jsonable(before) if before is not None else None
    a = jsonable(after) if after is not None else None
    if b is None and a is None:
        raise ValueError(f"{address}: neither side present")
    if b is None:
        return ResourceChange(address, kind, Action.CREATE, None, a, _top_level_fields(None, a))
    if a is None:
        return ResourceChange(address, kind, Action.DELETE, b, None, _top_level_fields(b, None))
    # Canonical values leave service defaults out; compared with the defaults filled in, a
    # change away from (or back to) a default is ``~ old -> new`` with both values shown, not an
    # addition (removal) that hides the default. ``before``/``after`` stay canonical.
    fields = tuple(diff_values(with_defaults(kind, b), with_defaults(kind, a)))
    return ResourceChange(address, kind, Action.UPDATE if fields else Action.NOOP, b, a, fields)


# --------------------------------------------------------------------------------------------
# Resources of one agent


def agent_value(config: AgentConfig) -> dict[str, Any]:
    """The agent resource's value: its members plus its user tags (Terraform-style, tags are an
    attribute of the agent; agentctl applies them with Tag/UntagResource)."""
    value = dict(config.agent)
    if config.tags:
        value["tags"] = dict(config.tags)
    return value


def alias_value(alias: AliasConfig) -> dict[str, Any]:
    """What the differ compares of an alias. ``track`` is agentctl's own notion (the live side
    cannot know it) and routing is the planner's business, so neither is here."""
    value: dict[str, Any] = {}
    if alias.description:
        value["description"] = alias.description
    if alias.invocation_state:
        value["aliasInvocationState"] = alias.invocation_state
    if alias.tags:
        value["tags"] = dict(alias.tags)
    return value


def _children(desired: Mapping[str, Any], live: Mapping[str, Any], agent: str,
              kind: str) -> list[ResourceChange]:
    return [
        resource_change(child_address(agent, kind, key), kind, live.get(key), desired.get(key))
        for key in sorted(set(desired) | set(live))
    ]


def diff_config(desired: AgentConfig | None, live: AgentConfig | None) -> list[ResourceChange]:
    """Every resource of one agent, desired vs live (both canonical; either may be None for a
    create or a delete). NOOP resources are included so counts and JSON are complete."""
    if desired is None and live is None:
        return []
    name = (desired or live).name  # type: ignore[union-attr]
    empty = AgentConfig(name=name, agent={})
    d, lv = desired or empty, live or empty

    live_agent = agent_value(lv) if live is not None else None
    if live_agent is not None and desired is not None:
        live_agent = align_live_to_desired(desired.agent, live_agent)
    changes = [resource_change(agent_address(name), AGENT, live_agent,
                         agent_value(d) if desired is not None else None)]
    changes += _children(d.action_groups, lv.action_groups, name, ACTION_GROUP)
    changes += _children(d.knowledge_bases, lv.knowledge_bases, name, KNOWLEDGE_BASE)
    changes += _children(d.collaborators, lv.collaborators, name, COLLABORATOR)
    changes += _children({k: alias_value(a) for k, a in d.aliases.items()},
                         {k: alias_value(a) for k, a in lv.aliases.items()}, name, ALIAS)
    return changes
