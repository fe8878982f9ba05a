"""agentctl's command line. ``main`` is the console-script entry point and the error boundary.

The boundary turns every failure into a message on stderr and an exit code
(``agentctl.exitcodes`` states the rule); when the command was asked for ``--output json`` it
also prints one JSON error document on stdout, unless the command already printed its document
(a JSON caller always gets exactly one document).

Interruption is one rule (``ExitCode.INTERRUPTED``): Ctrl-C (SIGINT) or SIGTERM, whatever the
command was doing, ends in ``error: interrupted by ...`` on stderr, exit 12 and, with
``--output json``, one error document saying ``"interrupted": true`` - never a traceback, never
click's "Aborted!" / exit 1 or typer's silent exit 130 (typer turns a KeyboardInterrupt escaping a
command into ``Exit(130)``, so every command re-raises it as ``CommandInterrupted``). The executor handles the
signals itself while steps run (it finishes the calls in flight and reports what completed);
``main`` makes SIGTERM raise like Ctrl-C everywhere else. Importing this module must stay cheap:
``agentctl --help`` and ``--version`` import no boto3, botocore or jsonschema (command modules
import them inside the commands; tests/test_import_contract.py checks it).
"""

from __future__ import annotations

import os
import sys


def _interrupted_while_starting() -> None:
    """Ctrl-C in the first fraction of a second, while the CLI's modules are still imported
    (before ``main`` can handle it): the same rule as later (exit INTERRUPTED, a message, one
    JSON document with ``-o json``), not an import traceback. Only when agentctl was started
    as the command (console script or ``python -m agentctl``); an embedder importing this module
    gets its KeyboardInterrupt back."""
    started_as = os.path.basename(sys.argv[0] if sys.argv else "")
    if started_as not in ("agentctl", "__main__.py"):
        return
    message = "interrupted by SIGINT (Ctrl-C) before the command started"
    try:
        sys.stderr.write(f"error: {message}\n")
        args = sys.argv[1:]
        if "json" in {a.split("=", 1)[-1] for a in args if a.startswith("--output=")} or any(
                a in ("-o", "--output") and args[i + 1:i + 2] == ["json"]
                for i, a in enumerate(args)):
            import json

            sys.stdout.write(json.dumps({
                "error": {"hint": None, "kind": "interrupted", "message": message,
                          "problems": [], "where": None},
                "exit_code": 12, "format_version": 1, "interrupted": True, "kind": "error",
                "ok": False}, indent=2, sort_keys=True) + "\n")
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(12)  # ExitCode.INTERRUPTED (not importable yet, by definition)


try:
    import gc
    import signal
    import traceback

    import typer

    from agentctl.cli.app import GLOBALS, CommandInterrupted, app
    from agentctl.cli.lazy import lazy
    from agentctl.cli.options import RUN
    from agentctl.errors import AgentctlError, Interrupted
    from agentctl.exitcodes import ExitCode

    # Importing these registers their commands on ``app``.
    from agentctl.cli import validate_cmd as _validate_cmd  # noqa: E402,F401
    from agentctl.cli import lifecycle_cmds as _lifecycle_cmds  # noqa: E402,F401
    from agentctl.cli import emulator_cmds as _emulator_cmds  # noqa: E402,F401
    from agentctl.cli import invoke_cmd as _invoke_cmd  # noqa: E402,F401
    from agentctl.cli import chat_cmd as _chat_cmd  # noqa: E402,F401
    from agentctl.cli import drift_cmd as _drift_cmd  # noqa: E402,F401
    from agentctl.cli import eval_cmd as _eval_cmd  # noqa: E402,F401
    from agentctl.cli import iam_cmd as _iam_cmd  # noqa: E402,F401
    from agentctl.cli import import_cmd as _import_cmd  # noqa: E402,F401
    from agentctl.cli import export_cmd as _export_cmd  # noqa: E402,F401
except KeyboardInterrupt:
    _interrupted_while_starting()
    raise

# Imported when first used: `agentctl --help` needs neither (tests/test_cli_startup.py).
console = lazy("agentctl.console")
sensitive = lazy("agentctl.core.sensitive")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and exit with a code from ``agentctl.exitcodes``."""
    previous = _handle_signals()
    try:
        code = run(argv)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if code == ExitCode.INTERRUPTED:
        # The user asked the process to stop, and everything it had to say is said: do not wait
        # for worker threads still inside a (read-only) call to time out, which the interpreter
        # would do at exit - and a second Ctrl-C during that wait prints a traceback from the
        # interpreter's shutdown. Mutations are already accounted for (the executor's report).
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(int(code))
    # Everything the command made is about to be freed: the interpreter's last cyclic garbage
    # collections would walk every object of the process (botocore's models, the live state,
    # the plan) only to find them unreachable anyway, ~0.3 s of an N = 1 plan's exit on a busy
    # machine. Frozen objects are skipped by those collections; atexit handlers, stream
    # flushes and file closes still run as usual (this is not os._exit).
    gc.freeze()
    sys.exit(code)


SIGNALLED: list[str] = []
"""Signals received by ``main``'s handlers during this process (names, in order)."""

