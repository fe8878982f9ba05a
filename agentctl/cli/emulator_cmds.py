"""``agentctl emulator ...``: run, reset and inspect the local Bedrock Agents emulator.

- ``serve``: the loopback HTTP server (``agentctl.emulator.transports.server``) over a state file, so any
  SDK or the AWS CLI can target it (``AWS_ENDPOINT_URL_BEDROCK_AGENT=http://127.0.0.1:PORT``);
  the same port answers ``bedrock-agent-runtime`` (InvokeAgent, agent memory).
- ``reset``: wipe a state file (asks first on a terminal; needs ``--yes`` otherwise).
- ``calls``: print the emulator's call log (operation, outcome) for debugging.

Each command parses flags, calls the emulator, prints, and returns an exit code; errors are
raised as ``AgentctlError`` and reported once by the CLI boundary. Must not: reach into emulator
internals beyond its public interface (``Emulator``, ``EmulatorConfig``).
"""

import difflib
import os
from datetime import datetime, timezone
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

import typer

from agentctl.cli.lazy import lazy
from agentctl.cli.app import Typer, app, project_dir
from agentctl.cli.options import output_option
from agentctl.errors import AgentctlError, UsageError
from agentctl.exitcodes import ExitCode

console = lazy("agentctl.console")

emulator_app = Typer(
    name="emulator",
    help="Run and manage the local Bedrock Agents emulator.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(emulator_app, name="emulator")

DEFAULT_PORT = 8555


@dataclass(frozen=True)
class LocalTarget:
    """What to serve: a state file, and (from a project's local environment) region, account and
    the world to seed. ``None`` means "not given; use the command's default"."""

    state_path: Path
    region: str | None = None
    account: str | None = None
    world: Mapping[str, Any] | None = None
    environment: str | None = None
    root: Path | None = None
    """The project directory (handlers, model files and documents of the local runtime)."""
    runtime: Mapping[str, Any] | None = None
    """The environment's ``runtime`` block (the foundation model of the local runtime)."""


def _resolve(state: Path | None, env: str | None) -> LocalTarget:
    """``--state`` (relative to ``-C`` DIR) wins for the file. Without it, the local environment
    of the project found from ``-C``/cwd upward (``-e``, ``AGENTCTL_ENV`` or its
    defaultEnvironment) gives state path, region, account and world, exactly what the embedded
    local target of plan/apply uses (agentctl/aws/client.py); with no project, ``./.agentctl/local.db``."""
    from agentctl.emulator.transports.server import default_state_path
    from agentctl.spec.project import find_project_file, load_project

    base = project_dir()
    explicit = None if state is None else (state if state.is_absolute() else base / state)
    if find_project_file(base) is None:
        if env is not None:
            raise UsageError(f"-e/--env {env!r} needs a project, but no agentctl.yaml was found "
                             f"in {base} or any parent directory",
                             hint="run inside a project (or -C DIR), or pass --state instead")
        return LocalTarget(explicit or default_state_path(base))
    if explicit is not None and env is None:
        return LocalTarget(explicit)  # an explicit file needs no project (which may not load)
    project = load_project(base, env)
    environment = project.environment
    if environment.target != "local" or environment.state_path is None:
        raise UsageError(f"environment {environment.name!r} targets {environment.target}, not the "
                         "local emulator",
                         hint="pick a local environment with -e, or pass --state PATH")
    return LocalTarget(explicit or Path(environment.state_path), environment.region,
                       str(environment.account), environment.world, environment.name,
                       root=Path(project.root), runtime=getattr(environment, "runtime", None))


def _load_config(config: Path | None) -> Any:
    """The emulator config: defaults < ``--config`` FILE (else ``AGENTCTL_EMULATOR_CONFIG``) <
    ``AGENTCTL_EMULATOR_<FIELD>`` variables, the precedence ``EmulatorConfig.from_env`` defines."""
    from agentctl.emulator import EmulatorConfig

    env = dict(os.environ)
    if config is not None:
        path = config if config.is_absolute() else project_dir() / config
        if not path.is_file():
            raise UsageError(f"emulator config file not found: {path}",
                             hint="pass --config with an existing YAML or JSON file")
        env["AGENTCTL_EMULATOR_CONFIG"] = str(path)
    return EmulatorConfig.from_env(env)


def _open(state_path: Path, config: Any = None, region: str | None = None,
          account: str | None = None) -> Any:
    import sqlite3

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
    try:
        return Emulator(**kwargs)
    except (sqlite3.Error, OSError) as e:
        # Same class and exit code as the lifecycle commands' state errors (agentctl.aws): a
        # broken state file is not a usage mistake.
        if state_path.exists() and not state_path.is_file():
            raise AgentctlError(f"{state_path} is not a usable emulator state file: it is not a "
                                "regular file", hint="pass --state with a file path") from None
        raise AgentctlError(f"{state_path} is not a usable emulator state file: {e}",
                            hint="`agentctl emulator reset --yes` starts it empty (the local "
                                 "agents in it are lost), or pass another --state") from None


STATE_HELP = ("SQLite state file (default: the state of the project's local environment, "
              "else ./.agentctl/local.db).")
ENV_HELP = "Project environment (local target) to use: state file, region, account and world."


@emulator_app.command("serve")
def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback only unless --allow-remote)."),
    port: int = typer.Option(DEFAULT_PORT, "--port", "-p", min=0, max=65535,
                             help="TCP port; 0 picks a free one (printed on start)."),
    state: Optional[Path] = typer.Option(None, "--state", metavar="PATH", help=STATE_HELP),
    env: Optional[str] = typer.Option(None, "-e", "--env", help=ENV_HELP),
    config: Optional[Path] = typer.Option(None, "--config", metavar="FILE",
                                          help="Emulator config (YAML/JSON): durations, quotas, faults, switches."),
    region: Optional[str] = typer.Option(None, "--region",
                                         help="Region to pretend to be (default: the environment's, else us-east-1)."),
    account: Optional[str] = typer.Option(None, "--account",
                                          help="Account id in ARNs (default: the environment's, else 123456789012)."),
    allow_remote: bool = typer.Option(False, "--allow-remote",
                                      help="Allow a non-loopback --host (no authentication!)."),
    access_log: bool = typer.Option(False, "--access-log", help="Log each request line to stderr."),
) -> int:
    """Serve the emulator over HTTP until interrupted (SIGINT/SIGTERM exit 0).

    Point any SDK or the AWS CLI at it with AWS_ENDPOINT_URL_BEDROCK_AGENT=<printed URL> (and
    AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME=<the same URL> for InvokeAgent and agent memory)."""
    from agentctl.emulator import World
    from agentctl.emulator.transports.server import ListenAddress, check_host, serve

    if account is not None and not (len(account) == 12 and account.isdigit()):
        raise UsageError(f"--account must be 12 digits, got {account!r}")
    # Check the host before opening (and possibly creating) the state file.
    check_host(host, allow_remote=allow_remote)
    cfg = _load_config(config)
    target = _resolve(state, env)
    emu = _open(target.state_path, cfg, region or target.region or "us-east-1",
                account or target.account or "123456789012")
    try:
        if target.world:
            # The same world the embedded local target seeds (agentctl/aws/client.py), so HTTP
            # clients see the project's knowledge bases and Lambda handlers too.
            emu.seed_world(World(knowledge_bases=list(target.world.get("knowledgeBases") or []),
                                 lambdas=list(target.world.get("lambdas") or [])))
        if target.root is not None:
            # The local runtime (InvokeAgent on the same port): the project's handlers, documents
            # and the environment's foundation model.
            from agentctl.emulator.runtime.settings import RuntimeSettings

            emu.configure_runtime(RuntimeSettings.from_mapping(
                target.runtime, target.root, where=f"environments.{target.environment}.runtime",
                region=target.region))
    except BaseException:
        emu.close()
        raise
    return serve(emu, ListenAddress(host, port), state_label=str(target.state_path),
                 allow_remote=allow_remote, access_log=access_log)


