"""The typer application and its global options.

Commands live in sibling modules (``validate_cmd``, ``lifecycle_cmds``, ``emulator_cmds``) and
register themselves on ``app``. A command parses its flags, calls one core function, renders the
result and returns an ``ExitCode``; it never catches ``AgentctlError`` itself: ``main``
(``agentctl.cli``, the one error boundary) does,
once, and prints where / what / what next on stderr. Only ``--debug`` shows a traceback.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import typer

from agentctl import __version__

app = typer.Typer(
    name="agentctl",
    help="Manage Amazon Bedrock Agents as code: validate, plan, apply, promote.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass
class Globals:
    """Options given before the command (``agentctl -C DIR --debug plan``)."""

    chdir: Path | None = None
    debug: bool = False
    no_color: bool = False


GLOBALS = Globals()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"agentctl {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    chdir: Optional[Path] = typer.Option(
        None, "-C", "--directory", help="Run as if agentctl was started in DIR (like git -C).",
        metavar="DIR",
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks and debug logging."),
    no_color: bool = typer.Option(False, "--no-color", help="Disable colour (also NO_COLOR=1)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    GLOBALS.chdir = chdir
    GLOBALS.debug = debug
    if debug:
        _enable_debug_logging()
    GLOBALS.no_color = no_color or bool(os.environ.get("NO_COLOR"))


def _enable_debug_logging() -> None:
    """agentctl's own loggers at DEBUG on stderr. botocore, boto3 and urllib3 stay at WARNING
    whatever the level: their DEBUG output includes signed request headers and wire dumps, which
    must never be logged (security standard: no credentials, no wire dumps)."""
    root = logging.getLogger("agentctl")
    root.setLevel(logging.DEBUG)
    if not any(getattr(h, "_agentctl_debug", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
        handler._agentctl_debug = True  # type: ignore[attr-defined]  # added once per process
        root.addHandler(handler)
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def project_dir() -> Path:
    """The directory the project search starts from: ``-C DIR`` or the current directory."""
    if GLOBALS.chdir is not None and not GLOBALS.chdir.exists():
        # Searching the parents of a path that does not exist would report "no agentctl.yaml
        # found in ... or any parent directory", hiding the typo in -C.
        from agentctl.errors import UsageError

        raise UsageError(f"-C {GLOBALS.chdir}: directory {GLOBALS.chdir.resolve()} does not exist",
                         hint="check the path given to -C (a project directory, like git -C)")
    return (GLOBALS.chdir or Path.cwd()).resolve()


def env_option_default() -> str | None:
    return os.environ.get("AGENTCTL_ENV") or None


def use_color(stream=None) -> bool:
    stream = stream or sys.stdout
    if GLOBALS.no_color or os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())

