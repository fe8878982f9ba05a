"""The typer application and its global options.

Commands live in sibling modules (``validate_cmd``, ``lifecycle_cmds``, ``emulator_cmds``) and
register themselves on ``app``. A command parses its flags, calls one core function, renders the
result and returns an ``ExitCode``; it never catches ``AgentctlError`` itself: ``main``
(``agentctl.cli``, the one error boundary) does,
once, and prints where / what / what next on stderr. Only ``--debug`` shows a traceback.
"""

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import typer
from typer.core import TyperCommand, TyperGroup

from agentctl import __version__
from agentctl.cli import coercion, richhelp


def _blank_flag_types(params: list[Any]) -> list[Any]:
    # Plain str / Path values converted without typer's pydantic adapters (agentctl.cli.coercion).
    coercion.install(params)
    for p in params:
        # A flag takes no value: an empty metavar leaves its type column blank (no "<bool>").
        if getattr(p, "is_flag", False) and p.metavar is None:
            p.metavar = ""
    return params


class CommandInterrupted(Exception):
    """A KeyboardInterrupt (Ctrl-C; SIGTERM too, see ``agentctl.cli.main``) that stopped a
    command, carried past typer to the error boundary: typer (0.29) turns one into ``Exit(130)``,
    which in non-standalone mode comes back as a plain return value 130 (click: ``Abort``, exit
    1), so the boundary could not tell an interruption from a command's own exit code."""

    def __init__(self, interrupt: KeyboardInterrupt):
        super().__init__(str(interrupt) or "SIGINT")
        self.interrupt = interrupt


def _invoke_interruptible(invoke: Any, ctx: Any) -> Any:
    try:
        return invoke(ctx)
    except KeyboardInterrupt as e:
        raise CommandInterrupted(e) from e


class Command(TyperCommand):
    """Every agentctl command: help shows no ``<bool>`` type on plain flags, and the usage line
    names arguments like click and the README do (``agentctl promote [OPTIONS] ALIAS``), not
    typer's ``{alias}``; Ctrl-C reaches the error boundary as ``CommandInterrupted``."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _blank_flag_types(super().get_params(ctx))

    def invoke(self, ctx: Any) -> Any:
        return _invoke_interruptible(super().invoke, ctx)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        richhelp.load()  # typer's help formatter without its Markdown / traceback imports
        super().format_help(ctx, formatter)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for p in self.get_params(ctx):
            if getattr(p, "param_type_name", "") != "argument":
                continue
            name = (p.metavar or p.name or "").upper()
            if not p.required:
                name = f"[{name}]"
            if p.nargs != 1:
                name += "..."
            pieces.append(name)
        return pieces


class Group(TyperGroup):
    """``agentctl`` and ``agentctl emulator`` themselves: flags without ``<bool>`` too."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _blank_flag_types(super().get_params(ctx))

    def invoke(self, ctx: Any) -> Any:
        return _invoke_interruptible(super().invoke, ctx)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        richhelp.load()
        super().format_help(ctx, formatter)


class Typer(typer.Typer):
    """``typer.Typer`` whose commands are ``Command`` and groups ``Group`` unless told
    otherwise."""

    def __init__(self, *args: Any, cls: Any = None, **kw: Any) -> None:
        super().__init__(*args, cls=cls or Group, **kw)

    def command(self, name: str | None = None, *, cls: Any = None, **kw: Any) -> Any:
        return super().command(name, cls=cls or Command, **kw)


app = Typer(
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
    no_color: bool = typer.Option(False, "--no-color",
                                  help="Disable colour (also NO_COLOR=1; FORCE_COLOR=1 forces "
                                       "it; TERM=dumb turns it off)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    GLOBALS.chdir = chdir
    GLOBALS.debug = debug
    if debug:
        _enable_debug_logging()
    GLOBALS.no_color = no_color
    if no_color or "agentctl.console" in sys.modules:
        # (A console imported later starts with colour rules of its own: nothing to undo.)
        from agentctl import console

        console.SETTINGS.no_color = no_color


def _enable_debug_logging() -> None:
    """agentctl's own loggers at DEBUG on stderr. botocore, boto3 and urllib3 stay at WARNING
    whatever the level: their DEBUG output includes signed request headers and wire dumps, which
    must never be logged (security standard: no credentials, no wire dumps)."""
    import logging

    root = logging.getLogger("agentctl")
    root.setLevel(logging.DEBUG)
    if not any(getattr(h, "_agentctl_debug", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
        handler.addFilter(_mask_sensitive)
        handler._agentctl_debug = True  # type: ignore[attr-defined]  # added once per process
        root.addHandler(handler)
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _mask_sensitive(record: "logging.LogRecord") -> bool:
    """Debug lines never show a value marked sensitive (agentctl.core.sensitive)."""
    from agentctl.core import sensitive

    if sensitive.active():
        record.msg, record.args = sensitive.mask_text(record.getMessage()), ()
    return True


def project_dir() -> Path:
    """The directory the project search starts from: ``-C DIR`` or the current directory."""
    from agentctl.errors import UsageError

    if GLOBALS.chdir is not None and not GLOBALS.chdir.exists():
        # Searching the parents of a path that does not exist would report "no agentctl.yaml
        # found in ... or any parent directory", hiding the typo in -C.
        raise UsageError(f"-C {GLOBALS.chdir}: directory {GLOBALS.chdir.resolve()} does not exist",
                         hint="check the path given to -C (a project directory, like git -C)")
    if GLOBALS.chdir is not None and not GLOBALS.chdir.is_dir():
        # Same mistake, same code (exitcodes.py: a path given on the command line is usage).
        raise UsageError(f"-C {GLOBALS.chdir}: {GLOBALS.chdir.resolve()} is not a directory",
                         hint="-C takes the project directory (the one holding agentctl.yaml), "
                              "not a file")
    return (GLOBALS.chdir or Path.cwd()).resolve()


def in_project_dir(path: Path) -> Path:
    """A relative path given on the command line, as if agentctl was started in ``-C DIR`` (like
    ``git -C``): ``agentctl -C proj plan --out change.plan`` writes ``proj/change.plan``, and
    ``agentctl -C proj apply change.plan`` reads it from there. Absolute paths are kept."""
    path = Path(path)
    if path.is_absolute() or GLOBALS.chdir is None:
        return path
    return GLOBALS.chdir / path


def env_option_default() -> str | None:
    return os.environ.get("AGENTCTL_ENV") or None
