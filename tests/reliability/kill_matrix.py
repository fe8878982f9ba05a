"""The kill matrix: SIGKILL a real ``agentctl apply`` at every mutating call and mid-wait, re-run,
and check the result against an uninterrupted run.

The interrupted apply is ``scenario`` generation 2 on a project already applied at generations 0
and 1 (multi-agent with collaborators, tracking and pinned aliases, a new agent, versions cut,
retention deletions). Points:

- ``mutation:N`` for every N of the uninterrupted run's successful mutating calls: the emulator
  fault ``kill_after_mutation: N`` SIGKILLs the apply right after the N-th mutating call
  committed, before the response reaches the client;
- ``PREPARING:K`` / ``VERSIONING:K``: ``kill_when_status`` SIGKILLs it at the K-th GetAgent read
  that shows the agent PREPARING / VERSIONING (a wait in progress); these runs use slow
  transitions so the re-run, started at once, still finds the transition under way.

For each point: the killed run must die by SIGKILL; one re-run (no faults) must exit 0; then
``plan --detailed-exitcode`` must be 0, the normalized live state must equal the uninterrupted
run's (``scenario.snapshot``: same agents, configuration, tags, DRAFT sub-resources, version
numbers and contents, alias routing), with no duplicate resource.

Run in full: ``python tests/reliability/kill_matrix.py`` (or ``AGENTCTL_FULL_MATRIX=1 python -m
pytest tests/reliability``); ``--stride K`` keeps every K-th mutation point (the CI size).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.reliability import scenario as sc  # noqa: E402

STATE = ".agentctl/local.db"
# Slow transitions for the mid-wait points: the kill lands while the status is transitional, and
# the re-run (started right after) still sees it and must wait instead of failing.
SLOW = {"AGENTCTL_EMULATOR_TIME_SCALE": "1",
        "AGENTCTL_EMULATOR_DURATIONS": json.dumps({"prepare": 1.5, "version": 1.5})}


@dataclass(frozen=True)
class Point:
    name: str
    faults: dict

    @property
    def slow(self) -> bool:
        return "kill_when_status" in self.faults


@dataclass
class Outcome:
    point: Point
    killed: bool
    rerun_code: int
    plan_code: int
    differences: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    seconds: float = 0.0
    calls_before_kill: int = 0
    detail: str = ""

    @property
    def converged(self) -> bool:
        return (self.killed and self.rerun_code == 0 and self.plan_code == 0
                and not self.differences and not self.duplicates)


@dataclass
class Report:
    mutations: int
    outcomes: list[Outcome]
    seconds: float
    full: bool

    @property
    def ok(self) -> bool:
        return all(o.converged for o in self.outcomes)

    def text(self) -> str:
        lines = [f"kill matrix: {len(self.outcomes)} point(s) "
                 f"({'full' if self.full else 'reduced'}; the uninterrupted apply makes "
                 f"{self.mutations} mutating calls), {self.seconds:.0f}s"]
        for o in self.outcomes:
            verdict = "converged" if o.converged else "NOT CONVERGED"
            lines.append(f"  {o.point.name:<14} killed={'yes' if o.killed else 'NO '} "
                         f"(after {o.calls_before_kill} mutating call(s))  re-run exit "
                         f"{o.rerun_code}  plan exit {o.plan_code}  {verdict}"
                         + (f"  [{o.seconds:.1f}s]"))
            for d in (o.differences[:5] + o.duplicates + ([o.detail] if o.detail else [])):
                lines.append(f"      {d}")
        good = sum(o.converged for o in self.outcomes)
        lines.append(f"  {good}/{len(self.outcomes)} converged after one re-run")
        return "\n".join(lines)


def prepare(workdir: Path) -> tuple[Path, dict, int]:
    """Apply generations 0 and 1, write generation 2: the template every point copies. Returns
    (template, the uninterrupted run's snapshot, its number of mutating calls)."""
    template = workdir / "template"
    for gen in (0, 1):
        sc.write_project(template, gen)
        run = sc.agentctl(template, "apply", "--auto-approve")
        if run.code != 0:
            raise RuntimeError(f"setup apply of generation {gen} failed:\n{run.err[-2000:]}")
    sc.write_project(template, 2)
    sc.clear_calls(template / STATE)
    reference = reference_dir(template)
    shutil.copytree(template, reference)
    run = sc.agentctl(reference, "apply", "--auto-approve")
    if run.code != 0:
        raise RuntimeError(f"uninterrupted apply failed:\n{run.err[-2000:]}")
    mutations = len(sc.mutating_calls(reference / STATE))
    return template, sc.snapshot(reference / STATE), mutations


def reference_dir(template: Path) -> Path:
    """Where ``prepare`` left the uninterrupted run's project (generation 2 applied)."""
    return template.parent / "reference"


def points(mutations: int, *, stride: int = 1, statuses: int = 4) -> list[Point]:
    chosen = list(range(1, mutations + 1, stride))
    if chosen[-1] != mutations:
        chosen.append(mutations)  # the last call (the final retention deletion) always
    out = [Point(f"mutation:{n}", {"kill_after_mutation": n}) for n in chosen]
    for status in ("PREPARING", "VERSIONING"):
        for k in range(1, statuses + 1):
            out.append(Point(f"{status}:{k}", {"kill_when_status": status,
                                               "kill_when_status_occurrence": k}))
    return out


def run_point(point: Point, template: Path, workdir: Path, reference: dict) -> Outcome:
    start = time.monotonic()
    root = workdir / point.name.replace(":", "-")
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(template, root)
    env = sc.base_env(AGENTCTL_EMULATOR_FAULTS=json.dumps(point.faults),
                      **(SLOW if point.slow else {}))
    killed = sc.agentctl(root, "apply", "--auto-approve", env=env)
    before = len(sc.mutating_calls(root / STATE))
    rerun = sc.agentctl(root, "apply", "--auto-approve")
    plan = sc.agentctl(root, "plan", "--detailed-exitcode")
    snap = sc.snapshot(root / STATE)
    detail = ""
    if killed.code != -9:
        detail = f"the faulted run was not killed (exit {killed.code}): {killed.err[-300:]}"
    elif rerun.code != 0:
        detail = f"re-run: {rerun.err.strip().splitlines()[-1:]}" if rerun.err else ""
    outcome = Outcome(point, killed.code == -9, rerun.code, plan.code,
                      differences=sc.diff(reference, snap), duplicates=sc.duplicates(snap),
                      seconds=time.monotonic() - start, calls_before_kill=before,
                      detail=detail)
    if outcome.converged:
        shutil.rmtree(root, ignore_errors=True)
    return outcome


def run_matrix(workdir: Path, *, stride: int = 1, statuses: int = 4,
               progress=lambda line: None,
               prepared: tuple[Path, dict, int] | None = None) -> Report:
    """``prepared``: ``prepare``'s result, when the caller already has one (it is only read)."""
    start = time.monotonic()
    template, reference, mutations = prepared or prepare(workdir)
    outcomes = []
    for point in points(mutations, stride=stride, statuses=statuses):
        outcome = run_point(point, template, workdir, reference)
        progress(f"{point.name}: {'converged' if outcome.converged else 'NOT CONVERGED'}")
        outcomes.append(outcome)
    return Report(mutations, outcomes, time.monotonic() - start,
                  full=stride == 1 and statuses >= 4)


def main(argv: list[str] | None = None) -> int:
    def options(ap) -> None:
        ap.add_argument("--stride", type=int, default=1, help="keep every K-th mutation point")
        ap.add_argument("--statuses", type=int, default=4,
                        help="mid-wait kills per status (PREPARING, VERSIONING)")

    return sc.main(__doc__.split("\n\n")[0], argv, options,
                   lambda workdir, args, progress: run_matrix(
                       workdir, stride=args.stride, statuses=args.statuses, progress=progress))


if __name__ == "__main__":
    sys.exit(main())
