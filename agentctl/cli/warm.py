"""Modules a command will need after its reads, imported while it waits for them.

``agentctl plan`` spends most of its wall time waiting for API answers (the TPS quotas and the
round trips, §7), with the main thread idle; what it imports after the reads (the renderer,
the console and its palette, the eval gate's summary) is CPU work that does not depend on them.
``in_background(names)`` imports those in a daemon thread started when the reads start, so the
import is done when the reads are; the command's own ``import`` of the same module then finds
it (or waits for the one under way: the import system's per-module lock), and an import that
fails in the background is left for the command's own import to report, as before.

Must not: import anything with side effects beyond defining it (no signal handlers, no output).
"""

from __future__ import annotations

import importlib
import threading
from typing import Iterable


def in_background(names: Iterable[str]) -> threading.Thread:
    """Start importing ``names`` (in order) in a daemon thread; returns the thread."""
    wanted = tuple(names)

    def run() -> None:
        for name in wanted:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the command's own import reports it
                return

    thread = threading.Thread(target=run, name="agentctl-warm-imports", daemon=True)
    thread.start()
    return thread
