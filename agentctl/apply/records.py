"""What a project remembers between runs, in its state backend (``agentctl.locks``: the local
``.agentctl/`` directory, or the S3 prefix shared by every clone): which saved plans were applied
(fully, or only part-way), and the lock serializing mutating commands.

- ``applied-plans``: one line per run of a plan, keyed by a digest of plan id + creation time
  (``plan_key``). A plan whose every step completed is recorded as ``<key> ...``; a run that
  stopped part-way (interrupted, or a step failed) as ``partial:<key> ... completed=N/M``, so
  a re-apply of that saved plan is refused as stale with a re-plan hint instead of being called
  "already applied" (its remaining steps were never run). On the S3 backend a second clone
  (another CI runner) sees the same record, so a saved plan cannot be applied twice.
- the project lock: ``Backend.lock`` (an OS file lock locally, a conditionally written object
  on S3), with who holds it so a second command waiting for it can say so.

Every function takes ``where``: a project directory (the local backend), a backend, or an opened
``Context`` (its environment's backend).

Must not: talk to AWS itself, plan, or print (waiting progress goes through a callback).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from agentctl.errors import AgentctlError
from agentctl.locks import (
    DEFAULT_LOCK_TIMEOUT,
    Backend,
    LocalBackend,
    as_backend,
    lock_timeout_from_env,
)
from agentctl.plan.model import ApplyResult, Plan

RECORD = "applied-plans"

Progress = Callable[[str], None]


def backend(where: Any) -> Backend:
    if hasattr(where, "lock") and hasattr(where, "append"):
        return where  # already a backend
    if hasattr(where, "project") and hasattr(where, "clients"):
        state = getattr(where, "state", None)
        return state if state is not None else as_backend(where.root)
    return as_backend(where)


def now() -> str:
    # Millisecond resolution: the applied-plans record keys on plan id + creation time, and two
    # plans of identical content are often made within one second (plan --out, then apply).
    t = _dt.datetime.now(_dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


# --------------------------------------------------------------------------- applied plans

def applied_record_path(where: Any) -> str:
    return backend(where).where(RECORD)


def plan_key(plan: Plan) -> str:
    return hashlib.sha256(f"{plan.plan_id}\n{plan.created_at}".encode()).hexdigest()[:32]


PARTIAL = "partial:"


def _lines(where: Any) -> list[str]:
    b = backend(where)
    try:
        return b.read(RECORD).splitlines()
    except AgentctlError as e:
        raise AgentctlError(f"cannot read the record of applied plans: {e.what}",
                            where=e.where,
                            hint="it only lists saved plans already applied; delete it (or make "
                                 "it readable) and apply again (nothing was changed)") from None


def was_applied(root: Any, plan: Plan) -> bool:
    """Every step of this plan completed in an earlier run."""
    key = plan_key(plan)
    return any(line.split(" ", 1)[0] == key for line in _lines(root))


def partial_run(root: Any, plan: Plan) -> str | None:
    """How far an earlier run of this plan got when it stopped part-way (e.g. ``interrupted,
    3/5 steps completed``), or None when no run of it stopped part-way."""
    key = PARTIAL + plan_key(plan)
    found = None
    for line in _lines(root):
        parts = line.split(" ")
        if parts[0] == key:
            detail = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
            found = (f"{detail.get('outcome', 'stopped')}, "
                     f"{detail.get('completed', '?')} steps completed")
    return found


def _append(root: Any, line: str) -> None:
    backend(root).append(RECORD, line + "\n")


def record_applied(root: Any, plan: Plan) -> None:
    _append(root, f"{plan_key(plan)} {now()} {plan.project}/{plan.environment} {plan.plan_id}")


def record_partial(root: Any, plan: Plan, result: ApplyResult) -> None:
    outcome = "interrupted" if result.interrupted else "failed"
    _append(root, f"{PARTIAL}{plan_key(plan)} {now()} {plan.project}/{plan.environment} "
                  f"{plan.plan_id} outcome={outcome} "
                  f"completed={len(result.completed)}/{len(plan.steps)}")


def record_outcome(root: Any, plan: Plan, result: ApplyResult,
                   progress: Progress | None = None) -> None:
    """Record ``plan`` as applied when every step completed, as applied part-way when any step
    was attempted; a record that cannot be written is a warning, not a failure (the changes are
    made either way, and a re-apply is still refused by the live fingerprints)."""
    attempted = result.completed or result.failures or result.in_flight
    try:
        if result.all_completed:
            record_applied(root, plan)
        elif attempted:
            record_partial(root, plan, result)
    except (OSError, AgentctlError) as e:
        if progress is not None:
            detail = (e.strerror or e) if isinstance(e, OSError) else e.what
            progress(f"warning: could not record the outcome of the plan in "
                     f"{applied_record_path(root)}: {detail}; `agentctl apply` of this "
                     "saved plan will not know it was applied")


# ------------------------------------------------------------------------------------ lock

def lock_holder(root: Any) -> str:
    """Who holds the project lock, as far as it said (``pid 123 (agentctl apply) since
    09:12:03``), or "another agentctl process"."""
    h = backend(root).holder()
    return h.describe() if h is not None else "another agentctl process"


@contextmanager
def project_lock(root: Any, timeout: float | None = None, *, progress: Progress | None = None,
                 command: str = "agentctl") -> Iterator[Any]:
    """Serialize mutating commands of one project (two applies racing each other would race the
    agent's PREPARING/VERSIONING states, §9.3 item 6), in the environment's backend. While
    another process holds it, says so through ``progress``, up to ``timeout``
    (``--lock-timeout``, else AGENTCTL_LOCK_TIMEOUT)."""
    with backend(root).lock(command, timeout=timeout, progress=progress) as info:
        yield info


__all__ = ["applied_record_path", "plan_key", "was_applied", "partial_run", "record_applied",
           "record_partial", "record_outcome", "project_lock", "lock_holder",
           "lock_timeout_from_env", "DEFAULT_LOCK_TIMEOUT", "backend", "LocalBackend"]