def _on_signal(signum: int, _frame: object) -> None:
    name = signal.Signals(signum).name
    SIGNALLED.append(name)
    raise KeyboardInterrupt(name)


def _handle_signals() -> dict[int, object]:
    """SIGINT and SIGTERM raise ``KeyboardInterrupt(name)`` in the main thread and are recorded
    in ``SIGNALLED``, so both reach the one interruption rule: by default SIGTERM kills the
    process silently (no message, no JSON document, exit -15), and a Ctrl-C that typer catches
    while it parses the command line comes back as a bare 130. Returns the previous handlers."""
    previous: dict[int, object] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, _on_signal)
        except (ValueError, OSError):  # not the main thread of the main interpreter
            pass
    return previous


def run(argv: list[str] | None = None) -> int:
    """Run the CLI, returning the exit code instead of exiting (used by tests too)."""
    args = list(sys.argv[1:] if argv is None else argv)
    # Per-run state (run() is called many times in one process by tests and embedders).
    RUN.output = _output_in(args)
    # Per-run state of modules an earlier run in this process imported (a module imported later
    # starts out clean): the sensitive values of this run's project are registered when it is
    # loaded; console settings are the command line's.
    if "agentctl.core.sensitive" in sys.modules:
        sensitive.clear()
    if "agentctl.console" in sys.modules:
        console.SETTINGS.no_color = False
        console.SETTINGS.json_documents = 0
    code = _run(args)
    return code


def _run(argv: list[str]) -> int:
    try:
        seen = len(SIGNALLED)
        rv = app(args=argv, prog_name="agentctl", standalone_mode=False)
        if len(SIGNALLED) > seen and rv == 130:
            # A signal typer caught outside every command (while parsing the command line):
            # its Exit(130) came back as this return value (130 is no agentctl exit code).
            return _interrupted(KeyboardInterrupt(SIGNALLED[-1]), argv)
        return int(rv) if isinstance(rv, int) else int(ExitCode.OK)
    except CommandInterrupted as e:
        return _interrupted(e.interrupt, argv)
    except typer.Exit as e:  # --help / --version / explicit exits
        return int(e.exit_code)
    except typer.Abort:
        _eprint("Aborted.")
        _json_error("aborted", int(ExitCode.ABORTED))
        return int(ExitCode.ABORTED)
    except AgentctlError as e:
        if GLOBALS.debug:
            _print_traceback()
        _print_error(e)
        _json_error(e.message(), int(e.exit_code), error=e)
        _ci_error(e, argv)
        return int(e.exit_code)
    except SystemExit as e:
        # click turns EPIPE on stdout (`agentctl plan | head`) into sys.exit(1); run() returns
        # codes instead of exiting, so tests and embedders see the same contract.
        return e.code if isinstance(e.code, int) else int(ExitCode.ERROR)
    except KeyboardInterrupt as e:
        return _interrupted(e, argv)
    except OSError as e:
        # A path the user gave that the operating system refuses before agentctl can look at it
        # (a name too long for the file system, a loop of symlinks, ...): pathlib's exists() and
        # is_dir() raise for these instead of answering False. Name the path; not a bug report.
        if GLOBALS.debug:
            _print_traceback()
        if e.filename is None:
            _eprint(f"error: {e.strerror or e}")
            return int(ExitCode.ERROR)
        _eprint(f"error: cannot use {e.filename}: {e.strerror or e}\n"
              "  hint: check the path given on the command line or in agentctl.yaml")
        return int(ExitCode.USAGE)
    except Exception as e:  # noqa: BLE001 - the one place that turns bugs into a message
        if _is_click_usage_error(e):
            # Click's usage errors exit 2, which is reserved for "changes present"; remap.
            e.show(file=sys.stderr)  # type: ignore[attr-defined]
            _json_error(getattr(e, "format_message", lambda: str(e))(), int(ExitCode.USAGE))
            return int(ExitCode.USAGE)
        if GLOBALS.debug:
            _print_traceback()
        _eprint(f"error: internal error: {type(e).__name__}: {e}\n"
              "  hint: re-run with --debug for a traceback and report it as a bug")
        _json_error(f"internal error: {type(e).__name__}: {e}", int(ExitCode.ERROR))
        return int(ExitCode.ERROR)


