"""Benchmark: the live reader + plan through the embedded emulator, N agents already applied.

For each N, a generated support-bot-shaped project (``benchmarks/common.py: make_project``) is
applied to a fresh embedded emulator through the public lifecycle code
(``agentctl.apply.lifecycle.open_context`` / ``compute_plan`` / ``apply_plan``, the same path as
``agentctl apply``), with every emulated transition due at once (``EmulatorConfig(time_scale=0)``)
and sub-second polling, so setting up is quick; the apply time is printed for information only.
The benchmark checks that the applied project then plans empty, and measures:

- ``read``: ``lifecycle.read_project_live`` (ListAgents, then per agent GetAgent, tags, action
  groups, knowledge bases, collaborators, aliases, versions and the newest version's content),
  with the number of API calls one read makes (from the emulator's call log);
- ``plan``: ``build_plan`` on that live state (pure);
- ``read+plan``: ``lifecycle.compute_plan``, what ``agentctl plan`` does after loading specs.

Every call goes through boto3 (parameter validation, REST-JSON serialization, response parsing)
into the in-process emulator and its SQLite store, so these are local-target numbers; against AWS
the per-call network latency and the TPS quotas dominate instead.

    python benchmarks/bench_live.py [--quick]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from common import make_project, machine, measure, median_ms, peak_mib, print_table, rss_mib

from agentctl.aws import client as aws
from agentctl.apply import lifecycle
from agentctl.emulator import EmulatorConfig
from agentctl.plan.planner import build_plan

SIZES = (1, 10, 50)
FAST = EmulatorConfig(time_scale=0.0)
TIMING = aws.Timing(poll_initial=0.005, poll_max=0.05, wait_timeout=120.0, retries=10,
                    backoff_base=0.01, backoff_max=0.1)


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    started = time.perf_counter()
    for var in ("AGENTCTL_ENV", "AWS_ENDPOINT_URL_BEDROCK_AGENT", "AGENTCTL_EMULATOR_CONFIG",
                "AGENTCTL_EMULATOR_FAULTS", "AGENTCTL_EMULATOR_TIME_SCALE"):
        os.environ.pop(var, None)  # the embedded emulator, configured only by this script
    print("bench_live: live reader + plan through the embedded emulator, N applied agents")
    print(f"machine: {machine()}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="agentctl-bench-live-") as tmp:
        for n in SIZES if not quick else SIZES[:2]:
            root = make_project(Path(tmp) / f"p{n}", n)
            with lifecycle.opened(root, "local", timing=TIMING, emulator_config=FAST) as ctx:
                t0 = time.perf_counter()
                plan = lifecycle.compute_plan(ctx)
                result = lifecycle.apply_plan(ctx, plan, record=False)
                lifecycle.raise_for_result(result)
                apply_s = time.perf_counter() - t0
                assert not lifecycle.compute_plan(ctx).has_changes, "the applied project does not plan empty"

                emulator = ctx.clients.emulator
                emulator.clear_calls()
                live = lifecycle.read_project_live(ctx)
                calls = len(emulator.calls())
                assert set(live.agents) == set(ctx.project.desired)
                desired = lifecycle.desired_of(ctx.project)

                def plan_only():
                    return build_plan(desired, live, project=ctx.project.name, environment=ctx.env_name,
                                      version_retention=ctx.project.settings.version_retention)

                repeat = 5
                t_read = median_ms(measure(lambda: lifecycle.read_project_live(ctx), repeat))
                t_plan = median_ms(measure(plan_only, repeat))
                t_both = median_ms(measure(lambda: lifecycle.compute_plan(ctx), repeat))
                peak = peak_mib(lambda: lifecycle.compute_plan(ctx))
                rows.append((n, len(plan.steps), apply_s, calls, repeat, t_read, t_read / max(calls, 1),
                             t_plan, t_both, peak))
    print_table("apply = one-time setup (s); median milliseconds per call; peak = traced Python heap "
                "(MiB) of one read+plan",
                ("agents", "apply steps", "apply s", "calls/read", "reps", "read ms", "ms/call",
                 "plan ms", "read+plan ms", "peak MiB"), rows)
    print(f"\nprocess peak RSS {rss_mib():.0f} MiB; total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
