"""Where a project's shared state lives: the lock that serializes mutating commands and the
records beside it (applied plans, eval runs, gated promotions), behind one interface that both
backends implement.

- ``LocalBackend``: today's files in ``<project>/.agentctl/`` (the default, ``backend: local``):
  an OS file lock (``filelock``, released by the OS when its process dies) and one text file per
  record.
- ``ObjectBackend``: an object store (S3, ``backend: s3``) under a key prefix, for pipelines on
  several runners that must see each other. The lock is one object created with a conditional
  write (``PutObject`` with ``If-None-Match: *``, as Terraform's S3 backend locks since 1.10):
  exactly one writer gets it, every other gets 412 PreconditionFailed. It holds id, operation,
  who, when, git commit and an expiry; an expired lock is taken over by replacing *that* object
  (``If-Match`` its ETag), so two processes taking over the same stale lock cannot both win.
  A record is one object; appending is read + conditional replace, retried on a lost race, so
  concurrent appends never drop a line.

Both wait for a held lock with capped exponential backoff up to the timeout, reporting
"waiting for the lock held by ... since ..." through a callback, then raise ``LockTimeout``.

Must not: import boto3 (the S3 store is ``agentctl.aws.s3state``), plan, or print.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import json
import math
import os
import socket
import subprocess
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, ContextManager, Iterator, Protocol

from agentctl.core import sensitive
from agentctl.core.backoff import full_jitter
from agentctl.errors import AgentctlError, LockTimeout, UsageError

Progress = Callable[[str], None]

DEFAULT_LOCK_TIMEOUT = 10.0
LOCK_PROGRESS_EVERY = 5.0
"""Seconds between "still waiting for the lock" lines."""
DEFAULT_LOCK_EXPIRY = 3600
"""Seconds after which a remote lock whose holder never released it may be taken over."""
BACKOFF_FIRST = 0.2
BACKOFF_CAP = 5.0
"""Waiting for a remote lock polls after up to 0.2 s, 0.4 s, ... capped at 5 s, with full
jitter (``agentctl.core.backoff``), so a crowd of waiting pipelines does not hammer the bucket
in lock-step and a short wait is still noticed quickly."""
APPEND_ATTEMPTS = 20
APPEND_BACKOFF = (0.05, 1.0)
"""Base and cap of the full-jitter pause between two attempts of a conditional append that lost
a race (another writer appended in between)."""


# ------------------------------------------------------------------------------ lock info

@dataclass(frozen=True)
class LockInfo:
    """Who holds a lock. ``expires`` is empty for a local lock (the OS frees it)."""

    id: str
    operation: str
    who: str
    when: str
    git_commit: str | None = None
    expires: str = ""

    def describe(self) -> str:
        return f"{self.who} ({self.operation}) since {self.when}"

    def expired(self, now: _dt.datetime) -> bool:
        if not self.expires:
            return False
        try:
            return _parse(self.expires) <= now
        except ValueError:
            return True  # an unreadable expiry cannot keep the project locked forever

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, data: bytes | str) -> "LockInfo":
        doc = json.loads(data)
        if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
            raise ValueError("not a lock")
        return cls(id=doc["id"], operation=str(doc.get("operation") or "agentctl"),
                   who=str(doc.get("who") or "?"), when=str(doc.get("when") or "?"),
                   git_commit=doc.get("git_commit") or None,
                   expires=str(doc.get("expires") or ""))


def _utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _iso(t: _dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: str) -> _dt.datetime:
    return _dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc)


def who_am_i() -> str:
    """``user@host pid N``, plus the CI run when there is one (GitHub Actions, GitLab CI)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        user = os.environ.get("USER") or "unknown"
    out = f"{user}@{socket.gethostname()} pid {os.getpid()}"
    run = os.environ.get("GITHUB_RUN_ID") or os.environ.get("CI_JOB_ID")
    if run:
        out += f" (CI run {run})"
    return out


def git_commit(root: Path) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def new_lock(operation: str, root: Path, expiry: float) -> LockInfo:
    now = _utcnow()
    return LockInfo(id=str(uuid.uuid4()), operation=operation, who=who_am_i(), when=_iso(now),
                    git_commit=git_commit(root),
                    expires=_iso(now + _dt.timedelta(seconds=expiry)) if expiry else "")


# --------------------------------------------------------------------------- timeouts