def _eprint(text: str) -> None:
    """A diagnostic on stderr, without the values marked sensitive (agentctl.core.sensitive)."""
    print(sensitive.mask_text(str(text)), file=sys.stderr)


def _print_traceback() -> None:
    """``--debug``'s traceback: exception messages can quote request values."""
    sys.stderr.write(sensitive.mask_text(traceback.format_exc()))


def _ci_error(e: AgentctlError, argv: list[str]) -> None:
    """Under GitHub Actions: the failure as annotations (at the file and line it names) and in
    the step summary of the commands that write one. Never turns a failure into another."""
    command = _command_in(argv)
    try:
        from agentctl.cli import ci_out

        ci_out.error(e, command or "agentctl")
        if command in ("validate", "plan", "apply", "eval"):
            ci_out.error_summary(e, command)
    except Exception:  # noqa: BLE001 - reporting must not replace the error being reported
        if GLOBALS.debug:
            _print_traceback()


def _command_in(argv: list[str]) -> str | None:
    """The subcommand named in ``argv`` (the first word that is not a global option)."""
    skip = False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ("-C", "--directory"):
            skip = True
            continue
        if a.startswith("-"):
            continue
        return a
    return None


def _interrupted(e: KeyboardInterrupt, argv: list[str] | None = None) -> int:
    """The one interruption rule (module docstring): message, JSON document, INTERRUPTED, and
    under GitHub Actions an error annotation and step-summary entry like any other failure."""
    name = str(e) or "SIGINT"
    shown = "SIGINT (Ctrl-C)" if name == "SIGINT" else name
    err = Interrupted(f"interrupted by {shown} before the command finished",
                      hint="run it again; `agentctl plan` shows whether anything is left to "
                           "change (changes are made only by apply / promote / rollback / "
                           "destroy / adopt steps, which report their own interruption)")
    if GLOBALS.debug:
        sys.stderr.write(sensitive.mask_text("".join(traceback.format_exception(e))))
    try:
        if sys.stderr.isatty():
            sys.stderr.write("\n")  # the terminal echoed ^C on the current line
        _print_error(err)
    except (OSError, ValueError):
        pass
    _json_error(err.message(), int(err.exit_code), error=err)
    if argv is not None:
        _ci_error(err, argv)
    return int(err.exit_code)


def _output_in(argv: list[str]) -> str:
    """The ``--output`` value given on the command line, read before parsing: a usage error
    can stop click before the option's callback records it (``agentctl.cli.options``)."""
    value = "human"
    for i, a in enumerate(argv):
        if a == "--":
            break
        if a in ("-o", "--output") and i + 1 < len(argv):
            value = argv[i + 1]
        elif a.startswith("--output="):
            value = a.split("=", 1)[1]
        elif a.startswith("-o") and len(a) > 2 and not a.startswith("--"):
            value = a[2:]
    return value


def _json_error(message: str, code: int, *, error: AgentctlError | None = None) -> None:
    """With ``--output json``, the failure as the run's one JSON document on stdout."""
    if RUN.output != "json" or console.SETTINGS.json_documents:
        return
    from agentctl.exitcodes import ExitCode as _Codes

    doc = {
        "format_version": 1,
        "kind": "error",
        "ok": False,
        "exit_code": code,
        "error": {
            "kind": _Codes(code).name.lower() if code in _Codes._value2member_map_ else "error",
            "message": error.what if error is not None else message,
            "where": error.where if error is not None else None,
            "hint": error.hint if error is not None else None,
            "problems": [_problem(p) for p in getattr(error, "problems", None) or ()],
        },
    }
    if code == _Codes.INTERRUPTED:
        doc["interrupted"] = True
    try:
        console.json_out(doc)
    except OSError:  # stdout closed (`| head`): the exit code still says it
        pass


def _problem(p) -> dict:
    return {"file": p.location.file, "line": p.location.line, "col": p.location.col,
            "severity": p.severity, "code": p.code, "path": p.path, "message": p.message,
            "hint": p.hint}


def _is_click_usage_error(e: BaseException) -> bool:
    # typer >= 0.22 vendors click (typer._click) and older releases use click itself; both
    # raise ClickException subclasses with ``show()`` and ``exit_code``. Duck-typed so the
    # boundary works with either without importing a private module.
    return callable(getattr(e, "show", None)) and isinstance(getattr(e, "exit_code", None), int)


def _print_error(e: AgentctlError) -> None:
    problems = getattr(e, "problems", None)
    if problems:
        for p in problems:
            _eprint(p.render())
    _eprint(f"error: {e.message()}")
