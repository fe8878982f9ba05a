"""agentctl's command line. ``main`` is the console-script entry point and the error boundary."""

from __future__ import annotations

import sys
import traceback

import typer

from agentctl.cli.app import GLOBALS, app
from agentctl.errors import AgentctlError
from agentctl.exitcodes import ExitCode

# Importing these registers their commands on ``app``.
from agentctl.cli import validate_cmd as _validate_cmd  # noqa: E402,F401
from agentctl.cli import lifecycle_cmds as _lifecycle_cmds  # noqa: E402,F401
from agentctl.cli import emulator_cmds as _emulator_cmds  # noqa: E402,F401


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and exit with a code from ``agentctl.exitcodes``."""
    code = run(argv)
    sys.exit(code)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI, returning the exit code instead of exiting (used by tests too)."""
    try:
        rv = app(args=argv, prog_name="agentctl", standalone_mode=False)
        return int(rv) if isinstance(rv, int) else int(ExitCode.OK)
    except typer.Exit as e:  # --help / --version / explicit exits
        return int(e.exit_code)
    except typer.Abort:
        print("Aborted.", file=sys.stderr)
        return int(ExitCode.ABORTED)
    except AgentctlError as e:
        if GLOBALS.debug:
            traceback.print_exc()
        _print_error(e)
        return int(e.exit_code)
    except SystemExit as e:
        # click turns EPIPE on stdout (`agentctl plan | head`) into sys.exit(1); run() returns
        # codes instead of exiting, so tests and embedders see the same contract.
        return e.code if isinstance(e.code, int) else int(ExitCode.ERROR)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return int(ExitCode.ABORTED)
    except Exception as e:  # noqa: BLE001 - the one place that turns bugs into a message
        if _is_click_usage_error(e):
            # Click's usage errors exit 2, which is reserved for "changes present"; remap.
            e.show(file=sys.stderr)  # type: ignore[attr-defined]
            return int(ExitCode.USAGE)
        if GLOBALS.debug:
            traceback.print_exc()
        print(f"error: internal error: {type(e).__name__}: {e}\n"
              "  hint: re-run with --debug for a traceback and report it as a bug",
              file=sys.stderr)
        return int(ExitCode.ERROR)


def _is_click_usage_error(e: BaseException) -> bool:
    # typer >= 0.22 vendors click (typer._click) and older releases use click itself; both
    # raise ClickException subclasses with ``show()`` and ``exit_code``. Duck-typed so the
    # boundary works with either without importing a private module.
    return callable(getattr(e, "show", None)) and isinstance(getattr(e, "exit_code", None), int)


def _print_error(e: AgentctlError) -> None:
    problems = getattr(e, "problems", None)
    if problems:
        for p in problems:
            print(p.render(), file=sys.stderr)
    print(f"error: {e.message()}", file=sys.stderr)
