"""The plan as a versioned, Terraform-like JSON document (``--output json``).

``plan_to_document(plan)`` returns a JSON-compatible dict: ``format_version``, plan identity
and target, ``resource_changes`` (``address``, ``type``, ``name``, ``change: {actions, before,
after, fields}``, ``reason``), ``lifecycle``, ``steps`` (operation, params, address, ...,
``after``: the addresses whose steps must complete first) and ``summary`` counts. Placeholders
for values known after apply stay ``{"$ref": ..., "key": ...}``.
Consumers may rely on every key documented here for a given ``format_version``.

Pure: returns a dict; never prints, never diffs.
"""

from __future__ import annotations

from typing import Any

from agentctl.plan.codec import plan_to_dict
from agentctl.plan.model import FORMAT_VERSION, Action, Plan
from agentctl.render._text import lifecycle_line


def plan_to_document(plan: Plan) -> dict[str, Any]:
    base = plan_to_dict(plan)
    resource_changes = []
    for c, raw in zip(plan.changes, base["changes"]):
        parts = c.address.split(".", 3)
        resource_changes.append({
            "address": c.address,
            "type": c.kind,
            "name": parts[3] if len(parts) == 4 else parts[1],
            "agent": parts[1],
            "change": {
                "actions": c.action.terraform_actions,
                "before": raw["before"],
                "after": raw["after"],
                "fields": raw["fields"],
            },
            "reason": c.reason,
        })
    lifecycle = [{**lc, "summary": lifecycle_line(obj)}
                 for lc, obj in zip(base["lifecycle"], plan.lifecycle)]
    counts = plan.counts()
    return {
        "format_version": FORMAT_VERSION,
        "plan_id": plan.plan_id,
        "created_at": plan.created_at,
        "project": plan.project,
        "environment": plan.environment,
        "target": base["target"],
        "spec_digest": plan.spec_digest,
        "live_fingerprint": base["live_fingerprint"],
        "resource_changes": resource_changes,
        "lifecycle": lifecycle,
        "steps": base["steps"],
        "summary": {
            **counts,
            "unchanged": sum(1 for c in plan.changes if c.action is Action.NOOP),
            "steps": len(plan.steps),
            "mutating_steps": sum(1 for s in plan.steps if s.mutating),
            "has_changes": plan.has_changes,
        },
    }
