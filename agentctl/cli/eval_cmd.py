"""``agentctl eval [SUITE ...] --agent NAME (--alias NAME | --version N)``: run eval suites
against one exact version, print the pass/fail table (or one JSON document), optionally write
JUnit XML, record the run for the promotion gate, exit EVAL_FAILED when a suite fails. ``--output
markdown`` (a PR comment) and, under GitHub Actions, the same Markdown appended to
``$GITHUB_STEP_SUMMARY``.

Thin: parses flags, calls ``agentctl.eval.runner.run_eval``, renders. Errors go to the one
boundary in ``agentctl.cli``.
"""

import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from agentctl.cli.lazy import lazy
from agentctl.cli.app import app, project_dir
from agentctl.cli.options import output_option
from agentctl.errors import UsageError
from agentctl.exitcodes import ExitCode

console = lazy("agentctl.console")

ENV_HELP = "Environment from agentctl.yaml (default: AGENTCTL_ENV, then defaultEnvironment)."


@app.command("eval")
def eval_cmd(
    suites: Optional[List[Path]] = typer.Argument(
        None, metavar="[SUITE]...",
        help="Suite files or directories (default: settings.evalSuites, i.e. evals/*.yaml)."),
    agent: str = typer.Option(..., "--agent", metavar="NAME", help="The agent to evaluate."),
    alias: Optional[str] = typer.Option(None, "--alias", metavar="ALIAS",
                                        help="Evaluate the version this alias serves now "
                                             "(resolved once, at the start)."),
    version: Optional[str] = typer.Option(None, "--version", metavar="N",
                                          help="Evaluate version N."),
    env: Optional[str] = typer.Option(None, "-e", "--env", metavar="ENV", help=ENV_HELP),
    repeat: int = typer.Option(1, "--repeat", metavar="N", help="Run every case N times (non-deterministic "
                                                  "models)."),
    pass_rate: Optional[float] = typer.Option(
        None, "--pass-rate", metavar="RATE", help="Fraction of case runs that must pass (default: the gate's "
                                  "passRate for a gated --alias, else 1.0)."),
    parallel: int = typer.Option(4, "--parallel", metavar="N", help="Cases run at the same time (1-16)."),
    junit: Optional[Path] = typer.Option(None, "--junit", metavar="FILE",
                                         help="Also write JUnit XML to FILE."),
    output: str = output_option("human", "json", "markdown"),
) -> int:
    """Run eval suites against one exact agent version and record the result for the gate."""
    from agentctl.apply import lifecycle
    from agentctl.eval.runner import run_eval

    if not agent.strip():
        raise UsageError("--agent needs an agent name, got an empty one")
    if (alias is None) == (version is None):
        raise UsageError("give exactly one of --alias NAME or --version N",
                         hint="e.g. `agentctl eval --agent support-bot --alias STAGING`")
    if junit is not None and junit.is_dir():
        raise UsageError(f"--junit {junit}: is a directory", hint="give a file name, e.g. "
                         "--junit eval-results.xml")
    with lifecycle.opened(project_dir(), env) as ctx:
        report = run_eval(ctx, agent, alias=alias, version=version, paths=suites or None,
                          repeat=repeat, parallel=parallel, threshold=pass_rate,
                          progress=console.err)
    if junit is not None:
        from agentctl.eval.junit import to_junit

        _write(junit, to_junit(report))
        console.err(f"Wrote JUnit XML to {junit}")
    if output == "json":
        from agentctl.eval.results import report_document

        console.json_out(report_document(report))
    elif output == "markdown":
        from agentctl.render.eval import render_report_markdown

        console.out(render_report_markdown(report))
    else:
        from agentctl.render.eval import render_report

        console.out(render_report(report, color=console.color_enabled(sys.stdout)))
    from agentctl.cli import ci_out

    ci_out.eval_summary(report)
    return int(ExitCode.OK if report.passed else ExitCode.EVAL_FAILED)


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        # JUnit files are CI artefacts: never a value marked sensitive in them.
        from agentctl.core import sensitive

        tmp.write_text(sensitive.mask_text(text), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {e.strerror or e}",
                         hint="pass a writable path to --junit") from None
