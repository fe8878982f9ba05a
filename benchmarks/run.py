"""Benchmarks of issue 13, one command: ``python -m benchmarks.run [--quick | --full]``.

Fleet part (per N agents of the support-bot shape, ``benchmarks/common.py: make_project``): a
fresh ``agentctl emulator serve`` in its own process (the service's CPU is not charged to
agentctl, as on AWS) with the **real TPS quotas enforced** (``faults: throttle: tps``, §7) and
~50 ms added to every call (``faults: latency``), default transition durations; agentctl runs
as a subprocess (``python -m agentctl``) pointed at it by ``AWS_ENDPOINT_URL_BEDROCK_AGENT``.
Runs, in order: ``apply`` from scratch (re-run until it succeeds, the attempts counted),
converged ``plan`` (the first read of the versions the apply cut), the converged ``plan`` again
(version content from the project's records), no-op ``apply``, then one change in every spec
(the agent description) and its ``plan`` and ``apply``. For each: wall time, exit code, attempts, API calls by operation and
throttled calls (the emulator's call log), agentctl's peak RSS, and lower bounds for the same
work:

- **bound (calls made)** = max(dependent round trips x latency, max over operations of
  successful calls / quota): no client can do these calls faster against these quotas;
- **bound (minimal calls)**: the same for the smallest call set that does the job
  (``minimal_calls``: e.g. a converged plan needs per agent its tags, GetAgent, the DRAFT's
  lists and one Get per action group; numbered versions are immutable so their content need
  not be read again; a no-op apply needs nothing more than its plan).

Plus the **naive reconciler**: the sequential boto3 loop a team would hand-write to read the
same agents (ListAgents, then per agent tags, GetAgent, action groups, knowledge bases, aliases,
versions), timed against the same server.

CPU part (no latency): ``agentctl --help`` vs ``python -c "import typer"`` (median of 5
processes), ``load_project`` of 200 specs (what ``validate`` does, in-process median), and the
human render of a 200-agent plan (``build_plan`` + ``render_plan``, pure).

Prints tables, writes ``benchmarks/results/run-<UTC time>.json``. ``--quick``: N = 1, 10;
default: N = 1, 10, 50; ``--full``: N = 1, 10, 50, 200. ``--no-limit`` runs agentctl with
``AGENTCTL_RATE_LIMIT=off`` (the before picture). Asserts nothing about durations.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the bench_* scripts import `common` as a top-level module

from common import REPO, agent_names, machine, make_project, print_table  # noqa: E402

from agentctl.core.quotas import TPS_QUOTAS  # noqa: E402

LATENCY = 0.05
FAULTS = {"latency": {"*": LATENCY}, "throttle": "tps"}
REGION, ACCOUNT = "us-east-1", "123456789012"
MUTATING = ("Create", "Update", "Delete", "Prepare", "Associate", "Disassociate", "Tag",
            "Untag")


# ------------------------------------------------------------------------------ processes

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AGENTCTL_") and k != "AWS_ENDPOINT_URL_BEDROCK_AGENT"}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    # Users' Pythons cache bytecode; without it every process recompiles agentctl (~2 s here).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["NO_COLOR"] = "1"
    env["CI"] = "1"  # plain progress lines
    return env


class Server:
    """``agentctl emulator serve`` on the project's state, with the benchmark's faults."""

    def __init__(self, root: Path):
        self.port = _free_port()
        env = _base_env()
        env["AGENTCTL_EMULATOR_FAULTS"] = json.dumps(FAULTS)
        self.log = open(root / "server.log", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agentctl", "-C", str(root), "emulator", "serve", "-e",
             "local", "--port", str(self.port)], env=env, stdout=self.log, stderr=self.log,
            stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"emulator serve did not start: {root / 'server.log'}")
                time.sleep(0.1)
        self.url = f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


_RSS_WRAPPER = (
    # agentctl's own entry point (`agentctl.cli.main`, what the `agentctl` script runs: its
    # signal handling and exit included), and the process's peak RSS written at exit.
    "import atexit, json, resource, sys\n"
    "atexit.register(lambda: open(sys.argv[1], 'w').write(json.dumps({'rss_mib': "
    "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})))\n"
    "from agentctl.cli import main\n"
    "main(sys.argv[2:])\n")


def agentctl(root: Path, url: str, *args: str, limit: bool = True) -> dict[str, Any]:
    """Run ``agentctl -C root ARGS`` in a fresh process; wall time, exit code, peak RSS."""
    env = _base_env()
    env["AWS_ENDPOINT_URL_BEDROCK_AGENT"] = url
    if not limit:
        env["AGENTCTL_RATE_LIMIT"] = "off"
    out = root / "rss.json"
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _RSS_WRAPPER, str(out), "-C", str(root), *args],
                          env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=1800)
    wall = time.perf_counter() - start
    info = json.loads(out.read_text()) if out.exists() else {"rss_mib": None}
    out.unlink(missing_ok=True)
    return {"wall": wall, "code": proc.returncode, "rss_mib": info["rss_mib"],
            "stderr_tail": proc.stderr[-1500:] if proc.returncode not in (0, 2) else ""}


def call_log(root: Path) -> list[Any]:
    """The emulator's call log (read through a second Emulator on the same state file), cleared."""
    from agentctl.emulator import Emulator

    emu = Emulator(state_path=root / ".agentctl" / "local.db", region=REGION, account=ACCOUNT)
    try:
        calls = emu.calls()
        emu.clear_calls()
        return calls
    finally:
        emu.close()


