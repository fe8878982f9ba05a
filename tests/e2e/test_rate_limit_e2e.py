"""An apply of many agents with the real TPS quotas enforced by the emulator (§7) is never
throttled: the client-side rate limiter keeps every operation under its quota. Before it, the
same apply met hundreds of ThrottlingExceptions (and, at 50 agents, exhausted its retries)."""

from __future__ import annotations

import json

N = 6  # 12 version-cutting CreateAgentAlias at 2/s: a few seconds, well past one burst


def _clone_agents(root, n: int) -> list[str]:
    spec_path = root / "agents" / "support-bot.yaml"
    spec = spec_path.read_text()
    spec_path.unlink()
    names = [f"support-bot-{i:02d}" for i in range(n)]
    for name in names:
        (root / "agents" / f"{name}.yaml").write_text(
            spec.replace("name: support-bot\n", f"name: {name}\n", 1))
    # The environment overlays name the example's agent: keep them, on the first clone.
    project = root / "agentctl.yaml"
    project.write_text(project.read_text().replace("      support-bot:\n",
                                                   f"      {names[0]}:\n"))
    return names


def test_apply_of_many_agents_with_the_real_quotas_enforced_is_never_throttled(
        support_bot, monkeypatch):
    names = _clone_agents(support_bot.root, N)
    monkeypatch.setenv("AGENTCTL_EMULATOR_FAULTS", json.dumps({"throttle": "tps"}))
    r = support_bot.cli("apply", "--auto-approve")
    assert r.code == 0, r.err
    emu = support_bot.emulator()
    try:
        calls = emu.calls()
    finally:
        emu.close()
    throttled = [c.operation for c in calls if c.outcome == "ThrottlingException"]
    assert throttled == []
    created = sorted(c.params["agentName"] for c in calls
                     if c.operation == "CreateAgent" and c.outcome == "ok")
    assert created == names
    assert sum(c.operation == "CreateAgentAlias" and c.outcome == "ok" for c in calls) == 2 * N
    r = support_bot.cli("plan", "--detailed-exitcode")
    assert r.code == 0, r.out + r.err
