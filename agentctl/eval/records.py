"""The project's records of eval runs and gated promotions (append-only JSON Lines).

- ``<project>/.agentctl/eval-runs.jsonl``: one object per suite per ``agentctl eval`` run: agent,
  version number, the version's content digest, the suite's digest, the results per case, git
  commit, time (``results.record_documents``).
- ``<project>/.agentctl/promotions.jsonl``: one object per promote of a gated alias: the version,
  its content digest, the gate's verdict (``passed`` with the run ids that let it through, or
  ``skipped`` with the ``--skip-eval --reason`` text and who ran it). ``agentctl history`` shows
  them next to each version.

The content digest is the SHA-256 of the version's content reduced exactly as ``apply`` compares
DRAFT with the newest version to decide whether to cut one (``normalize.comparable_content`` of
``AgentConfig.content()``, planner ``_plan_aliases``): two versions with that same content are
the same agent to the gate, and any change that makes apply cut a version changes the digest.

Both files live in the environment's state backend (``agentctl.locks``: ``.agentctl/`` locally,
the shared S3 prefix with ``backend: s3``, so a CI runner's gate sees the eval runs of another);
every function takes ``where``: a project directory, a backend, or a loaded project / opened
context (its environment's backend).

Must not: decide anything (``gate`` does) or touch AWS. A damaged line is skipped with a warning
(one bad line must not hide every other run), never a traceback.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import json
import os
import subprocess
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from agentctl.core.model import digest, plain
from agentctl.errors import AgentctlError
from agentctl.locks import as_backend

RUNS_FILE = "eval-runs.jsonl"
PROMOTIONS_FILE = "promotions.jsonl"


def backend(where: Any) -> Any:
    """The state backend of ``where`` (see the module docstring)."""
    if hasattr(where, "clients") and hasattr(where, "project"):
        return where.state
    if hasattr(where, "environment") and hasattr(where, "root"):
        from agentctl.apply.state import backend_of

        return backend_of(where)
    return as_backend(where)


def _where(root: Any, name: str) -> Any:
    b = backend(root)
    # A local record is a file (a Path, as callers and tests use it); a remote one an s3:// URL.
    return Path(b.where(name)) if b.kind == "local" else b.where(name)


def runs_path(root: Any) -> Any:
    return _where(root, RUNS_FILE)


def promotions_path(root: Any) -> Any:
    return _where(root, PROMOTIONS_FILE)


def content_digest(content: Mapping[str, Any]) -> str:
    """The version content digest (module docstring)."""
    from agentctl.core.normalize import comparable_content

    return digest(plain(comparable_content(content)))


def now() -> str:
    t = _dt.datetime.now(_dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def git_state(root: Path) -> dict[str, Any]:
    """``{"commit": sha | None, "dirty": bool | None}`` of the project's checkout; both None when
    it is not a git checkout or git is not installed (a record without a commit is still a
    record)."""
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                                 timeout=10, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    status = git("status", "--porcelain", "--", ".")
    return {"commit": commit.strip(), "dirty": bool(status.strip()) if status is not None else None}


def who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return os.environ.get("USER") or "unknown"


def _append(where: Any, name: str, docs: Iterable[Mapping[str, Any]]) -> str:
    lines = "".join(json.dumps(d, sort_keys=True, ensure_ascii=False, default=str) + "\n"
                    for d in docs)
    b = backend(where)
    try:
        # One append of whole lines: concurrent writers interleave (or, on S3, retry) whole
        # records.
        return b.append(name, lines)
    except OSError as e:
        raise AgentctlError(f"cannot write the records file: {e.strerror or e}",
                            where=b.where(name),
                            hint="agentctl keeps eval runs and gated promotions in the project's "
                                 ".agentctl directory; make it writable") from None


def append_runs(root: Any, docs: Iterable[Mapping[str, Any]]) -> Any:
    _append(root, RUNS_FILE, docs)
    return runs_path(root)


def append_promotion(root: Any, doc: Mapping[str, Any]) -> Any:
    _append(root, PROMOTIONS_FILE, [doc])
    return promotions_path(root)


def _read(where: Any, name: str, kind: str,
          warn: Callable[[str], None] | None) -> Iterator[dict[str, Any]]:
    b = backend(where)
    try:
        text = b.read(name)
    except AgentctlError as e:
        raise AgentctlError(f"{e.what}", where=e.where,
                            hint="it is append-only JSON Lines written by agentctl; restore it "
                                 "from version control or move it aside") from None
    path = b.where(name)
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError:
            doc = None
        if not isinstance(doc, dict) or doc.get("kind") != kind:
            if warn is not None:
                warn(f"warning: {path}:{n}: not a {kind} record; ignored")
            continue
        yield doc


def read_runs(root: Any, *, warn: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    return list(_read(root, RUNS_FILE, "eval_run", warn))


def read_promotions(root: Any, *, warn: Callable[[str], None] | None = None
                    ) -> list[dict[str, Any]]:
    return list(_read(root, PROMOTIONS_FILE, "promotion", warn))
