"""``agentctl eval --output markdown`` and the eval step summary (issue 10 item 3) on
examples/support-bot with the real local runtime: a passing run, then a regression whose
Markdown names the failed case with its expected and actual calls, appended to the same
``$GITHUB_STEP_SUMMARY`` file, exit EVAL_FAILED."""

from __future__ import annotations

import pytest

from agentctl.exitcodes import ExitCode

AGENT = "support-bot"


def test_eval_markdown_and_step_summary(support_bot, tmp_path, monkeypatch):
    pytest.importorskip("agentctl.emulator.runtime")
    p = support_bot
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert p.cli("apply", "--auto-approve").code == ExitCode.OK
    r = p.cli("eval", "--agent", AGENT, "--alias", "STAGING", "--output", "markdown")
    assert r.code == ExitCode.OK, r.err
    assert r.out.startswith(f"### agentctl eval: `{AGENT}` `STAGING` -> version 1 (local): passed")
    assert "| `support-bot-regression` | pass | 7/7 | 100% | 100% |" in r.out
    assert "<details>" not in r.out   # nothing failed, nothing to unfold

    p.edit("agents/support-bot.yaml", "- name: get_order_status", "- name: lookup_order_status")
    assert p.cli("apply", "--auto-approve").code == ExitCode.OK
    r = p.cli("eval", "--agent", AGENT, "--alias", "STAGING", "--output", "markdown")
    assert r.code == ExitCode.EVAL_FAILED
    assert "version 2 (local): FAILED" in r.out
    assert "| **FAIL** | `support-bot-regression` | order-status |" in r.out
    assert "<summary>FAIL <code>support-bot-regression</code>: order-status</summary>" in r.out
    assert "expected OrderTools.get_order_status(order_id='A-482')" in r.out
    text = summary.read_text()
    # Both runs, in order, each as printed (plus apply's summaries in between).
    assert text.index("version 1 (local): passed") < text.index("version 2 (local): FAILED")
    assert "**Apply complete!**" in text


def test_no_sensitive_value_in_annotations_or_the_step_summary(support_bot, tmp_path,
                                                               monkeypatch):
    from .test_sensitive_variables_e2e import MASK, SECRET, _mark

    p = support_bot
    _mark(p, monkeypatch)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    outputs = [p.cli("plan"), p.cli("apply", "--auto-approve", "--output", "markdown")]
    p.edit("agents/support-bot.yaml", "name: support-bot\n", "name: support-bot\nbogus: 1\n")
    outputs.append(p.cli("plan"))   # a failure: annotated and summarized
    assert outputs[-1].code == ExitCode.INVALID_SPEC and "::error file=" in outputs[-1].out
    for r in outputs:
        assert SECRET not in r.out + r.err
    text = summary.read_text()
    assert MASK in text and SECRET not in text
    assert "### agentctl plan: failed (exit 3)" in text
