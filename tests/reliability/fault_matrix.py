"""The fault matrix: real ``agentctl`` subprocesses against the local target's fault injection,
one case per fault, each judged by the final live state.

Cases (each on ``scenario``'s multi-agent project unless said otherwise):

- ``throttle-tps``: every operation throttled at the real control-plane TPS quotas
  (``faults: {throttle: tps}``, §7) while one apply creates many agents at once;
- ``internal-5pct``: 5 % InternalServerException on every operation (seeded), on the
  generation-2 apply (updates, a new agent and collaborator, version cuts, retention deletions);
- ``prepare-failed``: every PrepareAgent ends FAILED: the apply must stop part-way (exit 8) naming
  the failure reason; a re-run once the cause is gone converges;
- ``prepare-timeout``: PrepareAgent slower than agentctl's wait deadline
  (``AGENTCTL_WAIT_TIMEOUT``): the apply must give up saying what it waited for; a re-run (which
  finds the agents still PREPARING) converges;
- ``concurrent-applies``: two applies of the same change on one environment at once;
- ``stale-saved-plan``: ``plan --out``, someone changes an agent out of band, ``apply PLAN`` must
  be refused as stale (exit 4); a fresh apply converges back to the specs;
- ``answer-lost-500`` / ``answer-lost-connection``: every mutating call of the generation-2
  apply commits and then answers 500 (or drops the connection) once (``faults:
  error_after_commit``), so the SDK retries calls that already happened: creates with their
  clientToken, updates, prepares, version-cutting alias updates (which must not cut a second,
  orphan version), retention deletions; the apply must succeed in one run;
- ``answer-lost-removals-*``: the same on the generation-3 apply with ``--prune`` (an action
  group deleted, a collaborator disassociated, an agent and its aliases deleted): a repeated
  delete meets ResourceNotFoundException, which must count as done.

"Converged" means: ``plan --detailed-exitcode`` exits 0 and the normalized live state equals an
uninterrupted, fault-free run's (``scenario.snapshot``), with no duplicate resource. The report
lists, per case, the faults injected (counted in the emulator's call log), every run's exit
code, and the outcome.

Run in full: ``python tests/reliability/fault_matrix.py`` (50 agents for the throttling case,
both lost-answer kinds on both generations); ``--agents N`` / ``--seeds K`` shrink or grow it.
CI runs ``tests/reliability/test_fault_matrix.py`` (5 agents, one seed, a 500 on generation 2
and a dropped connection on generation 3).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agentctl.core.quotas import TPS_QUOTAS  # noqa: E402
from tests.reliability import kill_matrix as km  # noqa: E402
from tests.reliability import scenario as sc  # noqa: E402

STATE = km.STATE
INJECTED = ("ThrottlingException", "InternalServerException",
            "InternalServerException after commit", "connection dropped after commit")


@dataclass
class CaseResult:
    name: str
    faults: str
    runs: list[tuple[str, int]] = field(default_factory=list)
    """(what ran, exit code) in order."""
    expectations: list[str] = field(default_factory=list)
    """Expectations that failed (empty when the case behaved as specified)."""
    injected: dict[str, int] = field(default_factory=dict)
    plan_code: int | None = None
    differences: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    seconds: float = 0.0
    note: str = ""

    @property
    def converged(self) -> bool:
        return self.plan_code == 0 and not self.differences and not self.duplicates

    @property
    def ok(self) -> bool:
        return self.converged and not self.expectations


@dataclass
class Report:
    cases: list[CaseResult]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.cases)

    def text(self) -> str:
        lines = [f"fault matrix: {len(self.cases)} case(s), {self.seconds:.0f}s"]
        for c in self.cases:
            runs = ", ".join(f"{what}={code}" for what, code in c.runs)
            injected = ", ".join(f"{k} x{v}" for k, v in sorted(c.injected.items())) or "none"
            lines.append(f"  {c.name:<20} {'OK' if c.ok else 'FAILED'}  [{c.seconds:.1f}s]")
            lines.append(f"      faults:   {c.faults}")
            lines.append(f"      injected: {injected}")
            lines.append(f"      runs:     {runs}; then plan={c.plan_code}")
            lines.append(f"      outcome:  {'converged' if c.converged else 'NOT CONVERGED'}"
                         + (f" ({c.note})" if c.note else ""))
            for d in c.expectations + c.differences[:5] + c.duplicates:
                lines.append(f"      ! {d}")
        lines.append(f"  {sum(c.ok for c in self.cases)}/{len(self.cases)} cases correct")
        return "\n".join(lines)


def _injected(state: Path) -> dict[str, int]:
    emu, _ = sc._open(state)
    try:
        return dict(Counter(c.outcome for c in emu.calls() if c.outcome in INJECTED))
    finally:
        emu.close()


def _faults(spec: dict) -> dict[str, str]:
    return {"AGENTCTL_EMULATOR_FAULTS": json.dumps(spec)}


def _finish(case: CaseResult, root: Path, reference: dict, start: float) -> CaseResult:
    case.injected = {**_injected(root / STATE), **case.injected}
    case.plan_code = sc.agentctl(root, "plan", "--detailed-exitcode").code
    snap = sc.snapshot(root / STATE)
    case.differences = sc.diff(reference, snap)
    case.duplicates = sc.duplicates(snap)
    case.seconds = time.monotonic() - start
    return case


def _copy(template: Path, root: Path) -> Path:
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(template, root)
    return root


def _expect(case: CaseResult, cond: bool, text: str) -> None:
    if not cond:
        case.expectations.append(text)


# ------------------------------------------------------------------------------ the cases

def case_throttle(workdir: Path, agents: int) -> CaseResult:
    start = time.monotonic()
    # The quotas enforced at half the published ones (another client of the account spends the
    # rest): agentctl's rate limiter keeps to the published quotas, so it is throttled anyway and
    # must adapt (and botocore's retries absorb the throttles) within one apply. At the published
    # quotas it is never throttled (tests/e2e/test_rate_limit_e2e.py).
    spec = {"throttle": "tps", "tps": {op: q / 2 for op, q in sorted(TPS_QUOTAS.items())}}
    case = CaseResult("throttle-tps", "throttle: tps at half the published quotas while "
                                      f"creating {agents + 3} agents in one apply")
    reference = workdir / "throttle-reference"
    sc.write_project(reference, 0, extra_agents=agents)
    ref_run = sc.agentctl(reference, "apply", "--auto-approve")
    if ref_run.code != 0:
        raise RuntimeError(f"fault-free reference apply failed:\n{ref_run.err[-2000:]}")
    root = workdir / "throttle"
    sc.write_project(root, 0, extra_agents=agents)
    run = sc.agentctl(root, "apply", "--auto-approve", env=sc.base_env(**_faults(spec)))
    case.runs.append(("apply", run.code))
    if run.code != 0:
        case.note = "needed a re-run"
        case.runs.append(("re-apply (faults on)", sc.agentctl(
            root, "apply", "--auto-approve", env=sc.base_env(**_faults(spec))).code))
    _expect(case, run.code == 0, "the throttled apply did not succeed on its own: "
            + (run.err.strip().splitlines() or ["?"])[-1][:300])
    return _finish(case, root, sc.snapshot(reference / STATE), start)


def case_internal(workdir: Path, template: Path, reference: dict, seed: int) -> CaseResult:
    start = time.monotonic()
    spec = {"seed": seed, "internal_error_probability": 0.05}
    case = CaseResult(f"internal-5pct-s{seed}", json.dumps(spec) + " on every operation")
    root = _copy(template, workdir / f"internal-{seed}")
    for attempt in range(3):
        run = sc.agentctl(root, "apply", "--auto-approve", env=sc.base_env(**_faults(spec)))
        case.runs.append(("apply" if attempt == 0 else "re-apply", run.code))
        if run.code == 0:
            break
    _expect(case, case.runs[0][1] == 0,
            "a 5 % error rate should be absorbed by retries in one run")
    if case.runs[0][1] != 0:
        case.note = f"needed {len(case.runs)} runs"
    return _finish(case, root, reference, start)


def _fails_then_reruns(case: CaseResult, root: Path, env: dict[str, str], *, counted: str,
                       said: str, why: str, rerun_note: str) -> None:
    """The faulted apply must stop part-way (exit 8) naming ``said``; one re-run without the
    fault must converge. ``counted`` is what the report counts (its failed PrepareAgent)."""
    run = sc.agentctl(root, "apply", "--auto-approve", env=env)
    case.runs.append(("apply", run.code))
    _expect(case, run.code == 8, f"{why} must stop part-way (exit 8), got {run.code}")
    _expect(case, said in run.out + run.err, f"the report does not say {said!r}")
    rerun = sc.agentctl(root, "apply", "--auto-approve")
    case.runs.append((rerun_note, rerun.code))
    _expect(case, rerun.code == 0, f"the re-run did not succeed: {rerun.err[-300:]}")
    case.injected[counted] = run.err.count(": PrepareAgent FAILED")


def case_prepare_failed(workdir: Path, template: Path, reference: dict) -> CaseResult:
    start = time.monotonic()
    spec = {"prepare_failure_probability": 1.0}
    case = CaseResult("prepare-failed", json.dumps(spec))
    root = _copy(template, workdir / "prepare-failed")
    _fails_then_reruns(case, root, sc.base_env(**_faults(spec)),
                       counted="PrepareAgent ended FAILED", said="injected failure",
                       why="a FAILED prepare", rerun_note="re-apply (fault removed)")
    case.note = "re-run after the cause is removed"
    return _finish(case, root, reference, start)


def case_prepare_timeout(workdir: Path, template: Path, reference: dict) -> CaseResult:
    start = time.monotonic()
    spec = {"slow_prepare_seconds": 2.5}
    case = CaseResult("prepare-timeout", json.dumps(spec) + " with AGENTCTL_WAIT_TIMEOUT=0.5")
    root = _copy(template, workdir / "prepare-timeout")
    _fails_then_reruns(case, root, sc.base_env(AGENTCTL_WAIT_TIMEOUT="0.5", **_faults(spec)),
                       counted="PrepareAgent past the deadline", said="PREPARING",
                       why="a wait past its deadline",
                       rerun_note="re-apply (default deadline)")
    case.note = "re-run with the default deadline, prepares still in flight"
    return _finish(case, root, reference, start)


def case_concurrent(workdir: Path, template: Path, reference: dict) -> CaseResult:
    start = time.monotonic()
    case = CaseResult("concurrent-applies", "two `agentctl apply` of one change started together")
    root = _copy(template, workdir / "concurrent")
    env = sc.base_env()
    cmd = [sys.executable, "-m", "agentctl", "-C", str(root), "apply", "--auto-approve"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    codes = sorted(p.returncode for p in procs)
    for i, code in enumerate(codes):
        case.runs.append((f"apply #{i + 1}", code))
    # One applies; the other waits for the lock and then finds nothing to do (0), or gives up
    # waiting (6). Anything else (a failed step, a duplicate) is a defect.
    _expect(case, set(codes) <= {0, 6} and 0 in codes,
            f"exit codes {codes}: " + " | ".join(e.strip().splitlines()[-1][:200]
                                                 for _, e in outs if e.strip()))
    both = " ".join(e for _, e in outs)
    case.note = ("the second waited for the project lock" +
                 (" and said so" if "lock" in both.lower() else " (silently)"))
    return _finish(case, root, reference, start)


def case_stale_plan(workdir: Path, template: Path, reference: dict) -> CaseResult:
    start = time.monotonic()
    case = CaseResult("stale-saved-plan", "out-of-band UpdateAgent between `plan --out` and "
                                          "`apply PLAN`")
    root = _copy(template, workdir / "stale")
    saved = str(root / "change.plan")
    planned = sc.agentctl(root, "plan", "--out", saved)
    case.runs.append(("plan --out", planned.code))
    emu, c = sc._open(root / STATE)
    try:
        agent = next(a for a in c.list_agents()["agentSummaries"]
                     if a["agentName"] == "shipping-agent")
        full = c.get_agent(agentId=agent["agentId"])["agent"]
        c.update_agent(agentId=full["agentId"], agentName=full["agentName"],
                       foundationModel=full["foundationModel"],
                       agentResourceRoleArn=full["agentResourceRoleArn"],
                       instruction=full["instruction"], description="Changed by someone else.")
    finally:
        emu.close()
    stale = sc.agentctl(root, "apply", saved)
    case.runs.append(("apply PLAN", stale.code))
    _expect(case, stale.code == 4, f"the stale plan was not refused (exit {stale.code})")
    _expect(case, "shipping-agent" in stale.out + stale.err,
            "the refusal does not name the agent that changed")
    fresh = sc.agentctl(root, "apply", "--auto-approve")
    case.runs.append(("apply (fresh plan)", fresh.code))
    _expect(case, fresh.code == 0, f"the fresh apply did not succeed: {fresh.err[-300:]}")
    case.note = "refused, then a fresh plan restores the spec"
    return _finish(case, root, reference, start)


def removals(workdir: Path, applied: Path) -> tuple[Path, dict]:
    """Generation 3 (removals, applied with ``--prune``) on a copy of ``applied`` (generation 2
    applied): the template the removal cases copy, and a fault-free run's snapshot."""
    template = _copy(applied, workdir / "removals-template")
    sc.write_project(template, 3)
    sc.clear_calls(template / STATE)
    reference = _copy(template, workdir / "removals-reference")
    run = sc.agentctl(reference, "apply", "--auto-approve", "--prune")
    if run.code != 0:
        raise RuntimeError(f"fault-free generation-3 apply failed:\n{run.err[-2000:]}")
    return template, sc.snapshot(reference / STATE)


