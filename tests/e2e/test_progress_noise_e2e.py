"""Issue 12 item 13: progress says what is happening, once, with the numbers it has by then.
Each test failed before: promote repeated ``UpdateAgentAlias PROD ... UPDATING (0s)``, apply said
``routed to version (known after apply)`` while routing to a known version, and destroy
announced "N call(s)" and then "M destroyed" with a third number in the plan."""

from __future__ import annotations

import re

from agentctl.exitcodes import ExitCode


def _repeated(lines: list[str]) -> list[str]:
    return [b for a, b in zip(lines, lines[1:]) if a == b]


def test_apply_progress_names_the_version_once_known(support_bot):
    r = support_bot.cli("apply", "--auto-approve")
    assert r.code == ExitCode.OK, r.err
    assert "create alias PROD routed to version 1" in r.err
    assert "(known after apply)" not in r.err
    assert _repeated(r.err.splitlines()) == []


def test_promote_progress_has_no_repeated_lines(support_bot):
    p = support_bot
    p.ungate()  # promote's progress is under test here, not the example's eval gate on PROD
    assert p.cli("apply", "--auto-approve").code == ExitCode.OK
    p.edit("agents/support-bot.yaml", "temperature: 0.0", "temperature: 0.2")
    assert p.cli("apply", "--auto-approve").code == ExitCode.OK
    r = p.cli("promote", "PROD", "--agent", "support-bot", "--from", "STAGING")
    assert r.code == ExitCode.OK, r.err
    assert r.out == "PROD: 1 -> 2\n"
    lines = r.err.splitlines()
    assert _repeated(lines) == []
    assert sum("UPDATING" in line for line in lines) <= 1


def test_destroy_counts_resources_like_the_plan_does(support_bot):
    p = support_bot
    assert p.cli("apply", "--auto-approve").code == ExitCode.OK
    r = p.cli("destroy", "--auto-approve")
    assert r.code == ExitCode.OK, r.err
    preview = re.search(r"Destroy: (\d+) resource\(s\) of 1 agent\(s\), (\d+) API call\(s\)\.",
                        r.out)
    done = re.search(r"Destroy complete! Resources: (\d+) destroyed \((\d+) API call\(s\)\)\.",
                     r.out)
    assert preview and done, r.out
    assert preview.group(1) == done.group(1)
    assert int(done.group(1)) >= 6  # the agent, 2 aliases, 3 action groups (and its KB link)
    assert preview.group(2) == done.group(2)
