"""Command: export (the project's agents as a CloudFormation template or Terraform HCL).

Thin: loads the project (the specs only; no AWS), calls ``agentctl.spec.export``, writes the
result to stdout or ``--out FILE`` and names on stderr what the format cannot express.
"""

from pathlib import Path
from typing import Optional

import typer

from agentctl.cli.lazy import lazy
from agentctl.cli.app import app, in_project_dir, project_dir
from agentctl.errors import UsageError
from agentctl.exitcodes import ExitCode

console = lazy("agentctl.console")

ENV_HELP = "Environment from agentctl.yaml (default: AGENTCTL_ENV, then defaultEnvironment)."
FORMATS = ("cloudformation", "terraform")


@app.command("export")
def export_cmd(
    fmt: str = typer.Option(..., "--format", metavar="|".join(FORMATS),
                            help="cloudformation (a YAML template) or terraform (HCL)."),
    env: Optional[str] = typer.Option(None, "-e", "--env", metavar="ENV", help=ENV_HELP),
    out: Optional[Path] = typer.Option(None, "--out", metavar="FILE",
                                       help="Write to FILE instead of stdout."),
) -> int:
    """The agents of the specs (desired state, no AWS reads) as an AWS::Bedrock::Agent /
    AgentAlias CloudFormation template or aws_bedrockagent_* Terraform resources, for handing
    them over to those tools. What they cannot express is said in the file and on stderr."""
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)} (got {fmt!r})",
                         hint="e.g. --format cloudformation")
    from agentctl.spec import export, load_project

    project = load_project(project_dir(), env)
    for w in project.warnings:
        console.err(w.render())
    render = export.cloudformation if fmt == "cloudformation" else export.terraform
    result = render(project.desired, project=project.name, environment=project.environment.name)
    tool = "CloudFormation" if fmt == "cloudformation" else "Terraform"
    console.err(f"note: {tool} cannot express agentctl's version cutting and alias moves, eval "
                "gates or return-of-control handlers: see the comments at the top of the output")
    for n in result.notes:
        console.err(f"note: {n}")
    if out is None:
        console.out(result.text.rstrip("\n"))
    else:
        path = in_project_dir(out)
        if path.is_dir():
            raise UsageError(f"--out {out}: {path} is a directory", hint="give a file name")
        if not path.parent.is_dir():
            raise UsageError(f"--out {out}: directory {path.parent} does not exist",
                             hint="create it first, or give another path")
        export.write_atomic(path, result.text)
        console.err(f"wrote {out}")
    return int(ExitCode.OK)


__all__ = ["export_cmd"]
