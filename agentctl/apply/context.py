"""An opened project: the loaded project + environment and the clients for its target.

Must not: plan, mutate or print; it only opens and closes.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from agentctl.aws import client as aws
from agentctl.core.model import Target


@dataclass(frozen=True)
class Context:
    """An opened project + environment + clients. Close it (or use ``opened``)."""

    project: Any
    """``agentctl.spec.Project``."""
    clients: aws.Clients

    @property
    def root(self) -> Path:
        return Path(self.project.root)

    @property
    def env_name(self) -> str:
        return self.project.environment.name

    @property
    def target(self) -> Target:
        return self.clients.target

    @property
    def state(self) -> Any:
        """The environment's state backend (``agentctl.locks.Backend``): lock and records."""
        from agentctl.apply.state import backend_of

        return backend_of(self.project)

    def close(self) -> None:
        self.clients.close()


def open_context(start: Path, env: str | None, *, timing: aws.Timing | None = None,
                 emulator_config: Any = None) -> Context:
    from agentctl.spec import load_project

    project = load_project(start, env)
    clients = aws.make_clients(project.environment, root=Path(project.root), timing=timing,
                               emulator_config=emulator_config)
    return Context(project=project, clients=clients)


@contextmanager
def opened(start: Path, env: str | None, **kw: Any) -> Iterator[Context]:
    ctx = open_context(start, env, **kw)
    try:
        yield ctx
    finally:
        ctx.close()


__all__ = ["Context", "open_context", "opened"]