@emulator_app.command("reset")
def reset_cmd(
    state: Optional[Path] = typer.Option(None, "--state", metavar="PATH", help=STATE_HELP),
    env: Optional[str] = typer.Option(None, "-e", "--env", help=ENV_HELP),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> int:
    """Delete every resource and the call log from the emulator state."""
    path = _resolve(state, env).state_path
    if not path.exists():
        console.err(f"nothing to reset: {path} does not exist")
        return int(ExitCode.OK)
    # The one confirmation prompt: a terminal is asked; without one, --yes is required.
    console.confirm(f"Wipe all emulator state in {path}?", auto_approve=yes,
                    what=f"wipe {path}", flag="--yes")
    if not path.is_file():
        raise AgentctlError(f"{path} is not an emulator state file (not a regular file)",
                            hint="pass --state with the state file's path")
    try:
        emu = _open(path)
    except AgentctlError:
        # A corrupt file cannot be opened to wipe it: reset is exactly the tool for that case,
        # so (confirmation given above) remove it and its SQLite journal files instead.
        for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            p.unlink(missing_ok=True)
        console.err(f"removed unreadable state file {path}; the next command starts empty")
        return int(ExitCode.OK)
    try:
        emu.reset()
    finally:
        emu.close()
    console.err(f"reset {path}")
    return int(ExitCode.OK)


@emulator_app.command("calls")
def calls_cmd(
    state: Optional[Path] = typer.Option(None, "--state", metavar="PATH", help=STATE_HELP),
    env: Optional[str] = typer.Option(None, "-e", "--env", help=ENV_HELP),
    operation: Optional[str] = typer.Option(None, "--operation", metavar="NAME",
                                            help="Only calls of this operation (e.g. CreateAgent)."),
    output: str = output_option("human", "json"),
) -> int:
    """Print the emulator's call log (oldest first)."""
    from agentctl.render.result import calls_table

    path = _resolve(state, env).state_path
    if not path.exists():
        raise UsageError(f"no emulator state at {path}",
                         hint="pass --state, or run `agentctl emulator serve` / an apply first")
    emu = _open(path)
    try:
        records = emu.calls()
        answered = set(emu.operations)
    finally:
        emu.close()
    if operation is not None:
        _check_operation(operation, answered | {r.operation for r in records})
        records = [r for r in records if r.operation == operation]
    if output == "json":
        console.json_out({"format_version": 1, "calls": [_record_dict(r) for r in records]})
    else:
        rows = [_record_dict(r) for r in records]
        if rows:
            console.out(calls_table([{**d, "time": _iso(d.get("ts"))} for d in rows]))
        console.err(f"{len(records)} call(s)")
    return int(ExitCode.OK)


def _check_operation(operation: str, valid: set[str]) -> None:
    """``--operation`` must name an operation the emulator answers (a typo would otherwise print
    "0 call(s)", as if the emulator had simply not seen one)."""
    if operation in valid:
        return
    close = difflib.get_close_matches(operation, sorted(valid), n=3, cutoff=0.6)
    by_case = [v for v in valid if v.lower() == operation.lower()]
    suggestion = by_case or close
    hint = (f"did you mean {', '.join(suggestion)}?" if suggestion else
            "operations are botocore names such as CreateAgent, PrepareAgent, "
            "UpdateAgentAlias")
    raise UsageError(f"--operation {operation!r} is not an operation the emulator answers; "
                     f"valid: {', '.join(sorted(valid))}", hint=hint)


def _record_dict(r: Any) -> dict[str, Any]:
    """An ``Emulator.calls()`` record (``CallRecord``) as the JSON document's call object."""
    return {k: getattr(r, k) for k in ("seq", "operation", "params", "outcome", "ts", "transport")}


def _iso(ts: Any) -> str:
    if isinstance(ts, (int, float)):
        return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="milliseconds")
    return str(ts or "")