def parse_timeout(raw: str, source: str) -> float:
    """Seconds from ``30``, ``30s``, ``5m`` (Terraform's ``-lock-timeout=5m`` form); a usage
    error naming ``source`` otherwise."""
    text = str(raw).strip().lower()
    scale = 1.0
    if text.endswith("m"):
        text, scale = text[:-1], 60.0
    elif text.endswith("s"):
        text = text[:-1]
    try:
        timeout = float(text) * scale
    except ValueError:
        timeout = math.nan
    # filelock waits forever on a negative timeout and rejects nan: only a finite, >= 0
    # number of seconds is a timeout.
    if not math.isfinite(timeout) or timeout < 0:
        raise UsageError(f"{source} must be a number of seconds >= 0 (got {raw!r})",
                         hint=f"e.g. {source}=60, 60s or 5m" if source.startswith("AGENTCTL")
                         else f"e.g. {source} 60s or {source} 5m") from None
    return timeout


def lock_timeout_from_env() -> float:
    return parse_timeout(os.environ.get("AGENTCTL_LOCK_TIMEOUT", str(DEFAULT_LOCK_TIMEOUT)),
                         "AGENTCTL_LOCK_TIMEOUT")


def _timeout_source(explicit: bool) -> str:
    return "--lock-timeout" if explicit else "--lock-timeout or AGENTCTL_LOCK_TIMEOUT"


# ------------------------------------------------------------------------------ backends

class Backend(Protocol):
    """What every state backend offers (``LocalBackend``, ``ObjectBackend``)."""

    kind: str

    def where(self, record: str) -> str: ...

    def read(self, record: str) -> str: ...

    def append(self, record: str, text: str) -> str: ...

    def lock(self, operation: str, *, timeout: float | None = None,
             progress: Progress | None = None) -> ContextManager[LockInfo]: ...

    def holder(self) -> LockInfo | None: ...

    def force_unlock(self, lock_id: str) -> LockInfo: ...


class LocalBackend:
    """The project's ``.agentctl/`` directory."""

    kind = "local"

    def __init__(self, root: Path):
        self.root = Path(root)
        self.dir = self.root / ".agentctl"

    def where(self, record: str) -> str:
        return str(self.dir / record)

    def read(self, record: str) -> str:
        path = self.dir / record
        if not path.exists():
            return ""
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            detail = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            raise AgentctlError(f"cannot read the records file: {detail}", where=str(path),
                                hint="it is written by agentctl; restore it from a backup or "
                                     "move it aside") from None

    def append(self, record: str, text: str) -> str:
        """Append whole lines (one write in append mode: concurrent writers interleave whole
        records). ``OSError`` propagates: callers decide whether a lost record is fatal."""
        path = self.dir / record
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(sensitive.mask_text(text))  # records never hold a sensitive value
        return str(path)

    # The holder file only informs a waiting process; the OS lock is the lock.
    def _holder_path(self) -> Path:
        return self.dir / "lock.holder"

    def holder(self) -> LockInfo | None:
        try:
            info = json.loads(self._holder_path().read_text(encoding="utf-8"))
            return LockInfo(id=str(info.get("id") or "?"),
                            operation=str(info.get("command") or "agentctl")[:60],
                            who=f"pid {int(info['pid'])}",
                            when=str(info.get("since") or "?")[:30])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    @contextmanager
    def lock(self, operation: str = "agentctl", *, timeout: float | None = None,
             progress: Progress | None = None) -> Iterator[LockInfo]:
        import filelock

        explicit = timeout is not None
        if timeout is None:
            timeout = lock_timeout_from_env()
        path = self.dir / "lock"
        lock = filelock.FileLock(str(path))
        start = time.monotonic()

        def held_by() -> str:
            h = self.holder()
            return h.describe() if h is not None else "another agentctl process"

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                lock.acquire(timeout=0)
            except filelock.Timeout:
                while True:
                    waited = time.monotonic() - start
                    if progress is not None:
                        progress(f"waiting for the project lock held by {held_by()} "
                                 f"({int(waited)}s of {timeout:g}s; {_timeout_source(explicit)})")
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
                              f"{held_by()}",
                              hint=f"wait for it to finish (waited {timeout:g}s; pass "
                                   f"{_timeout_source(explicit)} to wait longer)") from None
        except OSError as e:
            # A read-only checkout, or `.agentctl` that is not a directory: nothing changed yet.
            raise AgentctlError(f"cannot take the project lock {path}: {e.strerror or e}",
                                where=str(path.parent),
                                hint="agentctl needs a writable .agentctl directory in the "
                                     "project to serialize changes; make it writable (nothing "
                                     "was changed)") from None
        info = LockInfo(id=str(uuid.uuid4()), operation=operation, who=f"pid {os.getpid()}",
                        when=_dt.datetime.now().astimezone().strftime("%H:%M:%S"))
        try:
            try:
                self._holder_path().write_text(json.dumps(
                    {"id": info.id, "pid": os.getpid(), "command": operation,
                     "since": info.when}), encoding="utf-8")
            except OSError:
                pass  # only informs a waiting process
            yield info
        finally:
            try:
                self._holder_path().unlink(missing_ok=True)
            except OSError:
                pass
            lock.release()

    def force_unlock(self, lock_id: str) -> LockInfo:
        raise UsageError("the local backend's lock cannot be stuck: it is an operating-system "
                         "file lock, released when the process holding it exits",
                         where=str(self.dir / "lock"),
                         hint="wait for (or stop) the agentctl process that holds it; "
                              "force-unlock is for `backend: s3` locks left by a runner that "
                              "died")


