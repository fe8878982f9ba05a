"""Plans of members moved away from their service defaults, from YAML to the apply summary
(issue 12 item 1), on the support-bot example against the embedded emulator."""

from __future__ import annotations

from .test_lifecycle_e2e import apply_ok


def test_default_valued_changes_show_both_values_and_the_summary_names_only_moved_aliases(support_bot):
    p = support_bot
    apply_ok(p)
    spec = "agents/support-bot.yaml"
    p.edit(spec, "storageDays: 30", "storageDays: 60")
    p.edit(spec, "  - name: OrderApi\n", "  - name: OrderApi\n    state: DISABLED\n")
    p.edit(spec, "    track: pinned\n", "    track: pinned\n    invocationState: REJECT_INVOCATIONS\n")
    r = p.cli("plan")
    assert r.code == 0, r.err
    assert "~ memoryConfiguration.storageDays = 30 -> 60" in r.out
    assert '~ actionGroupState = "ENABLED" -> "DISABLED"' in r.out
    assert '~ aliasInvocationState = "ACCEPT_INVOCATIONS" -> "REJECT_INVOCATIONS"' in r.out
    assert "+ memoryConfiguration" not in r.out and "+ aliasInvocationState" not in r.out
    assert "PROD stays on 1" in r.out
    r = p.cli("apply", "--auto-approve")
    assert r.code == 0, r.err
    summary = r.out.strip().splitlines()[-1]
    # PROD was updated (paused) but not moved: only the alias that moved is named.
    assert summary == "support-bot: version 2 cut; STAGING -> 2", summary
    # Back to the defaults: ``60 -> 30``, not a removal.
    p.edit(spec, "storageDays: 60", "storageDays: 30")
    p.edit(spec, "    invocationState: REJECT_INVOCATIONS\n", "")
    r = p.cli("plan")
    assert "~ memoryConfiguration.storageDays = 60 -> 30" in r.out
    assert '~ aliasInvocationState = "REJECT_INVOCATIONS" -> "ACCEPT_INVOCATIONS"' in r.out
