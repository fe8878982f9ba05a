"""Command: import (spec files from live agents).

Thin: parses flags, calls ``agentctl.apply.importing`` (reads the target, builds the files,
writes them), prints what it wrote and the next step; ``--adopt`` then runs
``lifecycle.adopt`` (the executor) for each agent not yet managed, as ``agentctl adopt`` does.
Heavy modules (boto3 through ``agentctl.apply``) are imported inside the command.
"""

from pathlib import Path
from typing import Optional

import typer

from agentctl.cli.lazy import lazy
from agentctl.cli.app import app, in_project_dir, project_dir
from agentctl.cli.options import lock_timeout_option, output_option
from agentctl.errors import UsageError
from agentctl.exitcodes import ExitCode

console = lazy("agentctl.console")

ENV_HELP = "Environment from agentctl.yaml (default: AGENTCTL_ENV, then defaultEnvironment)."


@app.command("import")
def import_cmd(
    name: Optional[str] = typer.Argument(None, metavar="NAME",
                                         help="Name of the live agent to import."),
    all_agents: bool = typer.Option(False, "--all", help="Import every agent on the target "
                                    "that has no spec in this project (with --force: also "
                                    "those that have one, rewriting it)."),
    env: Optional[str] = typer.Option(None, "-e", "--env", metavar="ENV", help=ENV_HELP),
    directory: Optional[Path] = typer.Option(None, "--dir", metavar="DIR",
                                             help="Directory for the spec files (default: the "
                                                  "one of the first `agents:` glob; an agent "
                                                  "that has a spec: where that is)."),
    force: bool = typer.Option(False, "--force", help="Overwrite files that exist."),
    adopt: bool = typer.Option(False, "--adopt", help="Then adopt the imported agents (tag "
                               "them as managed by this project, like `agentctl adopt`)."),
    yes: bool = typer.Option(False, "--yes", "--auto-approve", help="Do not ask before "
                             "adopting."),
    output: str = output_option("human", "json"),
    lock_timeout: Optional[str] = lock_timeout_option(),
) -> int:
    """Write spec files from live agents (read only), then offer `agentctl adopt`. The
    instruction, prompt templates and OpenAPI documents go to files of their own; ids and ARNs
    the environment has variables for are written as ${var.NAME}."""
    if (name is None) == (not all_agents):
        raise UsageError("give an agent NAME or --all, not both" if name else
                         "give the NAME of an agent to import, or --all",
                         hint="e.g. `agentctl import support-bot`, or `agentctl import --all`")
    from agentctl.apply import importing, lifecycle

    with lifecycle.opened(project_dir(), env) as ctx:
        globs = importing.project_globs(ctx)
        spec_dir = importing.spec_dir_of(
            ctx, in_project_dir(directory) if directory is not None else None, globs)
        plan = importing.build_import(ctx, None if all_agents else [name], spec_dir=spec_dir,
                                      globs=globs, force=force,
                                      explicit_dir=directory is not None)
        for line in plan.skipped:
            console.err(f"skipped {line}")
        for agent in plan.agents:
            for note in agent.notes:
                console.err(f"warning: {agent.name}: {note}")
        importing.write(ctx, plan, force=force)
        for spec in importing.unmatched_specs(ctx, plan, globs):
            console.err(f"warning: {spec} is not matched by the `agents:` globs of "
                        "agentctl.yaml; add its directory there so the project loads it")
        adopted: list[str] = []
        to_adopt = [a.name for a in plan.agents if not plan.managed[a.name]]
        if adopt and to_adopt:
            with lifecycle.project_lock(ctx, lock_timeout, progress=console.err,
                                        command="agentctl import --adopt"):
                for agent_name in to_adopt:
                    cand = lifecycle.adopt_candidate(ctx, agent_name)
                    if cand.managed:
                        continue
                    console.err(f"{agent_name} ({cand.agent_id}) will be tagged "
                                f"agentctl:managed-by=agentctl, agentctl:project="
                                f"{ctx.project.name}.")
                    console.confirm(f"Adopt {agent_name}?", auto_approve=yes, what="adopt",
                                    flag="--yes")
                    with console.progress() as progress:
                        lifecycle.adopt(ctx, cand, progress=progress)
                    adopted.append(agent_name)
    if output == "json":
        console.json_out({
            "format_version": 1, "kind": "import",
            "agents": [{"agent": a.name, "agent_id": a.agent_id, "spec": a.spec,
                        "files": [f.path for f in a.files], "notes": list(a.notes),
                        "managed": plan.managed[a.name] or a.name in adopted}
                       for a in plan.agents],
            "skipped": list(plan.skipped)})
        return int(ExitCode.OK)
    if not plan.agents:
        console.out("Nothing to import.")
        return int(ExitCode.OK)
    for a in plan.agents:
        console.out(f"Imported {a.name} ({a.agent_id}):")
        for f in a.files:
            console.out(f"  wrote {f.path}")
    pending = [n for n in to_adopt if n not in adopted]
    if pending:
        console.out("Next: " + "; ".join(f"agentctl adopt {n}" for n in pending)
                    + " (or import again with --adopt), then `agentctl plan`.")
    else:
        console.out("Next: `agentctl plan` (expect no changes).")
    return int(ExitCode.OK)


__all__ = ["import_cmd"]