# --------------------------------------------------------------------------------- bounds

def quota_bound(counts: Counter) -> tuple[float, str]:
    """max over operations of calls / quota, and the operation that sets it."""
    best, which = 0.0, "-"
    for op, n in counts.items():
        q = TPS_QUOTAS.get(op)
        if q and n / q > best:
            best, which = n / q, op
    return best, which


def durations() -> dict[str, float]:
    from agentctl.emulator.config import Durations

    d = Durations()
    # Seconds a step waits for its transition before the next step of that agent may start.
    return {"CreateAgent": d.create, "UpdateAgent": d.update, "PrepareAgent": d.prepare,
            "CreateAgentAlias": d.version + d.alias, "UpdateAgentAlias": d.version + d.alias,
            "DeleteAgent": d.delete}


def chain_seconds(kind: str, counts: Counter, n: int) -> float:
    """Dependent round trips x latency (+ the emulated transitions waited for, in order) of one
    agent: its steps run one after the other (writes to one agent are serialized, each waits
    for its stable status: one call plus at least one status read), after the read that
    planned them (ListAgents pages, tags, GetAgent, a list, a get)."""
    pages = counts.get("ListAgents", 0) if kind == "plan" else 1
    read = (pages + 4) * LATENCY
    if kind == "plan" or n == 0:
        return read
    trans = durations()
    per_agent = 0.0
    for op, c in counts.items():
        if op.startswith(MUTATING) and op not in ("TagResource", "UntagResource"):
            per_agent += (c / n) * (2 * LATENCY + trans.get(op, 0.0))
    return read + per_agent


