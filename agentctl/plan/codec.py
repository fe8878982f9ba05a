"""The saved-plan file: ``dumps(plan)`` to JSON text and ``loads(text)`` back, exactly.

The document is the plan's own fields plus ``format_version`` (``agentctl.plan.model
.FORMAT_VERSION``). ``loads`` refuses, with a clear error, a file that is not JSON, has another
format version (``StalePlan``: re-run ``agentctl plan``), lacks a field, or whose ``plan_id`` no
longer matches its content (edited by hand or truncated). ``compute_plan_id`` is the one
definition of a plan's identity: a digest of everything but ``plan_id``, ``created_at``
and ``configuration`` (what the plan was made from; ``spec_digest`` stands for it).

``dumps_set`` / ``loads_any`` do the same for a plan of several environments (a ``PlanSet``:
``{"kind": "plan_set", "plans": [...]}``, each plan with its own ``plan_id``).

Pure: text in, text out; no file access (the CLI reads and writes the file).
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

from agentctl.core import sensitive
from agentctl.errors import AgentctlError, StalePlan
from agentctl.core.jsontext import json_text
from agentctl.core.model import digest, plain, ref_to_json, refs_from_json
from agentctl.plan.model import (
    FORMAT_VERSION,
    Action,
    AgentLifecycle,
    AliasMove,
    FieldChange,
    Plan,
    PlanSet,
    ResourceChange,
    Step,
)

_HINT = "re-create it with `agentctl plan --out FILE`"


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan as a JSON-compatible dict (the saved-file document)."""
    return {
        "format_version": plan.format_version,
        "plan_id": plan.plan_id,
        "created_at": plan.created_at,
        "project": plan.project,
        "environment": plan.environment,
        "target": plain(plan.target),
        "spec_digest": plan.spec_digest,
        "live_fingerprint": plain(plan.live_fingerprint),
        "changes": [_change_to_dict(c) for c in plan.changes],
        "lifecycle": [_lifecycle_to_dict(lc) for lc in plan.lifecycle],
        "steps": [_step_to_dict(s) for s in plan.steps],
        "configuration": plain(plan.configuration),
    }


def compute_plan_id(plan: Plan) -> str:
    # Over the sealed form (sensitive values as their markers): the id a plan gets when it is
    # made is the one its file, which holds only the markers, is checked against.
    doc = sensitive.seal(plan_to_dict(plan))
    doc.pop("plan_id")
    doc.pop("created_at")
    # What the plan was made from, not what it does (``spec_digest`` already covers the agents
    # in scope): left out so plan ids stay what they were before the field existed.
    doc.pop("configuration")
    for step in doc["steps"]:
        # ``after`` was added to format_version 1 later: an empty one is left out of the
        # identity so plans saved before it existed keep their plan_id (and still load).
        if not step["after"]:
            del step["after"]
    return digest(doc)


def with_plan_id(plan: Plan) -> Plan:
    """``plan`` with its ``plan_id`` set: the one place plan ids are minted (apply plans,
    destroy plans, alias moves and adoptions alike)."""
    import dataclasses

    return dataclasses.replace(plan, plan_id=compute_plan_id(plan))


def dumps(plan: Plan) -> str:
    """The saved-plan text. Values marked sensitive are sealed: the file holds a marker with a
    salted digest, never the value (agentctl.core.sensitive); ``unseal_plan`` puts the current
    values back once the project is loaded."""
    # ``json_text``: json.dumps(indent=2, ensure_ascii=False), the same text, without the
    # standard library's per-value generators (issue 13).
    return json_text(sensitive.seal(plan_to_dict(plan)), sort_keys=True) + "\n"


def unseal_plan(plan: Plan) -> Plan:
    """A loaded saved plan with its sensitive markers replaced by the project's current values
    (registered when the project was loaded). ``StalePlan`` when a value changed since the plan
    was made, or is no longer marked sensitive."""
    doc = plan_to_dict(plan)
    if "{{agentctl-sensitive:" not in json.dumps(doc, default=str):
        return plan
    return loads(json.dumps(sensitive.unseal(doc, what="the plan"), ensure_ascii=False,
                            default=ref_to_json))


def dumps_set(plans: Sequence[Plan]) -> str:
    """Plans of several environments of one project, saved as one file
    (``agentctl plan -e dev -e prod --out FILE``): ``{"format_version", "kind": "plan_set",
    "plans": [...]}``, each plan exactly as ``dumps`` writes it (its own plan_id)."""
    # Sealed like ``dumps``: no value marked sensitive in the file, whichever environment's.
    doc = {"format_version": FORMAT_VERSION, "kind": "plan_set",
           "plans": [sensitive.seal(plan_to_dict(p)) for p in plans]}
    return json_text(doc, sort_keys=True) + "\n"


