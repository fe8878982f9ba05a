"""The CLI's error boundary and exit-code contract (agentctl.cli.run / agentctl.exitcodes)."""

from __future__ import annotations

import enum

import pytest

from agentctl import __version__
from agentctl.cli import run
from agentctl.cli.app import app
from agentctl.errors import AgentctlError, Location, Problem, SpecInvalid
from agentctl.exitcodes import ExitCode


def test_exit_codes_are_unique_and_two_is_only_changes():
    # Iterating an enum skips aliases (a second name for a value), so a duplicated code would
    # never be seen that way; enum.unique looks at every name.
    assert enum.unique(ExitCode) is ExitCode
    assert len(ExitCode.__members__) == len({int(c) for c in ExitCode.__members__.values()})
    assert ExitCode(2) is ExitCode.CHANGES
    assert [n for n, c in ExitCode.__members__.items() if c == 2] == ["CHANGES"]


def test_the_uniqueness_check_sees_a_duplicate():
    dup = enum.IntEnum("Dup", [("OK", 0), ("ERROR", 1), ("ALSO_ERROR", 1)])
    assert len([int(c) for c in dup]) == len({int(c) for c in dup})  # what iteration sees
    with pytest.raises(ValueError, match="ALSO_ERROR"):
        enum.unique(dup)


def test_version_exits_zero(capsys):
    assert run(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"agentctl {__version__}"


def test_unknown_option_is_usage_error_not_two(capsys):
    # click's usage errors exit 2, which would read as "changes present" under
    # --detailed-exitcode; the boundary remaps them.
    assert run(["--no-such-flag"]) == ExitCode.USAGE
    assert "No such option" in capsys.readouterr().err


def test_unknown_command_is_usage_error(capsys):
    assert run(["frobnicate"]) == ExitCode.USAGE
    assert "frobnicate" in capsys.readouterr().err


def _register_failing_command(exc: BaseException) -> str:
    name = f"boom-{id(exc)}"

    @app.command(name, hidden=True)
    def _boom() -> None:
        raise exc

    return name


def test_agentctl_error_prints_where_what_hint_and_its_code(capsys):
    err = AgentctlError("the thing broke", where="agents/x.yaml:3:5", hint="fix the thing")
    assert run([_register_failing_command(err)]) == ExitCode.ERROR
    out = capsys.readouterr()
    assert out.out == ""
    assert "error: agents/x.yaml:3:5: the thing broke" in out.err
    assert "hint: fix the thing" in out.err
    assert "Traceback" not in out.err


def test_spec_invalid_lists_every_problem_and_exits_invalid_spec(capsys):
    problems = [
        Problem(Location("a.yaml", 1, 2), "name", "bad name", "schema.pattern", hint="use letters"),
        Problem(Location("a.yaml", 4, 1), "tags", "unknown key", "schema.unknown-key"),
    ]
    assert run([_register_failing_command(SpecInvalid(problems))]) == ExitCode.INVALID_SPEC
    err = capsys.readouterr().err
    assert "a.yaml:1:2: error: bad name [name] (schema.pattern)" in err
    assert "a.yaml:4:1: error: unknown key [tags] (schema.unknown-key)" in err
    assert "2 problem(s)" in err


def test_unexpected_exception_is_a_message_not_a_traceback(capsys):
    assert run([_register_failing_command(RuntimeError("kaput"))]) == ExitCode.ERROR
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: kaput" in err and "--debug" in err
    assert "Traceback" not in err


def test_debug_shows_traceback(capsys):
    assert run(["--debug", _register_failing_command(RuntimeError("kaput"))]) == ExitCode.ERROR
    assert "Traceback" in capsys.readouterr().err


@pytest.mark.parametrize("line,col,expected", [(0, 0, "f.yaml"), (3, 0, "f.yaml:3:1"), (3, 7, "f.yaml:3:7")])
def test_location_rendering(line, col, expected):
    assert str(Location("f.yaml", line, col)) == expected


def test_debug_never_turns_on_botocore_wire_logging(tmp_path, capsys):
    import logging

    logging.getLogger("botocore").setLevel(logging.DEBUG)
    try:
        # No project in tmp_path: the command fails, but the global options were processed.
        assert run(["--debug", "-C", str(tmp_path), "status"]) != 0
        # botocore's DEBUG output contains signed headers and wire dumps: never enabled.
        assert logging.getLogger("botocore").getEffectiveLevel() >= logging.WARNING
        assert logging.getLogger("urllib3").getEffectiveLevel() >= logging.WARNING
    finally:
        logging.getLogger("botocore").setLevel(logging.NOTSET)
