"""``agentctl drift [-e ENV] [--agent NAME ...] [--output human|json] [--detailed-exitcode]``:
the live agents against what agentctl last applied, field by field (Terraform's
``plan -refresh-only``). Read-only: it plans nothing and changes nothing.

Thin: parses flags, calls ``agentctl.apply.lifecycle.drift``, prints ``agentctl.render.drift``'s
output. Errors go to the CLI boundary.
"""

from typing import List, Optional

import typer

from agentctl.cli.lazy import lazy
from agentctl.cli.app import app, project_dir
from agentctl.cli.lifecycle_cmds import ENV_HELP, _agents, _check_agent_names, lifecycle
from agentctl.cli.options import output_option
from agentctl.exitcodes import ExitCode

console = lazy("agentctl.console")


@app.command("drift")
def drift_cmd(
    env: Optional[str] = typer.Option(None, "-e", "--env", metavar="ENV", help=ENV_HELP),
    agent: Optional[List[str]] = typer.Option(None, "--agent", metavar="NAME",
                                              callback=_check_agent_names,
                                              help="Only this agent (repeatable)."),
    output: str = output_option("human", "json"),
    detailed_exitcode: bool = typer.Option(False, "--detailed-exitcode",
                                           help="Exit 2 when something drifted, 0 when not."),
) -> int:
    """Show what changed on the live agents since agentctl last applied them (read-only)."""
    from agentctl.render.drift import drift_document, drift_text

    with lifecycle.opened(project_dir(), env) as ctx:
        report = lifecycle.drift(ctx, _agents(agent))
    if output == "json":
        console.json_out(drift_document(report))
    else:
        console.out(drift_text(report))
    if detailed_exitcode and report.has_drift:
        return int(ExitCode.CHANGES)
    return int(ExitCode.OK)