def loads(text: str, *, source: str | None = None) -> Plan:
    """Parse a saved plan. ``source`` (a file name) is used in error messages."""
    where = source or "saved plan"
    doc = _document(text, where)
    if doc.get("kind") == "plan_set":
        raise AgentctlError("this saved plan holds several environments", where=where,
                            hint="apply it with `agentctl apply FILE` (every environment it holds)")
    return _plan_from_doc(doc, where)


def loads_any(text: str, *, source: str | None = None) -> "Plan | PlanSet":
    """A saved plan of one environment (``Plan``) or of several (``PlanSet``)."""
    where = source or "saved plan"
    doc = _document(text, where)
    if doc.get("kind") != "plan_set":
        return _plan_from_doc(doc, where)
    items = doc.get("plans")
    if not isinstance(items, list) or not items:
        raise AgentctlError("corrupt saved plan (a plan set without plans)", where=where,
                            hint=_HINT)
    plans = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise AgentctlError(f"corrupt saved plan (plans[{i}] is not a plan)", where=where,
                                hint=_HINT)
        plans.append(_plan_from_doc(item, f"{where} (plans[{i}])"))
    envs = [p.environment for p in plans]
    if len(set(envs)) != len(envs) or len({p.project for p in plans}) != 1:
        raise AgentctlError("corrupt saved plan (a plan set must hold one plan per environment "
                            "of one project)", where=where, hint=_HINT)
    return PlanSet(plans=tuple(plans))


def _document(text: str, where: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, TypeError) as e:
        raise AgentctlError(f"not a saved plan (invalid JSON: {e})", where=where, hint=_HINT) from None
    if not isinstance(doc, dict) or "format_version" not in doc:
        raise AgentctlError("not a saved plan (no format_version)", where=where, hint=_HINT)
    fv = doc["format_version"]
    if not isinstance(fv, int) or isinstance(fv, bool):
        # Only an integer can be another agentctl's format ("1" or true is a damaged file, not a
        # stale one: "format_version '1'; this agentctl reads format_version 1" reads as nonsense).
        raise AgentctlError(f"corrupt saved plan (format_version must be an integer, got {fv!r})",
                            where=where, hint=_HINT)
    if doc["format_version"] != FORMAT_VERSION:
        raise StalePlan(
            f"saved plan has format_version {doc['format_version']!r}; this agentctl reads "
            f"format_version {FORMAT_VERSION}", where=where, hint=_HINT)
    return doc


def _plan_from_doc(doc: dict[str, Any], where: str) -> Plan:
    if doc.get("format_version") != FORMAT_VERSION:
        raise AgentctlError("corrupt saved plan (format_version)", where=where, hint=_HINT)
    try:
        plan = Plan(
            format_version=doc["format_version"],
            project=_str(doc["project"]),
            environment=_str(doc["environment"]),
            target=_dict(doc["target"]),
            spec_digest=_str(doc["spec_digest"]),
            live_fingerprint=_dict(doc["live_fingerprint"]),
            changes=tuple(_change_from_dict(c) for c in _list(doc["changes"])),
            lifecycle=tuple(_lifecycle_from_dict(lc) for lc in _list(doc["lifecycle"])),
            steps=tuple(_step_from_dict(s) for s in _list(doc["steps"])),
            plan_id=_str(doc["plan_id"]),
            created_at=_str(doc.get("created_at", "")),
            configuration=_dict(doc.get("configuration", {})),
        )
    except (KeyError, TypeError, ValueError) as e:
        detail = f"missing field {e}" if isinstance(e, KeyError) else str(e)
        raise AgentctlError(f"corrupt saved plan ({detail})", where=where, hint=_HINT) from None
    if compute_plan_id(plan) != plan.plan_id:
        raise AgentctlError("corrupt saved plan (its content does not match its plan_id; was it "
                            "edited?)", where=where, hint=_HINT)
    return plan


# --------------------------------------------------------------------------------------------


def _json(value: Any) -> Any:
    # Values known after apply are ``Ref`` objects in memory, ``{"$ref", "key"}`` in the file.
    return plain(value, refs_as_json=True)


def _str(v: Any) -> str:
    if not isinstance(v, str):
        raise TypeError(f"expected a string, got {type(v).__name__}")
    return v


