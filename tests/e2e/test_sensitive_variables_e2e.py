"""Secret-marked variables (issue 11 item 7): ``variables: {X: {value: ..., sensitive: true}}``.

Every output path shows ``(sensitive value)`` instead of the value (human / JSON / Markdown plan,
``--steps``, apply's result, status, drift, errors, ``--debug``), no file agentctl writes holds it
in clear (saved plans keep a salted digest; ``.agentctl/`` records), while apply sends the real
value (the emulator, standing for the service, has it). A saved plan whose sensitive value
changed since it was made is refused as stale.
"""

from __future__ import annotations

import json

import pytest

from agentctl.exitcodes import ExitCode

from .conftest import Project

SECRET = "zq7PartnerKey-5531+abc"
OTHER = "zq7PartnerKey-9999+xyz"
MASK = "(sensitive value)"


def _mark(p: Project, monkeypatch, value: str = SECRET) -> None:
    monkeypatch.setenv("PARTNER_KEY", value)
    p.edit("agentctl.yaml", "    variables:\n      hrKnowledgeBaseId: KB1234ABCD\n",
           "    variables:\n      hrKnowledgeBaseId: KB1234ABCD\n"
           "      partnerKey: { value: \"${env.PARTNER_KEY}\", sensitive: true }\n")
    p.edit("agents/support-bot.yaml", "tags: { team: support }",
           "tags: { team: support, partner: \"${var.partnerKey}\" }")
    p.edit("agents/support-bot.yaml", "description: Customer support for orders and HR policies.",
           "description: \"Customer support for orders and HR policies (partner key "
           "${var.partnerKey}).\"")


def _agentctl_files(p: Project) -> dict[str, str]:
    """Every file agentctl itself wrote under .agentctl/ (the emulator's database is the
    service's storage: it holds the agent as AWS would)."""
    return {str(f): f.read_text("utf-8", "replace") for f in sorted((p.root / ".agentctl").rglob("*"))
            if f.is_file() and ".db" not in f.name}


def _live(p: Project) -> tuple[str, dict[str, str]]:
    emu, c = p.boto()
    try:
        [s] = c.list_agents()["agentSummaries"]
        agent = c.get_agent(agentId=s["agentId"])["agent"]
        tags = c.list_tags_for_resource(resourceArn=agent["agentArn"])["tags"]
        return agent.get("description", ""), tags
    finally:
        emu.close()


def test_never_shown_never_stored_but_applied(support_bot, monkeypatch):
    p = support_bot
    _mark(p, monkeypatch)
    seen: dict[str, str] = {}

    def run(*args: str, code: int | tuple[int, ...] = ExitCode.OK) -> str:
        r = p.cli("--debug", *args)
        codes = code if isinstance(code, tuple) else (code,)
        assert r.code in codes, (args, r.code, r.err)
        seen[" ".join(args) + " (stdout)"] = r.out
        seen[" ".join(args) + " (stderr)"] = r.err
        return r.out

    human = run("plan", "--steps", code=(ExitCode.OK, ExitCode.CHANGES))
    assert MASK in human
    assert 'partner = "(sensitive value)"' in human or "partner" in human
    doc = json.loads(run("plan", "--output", "json"))
    assert MASK in json.dumps(doc)
    assert MASK in run("plan", "--output", "markdown")
    run("validate", "--output", "json")
    planfile = p.root / "change.plan"
    run("plan", "--out", str(planfile), code=(ExitCode.OK, ExitCode.CHANGES))
    saved = planfile.read_text()
    assert SECRET not in saved and "{{agentctl-sensitive:partnerKey:" in saved

    run("apply", str(planfile))
    # apply sent the real value: the live agent has it.
    description, tags = _live(p)
    assert SECRET in description and tags["partner"] == SECRET

    assert "No changes" in run("plan")  # the live value equals the re-resolved one
    run("status")
    run("status", "--output", "json")
    assert "No drift" in run("drift")
    # Changed outside agentctl: drift names the field, without the value it had.
    emu, c = p.boto()
    try:
        [s] = c.list_agents()["agentSummaries"]
        arn = c.get_agent(agentId=s["agentId"])["agent"]["agentArn"]
        c.tag_resource(resourceArn=arn, tags={"partner": "changed-outside"})
    finally:
        emu.close()
    drift = run("drift", "--detailed-exitcode", code=ExitCode.CHANGES)
    assert "partner" in drift and MASK in drift and "changed-outside" in drift
    run("drift", "--output", "json")
    run("plan", code=ExitCode.OK)  # plan without --detailed-exitcode

    leaks = [where for where, text in {**seen, **_agentctl_files(p)}.items() if SECRET in text]
    assert leaks == [], f"the sensitive value appears in: {leaks}"


def test_a_saved_plan_is_stale_when_the_value_changed(support_bot, monkeypatch):
    p = support_bot
    _mark(p, monkeypatch)
    planfile = p.root / "change.plan"
    assert p.cli("plan", "--out", str(planfile)).code in (ExitCode.OK, ExitCode.CHANGES)
    monkeypatch.setenv("PARTNER_KEY", OTHER)
    r = p.cli("apply", str(planfile))
    assert r.code == ExitCode.STALE_PLAN, r.err
    assert "sensitive variable partnerKey changed since the plan was made" in r.err
    assert SECRET not in r.err + r.out and OTHER not in r.err + r.out
    # No longer marked sensitive: refused too (the file has no value to send).
    monkeypatch.setenv("PARTNER_KEY", SECRET)
    p.edit("agentctl.yaml", '      partnerKey: { value: "${env.PARTNER_KEY}", sensitive: true }',
           '      partnerKey: "${env.PARTNER_KEY}"')
    r = p.cli("apply", str(planfile))
    assert r.code == ExitCode.STALE_PLAN and "no longer defined as sensitive" in r.err, r.err
    # Same value, still sensitive: applied.
    p.edit("agentctl.yaml", '      partnerKey: "${env.PARTNER_KEY}"',
           '      partnerKey: { value: "${env.PARTNER_KEY}", sensitive: true }')
    r = p.cli("apply", str(planfile))
    assert r.code == ExitCode.OK, r.err
    assert _live(p)[1]["partner"] == SECRET


def test_errors_do_not_quote_it(support_bot, monkeypatch):
    p = support_bot
    bad = "zq7Bad#Value!1234"  # '#' and '!' are not allowed in a tag value
    _mark(p, monkeypatch, bad)
    for args in (("validate",), ("validate", "--output", "json"), ("--debug", "plan")):
        r = p.cli(*args)
        assert r.code == ExitCode.INVALID_SPEC, (args, r.err)
        assert bad not in r.out + r.err, args
        assert "tags" in r.out + r.err


@pytest.mark.parametrize("value, message", [
    ('{ value: "abc", sensitive: true }', "sensitive variable partnerKey is shorter than 4"),
    ('{ value: "abcdef", sensitive: true, secret: 1 }', "secret"),
    ('{ sensitive: true }', "value"),
])
def test_bad_declarations_are_located_errors(support_bot, value, message):
    p = support_bot
    p.edit("agentctl.yaml", "      hrKnowledgeBaseId: KB1234ABCD\n",
           f"      hrKnowledgeBaseId: KB1234ABCD\n      partnerKey: {value}\n")
    r = p.cli("validate")
    assert r.code == ExitCode.INVALID_SPEC
    assert "agentctl.yaml:" in r.err + r.out and message in r.err + r.out, r.err + r.out
