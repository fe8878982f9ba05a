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

RUNS_FILE = "eval-runs.jsonl"
PROMOTIONS_FILE = "promotions.jsonl"


def runs_path(root: Path) -> Path:
    return Path(root) / ".agentctl" / RUNS_FILE


def promotions_path(root: Path) -> Path:
    return Path(root) / ".agentctl" / PROMOTIONS_FILE


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


def _append(path: Path, docs: Iterable[Mapping[str, Any]]) -> None:
    lines = "".join(json.dumps(d, sort_keys=True, ensure_ascii=False, default=str) + "\n"
                    for d in docs)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # One write of whole lines in append mode: concurrent writers interleave whole records.
        with path.open("a", encoding="utf-8") as f:
            f.write(lines)
    except OSError as e:
        raise AgentctlError(f"cannot write the records file: {e.strerror or e}", where=str(path),
                            hint="agentctl keeps eval runs and gated promotions in the project's "
                                 ".agentctl directory; make it writable") from None


def append_runs(root: Path, docs: Iterable[Mapping[str, Any]]) -> Path:
    path = runs_path(root)
    _append(path, docs)
    return path


def append_promotion(root: Path, doc: Mapping[str, Any]) -> Path:
    path = promotions_path(root)
    _append(path, [doc])
    return path


def _read(path: Path, kind: str, warn: Callable[[str], None] | None) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        detail = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise AgentctlError(f"cannot read the records file: {detail}", where=str(path),
                            hint="it is append-only JSON Lines written by agentctl; restore it "
                                 "from version control or move it aside") from None
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


def read_runs(root: Path, *, warn: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    return list(_read(runs_path(root), "eval_run", warn))


def read_promotions(root: Path, *, warn: Callable[[str], None] | None = None
                    ) -> list[dict[str, Any]]:
    return list(_read(promotions_path(root), "promotion", warn))
