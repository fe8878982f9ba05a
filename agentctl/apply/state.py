"""The state backend of a loaded project's environment (``backend:`` in agentctl.yaml): the
local ``.agentctl/`` directory, or the S3 bucket/prefix shared by every clone and CI runner.

Must not: decide anything about locks or records (``agentctl.locks`` does); it only builds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentctl.locks import Backend, LocalBackend, ObjectBackend

_CACHE: dict[tuple[Any, ...], Backend] = {}


def backend_of(project: Any) -> Backend:
    """The backend of ``project`` (an ``agentctl.spec.Project``); one per project root and
    environment per process."""
    env = project.environment
    spec = getattr(env, "backend", None)
    root = Path(project.root)
    if spec is None or spec.type == "local":
        return LocalBackend(root)
    key = (str(root), env.name, spec)
    if key not in _CACHE:
        from agentctl.aws.s3state import S3Store

        store = S3Store(spec.bucket, region=spec.region, profile=env.profile)
        _CACHE[key] = ObjectBackend(store, spec.prefix, root=root, expiry=spec.lock_expiry)
    return _CACHE[key]


__all__ = ["backend_of"]