class ObjectStore(Protocol):
    """The few conditional object operations ``ObjectBackend`` needs (``agentctl.aws.s3state``
    implements them on S3). ``None`` / ``False`` means the condition failed."""

    def describe(self, key: str) -> str: ...

    def get(self, key: str) -> tuple[bytes, str] | None: ...
    """(body, etag), or None when there is no such object."""

    def put_if_absent(self, key: str, body: bytes) -> str | None: ...
    """The new ETag, or None when the object already exists."""

    def put_if_match(self, key: str, body: bytes, etag: str) -> str | None: ...
    """The new ETag, or None when the object is gone or has another ETag."""

    def delete_if_match(self, key: str, etag: str) -> bool: ...


class ObjectBackend:
    """State in an object store under ``prefix`` (``<prefix>/lock.json``, ``<prefix>/<record>``)."""

    kind = "s3"

    def __init__(self, store: ObjectStore, prefix: str, *, root: Path,
                 expiry: float = DEFAULT_LOCK_EXPIRY,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic):
        self.store = store
        self.prefix = prefix.strip("/")
        self.root = Path(root)
        self.expiry = expiry
        self._sleep = sleep
        self._clock = clock

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    @property
    def lock_key(self) -> str:
        return self._key("lock.json")

    def where(self, record: str) -> str:
        return self.store.describe(self._key(record))

    def read(self, record: str) -> str:
        got = self.store.get(self._key(record))
        if got is None:
            return ""
        try:
            return got[0].decode("utf-8")
        except UnicodeDecodeError:
            raise AgentctlError("the records object is not UTF-8 text", where=self.where(record),
                                hint="it is written by agentctl; restore an earlier version of "
                                     "it (bucket versioning) or move it aside") from None

    def append(self, record: str, text: str) -> str:
        key = self._key(record)
        data = sensitive.mask_text(text).encode("utf-8")  # never a sensitive value in a record
        for attempt in range(1, APPEND_ATTEMPTS + 1):
            got = self.store.get(key)
            if got is None:
                if self.store.put_if_absent(key, data) is not None:
                    return self.where(record)
            elif self.store.put_if_match(key, got[0] + data, got[1]) is not None:
                return self.where(record)
            # Another process appended in between: read again and retry on top of its line,
            # after a jittered pause (writers that collided once must not collide again).
            self._sleep(full_jitter(attempt, *APPEND_BACKOFF))
        raise AgentctlError(f"could not append to the records object after {APPEND_ATTEMPTS} "
                            "attempts (other processes kept writing it)",
                            where=self.where(record), hint="run the command again")

    def holder(self) -> LockInfo | None:
        got = self.store.get(self.lock_key)
        if got is None:
            return None
        try:
            return LockInfo.from_json(got[0])
        except ValueError:
            return LockInfo(id="?", operation="?", who="an unreadable lock object", when="?",
                            expires="unreadable")

    def _try_take(self, mine: LockInfo) -> tuple[str | None, LockInfo | None, bool]:
        """(our ETag if we got it, the holder otherwise, whether we took over an expired one)."""
        body = mine.to_json().encode()
        etag = self.store.put_if_absent(self.lock_key, body)
        if etag is not None:
            return etag, None, False
        got = self.store.get(self.lock_key)
        if got is None:
            return None, None, False  # released in between: try again at once
        try:
            held = LockInfo.from_json(got[0])
        except ValueError:
            held = LockInfo(id="?", operation="?", who="an unreadable lock object", when="?",
                            expires="unreadable")
        if held.expired(_utcnow()):
            # Replace exactly the stale object we read: of several processes taking over the
            # same expired lock, only the first conditional write matches its ETag.
            etag = self.store.put_if_match(self.lock_key, body, got[1])
            if etag is not None:
                return etag, held, True
            return None, None, False
        return None, held, False

    @contextmanager
    def lock(self, operation: str = "agentctl", *, timeout: float | None = None,
             progress: Progress | None = None) -> Iterator[LockInfo]:
        explicit = timeout is not None
        if timeout is None:
            timeout = lock_timeout_from_env()
        mine = new_lock(operation, self.root, self.expiry)
        start = self._clock()
        attempt = 0
        last_said = -math.inf
        while True:
            etag, held, took_over = self._try_take(mine)
            if etag is not None:
                break
            waited = self._clock() - start
            if held is not None and waited >= timeout:
                raise LockTimeout(
                    f"the lock {self.store.describe(self.lock_key)} is held by "
                    f"{held.describe()} (lock id {held.id}"
                    + (f", commit {held.git_commit[:12]}" if held.git_commit else "")
                    + (f", expires {held.expires}" if held.expires else "") + ")",
                    hint=f"wait for it to finish (waited {timeout:g}s; pass "
                         f"{_timeout_source(explicit)} to wait longer); if its holder is gone, "
                         f"`agentctl force-unlock {held.id}` releases it")
            if held is not None and progress is not None and waited - last_said >= LOCK_PROGRESS_EVERY:
                last_said = waited
                progress(f"waiting for the lock held by {held.describe()} (lock id {held.id}; "
                         f"{int(waited)}s of {timeout:g}s; {_timeout_source(explicit)})")
            if held is None:
                continue
            attempt += 1
            pause = min(full_jitter(attempt, BACKOFF_FIRST, BACKOFF_CAP), max(timeout - waited, 0.0))
            self._sleep(max(pause, 0.01))
        if took_over and progress is not None:
            progress(f"took over the expired lock held by {held.describe()} (lock id {held.id}, "
                     f"expired {held.expires})")
        try:
            yield mine
        finally:
            # Delete only our own lock object: after a force-unlock someone else may hold it.
            if not self.store.delete_if_match(self.lock_key, etag) and progress is not None:
                progress(f"warning: the lock {self.store.describe(self.lock_key)} was no longer "
                         f"ours when this command finished (force-unlocked or taken over); "
                         "check that no other run changed the same agents meanwhile")

    def force_unlock(self, lock_id: str) -> LockInfo:
        got = self.store.get(self.lock_key)
        if got is None:
            raise UsageError(f"no lock is held at {self.store.describe(self.lock_key)}",
                             hint="nothing to unlock")
        try:
            held = LockInfo.from_json(got[0])
        except ValueError:
            held = LockInfo(id="?", operation="?", who="an unreadable lock object", when="?")
        if held.id != lock_id and not (held.id == "?" and lock_id == "?"):
            raise UsageError(f"the lock is held by {held.describe()} with lock id {held.id}, "
                             f"not {lock_id}",
                             where=self.store.describe(self.lock_key),
                             hint="pass the lock id the waiting command printed (force-unlock "
                                  "releases only the lock it names, so a newer holder is safe)")
        if not self.store.delete_if_match(self.lock_key, got[1]):
            raise UsageError("the lock changed while it was being released",
                             where=self.store.describe(self.lock_key),
                             hint="run `agentctl force-unlock` again with the id it names now")
        return held


def as_backend(where: "Path | str | Backend") -> Backend:
    """A backend for ``where``: itself, or the local backend of the project directory."""
    if isinstance(where, (str, os.PathLike)):
        return LocalBackend(Path(where))
    return where


__all__ = ["Backend", "LocalBackend", "ObjectBackend", "ObjectStore", "LockInfo", "as_backend",
           "parse_timeout", "lock_timeout_from_env", "DEFAULT_LOCK_TIMEOUT",
           "DEFAULT_LOCK_EXPIRY"]