def case_answer_lost(workdir: Path, template: Path, reference: dict, answer: str, *,
                     name: str, what: str, prune: bool = False) -> CaseResult:
    start = time.monotonic()
    spec = {"seed": 7, "error_after_commit": {"rate": 1.0, "answer": answer}}
    case = CaseResult(name, f"{json.dumps(spec)} on {what}: every change commits, then its "
                            "answer is lost once")
    root = _copy(template, workdir / name)
    run = sc.agentctl(root, "apply", "--auto-approve", *(["--prune"] if prune else []),
                      env=sc.base_env(**_faults(spec)))
    case.runs.append(("apply" + (" --prune" if prune else ""), run.code))
    _expect(case, run.code == 0, "the apply did not succeed in one run: "
            + (run.err.strip().splitlines() or ["?"])[-1][:300])
    if run.code != 0:
        case.note = "needed a re-run"
        case.runs.append(("re-apply (no faults)", sc.agentctl(
            root, "apply", "--auto-approve", *(["--prune"] if prune else [])).code))
    return _finish(case, root, reference, start)


def run_matrix(workdir: Path, *, agents: int = 47, seeds: int = 3, full: bool = True,
               progress: Callable[[str], None] = lambda line: None,
               prepared: tuple[Path, dict, int] | None = None) -> Report:
    """``prepared``: ``kill_matrix.prepare``'s result, when the caller already has one.
    ``full``: both lost-answer kinds on both generations (else a 500 on generation 2 and a
    dropped connection on generation 3)."""
    start = time.monotonic()
    template, reference, _ = prepared or km.prepare(workdir / "kill-template")
    gen3: list[tuple[Path, dict]] = []

    def removal(answer: str) -> CaseResult:
        if not gen3:  # built once, by the first removal case
            gen3.append(removals(workdir, km.reference_dir(template)))
        return case_answer_lost(workdir, *gen3[0], answer,
                                name=f"answer-lost-removals-{'500' if answer != 'connection' else 'connection'}",
                                what="the generation-3 apply --prune (deletions)", prune=True)

    lost = ("InternalServerException", "connection")
    cases: list[Callable[[], CaseResult]] = [
        lambda: case_throttle(workdir, agents),
        *[(lambda s=s: case_internal(workdir, template, reference, s)) for s in range(1, seeds + 1)],
        lambda: case_prepare_failed(workdir, template, reference),
        lambda: case_prepare_timeout(workdir, template, reference),
        lambda: case_concurrent(workdir, template, reference),
        lambda: case_stale_plan(workdir, template, reference),
        *[(lambda a=a: case_answer_lost(
            workdir, template, reference, a,
            name=f"answer-lost-{'500' if a != 'connection' else 'connection'}",
            what="the generation-2 apply")) for a in (lost if full else lost[:1])],
        *[(lambda a=a: removal(a)) for a in (lost if full else lost[1:])],
    ]
    results = []
    for make in cases:
        result = make()
        progress(f"{result.name}: {'OK' if result.ok else 'FAILED'}")
        results.append(result)
    return Report(results, time.monotonic() - start)


def main(argv: list[str] | None = None) -> int:
    def options(ap) -> None:
        ap.add_argument("--agents", type=int, default=47,
                        help="extra agents in the throttling case (default 47: 50 in all)")
        ap.add_argument("--seeds", type=int, default=3, help="seeds of the 5 %% error case")

    return sc.main(__doc__.split("\n\n")[0], argv, options,
                   lambda workdir, args, progress: run_matrix(
                       workdir, agents=args.agents, seeds=args.seeds, progress=progress))


if __name__ == "__main__":
    sys.exit(main())
