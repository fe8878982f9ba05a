"""Issue 13: the reads of a converged plan, exactly (the emulator's call log), against the
support-bot example applied on the local target; a second plan reads no version content (the
project's ``version-content`` record), and a corrupt record only means reading it again."""

from __future__ import annotations

from collections import Counter

from agentctl.exitcodes import ExitCode

# Per agent of the support-bot shape (3 action groups, 1 KB, no collaborators, STAGING and
# PROD both on version 1). ListAgents is one page here.
DRAFT_READS = Counter({
    "ListAgents": 1,
    "ListTagsForResource": 3,          # the agent, then each of its two aliases
    "GetAgent": 1,
    "ListAgentActionGroups": 1, "GetAgentActionGroup": 3,  # the summary lacks the schema
    "ListAgentKnowledgeBases": 1,      # no GetAgentKnowledgeBase: the summary has it all
    "ListAgentCollaborators": 1,
    "ListAgentAliases": 1,             # no GetAgentAlias: nor the history, a plan needs none
    "ListAgentVersions": 1,
})
VERSION_READS = Counter({          # version 1's content, once: numbered versions are immutable
    "GetAgentVersion": 1, "ListAgentActionGroups": 1, "GetAgentActionGroup": 3,
    "ListAgentKnowledgeBases": 1, "ListAgentCollaborators": 1,
})


def _reads(p) -> Counter:
    emu = p.emulator()
    try:
        return Counter(c.operation for c in emu.calls())
    finally:
        emu.close()


def _plan(p) -> None:
    p.clear_calls()
    r = p.cli("plan", "--detailed-exitcode")
    assert r.code == ExitCode.OK, r.out + r.err
    assert "No changes." in r.out


def test_converged_plans_read_each_resource_once_and_versions_never_again(support_bot):
    p = support_bot
    assert p.cli("apply", "--auto-approve").code == ExitCode.OK
    record = p.root / ".agentctl" / "version-content"
    record.unlink(missing_ok=True)  # as if version 1 had been cut by someone else

    _plan(p)
    assert _reads(p) == DRAFT_READS + VERSION_READS
    assert record.exists() and len(record.read_text().splitlines()) == 1

    _plan(p)  # the second plan: version 1's content comes from the record
    assert _reads(p) == DRAFT_READS

    p.clear_calls()  # a no-op apply: its plan's reads and nothing else, no mutating call
    r = p.cli("apply", "--auto-approve")
    assert r.code == ExitCode.OK, r.err
    assert _reads(p) == DRAFT_READS

    record.write_text("not json\n" + record.read_text().replace('"content":{', '"content":{"x":1,'))
    _plan(p)  # a corrupt record is ignored: the version is read again, and the plan is right
    assert _reads(p) == DRAFT_READS + VERSION_READS
    _plan(p)
    assert _reads(p) == DRAFT_READS
