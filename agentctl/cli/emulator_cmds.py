"""``agentctl emulator ...``: run, reset and inspect the local Bedrock Agents emulator.

- ``serve``: the loopback HTTP server (``agentctl.emulator.server``) over a state file, so any
  SDK or the AWS CLI can target it (``AWS_ENDPOINT_URL_BEDROCK_AGENT=http://127.0.0.1:PORT``).
- ``reset``: wipe a state file (asks first on a terminal; needs ``--yes`` otherwise).
- ``calls``: print the emulator's call log (operation, outcome) for debugging.

Each command parses flags, calls the emulator, prints, and returns an exit code; errors are
raised as ``AgentctlError`` and reported once by the CLI boundary. Must not: reach into emulator
internals beyond its public interface (``Emulator``, ``EmulatorConfig``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from agentctl.cli.app import app, project_dir
from agentctl.errors import AgentctlError, UsageError
from agentctl.exitcodes import ExitCode

emulator_app = typer.Typer(
    name="emulator",
    help="Run and manage the local Bedrock Agents emulator.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(emulator_app, name="emulator")

DEFAULT_PORT = 8555


def _state_path(state: Path | None) -> Path:
    """``--state`` relative to ``-C`` DIR, or the project's default emulator database."""
    from agentctl.emulator.server import default_state_path

    base = project_dir()
    if state is None:
        return default_state_path(base)
    return state if state.is_absolute() else (base / state)


def _load_config(config: Path | None) -> Any:
    from agentctl.emulator import EmulatorConfig

    if config is None:
        return EmulatorConfig.from_env()
    path = config if config.is_absolute() else project_dir() / config
    if not path.is_file():
        raise UsageError(f"emulator config file not found: {path}",
                         hint="pass --config with an existing YAML or JSON file")
    try:
        return EmulatorConfig.load(path)
    except AgentctlError:
        raise
    except (ValueError, TypeError, KeyError, OSError) as e:
        raise UsageError(f"{path}: invalid emulator config: {e}") from e


def _open(state_path: Path, config: Any = None, region: str | None = None,
          account: str | None = None) -> Any:
    from agentctl.emulator import Emulator

    kwargs: dict[str, Any] = {"state_path": state_path, "config": config}
    if region:
        kwargs["region"] = region
    if account:
        kwargs["account"] = account
    try:
        state_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot create the directory for the emulator state {state_path}: {e}") from e
    return Emulator(**kwargs)


@emulator_app.command("serve")
def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback only unless --allow-remote)."),
    port: int = typer.Option(DEFAULT_PORT, "--port", "-p", min=0, max=65535,
                             help="TCP port; 0 picks a free one (printed on start)."),
    state: Optional[Path] = typer.Option(None, "--state", metavar="PATH",
                                         help="SQLite state file [default: <project>/.agentctl/local.db]."),
    config: Optional[Path] = typer.Option(None, "--config", metavar="FILE",
                                          help="Emulator config (YAML/JSON): durations, quotas, faults, switches."),
    region: str = typer.Option("us-east-1", "--region", help="Region the emulator pretends to be."),
    account: str = typer.Option("123456789012", "--account", help="Account id used in ARNs."),
    allow_remote: bool = typer.Option(False, "--allow-remote",
                                      help="Allow a non-loopback --host (no authentication!)."),
    access_log: bool = typer.Option(False, "--access-log", help="Log each request line to stderr."),
) -> int:
    """Serve the emulator over HTTP until interrupted (SIGINT/SIGTERM exit 0)."""
    from agentctl.emulator.server import ListenAddress, check_host, serve

    if not (len(account) == 12 and account.isdigit()):
        raise UsageError(f"--account must be 12 digits, got {account!r}")
    # Check the host before opening (and possibly creating) the state file.
    check_host(host, allow_remote=allow_remote)
    cfg = _load_config(config)
    path = _state_path(state)
    emu = _open(path, cfg, region, account)
    return serve(emu, ListenAddress(host, port), state_label=str(path),
                 allow_remote=True, access_log=access_log)


@emulator_app.command("reset")
def reset_cmd(
    state: Optional[Path] = typer.Option(None, "--state", metavar="PATH",
                                         help="SQLite state file [default: <project>/.agentctl/local.db]."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> int:
    """Delete every resource and the call log from the emulator state."""
    path = _state_path(state)
    if not path.exists():
        print(f"nothing to reset: {path} does not exist", file=sys.stderr)
        return int(ExitCode.OK)
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError(f"refusing to wipe {path} without confirmation",
                             hint="pass --yes (stdin is not a terminal, so I cannot ask)")
        if not typer.confirm(f"Wipe all emulator state in {path}?", default=False):
            print("Aborted.", file=sys.stderr)
            return int(ExitCode.ABORTED)
    emu = _open(path)
    try:
        emu.reset()
    finally:
        emu.close()
    print(f"reset {path}", file=sys.stderr)
    return int(ExitCode.OK)


@emulator_app.command("calls")
def calls_cmd(
    state: Optional[Path] = typer.Option(None, "--state", metavar="PATH",
                                         help="SQLite state file [default: <project>/.agentctl/local.db]."),
    operation: Optional[str] = typer.Option(None, "--operation", help="Only calls of this operation."),
    output: str = typer.Option("human", "--output", "-o", help="human | json"),
) -> int:
    """Print the emulator's call log (oldest first)."""
    if output not in ("human", "json"):
        raise UsageError(f"--output must be human or json, got {output!r}")
    path = _state_path(state)
    if not path.exists():
        raise UsageError(f"no emulator state at {path}",
                         hint="pass --state, or run `agentctl emulator serve` / an apply first")
    emu = _open(path)
    try:
        records = emu.calls(operation)
    finally:
        emu.close()
    if output == "json":
        doc = {"format_version": 1, "calls": [_record_dict(r) for r in records]}
        print(json.dumps(doc, indent=2, sort_keys=True, default=str))
    else:
        for r in records:
            d = _record_dict(r)
            print(f"{d.get('seq', ''):>6}  {d.get('ts', '')}  {d.get('transport', '') or '-':<9}  "
                  f"{d.get('operation', '')}  {d.get('outcome', '')}")
        print(f"{len(records)} call(s)", file=sys.stderr)
    return int(ExitCode.OK)


def _record_dict(r: Any) -> dict[str, Any]:
    fields = ("seq", "operation", "params", "outcome", "ts", "transport")
    if isinstance(r, dict):
        return {k: r.get(k) for k in fields}
    return {k: getattr(r, k, None) for k in fields}