def minimal_calls(kind: str, counts: Counter, n: int, groups: int, aliases: int) -> Counter:
    """The smallest call set for the same job (see the module docstring)."""
    pages = max(1, -(-n // 10))  # pages of at most 10 (§1; the emulator's page_size_cap)
    read = Counter({"ListAgents": pages, "ListTagsForResource": n * (1 + aliases),
                    "GetAgent": n, "ListAgentActionGroups": n, "GetAgentActionGroup": n * groups,
                    "ListAgentKnowledgeBases": n, "ListAgentAliases": n,
                    "ListAgentVersions": n})
    if kind == "plan":
        return read
    if kind == "apply-noop":
        return read          # the plan's reads, and no mutating call
    # An apply: its plan's reads (nothing to read for absent agents) plus the mutations it made,
    # which the plan decided and are all necessary.
    mutations = Counter({op: c for op, c in counts.items() if op.startswith(MUTATING)})
    if kind == "apply-scratch":
        return Counter({"ListAgents": pages}) + mutations
    return read + mutations


# --------------------------------------------------------------------------------- fleet

def _change_everywhere(root: Path, n: int) -> None:
    old = "description: Customer support for orders and HR policies.\n"
    for name in agent_names(n):
        p = root / "agents" / f"{name}.yaml"
        text = p.read_text()
        assert old in text, "the example spec changed shape; update benchmarks/run.py"
        p.write_text(text.replace(old, "description: Customer support for orders and HR "
                                       "policies (v2).\n", 1))


def naive_read(url: str, n: int) -> dict[str, Any]:
    """The sequential boto3 reader a team would hand-write (standard retries, no limiter)."""
    import boto3
    from botocore.config import Config

    c = boto3.client("bedrock-agent", region_name=REGION, endpoint_url=url,
                     aws_access_key_id="x", aws_secret_access_key="x",
                     config=Config(retries={"mode": "standard", "max_attempts": 10}))
    start = time.perf_counter()
    agents = []
    for page in c.get_paginator("list_agents").paginate():
        agents.extend(page["agentSummaries"])
    read = 0
    for s in agents:
        aid = s["agentId"]
        agent = c.get_agent(agentId=aid)["agent"]
        c.list_tags_for_resource(resourceArn=agent["agentArn"])
        for g in c.list_agent_action_groups(agentId=aid, agentVersion="DRAFT")[
                "actionGroupSummaries"]:
            c.get_agent_action_group(agentId=aid, agentVersion="DRAFT",
                                     actionGroupId=g["actionGroupId"])
        c.list_agent_knowledge_bases(agentId=aid, agentVersion="DRAFT")
        c.list_agent_aliases(agentId=aid)
        c.list_agent_versions(agentId=aid)
        read += 1
    assert read == n, f"the naive reader found {read} agents, expected {n}"
    return {"wall": time.perf_counter() - start}


def fleet(n: int, work: Path, limit: bool) -> list[dict[str, Any]]:
    root = make_project(work / f"fleet-{n}", n)
    server = Server(root)
    rows: list[dict[str, Any]] = []
    try:
        call_log(root)  # the world seeding is not part of any run

        def record(kind: str, label: str, expect: tuple[int, ...], *args: str,
                   attempts_max: int = 1) -> None:
            attempts, wall, calls, res = 0, 0.0, [], {}
            while True:
                attempts += 1
                res = agentctl(root, server.url, *args, limit=limit)
                wall += res["wall"]
                calls += call_log(root)
                if res["code"] in expect or attempts >= attempts_max:
                    break
            ok = Counter(c.operation for c in calls if c.outcome != "ThrottlingException")
            throttled = sum(1 for c in calls if c.outcome == "ThrottlingException")
            made, made_op = quota_bound(ok)
            made = max(made, chain_seconds(kind.split("-")[0], ok, n))
            minimal = minimal_calls(kind, ok, n, groups=3, aliases=2)
            mb, mb_op = quota_bound(minimal)
            mb = max(mb, chain_seconds(kind.split("-")[0], minimal, n))
            rows.append({
                "agents": n, "run": label, "kind": kind, "exit": res["code"],
                "attempts": attempts, "wall_s": wall, "api_calls": sum(ok.values()) + throttled,
                "throttled": throttled, "calls_by_operation": dict(sorted(ok.items())),
                "bound_made_s": made, "bound_made_by": made_op,
                "minimal_calls": sum(minimal.values()), "bound_minimal_s": mb,
                "bound_minimal_by": mb_op, "peak_rss_mib": res["rss_mib"],
                "x_minimal": wall / mb if mb else None, "stderr_tail": res["stderr_tail"],
            })
            r = rows[-1]
            print(f"  N={n:<4} {label:<22} {wall:7.1f} s  exit {res['code']}  attempts "
                  f"{attempts}  calls {r['api_calls']:5}  throttled {throttled:4}  bound "
                  f"{made:5.1f} / {mb:5.1f} s", flush=True)

        record("apply-scratch", "apply from scratch", (0,), "apply", "--auto-approve",
               attempts_max=5)
        record("plan", "converged plan", (0,), "plan", "--detailed-exitcode")
        # Again: the first plan after the apply read version 1's content (never read before);
        # from now on it comes from the project's records (numbered versions are immutable).
        record("plan", "converged plan, again", (0,), "plan", "--detailed-exitcode")
        record("apply-noop", "no-op apply", (0,), "apply", "--auto-approve")
        _change_everywhere(root, n)
        record("plan-change", "plan, change everywhere", (2,), "plan", "--detailed-exitcode")
        record("apply-change", "apply, change everywhere", (0,), "apply", "--auto-approve",
               attempts_max=5)
        r = agentctl(root, server.url, "plan", "--detailed-exitcode", limit=limit)
        call_log(root)
        assert r["code"] == 0, f"N={n}: not converged after the change: {r['stderr_tail']}"
        naive = naive_read(server.url, n)
        throttled = sum(1 for c in call_log(root) if c.outcome == "ThrottlingException")
        plan_row = [x for x in rows if x["kind"] == "plan" and x["agents"] == n][-1]
        rows.append({"agents": n, "run": "naive sequential read", "kind": "naive",
                     "wall_s": naive["wall"], "throttled": throttled,
                     "x_agentctl_plan": naive["wall"] / plan_row["wall_s"]})
        print(f"  N={n:<4} naive sequential read  {naive['wall']:7.1f} s  throttled {throttled}",
              flush=True)
    finally:
        server.close()
    return rows


# ----------------------------------------------------------------------------------- CPU

def _proc_median(argv: list[str], reps: int = 5) -> float:
    env = _base_env()
    out = []
    for _ in range(reps):
        start = time.perf_counter()
        subprocess.run(argv, env=env, capture_output=True, check=True)
        out.append(time.perf_counter() - start)
    return statistics.median(out)


def cpu(work: Path) -> dict[str, Any]:
    import bench_plan
    from common import EXAMPLE, SPEC, measure

    from agentctl.core.model import LiveState
    from agentctl.plan.planner import build_plan
    from agentctl.render.human import render_plan
    from agentctl.spec import load_project

    res: dict[str, Any] = {}
    res["help_s"] = _proc_median([sys.executable, "-m", "agentctl", "--help"])
    res["import_typer_s"] = _proc_median([sys.executable, "-c", "import typer"])
    res["help_x_typer"] = res["help_s"] / res["import_typer_s"]
    root = make_project(work / "validate-200", 200)
    res["validate_200_s"] = statistics.median(measure(lambda: load_project(root, "local"), 3))
    res["validate_200_cli_s"] = _proc_median([sys.executable, "-m", "agentctl", "-C", str(root),
                                              "validate"], reps=3)
    template = load_project(EXAMPLE, "local").desired[SPEC]
    desired = bench_plan.desired_agents(template, 200)
    plan = build_plan(desired, LiveState(target=bench_plan.TARGET, agents={}), project="support",
                      environment="local", created_at="2026-01-01T00:00:00Z")
    res["render_200_s"] = statistics.median(measure(lambda: render_plan(plan, color=False), 3))
    res["build_plan_200_s"] = statistics.median(measure(
        lambda: build_plan(desired, LiveState(target=bench_plan.TARGET, agents={}),
                           project="support", environment="local",
                           created_at="2026-01-01T00:00:00Z"), 3))
    return res


# ---------------------------------------------------------------------------------- main

def main(argv: list[str]) -> int:
    sizes = (1, 10) if "--quick" in argv else (1, 10, 50, 200) if "--full" in argv \
        else (1, 10, 50)
    limit = "--no-limit" not in argv
    started = time.perf_counter()
    print("benchmarks.run: fleet plan/apply against `emulator serve` with the §7 TPS quotas "
          f"enforced and {LATENCY * 1000:.0f} ms per call; CPU-bound commands")
    print(f"machine: {machine()}; rate limiter {'on' if limit else 'OFF'}")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="agentctl-bench-") as tmp:
        work = Path(tmp)
        for n in sizes:
            rows += fleet(n, work, limit)
        cpu_res = cpu(work)
    print_table("fleet (wall s; bounds: max(dependent round trips x latency, calls / quota))",
                ("N", "run", "exit", "attempts", "wall s", "API calls", "throttled",
                 "bound calls made s", "minimal calls", "bound minimal s", "x bound",
                 "peak RSS MiB"),
                [(r["agents"], r["run"], r.get("exit", ""), r.get("attempts", ""), r["wall_s"],
                  r.get("api_calls", ""), r["throttled"],
                  r.get("bound_made_s", ""), r.get("minimal_calls", ""),
                  r.get("bound_minimal_s", ""),
                  r["x_minimal"] if r.get("x_minimal") is not None else
                  f"naive/plan {r['x_agentctl_plan']:.2f}" if "x_agentctl_plan" in r else "",
                  r.get("peak_rss_mib") or "") for r in rows])
    print_table("CPU-bound (seconds)", ("what", "s"), [
        ("agentctl --help (process)", cpu_res["help_s"]),
        ('python -c "import typer" (process)', cpu_res["import_typer_s"]),
        ("--help / import typer", cpu_res["help_x_typer"]),
        ("load_project of 200 specs (validate, in-process)", cpu_res["validate_200_s"]),
        ("agentctl validate, 200 specs (process)", cpu_res["validate_200_cli_s"]),
        ("build_plan, 200 new agents", cpu_res["build_plan_200_s"]),
        ("render_plan (human), 200 new agents", cpu_res["render_200_s"]),
    ])
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = results / f"run-{stamp}{'' if limit else '-nolimit'}.json"
    out.write_text(json.dumps({"machine": machine(), "rate_limit": limit, "latency_s": LATENCY,
                               "faults": FAULTS, "sizes": list(sizes), "fleet": rows,
                               "cpu": cpu_res}, indent=2, default=str) + "\n")
    print(f"\nwrote {out.relative_to(REPO)}; {time.perf_counter() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
