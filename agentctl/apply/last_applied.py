"""The record of what agentctl last applied to each agent: ``<project>/.agentctl/last-applied.json``.

After an apply (or the part of one) completes, every agent of the plan's scope gets the
configuration the plan was made from (``Plan.configuration``: the reviewed specs), the plan id
and the time, under its environment; an agent deleted by the run (``destroy``, ``--prune``) is
removed. ``agentctl drift`` compares the live agents against it (``agentctl.plan.drift``).

One JSON document, replaced atomically (temporary file + rename), so a crash leaves the
previous record. It is informational: losing it loses the drift baseline, never a change.

Must not: call AWS or decide anything about a plan.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping

from agentctl.core import sensitive
from agentctl.errors import AgentctlError
from agentctl.plan.model import ApplyResult, Plan

FORMAT_VERSION = 1


def record_path(root: Path) -> Path:
    return Path(root) / ".agentctl" / "last-applied.json"


def read(root: Path) -> dict[str, Any]:
    """The whole record (``{"format_version", "environments": {env: {agent: entry}}}``); an
    empty one when there is none yet."""
    path = record_path(root)
    if not path.exists():
        return {"format_version": FORMAT_VERSION, "environments": {}}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        detail = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise AgentctlError(f"cannot read the record of applied configurations: {detail}",
                            where=str(path),
                            hint="it is the baseline of `agentctl drift`; delete it and apply "
                                 "again to start a new one") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("environments"), dict):
        raise AgentctlError("not a record of applied configurations", where=str(path),
                            hint="delete it and apply again to start a new one")
    return doc


def for_environment(root: Path, environment: str) -> dict[str, Mapping[str, Any]]:
    """agent name -> {"configuration", "plan_id", "applied_at"} for ``environment``."""
    envs = read(root)["environments"]
    entries = envs.get(environment) or {}
    # Sensitive values are kept as markers (agentctl.core.sensitive); put back the current ones
    # (a value changed since: the marker stays, and drift reports that field).
    return {k: sensitive.unseal(v, strict=False) for k, v in entries.items()
            if isinstance(v, dict) and "configuration" in v}


def update(root: Path, environment: str, plan: Plan, result: ApplyResult, *,
           applied_at: str) -> None:
    """Record the outcome of running ``plan``: agents deleted by it are dropped; when it
    completed, every agent of its scope gets ``plan.configuration``."""
    deleted = {r.step.address.split(".")[1] for r in result.completed
               if r.step.operation == "DeleteAgent"}
    doc = read(root)
    entries = doc["environments"].setdefault(environment, {})
    changed = False
    for name in deleted:
        changed |= entries.pop(name, None) is not None
    if result.ok and plan.configuration:
        scope = set(plan.live_fingerprint) | {s.address.split(".")[1] for s in plan.steps}
        for name in sorted(scope - deleted):
            if name in plan.configuration:
                entries[name] = {"configuration": plan.configuration[name],
                                 "plan_id": plan.plan_id, "applied_at": applied_at}
                changed = True
    if not changed:
        return
    path = record_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    # Never a sensitive value in clear: its marker (name and salted digest) instead.
    tmp.write_text(json.dumps(sensitive.seal(doc), indent=1, sort_keys=True,
                              ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
