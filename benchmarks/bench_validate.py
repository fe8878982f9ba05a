"""Benchmark: offline validation (``agentctl.spec.load_project``) of a project with N spec files.

Each project is ``examples/support-bot`` with its one spec replaced by N generated copies
(``benchmarks/common.py: make_project``): every spec includes the instruction and orchestration
prompt files and the OpenAPI file, so the include cache, YAML parsing with positions, JSON Schema
validation, the Bedrock service-model checks, quota and cross-reference rules all run per spec.
The projects are written to a temporary directory before timing; the measured call reads them
from disk (the OS page cache is warm after the first repetition, which is the realistic case for
`agentctl validate` in an editor or CI loop).

The repetitions run in one process, so from the second one on the process has imported what the
first load imports lazily (jsonschema and openapi-spec-validator, only when a document needs
them) and keeps its per-process memos (an OpenAPI document's validator errors by content, YAML
scalar tags). **cold ms** is what one command pays instead, as on a fresh CI runner: the first
``load_project`` in a new interpreter (wall and CPU time of that call, measured inside the
child; interpreter start and ``import agentctl.spec`` excluded; median of 3 processes).

    python benchmarks/bench_validate.py [--quick]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, make_project, machine, measure, median_ms, peak_mib, print_table, rss_mib

from agentctl.spec import load_project

SIZES = (10, 50, 200)

COLD = """
import json, sys, time
from pathlib import Path
from agentctl.spec import load_project
wall, cpu = time.perf_counter(), time.process_time()
project = load_project(Path(sys.argv[1]), "local", environ={})
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                  "agents": len(project.desired)}))
"""


def cold(root: Path, n: int, reps: int = 3) -> tuple[float, float]:
    """Median wall and CPU milliseconds of the first load_project in a fresh interpreter."""
    walls, cpus = [], []
    for _ in range(reps):
        out = subprocess.run([sys.executable, "-c", COLD, str(root)], capture_output=True,
                             text=True, check=True, cwd=REPO)
        got = json.loads(out.stdout)
        assert got["agents"] == n, "the child process did not load every spec"
        walls.append(got["wall"] * 1000)
        cpus.append(got["cpu"] * 1000)
    return statistics.median(walls), statistics.median(cpus)


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    started = time.perf_counter()
    print("bench_validate: agentctl.spec.load_project (offline validation), N support-bot-shaped specs")
    print(f"machine: {machine()}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="agentctl-bench-validate-") as tmp:
        for n in SIZES if not quick else SIZES[:1]:
            root = make_project(Path(tmp) / f"p{n}", n)

            def load():
                return load_project(root, "local", environ={})

            project = load()
            assert len(project.desired) == n, "the generated project did not load every spec"
            assert not [w for w in project.warnings if w.severity == "error"]
            repeat = 3 if n >= 200 else 5
            samples = measure(load, repeat)
            med = median_ms(samples)
            cold_wall, cold_cpu = cold(root, n)
            rows.append((n, repeat, med, med / n, min(samples) * 1000, max(samples) * 1000,
                         cold_wall, cold_cpu, peak_mib(load), len(project.warnings)))
    print_table("median milliseconds per load_project; cold = the first load in a fresh process "
                "(wall, CPU); peak = traced Python heap (MiB) of one load",
                ("specs", "reps", "median ms", "ms per spec", "min ms", "max ms", "cold ms",
                 "cold CPU ms", "peak MiB", "warnings"), rows)
    print(f"\nprocess peak RSS {rss_mib():.0f} MiB; total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
