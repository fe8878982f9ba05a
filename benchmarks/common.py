"""Shared helpers of the benchmark scripts (``benchmarks/bench_*.py``).

- ``measure``: wall-clock durations of repeated calls (``time.perf_counter``), reported as the
  median; the garbage collector runs before each repetition so one run's garbage is not charged
  to the next.
- ``peak_mib``: peak Python heap allocated while one call runs (``tracemalloc``), measured in a
  separate run because tracing slows the code down several-fold; ``rss_mib`` is the process's
  peak resident set size so far (``resource.getrusage``, includes the interpreter and imports).
- ``make_project``: a copy of ``examples/support-bot`` whose single spec is replaced by N
  generated specs of the same shape (agent names ``support-bot-000`` ...), with the same
  includes (instruction and orchestration prompt files, the OpenAPI file), overlays and world.
- ``print_table`` / ``machine``: the table every script prints, and the machine it ran on.

Benchmarks measure; they never assert a duration. They only assert that what they measured is
what they claim to measure (e.g. that a "converged" plan really has no changes).
"""

from __future__ import annotations

import gc
import os
import platform
import resource
import shutil
import statistics
import sys
import time
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "support-bot"
SPEC = "support-bot"


def machine() -> str:
    """One line: date, nproc, Python, platform, load average at the start (other processes on
    the machine make the medians noisier; the load says how busy it was)."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = "/".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return (f"{now}; nproc {os.cpu_count()}; Python {platform.python_version()} "
            f"({platform.python_implementation()}); {platform.system()} {platform.machine()}; "
            f"load average {load}")


def measure(fn: Callable[[], Any], repeat: int) -> list[float]:
    """Seconds per call, ``repeat`` calls."""
    out = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def median_ms(samples: Sequence[float]) -> float:
    return statistics.median(samples) * 1000.0


def peak_mib(fn: Callable[[], Any]) -> float:
    """Peak traced Python allocations (MiB) during one call of ``fn``."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / (1024 * 1024)


def rss_mib() -> float:
    """Peak resident set size of this process so far (MiB; ru_maxrss is KiB on Linux)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024 if sys.platform != "darwin" else kib / (1024 * 1024)


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    print(f"\n{title}")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(cells[0], widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in cells[1:]:
        print("| " + " | ".join(c.rjust(w) for c, w in zip(r, widths)) + " |")
    sys.stdout.flush()


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.1f}" if v >= 10 else f"{v:.2f}"
    return str(v)


def agent_names(n: int) -> list[str]:
    return [f"{SPEC}-{i:03d}" for i in range(n)]


def make_project(root: Path, n: int) -> Path:
    """``examples/support-bot`` copied to ``root`` with N generated specs of its one agent."""
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
    spec = (root / "agents" / f"{SPEC}.yaml").read_text("utf-8")
    (root / "agents" / f"{SPEC}.yaml").unlink()
    marker = f"name: {SPEC}\n"
    assert marker in spec, "the example spec changed shape; update benchmarks/common.py"
    for name in agent_names(n):
        (root / "agents" / f"{name}.yaml").write_text(spec.replace(marker, f"name: {name}\n", 1),
                                                      "utf-8")
    # The environment overlays name the example's agent: keep them, on the first generated one.
    project = (root / "agentctl.yaml").read_text("utf-8")
    (root / "agentctl.yaml").write_text(
        project.replace(f"      {SPEC}:\n", f"      {agent_names(1)[0]}:\n"), "utf-8")
    return root
