"""What a project remembers between runs in ``<project>/.agentctl/``: which saved plans were
applied (fully, or only part-way), and who holds the project lock.

- ``applied-plans``: one line per run of a plan, keyed by a digest of plan id + creation time
  (``plan_key``). A plan whose every step completed is recorded as ``<key> ...``; a run that
  stopped part-way (interrupted, or a step failed) as ``partial:<key> ... completed=N/M``, so
  a re-apply of that saved plan is refused as stale with a re-plan hint instead of being called
  "already applied" (its remaining steps were never run).
- ``lock`` / ``lock.holder``: the project lock (filelock) serializing mutating commands, and who
  holds it (pid, command, since when) so a second command waiting for it can say so.

Must not: talk to AWS, plan, or print (waiting progress goes through a callback).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from agentctl.errors import AgentctlError, LockTimeout, UsageError
from agentctl.plan.model import ApplyResult, Plan

DEFAULT_LOCK_TIMEOUT = 10.0
LOCK_PROGRESS_EVERY = 5.0
"""Seconds between "still waiting for the lock" lines."""

Progress = Callable[[str], None]


def now() -> str:
    # Millisecond resolution: the applied-plans record keys on plan id + creation time, and two
    # plans of identical content are often made within one second (plan --out, then apply).
    t = _dt.datetime.now(_dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


# --------------------------------------------------------------------------- applied plans

def applied_record_path(root: Path) -> Path:
    return Path(root) / ".agentctl" / "applied-plans"


def plan_key(plan: Plan) -> str:
    return hashlib.sha256(f"{plan.plan_id}\n{plan.created_at}".encode()).hexdigest()[:32]


PARTIAL = "partial:"


def _lines(root: Path) -> list[str]:
    path = applied_record_path(root)
    if not path.exists():
        return []
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        detail = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise AgentctlError(f"cannot read the record of applied plans: {detail}", where=str(path),
                            hint="it only lists saved plans already applied; delete it (or make "
                                 "it readable) and apply again (nothing was changed)") from None


def was_applied(root: Path, plan: Plan) -> bool:
    """Every step of this plan completed in an earlier run."""
    key = plan_key(plan)
    return any(line.split(" ", 1)[0] == key for line in _lines(root))


def partial_run(root: Path, plan: Plan) -> str | None:
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


def _append(root: Path, line: str) -> None:
    path = applied_record_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(line + "\n")


def record_applied(root: Path, plan: Plan) -> None:
    _append(root, f"{plan_key(plan)} {now()} {plan.project}/{plan.environment} {plan.plan_id}")


def record_partial(root: Path, plan: Plan, result: ApplyResult) -> None:
    outcome = "interrupted" if result.interrupted else "failed"
    _append(root, f"{PARTIAL}{plan_key(plan)} {now()} {plan.project}/{plan.environment} "
                  f"{plan.plan_id} outcome={outcome} "
                  f"completed={len(result.completed)}/{len(plan.steps)}")


def record_outcome(root: Path, plan: Plan, result: ApplyResult,
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
    except OSError as e:
        if progress is not None:
            progress(f"warning: could not record the outcome of the plan in "
                     f"{applied_record_path(root)}: {e.strerror or e}; `agentctl apply` of this "
                     "saved plan will not know it was applied")


# ------------------------------------------------------------------------------------ lock

def lock_timeout_from_env() -> float:
    raw = os.environ.get("AGENTCTL_LOCK_TIMEOUT", str(DEFAULT_LOCK_TIMEOUT))
    try:
        timeout = float(raw)
    except ValueError:
        timeout = math.nan
    # filelock waits forever on a negative timeout and rejects nan: only a finite, >= 0
    # number of seconds is a timeout.
    if not math.isfinite(timeout) or timeout < 0:
        raise UsageError(f"AGENTCTL_LOCK_TIMEOUT must be a number of seconds >= 0 "
                         f"(got {raw!r})", hint="e.g. AGENTCTL_LOCK_TIMEOUT=60") from None
    return timeout


def _holder_path(root: Path) -> Path:
    return Path(root) / ".agentctl" / "lock.holder"


def lock_holder(root: Path) -> str:
    """Who holds the project lock, as far as it said (``pid 123 (agentctl apply) since
    09:12:03``), or "another agentctl process"."""
    try:
        info = json.loads(_holder_path(root).read_text(encoding="utf-8"))
        return (f"pid {int(info['pid'])} ({str(info.get('command') or 'agentctl')[:60]}) since "
                f"{str(info.get('since') or '?')[:30]}")
    except (OSError, ValueError, KeyError, TypeError):
        return "another agentctl process"


@contextmanager
def project_lock(root: Path, timeout: float | None = None, *, progress: Progress | None = None,
                 command: str = "agentctl") -> Iterator[None]:
    """Serialize mutating commands of one project (two applies racing each other would race the
    agent's PREPARING/VERSIONING states, §9.3 item 6). While another process holds it, says so
    through ``progress`` every few seconds, up to ``timeout`` (AGENTCTL_LOCK_TIMEOUT)."""
    import filelock
    import time

    if timeout is None:
        timeout = lock_timeout_from_env()
    path = Path(root) / ".agentctl" / "lock"
    lock = filelock.FileLock(str(path))
    start = time.monotonic()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            while True:
                waited = time.monotonic() - start
                if progress is not None:
                    progress(f"waiting for the project lock held by {lock_holder(root)} "
                             f"({int(waited)}s of {timeout:g}s; AGENTCTL_LOCK_TIMEOUT)")
                left = timeout - waited
                if left <= 0:
                    raise
                try:
                    lock.acquire(timeout=min(left, LOCK_PROGRESS_EVERY))
                    break
                except filelock.Timeout:
                    if time.monotonic() - start >= timeout:
                        raise
    except filelock.Timeout:
        raise LockTimeout(f"another agentctl process holds the project lock ({path}): "
                          f"{lock_holder(root)}",
                          hint=f"wait for it to finish (waited {timeout:g}s; set "
                               "AGENTCTL_LOCK_TIMEOUT to wait longer)") from None
    except OSError as e:
        # A read-only checkout, or `.agentctl` that is not a directory: nothing was changed yet.
        raise AgentctlError(f"cannot take the project lock {path}: {e.strerror or e}",
                            where=str(path.parent),
                            hint="agentctl needs a writable .agentctl directory in the project "
                                 "to serialize changes; make it writable (nothing was changed)"
                            ) from None
    try:
        try:
            _holder_path(root).write_text(json.dumps(
                {"pid": os.getpid(), "command": command,
                 "since": _dt.datetime.now().astimezone().strftime("%H:%M:%S")}),
                encoding="utf-8")
        except OSError:
            pass  # only informs a waiting process
        yield
    finally:
        try:
            _holder_path(root).unlink(missing_ok=True)
        except OSError:
            pass
        lock.release()


__all__ = ["applied_record_path", "plan_key", "was_applied", "partial_run", "record_applied",
           "record_partial", "record_outcome", "project_lock", "lock_holder",
           "DEFAULT_LOCK_TIMEOUT"]
