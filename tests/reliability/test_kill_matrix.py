"""The kill matrix in the test suite: a real ``agentctl apply`` subprocess SIGKILLed at its
mutating calls and mid-wait, then re-run (see kill_matrix.py for the scenario and the oracle).
Reduced in CI (every 10th mutation point, one mid-wait point per status); in full with
``AGENTCTL_FULL_MATRIX=1 python -m pytest tests/reliability`` or
``python tests/reliability/kill_matrix.py``."""

from __future__ import annotations

from tests.reliability import kill_matrix as km
from tests.reliability import scenario as sc


def test_killed_apply_then_one_rerun_equals_an_uninterrupted_apply(tmp_path, matrix_size,
                                                                 prepared):
    report = km.run_matrix(tmp_path, stride=matrix_size["stride"],
                           statuses=matrix_size["statuses"], prepared=prepared)
    print(report.text())
    assert report.mutations >= 15   # the scenario really exercises creates, cuts and deletions
    assert {o.point.name.split(":")[0] for o in report.outcomes} == \
        {"mutation", "PREPARING", "VERSIONING"}
    assert report.ok, report.text()


def test_the_oracle_sees_a_lost_change_and_a_duplicate(tmp_path):
    # The matrix is only as good as its comparison: an out-of-band change of one alias's
    # routing, or an extra alias with an existing name, must both show.
    root = sc.write_project(tmp_path / "p", 0)
    assert sc.agentctl(root, "apply", "--auto-approve").code == 0
    state = root / km.STATE
    before = sc.snapshot(state)
    assert sc.duplicates(before) == []
    emu, c = sc._open(state)
    try:
        agent = next(a for a in c.list_agents()["agentSummaries"]
                     if a["agentName"] == "billing-agent")
        c.update_agent(agentId=agent["agentId"], agentName="billing-agent",
                       foundationModel="anthropic.claude-3-5-sonnet-20241022-v2:0",
                       agentResourceRoleArn="arn:aws:iam::123456789012:role/billing-agent-role",
                       instruction="Another instruction, long enough for the service to take.")
    finally:
        emu.close()
    changed = sc.snapshot(state)
    assert any("instruction" in d for d in sc.diff(before, changed))
    doubled = {**changed, "billing-agent": changed["billing-agent"] * 2}
    assert sc.duplicates(doubled) == ["agent billing-agent x2"]
