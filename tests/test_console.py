"""The one console (agentctl/console.py) and the shared CLI plumbing (agentctl/cli/options.py):
colour rules, verbatim user data, unwrapped lines, the progress sinks, the confirmation prompt,
the one ``--output`` wording and JSON documents on failure. Pure tests where possible; CLI runs
through ``agentctl.cli.run`` (no AWS, no emulator needed except where a project is loaded)."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from rich.text import Text

from agentctl import console
from agentctl.cli import run
from agentctl.errors import Aborted, UsageError
from agentctl.exitcodes import ExitCode
from agentctl.render.palette import table, to_text

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


# ------------------------------------------------------------------------------ colour rules

@pytest.mark.parametrize("env,tty,flag,expected", [
    ({}, True, False, True),                          # a terminal: colour
    ({}, False, False, False),                        # a pipe or file: none
    ({}, True, True, False),                          # --no-color
    ({"NO_COLOR": "1"}, True, False, False),          # https://no-color.org
    ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False, False),  # NO_COLOR wins
    ({"FORCE_COLOR": "1"}, False, False, True),       # forced into a pipe
    ({"FORCE_COLOR": "0"}, False, False, False),      # FORCE_COLOR=0 forces nothing
    ({"FORCE_COLOR": "1"}, True, True, False),        # --no-color beats FORCE_COLOR
    ({"TERM": "dumb"}, True, False, False),           # a dumb terminal
    ({"TERM": "dumb", "FORCE_COLOR": "1"}, True, False, True),
])
def test_colour_rules(env, tty, flag, expected):
    stream = _Tty() if tty else io.StringIO()
    assert console.color_enabled(stream, no_color=flag, env=env) is expected


def test_live_progress_only_on_an_interactive_terminal():
    assert console.interactive(_Tty(), env={})
    assert not console.interactive(io.StringIO(), env={})
    assert not console.interactive(_Tty(), env={"CI": "true"})
    assert not console.interactive(_Tty(), env={"TERM": "dumb"})


def _plan_output(monkeypatch, capsys, project: Path, *args: str, env=None) -> str:
    for k, v in (env or {}).items():
        monkeypatch.setenv(k, v)
    capsys.readouterr()
    code = run([*args, "-C", str(project), "plan"]) if args and args[0] == "--no-color" \
        else run(["-C", str(project), "plan"])
    assert code == ExitCode.OK
    return capsys.readouterr().out


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("AGENTCTL_EMULATOR_TIME_SCALE", "0")
    monkeypatch.delenv("AGENTCTL_ENV", raising=False)
    root = tmp_path / "support-bot"
    shutil.copytree(EXAMPLES / "support-bot", root,
                    ignore=shutil.ignore_patterns(".agentctl", "__pycache__"))
    return root


def test_force_color_colours_the_plan_even_into_a_pipe(project, monkeypatch, capsys):
    out = _plan_output(monkeypatch, capsys, project, env={"FORCE_COLOR": "1"})
    assert "\x1b[32m" in out  # green "+" lines


def test_no_color_flag_beats_force_color(project, monkeypatch, capsys):
    monkeypatch.setenv("FORCE_COLOR", "1")
    capsys.readouterr()
    assert run(["--no-color", "-C", str(project), "plan"]) == ExitCode.OK
    assert "\x1b[" not in capsys.readouterr().out


@pytest.mark.parametrize("env", [{"NO_COLOR": "1", "FORCE_COLOR": "1"},
                                 {"TERM": "dumb"}, {}])
def test_plain_plan_without_colour(project, monkeypatch, capsys, env):
    out = _plan_output(monkeypatch, capsys, project, env=env)
    assert "\x1b[" not in out and "Plan: 7 to add" in out


# -------------------------------------------------------------------------- verbatim output

USER_DATA = ["functions[get_order_status]", "/orders/{orderId}", "[bold]not bold[/bold]",
             "12345 :smile: https://example.com/x"]


@pytest.mark.parametrize("data", USER_DATA)
@pytest.mark.parametrize("color", [False, True])
def test_user_data_prints_verbatim(data, color):
    t = table("PATH")
    t.add_row(data)
    text = to_text(t, color=color)
    assert data in text
    assert data in to_text(Text(f"~ {data} = 1"), color=color)
    if not color:
        assert "\x1b" not in text


@pytest.mark.parametrize("data", USER_DATA)
def test_console_out_writes_renderables_verbatim_on_a_terminal(data, monkeypatch):
    tty = _Tty()
    monkeypatch.setattr("sys.stdout", tty)
    monkeypatch.setenv("NO_COLOR", "1")
    console.out(Text(f"~ {data} = 1", style="change"))
    assert f"~ {data} = 1" in tty.getvalue()


def test_diff_lines_are_never_wrapped(monkeypatch):
    long = "+ " + "instruction words " * 40
    tty = _Tty()
    monkeypatch.setattr("sys.stdout", tty)
    monkeypatch.setenv("COLUMNS", "40")
    console.out(Text(long, style="add"))
    assert len(tty.getvalue().rstrip("\n").splitlines()) == 1
    assert len(to_text(Text(long)).splitlines()) == 1


# --------------------------------------------------------------------------------- progress

def test_plain_progress_drops_repeated_lines_per_agent():
    lines: list[str] = []
    p = console.PlainProgress(lines.append)
    for line in ["bot: UpdateAgentAlias PROD ... UPDATING (0s)"] * 3 + [
            "other: PrepareAgent ... PREPARING (0s)",
            "bot: UpdateAgentAlias PROD ... PREPARED (1s)",
            "bot: UpdateAgentAlias PROD ... UPDATING (0s)"]:
        p(line)
    assert lines == ["bot: UpdateAgentAlias PROD ... UPDATING (0s)",
                     "other: PrepareAgent ... PREPARING (0s)",
                     "bot: UpdateAgentAlias PROD ... PREPARED (1s)",
                     "bot: UpdateAgentAlias PROD ... UPDATING (0s)"]


def test_progress_is_a_plain_log_in_ci(monkeypatch, capsys):
    monkeypatch.setattr("sys.stderr", _Tty())
    monkeypatch.setenv("CI", "true")
    with console.progress() as p:
        assert isinstance(p, console.PlainProgress)


def test_live_progress_keeps_each_agents_last_line(monkeypatch):
    tty = _Tty()
    monkeypatch.setattr("sys.stderr", tty)
    monkeypatch.setattr("sys.stdin", _Tty())  # an interactive session: stdin is a terminal too
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    with console.progress() as p:
        assert isinstance(p, console.LiveProgress)
        p("bot: CreateAgent ... creating")
        p("bot: CreateAgent done (0.1s)")
        p("other: PrepareAgent FAILED (1.0s)")
    text = tty.getvalue()
    assert "bot: CreateAgent done (0.1s)" in text
    assert "other: PrepareAgent FAILED (1.0s)" in text



def test_live_progress_prints_a_kept_line_once(monkeypatch):
    # Seen in a real terminal: Ctrl-C's "interrupted: ..." line was printed above the display
    # (a line that matters stays in the scroll-back) and then again as the final state of its
    # row when the display closed.
    tty = _Tty()
    monkeypatch.setattr("sys.stderr", tty)
    monkeypatch.setattr("sys.stdin", _Tty())
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    with console.progress() as p:
        p("bot: PrepareAgent ... PREPARING (0s)")
        p("interrupted: finishing the calls in flight")
        p("other: PrepareAgent FAILED (1.0s)")
    text = tty.getvalue()
    # Kept lines are printed above the live frames; the frames are erased when the display
    # stops (it shows the cursor again, ESC[?25h) and only then are the rows' final states
    # printed: those must not repeat a kept line.
    above, _, after_stop = text.rpartition("\x1b[?25h")
    assert "interrupted: finishing the calls in flight" in above
    assert "other: PrepareAgent FAILED (1.0s)" in above
    assert "interrupted" not in after_stop and "FAILED" not in after_stop
    assert "bot: PrepareAgent ... PREPARING (0s)" in after_stop

# ----------------------------------------------------------------------------- confirmation

def test_confirm_without_a_terminal_refuses_unless_approved(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    with pytest.raises(UsageError) as e:
        console.confirm("Go?", auto_approve=False, what="apply", flag="--yes")
    assert "stdin is not a terminal" in e.value.what and "--yes" in e.value.hint
    console.confirm("Go?", auto_approve=True, what="apply")  # approved: no question


@pytest.mark.parametrize("answer,ok", [("y\n", True), ("yes\n", True), ("\n", False),
                                       ("n\n", False), ("", False)])
def test_confirm_on_a_terminal_asks(monkeypatch, capsys, answer, ok):
    stdin = _Tty(answer)
    monkeypatch.setattr("sys.stdin", stdin)
    if ok:
        console.confirm("Go?", auto_approve=False, what="apply")
    else:
        with pytest.raises(Aborted):
            console.confirm("Go?", auto_approve=False, what="apply")
    assert "Go? [y/N]" in capsys.readouterr().err


def test_emulator_reset_uses_the_same_prompt(tmp_path, capsys, monkeypatch):
    # It used to print "Aborted." and use its own wording; now the one prompt's refusal.
    state = tmp_path / "s.db"
    state.write_bytes(b"")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert run(["emulator", "reset", "--state", str(state)]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "stdin is not a terminal" in err and "--yes" in err


# ------------------------------------------------------------------------ --output handling

@pytest.mark.parametrize("argv,allowed", [
    (["validate", "-o", "markdown"], "human, json"),
    (["plan", "-o", "xml"], "human, json, markdown"),
    (["apply", "-o", "xml"], "human, json, markdown"),
    (["status", "--output", "yaml"], "human, json"),
    (["history", "PROD", "--agent", "x", "-o", "yaml"], "human, json"),
    (["destroy", "-o", "markdown"], "human, json"),
    (["emulator", "calls", "-o", "markdown"], "human, json"),
])
def test_one_wording_for_a_bad_output_format(argv, allowed, capsys, tmp_path):
    capsys.readouterr()
    assert run(["-C", str(tmp_path), *argv]) == ExitCode.USAGE
    err = capsys.readouterr().err
    bad = argv[argv.index("-o") + 1] if "-o" in argv else argv[argv.index("--output") + 1]
    assert f"error: --output must be one of {allowed} (got {bad!r})" in err


def test_plan_json_with_an_invalid_spec_prints_one_error_document(project, capsys):
    spec = project / "agents" / "support-bot.yaml"
    spec.write_text(spec.read_text().replace("name: support-bot", "name: 'bad name!'", 1))
    capsys.readouterr()
    code = run(["-C", str(project), "plan", "-o", "json"])
    out = capsys.readouterr().out
    assert code == ExitCode.INVALID_SPEC
    doc = json.loads(out)  # exactly one document
    assert doc["kind"] == "error" and doc["ok"] is False
    assert doc["exit_code"] == ExitCode.INVALID_SPEC
    assert doc["error"]["problems"] and doc["error"]["problems"][0]["file"].endswith(".yaml")


def test_usage_error_before_parsing_still_gives_a_json_document(capsys):
    capsys.readouterr()
    assert run(["status", "-o", "json", "--no-such-flag"]) == ExitCode.USAGE
    doc = json.loads(capsys.readouterr().out)
    assert doc["error"]["kind"] == "usage"


# ------------------------------------------------------------------------------------ help

@pytest.mark.parametrize("command", [[], ["emulator"], ["plan"], ["apply"], ["destroy"],
                                     ["adopt"], ["validate"], ["drift"], ["emulator", "reset"]])
def test_help_shows_no_bool_metavar_on_flags(command, capsys):
    capsys.readouterr()
    assert run([*command, "--help"]) == ExitCode.OK
    assert "<bool>" not in capsys.readouterr().out


@pytest.mark.parametrize("argv,usage", [
    (["promote"], "Usage: agentctl promote [OPTIONS] ALIAS"),
    (["adopt"], "Usage: agentctl adopt [OPTIONS] NAME"),
    (["history"], "Usage: agentctl history [OPTIONS] ALIAS"),
])
def test_usage_names_arguments_in_capitals(argv, usage, capsys):
    capsys.readouterr()
    assert run(argv) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert usage in err and "{" not in err.splitlines()[0]


def test_tables_on_a_terminal_keep_user_data_verbatim(monkeypatch):
    from agentctl.render.result import calls_table

    tty = _Tty()
    monkeypatch.setattr("sys.stdout", tty)
    monkeypatch.setenv("COLUMNS", "200")
    console.out(calls_table([{"seq": 1, "time": "t", "transport": "http",
                              "operation": "[bold]CreateAgent[/bold]", "outcome": "ok"}]))
    text = tty.getvalue()
    assert "[bold]CreateAgent[/bold]" in text and "SEQ" in text
