"""CI-native output (issue 10 item 3): non-interactive runs, GitHub workflow-command annotations,
the step summary under GitHub's size limit, ``--output markdown`` for apply, and where each
goes so ``--output json`` stays one document. Pure tests for the renderers; CLI runs through
``agentctl.cli.run`` on a copied example (local target) where a project is needed."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from agentctl import console
from agentctl.cli import run
from agentctl.errors import UsageError
from agentctl.exitcodes import ExitCode
from agentctl.plan.model import Action, AgentLifecycle, FieldChange, Plan, ResourceChange
from agentctl.render.github import (
    STEP_SUMMARY_LIMIT,
    annotation,
    escape_data,
    escape_property,
    fit_summary,
    problem_annotations,
)
from agentctl.render.markdown import apply_summary, plan_summary

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _clean_ci_env(monkeypatch):
    for var in ("CI", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_WORKSPACE", "AGENTCTL_ENV",
                "AGENTCTL_EMULATOR_FAULTS", "AWS_ENDPOINT_URL_BEDROCK_AGENT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AGENTCTL_EMULATOR_TIME_SCALE", "0")


# ------------------------------------------------------------------- workflow-command escaping

def test_escaping_follows_githubs_toolkit():
    # Message: only %, CR, LF (a raw newline would end the command, the rest read as a new line).
    assert escape_data("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext: a, b"
    # Properties additionally escape ':' and ',' (they delimit properties).
    assert escape_property("C:\\a,b%\n") == "C%3A\\a%2Cb%25%0A"
    # '%' first: an input that already looks escaped is escaped again, not left as a newline.
    assert escape_data("%0A") == "%250A"


def test_annotation_line_exact():
    line = annotation("error", "unknown key 'x'\nhint: remove it", file="agents/a,b.yaml",
                      line=5, col=3, title="agentctl validate: schema.unknown-key")
    assert line == ("::error file=agents/a%2Cb.yaml,line=5,col=3,"
                    "title=agentctl validate%3A schema.unknown-key::unknown key 'x'%0Ahint: "
                    "remove it")
    assert annotation("warning", "w") == "::warning::w"
    assert annotation("note", "n", file="f.yaml") == "::notice file=f.yaml::n"
    # No line: no line/col properties (GitHub would point at line 0).
    assert annotation("error", "m", file="f", col=4) == "::error file=f::m"


def test_problem_annotations_relative_to_the_workspace_once_each(tmp_path):
    root = tmp_path / "repo" / "proj"
    doc = {"file": "agents/bot.yaml", "line": 7, "col": 2, "severity": "error",
           "code": "schema.unknown-key", "path": "bogus", "message": "unknown key 'bogus'",
           "hint": "remove it"}
    note = {**doc, "severity": "note", "message": "not checked"}
    warn = {**doc, "severity": "warning", "code": "rule.w", "message": "long"}
    lines = problem_annotations([doc, doc, note, warn], root=str(root),
                                workspace=str(tmp_path / "repo"))
    assert lines == [
        "::error file=proj/agents/bot.yaml,line=7,col=2,title=agentctl validate%3A "
        "schema.unknown-key::unknown key 'bogus' [bogus]%0Ahint: remove it",
        "::warning file=proj/agents/bot.yaml,line=7,col=2,title=agentctl validate%3A "
        "rule.w::long [bogus]%0Ahint: remove it",
    ]


# ---------------------------------------------------------------------------- summary budget

def test_fit_summary_keeps_whole_sections_and_says_how_many_were_left_out():
    sections = [f"<details>{i:03d}{'x' * 90}</details>\n" for i in range(100)]
    text = fit_summary("# head\n", sections, 2000)
    assert len(text.encode()) <= 2000
    kept = text.count("<details>")
    assert 0 < kept < 100
    assert text.rstrip().endswith(f"_... {100 - kept} more agents, see the job log._")
    assert all(s in text for s in sections[:kept])   # whole sections, from the start
    assert fit_summary("# head\n", sections[:3], 2000).count("<details>") == 3  # all fit
    assert "more agents" not in fit_summary("# head\n", sections[:3], 2000)
    # Environment headings (weight 0) are not counted as agents, but said.
    weighted = [("## env b\n" * 50, 0)] + sections[:5]
    tiny = fit_summary("# head\n", weighted, 300)
    assert "5 more agents (in 1 more environment), see the job log" in tiny
    # A head larger than the budget is cut, and said so, within the budget.
    huge = fit_summary("h" * 5000, sections, 1000)
    assert len(huge.encode()) <= 1000 and "summary truncated" in huge


def _huge_plan(agents: int, env: str = "prod") -> Plan:
    """A plan creating ``agents`` agents with a 2 KB instruction each (made directly: the
    renderers read plans, they do not need a planner for this)."""
    instruction = "\n".join(f"Line {i}: answer the customer politely and check the order id."
                            for i in range(32))
    changes = []
    lifecycle = []
    for i in range(agents):
        name = f"bot-{i:04d}"
        changes.append(ResourceChange(
            address=f"agent.{name}", kind="agent", action=Action.CREATE, before=None,
            after={"agentName": name, "instruction": instruction},
            fields=(FieldChange("agentName", None, name),
                    FieldChange("instruction", None, instruction, text_diff=True))))
        changes.append(ResourceChange(
            address=f"agent.{name}.alias.LIVE", kind="alias", action=Action.CREATE, before=None,
            after={"description": "live"}, fields=(FieldChange("description", None, "live"),)))
        lifecycle.append(AgentLifecycle(agent=name, prepare=True, new_version=True,
                                        next_version_hint="1"))
    return Plan(format_version=1, project="fleet", environment=env,
                target={"kind": "local", "region": "us-east-1", "account": "123456789012"},
                spec_digest="d", live_fingerprint={}, changes=tuple(changes),
                lifecycle=tuple(lifecycle), steps=(), plan_id="p" * 64)


def test_a_huge_plan_summary_stays_under_githubs_limit_folded_per_agent(tmp_path, monkeypatch):
    plan = _huge_plan(1200)   # ~3 MB of Markdown unbounded
    text = plan_summary([plan])
    size = len(text.encode("utf-8"))
    assert size <= STEP_SUMMARY_LIMIT
    assert size > STEP_SUMMARY_LIMIT * 0.9   # the budget is used, not thrown away
    assert "**Plan: 2400 to add, 0 to change, 0 to destroy.**" in text   # totals stay exact
    kept = text.count("<summary><code>bot-")
    assert 0 < kept < 1200
    assert f"_... {1200 - kept} more agents, see the job log._" in text
    # Folded per agent: a <details> per agent holding a <details> per resource.
    first = text.index("<summary><code>bot-0000</code>: 2 to create</summary>")
    assert text.rfind("<details>", 0, first) > text.rfind("</details>", 0, first)

    # Appended to $GITHUB_STEP_SUMMARY after what an earlier step wrote, never overwriting it,
    # and the file as a whole stays under the limit.
    summary = tmp_path / "summary.md"
    earlier = "# earlier step\n" + "e" * 300_000 + "\n"
    summary.write_text(earlier, encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert console.step_summary(lambda budget: plan_summary([plan], budget=budget))
    data = summary.read_text(encoding="utf-8")
    assert data.startswith(earlier)
    assert len(data.encode("utf-8")) <= STEP_SUMMARY_LIMIT
    assert "more agents, see the job log" in data


def test_summary_of_several_environments_and_a_failed_one():
    a, b = _huge_plan(2, "dev"), _huge_plan(3, "prod")
    text = plan_summary([a, b])
    assert "## agentctl plan: 2 environments" in text
    assert "| `dev` | 4 | 0 | 0 |" in text and "| `prod` | 6 | 0 | 0 |" in text
    assert text.index("/ `dev`") < text.index("/ `prod`")
    applied = apply_summary([(a, None)], skipped=["prod"])
    assert "| `dev` | no changes |" in applied
    assert "| `prod` | not applied (an earlier environment failed) |" in applied


# ---------------------------------------------------------------------------- non-interactive

def test_ci_never_prompts_even_on_a_terminal(monkeypatch):
    monkeypatch.setattr("sys.stdin", _Tty("y\n"))   # a runner with a pseudo-terminal
    monkeypatch.setenv("CI", "true")
    with pytest.raises(UsageError) as e:
        console.confirm("Go?", auto_approve=False, what="apply",
                        alternative="apply a saved plan")
    assert "CI is set" in e.value.what
    assert "--auto-approve" in e.value.hint and "saved plan" in e.value.hint
    assert e.value.exit_code == ExitCode.USAGE
    console.confirm("Go?", auto_approve=True, what="apply")   # approved: fine in CI


def test_invoke_never_asks_in_ci(monkeypatch):
    # Return of control with requireConfirmation asks "Allow it?" only when a person can answer.
    from agentctl.cli.runtime_io import RuntimeIO

    io_ = RuntimeIO(stdin=_Tty("y\n"), stdout=io.StringIO(), stderr=io.StringIO())
    assert io_.is_interactive()
    monkeypatch.setenv("CI", "true")
    assert not io_.is_interactive()


def test_no_live_display_when_stdin_is_not_a_terminal(monkeypatch):
    monkeypatch.setattr("sys.stderr", _Tty())
    monkeypatch.setattr("sys.stdin", io.StringIO())   # `agentctl apply < /dev/null` in a script
    with console.progress() as p:
        assert isinstance(p, console.PlainProgress)
    assert console.noninteractive(env={})
    monkeypatch.setattr("sys.stdin", _Tty())
    assert not console.noninteractive(env={})
    assert console.noninteractive(env={"CI": "1"})


# --------------------------------------------------------------------------- through the CLI

@pytest.fixture
def bot(tmp_path) -> Path:
    root = tmp_path / "ws" / "support-bot"
    shutil.copytree(EXAMPLES / "support-bot", root,
                    ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
    return root


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def _break_spec(root: Path) -> None:
    spec = root / "agents" / "support-bot.yaml"
    spec.write_text(spec.read_text().replace("name: support-bot\n",
                                             "name: support-bot\nbogusKey: 1\n", 1))


def _github(monkeypatch, root: Path) -> Path:
    summary = root.parent / "step-summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(root.parent))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    return summary


def test_validate_annotations_on_stdout_and_the_summary_appended(bot, capsys, monkeypatch):
    _break_spec(bot)
    summary = _github(monkeypatch, bot)
    summary.write_text("# from an earlier step\n")
    code, out, _ = _cli(capsys, "-C", str(bot), "validate")
    assert code == ExitCode.INVALID_SPEC
    assert ("::error file=support-bot/agents/support-bot.yaml,line=5,col=1,"
            "title=agentctl validate%3A schema.unknown-key::unknown key 'bogusKey'") in out
    text = summary.read_text()
    assert text.startswith("# from an earlier step\n")
    assert "agentctl validate: `support` / `local`: **invalid**" in text
    assert "| error | `agents/support-bot.yaml:5:1` | unknown key 'bogusKey' |" in text


def test_json_stays_one_document_annotations_go_to_stderr(bot, capsys, monkeypatch):
    _break_spec(bot)
    _github(monkeypatch, bot)
    for argv in (["validate", "-o", "json"], ["plan", "-o", "json"]):
        code, out, err = _cli(capsys, "-C", str(bot), *argv)
        assert code == ExitCode.INVALID_SPEC
        json.loads(out)   # exactly one JSON document, nothing else on stdout
        assert "::error" not in out and "::warning" not in out
        assert "::error file=support-bot/agents/support-bot.yaml,line=5,col=1," in err
    # Markdown (a PR comment redirected to a file) stays pure Markdown too.
    code, out, err = _cli(capsys, "-C", str(bot), "plan", "-o", "markdown")
    assert "::error" not in out and "::error" in err



def test_an_interrupted_command_is_annotated_and_summarised(bot, capsys, monkeypatch):
    # An interrupted run is a failure of the job: GitHub shows it as an error annotation and the
    # step summary says so (it used to exit 12 with neither).
    summary = _github(monkeypatch, bot)

    def interrupted(*a, **k):
        raise KeyboardInterrupt("SIGTERM")

    monkeypatch.setattr("agentctl.spec.project.load_project", interrupted)
    code, out, err = _cli(capsys, "-C", str(bot), "validate")
    assert code == ExitCode.INTERRUPTED
    assert "interrupted by SIGTERM" in err
    assert "::error title=agentctl validate::interrupted by SIGTERM before the command" in out
    assert "interrupted by SIGTERM" in summary.read_text()

def test_no_annotations_outside_github_actions(bot, capsys, monkeypatch):
    _break_spec(bot)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(bot.parent / "s.md"))
    code, out, err = _cli(capsys, "-C", str(bot), "validate")
    assert code == ExitCode.INVALID_SPEC and "::error" not in out + err


def test_apply_in_ci_without_auto_approve_is_a_usage_error_naming_both_ways(bot, capsys,
                                                                             monkeypatch):
    monkeypatch.setattr("sys.stdin", _Tty())   # even with a terminal
    monkeypatch.setenv("CI", "true")
    code, out, err = _cli(capsys, "-C", str(bot), "apply")
    assert code == ExitCode.USAGE
    assert "refusing to apply without confirmation: CI is set" in err
    assert "--auto-approve" in err and "agentctl plan --out FILE" in err
    code, _, err = _cli(capsys, "-C", str(bot), "destroy")
    # Nothing to destroy yet: no question, no refusal.
    assert code == ExitCode.OK


def test_apply_markdown_and_summary_then_plan_exit_codes(bot, capsys, monkeypatch):
    summary = _github(monkeypatch, bot)
    code, out, _ = _cli(capsys, "-C", str(bot), "plan", "--detailed-exitcode")
    assert code == ExitCode.CHANGES
    code, out, err = _cli(capsys, "-C", str(bot), "apply", "--auto-approve", "-o", "markdown")
    assert code == ExitCode.OK, err
    assert out.startswith("### agentctl apply: `support` / `local`")
    assert "**Apply complete!** Resources: 7 added, 0 changed, 0 destroyed" in out
    assert "<summary><code>support-bot</code>: 7 to create</summary>" in out
    assert "::error" not in out and "::warning" not in out
    text = summary.read_text()
    assert "### agentctl plan: `support` / `local`" in text          # the plan step's summary
    assert "**Apply complete!**" in text                              # then apply's
    code, out, _ = _cli(capsys, "-C", str(bot), "apply", "--auto-approve", "-o", "markdown")
    assert code == ExitCode.OK and "**No changes.** Nothing was applied." in out
    assert _cli(capsys, "-C", str(bot), "plan", "--detailed-exitcode")[0] == ExitCode.OK


def test_a_failed_command_is_annotated_and_summarized(bot, capsys, monkeypatch):
    summary = _github(monkeypatch, bot)
    code, out, err = _cli(capsys, "-C", str(bot), "apply", str(bot / "missing.plan"))
    assert code == ExitCode.USAGE
    assert "::error title=agentctl apply::plan file" in out
    assert "### agentctl apply: failed (exit 5)" in summary.read_text()


def test_an_error_naming_a_file_is_annotated_at_that_file(bot, capsys, monkeypatch):
    _github(monkeypatch, bot)
    (bot / "bad.plan").write_text("{not json")
    code, out, _ = _cli(capsys, "-C", str(bot), "apply", "bad.plan")
    assert code == ExitCode.USAGE
    assert "::error file=support-bot/bad.plan,title=agentctl apply::not a saved plan" in out