def _address(v: Any) -> str:
    """``agent.NAME`` or ``agent.NAME.KIND.NAME``: the renderers and the executor split
    addresses on dots, so a damaged one must be refused here, not fail there."""
    parts = _str(v).split(".", 3)
    if parts[0] != "agent" or len(parts) not in (2, 4) or not all(parts):
        raise ValueError(f"invalid resource address {v!r}")
    return v


def _operation(v: Any) -> str:
    from agentctl.core import servicemodel

    if _str(v) not in servicemodel.service_model().operation_names:
        raise ValueError(f"unknown operation {v!r}")
    return v


def _opt_str(v: Any) -> str | None:
    return None if v is None else _str(v)


def _dict(v: Any) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise TypeError(f"expected an object, got {type(v).__name__}")
    return v


def _opt_dict(v: Any) -> dict[str, Any] | None:
    return None if v is None else _dict(v)


def _list(v: Any) -> list[Any]:
    if not isinstance(v, list):
        raise TypeError(f"expected a list, got {type(v).__name__}")
    return v


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise TypeError(f"expected true/false, got {type(v).__name__}")
    return v


def _change_to_dict(c: ResourceChange) -> dict[str, Any]:
    return {
        "address": c.address,
        "kind": c.kind,
        "action": c.action.value,
        "before": _json(c.before),
        "after": _json(c.after),
        "fields": [{"path": f.path, "before": _json(f.before), "after": _json(f.after),
                    "sensitive": f.sensitive, "text_diff": f.text_diff} for f in c.fields],
        "reason": c.reason,
    }


def _change_from_dict(d: Any) -> ResourceChange:
    d = _dict(d)
    return ResourceChange(
        address=_address(d["address"]),
        kind=_str(d["kind"]),
        action=Action(d["action"]),
        before=refs_from_json(_opt_dict(d["before"])),
        after=refs_from_json(_opt_dict(d["after"])),
        fields=tuple(
            FieldChange(path=_str(f["path"]), before=refs_from_json(f["before"]),
                        after=refs_from_json(f["after"]),
                        sensitive=_bool(f["sensitive"]), text_diff=_bool(f["text_diff"]))
            for f in map(_dict, _list(d["fields"]))
        ),
        reason=_opt_str(d["reason"]),
    )


def _move_to_dict(m: AliasMove) -> dict[str, Any]:
    return {"agent": m.agent, "alias": m.alias, "from_version": m.from_version,
            "to_version": m.to_version}


def _move_from_dict(d: Any) -> AliasMove:
    d = _dict(d)
    return AliasMove(agent=_str(d["agent"]), alias=_str(d["alias"]),
                     from_version=_opt_str(d["from_version"]), to_version=_opt_str(d["to_version"]))


def _lifecycle_to_dict(lc: AgentLifecycle) -> dict[str, Any]:
    return {
        "agent": lc.agent,
        "prepare": lc.prepare,
        "new_version": lc.new_version,
        "next_version_hint": lc.next_version_hint,
        "moves": [_move_to_dict(m) for m in lc.moves],
        "stays": [_move_to_dict(m) for m in lc.stays],
        "delete_versions": list(lc.delete_versions),
    }


def _lifecycle_from_dict(d: Any) -> AgentLifecycle:
    d = _dict(d)
    return AgentLifecycle(
        agent=_str(d["agent"]),
        prepare=_bool(d["prepare"]),
        new_version=_bool(d["new_version"]),
        next_version_hint=_opt_str(d["next_version_hint"]),
        moves=tuple(_move_from_dict(m) for m in _list(d["moves"])),
        stays=tuple(_move_from_dict(m) for m in _list(d["stays"])),
        delete_versions=tuple(_str(v) for v in _list(d["delete_versions"])),
    )


def _step_to_dict(s: Step) -> dict[str, Any]:
    return {
        "operation": s.operation,
        "params": _json(s.params),
        "address": s.address,
        "description": s.description,
        "wait_for": s.wait_for,
        "outputs": plain(s.outputs),
        "mutating": s.mutating,
        "after": list(s.after),
    }


def _step_from_dict(d: Any) -> Step:
    d = _dict(d)
    return Step(
        operation=_operation(d["operation"]),
        params=refs_from_json(_dict(d["params"])),
        address=_address(d["address"]),
        description=_str(d["description"]),
        wait_for=_opt_str(d["wait_for"]),
        outputs={k: _str(v) for k, v in _dict(d["outputs"]).items()},
        mutating=_bool(d["mutating"]),
        # Optional: plans saved before ``after`` existed have none.
        after=tuple(_address(a) for a in _list(d.get("after", []))),
    )
