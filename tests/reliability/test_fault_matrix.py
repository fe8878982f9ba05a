"""The fault matrix in the test suite (see fault_matrix.py for the cases and what "correct"
means). CI size: 5 agents in the throttling case, one seed of the 5 % error case; in full
(50 agents, three seeds) with ``AGENTCTL_FULL_MATRIX=1 python -m pytest tests/reliability`` or
``python tests/reliability/fault_matrix.py``."""

from __future__ import annotations

import re

from tests.reliability import fault_matrix as fm


def test_every_fault_case_ends_in_the_correct_state(tmp_path, matrix_size, prepared):
    report = fm.run_matrix(tmp_path, agents=matrix_size["agents"], seeds=matrix_size["seeds"],
                           full=matrix_size["stride"] == 1, prepared=prepared)
    print(report.text())
    names = [re.sub(r"-s\d+$", "", c.name) for c in report.cases]
    full = matrix_size["stride"] == 1
    assert names == ["throttle-tps"] + ["internal-5pct"] * matrix_size["seeds"] + [
        "prepare-failed", "prepare-timeout", "concurrent-applies", "stale-saved-plan"] + (
        ["answer-lost-500", "answer-lost-connection", "answer-lost-removals-500",
         "answer-lost-removals-connection"] if full else
        ["answer-lost-500", "answer-lost-removals-connection"])
    # The faults really happened (a matrix that injects nothing proves nothing).
    by_name = {c.name: c for c in report.cases}
    assert by_name["throttle-tps"].injected.get("ThrottlingException", 0) > 0
    assert by_name["internal-5pct-s1"].injected.get("InternalServerException", 0) > 0
    assert by_name["prepare-failed"].injected["PrepareAgent ended FAILED"] > 0
    assert by_name["prepare-timeout"].injected["PrepareAgent past the deadline"] > 0
    assert by_name["answer-lost-500"].injected.get("InternalServerException after commit", 0) > 0
    assert by_name["answer-lost-removals-connection"].injected.get(
        "connection dropped after commit", 0) > 0
    assert report.ok, report.text()
