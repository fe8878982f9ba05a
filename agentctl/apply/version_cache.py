"""Numbered versions' content, remembered in the project's records between runs.

A numbered version is immutable (service-behaviour.md §3.1), so once agentctl has read its
content (GetAgentVersion and the version's action groups, knowledge bases and collaborators:
about eight calls per version, at quotas of 10-20 per second, §7) it never needs to read it
again. ``RecordVersionCache`` keeps that content in the ``version-content`` record of the
environment's state backend (``agentctl.locks``: ``.agentctl/version-content`` locally, an
object under the S3 prefix with ``backend: s3``, so every clone and CI runner shares it), one
JSON line per version: ``{"key", "digest", "content"}``.

- The key (``agentctl.aws.live.version_key``) is the target, the agent id, the version number
  and the version's own creation and update times: a re-created agent (new id) or a version
  number cut again after a deletion never hits an old entry.
- ``digest`` is the content's digest: a line that is not JSON, lacks a field or whose content
  no longer matches its digest is ignored (the version is read again), as is a record that
  cannot be read at all. A corrupt or missing cache costs calls, never a wrong plan.
- New entries are appended in one write per run (``flush``); a failed write (a read-only
  bucket in a plan-only pipeline, a full disk) is ignored: the next run reads the version again.

Must not: talk to AWS, plan, or print.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Mapping

from agentctl.core.model import digest, plain
from agentctl.errors import AgentctlError

RECORD = "version-content"


class RecordVersionCache:
    """``agentctl.aws.live.VersionCache`` on a state backend's ``version-content`` record."""

    def __init__(self, backend: Any):
        self.backend = backend
        self._lock = threading.Lock()
        self._entries: dict[str, Mapping[str, Any]] | None = None
        self._new: dict[str, Mapping[str, Any]] = {}
        self.hits = 0
        self.misses = 0

    def _load(self) -> dict[str, Mapping[str, Any]]:
        if self._entries is None:
            entries: dict[str, Mapping[str, Any]] = {}
            try:
                text = self.backend.read(RECORD)
            except (AgentctlError, OSError):
                text = ""
            for line in text.splitlines():
                entry = _parse(line)
                if entry is not None:
                    entries[entry[0]] = entry[1]
            self._entries = entries
        return self._entries

    def get(self, key: str) -> Mapping[str, Any] | None:
        with self._lock:
            found = self._load().get(key)
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
            return found

    def put(self, key: str, content: Mapping[str, Any]) -> None:
        with self._lock:
            entries = self._load()
            if key not in entries:
                entries[key] = content
                self._new[key] = content

    def flush(self) -> None:
        """Append the entries added since the last flush (one write); errors are ignored."""
        with self._lock:
            new, self._new = self._new, {}
        if not new:
            return
        lines = "".join(json.dumps({"key": k, "digest": digest(v),
                                    "content": plain(v, refs_as_json=True)},
                                   sort_keys=True, ensure_ascii=False,
                                   separators=(",", ":")) + "\n"
                        for k, v in sorted(new.items()))
        try:
            self.backend.append(RECORD, lines)
        except (AgentctlError, OSError):
            pass


def _parse(line: str) -> tuple[str, Mapping[str, Any]] | None:
    try:
        doc = json.loads(line)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    key, want, content = doc.get("key"), doc.get("digest"), doc.get("content")
    if not isinstance(key, str) or not isinstance(content, dict) or not isinstance(want, str):
        return None
    if digest(content) != want:
        return None
    return key, content


def version_cache_of(ctx: Any) -> RecordVersionCache | None:
    """The cache of an opened ``Context`` (its environment's state backend), one per context;
    None when it has no backend (tests with bare clients)."""
    cached = getattr(ctx, "_version_cache", None)
    if cached is not None:
        return cached
    try:
        backend = ctx.state
    except AttributeError:
        return None
    cache = RecordVersionCache(backend)
    try:
        object.__setattr__(ctx, "_version_cache", cache)
    except (AttributeError, TypeError):
        pass
    return cache


__all__ = ["RECORD", "RecordVersionCache", "version_cache_of"]
