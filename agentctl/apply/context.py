"""An opened project: the loaded project + environment and the clients for its target.

``open_context(..., early_reads=FN)`` overlaps the first read-only calls with loading the specs
(issue 13: the first API call leaves as early as possible): as soon as ``load_project`` knows
the environment (its target and credentials), a daemon thread makes the clients and runs
``FN(clients)`` (``agentctl plan``: ListAgents and the agents' tags) while the main thread reads
and validates the specs; the main thread then takes the clients and, later, the reads' result
(``EarlyReads.take``). Waiting on the network releases the GIL, so those calls cost the specs'
CPU nothing. What the user sees does not change: a spec error is raised by ``load_project`` as
before (the reads' result is dropped unobserved), an error making the clients is raised where
``make_clients`` raised it, an error of the reads where the reads would have run. Not for the
embedded emulator (its SQLite state belongs to the thread that opened it, and its calls are CPU,
nothing to overlap) nor for a command that reads under the project lock (a read made before the
lock could be stale).

Must not: plan, mutate or print; it only opens (and reads, when asked) and closes.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from agentctl.aws import client as aws
from agentctl.core.model import Target


@dataclass(frozen=True)
class Context:
    """An opened project + environment + clients. Close it (or use ``opened``)."""

    project: Any
    """``agentctl.spec.Project``."""
    clients: aws.Clients
    early: "EarlyReads | None" = None
    """The reads started while the specs were loading (``open_context(early_reads=...)``)."""

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


class EarlyReads:
    """``make_clients`` and then ``reads(clients)`` in a daemon thread (module docstring)."""

    def __init__(self, environment: Any, root: Path, reads: Callable[[aws.Clients], Any],
                 **client_options: Any) -> None:
        self._clients_ready = threading.Event()
        self._reads_done = threading.Event()
        self._clients: aws.Clients | None = None
        self._clients_error: BaseException | None = None
        self._result: Any = None
        self._error: BaseException | None = None
        self._taken = False
        self._thread = threading.Thread(
            target=self._run, args=(environment, root, reads, client_options),
            name="agentctl-early-reads", daemon=True)
        self._thread.start()

    def _run(self, environment: Any, root: Path, reads: Callable[[aws.Clients], Any],
             client_options: dict[str, Any]) -> None:
        try:
            self._clients = aws.make_clients(environment, root=root, **client_options)
        except BaseException as e:  # noqa: BLE001 - raised in the main thread by clients()
            self._clients_error = e
            return
        finally:
            self._clients_ready.set()
        try:
            self._result = reads(self._clients)
        except BaseException as e:  # noqa: BLE001 - raised in the main thread by take()
            self._error = e
        finally:
            self._reads_done.set()

    def clients(self) -> aws.Clients:
        """The clients (waits for them); their error, as ``make_clients`` raised it."""
        self._clients_ready.wait()
        if self._clients_error is not None:
            raise self._clients_error
        assert self._clients is not None
        return self._clients

    def take(self) -> Any:
        """The reads' result, once (waits for it; None when already taken); their error."""
        if self._taken:
            return None
        self._taken = True
        self._reads_done.wait()
        if self._error is not None:
            raise self._error
        return self._result


def _reads_early(environment: Any, root: Path) -> bool:
    """Whether the target is reached over the network (AWS, or a served local endpoint)."""
    # AWS itself has no endpoint (None); the embedded emulator's is "embedded:<state file>".
    return not (aws.target_of(environment, root).endpoint or "").startswith("embedded:")


def open_context(start: Path, env: str | None, *, timing: aws.Timing | None = None,
                 emulator_config: Any = None,
                 early_reads: Callable[[aws.Clients], Any] | None = None) -> Context:
    from agentctl.spec import load_project

    options = {"timing": timing, "emulator_config": emulator_config}
    started: list[EarlyReads] = []

    def on_environment(environment: Any, root: Path) -> None:
        if early_reads is not None and _reads_early(environment, root):
            started.append(EarlyReads(environment, root, early_reads, **options))

    project = load_project(start, env, on_environment=on_environment if early_reads else None)
    if started:
        return Context(project=project, clients=started[0].clients(), early=started[0])
    clients = aws.make_clients(project.environment, root=Path(project.root), **options)
    return Context(project=project, clients=clients)


@contextmanager
def opened(start: Path, env: str | None, **kw: Any) -> Iterator[Context]:
    ctx = open_context(start, env, **kw)
    try:
        yield ctx
    finally:
        ctx.close()


__all__ = ["Context", "EarlyReads", "open_context", "opened"]
